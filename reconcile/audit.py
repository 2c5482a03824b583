"""The append-only, hash-chained audit log: who changed what, when, before and after.

Why a hash chain: the log is evidence at month end. Each entry's ``hash`` is
``sha256(prev_hash + canonical JSON of the entry)``, so editing, deleting or
re-ordering any row breaks the chain from that row on, and ``verify`` names it.
An entry must be appended inside the same transaction as the change it records
(pass the transaction's cursor), so a change is never logged without happening or
the other way round.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from reconcile.store import Store, now

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, Decimals and datetimes as strings: one text per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_jsonable, ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _ts(value)
    return str(value)


def from_epoch_us(value: int) -> datetime:
    """A UTC datetime from DuckDB's ``epoch_us`` (exact, no float)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class AuditEntry:
    """One row of the log."""

    seq: int
    logged_at: datetime
    actor: str
    action: str
    exception_id: str | None
    before: Any
    after: Any
    prev_hash: str
    hash: str


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    logged_at: datetime,
    actor: str,
    action: str,
    exception_id: str | None,
    before: Any,
    after: Any,
) -> str:
    """The chain link: sha256 of the previous hash and this entry's canonical JSON."""
    body = canonical_json(
        {
            "seq": seq,
            "logged_at": _ts(logged_at),
            "actor": actor,
            "action": action,
            "exception_id": exception_id,
            "before": before,
            "after": after,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _normalise(value: Any) -> Any:
    """The value as it reads back from the JSON column (so append and verify hash the same thing)."""
    return None if value is None else json.loads(canonical_json(value))


def _append(
    cur: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    exception_id: str | None,
    before: Any,
    after: Any,
) -> AuditEntry:
    last = cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq = int(last[0]) + 1 if last else 1
    prev = str(last[1]) if last else GENESIS
    logged_at = now()  # microsecond precision, exactly what TIMESTAMPTZ keeps
    before_n, after_n = _normalise(before), _normalise(after)
    digest = entry_hash(
        prev,
        seq=seq,
        logged_at=logged_at,
        actor=actor,
        action=action,
        exception_id=exception_id,
        before=before_n,
        after=after_n,
    )
    cur.execute(
        "INSERT INTO audit_log (seq, logged_at, actor, action, exception_id, before, after, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            seq,
            logged_at,
            actor,
            action,
            exception_id,
            None if before_n is None else canonical_json(before_n),
            None if after_n is None else canonical_json(after_n),
            prev,
            digest,
        ],
    )
    return AuditEntry(seq, logged_at, actor, action, exception_id, before_n, after_n, prev, digest)


def append(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    exception_id: str | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry; give the cursor of the transaction that makes the change it records."""
    if isinstance(store_or_cursor, Store):
        with store_or_cursor.transaction() as tx:
            return _append(tx, actor, action, exception_id, before, after)
    return _append(store_or_cursor, actor, action, exception_id, before, after)


_COLS = "seq, logged_at, actor, action, exception_id, before, after, prev_hash, hash"


def entries(store: Store, exception_id: str | None = None) -> pl.DataFrame:
    """The log in order (optionally of one exception), ``before``/``after`` as JSON text."""
    where = " WHERE exception_id = ?" if exception_id else ""
    params = [exception_id] if exception_id else None
    frame = store.query(
        f"SELECT seq, logged_at, actor, action, exception_id, CAST(before AS VARCHAR) AS before, "
        f"CAST(after AS VARCHAR) AS after, prev_hash, hash FROM audit_log{where} ORDER BY seq",
        params,
    )
    if frame.is_empty():
        return pl.DataFrame(
            schema={
                "seq": pl.Int64,
                "logged_at": pl.Datetime("us", "UTC"),
                "actor": pl.String,
                "action": pl.String,
                "exception_id": pl.String,
                "before": pl.String,
                "after": pl.String,
                "prev_hash": pl.String,
                "hash": pl.String,
            }
        )
    return frame


def verify(store: Store) -> list[str]:
    """Every break in the chain, one sentence each; an empty list means the log is intact."""
    cur = store.cursor()
    try:
        rows = cur.execute(
            # epoch_us: fetching TIMESTAMPTZ into Python needs pytz, which we do not ship.
            "SELECT seq, epoch_us(logged_at), actor, action, exception_id, CAST(before AS VARCHAR), "
            "CAST(after AS VARCHAR), prev_hash, hash FROM audit_log ORDER BY seq"
        ).fetchall()
    finally:
        cur.close()
    problems: list[str] = []
    expected_seq = 1
    prev_hash = GENESIS
    for seq, logged_at, actor, action, exception_id, before, after, stored_prev, stored_hash in rows:
        seq = int(seq)
        if seq != expected_seq:
            problems.append(
                f"Audit entry {seq}: sequence gap, expected {expected_seq} (entries were deleted)."
            )
        if stored_prev != prev_hash:
            problems.append(
                f"Audit entry {seq}: broken link, prev_hash does not match entry {seq - 1}'s hash."
            )
        try:
            before_v = None if before is None else json.loads(before)
            after_v = None if after is None else json.loads(after)
        except ValueError:
            problems.append(f"Audit entry {seq}: before/after is not valid JSON (the row was edited).")
        else:
            digest = entry_hash(
                str(stored_prev),
                seq=seq,
                logged_at=from_epoch_us(logged_at),
                actor=actor,
                action=action,
                exception_id=exception_id,
                before=before_v,
                after=after_v,
            )
            if digest != stored_hash:
                problems.append(f"Audit entry {seq}: contents do not match its hash (the row was edited).")
        prev_hash = str(stored_hash)
        expected_seq = seq + 1
    return problems


@dataclass(frozen=True)
class ChainHead:
    """What a reviewer keeps to detect truncation later: the entry count and the last hash."""

    count: int
    head_hash: str


def chain_head(store: Store) -> ChainHead:
    """The log's entry count and newest hash (``GENESIS`` for an empty log)."""
    cur = store.cursor()
    try:
        row = cur.execute("SELECT count(*), arg_max(hash, seq) FROM audit_log").fetchone()
    finally:
        cur.close()
    count = int(row[0]) if row else 0
    return ChainHead(count, str(row[1]) if row and row[1] is not None else GENESIS)
