"""Sign-off and lock: the analyst signs a period, a different reviewer locks it.

What a sign-off binds (one ``close_signoffs`` row, covered by its audit entry so ``audit
verify`` notices an edited row): the period and cut-off, the audit chain's head before it,
the Procore and ERP snapshots and the diff run it signed, the tie-out per project and object,
and the digest of the period's exceptions as signed (kept in ``close_items``: status, reason,
assignee, decider and time of each). The analyst can sign only when every open exception is
decided (explained, approved, pushed) or carried forward with a reason. The reviewer's
sign-off locks the period: it is refused when the reviewer is the signer, or when decisions
or mapping changes were recorded after the analyst signed (sign again first).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from reconcile import audit
from reconcile.close import state
from reconcile.close.period import ClosePeriod
from reconcile.close.state import CloseError, first
from reconcile.close.tieout import project_totals, tie_out_store
from reconcile.decisions import LATEST_DECISIONS
from reconcile.query import STATES
from reconcile.store import Store, now

if TYPE_CHECKING:
    from reconcile.profile import Profile

#: A latest decision that settles an exception for the period.
DECIDED = ("explained", "approved", "pushed")

#: SQL over ``exceptions e`` joined to the latest decision ``d``: open, neither decided nor
#: carried forward with a reason. The grid's "undecided" filter and the sign-off use it both.
UNDECIDED_SQL = STATES["undecided"]

_ITEM_COLS = (
    "exception_id",
    "object",
    "kind",
    "key",
    "project",
    "field",
    "erp_value",
    "procore_value",
    "difference",
    "rule",
    "status",
    "reason_code",
    "assigned_to",
    "note",
    "decided_by",
    "decided_at",
    "first_seen",
    "is_open",
)


def _period_where(close: ClosePeriod) -> tuple[str, list[Any]]:
    """The period's exceptions: open now, or seen since the period began (closed ones included)."""
    return "(e.is_open OR e.last_seen >= CAST(? AS TIMESTAMPTZ))", [f"{close.start.isoformat()} 00:00:00+00"]


def items_sql(close: ClosePeriod) -> tuple[str, list[Any]]:
    """The period's exceptions with their current decision, in ``close_items``' columns."""
    where, params = _period_where(close)
    sql = (
        "SELECT e.exception_id, e.object, e.kind, e.key, e.project, e.field, e.erp_value, e.procore_value, "
        "e.difference, e.rule, "
        "coalesce(d.status, 'open') AS status, d.reason_code, d.assigned_to, d.note, d.decided_by, "
        "d.decided_at, e.first_seen, e.is_open "
        f"FROM exceptions e LEFT JOIN ({LATEST_DECISIONS}) d USING (exception_id) WHERE {where} "
        "ORDER BY e.exception_id"
    )
    return sql, params


@dataclass(frozen=True)
class Readiness:
    """Where a period stands: how many open exceptions are undecided, and the sign-offs so far."""

    period: str
    open: int
    undecided: int
    signed_by: str | None
    locked_by: str | None

    def sentence(self) -> str:
        """``undecided N of M`` with the sign-off state."""
        state_ = (
            f"locked by {self.locked_by}"
            if self.locked_by
            else (f"signed by {self.signed_by}, awaiting review" if self.signed_by else "not signed")
        )
        return f"Period {self.period}: undecided {self.undecided} of {self.open}; {state_}."


def _count(cur: duckdb.DuckDBPyConnection, where: str) -> int:
    row = first(
        cur.execute(
            f"SELECT count(*) FROM exceptions e LEFT JOIN ({LATEST_DECISIONS}) d USING (exception_id) WHERE {where}"
        ).fetchall()
    )
    return int(row[0]) if row else 0


