"""Decisions in bulk: committed in chunks, each its own audited decision, a refusal undoing nothing."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_decisions import add_exception

from reconcile import audit, batch, decisions
from reconcile.close import state as close_state
from reconcile.store import Store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(batch, "CHUNK", 3)  # seven ids span three chunks
    s = Store(tmp_path / "b.duckdb")
    for i in range(6):
        add_exception(s, f"X{i}", key=f"10000{i}")
    yield s
    s.close()


def test_a_refusal_inside_a_chunk_undoes_none_of_the_others(store: Store) -> None:
    ids = ["X0", "X1", "GONE", "X2", "X3", "X4", "X5"]  # GONE sits in the first chunk
    out = batch.explain_all(store, ids, "timing", actor="ana", allowed_reason_codes=["timing"])
    assert list(out.done) == ["X0", "X1", "X2", "X3", "X4", "X5"]
    assert out.refused == [("GONE", "There is no exception GONE in this store.")]
    for exception_id in out.done:
        assert decisions.history(store, exception_id)[-1]["reason_code"] == "timing"
    entries = audit.entries(store)
    assert sorted(entries["exception_id"].to_list()) == sorted(out.done)  # one entry each
    assert audit.verify(store) == []


def test_a_bulk_assignment_keeps_each_status_and_is_audited(store: Store) -> None:
    decisions.decide(store, "X1", "explained", actor="ana", reason_code="timing")
    out = batch.assign_all(store, [f"X{i}" for i in range(6)], "erp_team", actor="ana")
    assert out.done["X1"] == "explained" and out.done["X0"] == "open"
    assert all(decisions.current(store, f"X{i}")["assigned_to"] == "erp_team" for i in range(6))
    assert audit.verify(store) == []


def test_an_unexpected_failure_rolls_back_its_chunk_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit.append_many

    def flaky(cur, pending):  # type: ignore[no-untyped-def]
        written = real(cur, pending)  # the chunk's rows and entries written, then the disk fails
        if any(p.exception_id == "X4" for p in pending):
            raise OSError("disk full")
        return written

    monkeypatch.setattr(audit, "append_many", flaky)
    with pytest.raises(OSError):
        batch.explain_all(store, [f"X{i}" for i in range(6)], "timing", actor="ana")
    # The first chunk (X0-X2) was committed; the second (X3-X5) left nothing, X4 included.
    assert [decisions.status(store, f"X{i}") for i in range(6)] == ["explained"] * 3 + ["open"] * 3
    assert audit.verify(store) == []


def test_a_bulk_explanation_leaves_a_pushed_exception_as_it_is(store: Store) -> None:
    decisions.decide(store, "X2", "approved", actor="ana")
    decisions.decide(store, "X2", "pushed", actor="ana")
    out = batch.explain_all(store, ["X1", "X2", "X3"], "timing", actor="ana")
    assert list(out.done) == ["X1", "X3"]
    assert out.refused == [("X2", "already pushed; left as it is.")]
    assert decisions.status(store, "X2") == "pushed"
    assert "1 refused: X2: already pushed" in out.sentence("explained")


# -- the bulk path writes what one decision at a time writes -------------------------------------
_IDS = ("X0", "X1", "X2", "X3", "X4", "GONE")
_CODES = ["timing", "coding"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file of five exceptions in every state a bulk decision meets: open, explained
    with a note, assigned, approved, pushed (each example copies it twice)."""
    path = tmp_path_factory.mktemp("batch") / "template.duckdb"
    with Store(path) as s:
        for i in range(5):
            add_exception(s, f"X{i}", key=f"10000{i}")
        decisions.decide(s, "X1", "explained", actor="ana", reason_code="coding", note="old note")
        decisions.assign(s, "X2", "erp_team", actor="ana")
        decisions.decide(s, "X3", "approved", actor="ana")
        decisions.decide(s, "X4", "approved", actor="ana")
        decisions.decide(s, "X4", "pushed", actor="ana")
    return path


