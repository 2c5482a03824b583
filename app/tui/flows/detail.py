"""One exception: open its detail screen, explain it, assign it; ``DataChanged`` after each.

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
from app.tui.screens.modals import AssignModal, ExplainModal, Explanation


class DetailReady(Message):
    """An exception was read; the detail screen can be shown already filled."""

    def __init__(self, ids: Sequence[Any], index: int, loaded: DetailLoaded) -> None:
        super().__init__()
        self.ids = ids
        self.index = index
        self.loaded = loaded


class DetailFlow(Workstation):
    """Open, explain, assign."""

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

    @work(thread=True, exclusive=True, group="decide", exit_on_error=False)
    def _assign(self, exception_id: str, team: str) -> None:
        """Assignment is its own field: the status, reason code and note stay as they are."""
        try:
            status = self.services.assign(exception_id, team, actor=self.settings.actor)
        except Exception as exc:  # noqa: BLE001 - DecisionError: one sentence
            self.post_message(m.WorkFailed("assignment", self.failure("assignment", exc)))
            return
        self.post_message(m.DataChanged(exception_id, status))

    @work(thread=True, exclusive=True, group="decide", exit_on_error=False)
    def _decide(self, exception_id: str, status: str, kwargs: dict[str, Any]) -> None:
        try:
            self.services.decide(exception_id, status, actor=self.settings.actor, **kwargs)
        except Exception as exc:  # noqa: BLE001 - DecisionError and friends: one sentence
            self.post_message(m.WorkFailed("decision", self.failure("decision", exc)))
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
