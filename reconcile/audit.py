"""The append-only, hash-chained audit log: who changed what, when, before and after.

Why a hash chain: the log is evidence at month end. Each entry's ``hash`` is
``sha256(prev_hash + canonical JSON of the entry)``, so editing, deleting or
re-ordering any row breaks the chain from that row on, and ``verify`` names it.
An entry must be appended inside the same transaction as the change it records
(pass the transaction's cursor), so a change is never logged without happening or
the other way round.

What a chain cannot see by itself, and what covers it:
- The ``decisions`` and ``pushes`` tables. An entry that writes a row of them names it
  and that row's digest (``covers``, hashed into the entry); ``verify`` reads the tables
  back and reports a row edited, deleted, or written with no entry.
- Its own end. Deleting the last entries, or rewriting an entry and re-hashing every
  entry after it, leaves a chain that links. Only a head held outside the store
  (``chain_head``: the entry count and the last hash, printed by ``audit verify``, by the
  export and at month-end sign-off) shows it: ``verify(store, expect=held)``.
- An entry appended after the held head is indistinguishable from real later work;
  ``audit verify`` says how many were added, for a reviewer to read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

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
class ChainHead:
    """The end of the chain as a reviewer holds it: how many entries, and the last one's hash."""

    count: int
    head_hash: str


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
    covers: dict[str, str] | None = None


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
    covers: dict[str, str] | None = None,
) -> str:
    """The chain link: sha256 of the previous hash and this entry's canonical JSON.

    ``covers`` joins the body only when present, so entries written before rows were
    covered keep the hashes they were written with.
    """
    fields: dict[str, Any] = {
        "seq": seq,
        "logged_at": _ts(logged_at),
        "actor": actor,
        "action": action,
        "exception_id": exception_id,
        "before": before,
        "after": after,
    }
    if covers is not None:
        fields["covers"] = covers
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


# -- the rows an entry covers ---------------------------------------------------------------------
#: table → (key column, the columns read back, in order; timestamps as epoch_us, JSON as text).
_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "decisions": (
        "id",
        (
            "id",
            "exception_id",
            "status",
            "reason_code",
            "assigned_to",
            "note",
            "decided_by",
            "epoch_us(decided_at)",
        ),
    ),
    "pushes": (
        "push_id",
        (
            "push_id",
            "exception_id",
            "direction",
            "state",
            "CAST(plan AS VARCHAR)",
            "CAST(response AS VARCHAR)",
            "reason",
            "created_by",
            "epoch_us(created_at)",
            "epoch_us(updated_at)",
        ),
    ),
    # The month-end close (reconcile/close): a sign-off binds the chain head and the
    # exceptions it signed; a mapping change names the row it wrote and what it resolved.
    "close_signoffs": (
        "id",
        (
            "id",
            "period",
            "role",
            "signed_by",
            "epoch_us(signed_at)",
            "strftime(cutoff, '%Y-%m-%d')",
            "audit_count",
            "audit_head",
            "procore_snapshot_id",
            "erp_snapshot_id",
            "diff_run_id",
            "exceptions",
            "CAST(totals AS VARCHAR)",
            "items_sha256",
        ),
    ),
    "mapping_changes": (
        "id",
        (
            "id",
            "file",
            "line",
            "before_row",
            "after_row",
            "changed_by",
            "epoch_us(changed_at)",
            "CAST(resolved AS VARCHAR)",
            "CAST(added AS VARCHAR)",
        ),
    ),
}


#: The SQL type of each covered table's key (``covers`` names a key as text).
_KEY_TYPES = {
    "decisions": "BIGINT",
    "pushes": "VARCHAR",
    "close_signoffs": "BIGINT",
    "mapping_changes": "BIGINT",
}


def _row_select(table: str) -> str:
    key, cols = _TABLES[table]
    return f"SELECT CAST({key} AS VARCHAR), {', '.join(cols)} FROM {table}"


