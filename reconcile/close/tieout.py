"""The tie-out to the cent: per project and object, the ERP total, the Procore total, the difference.

Pure over the canonical frames (the ones the diff reads, after the cut-off). Two rules the
home screen's old variance chart broke:
- a total never mixes objects: commitments, budget and actuals are separate rows;
- a PO is counted once: by its lines (ERP PO items and account assignments, Procore
  commitment line items), never by its header and its lines together.

Projects come from the mapping tables (an ERP row's project key, as its kind declares it:
SAP's WBS element goes to the Procore project of its nearest listed ancestor) and Procore's
own ``project_id``. ERP rows no ``projects.csv`` row
maps have a null project (shown as unmapped); they count, so each side's column sums to that
side's whole book. Procore actuals are approved direct costs and approved invoices, as in the diff.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl

from adapters.erp_shape import ErpShape
from mappings import Mappings
from mappings.resolve import project_lookup
from reconcile.canonical import MONEY, empty
from reconcile.diff.totals import APPROVED

if TYPE_CHECKING:
    from reconcile.profile import Profile
    from reconcile.store import Store

#: The objects a tie-out totals, in display order.
TIEOUT_OBJECTS: tuple[str, ...] = ("commitment", "budget", "actual")

TIEOUT_SCHEMA: dict[str, pl.DataType] = {
    "project": pl.String(),
    "object": pl.String(),
    "erp_total": MONEY,
    "procore_total": MONEY,
    "difference": MONEY,
    "erp_rows": pl.Int64(),
    "procore_rows": pl.Int64(),
    "erp_foreign_rows": pl.Int64(),
}

#: (ERP table, ERP amount column) and (Procore table, Procore amount column) per object.
_SOURCES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "commitment": (("erp_commitment_lines", "amount"), ("procore_commitment_lines", "amount")),
    "budget": (("erp_budgets", "amount"), ("procore_budget_lines", "original_budget_amount")),
    "actual": (("erp_actuals", "amount"), ("procore_actual_lines", "amount")),
}


def _get(frames: dict[str, pl.DataFrame], name: str, shape: ErpShape) -> pl.DataFrame:
    frame = frames.get(name)
    return empty(name, shape) if frame is None else frame


def _approved(frame: pl.DataFrame) -> pl.DataFrame:
    keep = pl.lit(False)
    for source, statuses in APPROVED.items():
        keep = keep | ((pl.col("source") == source) & pl.col("status").is_in(statuses))
    return frame.filter(keep)


def _erp_side(
    obj: str, frame: pl.DataFrame, mappings: Mappings, hierarchy: pl.DataFrame | None, currency: str
) -> pl.DataFrame:
    (_, column), _ = _SOURCES[obj]
    key = mappings.shape.project.column
    foreign = pl.col("currency").is_not_null() & (pl.col("currency") != currency)
    rows = frame.select(
        pl.col(key).cast(pl.String), pl.col(column).cast(MONEY).alias("amount"), foreign.alias("_fx")
    )
    projects = project_lookup(rows[key], mappings, hierarchy).select(key, "project_number")
    mapped = rows.join(projects, on=key, how="left")
    counted = mapped.filter(~pl.col("_fx"))
    return (
        counted.group_by(pl.col("project_number").alias("project"))
        .agg(pl.col("amount").sum().cast(MONEY).alias("erp_total"), pl.len().cast(pl.Int64).alias("erp_rows"))
        .join(
            mapped.filter(pl.col("_fx"))
            .group_by(pl.col("project_number").alias("project"))
            .agg(pl.len().cast(pl.Int64).alias("erp_foreign_rows")),
            on="project",
            how="full",
            coalesce=True,
            nulls_equal=True,
        )
        .with_columns(pl.lit(obj).alias("object"))
    )


def _procore_side(obj: str, frame: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    _, (_, column) = _SOURCES[obj]
    if obj == "actual":
        frame = _approved(frame)
    return (
        frame.select("project_id", pl.col(column).cast(MONEY).alias("amount"))
        .join(numbers, left_on="project_id", right_on="id", how="left")
        .group_by(pl.col("project_number").alias("project"))
        .agg(
            pl.col("amount").sum().cast(MONEY).alias("procore_total"),
            pl.len().cast(pl.Int64).alias("procore_rows"),
        )
        .with_columns(pl.lit(obj).alias("object"))
    )


def tie_out(
    procore: dict[str, pl.DataFrame],
    erp: dict[str, pl.DataFrame],
    mappings: Mappings,
    *,
    currency: str = "USD",
    active_only: bool = True,
) -> pl.DataFrame:
    """One row per (project, object): ``TIEOUT_SCHEMA``, sorted by project then object order.

    ``difference`` is ERP − Procore; a side with no rows totals 0. ERP rows in another
    currency than the Procore projects' (``currency``) are not added to a total: the diff
    reports them as currency mismatches, and ``erp_foreign_rows`` counts them here. With
    ``active_only`` (the diff's scope) rows of inactive Procore projects are left out on both sides.
    """
    shape = mappings.shape
    projects = _get(procore, "procore_projects", shape)
    numbers = projects.select("id", "project_number")
    hierarchy = erp.get("erp_hierarchy")
    hierarchy = hierarchy if hierarchy is not None and hierarchy.height else None
    parts = []
    for obj, ((erp_table, _), (pc_table, _)) in _SOURCES.items():
        e = _erp_side(obj, _get(erp, erp_table, shape), mappings, hierarchy, currency)
        p = _procore_side(obj, _get(procore, pc_table, shape), numbers)
        parts.append(e.join(p, on=["project", "object"], how="full", coalesce=True, nulls_equal=True))
    zero = pl.lit(0, MONEY)
    out = pl.concat(parts, how="diagonal_relaxed").with_columns(
        pl.col("erp_total").fill_null(zero).cast(MONEY),
        pl.col("procore_total").fill_null(zero).cast(MONEY),
        pl.col("erp_rows").fill_null(0).cast(pl.Int64),
        pl.col("procore_rows").fill_null(0).cast(pl.Int64),
        pl.col("erp_foreign_rows").fill_null(0).cast(pl.Int64),
    )
    if active_only:
        inactive = projects.filter(~pl.col("active").fill_null(True))["project_number"]
        out = out.filter(~pl.col("project").is_in(inactive.implode()).fill_null(False))
    order = {o: i for i, o in enumerate(TIEOUT_OBJECTS)}
    return (
        out.with_columns((pl.col("erp_total") - pl.col("procore_total")).cast(MONEY).alias("difference"))
        .with_columns(pl.col("object").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort("project", "_o", nulls_last=True)
        .select(list(TIEOUT_SCHEMA))
    )


def tie_out_store(store: Store, profile: Profile, cutoff: date | None = None) -> pl.DataFrame:
    """``tie_out`` over the store's current snapshots, cut at ``cutoff`` (default: the working close's)."""
    from reconcile.exceptions import canonical_frames, load_mappings_for

    procore, erp = canonical_frames(store, cutoff=cutoff)
    return tie_out(procore, erp, load_mappings_for(profile, procore), currency=profile.procore.currency)


def project_totals(frame: pl.DataFrame) -> list[dict[str, object]]:
    """The tie-out as plain rows (money as exact strings) for a sign-off's record."""
    return [
        {
            "project": r["project"],
            "object": r["object"],
            "erp_total": str(r["erp_total"]),
            "procore_total": str(r["procore_total"]),
            "difference": str(r["difference"]),
        }
        for r in frame.iter_rows(named=True)
    ]


