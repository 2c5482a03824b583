"""The cut-off: records dated after it belong to the next period, not to this close. Pure.

Applied to the canonical frames before the diff (``reconcile.exceptions`` loads them through
``apply_cutoff``), so a late actual is neither counted in this period's totals nor raised as
one of its exceptions; the next period's close, with a later cut-off, counts it.

What carries a date: Procore's direct cost lines (the direct cost's ``direct_cost_date``)
and subcontractor invoice items (the requisition's ``billing_date``), in
``procore_actual_lines.document_date``; the ERP's actuals in ``erp_actuals.posting_date``.
No ERP Tieout reads reports actual cost per posting (SAP S/4's aggregated journal, ECC's COSP,
EBS's GET_ACTUALS and PeopleSoft's LEDGER are balances per fiscal period), so an ERP row is
dated on its fiscal period's last day (``adapters.fiscal_period``): with the cut-off on the
period's last day or later, the period's balance counts and the next period's does not; a
cut-off inside a month leaves that month's ERP balance to the next period (docs/close.md).
A row with no date stays in the period (it cannot be shown to be late).
"""

from __future__ import annotations

from datetime import date

import polars as pl

#: canonical table -> the date column that places its rows in a period.
DATED: dict[str, str] = {
    "procore_actual_lines": "document_date",
    "erp_actuals": "posting_date",
}


def within(frame: pl.DataFrame, column: str, cutoff: date) -> pl.DataFrame:
    """The rows dated on or before ``cutoff`` (and those with no date)."""
    if column not in frame.columns:
        return frame
    return frame.filter(pl.col(column).is_null() | (pl.col(column) <= pl.lit(cutoff, pl.Date)))


def apply_cutoff(frames: dict[str, pl.DataFrame], cutoff: date | None) -> dict[str, pl.DataFrame]:
    """``frames`` (canonical table name -> frame) with every dated table cut at ``cutoff``."""
    if cutoff is None:
        return frames
    return {t: within(f, DATED[t], cutoff) if t in DATED else f for t, f in frames.items()}


def late(frames: dict[str, pl.DataFrame], cutoff: date) -> dict[str, int]:
    """How many rows of each dated table fall after the cut-off (for the close's summary)."""
    out: dict[str, int] = {}
    for table, column in DATED.items():
        frame = frames.get(table)
        if frame is not None and column in frame.columns:
            out[table] = int(frame.filter(pl.col(column) > pl.lit(cutoff, pl.Date)).height)
    return out
