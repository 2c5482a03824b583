"""Read-side queries of the workstation: the exceptions grid, the home summary, detail, audit.

Why here and not in the app: filtering a million exceptions must happen in DuckDB, not in a
widget, and the same queries serve the CLI and tests headless. Every user value reaches SQL
as a bound parameter; only column names (checked against ``GRID_COLUMNS``) are spliced in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pyarrow as pa

from reconcile.decisions import LATEST_DECISION_OF, LATEST_DECISIONS
from reconcile.store import Store

#: The exception report's columns (shared/interfaces.md section 5), in order.
REPORT_COLUMNS: tuple[str, ...] = (
    "exception_id",
    "object",
    "kind",
    "key",
    "project",
    "field",
    "erp_value",
    "procore_value",
    "difference",
    "status",
    "rule",
    "first_seen",
    "decided_by",
    "decided_at",
    "note",
    "reason_code",
    "assigned_to",
)

#: Report columns that come from the latest decision rather than the exception.
_DECIDED = ("decided_by", "decided_at", "note", "reason_code", "assigned_to")

#: What the grid shows, narrowest useful set first (80 columns wide still shows the key).
GRID_COLUMNS: tuple[str, ...] = (
    "key",
    "difference",
    "kind",
    "object",
    "status",
    "assigned_to",
    "project",
    "field",
    "erp_value",
    "procore_value",
    "rule",
    "exception_id",
)

#: Amount bands on |difference|: label -> (low inclusive, high exclusive); None is open.
AMOUNT_BANDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "< 1k": (None, Decimal(1000)),
    "1k-10k": (Decimal(1000), Decimal(10000)),
    "10k-100k": (Decimal(10000), Decimal(100000)),
    ">= 100k": (Decimal(100000), None),
}

#: Exceptions joined to their latest decision (status ``open`` when undecided).
_BASE = f"""
FROM exceptions e
LEFT JOIN ({LATEST_DECISIONS}) d USING (exception_id)
"""

_SEARCHED = ("e.exception_id", "e.key", "e.project", "e.field", "e.erp_value", "e.procore_value", "e.rule")


#: The month-end progress filters (issue 14): state -> SQL over ``e`` and the latest decision ``d``.
#: ``undecided`` is the sign-off's own rule (``reconcile.close.signoff.UNDECIDED_SQL``): open,
#: neither explained, approved nor pushed, and not carried forward with a reason. ``closed``
#: are exceptions the latest diff no longer finds; pass ``open_only=False`` to see them.
STATES: dict[str, str] = {
    "undecided": (
        "(e.is_open AND coalesce(d.status, 'open') NOT IN ('explained', 'approved', 'pushed') "
        "AND d.reason_code IS NULL AND coalesce(trim(d.note), '') = '')"
    ),
    "explained": "coalesce(d.status, 'open') = 'explained'",
    "assigned": "d.assigned_to IS NOT NULL",
    "approved": "coalesce(d.status, 'open') = 'approved'",
    "pushed": "coalesce(d.status, 'open') = 'pushed'",
    "failed": "coalesce(d.status, 'open') = 'failed'",
    "closed": "NOT e.is_open",
}


#: Statuses that decide an exception for the close (it is no longer ``undecided``).
DECIDING = frozenset({"explained", "approved", "pushed"})


@dataclass(frozen=True)
class ExceptionFilter:
    """What the analyst narrowed the grid to; empty fields do not filter.

    ``state`` is one of ``STATES`` (progress through the close); ``seen_since`` keeps
    exceptions open now or seen on or after that moment (a close period's exceptions,
    closed ones included, with ``open_only=False``).
    """

    object: str | None = None
    kind: str | None = None
    project: str | None = None
    status: str | None = None
    band: str | None = None
    search: str = ""
    open_only: bool = True
    sort: str = "difference"
    descending: bool = True
    state: str | None = None
    seen_since: datetime | None = None
    #: An object left out: the money grid shows every object but ``user`` (the People tab's).
    not_object: str | None = None
    #: The team the latest decision assigned the exception to (``decisions.ASSIGNEES``).
    assigned_to: str | None = None

    def is_empty(self) -> bool:
        """True when nothing but the default open-only rule narrows the set."""
        return not (
            self.object
            or self.kind
            or self.project
            or self.status
            or self.band
            or self.search
            or self.state
            or self.assigned_to
        )


@dataclass(frozen=True)
class GridPage:
    """The rows the grid renders plus the counts its status line shows."""

    table: pa.Table
    matching: int
    total: int
    capped: bool


def _from_epoch_us(value: Any) -> datetime | None:
    return None if value is None else datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))


def _where(f: ExceptionFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.open_only:
        clauses.append("e.is_open")
    for column, value in (("e.object", f.object), ("e.kind", f.kind), ("e.project", f.project)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.not_object:
        clauses.append("e.object <> ?")
        params.append(f.not_object)
    if f.status:
        clauses.append("coalesce(d.status, 'open') = ?")
        params.append(f.status)
    if f.assigned_to:
        clauses.append("d.assigned_to = ?")
        params.append(f.assigned_to)
    if f.state:
        if f.state not in STATES:
            raise ValueError(f"no state filter {f.state!r}; use one of {', '.join(STATES)}")
        clauses.append(STATES[f.state])
    if f.seen_since is not None:
        clauses.append("(e.is_open OR e.last_seen >= ?)")
        params.append(f.seen_since)
    if f.band:
        low, high = AMOUNT_BANDS[f.band]
        if low is not None:
            clauses.append("abs(e.difference) >= ?")
            params.append(low)
        if high is not None:
            clauses.append("abs(e.difference) < ?")
            params.append(high)
    if f.search:
        ors = " OR ".join(f"{c} ILIKE ?" for c in _SEARCHED)
        clauses.append(f"({ors})")
        needle = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params.extend([needle] * len(_SEARCHED))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _select(columns: tuple[str, ...]) -> str:
    parts = []
    for c in columns:
        if c == "status":
            parts.append("coalesce(d.status, 'open') AS status")
        elif c in _DECIDED:
            parts.append(f"d.{c}")
        else:
            parts.append(f"e.{c}")
    return ", ".join(parts)


def _order(f: ExceptionFilter) -> str:
    if f.sort not in REPORT_COLUMNS:
        raise ValueError(f"cannot sort by {f.sort!r}")
    col = "coalesce(d.status, 'open')" if f.sort == "status" else f"e.{f.sort}"
    if f.sort in _DECIDED:
        col = f"d.{f.sort}"
    direction = "DESC" if f.descending else "ASC"
    # exception_id breaks ties so the order is stable between runs and screens.
    return f" ORDER BY {col} {direction} NULLS LAST, e.exception_id"


def _needs_decisions(f: ExceptionFilter) -> bool:
    return bool(f.status or f.state or f.assigned_to) or f.sort == "status" or f.sort in _DECIDED


@dataclass(frozen=True)
class Progress:
    """``undecided N of M`` and the count of each state, over the open exceptions."""

    undecided: int
    open: int
    states: dict[str, int]

    def sentence(self) -> str:
        """What home shows: ``undecided N of M``."""
        return f"undecided {self.undecided:,} of {self.open:,}"


def progress(store: Store) -> Progress:
    """The counts the home screen and the close show, in one query."""
    counts = ", ".join(f"count(*) FILTER (WHERE {sql})" for sql in STATES.values())
    cur = store.cursor()
    try:
        row = cur.execute(f"SELECT count(*) FILTER (WHERE e.is_open), {counts} {_BASE}").fetchone()
    finally:
        cur.close()
    values = [int(v or 0) for v in (row or [0] * (len(STATES) + 1))]
    states = dict(zip(STATES, values[1:], strict=True))
    return Progress(undecided=states["undecided"], open=values[0], states=states)


def count(store: Store, f: ExceptionFilter) -> int:
    """How many exceptions match ``f``."""
    where, params = _where(f)
    base = _BASE if _needs_decisions(f) else "FROM exceptions e"
    cur = store.cursor()
    try:
        row = cur.execute(f"SELECT count(*) {base}{where}", params).fetchone()
    finally:
        cur.close()
    return int(row[0]) if row else 0


def grid_page(store: Store, f: ExceptionFilter, *, limit: int = 10_000) -> GridPage:
    """The first ``limit`` matching rows (sorted) as Arrow, with matching and total counts."""
    where, params = _where(f)
    cur = store.cursor()
    try:
        sql = f"SELECT {_select(GRID_COLUMNS)} {_BASE}{where}{_order(f)} LIMIT {int(limit)}"
        table = cur.sql(sql, params=params).to_arrow_table()
        if table.num_rows < limit:
            matching = table.num_rows
        else:
            base = _BASE if _needs_decisions(f) else "FROM exceptions e"
            row = cur.execute(f"SELECT count(*) {base}{where}", params).fetchone()
            matching = int(row[0]) if row else 0
        kept = ["is_open"] if f.open_only else []
        kept += ["object <> ?"] if f.not_object else []
        total_where = (" WHERE " + " AND ".join(kept)) if kept else ""
        row = cur.execute(
            f"SELECT count(*) FROM exceptions{total_where}", [f.not_object] if f.not_object else []
        ).fetchone()
        total = int(row[0]) if row else 0
    finally:
        cur.close()
    return GridPage(table=table, matching=matching, total=total, capped=matching > table.num_rows)


def assignees(store: Store, ids: list[str]) -> dict[str, str | None]:
    """Each exception's assignee now (its latest decision's), for patching the grid's cache."""
    if not ids:
        return {}
    cur = store.cursor()
    try:
        rows = cur.execute(
            "SELECT exception_id, assigned_to FROM decisions "
            "WHERE exception_id IN (SELECT unnest(?::VARCHAR[])) "
            "QUALIFY row_number() OVER (PARTITION BY exception_id ORDER BY id DESC) = 1",
            [ids],
        ).fetchall()
    finally:
        cur.close()
    found: dict[str, str | None] = {str(i): None for i in ids}
    found.update({str(i): None if a is None else str(a) for i, a in rows})
    return found


