"""The DuckDB snapshot store: one file per profile holding every pull, diff and decision.

Why snapshots: month-end numbers must be reproducible. A pull writes into a new
snapshot id and the source's *current* pointer moves only when the pull completes,
in one transaction, so a failed or interrupted pull never leaves half a picture.

Threading: DuckDB allows one writer process per file. Inside the process, each
thread takes its own cursor (``Store.cursor()``); the connection itself is shared.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from reconcile.canonical import ERP_BASE_TABLES, MONEY_SQL, conform, sql_type, stored_schema
from reconcile.store_v1 import V1_CANONICAL_DDL


class StoreError(Exception):
    """The store file cannot be opened or is from a newer Tieout."""


#: Ordered migrations. Never edit one that has shipped; append a new one.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE SEQUENCE snapshot_ids START 1",
        """CREATE TABLE snapshots (
            id BIGINT PRIMARY KEY DEFAULT nextval('snapshot_ids'),
            source VARCHAR NOT NULL,          -- 'procore' | 'erp' | 'identity'
            kind VARCHAR NOT NULL,            -- 'full' | 'incremental'
            base_snapshot_id BIGINT,          -- the snapshot an incremental pull builds on
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status VARCHAR NOT NULL,          -- 'running' | 'complete' | 'failed' | 'interrupted'
            requests BIGINT NOT NULL DEFAULT 0,
            records BIGINT NOT NULL DEFAULT 0,
            error VARCHAR,
            high_water VARCHAR                -- JSON: per-resource change stamps for the next incremental pull
        )""",
        """CREATE TABLE current_snapshots (
            source VARCHAR PRIMARY KEY,
            snapshot_id BIGINT NOT NULL
        )""",
        """CREATE TABLE snapshot_stats (
            snapshot_id BIGINT NOT NULL,
            resource VARCHAR NOT NULL,
            requests BIGINT NOT NULL,
            records BIGINT NOT NULL,
            seconds DOUBLE NOT NULL,
            wait_seconds DOUBLE NOT NULL DEFAULT 0,
            PRIMARY KEY (snapshot_id, resource)
        )""",
        # Raw payloads exactly as the API sent them (one JSON object per record).
        """CREATE TABLE raw_records (
            snapshot_id BIGINT NOT NULL,
            resource VARCHAR NOT NULL,
            scope VARCHAR NOT NULL,           -- e.g. the project or contract the page belonged to
            record_key VARCHAR NOT NULL,
            payload JSON NOT NULL
        )""",
        "CREATE INDEX raw_records_snap ON raw_records(snapshot_id, resource)",
        # Checkpoints: which (resource, scope) units of a running pull are complete.
        """CREATE TABLE pull_checkpoints (
            snapshot_id BIGINT NOT NULL,
            resource VARCHAR NOT NULL,
            scope VARCHAR NOT NULL,
            requests BIGINT NOT NULL,
            records BIGINT NOT NULL,
            PRIMARY KEY (snapshot_id, resource, scope)
        )""",
        *V1_CANONICAL_DDL,
        "CREATE SEQUENCE diff_run_ids START 1",
        """CREATE TABLE diff_runs (
            id BIGINT PRIMARY KEY DEFAULT nextval('diff_run_ids'),
            ran_at TIMESTAMPTZ NOT NULL,
            procore_snapshot_id BIGINT,
            erp_snapshot_id BIGINT,
            exceptions BIGINT NOT NULL,
            mappings_fingerprint VARCHAR
        )""",
        # One row per exception id ever seen. is_open = present in the latest diff run.
        f"""CREATE TABLE exceptions (
            exception_id VARCHAR PRIMARY KEY,
            object VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            project VARCHAR,
            field VARCHAR,
            erp_value VARCHAR,
            procore_value VARCHAR,
            difference {MONEY_SQL},
            rule VARCHAR NOT NULL,
            detail JSON,                      -- mapping rows used, record references
            first_seen TIMESTAMPTZ NOT NULL,
            last_seen TIMESTAMPTZ NOT NULL,
            last_diff_run_id BIGINT NOT NULL,
            is_open BOOLEAN NOT NULL
        )""",
        # Decisions are history; the latest row per exception is its status.
        "CREATE SEQUENCE decision_ids START 1",
        """CREATE TABLE decisions (
            id BIGINT PRIMARY KEY DEFAULT nextval('decision_ids'),
            exception_id VARCHAR NOT NULL,
            status VARCHAR NOT NULL,          -- open | approved | pushed | failed | explained
            reason_code VARCHAR,
            assigned_to VARCHAR,              -- 'project_team' | 'erp_team'
            note VARCHAR,
            decided_by VARCHAR NOT NULL,
            decided_at TIMESTAMPTZ NOT NULL
        )""",
        # Append-only, hash-chained.
        """CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY,
            logged_at TIMESTAMPTZ NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            exception_id VARCHAR,
            before JSON,
            after JSON,
            prev_hash VARCHAR NOT NULL,
            hash VARCHAR NOT NULL
        )""",
        """CREATE TABLE pushes (
            push_id VARCHAR PRIMARY KEY,
            exception_id VARCHAR NOT NULL,
            direction VARCHAR NOT NULL,       -- erp_to_procore | procore_to_erp
            state VARCHAR NOT NULL,           -- planned | sending | done | failed | refused
            plan JSON NOT NULL,               -- method, url, body, target as read
            response JSON,
            reason VARCHAR,
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        )""",
    ],
    # 2: a checkpointed unit remembers whether it was re-read in full, so a resumed
    # incremental pull does not carry forward the base copy of a unit it already replaced.
    ["ALTER TABLE pull_checkpoints ADD COLUMN replaced BOOLEAN DEFAULT FALSE"],
    # 3: an audit entry names the decisions or pushes row it wrote and that row's digest
    # (hashed into the chain), so `audit verify` catches an edited or deleted row.
    ["ALTER TABLE audit_log ADD COLUMN covers JSON"],
    # 4: the ERP seam. SAP's WBS table becomes the generic hierarchy of any ERP's nested
    # dimension (SAP WBS elements, EBS tasks). Dimension columns of other ERP kinds are added
    # when a pull first writes them (``Store.complete_snapshot``).
    [
        "CREATE TABLE erp_hierarchy (snapshot_id BIGINT NOT NULL, node VARCHAR, project VARCHAR, "
        "parent VARCHAR, level BIGINT, description VARCHAR)",
        "INSERT INTO erp_hierarchy SELECT snapshot_id, wbs_element, project, parent_wbs, level, description "
        "FROM erp_wbs",
        "DROP TABLE erp_wbs",
        "CREATE INDEX erp_hierarchy_snap ON erp_hierarchy(snapshot_id)",
    ],
    # 5: the month-end close (reconcile/close): periods, sign-offs, the exceptions each
    # sign-off bound, audited mapping changes, and the date that places a Procore actual in a period.
    [
        """CREATE TABLE closes (
            period VARCHAR PRIMARY KEY,       -- YYYY-MM
            cutoff DATE NOT NULL,             -- records dated after it belong to the next period
            opened_by VARCHAR NOT NULL,
            opened_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE SEQUENCE close_signoff_ids START 1",
        """CREATE TABLE close_signoffs (
            id BIGINT PRIMARY KEY DEFAULT nextval('close_signoff_ids'),
            period VARCHAR NOT NULL,
            role VARCHAR NOT NULL,            -- 'analyst' (signs) | 'reviewer' (locks)
            signed_by VARCHAR NOT NULL,
            signed_at TIMESTAMPTZ NOT NULL,
            cutoff DATE NOT NULL,
            audit_count BIGINT NOT NULL,      -- the chain head the sign-off is bound to
            audit_head VARCHAR NOT NULL,
            procore_snapshot_id BIGINT,
            erp_snapshot_id BIGINT,
            diff_run_id BIGINT,
            exceptions BIGINT NOT NULL,
            totals JSON NOT NULL,             -- per project and object: ERP, Procore, difference
            items_sha256 VARCHAR NOT NULL     -- digest of the close_items rows it bound
        )""",
        f"""CREATE TABLE close_items (
            period VARCHAR NOT NULL,
            exception_id VARCHAR NOT NULL,
            object VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            project VARCHAR,
            field VARCHAR,
            erp_value VARCHAR,
            procore_value VARCHAR,
            difference {MONEY_SQL},
            rule VARCHAR,
            status VARCHAR NOT NULL,
            reason_code VARCHAR,
            assigned_to VARCHAR,
            note VARCHAR,
            decided_by VARCHAR,
            decided_at TIMESTAMPTZ,
            first_seen TIMESTAMPTZ,
            is_open BOOLEAN NOT NULL,
            PRIMARY KEY (period, exception_id)
        )""",
        "CREATE SEQUENCE mapping_change_ids START 1",
        """CREATE TABLE mapping_changes (
            id BIGINT PRIMARY KEY DEFAULT nextval('mapping_change_ids'),
            file VARCHAR NOT NULL,            -- projects.csv | cost_codes.csv | vendors.csv
            line BIGINT,                      -- the line replaced; NULL when a row was added
            before_row VARCHAR,
            after_row VARCHAR NOT NULL,
            changed_by VARCHAR NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL,
            resolved JSON NOT NULL,           -- exception ids the change resolved
            added JSON NOT NULL               -- exception ids it brought up
        )""",
        "ALTER TABLE procore_actual_lines ADD COLUMN IF NOT EXISTS document_date DATE",
    ],
    # 6: an exception's decisions found through an index, not a scan: the detail, a decision
    # and its audit read the latest one of a single exception, on a table that grows by one
    # row per decision (a million after a large close).
    [
        "CREATE INDEX decisions_exception ON decisions(exception_id)",
    ],
    # 7: the ERP side of the cut-off: the date that places an ERP actual in a period (the
    # posting date, or the last day of the fiscal period the ERP reports it in).
    ["ALTER TABLE erp_actuals ADD COLUMN IF NOT EXISTS posting_date DATE"],
]


