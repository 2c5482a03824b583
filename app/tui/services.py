"""The one seam between the workstation and the engine: every reconcile call the app makes.

Why a class: tests replace it with a fake that still writes into a real ``Store`` (so the
grid, detail and audit read real tables), while the real one is exercised against the
simulators. All methods block; the app calls them from thread workers only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from adapters.base import AdapterError, Progress
from mappings import MappingError
from reconcile import audit, batch, decisions, exceptions, export, groups, push, query
from reconcile import pull as pulls
from reconcile.close.mapping_changes import (
    BulkEffect,
    MappingChange,
    MappingChangeError,
    MappingNeed,
    bulk_preview,
    common_need,
)
from reconcile.close.period import ClosePeriod
from reconcile.close.state import CloseError
from reconcile.export import Format
from reconcile.profile import Profile, ProfileError
from reconcile.secrets import SecretMissing
from reconcile.store import Store, StoreError

ProgressCallback = Callable[[str, Progress], None]

#: Errors whose message is a sentence the analyst can act on (a file, a line, a record, a
#: setting); the app shows them as they are. Anything else is a defect: logged, traceback kept.
ACTIONABLE: tuple[type[BaseException], ...] = (
    ProfileError,
    MappingError,
    StoreError,
    SecretMissing,
    AdapterError,
    push.PushError,
    decisions.DecisionError,
    export.ExportError,
    CloseError,
    MappingChangeError,
    OSError,
)


@dataclass
class PullResult:
    """How a pull ended, in the app's terms."""

    ok: bool
    error: str | None = None
    cancelled: bool = False
    #: The pull stopped part-way and ``resume`` continues it (budget spent, network lost, cancel).
    resumable: bool = False


@dataclass
class PushPreview:
    """A planned push as the confirm dialog shows it."""

    text: str
    can_push: bool
    refusal: str | None = None
    plan: Any = None


@dataclass
class DiffSummary:
    """How many exceptions a diff left open, by ``object/kind``."""

    counts: dict[str, int] = field(default_factory=dict)


