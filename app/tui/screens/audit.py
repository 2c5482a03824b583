"""Audit: every decision with who, when, what, and the state before and after."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Label
from textual.worker import Worker
from textual_fastdatatable import DataTable

from app.tui.actions import bindings
from app.tui.screens.modals import TextModal
from app.tui.widgets.grid import ExceptionGrid

if TYPE_CHECKING:
    from app.tui.app import TieoutApp


class AuditLoaded(Message):
    def __init__(self, frame: pl.DataFrame) -> None:
        super().__init__()
        self.frame = frame


def _pretty(value: object) -> str:
    """A JSON before/after state indented, one field a line; anything else as it is."""
    if isinstance(value, str):
        try:
            return json.dumps(json.loads(value), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            return value
    return "" if value is None else str(value)


class AuditScreen(Screen[None]):
    """The append-only log, newest first."""

    CSS_PATH = "audit.tcss"
    BINDINGS = bindings("audit")

    def __init__(self) -> None:
        super().__init__()
        #: The rows the grid shows, newest first (None until the first load).
        self.shown: pl.DataFrame | None = None

    @property
    def tieout(self) -> TieoutApp:
        return cast("TieoutApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.tieout.worker_state(event)  # a worker that died: logged, one sentence shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("loading…", id="audit-count")
        yield Container(id="audit-box")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_expand()

    def action_expand(self) -> None:
        """The entry under the cursor in full: who, when, what, the state before and after."""
        grids = self.query(ExceptionGrid)
        if not grids or self.shown is None or self.shown.height == 0:
            return
        row = self.shown.row(min(grids.first().cursor_row, self.shown.height - 1), named=True)
        body = "\n".join(
            [
                f"when   {row['when']}",
                f"who    {row['who']}",
                f"what   {row['what']}",
                f"exception {row['exception_id'] or '—'}",
                "",
                "before:",
                _pretty(row["before"]),
                "",
                "after:",
                _pretty(row["after"]),
            ]
        )
        self.app.push_screen(TextModal(f"Audit entry · {row['what']}", body))

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(AuditLoaded(self.tieout.services.audit()))

    async def on_audit_loaded(self, message: AuditLoaded) -> None:
        frame = message.frame
        shown = frame.select(
            pl.col("logged_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("when"),
            pl.col("actor").alias("who"),
            pl.col("action").alias("what"),
            pl.col("exception_id"),
            pl.col("before"),
            pl.col("after"),
        ).reverse()
        self.shown = shown
        box = self.query_one("#audit-box")
        await box.query(ExceptionGrid).remove()
        await box.mount(ExceptionGrid(shown.to_arrow(), id="audit-grid"))
        self.query_one("#audit-count", Label).update(
            f"{frame.height:,} audit {'entry' if frame.height == 1 else 'entries'}, newest first"
        )
