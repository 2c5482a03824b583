"""This close against the last: which exceptions are new, carried over (and for how many closes),
and resolved since the last sign-off. The comparison is pure; ``against_last`` reads the store.

Carried items keep their decisions: a decision belongs to the exception id, which is stable
across pulls, so nothing is copied; the comparison only shows the age and the change.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from reconcile.close.period import ClosePeriod
from reconcile.store import Store

CHANGES = ("new", "carried", "resolved")

COMPARE_SCHEMA: dict[str, pl.DataType] = {
    "exception_id": pl.String(),
    "change": pl.String(),
    "age": pl.Int64(),
}


def compare(
    current_open: pl.Series, history: pl.DataFrame, period: str, signed: Sequence[str] | None = None
) -> pl.DataFrame:
    """``exception_id, change, age`` for the open exceptions now against the signed closes before ``period``.

    ``history`` holds ``period, exception_id, is_open`` of the exceptions each earlier close
    signed; ``signed`` names the signed periods (a close that signed no exception has no rows,
    and is still the last close; default: the periods ``history`` mentions). ``age`` counts the consecutive signed closes, latest first, that had the exception
    open (0 for a new one); a resolved one was open at the last close and is not open now.
    Vectorised: a close of a million exceptions compares in one pass of joins.
    """
    before = history.filter(pl.col("period") < period)
    named = before["period"].unique().to_list() if signed is None else [p for p in signed if p < period]
    periods = sorted(set(named), reverse=True)
    rank = pl.DataFrame(
        {"period": periods, "_i": list(range(len(periods)))}, schema={"period": pl.String, "_i": pl.Int64}
    )
    open_then = (
        before.filter(pl.col("is_open"))
        .select("period", "exception_id")
        .unique()
        .join(rank, on="period")
        .sort("exception_id", "_i")
    )
    # The streak from the last close backwards: the closes whose rank equals their position.
    ages = (
        open_then.with_columns(pl.int_range(pl.len()).over("exception_id").cast(pl.Int64).alias("_n"))
        .filter(pl.col("_i") == pl.col("_n"))
        .group_by("exception_id")
        .agg(pl.len().cast(pl.Int64).alias("age"))
    )
    last = open_then.filter(pl.col("_i") == 0).select("exception_id")
    now = pl.DataFrame({"exception_id": current_open.drop_nulls()}, schema={"exception_id": pl.String})
    if now["exception_id"].n_unique() != now.height:
        now = now.unique(maintain_order=True)
    carried = now.join(last, on="exception_id", how="semi").with_columns(pl.lit("carried").alias("change"))
    new = now.join(last, on="exception_id", how="anti").with_columns(pl.lit("new").alias("change"))
    resolved = last.join(now, on="exception_id", how="anti").with_columns(pl.lit("resolved").alias("change"))
    out = (
        pl.concat([carried, new, resolved])
        .join(ages, on="exception_id", how="left", maintain_order="left")
        .with_columns(pl.col("age").fill_null(0).cast(pl.Int64))
    )
    # Carried, new, resolved, each in the order the exceptions came: a global sort of a million
    # ids costs seconds, and the workstation sorts what it shows anyway.
    return out.select(list(COMPARE_SCHEMA))


def against_last(store: Store, close: ClosePeriod, *, describe: bool = True) -> pl.DataFrame:
    """``compare`` for the store: open exceptions now against the closes signed before ``close``,
    with each exception's object, kind, key, project and current status (``describe``; without
    it only the three columns, which is all the counts need)."""
    from reconcile.decisions import LATEST_DECISIONS

    history = store.query(
        "SELECT i.period, i.exception_id, i.is_open FROM close_items i "
        "WHERE i.period IN (SELECT period FROM close_signoffs WHERE role = 'analyst')"
    )
    if history.is_empty():
        history = pl.DataFrame(schema={"period": pl.String, "exception_id": pl.String, "is_open": pl.Boolean})
    signed = store.query("SELECT DISTINCT period FROM close_signoffs WHERE role = 'analyst'")
    current = store.query("SELECT exception_id FROM exceptions WHERE is_open")
    changes = compare(
        current["exception_id"] if current.height else pl.Series([], dtype=pl.String),
        history,
        close.period,
        signed["period"].to_list() if signed.height else [],
    )
    if not describe:
        return changes
    described = store.query(
        "SELECT e.exception_id, e.object, e.kind, e.key, e.project, e.difference, "
        "coalesce(d.status, 'open') AS status, d.reason_code, d.assigned_to, d.note "
        f"FROM exceptions e LEFT JOIN ({LATEST_DECISIONS}) d USING (exception_id)"
    )
    if described.is_empty():
        return changes
    return changes.join(described, on="exception_id", how="left", maintain_order="left")