class Services:
    """The reconcile functions the app calls, bound to one profile and store."""

    def __init__(self, profile: Profile, store: Store) -> None:
        self.profile = profile
        self.store = store

    # -- pull and diff --------------------------------------------------------------------
    def pull(
        self, *, full: bool, progress: ProgressCallback, cancel: threading.Event, resume: bool = False
    ) -> PullResult:
        """Snapshot both sides (blocking; network inside)."""
        outcome = pulls.run_pull(
            self.profile, self.store, full=full, resume=resume, progress=progress, cancel=cancel
        )
        resumable = any(s.resumable for s in outcome.sources)
        return PullResult(ok=outcome.ok, error=outcome.error, cancelled=cancel.is_set(), resumable=resumable)

    def resumable(self) -> bool:
        """Whether a side's last pull stopped part-way with work done, which ``resume`` keeps."""
        for source in ("procore", "erp"):
            latest = self.store.latest_snapshot(source)
            if (
                latest is not None
                and latest.status in pulls.RESUMABLE_STATES
                and self.store.done_units(latest.id)
            ):
                return True
        return False

    def plan(self) -> list[str]:
        """The pull plan table (requests and time at the reported limit, full and incremental)."""
        from app.commands.pull import format_plan

        return format_plan(pulls.plan_pull(self.profile, self.store))

    def diff(self) -> DiffSummary:
        """Recompute exceptions from the current snapshots."""
        result = exceptions.run_diff(self.store, self.profile)
        return DiffSummary({f"{obj}/{kind}": int(n) for (obj, kind), n in result.counts.items()})

    def preview_mapping_change(self, mappings_dir: Path) -> tuple[list[str], list[str]]:
        """The exceptions a changed mapping folder would add and resolve, one line each
        (``id  object kind key (field)``), without keeping anything."""
        override = exceptions.mappings_for(self.store, self.profile, mappings_dir)
        added, removed = exceptions.mapping_change_effect(self.store, self.profile, override)

        def lines(frame: pl.DataFrame) -> list[str]:
            return [
                f"{r['exception_id']}  {r['object']} {r['kind']} {r['key']}"
                + (f" ({r['field']})" if r["field"] else "")
                for r in frame.iter_rows(named=True)
            ]

        return lines(added), lines(removed)

    def preview_mapping_for(self, ids: list[str], file: str, line: int | None, row: str) -> BulkEffect:
        """What one mapping row would do to ``ids`` (resolve, move on, or not touch), and what else."""
        return bulk_preview(self.store, self.profile, file, line, row, ids)

    def apply_mapping_change(
        self, file: str, line: int | None, row: str, *, actor: str | None = None
    ) -> MappingChange:
        """Write one mapping row through the audited path (who, when, the row, what it resolved)."""
        from reconcile.close import api

        who = actor or decisions.default_actor()
        return api.apply_mapping_change(self.store, self.profile, file, line, row, actor=who)

    def mapping_need(self, ids: list[str]) -> MappingNeed | str:
        """The one mapping row ``ids`` all need, or the sentence saying they need different ones."""
        rows = [r for r in (query.exception(self.store, i) for i in ids) if r is not None]
        return common_need(rows, self.profile.erp.shape)

    # -- decisions --------------------------------------------------------------------------
    def decide(
        self,
        exception_id: str,
        status: str,
        *,
        actor: str | None = None,
        reason_code: str | None = None,
        note: str | None = None,
        assigned_to: str | None = None,
    ) -> None:
        """Record a decision (and its audit entry)."""
        decisions.decide(
            self.store,
            exception_id,
            status,
            actor=actor,
            reason_code=reason_code,
            note=note,
            assigned_to=assigned_to,
            allowed_reason_codes=self.profile.rules.reason_codes if reason_code else None,
        )

    def assign(self, exception_id: str, team: str, *, actor: str | None = None) -> str:
        """Assign an exception to a team (its status stays); returns that status."""
        return str(decisions.assign(self.store, exception_id, team, actor=actor)["status"])

    def explain_many(
        self,
        ids: list[str],
        reason_code: str,
        note: str | None,
        *,
        actor: str | None = None,
        cancel: threading.Event | None = None,
        progress: batch.Progress | None = None,
    ) -> batch.BatchOutcome:
        """Explain each exception of ``ids`` (one audited decision each; refusals collected);
        ``progress`` hears of each committed chunk, ``cancel`` stops between chunks."""
        return batch.explain_all(
            self.store,
            ids,
            reason_code,
            note=note,
            actor=actor,
            allowed_reason_codes=self.profile.rules.reason_codes,
            cancel=cancel,
            progress=progress,
        )

    def assign_many(
        self,
        ids: list[str],
        team: str,
        *,
        actor: str | None = None,
        cancel: threading.Event | None = None,
        progress: batch.Progress | None = None,
    ) -> batch.BatchOutcome:
        """Assign each exception of ``ids`` to ``team`` (one audited decision each)."""
        return batch.assign_all(self.store, ids, team, actor=actor, cancel=cancel, progress=progress)

    def consequences(self, exception_id: str) -> list[str]:
        """The open exceptions the same cause produces (a PO's lines, one WBS element's items)."""
        row = query.exception(self.store, exception_id)
        return [] if row is None else groups.consequences(self.store, row)

    def matching_ids(self, f: query.ExceptionFilter) -> list[str]:
        """Every exception id of a filter, in its order (the grid's "all rows of this filter")."""
        return [str(i) for i in query.report_frame(self.store, f).get_column("exception_id").to_list()]

    # -- the month-end close ------------------------------------------------------------------
    def close_status(self) -> Any:
        """The working close: period, ``undecided N of M``, sign-offs (``reconcile.close.api``)."""
        from reconcile.close import api

        return api.close_status(self.store)

    def open_close(self, period: str, *, actor: str | None = None) -> str | None:
        """Open ``period``'s close with its default cut-off when no close is open (the workstation
        holds the store, so ``tieout close`` cannot open it meanwhile). Returns the sentence to
        show, or None when a close was already open (re-diffing is the caller's)."""
        from reconcile.close import api, state

        if state.current(self.store) is not None:
            return None
        close = api.open_close(self.store, period, actor=actor or decisions.default_actor())
        return f"Opened the close of {close.period} with cut-off {close.cutoff}; re-diffing with it."

    def sign_off(self, *, actor: str | None = None) -> str:
        """Sign the working period: the analyst's sign-off, or a reviewer's that locks it.

        Who signs first is the analyst; anyone else signing a signed period is the reviewer.
        Returns the sentence to show; ``CloseError`` says why not.
        """
        from reconcile.close import api
        from reconcile.close.state import CloseError

        who = actor or decisions.default_actor()
        status = api.close_status(self.store)
        if status.close is None:
            raise CloseError("No close is open: run `tieout close --period YYYY-MM` to open one.")
        period = status.close.period
        readiness = status.readiness
        if readiness is not None and readiness.signed_by and readiness.signed_by != who:
            api.lock(self.store, period, actor=who)
            return f"Period {period} reviewed and locked by {who}."
        api.sign(self.store, self.profile, period, actor=who)
        return f"Period {period} signed by {who}; a reviewer's sign-off locks it."

    def history(self, exception_id: str) -> list[dict[str, Any]]:
        """Every decision on one exception, oldest first."""
        return decisions.history(self.store, exception_id)

    def audit(self) -> pl.DataFrame:
        """The audit log, newest last."""
        return audit.entries(self.store)

    def push_directions(self, exception_id: str) -> list[str]:
        """The directions the profile allows that could fix ``exception_id`` (offline, cheap)."""
        row = query.exception(self.store, exception_id)
        if row is None:
            raise push.PushError(f"There is no exception {exception_id} in the store.")
        # A people-only profile (an IT admin's) has no [erp]: its user routes do not depend on one.
        erp = () if self.profile.erp_section is None else (self.profile.erp_section.kind,)
        routes = push.routes_for(row["object"], row["kind"], row.get("field"), *erp)
        return [d for d in routes if d in self.profile.push.allow]

    def plan_push(self, exception_id: str, direction: str | None = None) -> PushPreview:
        """The write that would fix ``exception_id``, re-read from the target (never writes)."""
        plan = push.plan_push(self.store, self.profile, exception_id, direction=direction)  # type: ignore[arg-type]
        return PushPreview("\n".join(plan.render()), bool(plan.can_push), plan.refusal, plan)

    def execute_push(self, preview: PushPreview, *, actor: str | None = None) -> str:
        """Perform an approved plan (exactly once, audited); returns the outcome sentence."""
        result = push.execute_push(self.store, self.profile, preview.plan, actor=actor)
        return f"Push {result.state}: {result.message}"

    def status(self, exception_id: str) -> str:
        """The exception's status now (its latest decision; ``open`` when undecided)."""
        return str(decisions.status(self.store, exception_id))

    # -- export -----------------------------------------------------------------------------
    def export_target(self, path: Path, *, overwrite: bool) -> Path:
        """The CLI's rules for a target: ``ExportTargetExists`` unless ``overwrite``, never the store."""
        return export.check_target(path, self.profile, overwrite=overwrite)

    def export(self, frame: pl.DataFrame, path: Path, fmt: export.Format) -> None:
        """Write the report frame through the CLI's one export path (audit sheet, head hash, manifest)."""
        export.export_store(self.store, self.profile, path, fmt, overwrite=True, frame=frame)

    def export_period(self, period: str | None, today: date) -> ClosePeriod:
        """The close an export is for, as ``tieout export --period`` picks it (``api.close_of``)."""
        from reconcile.close import api

        return api.close_of(self.store, period, today)

    def export_close(
        self, path: Path, fmt: Format, period: ClosePeriod, frame: pl.DataFrame | None = None
    ) -> int:
        """Write ``period``'s report as ``tieout export --period`` does (the file carries the
        period, an XLSX is its evidence): the whole period with current statuses, closed ones
        included, or ``frame`` (a filtered view). Returns the rows written."""
        return export.export_store(
            self.store, self.profile, path, fmt, overwrite=True, frame=frame, period=period
        ).rows

    def report(self, f: query.ExceptionFilter | None) -> pl.DataFrame:
        """The report rows of a filter (None: every exception, open or not)."""
        return query.report_frame(self.store, f or query.ExceptionFilter(open_only=False))
