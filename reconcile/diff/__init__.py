"""The diff engine: canonical frames of both sides in, the exceptions frame out. Pure, no I/O.

Only active Procore projects are compared; ERP records that map to an inactive Procore
project are left out too. Money stays decimal throughout; a difference whose absolute value
is at most the tolerance is not an exception, and amounts in different currencies are never
compared. Which columns place an ERP record comes from its declaration (``mappings.shape``):
no rule here names an ERP's dimensions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import polars as pl

from adapters.erp_shape import ErpShape
from mappings import Mappings
from reconcile.canonical import conform, empty, schema
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


def _table(frames: dict[str, pl.DataFrame], name: str, shape: ErpShape) -> pl.DataFrame:
    frame = frames.get(name)
    if frame is None:
        return empty(name, shape)
    if frame.schema != pl.Schema(schema(name, shape)):
        return conform(name, frame, shape)
    return frame


def _foreign_pos(heads: pl.DataFrame, lines: pl.DataFrame, currency: str) -> pl.DataFrame:
    """``po_number, erp_currency`` of the POs whose header (or a line) is in another currency."""
    other = pl.col("currency").is_not_null() & (pl.col("currency") != currency)
    found = pl.concat(
        [
            heads.lazy().filter(other).select("po_number", "currency"),
            lines.lazy().filter(other).select("po_number", "currency").unique(),
        ]
    )
    return (
        found.group_by("po_number")
        .agg(pl.col("currency").unique().sort().str.join(",").alias("erp_currency"))
        .collect()
    )


def diff(
    procore: dict[str, pl.DataFrame],
    erp: dict[str, pl.DataFrame],
    mappings: Mappings,
    tolerance: Decimal,
    *,
    currency: str = "USD",
) -> pl.DataFrame:
    """Compare the canonical tables of both sides; one row per exception (``EXCEPTION_SCHEMA``).

    ``procore`` and ``erp`` map canonical table names (``procore_vendors``, ``erp_commitment_lines``…)
    to frames; absent tables count as empty; ERP tables carry the dimensions ``mappings.shape``
    declares. ``currency`` is the Procore projects' (profile ``[procore].currency``). Raises
    ``MappingError`` when two equally specific mapping rows match one record.
    """
    shape = mappings.shape

    def table(frames: dict[str, pl.DataFrame], name: str) -> pl.DataFrame:
        return _table(frames, name, shape)

    projects = table(procore, "procore_projects")
    active = projects.filter(pl.col("active").fill_null(True))
    hierarchy = table(erp, "erp_hierarchy")
    erp_heads, erp_lines = table(erp, "erp_commitments"), table(erp, "erp_commitment_lines")
    foreign = _foreign_pos(erp_heads, erp_lines, currency)
    ctx = Context(
        mappings=mappings,
        tolerance=Decimal(tolerance),
        active_projects=active.select(pl.col("id").alias("project_id"), "project_number"),
        inactive_numbers=projects.filter(~pl.col("active").fill_null(True))["project_number"],
        hierarchy=hierarchy if hierarchy.height else None,
        currency=currency,
        foreign=foreign if foreign.height else None,
    )
    pc_vendors = table(procore, "procore_vendors")
    erp_vendors = table(erp, "erp_vendors")
    parts = diff_vendors(pc_vendors, erp_vendors, mappings)
    keyed = key_lines(table(procore, "procore_commitment_lines"), erp_lines, ctx)
    lines = merge_assignments(keyed)
    # The origin match needs only the two key columns, so it runs in a second thread while
    # the mapping lookup and the commitment rules run here: each is mostly single-threaded
    # work, and on two cores both finish in the time of the longer (Polars frees the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        matching = pool.submit(match_by_origin, keyed.procore["_k"], lines["_k"], keyed.numeric)
        items = erp_items(lines, keyed, ctx)
        commitment_parts, links = diff_commitments(
            table(procore, "procore_commitments"),
            keyed.procore_sums,
            erp_heads,
            items,
            vendor_links(pc_vendors, erp_vendors, mappings),
            ctx,
        )
        origin = matching.result()
    parts += commitment_parts
    parts += diff_commitment_lines(keyed, items, links, ctx, origin)
    parts += diff_budgets(table(erp, "erp_budgets"), table(procore, "procore_budget_lines"), ctx)
    parts += diff_actuals(table(erp, "erp_actuals"), table(procore, "procore_actual_lines"), ctx)
    return finish(parts)