@dataclass(frozen=True)
class ProjectRow:
    """One line of home's tie-out table: one project's object on both sides.

    ``undecided`` and ``open`` count the project's open money exceptions (people rows are
    the People tab's); they are set on the project's first line only, because they belong
    to the project, not to one object. ``project`` None holds ERP rows no mapping places.
    """

    project: str | None
    object: str
    erp_total: Decimal
    procore_total: Decimal
    difference: Decimal
    undecided: int | None = None
    open: int | None = None

    @property
    def ties(self) -> bool:
        """True when both sides agree exactly (a sub-cent difference does not tie)."""
        return self.difference == 0


def project_rows(frame: pl.DataFrame, progress: dict[str, tuple[int, int]] | None = None) -> list[ProjectRow]:
    """``tie_out``'s rows for home, grouped by project, the largest gap first.

    Projects are ordered by their largest absolute difference over the three objects, then by
    number, so the month-end work is at the top and the projects that tie follow in number
    order; a project's objects stay together in ``TIEOUT_OBJECTS`` order. ``progress`` maps a
    project to its (undecided, open) exceptions (``reconcile.query.project_progress``).
    """
    progress = progress or {}
    groups: dict[str | None, list[dict[str, object]]] = {}
    for row in frame.iter_rows(named=True):  # already in project, then object order
        groups.setdefault(row["project"], []).append(row)

    def gap(project: str | None) -> tuple[Decimal, bool, str]:
        largest = max(abs(Decimal(str(r["difference"]))) for r in groups[project])
        return -largest, project is None, project or ""

    out: list[ProjectRow] = []
    for project in sorted(groups, key=gap):
        counts = progress.get(project) if project is not None else None
        for i, r in enumerate(groups[project]):
            first = i == 0 and project is not None
            out.append(
                ProjectRow(
                    project=project,
                    object=str(r["object"]),
                    erp_total=Decimal(str(r["erp_total"])),
                    procore_total=Decimal(str(r["procore_total"])),
                    difference=Decimal(str(r["difference"])),
                    undecided=(counts[0] if counts else 0) if first else None,
                    open=(counts[1] if counts else 0) if first else None,
                )
            )
    return out