def _rows_in(ids: pl.Series, values: Mapping[str, str | None]) -> tuple[pl.Series, pl.Series]:
    """The positions in the id-sorted ``ids`` of ``values``' keys found there, and their values
    (binary search: a few rows of a million without comparing every id)."""
    wanted = pl.Series(list(values), dtype=pl.String)
    new = pl.Series(list(values.values()), dtype=pl.String)
    pos = ids.search_sorted(wanted).clip(0, ids.len() - 1)
    found = ids.gather(pos) == wanted
    return pos.filter(found), new.filter(found)


class GridCache:
    """The open exceptions' grid columns held in memory, so a filter or sort is a few vector ops.

    Why: DuckDB's top-N over a million rows drags every payload column through the sort
    (~60 ms on two cores, ~400 ms with the decision join and a 10k page). Here each sort
    order is computed once as a permutation (``arg_sort``) and kept; a filter is one boolean
    mask, and a page is the first ``limit`` permuted row numbers the mask lets through, so
    the rows gathered are only the page's. The frame is loaded in a worker after each diff
    (~1 s for 1M rows) and patched in place after a decision.
    """

    def __init__(self, frame: pl.DataFrame, *, by_id: bool = False) -> None:
        self.frame = frame
        self._orders: dict[str, pl.Series] = {}
        #: The rows are in ``exception_id`` order (as ``load`` reads them): a decision's row
        #: is found by binary search instead of comparing every id.
        self.by_id = by_id

    @classmethod
    def load(cls, store: Store, *, object: str | None = None, not_object: str | None = None) -> GridCache:
        """Read every open exception's grid columns plus a lower-case search haystack.

        ``object`` keeps one object's rows only: the People tab holds its users, not the
        money side's exceptions, which may be a million rows; ``not_object`` leaves one out
        (the money grid's cache holds no users).
        """
        hay = ", ".join(c for c in _SEARCHED)
        only = " AND e.object = ?" if object else " AND e.object <> ?" if not_object else ""
        sql = (
            f"SELECT {_select(GRID_COLUMNS)}, lower(concat_ws(chr(31), {hay})) AS _hay, "
            f"{STATES['undecided']} AS _undecided, d.assigned_to IS NOT NULL AS _assigned "
            f"{_BASE} WHERE e.is_open{only} ORDER BY e.exception_id"
        )
        cur = store.cursor()
        try:
            params = [object] if object else [not_object] if not_object else None
            frame = pl.from_arrow(cur.sql(sql, params=params).to_arrow_table())
        finally:
            cur.close()
        assert isinstance(frame, pl.DataFrame)
        # One chunk per column: a patched column comes back as one, and a frame whose columns
        # are chunked differently is re-aligned by every filter and gather (20 ms, not 1).
        return cls(frame.rechunk(), by_id=True)

    def __len__(self) -> int:
        return self.frame.height

    def with_statuses(
        self, statuses: dict[str, str], assignees: dict[str, str | None] | None = None
    ) -> GridCache:
        """A copy with some exceptions' status replaced (and no longer undecided when the
        status decides them), and their assignee where ``assignees`` names one; this cache is
        left as it was.

        In id order the rows are found by binary search and only they are written (a few
        milliseconds on a million rows); otherwise every id is compared.
        """
        frame = self.frame
        ids = frame.get_column("exception_id")
        if self.by_id and statuses and ids.len():
            pos, values = _rows_in(ids, statuses)
            status = frame.get_column("status").clone()
            status.scatter(pos, values)
            columns = [status]
            if "_undecided" in frame.columns:
                decided = pos.filter(values.is_in(list(DECIDING)))
                undecided = frame.get_column("_undecided").clone()
                undecided.scatter(decided, False)
                columns.append(undecided)
            if assignees and "assigned_to" in frame.columns:
                at, teams = _rows_in(ids, assignees)
                assigned_to = frame.get_column("assigned_to").clone()
                assigned_to.scatter(at, teams)
                columns.append(assigned_to)
                if "_assigned" in frame.columns:
                    columns.append(assigned_to.is_not_null().alias("_assigned"))
            return GridCache(frame.with_columns(columns), by_id=True)
        exprs = [
            pl.col("exception_id")
            .replace_strict(statuses, default=pl.col("status"), return_dtype=pl.String)
            .alias("status")
        ]
        if "_undecided" in frame.columns:
            deciding = [i for i, s in statuses.items() if s in DECIDING]
            exprs.append(
                pl.when(pl.col("exception_id").is_in(deciding))
                .then(pl.lit(False))
                .otherwise(pl.col("_undecided"))
                .alias("_undecided")
            )
        if assignees and "assigned_to" in frame.columns:
            team = pl.col("exception_id").replace_strict(
                assignees, default=pl.col("assigned_to"), return_dtype=pl.String
            )
            exprs.append(team.alias("assigned_to"))
            if "_assigned" in frame.columns:
                exprs.append(team.is_not_null().alias("_assigned"))
        return GridCache(frame.with_columns(exprs), by_id=self.by_id)

    def set_status(
        self,
        exception_id: str,
        status: str,
        *,
        undecided: bool | None = None,
        assigned: bool | None = None,
    ) -> None:
        """Reflect one new decision without re-reading the store.

        ``undecided`` defaults to False for a deciding status (explained, approved, pushed)
        and is otherwise kept; pass it (and ``assigned``) when the decision changed them.
        """
        if undecided is None and status in ("explained", "approved", "pushed"):
            undecided = False
        hit = pl.col("exception_id") == exception_id
        cols = [pl.when(hit).then(pl.lit(status)).otherwise(pl.col("status")).alias("status")]
        if undecided is not None and "_undecided" in self.frame.columns:
            cols.append(
                pl.when(hit).then(pl.lit(undecided)).otherwise(pl.col("_undecided")).alias("_undecided")
            )
        if assigned is not None and "_assigned" in self.frame.columns:
            cols.append(pl.when(hit).then(pl.lit(assigned)).otherwise(pl.col("_assigned")).alias("_assigned"))
        self.frame = self.frame.with_columns(cols)
        self._orders.pop("status", None)

    def _ascending(self, column: str) -> pl.Series:
        """Row numbers in ascending order of ``column`` (ties by id, nulls last), computed once."""
        if column not in self._orders:
            self._orders[column] = self.frame.select(
                pl.arg_sort_by([column, "exception_id"], nulls_last=True).cast(pl.UInt32)
            ).to_series()
        return self._orders[column]

    def order(self, column: str, descending: bool) -> pl.Series:
        """Row numbers in the grid's order; descending reverses the non-null part, nulls stay last."""
        asc = self._ascending(column)
        if not descending:
            return asc
        nulls = self.frame[column].null_count()
        present = asc.head(asc.len() - nulls).reverse()
        return present.append(asc.tail(nulls)) if nulls else present

    def _predicates(self, f: ExceptionFilter) -> list[pl.Expr]:
        preds: list[pl.Expr] = []
        for column, value in (
            ("object", f.object),
            ("kind", f.kind),
            ("project", f.project),
            ("status", f.status),
            ("assigned_to", f.assigned_to),
        ):
            if value:
                preds.append(pl.col(column) == value)
        if f.not_object:
            preds.append(pl.col("object") != f.not_object)
        if f.band:
            low, high = AMOUNT_BANDS[f.band]
            amount = pl.col("difference").abs()
            if low is not None:
                preds.append(amount >= low)
            if high is not None:
                preds.append(amount < high)
        if f.search:
            preds.append(pl.col("_hay").str.contains(f.search.lower(), literal=True))
        if f.state:
            preds.append(self._state(f.state))
        return preds

    def _state(self, state: str) -> pl.Expr:
        """A ``STATES`` filter over the cached columns (the cache holds open exceptions only)."""
        if state not in STATES:
            raise ValueError(f"no state filter {state!r}; use one of {', '.join(STATES)}")
        if state == "closed":
            return pl.lit(False)
        if state == "undecided":
            return pl.col("_undecided")
        if state == "assigned":
            return pl.col("_assigned")
        return pl.col("status") == state

    def progress(self) -> tuple[int, int]:
        """(undecided, open) from the cache: home's ``undecided N of M`` without a query."""
        return int(self.frame["_undecided"].sum()), self.frame.height

    def ids(self, f: ExceptionFilter) -> list[str]:
        """Every exception id of ``f`` in its order ("all rows of this filter", for a bulk decision)."""
        if not f.open_only:
            raise ValueError("the grid cache holds open exceptions only")
        order = self.order(f.sort, f.descending)
        preds = self._predicates(f)
        if preds:
            mask = self.frame.select(pl.all_horizontal(preds).fill_null(False)).to_series()
            order = order.filter(mask.gather(order))
        return [str(i) for i in self.frame.get_column("exception_id").gather(order).to_list()]

    def page(self, f: ExceptionFilter, *, limit: int = 10_000) -> GridPage:
        """The first ``limit`` rows of ``f`` in its order, with counts (same contract as ``grid_page``)."""
        if not f.open_only:
            raise ValueError("the grid cache holds open exceptions only")
        if f.sort not in GRID_COLUMNS:
            raise ValueError(f"cannot sort by {f.sort!r}")
        order = self.order(f.sort, f.descending)
        preds = self._predicates(f)
        if preds:
            mask = self.frame.select(pl.all_horizontal(preds).fill_null(False)).to_series()
            matching = int(mask.sum())
            rows = _first_through(order, mask, limit)
        else:
            matching = self.frame.height
            rows = order.head(limit)
        page = self.frame.select(GRID_COLUMNS)[rows]
        table = page.to_arrow(compat_level=pl.CompatLevel.oldest())
        return GridPage(
            table=table, matching=matching, total=self.frame.height, capped=matching > page.height
        )


