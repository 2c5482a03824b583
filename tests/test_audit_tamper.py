"""Sixteen ways to tamper with the audit evidence, and which of them the chain alone or a held head catches.

The store holds what a month of work leaves: decisions, a push that went through (its
``pushes`` row moving from ``sending`` to ``done``), and the hash-chained log over them.
Each tamper edits the DuckDB file directly, as someone with the file (not Tieout) would.

``chain`` says whether ``verify(store)`` alone reports it; ``held`` whether
``verify(store, expect=head)`` does, with the head taken before the tamper. A forgery
that rewrites the log consistently (every hash recomputed, the rows it covers kept in
step) can only be told from the truth by a head held outside the store; an entry
appended after the held head cannot be told from later work at all: ``audit verify``
says how many entries came after the head, for a reviewer to read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_decisions import add_exception

from reconcile import audit, decisions
from reconcile.store import Store, now

Tamper = Callable[[Store], None]


def _push(store: Store, push_id: str, exception_id: str) -> None:
    """A push as ``reconcile.push`` records it: sending (row + entry), then done (row, decision, entry)."""
    with store.transaction() as tx:
        ts = now()
        tx.execute(
            "INSERT INTO pushes (push_id, exception_id, direction, state, plan, created_by, created_at, updated_at) "
            "VALUES (?, ?, 'erp_to_procore', 'sending', ?, 'ana', ?, ?)",
            [push_id, exception_id, json.dumps({"method": "PATCH", "amount": 12500.5}), ts, ts],
        )
        audit.append(
            tx,
            actor="ana",
            action="push:sending",
            exception_id=exception_id,
            before={"status": "approved"},
            after={"push_id": push_id},
            covers=("pushes", push_id),
        )
    with store.transaction() as tx:
        tx.execute(
            "UPDATE pushes SET state = 'done', response = ?, updated_at = ? WHERE push_id = ?",
            ['{"status": 200}', now(), push_id],
        )
        decisions.decide_in(tx, exception_id, "pushed", actor="ana", detail={"push_id": push_id})
        audit.append(
            tx,
            actor="ana",
            action="push:done",
            exception_id=exception_id,
            before={"push_id": push_id, "state": "sending"},
            after={"push_id": push_id, "status": 200},
            covers=("pushes", push_id),
        )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Six entries: explained X1, approved X2, push sending, X2 pushed, push done, explained X3."""
    s = Store(tmp_path / "a.duckdb")
    for x in ("X1", "X2", "X3"):
        add_exception(s, x)
    decisions.decide(s, "X1", "explained", actor="ana", reason_code="timing")
    decisions.decide(s, "X2", "approved", actor="ana")
    _push(s, "P1", "X2")
    decisions.decide(s, "X3", "explained", actor="bob", reason_code="tax", note="VAT")
    yield s
    s.close()


# -- helpers a forger would use -----------------------------------------------------------------------
@dataclass
class Row:
    seq: int
    logged_at: int
    actor: str
    action: str
    exception_id: str | None
    before: Any
    after: Any
    prev_hash: str
    hash: str
    covers: Any


def _rows(store: Store) -> list[Row]:
    got = (
        store.cursor()
        .execute(
            "SELECT seq, epoch_us(logged_at), actor, action, exception_id, CAST(before AS VARCHAR), "
            "CAST(after AS VARCHAR), prev_hash, hash, CAST(covers AS VARCHAR) FROM audit_log ORDER BY seq"
        )
        .fetchall()
    )
    return [
        Row(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            *(None if v is None else json.loads(v) for v in r[5:7]),
            r[7],
            r[8],
            None if r[9] is None else json.loads(r[9]),
        )
        for r in got
    ]


def _hash(r: Row) -> str:
    return audit.entry_hash(
        r.prev_hash,
        seq=r.seq,
        logged_at=audit.from_epoch_us(r.logged_at),
        actor=r.actor,
        action=r.action,
        exception_id=r.exception_id,
        before=r.before,
        after=r.after,
        covers=r.covers,
    )