def _signer(cur: duckdb.DuckDBPyConnection, period: str, role: str) -> tuple[int, str, int] | None:
    """(row id, who, the audit seq of its entry) of the latest sign-off of ``role``."""
    row = first(
        cur.execute(
            "SELECT s.id, s.signed_by, (SELECT max(seq) FROM audit_log a WHERE a.action = ? "
            "AND json_extract_string(a.covers, '$.key') = CAST(s.id AS VARCHAR)) "
            "FROM close_signoffs s WHERE s.period = ? AND s.role = ? ORDER BY s.id DESC LIMIT 1",
            ["close:signed" if role == "analyst" else "close:locked", period, role],
        ).fetchall()
    )
    return (int(row[0]), str(row[1]), int(row[2] or 0)) if row else None


def readiness(store: Store, period: str) -> Readiness:
    """``undecided N of M`` for the period and who signed or locked it."""
    cur = store.cursor()
    try:
        total = _count(cur, "e.is_open")
        undecided = _count(cur, UNDECIDED_SQL)
        signed = _signer(cur, period, "analyst")
        lock = state.lock_of(cur, period)
    finally:
        cur.close()
    return Readiness(
        period, total, undecided, signed[1] if signed else None, lock.locked_by if lock else None
    )


def _head(cur: duckdb.DuckDBPyConnection) -> audit.ChainHead:
    row = first(
        cur.execute(
            "SELECT (SELECT count(*) FROM audit_log), (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1)"
        ).fetchall()
    )
    count = int(row[0]) if row else 0
    return audit.ChainHead(count, str(row[1]) if row and row[1] is not None else audit.GENESIS)


def items_digest(items: pl.DataFrame) -> str:
    """sha256 of the signed exceptions as canonical JSON (money and times as exact text)."""
    rows = items.select(_ITEM_COLS).sort("exception_id").to_dicts()
    return hashlib.sha256(audit.canonical_json(rows).encode("utf-8")).hexdigest()


def _current_run(cur: duckdb.DuckDBPyConnection) -> tuple[int | None, int | None, int | None]:
    snaps = dict(cur.execute("SELECT source, snapshot_id FROM current_snapshots").fetchall())
    run = first(
        cur.execute(
            "SELECT id, procore_snapshot_id, erp_snapshot_id FROM diff_runs ORDER BY id DESC LIMIT 1"
        ).fetchall()
    )
    if run is None:
        raise CloseError("Nothing to sign: no diff has run in this store yet; run `tieout diff` first.")
    if (run[1], run[2]) != (snaps.get("procore"), snaps.get("erp")):
        raise CloseError(
            f"The last diff (run {run[0]}) is older than the current snapshots; run `tieout diff` before signing."
        )
    return int(run[0]), snaps.get("procore"), snaps.get("erp")


def _record(
    tx: duckdb.DuckDBPyConnection,
    close: ClosePeriod,
    role: str,
    actor: str,
    run: tuple[int | None, int | None, int | None],
    exceptions: int,
    totals: list[dict[str, object]],
    digest: str,
) -> dict[str, Any]:
    head = _head(tx)
    row = first(
        tx.execute(
            "INSERT INTO close_signoffs (period, role, signed_by, signed_at, cutoff, audit_count, audit_head, "
            "procore_snapshot_id, erp_snapshot_id, diff_run_id, exceptions, totals, items_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                close.period,
                role,
                actor,
                now(),
                close.cutoff,
                head.count,
                head.head_hash,
                run[1],
                run[2],
                run[0],
                exceptions,
                json.dumps(totals),
                digest,
            ],
        ).fetchall()
    )
    assert row is not None
    summary = {
        "period": close.period,
        "cutoff": str(close.cutoff),
        "role": role,
        "exceptions": exceptions,
        "audit_count": head.count,
        "audit_head": head.head_hash,
        "procore_snapshot_id": run[1],
        "erp_snapshot_id": run[2],
        "diff_run_id": run[0],
        "items_sha256": digest,
    }
    audit.append(
        tx,
        actor=actor,
        action="close:signed" if role == "analyst" else "close:locked",
        after=summary,
        covers=("close_signoffs", str(row[0])),
    )
    return {"id": int(row[0]), "signed_by": actor, **summary}


