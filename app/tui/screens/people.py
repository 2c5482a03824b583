"""People: the identity provider against the Procore directory, as a second grid beside money.

The same screen as the exceptions grid (search, filters, sort, open, the same keys) with the
object fixed to ``user``: it keeps its own cache of the open user exceptions only
(``people_services.load_cache``), shows the columns that say something about a person, and
offers the people kinds. Detail, decisions and pushes are the money side's flows unchanged.
"""

from __future__ import annotations

import dataclasses

from textual import work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.widgets import Footer, Header, Input, Label, Select

from app.tui import people_services as people
from app.tui.screens.exceptions import STATUSES, ExceptionsScreen, GridLoaded, with_statuses
from reconcile import query


def people_filter(kind: str | None = None) -> query.ExceptionFilter:
    """The tab's starting filter: open user exceptions by e-mail."""
    return query.ExceptionFilter(object=people.OBJECT, kind=kind, sort="key", descending=False)


class PeopleScreen(ExceptionsScreen):
    """Who still has Procore access after leaving, who cannot log in, whose access differs."""

    CSS_PATH = "people.tcss"

    def __init__(self, *, limit: int = 1_000, kind: str | None = None) -> None:
        super().__init__(limit=limit)
        self.filter = people_filter(kind)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="row1"):
            yield Input(placeholder="/ search e-mail, project, value…", id="search", compact=True)
            yield Select([], prompt="project", id="project", compact=True)
        with Horizontal(id="row2"):
            kinds = Select([(k, k) for k in people.KINDS], prompt="kind", id="kind", compact=True)
            if self.filter.kind:
                kinds.value = self.filter.kind
            yield kinds
            yield Select([(s, s) for s in STATUSES], prompt="status", id="status", compact=True)
        yield Label("loading…", id="count")
        yield Container(id="grid-box")
        yield Footer()

    def show_kind(self, kind: str | None) -> None:
        """Narrow the tab to one kind (the home screen's orphans panel opens it so)."""
        select = self.query_one("#kind", Select)
        if kind is None:
            select.clear()
        else:
            select.value = kind  # posts Select.Changed: the filter follows, as from the keyboard

    @work(thread=True, exclusive=True, group="grid", exit_on_error=False)
    def _load(
        self,
        f: query.ExceptionFilter,
        limit: int,
        with_options: bool,
        cache: query.GridCache | None,
        pending: dict[str, str],
        generation: int,
        seq: int,
    ) -> None:
        if cache is None:
            cache = people.load_cache(self.tieout.store)
        if pending:
            cache = with_statuses(cache, pending)
        page = cache.page(f, limit=limit)
        page = dataclasses.replace(page, table=people.people_table(page.table))
        options = None
        if with_options:
            projects = cache.frame.get_column("project").drop_nulls().unique().sort().to_list()
            options = {"project": [str(p) for p in projects]}
        self.post_message(
            GridLoaded(page, f, options, cache=cache, generation=generation, seq=seq, applied=pending)
        )

    def _set_options(self, options: dict[str, list[str]]) -> None:
        with self.prevent(Select.Changed):
            self.query_one("#project", Select).set_options([(p, p) for p in options.get("project", [])])

    def _update_count(self) -> None:
        page = self.page
        if page is None:
            return
        f = self.filter
        arrow = "↓" if f.descending else "↑"
        sort = next((h for h, c in people.SORT_COLUMN.items() if c == f.sort), f.sort)
        line = f"showing {page.table.num_rows:,} of {page.matching:,} matching · {page.total:,} open people exceptions · sort {sort} {arrow}"
        if page.capped:
            line += " · more load at the last row"
        self.query_one("#count", Label).update(line)

    def _sort_by(self, column_index: int) -> None:
        if self.page is None:
            return
        header = self.page.table.column_names[column_index]
        name = people.SORT_COLUMN.get(header, header)
        descending = not self.filter.descending if name == self.filter.sort else False
        self.set_filter(sort=name, descending=descending)

    def action_focus_filters(self) -> None:
        self.query_one("#kind", Select).focus()

    def action_clear_filters(self) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#search", Input).value = ""
            for sel in self.query(Select):
                sel.clear()
        self.filter = dataclasses.replace(
            people_filter(), sort=self.filter.sort, descending=self.filter.descending
        )
        self.reload()
