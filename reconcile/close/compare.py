"""This close against the last: which exceptions are new, carried over (and for how many closes),
and resolved since the last sign-off. The comparison is pure; ``against_last`` reads the store.

Carried items keep their decisions: a decision belongs to the exception id, which is stable
across pulls, so nothing is copied; the comparison only shows the age and the change.
"""

from __future__ import annotations

import polars as pl

from reconcile.close.period import ClosePeriod
from reconcile.store import Store

CHANGES = ("new", "carried", "resolved")

COMPARE_SCHEMA: dict[str, pl.DataType] = {
    "exception_id": pl.String(),
    "change": pl.String(),
    "age": pl.Int64(),
}


def compare(current_open: pl.Series, history: pl.DataFrame, period: str) -> pl.DataFrame:
    """``exception_id, change, age`` for the open exceptions now against the signed closes before ``period``.

    ``history`` holds ``period, exception_id, is_open`` of the exceptions each earlier close
    signed. ``age`` counts the consecutive signed closes, latest first, that had the exception
    open (0 for a new one); a resolved one was open at the last close and is not open now.
    """
    before = history.filter(pl.col("period") < period)
    periods = sorted(before["period"].unique().to_list(), reverse=True)
    now_open = set(current_open.drop_nulls().to_list())
    open_in = [
        set(before.filter((pl.col("period") == p) & pl.col("is_open"))["exception_id"].to_list())
        for p in periods
    ]
    last = open_in[0] if open_in else set()
    rows: list[tuple[str, str, int]] = []
    for eid in sorted(now_open):
        age = 0
        for ids in open_in:
            if eid not in ids:
                break
            age += 1
        rows.append((eid, "carried" if eid in last else "new", age))
    for eid in sorted(last - now_open):
        age = 0
        for ids in open_in:
            if eid not in ids:
                break
            age += 1
        rows.append((eid, "resolved", age))
    return pl.DataFrame(rows or None, schema=COMPARE_SCHEMA, orient="row")


def against_last(store: Store, close: ClosePeriod) -> pl.DataFrame:
    """``compare`` for the store: open exceptions now against the closes signed before ``close``,
    with each exception's object, kind, key, project and current status."""
    from reconcile.decisions import LATEST_DECISIONS

    history = store.query(
        "SELECT i.period, i.exception_id, i.is_open FROM close_items i "
        "WHERE i.period IN (SELECT period FROM close_signoffs WHERE role = 'analyst')"
    )
    if history.is_empty():
        history = pl.DataFrame(schema={"period": pl.String, "exception_id": pl.String, "is_open": pl.Boolean})
    current = store.query("SELECT exception_id FROM exceptions WHERE is_open")
    changes = compare(
        current["exception_id"] if current.height else pl.Series([], dtype=pl.String), history, close.period
    )
    described = store.query(
        "SELECT e.exception_id, e.object, e.kind, e.key, e.project, e.difference, "
        "coalesce(d.status, 'open') AS status, d.reason_code, d.assigned_to, d.note "
        f"FROM exceptions e LEFT JOIN ({LATEST_DECISIONS}) d USING (exception_id)"
    )
    if described.is_empty():
        return changes
    return changes.join(described, on="exception_id", how="left").sort("change", "exception_id")