def _first_through(order: pl.Series, mask: pl.Series, limit: int) -> pl.Series:
    """The first ``limit`` row numbers of ``order`` that ``mask`` lets through.

    Why in growing slices: a page needs its first thousand rows, and gathering the mask
    through the whole million-row order costs more than the filter itself; a selective
    filter still ends up reading all of it.
    """
    parts: list[pl.Series] = []
    got, start, step = 0, 0, max(4 * limit, 4096)
    while got < limit and start < order.len():
        chunk = order.slice(start, step)
        kept = chunk.filter(mask.gather(chunk))
        parts.append(kept)
        got += kept.len()
        start += step
        step *= 4
    return pl.concat(parts).head(limit) if parts else order.head(0)


#: The exported report's row order when no grid order is asked for: by object, key, kind, field.
_REPORT_ORDER = " ORDER BY e.object, e.key, e.kind, e.field, e.exception_id"


def report_frame(store: Store, f: ExceptionFilter | None = None, *, grid_order: bool = True) -> pl.DataFrame:
    """Every matching exception with the report's columns, uncapped (for export).

    The one report query: the workstation's export (in the grid's order) and ``tieout
    export`` (``grid_order=False``: by object, key, kind, field) both read it.
    """
    f = f or ExceptionFilter()
    where, params = _where(f)
    cur = store.cursor()
    try:
        order = _order(f) if grid_order else _REPORT_ORDER
        sql = f"SELECT {_select(REPORT_COLUMNS)} {_BASE}{where}{order}"
        frame = pl.from_arrow(cur.sql(sql, params=params).to_arrow_table())
    finally:
        cur.close()
    assert isinstance(frame, pl.DataFrame)
    return frame


