"""Log: what pulls and diffs said, readable after the notification is gone."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Log

from app.tui.actions import bindings


class LogScreen(Screen[None]):
    """Plain-text lines (``Log`` never interprets markup)."""

    BINDINGS = bindings("log")
    DEFAULT_CSS = "LogScreen > Log { height: 1fr; }"

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self._initial = lines

    def compose(self) -> ComposeResult:
        yield Header()
        yield Log(id="log", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Log).write_lines(self._initial)

    def write(self, line: str) -> None:
        self.query_one(Log).write_line(line)
