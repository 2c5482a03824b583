"""Export the report: where and what, ask before overwriting, then the CLI's own writer.

One export path: the target is checked by ``reconcile.export.check_target`` (the store and
the profile's files are never overwritten; an existing file only when the analyst says so,
as ``--force`` does for cron) and written by ``reconcile.export.export_store``, so the XLSX
carries the audit sheet exactly as ``tieout export`` writes it. As there, the default is the
close period's exceptions with their current status, closed ones included (the working close,
else the default month), and the file name, the summary and the notice carry the period, not
the day the export ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from textual import on, work
from textual.message import Message

from app.tui.flows.base import Workstation
from app.tui.screens.modals import ConfirmModal, ExportModal, ExportRequest
from reconcile.close.period import default_period
from reconcile.export import ExportTargetExists
from reconcile.query import ExceptionFilter


def slug(name: str) -> str:
    """A file-name-safe form of a profile name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tieout"


@dataclass(frozen=True)
class ExportJob:
    """What to write: the dialog's answer, the period, the grid's filter then, overwrite."""

    request: ExportRequest
    period: str
    filter: ExceptionFilter | None
    overwrite: bool = False


@dataclass
class ExportDone:
    """What an export wrote (carried by ``ExportFinished``)."""

    path: str
    rows: int
    period: str | None  # None: every exception ever found, not one period's


class ExportFinished(Message):
    """An export ended."""

    def __init__(self, *, done: ExportDone | None = None, error: str | None = None) -> None:
        super().__init__()
        self.done = done
        self.error = error


class ExportTargetTaken(Message):
    """The target file exists: ask before overwriting it."""

    def __init__(self, job: ExportJob, reason: str) -> None:
        super().__init__()
        self.job = job
        self.reason = reason


class ExportFlow(Workstation):
    """The export dialog, the overwrite question, the write."""

    def export_period_name(self) -> str:
        """The period the dialog offers: the working close as home shows it, else the default
        month of the clock's day (last month until the 10th), as ``tieout export`` picks it."""
        return self.close_period or default_period(self.clock().date())

    def default_export_stem(self, period: str) -> str:
        return f"{slug(self.profile.name)}-{period}"

    def action_export(self) -> None:
        period = self.export_period_name()

        def answered(request: object) -> None:
            if isinstance(request, ExportRequest):
                f = (
                    self.exceptions.filter
                    if request.scope == "filter" and self.exceptions is not None
                    else None
                )
                self._export(ExportJob(request, period, f))

        self.push_screen(ExportModal(self.default_export_stem(period), self.export_dir, period), answered)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, job: ExportJob) -> None:
        path = job.request.path
        try:
            target = self.services.export_target(path, overwrite=job.overwrite)
        except ExportTargetExists as exc:
            self.post_message(ExportTargetTaken(job, str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - the store, a folder, a bad path: one sentence
            self.post_message(ExportFinished(error=self.failure("export", exc)))
            return
        scope, fmt = job.request.scope, job.request.fmt
        try:
            if scope == "all":
                everything = self.services.report(None)
                self.services.export(everything, target, fmt)
                rows, period = everything.height, None
            else:
                close = self.services.export_period(job.period, self.clock().date())
                frame = self.services.report(job.filter) if scope == "filter" else None
                rows, period = self.services.export_close(target, fmt, close, frame), close.period
        except OSError as exc:  # a path that cannot be written: one sentence
            self.post_message(ExportFinished(error=f"Cannot export to {path}: {exc}"))
            return
        except Exception as exc:  # noqa: BLE001
            self.post_message(ExportFinished(error=self.failure("export", exc)))
            return
        self.post_message(ExportFinished(done=ExportDone(str(target), rows, period)))

    @on(ExportTargetTaken)
    def _export_target_taken(self, message: ExportTargetTaken) -> None:
        job = message.job

        def answer(yes: bool | None) -> None:
            if yes:
                self._export(replace(job, overwrite=True))
            else:
                self.write_log(f"Export to {job.request.path} cancelled: the file exists.")

        self.push_screen(
            ConfirmModal("Overwrite the file?", f"{message.reason} Replace it?", "Overwrite", "Keep it"),
            answer,
        )

    @on(ExportFinished)
    def _export_finished(self, message: ExportFinished) -> None:
        if message.done is not None:
            done = message.done
            what = f"of period {done.period}" if done.period else "(every exception ever found)"
            line = f"Exported {done.rows:,} rows {what} to {done.path}."
            self.write_log(line)
            self.say(line)
        else:
            self.write_log(message.error or "Export failed.")
            self.say(message.error or "Export failed.", severity="error", timeout=10)