def sign(store: Store, profile: Profile, period: str, *, actor: str) -> dict[str, Any]:
    """The analyst's sign-off of ``period`` (opened before); returns what it bound.

    Refused with one sentence when the period is locked, the diff is stale, or exceptions
    are undecided (the sentence counts them).
    """
    close = _opened(store, period)
    totals = project_totals(tie_out_store(store, profile, close.cutoff))
    sql, params = items_sql(close)
    with store.transaction() as tx:
        lock = state.lock_of(tx, period)
        if lock is not None:
            raise CloseError(lock.sentence())
        run = _current_run(tx)
        undecided = _count(tx, UNDECIDED_SQL)
        if undecided:
            total = _count(tx, "e.is_open")
            raise CloseError(
                f"Period {period} cannot be signed: {undecided} of {total} open exceptions are undecided "
                "(neither explained, approved or pushed, nor carried forward with a reason)."
            )
        items = pl.from_arrow(tx.sql(sql, params=params).to_arrow_table())
        assert isinstance(items, pl.DataFrame)
        tx.execute("DELETE FROM close_items WHERE period = ?", [period])
        tx.register("_items", items.to_arrow())
        cols = ", ".join(_ITEM_COLS)
        tx.execute(f"INSERT INTO close_items (period, {cols}) SELECT ?, {cols} FROM _items", [period])
        tx.unregister("_items")
        return _record(tx, close, "analyst", actor, run, items.height, totals, items_digest(items))


def review(store: Store, period: str, *, actor: str) -> dict[str, Any]:
    """The reviewer's sign-off: locks ``period``. Refused for the signer themself, before the
    analyst signed, or when decisions or mapping changes came after the analyst's sign-off."""
    close = _opened(store, period)
    with store.transaction() as tx:
        lock = state.lock_of(tx, period)
        if lock is not None:
            raise CloseError(f"Period {period} is already locked by {lock.locked_by}.")
        signed = _signer(tx, period, "analyst")
        if signed is None:
            raise CloseError(f"Period {period} is not signed yet; the analyst signs it before a review.")
        signoff_id, signer, seq = signed
        if signer == actor:
            raise CloseError(
                f"{actor} signed period {period}; the review that locks it must come from a different user."
            )
        later = first(
            tx.execute(
                "SELECT count(*) FROM audit_log WHERE seq > ? AND (action LIKE 'decision:%' OR action LIKE 'mapping:%')",
                [seq],
            ).fetchall()
        )
        if later and int(later[0]):
            raise CloseError(
                f"{int(later[0])} decision(s) or mapping change(s) were recorded after {signer} signed period "
                f"{period}; the analyst signs again before the review."
            )
        row = first(
            tx.execute(
                "SELECT procore_snapshot_id, erp_snapshot_id, diff_run_id, exceptions, CAST(totals AS VARCHAR), "
                "items_sha256 FROM close_signoffs WHERE id = ?",
                [signoff_id],
            ).fetchall()
        )
        assert row is not None
        run = (row[2], row[0], row[1])
        return _record(tx, close, "reviewer", actor, run, int(row[3]), json.loads(row[4]), str(row[5]))


def _opened(store: Store, period: str) -> ClosePeriod:
    cur = store.cursor()
    try:
        row = first(
            cur.execute(
                "SELECT strftime(cutoff, '%Y-%m-%d') FROM closes WHERE period = ?", [period]
            ).fetchall()
        )
    finally:
        cur.close()
    if row is None:
        raise CloseError(f"Period {period} has not been opened; run `tieout close --period {period}` first.")
    return ClosePeriod.of(period, str(row[0]))


def signoffs(store: Store, period: str | None = None) -> pl.DataFrame:
    """Every sign-off (of one period), oldest first, for the evidence and the workstation."""
    where = " WHERE period = ?" if period else ""
    return store.query(
        "SELECT period, role, signed_by, signed_at, strftime(cutoff, '%Y-%m-%d') AS cutoff, audit_count, "
        "audit_head, procore_snapshot_id, erp_snapshot_id, diff_run_id, exceptions, items_sha256 "
        f"FROM close_signoffs{where} ORDER BY id",
        [period] if period else None,
    )