def row_digest(table: str, values: Sequence[Any]) -> str:
    """sha256 of a covered row (decisions, pushes, close sign-offs, mapping changes) as read back by ``_row_select`` (JSON columns parsed)."""
    _, cols = _TABLES[table]
    named: dict[str, Any] = {}
    for col, value in zip(cols, values, strict=True):
        if col.startswith("CAST(") and value is not None:
            value = json.loads(value, parse_float=Decimal)
        named[col] = value
    return hashlib.sha256(canonical_json(named).encode("utf-8")).hexdigest()


def _covers(cur: duckdb.DuckDBPyConnection, table: str, key: str) -> dict[str, str]:
    if table not in _TABLES:
        raise ValueError(f"audit entries cover rows of {', '.join(_TABLES)}, not {table!r}")
    row = cur.execute(
        f"{_row_select(table)} WHERE CAST({_TABLES[table][0]} AS VARCHAR) = ?", [key]
    ).fetchone()
    if row is None:
        raise ValueError(f"there is no {table} row {key} to cover")
    return {"table": table, "key": key, "sha256": row_digest(table, row[1:])}


def _normalise(value: Any) -> Any:
    """The value as it reads back from the JSON column (so append and verify hash the same thing)."""
    return None if value is None else json.loads(canonical_json(value))


def _link(prev: str, seq: int, logged_at: datetime, p: Pending, covered: dict[str, str] | None) -> AuditEntry:
    """The entry that follows ``prev`` as ``seq``: the one place an entry is made and hashed,
    for ``append`` and ``append_many`` alike."""
    before_n, after_n = _normalise(p.before), _normalise(p.after)
    digest = entry_hash(
        prev,
        seq=seq,
        logged_at=logged_at,
        actor=p.actor,
        action=p.action,
        exception_id=p.exception_id,
        before=before_n,
        after=after_n,
        covers=covered,
    )
    return AuditEntry(
        seq, logged_at, p.actor, p.action, p.exception_id, before_n, after_n, prev, digest, covered
    )


def _head(cur: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The last entry's seq and hash (0 and ``GENESIS`` for an empty log)."""
    # fetchall, not fetchone: an unfinished result blocks the frame registered next.
    rows = cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)


def _row_values(entry: AuditEntry) -> list[Any]:
    """The entry as the ``audit_log`` columns ``_INSERT_COLS`` name (JSON columns as text)."""
    return [
        entry.seq,
        entry.logged_at,
        entry.actor,
        entry.action,
        entry.exception_id,
        None if entry.before is None else canonical_json(entry.before),
        None if entry.after is None else canonical_json(entry.after),
        entry.prev_hash,
        entry.hash,
        None if entry.covers is None else canonical_json(entry.covers),
    ]


_INSERT_COLS = "seq, logged_at, actor, action, exception_id, before, after, prev_hash, hash, covers"


def _append(cur: duckdb.DuckDBPyConnection, p: Pending) -> AuditEntry:
    """One entry in three plain statements (a decision's hot path: no frame to register)."""
    seq, prev = _head(cur)
    # The row as the table holds it now, read back on the same transaction: what verify re-reads.
    covered = _covers(cur, *p.covers) if p.covers is not None else None
    entry = _link(prev, seq + 1, now(), p, covered)  # now(): microseconds, what TIMESTAMPTZ keeps
    placeholders = ", ".join("?" * len(_INSERT_COLS.split(", ")))
    cur.execute(f"INSERT INTO audit_log ({_INSERT_COLS}) VALUES ({placeholders})", _row_values(entry))
    return entry


def append(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    exception_id: str | None = None,
    before: Any = None,
    after: Any = None,
    covers: tuple[str, str] | None = None,
) -> AuditEntry:
    """Append one entry; give the cursor of the transaction that makes the change it records.

    ``covers=("decisions", id)`` or ``("pushes", push_id)`` names the row the change wrote
    (after writing it): its digest joins the entry, so ``verify`` can check the table.
    """
    entry = Pending(actor, action, exception_id, before, after, covers)
    if isinstance(store_or_cursor, Store):
        with store_or_cursor.transaction() as tx:
            return _append(tx, entry)
    return _append(store_or_cursor, entry)


