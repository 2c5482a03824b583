"""Which close the store is working on, and whether a period is locked.

A store works on one period at a time: the latest one opened (``open_period``). A
reviewer's sign-off locks it; from then on every decision is refused, with a sentence naming
the period and who locked it, until the next period is opened. What the locked period bound
stays as it was signed (``close_items``); findings of later diffs belong to the next period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from reconcile import audit
from reconcile.close.period import ClosePeriod, next_period
from reconcile.store import Store, now


class CloseError(Exception):
    """A close step that cannot go ahead; the message is one sentence naming the period."""


def first(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    """The first row of a ``fetchall()``, or None.

    Fetching all rows (not ``fetchone``) leaves no unfinished result on a transaction's
    cursor, which DuckDB would refuse the next statement on.
    """
    return rows[0] if rows else None


@dataclass(frozen=True)
class Lock:
    """Who locked a period, and when."""

    period: str
    locked_by: str
    locked_at: datetime

    def sentence(self) -> str:
        """Why a decision is refused, in one sentence."""
        return (
            f"Period {self.period} was locked by {self.locked_by} on {self.locked_at:%Y-%m-%d %H:%M} UTC, "
            f"so its decisions are final; open the next period (tieout close --period "
            f"{next_period(self.period)}) to decide on what it carries."
        )


def working_close(cur: duckdb.DuckDBPyConnection) -> ClosePeriod | None:
    """The latest period opened in this store, or None before the first close."""
    row = first(
        cur.execute(
            "SELECT period, strftime(cutoff, '%Y-%m-%d') FROM closes ORDER BY period DESC LIMIT 1"
        ).fetchall()
    )
    return ClosePeriod(str(row[0]), date.fromisoformat(str(row[1]))) if row else None


def lock_of(cur: duckdb.DuckDBPyConnection, period: str) -> Lock | None:
    """The reviewer's sign-off that locked ``period``, or None while it is open."""
    row = first(
        cur.execute(
            "SELECT signed_by, epoch_us(signed_at) FROM close_signoffs WHERE period = ? AND role = 'reviewer' "
            "ORDER BY id LIMIT 1",
            [period],
        ).fetchall()
    )
    return Lock(period, str(row[0]), audit.from_epoch_us(row[1])) if row else None


def refusal(cur: duckdb.DuckDBPyConnection) -> str | None:
    """The sentence refusing a decision now (the working period is locked), or None."""
    close = working_close(cur)
    if close is None:
        return None
    lock = lock_of(cur, close.period)
    return lock.sentence() if lock else None


def current(store: Store) -> ClosePeriod | None:
    """The store's working close (``working_close`` on a fresh cursor)."""
    cur = store.cursor()
    try:
        return working_close(cur)
    finally:
        cur.close()


def open_period(store: Store, close: ClosePeriod, *, actor: str) -> ClosePeriod:
    """Open ``close`` (audited): a new period becomes the store's working period; one opened
    before keeps its place, and its cut-off changes only while it is not signed."""
    with store.transaction() as tx:
        row = first(
            tx.execute(
                "SELECT strftime(cutoff, '%Y-%m-%d') FROM closes WHERE period = ?", [close.period]
            ).fetchall()
        )
        signed = first(
            tx.execute("SELECT count(*) FROM close_signoffs WHERE period = ?", [close.period]).fetchall()
        )
        was = date.fromisoformat(str(row[0])) if row else None
        if row is None:
            tx.execute(
                "INSERT INTO closes (period, cutoff, opened_by, opened_at) VALUES (?, ?, ?, ?)",
                [close.period, close.cutoff, actor, now()],
            )
        elif was != close.cutoff:
            if signed and int(signed[0]):
                raise CloseError(
                    f"Period {close.period} is signed with cut-off {was}; its cut-off cannot change now."
                )
            tx.execute("UPDATE closes SET cutoff = ? WHERE period = ?", [close.cutoff, close.period])
        if row is None or was != close.cutoff:
            audit.append(
                tx,
                actor=actor,
                action="close:opened",
                before=None if was is None else {"period": close.period, "cutoff": str(was)},
                after={"period": close.period, "cutoff": str(close.cutoff)},
            )
    return close