def distinct_values(store: Store, column: str) -> list[str]:
    """The values a filter drop-down offers (object, kind, project)."""
    if column not in ("object", "kind", "project"):
        raise ValueError(f"no filter on {column!r}")
    cur = store.cursor()
    try:
        rows = cur.execute(
            f"SELECT DISTINCT {column} FROM exceptions WHERE {column} IS NOT NULL ORDER BY 1"
        ).fetchall()
    finally:
        cur.close()
    return [str(r[0]) for r in rows]


def exception(store: Store, exception_id: str) -> dict[str, Any] | None:
    """One exception with its status and parsed ``detail``; None when unknown."""
    cols = (*REPORT_COLUMNS, "detail", "is_open", "last_seen")
    select = _select(cols)
    for ts in ("first_seen", "last_seen", "decided_at"):
        # epoch microseconds: exact, and fetching TIMESTAMPTZ into Python would need pytz.
        prefix = "d." if ts == "decided_at" else "e."
        select = select.replace(f"{prefix}{ts}", f"epoch_us({prefix}{ts})")
    cur = store.cursor()
    try:
        # A point lookup: the exception by its key and only its own latest decision (both
        # through an index), never the latest of every decision joined to every exception.
        cur.execute(
            f"SELECT {select} FROM exceptions e LEFT JOIN ({LATEST_DECISION_OF}) d ON true "
            "WHERE e.exception_id = ?",
            [exception_id, exception_id],
        )
        row = cur.fetchone()
    finally:
        cur.close()
    if row is None:
        return None
    out = dict(zip(cols, row, strict=True))
    for ts in ("first_seen", "last_seen", "decided_at"):
        out[ts] = _from_epoch_us(out[ts])
    detail = out.get("detail")
    try:
        out["detail"] = json.loads(detail) if isinstance(detail, str) else (detail or {})
    except json.JSONDecodeError:
        out["detail"] = {"raw": detail}
    return out