@dataclass(frozen=True)
class Pending:
    """One entry for ``append_many``: ``append``'s arguments."""

    actor: str
    action: str
    exception_id: str | None = None
    before: Any = None
    after: Any = None
    covers: tuple[str, str] | None = None


def append_many(cur: duckdb.DuckDBPyConnection, pending: Sequence[Pending]) -> list[AuditEntry]:
    """``append`` for many entries, in order, on the caller's transaction cursor.

    The same entries ``append`` one by one would write (same links, same ``covers`` digests of
    the rows as the table holds them), in a few statements however many: the chain's head read
    once, the covered rows of each table read back in one query, the entries inserted from a
    registered frame in one (DuckDB's ``executemany`` runs a statement per row). They share one
    ``logged_at``: they are one change, and the chain orders them by ``seq``.
    """
    if not pending:
        return []
    covered = _covered_many(cur, [p.covers for p in pending if p.covers is not None])
    seq, prev = _head(cur)
    logged_at = now()
    written: list[AuditEntry] = []
    for p in pending:
        seq += 1
        written.append(entry := _link(prev, seq, logged_at, p, covered.get(p.covers) if p.covers else None))
        prev = entry.hash
    columns = list(zip(*(_row_values(e) for e in written), strict=True))
    types = [pa.int64(), pa.timestamp("us", tz="UTC"), *([pa.string()] * 8)]
    frame = pa.table(
        {
            name: pa.array(list(values), kind)
            for name, values, kind in zip(_INSERT_COLS.split(", "), columns, types, strict=True)
        }
    )
    cur.register("_audit_pending", frame)
    try:
        cur.execute(f"INSERT INTO audit_log ({_INSERT_COLS}) SELECT {_INSERT_COLS} FROM _audit_pending")
    finally:
        cur.unregister("_audit_pending")
    return written


def _covered_many(
    cur: duckdb.DuckDBPyConnection, covers: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, str]]:
    """Each covered row's ``covers`` (its digest as the table holds it), one query per table
    (``_covers`` for many)."""
    digests: dict[tuple[str, str], dict[str, str]] = {}
    for table in dict.fromkeys(t for t, _ in covers):
        if table not in _TABLES:
            raise ValueError(f"audit entries cover rows of {', '.join(_TABLES)}, not {table!r}")
        keys = sorted({k for t, k in covers if t == table})
        cur.register("_audit_keys", pa.table({"key": pa.array(keys, pa.string())}))
        try:
            rows = cur.execute(
                f"{_row_select(table)} WHERE {_TABLES[table][0]} IN "
                f"(SELECT CAST(key AS {_KEY_TYPES[table]}) FROM _audit_keys)"
            ).fetchall()
        finally:
            cur.unregister("_audit_keys")
        for row in rows:
            key = str(row[0])
            digests[(table, key)] = {"table": table, "key": key, "sha256": row_digest(table, row[1:])}
        for key in keys:
            if (table, key) not in digests:
                raise ValueError(f"there is no {table} row {key} to cover")
    return digests


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


def chain_head(store: Store) -> ChainHead:
    """The chain's end as a reviewer should hold it (``GENESIS`` and 0 for an empty log)."""
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT (SELECT count(*) FROM audit_log), (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1)"
        ).fetchone()
    finally:
        cur.close()
    count = int(row[0]) if row else 0
    return ChainHead(count, str(row[1]) if row and row[1] is not None else GENESIS)


def verify(store: Store, expect: ChainHead | None = None) -> list[str]:
    """Every break in the chain, in the tables it covers, and against a held head; empty = intact."""
    cur = store.cursor()
    try:
        rows = cur.execute(
            # epoch_us: fetching TIMESTAMPTZ into Python needs pytz, which we do not ship.
            "SELECT seq, epoch_us(logged_at), actor, action, exception_id, CAST(before AS VARCHAR), "
            "CAST(after AS VARCHAR), prev_hash, hash, CAST(covers AS VARCHAR) FROM audit_log ORDER BY seq"
        ).fetchall()
        tables = {t: cur.execute(_row_select(t)).fetchall() for t in _TABLES}
    finally:
        cur.close()
    problems = _chain_problems(rows)
    problems += _table_problems(rows, tables)
    if expect is not None:
        problems += _head_problems(rows, expect)
    return problems