def _rewrite(store: Store, rows: list[Row]) -> None:
    """Replace the whole log with ``rows``, every link and hash recomputed (a consistent forgery)."""
    prev = audit.GENESIS
    cur = store.cursor()
    cur.execute("DELETE FROM audit_log")
    for n, r in enumerate(rows, start=1):
        r.seq, r.prev_hash = n, prev
        r.hash = prev = _hash(r)
        cur.execute(
            "INSERT INTO audit_log VALUES (?, make_timestamptz(?), ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.seq,
                r.logged_at,
                r.actor,
                r.action,
                r.exception_id,
                None if r.before is None else audit.canonical_json(r.before),
                None if r.after is None else audit.canonical_json(r.after),
                r.prev_hash,
                r.hash,
                None if r.covers is None else audit.canonical_json(r.covers),
            ],
        )


def _sql(statement: str) -> Tamper:
    return lambda s: s.cursor().execute(statement) and None


def _edit_rehash_own(s: Store) -> None:
    r = _rows(s)[1]
    r.actor = "mallory"
    s.cursor().execute("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2", [_hash(r)])


def _reorder(s: Store) -> None:
    cur = s.cursor()
    cur.execute("UPDATE audit_log SET seq = 100 WHERE seq = 2")
    cur.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    cur.execute("UPDATE audit_log SET seq = 3 WHERE seq = 100")


def _insert(s: Store) -> None:
    """A forged entry slipped in as entry 3, later entries renumbered; only its own hash recomputed."""
    rows = _rows(s)
    forged = Row(
        3,
        rows[1].logged_at + 1,
        "mallory",
        "decision:explained",
        "X2",
        None,
        {"status": "explained"},
        rows[1].hash,
        "",
        None,
    )
    forged.hash = _hash(forged)
    cur = s.cursor()
    for r in reversed(rows[2:]):
        cur.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", [r.seq + 1, r.seq])
    cur.execute(
        "INSERT INTO audit_log VALUES (3, make_timestamptz(?), 'mallory', 'decision:explained', 'X2', NULL, ?, ?, ?, NULL)",
        [forged.logged_at, audit.canonical_json(forged.after), forged.prev_hash, forged.hash],
    )


def _append_forged(s: Store) -> None:
    """A well-formed entry at the end, linked and hashed: indistinguishable from later work."""
    audit.append(s, actor="mallory", action="note", exception_id="X1", after={"note": "all reviewed"})


def _forge_recompute_tail(s: Store) -> None:
    """Entry 2 says X2 was explained, not approved; every hash from entry 2 on is recomputed."""
    rows = _rows(s)
    rows[1].after = {"status": "explained", "reason_code": "timing"}
    rows[1].actor = "mallory"
    _rewrite(s, rows)


def _truncate_consistently(s: Store) -> None:
    """The last entry and the decision it covers both deleted: what is left agrees with itself."""
    cur = s.cursor()
    cur.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    cur.execute("DELETE FROM decisions WHERE id = (SELECT max(id) FROM decisions)")


def _insert_decision(s: Store) -> None:
    s.cursor().execute(
        "INSERT INTO decisions (exception_id, status, reason_code, decided_by, decided_at) "
        "VALUES ('X1', 'approved', NULL, 'mallory', ?)",
        [now()],
    )


