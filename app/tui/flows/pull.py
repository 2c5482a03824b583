"""Pull and diff: ``PullRequested → PullProgress* → PullFinished → DiffFinished``; the plan.

The pull's cancel event is the one piece of state the flow keeps: set while a pull runs,
so a second request is refused and ``c`` has something to cancel.
"""

from __future__ import annotations

import threading
import time

from textual import on, work
from textual.message import Message

from adapters.base import Progress
from app.tui import messages as m
from app.tui.actions import by_id
from app.tui.flows.base import Workstation
from app.tui.screens.modals import PullModal

#: Seconds between progress updates of one resource's bar while a pull runs.
PROGRESS_INTERVAL = 0.2


class PullRequested(Message):
    """The analyst (or the startup age check) asked for a pull."""

    def __init__(self, *, full: bool = False, resume: bool = False, reason: str = "") -> None:
        super().__init__()
        self.full = full
        self.resume = resume
        self.reason = reason


class PullProgress(Message):
    """One progress tick of one resource."""

    def __init__(self, resource: str, progress: Progress) -> None:
        super().__init__()
        self.resource = resource
        self.progress = progress


class PullFinished(Message):
    """The pull ended: ``ok``, or an error sentence (the previous snapshot stays current)."""

    def __init__(
        self, *, ok: bool, error: str | None, cancelled: bool = False, resumable: bool = False
    ) -> None:
        super().__init__()
        self.ok = ok
        self.error = error
        self.cancelled = cancelled
        self.resumable = resumable


class DiffFinished(Message):
    """A diff run ended; ``counts`` by (object, kind), or an error sentence."""

    def __init__(self, *, counts: dict[str, int] | None = None, error: str | None = None) -> None:
        super().__init__()
        self.counts = counts or {}
        self.error = error


class PlanReady(Message):
    """The pull plan's table (or why there is none) for the open plan dialog."""

    def __init__(self, modal: PullModal, lines: list[str] | None, error: str | None = None) -> None:
        super().__init__()
        self.modal = modal
        self.lines = lines
        self.error = error


class PullFlow(Workstation):
    """Pull both sides, then re-diff; the plan dialog; cancel."""

    def _keys(self, action_id: str) -> str:
        return self.settings.keymap.get(action_id, by_id(action_id).keys)

    def action_pull(self) -> None:
        self.post_message(PullRequested())

    def action_pull_plan(self) -> None:
        modal = PullModal(self.services.resumable())

        def chosen(choice: object) -> None:
            if choice in ("incremental", "full", "resume"):
                self.post_message(PullRequested(full=choice == "full", resume=choice == "resume"))

        self.push_screen(modal, chosen)
        self._plan(modal)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan(self, modal: PullModal) -> None:
        try:
            lines = self.services.plan()
        except Exception as exc:  # noqa: BLE001 - unreachable host, wrong secret: one sentence
            self.post_message(PlanReady(modal, None, self.failure("pull plan", exc)))
            return
        self.post_message(PlanReady(modal, lines))

    @on(PlanReady)
    def _plan_ready(self, message: PlanReady) -> None:
        if not message.modal.is_mounted:
            return  # closed before the plan was counted
        if message.lines is None:
            message.modal.show_error(message.error or "unknown error")
        else:
            message.modal.show_plan(message.lines)

    def action_cancel_pull(self) -> None:
        if self.cancel_event is None:
            self.notify("No pull is running.")
            return
        self.cancel_event.set()
        self.notify("Cancelling the pull…")

    def action_rediff(self) -> None:
        self._diff()

    @on(m.DiffRequested)
    def _diff_requested(self) -> None:
        self._diff()

    @on(PullRequested)
    def _pull_requested(self, message: PullRequested) -> None:
        if self.cancel_event is not None:
            self.notify("A pull is already running.")
            return
        self.cancel_event = threading.Event()
        what = "Resumed pull" if message.resume else ("Full pull" if message.full else "Pull")
        self.write_log(f"{what} started" + (f" ({message.reason})" if message.reason else "") + ".")
        keys = self._keys("tieout.cancel_pull")
        self.notify(f"Pull started. Press {keys} to cancel.")
        if self.home is not None:
            self.home.query_one("#pull-panel").start(keys)  # type: ignore[attr-defined]
        self._pull(message.full, message.resume, self.cancel_event)

    @work(thread=True, exclusive=True, group="pull", exit_on_error=False)
    def _pull(self, full: bool, resume: bool, cancel: threading.Event) -> None:
        last: dict[str, float] = {}
        held: dict[str, Progress] = {}

        def progress(source: str, p: Progress) -> None:
            # One bar per source and resource. A pull reports every page; the screen needs
            # a few frames a second, and a message per page starves the pull of the GIL.
            row = f"{source} {p.resource}"
            now = time.monotonic()
            if p.note or now - last.get(row, 0.0) >= PROGRESS_INTERVAL:
                last[row] = now
                held.pop(row, None)
                self.post_message(PullProgress(row, p))
            else:
                held[row] = p

        def flush() -> None:
            for row, p in held.items():
                self.post_message(PullProgress(row, p))

        try:
            result = self.services.pull(full=full, resume=resume, progress=progress, cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - one readable line, never a traceback on screen
            flush()
            self.post_message(PullFinished(ok=False, error=self.failure("pull", exc)))
            return
        flush()
        self.post_message(
            PullFinished(
                ok=result.ok, error=result.error, cancelled=result.cancelled, resumable=result.resumable
            )
        )

    @on(PullProgress)
    def _pull_progress(self, message: PullProgress) -> None:
        if self.home is not None and self.home.is_mounted:
            self.home.query_one("#pull-panel").tick(message.resource, message.progress)  # type: ignore[attr-defined]
        if message.progress.note:
            self.write_log(f"{message.resource}: {message.progress.note}")

    @on(PullFinished)
    def _pull_finished(self, message: PullFinished) -> None:
        self.cancel_event = None
        if self.home is not None and self.home.is_mounted:
            self.home.query_one("#pull-panel").stop()  # type: ignore[attr-defined]
        plan_keys = self._keys("tieout.pull_plan")
        resume = f" Resume it from the pull plan ({plan_keys}, then r)." if message.resumable else ""
        if message.cancelled:
            self.write_log(f"Pull cancelled; the previous snapshot stays current.{resume}")
            self.say(f"Pull cancelled; the previous snapshot stays current.{resume}", severity="warning")
        elif not message.ok:
            err = message.error or "unknown error"
            self.write_log(f"Pull failed: {err} The previous snapshot stays current.{resume}")
            self.say(f"Pull failed: {err}{resume}", severity="error", timeout=10)
        else:
            self.write_log("Pull finished.")
            self.notify("Pull finished; re-diffing.")
        self.reload_screens()
        if message.ok and not message.cancelled:
            self._diff()

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False)
    def _diff(self) -> None:
        try:
            summary = self.services.diff()
        except Exception as exc:  # noqa: BLE001 - a mapping error is a sentence; the rest is logged
            self.post_message(DiffFinished(error=self.failure("diff", exc)))
            return
        self.post_message(DiffFinished(counts=summary.counts))

    @on(DiffFinished)
    def _diff_finished(self, message: DiffFinished) -> None:
        if message.error:
            self.write_log(f"Diff failed: {message.error}")
            self.say(f"Diff failed: {message.error}", severity="error", timeout=10)
        else:
            total = sum(message.counts.values())
            self.write_log(f"Diff finished: {total:,} open exceptions.")
            self.notify(f"Diff finished: {total:,} open exceptions.")
        self.reload_screens()