def _chain_problems(rows: list[tuple[Any, ...]]) -> list[str]:
    problems: list[str] = []
    expected_seq = 1
    prev_hash = GENESIS
    for seq, logged_at, actor, action, exception_id, before, after, stored_prev, stored_hash, covers in rows:
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
            covers_v = None if covers is None else json.loads(covers)
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
                covers=covers_v,
            )
            if digest != stored_hash:
                problems.append(f"Audit entry {seq}: contents do not match its hash (the row was edited).")
        prev_hash = str(stored_hash)
        expected_seq = seq + 1
    return problems


def _table_problems(rows: list[tuple[Any, ...]], tables: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Cross-check ``decisions`` and ``pushes`` against the entries that cover their rows.

    A decision row is written once, so exactly one entry covers it; a push row changes
    state, so its latest covering entry must match it as it is now. Rows of a store
    written before entries covered rows (decision entries without ``covers``) are only
    checked from the first covered row on.
    """
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    claims: dict[tuple[str, str], list[int]] = {}
    legacy_pushes: set[str] = set()
    legacy = False
    for seq, _, _, action, _, _, after, _, _, covers in rows:
        try:
            c = json.loads(covers) if covers is not None else None
        except ValueError:
            continue  # already reported as an edited entry
        if isinstance(c, dict) and {"table", "key", "sha256"} <= set(c):
            ident = (str(c["table"]), str(c["key"]))
            latest[ident] = (int(seq), str(c["sha256"]))
            claims.setdefault(ident, []).append(int(seq))
        elif c is None and str(action).startswith("decision:"):
            legacy = True
        if c is None and after is not None and legacy:
            try:
                named = json.loads(after).get("push_id")
            except (ValueError, AttributeError):
                named = None
            if named:
                legacy_pushes.add(str(named))
    covered_ids = [int(k) for t, k in latest if t == "decisions" and k.lstrip("-").isdigit()]
    first_covered = min(covered_ids) if covered_ids else None

    problems: list[str] = []
    for table, table_rows in tables.items():
        present = {str(r[0]): row_digest(table, r[1:]) for r in table_rows}
        for key, digest in present.items():
            ident = (table, key)
            if ident not in latest:
                if legacy and (
                    (table == "decisions" and (first_covered is None or int(key) < first_covered))
                    or (table == "pushes" and key in legacy_pushes)
                ):
                    continue
                problems.append(
                    f"The {table} row {key} is in no audit entry: it was written outside Tieout, "
                    "or its audit entry was deleted."
                )
                continue
            seq, recorded = latest[ident]
            if table == "decisions" and len(claims[ident]) > 1:
                problems.append(
                    f"The decisions row {key} is claimed by audit entries "
                    f"{', '.join(map(str, claims[ident]))}; a decision is recorded once."
                )
            if digest != recorded:
                problems.append(
                    f"The {table} row {key} differs from what audit entry {seq} recorded (the row was edited)."
                )
        for (t, key), (seq, _) in sorted(latest.items(), key=lambda kv: kv[1][0]):
            if t == table and key not in present:
                problems.append(
                    f"The {table} row {key}, recorded by audit entry {seq}, is gone (the row was deleted)."
                )
    return problems


def _head_problems(rows: list[tuple[Any, ...]], expect: ChainHead) -> list[str]:
    """The log must still hold the held head: as many entries at least, and the same hash at its end."""
    if len(rows) < expect.count:
        return [
            f"The audit log has {len(rows)} entries; the held head says {expect.count}: entries were deleted."
        ]
    at = GENESIS if expect.count == 0 else str(rows[expect.count - 1][8])
    if at != expect.head_hash:
        return [
            f"Audit entry {expect.count}'s hash is not the held head: the log was rewritten "
            f"at or before entry {expect.count}."
        ]
    return []
