"""The hash-chained audit log: append, read back, and detect tampering."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from reconcile import audit
from reconcile.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


def _fill(store: Store, n: int = 4) -> None:
    for i in range(n):
        audit.append(
            store,
            actor="ana",
            action="decision:explained",
            exception_id=f"X{i}",
            before={"status": "open"},
            after={"status": "explained", "amount": Decimal("12.30"), "note": "[bold red]x\x1b[2J"},
        )


def test_chain_links_and_verifies(store: Store) -> None:
    _fill(store)
    frame = audit.entries(store)
    assert frame["seq"].to_list() == [1, 2, 3, 4]
    assert frame["prev_hash"][0] == audit.GENESIS
    assert frame["prev_hash"].to_list()[1:] == frame["hash"].to_list()[:-1]
    assert audit.verify(store) == []
    # Decimals are kept exactly, as text.
    assert '"amount":"12.30"' in frame["after"][0]


def test_empty_log_verifies(store: Store) -> None:
    assert audit.verify(store) == []
    assert audit.entries(store).is_empty()


def test_edited_row_is_detected(store: Store) -> None:
    _fill(store)
    store.cursor().execute("""UPDATE audit_log SET after = '{"status":"pushed"}' WHERE seq = 2""")
    problems = audit.verify(store)
    assert problems == ["Audit entry 2: contents do not match its hash (the row was edited)."]


def test_edited_actor_is_detected(store: Store) -> None:
    _fill(store)
    store.cursor().execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    assert any("entry 3" in p and "edited" in p for p in audit.verify(store))


def test_deleted_row_is_a_gap_and_a_broken_link(store: Store) -> None:
    _fill(store)
    store.cursor().execute("DELETE FROM audit_log WHERE seq = 2")
    problems = audit.verify(store)
    assert any("sequence gap" in p for p in problems)
    assert any("broken link" in p for p in problems)


def test_rehashed_row_still_breaks_the_next_link(store: Store) -> None:
    """Re-computing a tampered row's own hash does not help: the next entry points at the old one."""
    _fill(store)
    cur = store.cursor()
    row = cur.execute("SELECT seq, epoch_us(logged_at), prev_hash FROM audit_log WHERE seq = 2").fetchone()
    forged = audit.entry_hash(
        row[2],
        seq=2,
        logged_at=audit.from_epoch_us(row[1]),
        actor="mallory",
        action="decision:explained",
        exception_id="X1",
        before={"status": "open"},
        after={"status": "explained"},
    )
    cur.execute(
        "UPDATE audit_log SET actor='mallory', after='{\"status\":\"explained\"}', hash=? WHERE seq=2",
        [forged],
    )
    assert audit.verify(store) == ["Audit entry 3: broken link, prev_hash does not match entry 2's hash."]


def test_append_rolls_back_with_its_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        audit.append(tx, actor="ana", action="x")
        raise RuntimeError("the change failed")
    assert audit.entries(store).is_empty()
