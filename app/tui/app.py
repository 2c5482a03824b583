"""The Tieout workstation: one App that composes the screens and the flows.

Each flow (pull and diff, detail and decisions, push, mapping fix, export) lives in its
own module under ``app.tui.flows`` with its messages, workers and handlers; see that
package for the threading rule. This module holds what is left: the App's state, the
screens (modes), startup and the app-wide actions.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any, ClassVar

from textual import events
from textual.app import App
from textual.screen import Screen

from app.logs import setup_logging
from app.tui.actions import bindings
from app.tui.commands import TieoutCommands
from app.tui.flows.base import Clock
from app.tui.flows.close import CloseFlow
from app.tui.flows.decide import DecideFlow
from app.tui.flows.detail import DetailFlow
from app.tui.flows.export import ExportFlow, slug
from app.tui.flows.mapping import MappingFlow, apply_edit
from app.tui.flows.people import PeopleFlow
from app.tui.flows.pull import PullFlow, PullRequested
from app.tui.flows.push import PushFlow
from app.tui.heap import HeapPolicy
from app.tui.safe import plain
from app.tui.screens.audit import AuditScreen
from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.help import HelpScreen
from app.tui.screens.home import HomeScreen
from app.tui.screens.log import LogScreen
from app.tui.services import Services
from app.tui.settings import Settings, SettingsError, load_settings
from reconcile.profile import Profile
from reconcile.store import Store

__all__ = ["TieoutApp", "apply_edit", "run_tui", "slug"]


#: How often an idle workstation lets go of the store's file for read-only commands.
STORE_IDLE_SECONDS = 10.0


class TieoutApp(PeopleFlow, PullFlow, DetailFlow, DecideFlow, PushFlow, MappingFlow, ExportFlow, CloseFlow):
    """The month-end workstation for one profile and its store."""

    TITLE = "Tieout"
    #: The app's own stylesheet, then every screen's, read once at start while the app is small.
    #: A screen's own ``CSS_PATH`` is otherwise read on its first opening, and adding a source
    #: restyles every node of the app: the first detail opened over a grid of a million rows
    #: took 130 ms of its 190 for that alone. The screens keep their ``CSS_PATH``; Textual sees
    #: the file is loaded. Order matters between rules of equal weight: the dialogs' backdrop
    #: (modals.tcss) must come after app.tcss's ``Screen`` background.
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        Path(__file__).parent / "app.tcss",
        *sorted((Path(__file__).parent / "screens").glob("*.tcss")),
    ]
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {TieoutCommands}

    def __init__(
        self,
        profile: Profile,
        store: Store,
        *,
        services: Services | None = None,
        settings_path: Path | None = None,
        clock: Clock | None = None,
        pull_on_start: bool | None = None,
        grid_limit: int = 1_000,
        export_dir: Path | None = None,
        browse: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__()
        self.log_file = setup_logging()
        self.profile = profile
        self.store = store
        self.services = services or Services(profile, store)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.pull_on_start = pull_on_start
        self.grid_limit = grid_limit
        self.export_dir = export_dir or Path.cwd()
        self.browse = browse or webbrowser.open
        self.log_lines = []
        self.cancel_event = None
        self.home = None
        self.exceptions = None
        self.log_screen = None
        self.detail = None
        self.last_decision = None
        self.session_status = {}
        self.push_busy = None
        self.push_queue = []
        self.close_readiness = None
        try:
            self.settings = load_settings(settings_path)
        except SettingsError as exc:
            self.settings = Settings()
            self.log_lines.append(str(exc))
        self.sub_title = plain(profile.name)
        self.heap = HeapPolicy()

    # -- screens ----------------------------------------------------------------------------
    def _make_home(self) -> Screen[Any]:
        self.home = HomeScreen()
        return self.home

    def _make_exceptions(self) -> Screen[Any]:
        self.exceptions = ExceptionsScreen(limit=self.grid_limit)
        return self.exceptions

    def _make_log(self) -> Screen[Any]:
        self.log_screen = LogScreen(self.log_lines)
        return self.log_screen

    def on_mount(self) -> None:
        self.add_mode("home", self._make_home)
        self.add_mode("exceptions", self._make_exceptions)
        self.add_mode("people", self._make_people)
        self.add_mode("audit", AuditScreen)
        self.add_mode("log", self._make_log)
        self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.switch_mode("home")
        for line in self.log_lines:
            self.say(line, severity="error")
        self.set_interval(STORE_IDLE_SECONDS, self._release_store_when_idle)
        self.call_after_refresh(self.heap.start)  # what the first screen needs, frozen once drawn
        self.set_interval(1.0, self.heap.tick)
        if self._should_pull():
            never = any(self.store.current_snapshot(s) is None for s in ("procore", "erp"))
            reason = "no snapshot yet" if never else "the last snapshot is older than the profile's limit"
            self.post_message(PullRequested(reason=reason))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.heap.key_pressed()  # a full collection waits for the analyst's next pause
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.heap.stop()

    def _release_store_when_idle(self) -> None:
        """Close the store's file once nothing has used it for ``STORE_IDLE_SECONDS`` and no
        worker runs, so `tieout export` and `tieout audit` (read-only opens, which DuckDB
        refuses beside another process's writer) work while the workstation is open. The next
        read reopens it; the UI thread runs this, so no UI read is in flight.

        Only when idle, not on every tick: closing checkpoints DuckDB's write-ahead log (0.3 s
        after a few decisions), and the next read reopens the file, both stalls a key pressed
        in the middle of a close would wait on.
        """
        if self.store.idle_seconds() >= STORE_IDLE_SECONDS and all(w.is_finished for w in self.workers):
            self.store.release()

    def _should_pull(self) -> bool:
        if self.pull_on_start is not None:
            return self.pull_on_start
        limit = timedelta(minutes=self.profile.pull.auto_pull_after_minutes)
        for source in ("procore", "erp"):
            snap = self.store.current_snapshot(source)
            if snap is None or snap.finished_at is None or self.clock() - snap.finished_at > limit:
                return True
        return False

    # -- app actions -----------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(dict(self.settings.keymap)))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"


def run_tui(profile: Profile, store: Store, *, pull_on_start: bool) -> int:
    """Run the workstation until the analyst quits; the exit code for the CLI.

    ``pull_on_start`` allows the startup pull, which happens when a source has no snapshot or
    its snapshot is older than ``profile.pull.auto_pull_after_minutes``; False never pulls.
    """
    app = TieoutApp(profile, store, pull_on_start=None if pull_on_start else False)
    result = app.run()
    return int(result or 0)
