"""The one seam between the workstation and the engine: every reconcile call the app makes.

Why a class: tests replace it with a fake that still writes into a real ``Store`` (so the
grid, detail and audit read real tables), and engine modules that have not landed yet are
reached through ``importlib`` so the app keeps working and says what is missing.
All methods block; the app calls them from thread workers only.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from adapters.base import Progress
from reconcile import query
from reconcile.profile import Profile
from reconcile.store import Store

ProgressCallback = Callable[[str, Progress], None]


class NotAvailable(Exception):
    """An engine feature that this build does not have yet; the message says which."""


@dataclass
class PullResult:
    """How a pull ended, in the app's terms."""

    ok: bool
    error: str | None = None
    cancelled: bool = False


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


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


class Services:
    """The reconcile functions the app calls, bound to one profile and store."""

    def __init__(self, profile: Profile, store: Store) -> None:
        self.profile = profile
        self.store = store

    # -- pull and diff --------------------------------------------------------------------
    def pull(self, *, full: bool, progress: ProgressCallback, cancel: threading.Event) -> PullResult:
        """Snapshot both sides (blocking; network inside)."""
        pull = _module("reconcile.pull")
        if pull is None:
            raise NotAvailable("Pulling is not available in this build.")
        outcome = pull.run_pull(self.profile, self.store, full=full, progress=progress, cancel=cancel)
        return PullResult(ok=bool(outcome.ok), error=outcome.error, cancelled=cancel.is_set())

    def diff(self) -> DiffSummary:
        """Recompute exceptions from the current snapshots."""
        exc = _module("reconcile.exceptions")
        if exc is None:
            raise NotAvailable("Diffing is not available in this build.")
        result = exc.run_diff(self.store, self.profile)
        counts = getattr(result, "counts", None)
        if isinstance(counts, dict):
            return DiffSummary(
                {str(k if isinstance(k, str) else "/".join(k)): int(v) for k, v in counts.items()}
            )
        return DiffSummary(self._open_counts())

    def _open_counts(self) -> dict[str, int]:
        frame = self.store.query(
            "SELECT object || '/' || kind AS k, count(*) AS n FROM exceptions WHERE is_open GROUP BY 1"
        )
        return {str(k): int(n) for k, n in frame.iter_rows()}

    def preview_mapping_change(self, mappings_dir: Path) -> tuple[list[str], list[str]]:
        """Exception ids a changed mapping folder would add and remove, without keeping anything."""
        exc = _module("reconcile.exceptions")
        if exc is None or not hasattr(exc, "preview_mapping_change"):
            raise NotAvailable("Previewing a mapping change is not available in this build.")
        from mappings.load import load_mappings

        procore, _erp = exc._canonical(self.store)
        codes = procore["procore_cost_codes"]
        override = load_mappings(mappings_dir, codes if codes.height else None, procore["procore_projects"])
        added, removed = exc.preview_mapping_change(self.store, self.profile, override)
        return list(added), list(removed)

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
        from reconcile import decisions

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

    def history(self, exception_id: str) -> list[dict[str, Any]]:
        """Every decision on one exception, oldest first."""
        from reconcile import decisions

        return decisions.history(self.store, exception_id)

    def audit(self) -> pl.DataFrame:
        """The audit log, newest last."""
        from reconcile import audit

        return audit.entries(self.store)

    def plan_push(self, exception_id: str) -> PushPreview:
        """The write that would fix ``exception_id``, re-read from the target (never writes)."""
        push = _module("reconcile.push")
        if push is None:
            raise NotAvailable("Push is not yet available.")
        plan = push.plan_push(self.store, self.profile, exception_id)
        return PushPreview("\n".join(plan.render()), bool(plan.can_push), plan.refusal, plan)

    def execute_push(self, preview: PushPreview, *, actor: str | None = None) -> str:
        """Perform an approved plan (exactly once, audited); returns the outcome sentence."""
        push = _module("reconcile.push")
        if push is None:
            raise NotAvailable("Push is not yet available.")
        result = push.execute_push(self.store, self.profile, preview.plan, actor=actor)
        return f"Push {result.state}: {result.message}"

    # -- export -----------------------------------------------------------------------------
    def export(self, frame: pl.DataFrame, path: Path, fmt: str) -> None:
        """Write the report frame to ``path`` as csv, xlsx or parquet."""
        export = _module("reconcile.export")
        if export is not None:
            export.export(frame, path, fmt, profile_name=self.profile.name)
            return
        _fallback_export(frame, path, fmt)

    def report(self, f: query.ExceptionFilter | None) -> pl.DataFrame:
        """The report rows of a filter (None: every exception, open or not)."""
        return query.report_frame(self.store, f or query.ExceptionFilter(open_only=False))


_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    cols = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            c = pl.col(name)
            cols.append(
                pl.when(c.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + c).otherwise(c).alias(name)
            )
    return frame.with_columns(cols) if cols else frame


def _fallback_export(frame: pl.DataFrame, path: Path, fmt: str) -> None:
    """Until ``reconcile.export`` lands: the same columns, formula-safe, Decimal kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.write_parquet(path)
        return
    safe = _neutralise(frame)
    if fmt == "csv":
        safe.write_csv(path)
    elif fmt == "xlsx":
        safe.write_excel(path, autofilter=True)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
