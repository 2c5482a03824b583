"""One exception: open its detail screen; ``DataChanged`` (after a push) refreshes the screens.

The detail screen is installed once and reused (a compose and restyle per exception cost
more than reading it), and it is pushed only once its exception has been read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on, work
from textual.message import Message

from app.tui import messages as m
from app.tui.flows.base import Workstation
from app.tui.screens.audit import AuditScreen
from app.tui.screens.detail import DetailLoaded, DetailScreen, load_detail


class DetailReady(Message):
    """An exception was read; the detail screen can be shown already filled."""

    def __init__(self, ids: Sequence[Any], index: int, loaded: DetailLoaded) -> None:
        super().__init__()
        self.ids = ids
        self.index = index
        self.loaded = loaded


class DetailFlow(Workstation):
    """Open an exception; refresh after a push."""

    def open_detail(self, ids: Sequence[Any], index: int) -> None:
        """Show one exception: read it first, then push the (installed, reused) screen once."""
        self._open_detail(ids, index)

    @work(thread=True, exclusive=True, group="open-detail", exit_on_error=False)
    def _open_detail(self, ids: Sequence[Any], index: int) -> None:
        value = ids[index]
        exception_id = str(value.as_py() if hasattr(value, "as_py") else value)
        self.post_message(DetailReady(ids, index, load_detail(self, exception_id)))

    @on(DetailReady)
    def _detail_ready(self, message: DetailReady) -> None:
        if isinstance(self.screen, DetailScreen):
            return
        if self.detail is None:
            self.detail = DetailScreen(message.ids, message.index, message.loaded)
            self.install_screen(self.detail, "detail")
        else:
            self.detail.show(message.ids, message.index, message.loaded)
        self.push_screen("detail")

    def open_procore(self, exception_id: str) -> None:
        """Open the Procore page of the exception shown (its address was read with it)."""
        shown = self.detail._shown if self.detail is not None else None
        url = shown.procore_url if shown is not None and shown.exception_id == exception_id else None
        if not url:
            self.say(f"{exception_id} has no Procore record to open.")
            return
        self.write_log(f"Opening {url}")
        self._open_url(url)

    @work(thread=True, group="browser", exit_on_error=False)
    def _open_url(self, url: str) -> None:
        """``webbrowser`` may block while it starts a browser: never on the UI thread."""
        if not self.browse(url):
            self.post_message(
                m.WorkFailed("browser", f"No browser could be started; the record is at {url}.")
            )

    @on(m.DataChanged)
    def _data_changed(self, message: m.DataChanged) -> None:
        self.notify("Saved.")
        if self.exceptions is not None and self.exceptions.is_mounted:
            self.exceptions.set_status(message.exception_id, message.status)
        if self.home is not None and self.home.is_mounted:
            self.home.reload()
        if isinstance(self.screen, DetailScreen | AuditScreen):
            self.screen.reload()
