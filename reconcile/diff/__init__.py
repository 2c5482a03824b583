"""The diff engine: canonical frames of both sides in, the exceptions frame out. Pure, no I/O.

Only active Procore projects are compared; ERP records that map to an inactive Procore
project are left out too. Money stays decimal throughout; a difference whose absolute value
is at most the tolerance is not an exception.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from mappings import Mappings
from reconcile.canonical import TABLES, conform, empty
from reconcile.diff.commitments import Context, diff_commitment_lines, erp_items
from reconcile.diff.contracts import diff_commitments
from reconcile.diff.frame import EXCEPTION_SCHEMA, KINDS, OBJECTS, empty_exceptions, exception_id, finish
from reconcile.diff.linekeys import numeric_keys
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
    erp_lines = _table(erp, "erp_commitment_lines")
    numeric = numeric_keys(erp_lines)
    items = erp_items(erp_lines, ctx, numeric)
    pc_lines = _table(procore, "procore_commitment_lines")
    commitment_parts, links = diff_commitments(
        _table(procore, "procore_commitments"),
        pc_lines,
        _table(erp, "erp_commitments"),
        items,
        vendor_links(pc_vendors, erp_vendors, mappings),
        ctx,
    )
    parts += commitment_parts
    parts += diff_commitment_lines(pc_lines, items, links, ctx, numeric)
    parts += diff_budgets(_table(erp, "erp_budgets"), _table(procore, "procore_budget_lines"), ctx)
    parts += diff_actuals(_table(erp, "erp_actuals"), _table(procore, "procore_actual_lines"), ctx)
    return finish(parts)
