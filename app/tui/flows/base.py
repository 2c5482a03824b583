"""What every flow shares: the App's state, the log screen, and how a failure is told.

Errors come in two kinds (the project's rule): one the analyst can act on (a mapping line,
a refused push, a path that cannot be written) is shown as its own sentence; any other is
a defect, so its traceback goes to the log file (``app.logs``) and the screen shows one
sentence and where that file is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.worker import Worker, WorkerState

from app.logs import get_logger, state_dir
from app.tui import messages as m
from app.tui.safe import capped, plain
from app.tui.services import ACTIONABLE, Services
from app.tui.settings import Settings
from reconcile.profile import Profile
from reconcile.store import Store

if TYPE_CHECKING:
    from app.tui.screens.detail import DetailScreen
    from app.tui.screens.exceptions import ExceptionsScreen
    from app.tui.screens.home import HomeScreen
    from app.tui.screens.log import LogScreen
    from reconcile.close.signoff import Readiness

Clock = Callable[[], datetime]

log = get_logger("tui")

#: A notification's longest line (an error naming a long path still fits).
TOAST_LIMIT = 500


class Workstation(App[int]):
    """The state the flows share; ``TieoutApp`` fills it in and composes the flows."""

    profile: Profile
    store: Store
    services: Services
    settings: Settings
    clock: Clock
    grid_limit: int
    export_dir: Path
    #: Where tracebacks go (None: the state directory could not be written).
    log_file: Path | None
    log_lines: list[str]
    #: The working close as home last read it: period, undecided N of M, who signed and who
    #: locked it (None: no close is open yet).
    close_readiness: Readiness | None
    #: Opens an address in a browser (``webbrowser.open``; tests pass a recorder).
    browse: Callable[[str], bool]
    cancel_event: threading.Event | None
    home: HomeScreen | None
    exceptions: ExceptionsScreen | None
    log_screen: LogScreen | None
    detail: DetailScreen | None

    def write_log(self, line: str) -> None:
        """One line on the log screen (kept for screens mounted later)."""
        stamp = self.clock().strftime("%H:%M:%S")
        entry = f"{stamp} {plain(line)}"
        self.log_lines.append(entry)
        if self.log_screen is not None and self.log_screen.is_mounted:
            self.log_screen.write(entry)

    def say(self, message: str, *, severity: str = "information", timeout: float | None = None) -> None:
        """A notification that shows ``message`` verbatim (never parsed as markup)."""
        self.notify(capped(message, TOAST_LIMIT), severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    def work_grid(self) -> ExceptionsScreen | None:
        """The grid the analyst works from now: the one a detail walks and follows back to."""
        return self.exceptions

    @property
    def close_line(self) -> str:
        """The working close as home shows it (``Period 2026-11: undecided 3 of 52; not signed.``)."""
        return self.close_readiness.sentence() if self.close_readiness is not None else ""

    @property
    def close_period(self) -> str | None:
        """The working close's period (None: no close is open yet)."""
        return self.close_readiness.period if self.close_readiness is not None else None

    def reload_screens(self, *, stale: bool = True) -> None:
        """Re-read what the mounted screens show (``stale``: the exceptions changed)."""
        from app.tui.screens.audit import AuditScreen
        from app.tui.screens.detail import DetailScreen

        if self.home is not None and self.home.is_mounted:
            self.home.reload()
        if self.exceptions is not None and self.exceptions.is_mounted:
            self.exceptions.reload(stale=stale)
        if isinstance(self.screen, DetailScreen | AuditScreen):
            self.screen.reload()

    # -- failures ---------------------------------------------------------------------------
    def failure(self, what: str, exc: BaseException) -> str:
        """The sentence for a failed ``what``; an unexpected error is logged with its traceback.

        Call it from the worker's ``except`` block or with the exception object: either way
        the traceback the exception carries is what the log gets.
        """
        if isinstance(exc, ACTIONABLE):
            return str(exc)
        log.error("%s failed", what, exc_info=(type(exc), exc, exc.__traceback__))
        where = (
            f"the details are in {self.log_file}"
            if self.log_file is not None
            else f"no log file could be written under {state_dir()}"
        )
        said = plain(str(exc)).replace("\n", " ")
        said = (
            f"{type(exc).__name__}: {said[:200]}{'…' if len(said) > 200 else ''}"
            if said
            else type(exc).__name__
        )
        return f"{what.capitalize()} failed unexpectedly ({said}); {where}."

    def worker_state(self, event: Worker.StateChanged) -> None:
        """A worker died of an exception it did not catch: log it and say so once."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            what = worker.group if worker.group != "default" else (worker.name or "background work")
            self.post_message(m.WorkFailed(what, self.failure(what, worker.error)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_state(event)

    def on_work_done(self, message: m.WorkDone) -> None:
        self.write_log(message.line)

    def on_work_failed(self, message: m.WorkFailed) -> None:
        self.write_log(f"{message.what}: {message.error}")
        self.say(message.error, severity="error", timeout=8)
