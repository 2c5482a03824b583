"""The period's evidence: what the XLSX of a close carries besides the exceptions and the audit log.

``reconcile.export.export_store(..., period=close)`` writes it through the one export path:
the summary per project (the tie-out, as signed when the period is signed), every exception
of the period with reason, assignee, decider and time (as signed, once signed), the
sign-offs with the chain head and snapshots each bound, this close against the last, the
mapping changes, the audit sheet and the head hash.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

import polars as pl

from mappings import MappingError
from reconcile.canonical import MONEY
from reconcile.close import compare, signoff
from reconcile.close.period import ClosePeriod
from reconcile.close.tieout import TIEOUT_SCHEMA, tie_out_store
from reconcile.export_xlsx import Evidence
from reconcile.query import ExceptionFilter, report_frame

if TYPE_CHECKING:
    from reconcile.profile import Profile
    from reconcile.store import Store


def _start(close: ClosePeriod) -> datetime:
    return datetime.combine(close.start, time(), UTC)


def _signed(store: Store, period: str) -> bool:
    row = store.query(
        "SELECT count(*) AS n FROM close_signoffs WHERE period = ? AND role = 'analyst'", [period]
    )
    return bool(row["n"][0])


def period_report(store: Store, close: ClosePeriod) -> pl.DataFrame:
    """The period's exceptions in the report's columns: as signed once the analyst signed it,
    else with their current status (closed ones included)."""
    if _signed(store, close.period):
        return store.query(
            "SELECT exception_id, object, kind, key, project, field, erp_value, procore_value, difference, "
            "status, rule, first_seen, decided_by, decided_at, note, reason_code, assigned_to "
            "FROM close_items WHERE period = ? ORDER BY object, key, kind, field, exception_id",
            [close.period],
        )
    f = ExceptionFilter(open_only=False, seen_since=_start(close))
    return report_frame(store, f, grid_order=False)


def _signed_totals(store: Store, period: str) -> pl.DataFrame | None:
    got = store.query(
        "SELECT CAST(totals AS VARCHAR) AS totals FROM close_signoffs WHERE period = ? AND role = 'analyst' "
        "ORDER BY id DESC LIMIT 1",
        [period],
    )
    if got.is_empty():
        return None
    rows = json.loads(got["totals"][0])
    # The sign-off kept money as exact text; a frame built straight onto a Decimal schema turns
    # text into nulls without a word (the evidence's Close sheet came out empty), so read the
    # text and cast it, strictly: a value that is not a decimal fails here, not silently.
    money = [c for c, t in TIEOUT_SCHEMA.items() if t == MONEY]
    text_schema = {c: pl.String() for c in ("project", "object", *money)}
    frame = pl.DataFrame(
        [{c: None if r.get(c) is None else str(r[c]) for c in text_schema} for r in rows] or None,
        schema=text_schema,
        orient="row",
    )
    return frame.with_columns(pl.col(c).cast(MONEY, strict=True) for c in money)


def evidence_of(store: Store, profile: Profile, close: ClosePeriod, *, with_sheets: bool = True) -> Evidence:
    """The summary lines and extra sheets of ``close``'s evidence."""
    lines = [
        f"Period {close.period}, cut-off {close.cutoff}: records dated after it belong to the next period."
    ]
    ready = signoff.readiness(store, close.period)
    lines.append(ready.sentence())
    signs = signoff.signoffs(store, close.period)
    for r in signs.iter_rows(named=True):
        who = "Signed" if r["role"] == "analyst" else "Locked"
        lines.append(
            f"{who} by {r['signed_by']} on {r['signed_at']:%Y-%m-%d %H:%M} UTC, bound to audit head "
            f"{r['audit_count']} / {r['audit_head']}, Procore snapshot {r['procore_snapshot_id']}, "
            f"ERP snapshot {r['erp_snapshot_id']}, diff run {r['diff_run_id']}."
        )
    if not with_sheets:
        return Evidence(close.period, lines)
    sheets: list[tuple[str, pl.DataFrame]] = []
    totals = _signed_totals(store, close.period)
    if totals is None:
        try:
            totals = tie_out_store(store, profile, close.cutoff).drop(
                "erp_rows", "procore_rows", "erp_foreign_rows"
            )
        except MappingError as exc:
            lines.append(f"No tie-out: {exc}")
    if totals is not None:
        sheets.append(("Close", totals))
    sheets.append(("Sign-offs", signs))
    sheets.append(("Against last", compare.against_last(store, close)))
    sheets.append(("Mapping changes", _mapping_changes(store)))
    return Evidence(close.period, lines, sheets)


def _mapping_changes(store: Store) -> pl.DataFrame:
    frame = store.query(
        "SELECT changed_at, changed_by, file, line, before_row, after_row, "
        "CAST(resolved AS VARCHAR) AS resolved, CAST(added AS VARCHAR) AS added FROM mapping_changes ORDER BY id"
    )
    if frame.is_empty():
        return pl.DataFrame(
            schema={
                "changed_at": pl.Datetime("us", "UTC"),
                "changed_by": pl.String,
                "file": pl.String,
                "line": pl.Int64,
                "before_row": pl.String,
                "after_row": pl.String,
                "resolved": pl.String,
                "added": pl.String,
            }
        )
    return frame
