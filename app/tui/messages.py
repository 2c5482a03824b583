"""The messages more than one flow posts; each flow's own messages live in its module.

``@on`` handlers on the App own the state they carry (see ``app.tui.flows``).
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class DiffRequested(Message):
    """Recompute the exceptions from the current snapshots (the pull flow runs it)."""


class DataChanged(Message):
    """A decision was recorded: screens show the exception's new status."""

    def __init__(self, exception_id: str, status: str) -> None:
        super().__init__()
        self.exception_id = exception_id
        self.status = status


class WorkFailed(Message):
    """A worker failed in a way the analyst should read; shown as a notification and logged."""

    def __init__(self, what: str, error: str, extra: Any = None) -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.extra = extra


class WorkDone(Message):
    """A worker finished something the log screen should keep (one line)."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line
