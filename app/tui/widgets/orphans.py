"""The home screen's first card: Procore accounts still active for people who have left.

Hidden when the store holds no people exceptions (a money-only profile never sees it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker

from app.tui import people_services as people
from app.tui.actions import by_id
from app.tui.safe import text

if TYPE_CHECKING:
    from app.tui.app import TieoutApp


class OrphansLoaded(Message):
    def __init__(self, orphans: people.Orphans) -> None:
        super().__init__()
        self.orphans = orphans


class OrphansPanel(Static):
    """Open orphaned accounts, undecided first; ``o`` opens them in the People tab."""

    DEFAULT_CSS = "OrphansPanel { display: none; } OrphansPanel.-shown { display: block; }"

    def __init__(self, *, limit: int = 8, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.limit = limit

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="orphans", exit_on_error=False)
    def _load(self) -> None:
        app = cast("TieoutApp", self.app)
        self.post_message(OrphansLoaded(people.orphans(app.store, limit=self.limit)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        cast("TieoutApp", self.app).worker_state(event)  # a worker that died: logged, one sentence

    def on_orphans_loaded(self, message: OrphansLoaded) -> None:
        o = message.orphans
        self.set_class(o.people, "-shown")
        self.border_title = f"Orphaned accounts · {o.total:,}"
        action = by_id("tieout.home.orphans")
        key = cast("TieoutApp", self.app).settings.keymap.get(action.id, action.keys).split(",")[0]
        self.border_subtitle = f"{key}: open in People" if o.total else None
        counts = Text("open people exceptions  ", style="dim")
        for i, (kind, n) in enumerate(o.counts):
            counts.append(" · " if i else "")
            counts.append(f"{kind} ", style="dim")
            counts.append(f"{n:,}", style="bold")
        if not o.total:
            none = Text("No active Procore account belongs to someone who has left.", style="dim")
            self.update(Group(counts, none))
            return
        grid = Table(box=None, padding=(0, 1), expand=True, show_header=True)
        grid.add_column("e-mail", ratio=3, no_wrap=True)
        grid.add_column("IdP", ratio=1, no_wrap=True)
        grid.add_column("status", ratio=1, no_wrap=True)
        for row in o.shown:
            style = "bold red" if row.status == "open" else "dim"
            grid.add_row(text(row.email), text(row.idp_status or "absent"), Text(row.status, style=style))
        if o.total > len(o.shown):
            grid.add_row(Text(f"… and {o.total - len(o.shown):,} more", style="dim"), "", "")
        self.update(Group(counts, grid))