def _one_at_a_time(store: Store, ids: list[str], kind: str, arg: str, note: str | None) -> batch.BatchOutcome:
    """What the bulk path replaced: ``decisions.decide`` / ``decisions.assign`` per exception."""
    out = batch.BatchOutcome()
    for exception_id in ids:
        try:
            if kind == "assign":
                out.done[exception_id] = decisions.assign(store, exception_id, arg, actor="bo")["status"]
                continue
            now = decisions.status(store, exception_id)
            if now in batch.KEEP_ON_EXPLAIN:
                raise decisions.DecisionError(f"already {now}; left as it is.")
            row = decisions.decide(
                store,
                exception_id,
                "explained",
                actor="bo",
                reason_code=arg,
                note=note or None,
                allowed_reason_codes=_CODES,
            )
            out.done[exception_id] = row["status"]
        except decisions.DecisionError as exc:
            out.refused.append((exception_id, str(exc)))
    return out


def _written(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The decisions and audit entries as history reads them, without ids and timestamps."""
    cur = store.cursor()
    rows = cur.execute(
        "SELECT exception_id, status, reason_code, assigned_to, note, decided_by FROM decisions ORDER BY id"
    ).fetchall()
    entries = cur.execute(
        "SELECT actor, action, exception_id, CAST(before AS VARCHAR), CAST(after AS VARCHAR) "
        "FROM audit_log ORDER BY seq"
    ).fetchall()
    cur.close()
    return rows, entries


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids=st.lists(st.sampled_from(_IDS), max_size=9),
    kind=st.sampled_from(["explain", "assign"]),
    code=st.sampled_from(["timing", "coding", "bogus", ""]),
    team=st.sampled_from(["erp_team", "project_team", "nobody"]),
    note=st.sampled_from([None, "", "PO raised late"]),
    chunk=st.integers(1, 4),
    locked=st.booleans(),
)
def test_the_bulk_path_writes_what_one_decision_at_a_time_writes(
    template: Path,
    ids: list[str],
    kind: str,
    code: str,
    team: str,
    note: str | None,
    chunk: int,
    locked: bool,
) -> None:
    """Same decisions, same audit entries (actions, before, after), same refusals in the same
    words, a chain that verifies: ids repeated in a batch included (the later follows the
    earlier, as it does one at a time), and a locked period."""
    arg = team if kind == "assign" else code
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch, "CHUNK", chunk)
        shutil.copyfile(template, Path(tmp) / "one.duckdb")
        shutil.copyfile(template, Path(tmp) / "bulk.duckdb")
        one, bulk = Store(Path(tmp) / "one.duckdb"), Store(Path(tmp) / "bulk.duckdb")
        if locked:
            mp.setattr(close_state, "refusal", lambda cur: "Period 2026-11 was locked by bob.")
        try:
            expected = _one_at_a_time(one, ids, kind, arg, note)
            if kind == "assign":
                got = batch.assign_all(bulk, ids, arg, actor="bo")
            else:
                got = batch.explain_all(bulk, ids, arg, note=note, actor="bo", allowed_reason_codes=_CODES)
            assert got.done == expected.done
            assert got.refused == expected.refused
            assert _written(bulk) == _written(one)
            assert audit.verify(bulk) == [] and audit.verify(one) == []
        finally:
            one.close()
            bulk.close()


def test_progress_is_reported_per_chunk_and_a_cancel_stops_between_chunks(store: Store) -> None:
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        cancel.set()  # the analyst stops it as the first chunk lands

    out = batch.explain_all(
        store, [f"X{i}" for i in range(6)], "timing", actor="ana", cancel=cancel, progress=progress
    )
    assert seen == [(3, 6)]
    assert list(out.done) == ["X0", "X1", "X2"] and out.left == 3
    assert out.sentence("explained") == "Explained 3 exceptions. Stopped; 3 not decided."
    assert [decisions.status(store, f"X{i}") for i in range(6)] == ["explained"] * 3 + ["open"] * 3
    assert audit.verify(store) == []
