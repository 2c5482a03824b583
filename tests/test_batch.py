"""Decisions in bulk: committed in chunks, each its own audited decision, a refusal undoing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_decisions import add_exception

from reconcile import audit, batch, decisions
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
    real = decisions.decide_in

    def flaky(cur, exception_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        if exception_id == "X4":
            real(cur, exception_id, *args, **kwargs)  # written, then the disk fails
            raise OSError("disk full")
        return real(cur, exception_id, *args, **kwargs)

    monkeypatch.setattr(decisions, "decide_in", flaky)
    with pytest.raises(OSError):
        batch.explain_all(store, [f"X{i}" for i in range(6)], "timing", actor="ana")
    # The first chunk (X0-X2) was committed; the second (X3, X4) left nothing, X4 included.
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