@dataclass(frozen=True)
class Snapshot:
    """One pull of one source."""

    id: int
    source: str
    kind: str
    base_snapshot_id: int | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    requests: int
    records: int
    error: str | None
    high_water: dict[str, Any]


@dataclass(frozen=True)
class ResourceStat:
    """What a pull spent on one resource: the table a pull ends with."""

    resource: str
    requests: int
    records: int
    seconds: float
    wait_seconds: float = 0.0


#: DuckDB's lock conflict names the holder: 'Conflicting lock is held in /usr/bin/python3 (PID 4242)'.
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def _open_error(path: Path, exc: duckdb.Error) -> str:
    """One sentence for a failed open; a lock conflict names the process that holds the file.

    DuckDB lets one process write a file, or several read it, never both: while another
    process (usually the workstation, or a pull from cron) has it open for writing, nothing
    else can open it, not even read-only.
    """
    text = str(exc)
    held = _LOCK_HOLDER.search(text)
    if held:
        program = Path(held["program"]).name
        return (
            f"The store {path} is in use by process {held['pid']} ({program}), probably the workstation "
            "or a pull; close it or wait for it to finish, then try again."
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"Cannot open the store {path}: {first}"


def now() -> datetime:
    """The store's clock: timezone-aware UTC."""
    return datetime.now(UTC)


class Store:
    """A DuckDB file holding snapshots, canonical tables, exceptions, decisions and audit.

    ``read_only`` opens the file without the write lock (for verbs that only read) and never
    migrates it; ``create`` says whether a missing file may be created (in an existing folder
    only: a typo in ``store`` must not silently start an empty store somewhere new). Use it as
    a context manager, or call ``close()``.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, create: bool = True) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if not self.path.exists():
            if not self.path.parent.is_dir():
                raise StoreError(
                    f"The store's folder {self.path.parent} does not exist; create it or fix `store` in the profile."
                )
            if read_only or not create:
                raise StoreError(f"The store {self.path} does not exist yet; run `tieout pull` first.")
        if self.path.is_dir():
            raise StoreError(f"The store {self.path} is a folder; `store` must name a DuckDB file.")
        self._lock = threading.RLock()
        self._closed = False
        self._used = time.monotonic()
        self._con: duckdb.DuckDBPyConnection | None = self._connect()
        try:
            if read_only:
                self._check_version()
            else:
                self._migrate()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connection -------------------------------------------------------------
    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.Error as exc:
            raise StoreError(_open_error(self.path, exc)) from None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not thread-safe).

        Reopens the file after ``release()``; a ``StoreError`` names the process that holds
        it if another one opened it meanwhile.
        """
        with self._lock:
            if self._closed:
                raise StoreError(f"The store {self.path} is closed.")
            if self._con is None:
                self._con = self._connect()
            self._used = time.monotonic()
            return self._con.cursor()

    def idle_seconds(self) -> float:
        """Seconds since the last cursor was taken: how long nothing has read or written."""
        return time.monotonic() - self._used

    def release(self) -> None:
        """Let go of the file until the next use, so another process can open it.

        DuckDB lets one process write a file or several read it, never both, so a long-lived
        program (the workstation) that keeps its connection open locks out every read-only
        command. Call this when idle, and only when no cursor of this store is in use: the
        next ``cursor()`` reopens the file.
        """
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def close(self) -> None:
        """Close the file for good."""
        with self._lock:
            self.release()
            self._closed = True

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block atomically on a fresh cursor; roll back on any error."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a read query and return a Polars frame."""
        cur = self.cursor()
        try:
            frame: pl.DataFrame = cur.sql(sql, params=list(params) if params else None).pl()
            return frame
        finally:
            cur.close()

    # -- schema -----------------------------------------------------------------
    def _version(self) -> int:
        row = self._one("SELECT max(version) FROM schema_version")
        return int(row[0]) if row and row[0] is not None else 0

    def _check_version(self) -> None:
        """A read-only open cannot migrate: refuse a file from another Tieout version."""
        try:
            version = self._version()
        except duckdb.Error:
            raise StoreError(f"{self.path} is not a Tieout store (it has no schema version).") from None
        if version != len(MIGRATIONS):
            newer = version > len(MIGRATIONS)
            raise StoreError(
                f"The store {self.path} is schema version {version}; this Tieout knows {len(MIGRATIONS)}"
                + ("." if newer else "; run `tieout diff` or `tieout pull` once to upgrade it.")
            )

    def _migrate(self) -> None:
        with self.transaction() as tx:
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        version = self._version()
        if version > len(MIGRATIONS):
            raise StoreError(
                f"The store {self.path} is schema version {version}; this Tieout knows {len(MIGRATIONS)}."
            )
        for number, steps in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction() as tx:
                for sql in steps:
                    tx.execute(sql)
                tx.execute("INSERT INTO schema_version VALUES (?)", [number])

    def _one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        """One row of a statement, on a cursor that is closed afterwards."""
        cur = self.cursor()
        try:
            return cur.execute(sql, list(params) if params else None).fetchone()
        finally:
            cur.close()

    def _exec(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement on a cursor that is closed afterwards."""
        cur = self.cursor()
        try:
            cur.execute(sql, list(params) if params else None)
        finally:
            cur.close()

    def _all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """All rows of a statement, on a cursor that is closed afterwards."""
        cur = self.cursor()
        try:
            return cur.execute(sql, list(params) if params else None).fetchall()
        finally:
            cur.close()

    @property
    def schema_version(self) -> int:
        """The migration the file is at."""
        return self._version()

    # -- snapshots --------------------------------------------------------------
    def begin_snapshot(self, source: str, kind: str, base_snapshot_id: int | None = None) -> int:
        """Open a new running snapshot; it is not current until ``complete_snapshot``."""
        row = self._one(
            "INSERT INTO snapshots (source, kind, base_snapshot_id, started_at, status) "
            "VALUES (?, ?, ?, ?, 'running') RETURNING id",
            [source, kind, base_snapshot_id, now()],
        )
        assert row is not None
        return int(row[0])

    def complete_snapshot(
        self,
        snapshot_id: int,
        stats: Iterable[ResourceStat],
        canonical: dict[str, pl.DataFrame],
        high_water: dict[str, Any] | None = None,
    ) -> None:
        """Write the canonical tables and make the snapshot current, all in one transaction."""
        stats = list(stats)
        with self.transaction() as tx:
            snap = tx.execute("SELECT source FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
            assert snap is not None, f"no snapshot {snapshot_id}"
            source = str(snap[0])
            for table, frame in canonical.items():
                schema = stored_schema(table, frame.columns)
                frame = conform(table, frame, of=schema).with_columns(
                    pl.lit(snapshot_id, pl.Int64).alias("snapshot_id")
                )
                self._add_dimension_columns(tx, table, schema)
                cols = ", ".join(["snapshot_id", *(f'"{c}"' for c in schema)])
                tx.execute(f"DELETE FROM {table} WHERE snapshot_id = ?", [snapshot_id])
                tx.register("_incoming", frame.select(["snapshot_id", *schema]).to_arrow())
                tx.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
                tx.unregister("_incoming")
            tx.execute("DELETE FROM snapshot_stats WHERE snapshot_id = ?", [snapshot_id])
            for s in stats:
                tx.execute(
                    "INSERT INTO snapshot_stats VALUES (?, ?, ?, ?, ?, ?)",
                    [snapshot_id, s.resource, s.requests, s.records, s.seconds, s.wait_seconds],
                )
            tx.execute(
                "UPDATE snapshots SET status = 'complete', finished_at = ?, requests = ?, records = ?, "
                "error = NULL, high_water = ? WHERE id = ?",
                [
                    now(),
                    sum(s.requests for s in stats),
                    sum(s.records for s in stats),
                    json.dumps(high_water or {}),
                    snapshot_id,
                ],
            )
            tx.execute(
                "INSERT OR REPLACE INTO current_snapshots VALUES (?, ?)",
                [source, snapshot_id],
            )

    def fail_snapshot(self, snapshot_id: int, error: str, *, interrupted: bool = False) -> None:
        """Mark a pull failed (or interrupted, so it can resume); the current snapshot is untouched."""
        self._exec(
            "UPDATE snapshots SET status = ?, finished_at = ?, error = ? WHERE id = ?",
            ["interrupted" if interrupted else "failed", now(), error, snapshot_id],
        )

    def _snapshot_from_row(self, row: tuple[Any, ...]) -> Snapshot:
        return Snapshot(
            id=int(row[0]),
            source=row[1],
            kind=row[2],
            base_snapshot_id=row[3],
            started_at=row[4],
            finished_at=row[5],
            status=row[6],
            requests=int(row[7]),
            records=int(row[8]),
            error=row[9],
            high_water=json.loads(row[10]) if row[10] else {},
        )

    _SNAP_COLS = "id, source, kind, base_snapshot_id, started_at, finished_at, status, requests, records, error, high_water"

    def snapshot(self, snapshot_id: int) -> Snapshot | None:
        """One snapshot by id."""
        row = self._one(f"SELECT {self._SNAP_COLS} FROM snapshots WHERE id = ?", [snapshot_id])
        return self._snapshot_from_row(row) if row else None

    def current_snapshot(self, source: str) -> Snapshot | None:
        """The last complete snapshot of ``source``, or None before the first pull."""
        row = self._one("SELECT snapshot_id FROM current_snapshots WHERE source = ?", [source])
        return self.snapshot(int(row[0])) if row else None

    def latest_snapshot(self, source: str) -> Snapshot | None:
        """The most recent snapshot of ``source`` in any state (to offer a resume)."""
        row = self._one(
            f"SELECT {self._SNAP_COLS} FROM snapshots WHERE source = ? ORDER BY id DESC LIMIT 1",
            [source],
        )
        return self._snapshot_from_row(row) if row else None

    def snapshot_stats(self, snapshot_id: int) -> list[ResourceStat]:
        """Per-resource requests, records and seconds of a pull."""
        rows = self._all(
            "SELECT resource, requests, records, seconds, wait_seconds FROM snapshot_stats "
            "WHERE snapshot_id = ? ORDER BY resource",
            [snapshot_id],
        )
        return [ResourceStat(r[0], int(r[1]), int(r[2]), float(r[3]), float(r[4])) for r in rows]

    # -- raw payloads and checkpoints -------------------------------------------
    def add_raw(
        self, snapshot_id: int, resource: str, scope: str, records: Sequence[tuple[str, dict[str, Any]]]
    ) -> None:
        """Keep the API's payloads of one page (replacing earlier copies of the same keys)."""
        self.write_pull_batch(snapshot_id, [(resource, scope, k, p) for k, p in records], [])

    def write_pull_batch(
        self,
        snapshot_id: int,
        rows: Sequence[tuple[str, str, str, dict[str, Any]]],
        checkpoints: Sequence[tuple[str, str, int, int, bool]],
    ) -> None:
        """Store buffered pages and the checkpoints of the units they complete, atomically.

        ``rows`` are ``(resource, scope, record_key, payload)``; a key seen again replaces its
        earlier copy. ``checkpoints`` are ``(resource, scope, requests, records, replaced)``:
        a checkpointed unit is complete and not read again on resume; ``replaced`` says it was
        re-read in full, so the base snapshot's copy must not be carried forward.

        One transaction per batch: a checkpoint is never stored without its records, and a
        pull of thousands of small pages is not thousands of statements.
        """
        if not rows and not checkpoints:
            return
        with self.transaction() as tx:
            if rows:
                frame = pl.DataFrame(
                    {
                        "snapshot_id": [snapshot_id] * len(rows),
                        "resource": [r[0] for r in rows],
                        "scope": [r[1] for r in rows],
                        "record_key": [r[2] for r in rows],
                        "payload": [json.dumps(r[3], default=str) for r in rows],
                    },
                    schema={
                        "snapshot_id": pl.Int64,
                        "resource": pl.String,
                        "scope": pl.String,
                        "record_key": pl.String,
                        "payload": pl.String,
                    },
                ).unique(["resource", "record_key"], keep="last", maintain_order=True)
                tx.register("_raw", frame.to_arrow())
                tx.execute(
                    "DELETE FROM raw_records r WHERE r.snapshot_id = ? AND EXISTS (SELECT 1 FROM _raw n "
                    "WHERE n.resource = r.resource AND n.record_key = r.record_key)",
                    [snapshot_id],
                )
                tx.execute(
                    "INSERT INTO raw_records SELECT snapshot_id, resource, scope, record_key, payload FROM _raw"
                )
                tx.unregister("_raw")
            if checkpoints:
                # One statement over a registered frame: DuckDB's executemany runs a statement
                # per row (about 5 ms each against the key index), which made checkpoints the
                # slowest part of a 2,000-contract pull.
                units = pl.DataFrame(
                    [[snapshot_id, *c] for c in checkpoints],
                    schema={
                        "snapshot_id": pl.Int64,
                        "resource": pl.String,
                        "scope": pl.String,
                        "requests": pl.Int64,
                        "records": pl.Int64,
                        "replaced": pl.Boolean,
                    },
                    orient="row",
                ).unique(["resource", "scope"], keep="last", maintain_order=True)
                tx.register("_units", units.to_arrow())
                tx.execute(
                    "INSERT OR REPLACE INTO pull_checkpoints "
                    "(snapshot_id, resource, scope, requests, records, replaced) "
                    "SELECT snapshot_id, resource, scope, requests, records, replaced FROM _units"
                )
                tx.unregister("_units")

    def carry_forward_raw(
        self,
        from_snapshot: int,
        to_snapshot: int,
        replaced: Iterable[tuple[str, str]] = (),
    ) -> int:
        """Copy the base snapshot's payloads the pull did not re-read into the new snapshot.

        A record is carried unless the new snapshot already holds its key, or its
        (resource, scope) unit was re-read in full (then its absence means it was deleted).
        Returns the number of records carried.
        """
        units = pl.DataFrame(
            [list(u) for u in replaced] or None,
            schema={"resource": pl.String, "scope": pl.String},
            orient="row",
        )
        with self.transaction() as tx:
            tx.register("_replaced", units.to_arrow())
            row = tx.execute(
                "INSERT INTO raw_records SELECT ?, r.resource, r.scope, r.record_key, r.payload FROM raw_records r "
                "WHERE r.snapshot_id = ? "
                "AND NOT EXISTS (SELECT 1 FROM _replaced u WHERE u.resource = r.resource AND u.scope = r.scope) "
                "AND NOT EXISTS (SELECT 1 FROM raw_records n WHERE n.snapshot_id = ? "
                "AND n.resource = r.resource AND n.record_key = r.record_key)",
                [to_snapshot, from_snapshot, to_snapshot],
            ).fetchone()
            tx.unregister("_replaced")
        return int(row[0]) if row else 0

    def delete_raw_scope(self, snapshot_id: int, resource: str, scope: str) -> None:
        """Drop a scope's carried-forward payloads before it is re-read in full."""
        self._exec(
            "DELETE FROM raw_records WHERE snapshot_id = ? AND resource = ? AND scope = ?",
            [snapshot_id, resource, scope],
        )

    def raw(self, snapshot_id: int, resource: str) -> list[dict[str, Any]]:
        """The payloads of one resource in a snapshot, in key order."""
        rows = self._all(
            "SELECT payload FROM raw_records WHERE snapshot_id = ? AND resource = ? ORDER BY scope, record_key",
            [snapshot_id, resource],
        )
        return [json.loads(r[0]) for r in rows]

    def raw_with_scope(self, snapshot_id: int, resource: str) -> list[tuple[str, dict[str, Any]]]:
        """(scope, payload) pairs of one resource in a snapshot."""
        rows = self._all(
            "SELECT scope, payload FROM raw_records WHERE snapshot_id = ? AND resource = ? "
            "ORDER BY scope, record_key",
            [snapshot_id, resource],
        )
        return [(r[0], json.loads(r[1])) for r in rows]

    def replaced_units(self, snapshot_id: int) -> set[tuple[str, str]]:
        """The checkpointed units a pull re-read in full (their base copy is not carried forward)."""
        rows = self._all(
            "SELECT resource, scope FROM pull_checkpoints WHERE snapshot_id = ? AND replaced",
            [snapshot_id],
        )
        return {(r[0], r[1]) for r in rows}

    def done_units(self, snapshot_id: int) -> set[tuple[str, str]]:
        """The (resource, scope) units a running or interrupted pull has finished."""
        rows = self._all("SELECT resource, scope FROM pull_checkpoints WHERE snapshot_id = ?", [snapshot_id])
        return {(r[0], r[1]) for r in rows}

    def reopen_snapshot(self, snapshot_id: int) -> None:
        """Mark an interrupted snapshot running again (resume)."""
        self._exec(
            "UPDATE snapshots SET status = 'running', error = NULL, finished_at = NULL WHERE id = ?",
            [snapshot_id],
        )

    # -- canonical tables -------------------------------------------------------
    def canonical(self, table: str, snapshot_id: int | None = None) -> pl.DataFrame:
        """A canonical table of the given (default: current) snapshot, without snapshot_id."""
        if snapshot_id is None:
            source = "procore" if table.startswith("procore_") else "erp"
            snap = self.current_snapshot(source)
            if snap is None:
                return conform(table, pl.DataFrame())
            snapshot_id = snap.id
        cur = self.cursor()
        try:
            schema = stored_schema(table, self._columns(cur, table))
            cols = ", ".join(f'"{c}"' for c in schema)
            frame = cur.sql(f"SELECT {cols} FROM {table} WHERE snapshot_id = {int(snapshot_id)}").pl()
        finally:
            cur.close()
        return conform(table, frame, of=schema)

    @staticmethod
    def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
        rows = cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def _add_dimension_columns(
        self, tx: duckdb.DuckDBPyConnection, table: str, schema: Mapping[str, pl.DataType]
    ) -> None:
        """An ERP kind's dimension columns, added the first time a pull of that kind writes them
        (names are checked by its ``ErpShape``; quoted all the same)."""
        if table not in ERP_BASE_TABLES:
            return
        have = set(self._columns(tx, table))
        for name, dtype in schema.items():
            if name not in have:
                tx.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {sql_type(dtype)}')
