"""What the workstation (and the CLI) call for the month-end close: one import, plain types.

Every function here is synchronous and does database work: call it from a worker thread,
never from a Textual event handler. Errors a user can act on are ``CloseError``,
``PeriodError``, ``MappingChangeError``, ``MappingError`` and ``DecisionError`` (its
``PeriodLocked`` when the working period is locked), each one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from reconcile.close import compare, signoff, state
from reconcile.close.cutoff import late
from reconcile.close.mapping_changes import MappingChange, apply_change
from reconcile.close.mapping_changes import preview as preview_mapping
from reconcile.close.period import ClosePeriod, default_period
from reconcile.close.signoff import Readiness
from reconcile.close.tieout import tie_out_store
from reconcile.query import Progress, progress

if TYPE_CHECKING:
    from reconcile.export import ExportResult, Format
    from reconcile.profile import Profile
    from reconcile.store import Store

__all__ = [
    "CloseStatus",
    "MappingChange",
    "against_last",
    "apply_mapping_change",
    "close_status",
    "export_evidence",
    "lock",
    "open_close",
    "close_of",
    "preview_mapping",
    "report_name",
    "sign",
    "tie_out",
]


@dataclass(frozen=True)
class CloseStatus:
    """Everything home shows about the close: period, cut-off, progress, sign-offs, changes."""

    close: ClosePeriod | None
    readiness: Readiness | None
    progress: Progress
    locked: state.Lock | None
    changes: dict[str, int]  # new / carried / resolved against the last sign-off
    late_rows: dict[str, int]  # canonical table -> rows dated after the cut-off


def open_close(
    store: Store,
    period: str | None = None,
    cutoff: date | str | None = None,
    *,
    actor: str,
    today: date | None = None,
) -> ClosePeriod:
    """Open (or return) the close of ``period`` (default: ``default_period(today)``) with its
    cut-off (default: the period's last day) as the store's working period. Re-diff afterwards
    (``reconcile.exceptions.run_diff``) so the exceptions follow the cut-off."""
    chosen = period or default_period(today or datetime.now().date())
    return state.open_period(store, ClosePeriod.of(chosen, cutoff), actor=actor)


def close_of(store: Store, period: str | None, today: date) -> ClosePeriod:
    """The close an export is for: ``period`` with the cut-off it was opened with (else its
    last day); with no period, the store's working close, else the default month of ``today``
    (last month until the 10th). ``PeriodError`` for a period that is not ``YYYY-MM``."""
    if period:
        known = store.query("SELECT strftime(cutoff, '%Y-%m-%d') AS c FROM closes WHERE period = ?", [period])
        return ClosePeriod.of(period, known["c"][0] if known.height else None)
    return state.current(store) or ClosePeriod.of(default_period(today))


def close_status(store: Store) -> CloseStatus:
    """The working close's status (a store with no close yet has ``close`` None)."""
    close = state.current(store)
    cur = store.cursor()
    try:
        lock = state.lock_of(cur, close.period) if close else None
    finally:
        cur.close()
    changes: dict[str, int] = {}
    late_rows: dict[str, int] = {}
    if close is not None:
        frame = compare.against_last(store, close, describe=False)
        changes = {c: int(frame.filter(pl.col("change") == c).height) for c in compare.CHANGES}
        late_rows = late(
            {t: store.canonical(t) for t in ("procore_actual_lines", "erp_actuals")}, close.cutoff
        )
    return CloseStatus(
        close=close,
        readiness=signoff.readiness(store, close.period) if close else None,
        progress=progress(store),
        locked=lock,
        changes=changes,
        late_rows=late_rows,
    )


def tie_out(store: Store, profile: Profile, cutoff: date | None = None) -> pl.DataFrame:
    """Per project and object: ERP total, Procore total, difference (``TIEOUT_SCHEMA``).

    Use this for home's per-project view instead of summing exception differences: that sum
    mixes objects and counts a PO with its lines twice. Filter ``project`` to drill in.
    """
    return tie_out_store(store, profile, cutoff)


def against_last(store: Store, close: ClosePeriod | None = None) -> pl.DataFrame:
    """``exception_id, change (new|carried|resolved), age`` plus each exception's description."""
    chosen = close or state.current(store)
    if chosen is None:
        return pl.DataFrame(schema=compare.COMPARE_SCHEMA)
    return compare.against_last(store, chosen)


def sign(store: Store, profile: Profile, period: str, *, actor: str) -> dict[str, Any]:
    """The analyst's sign-off (see ``reconcile.close.signoff.sign``)."""
    return signoff.sign(store, profile, period, actor=actor)


def lock(store: Store, period: str, *, actor: str) -> dict[str, Any]:
    """The reviewer's sign-off, which locks the period (see ``reconcile.close.signoff.review``)."""
    return signoff.review(store, period, actor=actor)


def report_name(profile_name: str, period: str, fmt: str) -> str:
    """The report's file name: the profile and the period, never the wall clock."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in profile_name.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{slug or 'tieout'}-{period}.{fmt}"


def export_evidence(
    store: Store,
    profile: Profile,
    close: ClosePeriod,
    path: str | Path,
    fmt: Format = "xlsx",
    *,
    overwrite: bool,
) -> ExportResult:
    """The period's report through the one export path (an XLSX is the period's evidence)."""
    from reconcile.export import export_store

    return export_store(store, profile, path, fmt, overwrite=overwrite, period=close)


def apply_mapping_change(
    store: Store, profile: Profile, file: str, line: int | None, row: str, *, actor: str
) -> MappingChange:
    """Write one mapping row, audited (``reconcile.close.mapping_changes.apply_change``); re-diff after."""
    return apply_change(store, profile, file, line, row, actor=actor)