# -- home summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class SideTotal:
    """One object's total on each side of the tie-out."""

    object: str
    erp: Decimal | None
    procore: Decimal | None
    unit: str = "amount"  # "amount" or "count"

    @property
    def variance(self) -> Decimal | None:
        if self.erp is None or self.procore is None:
            return None
        return self.erp - self.procore


#: object -> (unit, ERP source SQL, Procore source SQL); each yields one value for a snapshot id.
_TOTALS: dict[str, tuple[str, str, str]] = {
    "vendor": ("count", "SELECT count(*) FROM erp_vendors", "SELECT count(*) FROM procore_vendors"),
    "commitment": (
        "amount",
        "SELECT sum(amount) FROM erp_commitment_lines",
        "SELECT sum(amount) FROM procore_commitment_lines",
    ),
    "budget": (
        "amount",
        "SELECT sum(amount) FROM erp_budgets",
        "SELECT sum(original_budget_amount) FROM procore_budget_lines",
    ),
    "actual": (
        "amount",
        "SELECT sum(amount) FROM erp_actuals",
        "SELECT sum(amount) FROM procore_actual_lines WHERE status IN ('approved', 'approved_as_noted') AND",
    ),
}


@dataclass(frozen=True)
class HomeSummary:
    """Everything the home screen shows, read in one go."""

    snapshots: dict[str, dict[str, Any] | None]
    totals: list[SideTotal]
    counts: list[tuple[str, str, int]]  # (object, kind, open exceptions)


