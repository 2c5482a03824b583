"""The Tieout workstation: the App owns state; workers do the I/O and post messages.

Threading rule (after Harlequin): every database and network call runs in a
``@work(thread=True)`` worker that never touches a widget; it posts a message, and an
``@on`` handler here updates state and screens. A pull posts
``PullRequested → PullProgress* → PullFinished → DiffFinished``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App
from textual.screen import Screen

from adapters.base import Progress
from app.tui import messages as m
from app.tui.actions import bindings, by_id
from app.tui.commands import TieoutCommands
from app.tui.safe import plain
from app.tui.screens.audit import AuditScreen
from app.tui.screens.detail import DetailScreen, load_detail
from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.help import HelpScreen
from app.tui.screens.home import HomeScreen
from app.tui.screens.log import LogScreen
from app.tui.screens.modals import (
    AssignModal,
    ConfirmModal,
    DirectionModal,
    ExplainModal,
    Explanation,
    ExportModal,
    ExportRequest,
    MappingEdit,
    MappingModal,
    PullModal,
)
from app.tui.services import PushPreview, Services
from app.tui.settings import Settings, SettingsError, load_settings
from reconcile.decisions import status as decisions_status
from reconcile.profile import Profile
from reconcile.store import Store

Clock = Callable[[], datetime]

#: Seconds between progress updates of one resource's bar while a pull runs.
PROGRESS_INTERVAL = 0.2


def slug(name: str) -> str:
    """A file-name-safe form of a profile name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tieout"


def apply_edit(lines: list[str], edit: MappingEdit) -> list[str]:
    """The CSV lines with one data row replaced (or appended)."""
    out = list(lines)
    if edit.line is None:
        out.append(edit.row)
    else:
        out[edit.line - 1] = edit.row
    return out


