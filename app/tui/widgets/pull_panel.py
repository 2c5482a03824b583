"""One progress bar per resource while a pull runs: pages, records and rate-limit waits."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar

from adapters.base import Progress
from app.tui.safe import text


def _safe_id(resource: str) -> str:
    return "res-" + "".join(ch if ch.isalnum() else "_" for ch in resource)


class ResourceProgress(Horizontal):
    """A resource's bar and its counts."""

    DEFAULT_CSS = """
    ResourceProgress { height: 1; }
    ResourceProgress > .name { width: 36; }
    ResourceProgress > ProgressBar { width: 24; }
    ResourceProgress > .counts { width: 1fr; }
    """

    def __init__(self, resource: str) -> None:
        super().__init__(id=_safe_id(resource))
        self.resource = resource

    def compose(self) -> ComposeResult:
        yield Label(text(self.resource[:35]), classes="name")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False)
        yield Label("", classes="counts")

    latest: Progress | None = None

    def on_mount(self) -> None:
        if self.latest is not None:
            self._apply(self.latest)

    def update_from(self, p: Progress) -> None:
        """Show ``p`` now if the bar is composed, else as soon as it is."""
        self.latest = p
        if self.query(ProgressBar):
            self._apply(p)

    def _apply(self, p: Progress) -> None:
        bar = self.query_one(ProgressBar)
        # A resource read project by project knows only the current list's page count.
        known = bool(p.total_pages) and (p.total_pages or 0) >= p.pages
        if known:
            bar.update(total=p.total_pages, progress=p.pages)
        pages = f"{p.pages}/{p.total_pages}" if known else f"{p.pages}"
        counts = f" {pages} {'page' if p.pages == 1 else 'pages'} · {p.records:,} records"
        if p.wait_seconds:
            counts += f" · waited {p.wait_seconds:.0f}s"
        if p.note:
            counts += f" · {p.note}"
        self.query_one(".counts", Label).update(text(counts))


class PullPanel(Vertical):
    """The bars of a running pull; hidden when no pull runs."""

    DEFAULT_CSS = """
    PullPanel { height: auto; max-height: 60%; overflow-y: auto; display: none; border-top: solid $primary; border-title-align: left; }
    PullPanel.running { display: block; }
    """

    def start(self, cancel_keys: str = "c") -> None:
        self.remove_children()
        self.border_title = f"Pulling · {cancel_keys} to cancel"
        self.add_class("running")

    def stop(self) -> None:
        self.remove_class("running")

    def tick(self, resource: str, p: Progress) -> None:
        try:
            row = self.query_one(f"#{_safe_id(resource)}", ResourceProgress)
        except Exception:
            row = ResourceProgress(resource)
            row.latest = p
            self.mount(row)
            return
        row.update_from(p)
