"""The messages workers post; ``@on`` handlers on the App own the state they carry.

Chain of a pull: ``PullRequested → PullProgress* → PullFinished → DiffFinished``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from adapters.base import Progress


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
    """The pull ended: ``ok`` with stats, or an error sentence (the previous snapshot stays current)."""

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


class DataChanged(Message):
    """A decision was recorded: screens show the exception's new status."""

    def __init__(self, exception_id: str, status: str) -> None:
        super().__init__()
        self.exception_id = exception_id
        self.status = status


@dataclass
class ExportDone:
    """What an export wrote (carried by ``ExportFinished``)."""

    path: str
    rows: int


class ExportFinished(Message):
    """An export ended."""

    def __init__(self, *, done: ExportDone | None = None, error: str | None = None) -> None:
        super().__init__()
        self.done = done
        self.error = error


class WorkFailed(Message):
    """A worker failed in a way the analyst should read; shown as a notification and logged."""

    def __init__(self, what: str, error: str, extra: Any = None) -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.extra = extra


class DetailReady(Message):
    """An exception was read; the detail screen can be shown already filled."""

    def __init__(self, ids: Any, index: int, loaded: Any) -> None:
        super().__init__()
        self.ids = ids
        self.index = index
        self.loaded = loaded