class TieoutApp(App[int]):
    """The month-end workstation for one profile and its store."""

    TITLE = "Tieout"
    CSS = "Screen { background: $background; }"
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
    ) -> None:
        super().__init__()
        self.profile = profile
        self.store = store
        self.services = services or Services(profile, store)
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.pull_on_start = pull_on_start
        self.grid_limit = grid_limit
        self.export_dir = export_dir or Path.cwd()
        self.log_lines: list[str] = []
        self.cancel_event: threading.Event | None = None
        self.home: HomeScreen | None = None
        self.exceptions: ExceptionsScreen | None = None
        self.log_screen: LogScreen | None = None
        self.detail: DetailScreen | None = None
        try:
            self.settings = load_settings(settings_path)
        except SettingsError as exc:
            self.settings = Settings()
            self.log_lines.append(str(exc))
        self.sub_title = plain(profile.name)

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
        self.add_mode("audit", AuditScreen)
        self.add_mode("log", self._make_log)
        self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.switch_mode("home")
        for line in self.log_lines:
            self.notify(line, severity="error")
        if self._should_pull():
            never = any(self.store.current_snapshot(s) is None for s in ("procore", "erp"))
            reason = "no snapshot yet" if never else "the last snapshot is older than the profile's limit"
            self.post_message(m.PullRequested(reason=reason))

    def _should_pull(self) -> bool:
        if self.pull_on_start is not None:
            return self.pull_on_start
        limit = timedelta(minutes=self.profile.pull.auto_pull_after_minutes)
        for source in ("procore", "erp"):
            snap = self.store.current_snapshot(source)
            if snap is None or snap.finished_at is None or self.clock() - snap.finished_at > limit:
                return True
        return False

    def write_log(self, line: str) -> None:
        stamp = self.clock().strftime("%H:%M:%S")
        entry = f"{stamp} {plain(line)}"
        self.log_lines.append(entry)
        if self.log_screen is not None and self.log_screen.is_mounted:
            self.log_screen.write(entry)

    def _reload_screens(self, *, stale: bool = True) -> None:
        if self.home is not None and self.home.is_mounted:
            self.home.reload()
        if self.exceptions is not None and self.exceptions.is_mounted:
            self.exceptions.reload(stale=stale)
        if isinstance(self.screen, DetailScreen | AuditScreen):
            self.screen.reload()

    # -- app actions -----------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(dict(self.settings.keymap)))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_pull(self) -> None:
        self.post_message(m.PullRequested())

    def action_pull_plan(self) -> None:
        modal = PullModal(self.services.resumable())

        def chosen(choice: object) -> None:
            if choice in ("incremental", "full", "resume"):
                self.post_message(m.PullRequested(full=choice == "full", resume=choice == "resume"))

        self.push_screen(modal, chosen)
        self._plan(modal)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan(self, modal: PullModal) -> None:
        try:
            lines = self.services.plan()
        except Exception as exc:  # noqa: BLE001 - unreachable host, wrong secret: one sentence
            self.call_from_thread(modal.show_error, str(exc))
            return
        self.call_from_thread(modal.show_plan, lines)

    def action_cancel_pull(self) -> None:
        if self.cancel_event is None:
            self.notify("No pull is running.")
            return
        self.cancel_event.set()
        self.notify("Cancelling the pull…")

    def action_rediff(self) -> None:
        self._diff()

    # -- pull → diff ------------------------------------------------------------------------
    @on(m.PullRequested)
    def _pull_requested(self, message: m.PullRequested) -> None:
        if self.cancel_event is not None:
            self.notify("A pull is already running.")
            return
        self.cancel_event = threading.Event()
        what = "Resumed pull" if message.resume else ("Full pull" if message.full else "Pull")
        self.write_log(f"{what} started" + (f" ({message.reason})" if message.reason else "") + ".")
        keys = self.settings.keymap.get("tieout.cancel_pull", by_id("tieout.cancel_pull").keys)
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
                self.post_message(m.PullProgress(row, p))
            else:
                held[row] = p

        def flush() -> None:
            for row, p in held.items():
                self.post_message(m.PullProgress(row, p))

        try:
            result = self.services.pull(full=full, resume=resume, progress=progress, cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - one readable line, never a traceback on screen
            flush()
            self.post_message(m.PullFinished(ok=False, error=f"{type(exc).__name__}: {exc}"))
            return
        flush()
        self.post_message(
            m.PullFinished(
                ok=result.ok, error=result.error, cancelled=result.cancelled, resumable=result.resumable
            )
        )

    @on(m.PullProgress)
    def _pull_progress(self, message: m.PullProgress) -> None:
        if self.home is not None and self.home.is_mounted:
            self.home.query_one("#pull-panel").tick(message.resource, message.progress)  # type: ignore[attr-defined]
        if message.progress.note:
            self.write_log(f"{message.resource}: {message.progress.note}")

    @on(m.PullFinished)
    def _pull_finished(self, message: m.PullFinished) -> None:
        self.cancel_event = None
        if self.home is not None and self.home.is_mounted:
            self.home.query_one("#pull-panel").stop()  # type: ignore[attr-defined]
        plan_keys = self.settings.keymap.get("tieout.pull_plan", by_id("tieout.pull_plan").keys)
        resume = f" Resume it from the pull plan ({plan_keys}, then r)." if message.resumable else ""
        if message.cancelled:
            self.write_log(f"Pull cancelled; the previous snapshot stays current.{resume}")
            self.notify(f"Pull cancelled; the previous snapshot stays current.{resume}", severity="warning")
        elif not message.ok:
            err = plain(message.error or "unknown error")
            self.write_log(f"Pull failed: {err} The previous snapshot stays current.{resume}")
            self.notify(f"Pull failed: {err}{resume}", severity="error", timeout=10)
        else:
            self.write_log("Pull finished.")
            self.notify("Pull finished; re-diffing.")
        self._reload_screens()
        if message.ok and not message.cancelled:
            self._diff()

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False)
    def _diff(self) -> None:
        try:
            summary = self.services.diff()
        except Exception as exc:  # noqa: BLE001
            self.post_message(m.DiffFinished(error=f"{exc}"))
            return
        self.post_message(m.DiffFinished(counts=summary.counts))

    @on(m.DiffFinished)
    def _diff_finished(self, message: m.DiffFinished) -> None:
        if message.error:
            self.write_log(f"Diff failed: {message.error}")
            self.notify(f"Diff failed: {plain(message.error)}", severity="error", timeout=10)
        else:
            total = sum(message.counts.values())
            self.write_log(f"Diff finished: {total:,} open exceptions.")
            self.notify(f"Diff finished: {total:,} open exceptions.")
        self._reload_screens()

    # -- detail and decisions ----------------------------------------------------------------
    def open_detail(self, ids: Sequence[Any], index: int) -> None:
        """Show one exception: read it first, then push the (installed, reused) screen once."""
        self._open_detail(ids, index)

    @work(thread=True, exclusive=True, group="open-detail", exit_on_error=False)
    def _open_detail(self, ids: Sequence[Any], index: int) -> None:
        value = ids[index]
        exception_id = str(value.as_py() if hasattr(value, "as_py") else value)
        self.post_message(m.DetailReady(ids, index, load_detail(self, exception_id)))

    @on(m.DetailReady)
    def _detail_ready(self, message: m.DetailReady) -> None:
        if isinstance(self.screen, DetailScreen):
            return
        if self.detail is None:
            self.detail = DetailScreen(message.ids, message.index, message.loaded)
            self.install_screen(self.detail, "detail")
        else:
            self.detail.show(message.ids, message.index, message.loaded)
        self.push_screen("detail")

    def explain(self, exception_id: str) -> None:
        def done(result: object) -> None:
            if isinstance(result, Explanation):
                self._decide(
                    exception_id,
                    "explained",
                    {"reason_code": result.reason_code, "note": result.note or None},
                )

        self.push_screen(ExplainModal(list(self.profile.rules.reason_codes), exception_id), done)

    def assign(self, exception_id: str) -> None:
        def done(result: object) -> None:
            if isinstance(result, str):
                self._assign(exception_id, result)

        self.push_screen(AssignModal(), done)

    @work(thread=True, exit_on_error=False)
    def _assign(self, exception_id: str, team: str) -> None:
        try:
            status = self.services.assign(exception_id, team, actor=self.settings.actor)
        except Exception as exc:  # noqa: BLE001 - DecisionError: one sentence
            self.post_message(m.WorkFailed("assignment", str(exc)))
            return
        self.post_message(m.DataChanged(exception_id, status))

    @work(thread=True, exit_on_error=False)
    def _decide(self, exception_id: str, status: str, kwargs: dict[str, Any]) -> None:
        try:
            self.services.decide(exception_id, status, actor=self.settings.actor, **kwargs)
        except Exception as exc:  # noqa: BLE001 - DecisionError and friends: one sentence
            self.post_message(m.WorkFailed("decision", str(exc)))
            return
        self.post_message(m.DataChanged(exception_id, status))

    @on(m.DataChanged)
    def _data_changed(self, message: m.DataChanged) -> None:
        self.notify("Saved.")
        if self.exceptions is not None and self.exceptions.is_mounted:
            self.exceptions.set_status(message.exception_id, message.status)
        if self.home is not None and self.home.is_mounted:
            self.home.reload()
        if isinstance(self.screen, DetailScreen | AuditScreen):
            self.screen.reload()

    @on(m.WorkFailed)
    def _work_failed(self, message: m.WorkFailed) -> None:
        self.write_log(f"{message.what}: {message.error}")
        self.notify(plain(message.error), severity="error", timeout=8)

    def approve_push(self, exception_id: str) -> None:
        self._choose_direction(exception_id)

    @work(thread=True, exit_on_error=False)
    def _choose_direction(self, exception_id: str) -> None:
        """Ask which side is wrong when the profile lets a push correct either; then plan."""
        try:
            directions = self.services.push_directions(exception_id)
        except Exception as exc:  # noqa: BLE001 - PushError: one sentence
            self.post_message(m.WorkFailed("push", str(exc)))
            return
        if len(directions) < 2:
            self.call_from_thread(self._plan_push, exception_id, None)
            return

        def chosen(direction: object) -> None:
            if isinstance(direction, str):
                self._plan_push(exception_id, direction)

        self.call_from_thread(self.push_screen, DirectionModal(exception_id), chosen)

    @work(thread=True, exit_on_error=False)
    def _plan_push(self, exception_id: str, direction: str | None) -> None:
        try:
            preview = self.services.plan_push(exception_id, direction)
        except Exception as exc:  # noqa: BLE001 - PushError and friends: one sentence
            self.post_message(m.WorkFailed("push", str(exc)))
            return
        if not preview.can_push:
            reason = preview.refusal or "this exception cannot be pushed"
            self.post_message(m.WorkFailed("push", f"Push refused: {reason}"))
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._execute_push(exception_id, preview)

        self.call_from_thread(
            self.push_screen,
            ConfirmModal("Approve and push?", preview.text, "Push", "Cancel", wide=True),
            confirmed,
        )

    @work(thread=True, exclusive=True, group="push", exit_on_error=False)
    def _execute_push(self, exception_id: str, preview: PushPreview) -> None:
        try:
            outcome = self.services.execute_push(preview, actor=self.settings.actor)
        except Exception as exc:  # noqa: BLE001
            self.post_message(m.WorkFailed("push", str(exc)))
            return
        self.call_from_thread(self.write_log, outcome)
        status = str(decisions_status(self.store, exception_id))
        self.post_message(m.DataChanged(exception_id, status))

    # -- mapping fix -------------------------------------------------------------------------
    def fix_mapping(self, exception_id: str, used: list[dict[str, Any]], similar: Sequence[Any] = ()) -> None:
        folder = self.profile.mappings_dir
        files = {p.name: p.read_text(encoding="utf-8").splitlines() for p in sorted(folder.glob("*.csv"))}
        if similar:  # a vendor one side lacks, with a likely counterpart: offer the link row
            files.setdefault("vendors.csv", ["erp_vendor,procore_vendor_id"])
            modal = MappingModal(files, "vendors.csv", None, similar[0].mapping_row)
            self.push_screen(modal, partial(self._mapping_edited, files))
            return
        if not files:
            self.notify(f"No mapping CSVs in {folder}.", severity="error")
            return
        first = used[0] if used else {}
        file = first.get("file") or first.get("table")
        line = first.get("line")
        self.push_screen(
            MappingModal(files, str(file) if file else None, int(line) if isinstance(line, int) else None),
            partial(self._mapping_edited, files),
        )

    def _mapping_edited(self, files: dict[str, list[str]], edit: object) -> None:
        if isinstance(edit, MappingEdit):
            self._preview_mapping(edit, files)

    @work(thread=True, exclusive=True, group="mapping", exit_on_error=False)
    def _preview_mapping(self, edit: MappingEdit, files: dict[str, list[str]]) -> None:
        root = Path(tempfile.mkdtemp(prefix="tieout-mapping-"))
        tmp = root / self.profile.mappings_dir.name  # same folder name: details read the same
        try:
            shutil.copytree(self.profile.mappings_dir, tmp)
            new_lines = apply_edit(files[edit.file], edit)
            (tmp / edit.file).write_text("\n".join(new_lines) + "\n", encoding="utf-8")
            added, removed = self.services.preview_mapping_change(tmp)
        except Exception as exc:  # noqa: BLE001 - MappingError and friends: one sentence
            self.post_message(m.WorkFailed("mapping preview", str(exc)))
            return
        finally:
            shutil.rmtree(root, ignore_errors=True)
        body = f"{edit.file}: {'add' if edit.line is None else f'line {edit.line} →'} {edit.row}\n\n"
        plural = "" if len(added) == 1 else "s"
        body += f"{len(added)} exception{plural} would appear, {len(removed)} would be resolved.\n"
        for sign, found in (("+", added), ("-", removed)):
            body += "".join(f"\n{sign} {line}" for line in found[:20])
            if len(found) > 20:
                body += f"\n{sign} … and {len(found) - 20} more"

        def keep(yes: bool | None) -> None:
            if yes:
                self._keep_mapping(edit, new_lines)

        self.call_from_thread(
            self.push_screen,
            ConfirmModal("Keep this mapping change?", body, "Keep", "Discard", wide=True),
            keep,
        )

    @work(thread=True, exit_on_error=False)
    def _keep_mapping(self, edit: MappingEdit, lines: list[str]) -> None:
        path = self.profile.mappings_dir / edit.file
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.call_from_thread(self.write_log, f"Mapping {edit.file} changed; re-diffing.")
        self.call_from_thread(self._diff)

    # -- export ------------------------------------------------------------------------------
    def default_export_stem(self) -> str:
        return f"{slug(self.profile.name)}-{self.clock():%Y-%m}"

    def action_export(self) -> None:
        self.push_screen(
            ExportModal(self.default_export_stem(), self.export_dir),
            self._export_requested,
        )

    def _export_requested(self, request: object) -> None:
        if isinstance(request, ExportRequest):
            self._export(request)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, request: ExportRequest) -> None:
        f = None if request.everything or self.exceptions is None else self.exceptions.filter
        try:
            frame = self.services.report(f)
            self.services.export(frame, request.path, request.fmt)
        except Exception as exc:  # noqa: BLE001 - a path that cannot be written: one sentence
            self.post_message(m.ExportFinished(error=f"Cannot export to {request.path}: {exc}"))
            return
        self.post_message(m.ExportFinished(done=m.ExportDone(str(request.path), frame.height)))

    @on(m.ExportFinished)
    def _export_finished(self, message: m.ExportFinished) -> None:
        if message.done is not None:
            line = f"Exported {message.done.rows:,} rows to {message.done.path}."
            self.write_log(line)
            self.notify(plain(line))
        else:
            self.write_log(message.error or "Export failed.")
            self.notify(plain(message.error or "Export failed."), severity="error", timeout=10)


def run_tui(profile: Profile, store: Store, *, pull_on_start: bool) -> int:
    """Run the workstation until the analyst quits; the exit code for the CLI.

    ``pull_on_start`` allows the startup pull, which happens when a source has no snapshot or
    its snapshot is older than ``profile.pull.auto_pull_after_minutes``; False never pulls.
    """
    app = TieoutApp(profile, store, pull_on_start=None if pull_on_start else False)
    result = app.run()
    return int(result or 0)