def object_totals(frame: pl.DataFrame) -> dict[str, tuple[Decimal, Decimal]]:
    """Each object's (ERP, Procore) total over every project: the tie-out table's column sums.

    Home's totals card shows these, so it agrees with the table to the cent: the same scope
    (active projects, the cut-off, home-currency rows) and a PO counted once, by its lines.
    """
    sums = frame.group_by("object").agg(pl.col("erp_total").sum(), pl.col("procore_total").sum())
    found = {
        str(r["object"]): (Decimal(str(r["erp_total"])), Decimal(str(r["procore_total"])))
        for r in sums.iter_rows(named=True)
    }
    zero = Decimal("0.0000")
    return {obj: found.get(obj, (zero, zero)) for obj in TIEOUT_OBJECTS}


def _inputs(store: Store, profile: Profile) -> tuple[object, ...]:
    """What a tie-out reads: the current snapshots, the working cut-off, the mapping files."""
    from reconcile.close import state

    cur = store.cursor()
    try:
        snapshots = tuple(sorted(cur.execute("SELECT source, snapshot_id FROM current_snapshots").fetchall()))
    finally:
        cur.close()
    close = state.current(store)
    directory = profile.mappings_dir
    files = (
        tuple(
            sorted(
                (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in directory.iterdir() if p.is_file()
            )
        )
        if directory.is_dir()
        else ()
    )
    return snapshots, close.cutoff if close else None, str(directory), files, profile.procore.currency


class TieOutMemo:
    """A store's last tie-out, recomputed only when what it reads changes.

    Why: home re-reads its cards after every decision, and a decision changes no total; the
    tie-out reads every canonical line of both sides (a third of a second on the demo company).
    Safe to share between worker threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._frame: pl.DataFrame | None = None

    def get(self, store: Store, profile: Profile) -> pl.DataFrame:
        """``tie_out_store`` at the working cut-off, from memory when its inputs are unchanged."""
        key = _inputs(store, profile)
        with self._lock:
            if self._frame is not None and key == self._key:
                return self._frame
        frame = tie_out_store(store, profile)
        with self._lock:
            self._key, self._frame = key, frame
        return frame
