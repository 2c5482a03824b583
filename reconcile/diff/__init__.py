"""The diff engine: canonical frames of both sides in, the exceptions frame out. Pure, no I/O.

Only active Procore projects are compared; ERP records that map to an inactive Procore
project are left out too. Money stays decimal throughout; a difference whose absolute value
is at most the tolerance is not an exception.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import polars as pl

from mappings import Mappings
from reconcile.canonical import TABLES, conform, empty
from reconcile.diff.commitments import (
    Context,
    diff_commitment_lines,
    erp_items,
    key_lines,
    match_by_origin,
    merge_assignments,
)
from reconcile.diff.contracts import diff_commitments
from reconcile.diff.frame import EXCEPTION_SCHEMA, KINDS, OBJECTS, empty_exceptions, exception_id, finish
from reconcile.diff.totals import diff_actuals, diff_budgets
from reconcile.diff.vendors import diff_vendors, vendor_links

__all__ = ["EXCEPTION_SCHEMA", "KINDS", "OBJECTS", "diff", "empty_exceptions", "exception_id"]


def _table(frames: dict[str, pl.DataFrame], name: str) -> pl.DataFrame:
    frame = frames.get(name)
    if frame is None:
        return empty(name)
    if frame.schema != pl.Schema(TABLES[name]):
        return conform(name, frame)
    return frame


def diff(
    procore: dict[str, pl.DataFrame],
    erp: dict[str, pl.DataFrame],
    mappings: Mappings,
    tolerance: Decimal,
) -> pl.DataFrame:
    """Compare the canonical tables of both sides; one row per exception (``EXCEPTION_SCHEMA``).

    ``procore`` and ``erp`` map canonical table names (``procore_vendors``, ``erp_commitment_lines``…)
    to frames; absent tables count as empty. Raises ``MappingError`` when two equally specific
    mapping rows match one record.
    """
    projects = _table(procore, "procore_projects")
    active = projects.filter(pl.col("active").fill_null(True))
    wbs = _table(erp, "erp_wbs")
    ctx = Context(
        mappings=mappings,
        tolerance=Decimal(tolerance),
        active_projects=active.select(pl.col("id").alias("project_id"), "project_number"),
        inactive_numbers=projects.filter(~pl.col("active").fill_null(True))["project_number"],
        erp_wbs=wbs if wbs.height else None,
    )
    pc_vendors = _table(procore, "procore_vendors")
    erp_vendors = _table(erp, "erp_vendors")
    parts = diff_vendors(pc_vendors, erp_vendors, mappings)
    keyed = key_lines(_table(procore, "procore_commitment_lines"), _table(erp, "erp_commitment_lines"), ctx)
    lines = merge_assignments(keyed)
    # The origin match needs only the two key columns, so it runs in a second thread while
    # the mapping lookup and the commitment rules run here: each is mostly single-threaded
    # work, and on two cores both finish in the time of the longer (Polars frees the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        matching = pool.submit(match_by_origin, keyed.procore["_k"], lines["_k"], keyed.numeric)
        items = erp_items(lines, keyed, ctx)
        commitment_parts, links = diff_commitments(
            _table(procore, "procore_commitments"),
            keyed.procore_sums,
            _table(erp, "erp_commitments"),
            items,
            vendor_links(pc_vendors, erp_vendors, mappings),
            ctx,
        )
        origin = matching.result()
    parts += commitment_parts
    parts += diff_commitment_lines(keyed, items, links, ctx, origin)
    parts += diff_budgets(_table(erp, "erp_budgets"), _table(procore, "procore_budget_lines"), ctx)
    parts += diff_actuals(_table(erp, "erp_actuals"), _table(procore, "procore_actual_lines"), ctx)
    return finish(parts)