def _current_ids(cur: Any) -> dict[str, int]:
    return {
        str(s): int(i) for s, i in cur.execute("SELECT source, snapshot_id FROM current_snapshots").fetchall()
    }


def _scoped(sql: str, snapshot_id: int) -> tuple[str, list[Any]]:
    joiner = " " if sql.rstrip().endswith("AND") else " WHERE "
    return f"{sql}{joiner}snapshot_id = ?", [snapshot_id]


#: The money side's sources; a profile with ``[people]`` adds ``identity`` and ``directory``.
MONEY_SOURCES: tuple[str, ...] = ("procore", "erp")


def home_summary(
    store: Store,
    *,
    sources: tuple[str, ...] = MONEY_SOURCES,
    tieout: pl.DataFrame | None = None,
) -> HomeSummary:
    """Last snapshots of ``sources``, totals per object on each side, open exceptions by kind.

    With ``tieout`` (``reconcile.close.tieout.tie_out``'s frame) the money totals are its
    column sums, so the totals card and the per-project table agree to the cent: the same
    scope (active projects, the working cut-off, home-currency rows) and a PO counted once, by
    its lines. Without it they are the current snapshots' whole tables (lines too, never headers).
    An ``identity`` snapshot's entry names the IdP that wrote it (``idp``).
    """
    cur = store.cursor()
    try:
        current = _current_ids(cur)
        snapshots: dict[str, dict[str, Any] | None] = {}
        for source in sources:
            row = cur.execute(
                "SELECT id, status, epoch_us(started_at), epoch_us(finished_at), records, error, high_water "
                "FROM snapshots WHERE source = ? ORDER BY id DESC LIMIT 1",
                [source],
            ).fetchone()
            cur_row = None
            if source in current:
                # Records the snapshot holds (an incremental pull reads few and carries the rest).
                cur_row = cur.execute(
                    "SELECT id, epoch_us(finished_at), "
                    "greatest(records, (SELECT count(*) FROM raw_records r WHERE r.snapshot_id = s.id)), "
                    "high_water FROM snapshots s WHERE id = ?",
                    [current[source]],
                ).fetchone()
            if row is None:
                snapshots[source] = None
                continue
            snapshots[source] = {
                "latest_id": row[0],
                "latest_status": row[1],
                "latest_error": row[5],
                "latest_started_at": _from_epoch_us(row[2]),
                "current_id": cur_row[0] if cur_row else None,
                "finished_at": _from_epoch_us(cur_row[1]) if cur_row else None,
                "records": int(cur_row[2]) if cur_row else 0,
                # The people pull stamps the IdP it read (reconcile.people.pull), so a profile
                # switched from Okta to Entra still shows which one the snapshot came from.
                "idp": _stamped_idp(cur_row[3] if cur_row else row[6]),
            }
        money = _tieout_totals(tieout) if tieout is not None else {}
        totals = []
        for obj, (unit, erp_sql, pc_sql) in _TOTALS.items():
            values: list[Decimal | None] = []
            for i, (source, sql) in enumerate((("erp", erp_sql), ("procore", pc_sql))):
                if source not in current:
                    values.append(None)
                    continue
                if obj in money:
                    values.append(money[obj][i])
                    continue
                q, p = _scoped(sql, current[source])
                got = cur.execute(q, p).fetchone()
                values.append(Decimal(got[0]) if got and got[0] is not None else Decimal(0))
            totals.append(SideTotal(obj, values[0], values[1], unit))
        counts = [
            (str(o), str(k), int(n))
            for o, k, n in cur.execute(
                "SELECT object, kind, count(*) FROM exceptions WHERE is_open GROUP BY ALL ORDER BY 1, 2"
            ).fetchall()
        ]
    finally:
        cur.close()
    return HomeSummary(snapshots=snapshots, totals=totals, counts=counts)