#: name → (tamper, chain alone detects, held head detects)
TAMPERS: dict[str, tuple[Tamper, bool, bool]] = {
    "delete first entry": (_sql("DELETE FROM audit_log WHERE seq = 1"), True, True),
    "delete middle entry": (_sql("DELETE FROM audit_log WHERE seq = 3"), True, True),
    # The last entry covers a decision row, which is then in no entry.
    "delete last entry": (_sql("DELETE FROM audit_log WHERE seq = 6"), True, True),
    "delete all entries": (_sql("DELETE FROM audit_log"), True, True),
    "edit a field of an entry": (_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"), True, True),
    "edit an entry and recompute its own hash": (_edit_rehash_own, True, True),
    "reorder two entries": (_reorder, True, True),
    "insert an entry in the middle": (_insert, True, True),
    # Neither: the held head is still there; verify says one entry came after it.
    "append a forged entry": (_append_forged, False, False),
    "forge an entry and recompute every hash after it": (_forge_recompute_tail, False, True),
    "delete the last entry and the row it covers": (_truncate_consistently, False, True),
    "edit a decisions row": (_sql("UPDATE decisions SET status = 'approved' WHERE id = 1"), True, True),
    "delete a decisions row": (_sql("DELETE FROM decisions WHERE id = 2"), True, True),
    "insert a decisions row": (_insert_decision, True, True),
    "edit a pushes row": (
        _sql("UPDATE pushes SET state = 'failed', reason = 'x' WHERE push_id = 'P1'"),
        True,
        True,
    ),
    "delete a pushes row": (_sql("DELETE FROM pushes WHERE push_id = 'P1'"), True, True),
}


def test_untouched_store_is_intact(store: Store) -> None:
    head = audit.chain_head(store)
    assert head.count == 6 and head.head_hash == _rows(store)[-1].hash
    assert audit.verify(store) == []
    assert audit.verify(store, expect=head) == []


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tamper(name: str, store: Store) -> None:
    tamper, by_chain, by_head = TAMPERS[name]
    held = audit.chain_head(store)
    tamper(store)
    alone = audit.verify(store)
    with_head = audit.verify(store, expect=held)
    assert bool(alone) is by_chain, alone
    assert bool(with_head) is by_head, with_head
    assert all(p.endswith(".") and "\n" not in p for p in alone + with_head)
    if name == "append a forged entry":
        assert audit.chain_head(store).count == held.count + 1  # shown as added after the held head


def test_sixteen_tampers() -> None:
    assert len(TAMPERS) == 16


def test_head_problems_name_what_happened(store: Store) -> None:
    held = audit.chain_head(store)
    _truncate_consistently(store)
    assert audit.verify(store, expect=held) == [
        "The audit log has 5 entries; the held head says 6: entries were deleted."
    ]


def test_table_problems_name_the_row(store: Store) -> None:
    store.cursor().execute("UPDATE decisions SET note = 'edited' WHERE id = 1")
    assert audit.verify(store) == [
        "The decisions row 1 differs from what audit entry 1 recorded (the row was edited)."
    ]


def test_log_written_before_rows_were_covered_still_verifies(store: Store) -> None:
    """A store from before this version: decision entries without ``covers`` are not cross-checked."""
    rows = _rows(store)
    for r in rows:
        r.covers = None
    _rewrite(store, rows)
    assert audit.verify(store) == []


def test_cli_prints_the_head_and_checks_a_held_one(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from app.demo import write_profile

    profile = tmp_path / "p.toml"
    write_profile(profile, procore_url="http://127.0.0.1:9", sap_url="http://127.0.0.1:9", extras={})
    profile.write_text(profile.read_text().replace('store = "demo.duckdb"', 'store = "a.duckdb"'))
    head = audit.chain_head(store)
    store.close()
    held = ["--expect-count", str(head.count), "--expect-head", head.head_hash]

    assert main(["audit", "verify", "--profile", str(profile)]) == 0
    out = capsys.readouterr().out
    assert "intact: 6 entries" in out and f"--expect-count 6 --expect-head {head.head_hash}" in out

    assert main(["audit", "verify", "--profile", str(profile), *held]) == 0
    assert "still holds the held head (entry 6)" in capsys.readouterr().out

    again = Store(tmp_path / "a.duckdb")
    _append_forged(again)
    again.close()
    assert main(["audit", "verify", "--profile", str(profile), *held]) == 0
    assert "1 entries were added after the held head (entries 7 to 7)" in capsys.readouterr().out

    again = Store(tmp_path / "a.duckdb")  # the forged note and the last decision, with its entry, go
    again.cursor().execute("DELETE FROM audit_log WHERE seq >= 6")
    again.cursor().execute("DELETE FROM decisions WHERE id = 4")
    again.close()
    assert main(["audit", "verify", "--profile", str(profile)]) == 0  # the chain alone cannot tell
    capsys.readouterr()
    assert main(["audit", "verify", "--profile", str(profile), *held]) == 1
    err = capsys.readouterr().err
    assert (
        "The audit log has 5 entries; the held head says 6: entries were deleted." in err
        and "Traceback" not in err
    )

    assert main(["audit", "verify", "--profile", str(profile), "--expect-count", "6"]) == 2
    assert "together" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["audit", "verify", "--profile", str(profile), "--expect-count", "6", "--expect-head", "nothex"])
    assert exit_.value.code == 2