def _stamped_idp(high_water: Any) -> str | None:
    try:
        stamp = json.loads(high_water) if high_water else {}
    except ValueError:
        return None
    idp = stamp.get("idp") if isinstance(stamp, dict) else None
    return str(idp) if idp else None


def _tieout_totals(frame: pl.DataFrame) -> dict[str, tuple[Decimal, Decimal]]:
    from reconcile.close.tieout import object_totals

    return object_totals(frame)


def project_progress(store: Store) -> dict[str, tuple[int, int]]:
    """Per project, its open money exceptions as (undecided, open), for home's tie-out table.

    People rows (object ``user``) are left out: their project is an access grant, and the
    People tab counts them. ``undecided`` is the sign-off's rule (``STATES``).
    """
    cur = store.cursor()
    try:
        rows = cur.execute(
            f"SELECT e.project, count(*) FILTER (WHERE {STATES['undecided']}), count(*) {_BASE}"
            "WHERE e.is_open AND e.project IS NOT NULL AND e.object <> 'user' GROUP BY 1"
        ).fetchall()
    finally:
        cur.close()
    return {str(p): (int(u), int(n)) for p, u, n in rows}


def decision_log(store: Store) -> pl.DataFrame:
    """Every decision with who, when, what, and the status before and after it."""
    cur = store.cursor()
    try:
        rel = cur.sql(
            'SELECT decided_at AS "when", decided_by AS who, exception_id, '
            "coalesce(lag(status) OVER (PARTITION BY exception_id ORDER BY id), 'open') AS before, "
            "status AS after, reason_code, assigned_to, note "
            "FROM decisions ORDER BY id DESC"
        )
        frame = pl.from_arrow(rel.to_arrow_table())
    finally:
        cur.close()
    assert isinstance(frame, pl.DataFrame)
    return frame


# -- the two records behind an exception ----------------------------------------------------

#: object -> (ERP table, ERP key SQL expression, Procore table); Procore rows are found by id.
_RECORD_TABLES: dict[str, tuple[str, str, str]] = {
    "vendor": ("erp_vendors", "supplier", "procore_vendors"),
    "commitment": ("erp_commitments", "po_number", "procore_commitments"),
    "commitment_line": ("erp_commitment_lines", "po_number || '/' || item", "procore_commitment_lines"),
}


def _first_id(detail: dict[str, Any]) -> int | None:
    for name in ("procore_id", "procore_ids"):
        value = detail.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str):
            value = value.split(",")[0].strip() or None
        if value is not None:
            try:
                return int(value)
            except (TypeError, ValueError):
                continue
    return None


def records(store: Store, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ERP and Procore canonical records an exception refers to (empty where there is none)."""
    tables = _RECORD_TABLES.get(str(row.get("object")))
    if tables is None:
        return {}, {}
    erp_table, erp_key, pc_table = tables
    detail = row.get("detail") or {}
    key = detail.get("erp_key") or row.get("key")
    pc_id = _first_id(detail)
    cur = store.cursor()
    try:
        current = _current_ids(cur)
        erp: dict[str, Any] = {}
        procore: dict[str, Any] = {}
        if "erp" in current and key:
            got = cur.sql(
                f"SELECT * EXCLUDE (snapshot_id) FROM {erp_table} WHERE snapshot_id = ? AND {erp_key} = ? LIMIT 1",
                params=[current["erp"], str(key)],
            ).to_arrow_table()
            erp = got.to_pylist()[0] if got.num_rows else {}
        if "procore" in current and pc_id is not None:
            got = cur.sql(
                f"SELECT * EXCLUDE (snapshot_id) FROM {pc_table} WHERE snapshot_id = ? AND id = ? LIMIT 1",
                params=[current["procore"], pc_id],
            ).to_arrow_table()
            procore = got.to_pylist()[0] if got.num_rows else {}
    finally:
        cur.close()
    return erp, procore
