"""Exceptions: filters, a search box, the count line and one virtualized grid.

The screen only turns widget values into an ``ExceptionFilter``; DuckDB filters and sorts
(``reconcile.query``) in a thread worker and the grid is re-mounted on the result.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Select
from textual.widgets.select import InvalidSelectValueError
from textual.worker import Worker, WorkerState
from textual_fastdatatable import DataTable

from app.tui.actions import bindings
from app.tui.widgets.grid import ExceptionGrid
from reconcile import decisions, query

if TYPE_CHECKING:
    from app.tui.app import TieoutApp

KINDS = ("missing_in_procore", "missing_in_erp", "value_mismatch", "duplicate", "unmapped")
#: The status drop-down: the close's progress states (``reconcile.query.STATES``).
STATUSES = tuple(query.STATES)
#: The People tab's object: its rows are not money, so the money grid leaves them out.
PEOPLE = "user"
OBJECTS = ("vendor", "commitment", "commitment_line", "budget", "actual")
#: The teams an exception is assigned to (the assignee filter).
ASSIGNEES = tuple(decisions.ASSIGNEES)
#: Statuses that decide an exception (the cache's ``_undecided`` turns False on them).
DECIDING = ("explained", "approved", "pushed")


def with_statuses(
    cache: query.GridCache, statuses: dict[str, str], assignees: dict[str, str | None] | None = None
) -> query.GridCache:
    """A new cache with some exceptions' status (and assignee) replaced; ``cache`` is left as it was.

    Why a copy: a worker may be paging the old cache while this runs, and a million-row
    column rewrite is work for a thread, not for the UI. Sort orders of other columns stay
    valid (rows keep their places), so they are carried over; only the patched ones' are not.
    """
    patched = cache.with_statuses(statuses, assignees)
    patched_columns = {"status", "assigned_to"} if assignees else {"status"}
    orders = getattr(cache, "_orders", None)  # the cache's memo of sort permutations
    if isinstance(orders, dict) and hasattr(patched, "_orders"):
        patched._orders.update((k, v) for k, v in orders.items() if k not in patched_columns)
    return patched


class WorkGrid(ExceptionGrid):
    """The exceptions grid: shift+up/down mark rows while moving (the library selects a range)."""

    BINDINGS = [
        Binding("shift+up", "mark_move(-1)", "Mark up", show=False, id="tieout.exceptions.mark_up"),
        Binding("shift+down", "mark_move(1)", "Mark down", show=False, id="tieout.exceptions.mark_down"),
    ]

    def action_mark_move(self, delta: int) -> None:
        screen = self.screen
        if isinstance(screen, ExceptionsScreen):
            screen.mark_move(delta)


class SelectionResolved(Message):
    """Every id of the marked filter, read by a worker, for the action that asked."""

    def __init__(self, action: str, ids: list[str]) -> None:
        super().__init__()
        self.action = action
        self.ids = ids


class GridLoaded(Message):
    """A page of the grid, and the cache it was cut from (UI-thread handlers adopt it)."""

    def __init__(
        self,
        page: query.GridPage,
        f: query.ExceptionFilter,
        options: dict[str, list[str]] | None,
        *,
        cache: query.GridCache | None = None,
        generation: int = 0,
        seq: int = 0,
        applied: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.page = page
        self.filter = f
        self.options = options
        self.cache = cache
        self.generation = generation
        self.seq = seq
        self.applied = applied or {}


class ExceptionsScreen(Screen[None]):
    """The working list of a month-end session."""

    CSS_PATH = "exceptions.tcss"
    AUTO_FOCUS = ""
    BINDINGS = bindings("exceptions")

    def __init__(self, *, limit: int = 1_000) -> None:
        super().__init__()
        self.filter = query.ExceptionFilter(not_object=PEOPLE)
        self.page_size = limit
        self.limit = limit
        self.page: query.GridPage | None = None
        # The grid's cache is owned by the UI thread: only handlers here assign it. A worker
        # gets the current one as an argument and never mutates it (patches make a copy).
        # ``_generation`` counts store states (each diff is one): a result computed for an
        # older generation is dropped, never applied. ``_seq`` orders requests within one.
        self.cache: query.GridCache | None = None
        self._generation = 0
        self._seq = 0
        self._cache_seq = 0
        self._shown_seq = 0
        #: Decisions recorded since ``cache`` was read; the next load applies them off-thread.
        self._pending: dict[str, str] = {}
        #: The generation whose cache is being read (one full read at a time), if any.
        self._reading: int | None = None
        self._reload_wanted = False
        self._options_loaded = False
        self._shown = 0
        self._shown_filter: query.ExceptionFilter | None = None
        #: Rows marked for a bulk decision (ids), or every row of the filter (``all_marked``).
        self.marked: set[str] = set()
        self.all_marked = False
        #: The kinds of the open exceptions, for ``k``, and the store state they were read in.
        self._kinds_of: tuple[int, set[str]] | None = None
        #: The exception the cursor should be on when the next page lands (after a decision).
        self._cursor_target: str | None = None

    @property
    def tieout(self) -> TieoutApp:
        return cast("TieoutApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="row1"):
            yield Input(placeholder="/ search key, project, value…", id="search", compact=True)
            yield Select([], prompt="project", id="project", compact=True)
            yield Select([(a, a) for a in ASSIGNEES], prompt="assignee", id="assigned_to", compact=True)
        with Horizontal(id="row2"):
            yield Select([(o, o) for o in OBJECTS], prompt="object", id="object", compact=True)
            yield Select([(k, k) for k in KINDS], prompt="kind", id="kind", compact=True)
            yield Select([(s, s) for s in STATUSES], prompt="status", id="status", compact=True)
            yield Select([(b, b) for b in query.AMOUNT_BANDS], prompt="amount", id="band", compact=True)
        yield Label("loading…", id="count")
        yield Container(id="grid-box")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    # -- loading ------------------------------------------------------------------------
    def reload(self, *, stale: bool = False) -> None:
        """Re-run the current filter; ``stale`` re-reads the store (after a diff)."""
        if stale:
            self._generation += 1
            self.cache = None
            self._pending.clear()  # the new read sees every decision recorded so far
            self._options_loaded = False
        if self.cache is None and self._reading == self._generation:
            self._reload_wanted = True  # the read under way serves this filter when it lands
            return
        self._seq += 1
        if self.cache is None:
            self._reading = self._generation
        self._load(
            self.filter,
            self.limit,
            not self._options_loaded,
            self.cache,
            dict(self._pending),
            self._generation,
            self._seq,
        )

    def set_status(self, exception_id: str, status: str) -> None:
        """A decision was recorded: the next load patches a copy of the cache, then re-filters."""
        self.set_statuses({exception_id: status})

    def set_statuses(self, statuses: dict[str, str], *, assigned: bool = False) -> None:
        """Decisions were recorded: the rows shown are patched; the cache at the next load.

        Why not re-filter at once: a decision does not move a row or change the counts unless
        the filter or the order depends on the status, and re-cutting a page of a million
        exceptions costs what the analyst waits for. Those filters still reload, and so does an
        assignment (``assigned``): it changes the assignee column and how the status reads.
        """
        if not statuses:
            return
        self._pending.update(statuses)
        f = self.filter
        if assigned or f.status or f.state or f.sort == "status" or not self._patch_rows(statuses):
            self.reload()

    def _patch_rows(self, statuses: dict[str, str]) -> bool:
        """The status cells of the page's rows in ``statuses`` rewritten in place; False when
        the page has no status column to patch (then the caller reloads)."""
        page = self.page
        grid = self._grid()
        if page is None or grid is None or "status" not in page.table.column_names:
            return page is None
        index = page.table.column_names.index("status")
        shown = page.table.column("status").to_pylist()
        hits = [(row, statuses[str(x)]) for row, x in enumerate(self._page_ids()) if str(x) in statuses]
        for row, status in hits:
            shown[row] = status
            grid.update_cell(row, index, status)
        if hits:
            column = pa.array(shown, type=page.table.schema.field(index).type)
            self.page = dataclasses.replace(page, table=page.table.set_column(index, "status", column))
        return True

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
        store = self.tieout.store
        if f.open_only:
            if cache is None:
                cache = query.GridCache.load(store, not_object=PEOPLE)
            if pending:
                cache = with_statuses(cache, pending, query.assignees(store, list(pending)))
            page = cache.page(f, limit=limit)
        else:
            page = query.grid_page(store, f, limit=limit)
        options = (
            {c: query.distinct_values(store, c) for c in ("object", "project")} if with_options else None
        )
        # Posted even when a newer load cancelled this one: its cache may still be the one to
        # keep, and the handler drops whatever is stale.
        self.post_message(
            GridLoaded(page, f, options, cache=cache, generation=generation, seq=seq, applied=pending)
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "grid" and event.state is WorkerState.ERROR:
            self._reading = None  # a failed read: the next reload reads again
        self.tieout.worker_state(event)  # a worker that died: logged, one sentence shown

    async def on_grid_loaded(self, message: GridLoaded) -> None:
        if message.generation != self._generation:
            return  # computed from an older store state: dropped
        if self._reading == message.generation and message.cache is not None:
            self._reading = None
        if message.cache is not None and message.seq > self._cache_seq:
            self.cache = message.cache
            self._cache_seq = message.seq
            for exception_id, status in message.applied.items():
                if self._pending.get(exception_id) == status:
                    del self._pending[exception_id]
        if message.options is not None:
            self._options_loaded = True
            self._set_options(message.options)
        if self._reload_wanted:
            self._reload_wanted = False
            self.reload()  # the filter changed while the store was read: now from the cache
            return
        if message.filter != self.filter or message.seq < self._shown_seq:
            return  # a newer filter or a newer page is on its way or shown
        self._shown_seq = message.seq
        self._shown = (
            self.page.table.num_rows if self.page is not None and message.filter == self._shown_filter else 0
        )
        self._shown_filter = message.filter
        same_filter = self._shown_filter == message.filter and self.page is not None
        keep = self._cursor_target or (self._cursor_id() if same_filter else None)
        self._cursor_target = None
        self.page = message.page
        grids = self.query(ExceptionGrid)
        if grids:
            grid = grids.first()
            grid.replace_data(message.page.table, keep_row=message.page.table.num_rows > self._shown)
        else:
            grid = WorkGrid(message.page.table, id="grid")
            await self.query_one("#grid-box").mount(grid)
            if self.focused is None:
                grid.focus()
        if keep is not None:
            self.focus_id(keep)
        if self.all_marked:
            self.marked = set(self._page_ids())
        self._show_marks()

    def _set_options(self, options: dict[str, list[str]]) -> None:
        objects = sorted((set(OBJECTS) | set(options.get("object", []))) - {PEOPLE})
        with self.prevent(Select.Changed):
            self.query_one("#object", Select).set_options([(o, o) for o in objects])
            self.query_one("#project", Select).set_options([(p, p) for p in options.get("project", [])])
            # New options clear a select; the filter still holds its value (home's drill into
            # a project sets it before the first options arrive), so show it again.
            self._show_select("object", self.filter.object)
            self._show_select("project", self.filter.project)

    def _show_select(self, select_id: str, value: str | None) -> None:
        """A select showing ``value`` (blank when None or not one of its options); no filter change."""
        select = self.query_one(f"#{select_id}", Select)
        with self.prevent(Select.Changed):
            if value is None:
                select.clear()
                return
            try:
                select.value = value
            except InvalidSelectValueError:
                select.clear()

    def _update_count(self) -> None:
        page = self.page
        if page is None:
            return
        f = self.filter
        arrow = "↓" if f.descending else "↑"
        line = f"showing {page.table.num_rows:,} of {page.matching:,} matching · {page.total:,} open · sort {f.sort} {arrow}"
        if page.capped:
            line += " · more load at the last row"
        if self.all_marked:
            line += f" · all {page.matching:,} marked"
        elif self.marked:
            line += f" · {len(self.marked):,} marked"
        self.query_one("#count", Label).update(line)

    # -- filters -------------------------------------------------------------------------
    def set_filter(self, **changes: Any) -> None:
        self.filter = dataclasses.replace(self.filter, **changes)
        if self.all_marked:  # "all rows of this filter" means the filter marked, not the next one
            self.all_marked = False
            self.marked.clear()
        self.limit = self.page_size
        self.reload()

    def show_only(self, **fields: Any) -> None:
        """Exactly the open exceptions ``fields`` select (``project="1003"``), every other filter
        cleared and the widgets showing it: home's tie-out table drills into a project so."""
        self.filter = query.ExceptionFilter(
            sort=self.filter.sort, descending=self.filter.descending, not_object=PEOPLE, **fields
        )
        self.all_marked = False
        self.marked.clear()
        with self.prevent(Input.Changed):
            self.query_one("#search", Input).value = ""
        for select in self.query(Select):
            if select.id is not None:  # the status select shows the filter's ``state``
                self._show_select(select.id, fields.get("state" if select.id == "status" else select.id))
        self.limit = self.page_size
        self.reload()

    @on(DataTable.RowHighlighted)
    def _more(self, event: DataTable.RowHighlighted) -> None:
        """At the last loaded row of a capped page, load the next page's worth."""
        page = self.page
        if page is not None and page.capped and event.cursor_row >= page.table.num_rows - 1:
            self.limit = page.table.num_rows + self.page_size
            self.reload()

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self.set_filter(search=event.value)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.action_focus_grid()

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        assert event.select.id is not None
        if event.select.id == "status":  # progress through the close; closed ones are not open
            self.set_filter(state=value, open_only=value != "closed")
            return
        self.set_filter(**{event.select.id: value})

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        self._sort_by(event.column_index)

    @on(DataTable.RowSelected)
    def _row(self, event: DataTable.RowSelected) -> None:
        self.action_open_detail()

    def _sort_by(self, column_index: int) -> None:
        if self.page is None:
            return
        name = self.page.table.column_names[column_index]
        descending = not self.filter.descending if name == self.filter.sort else name == "difference"
        self.set_filter(sort=name, descending=descending)

    # -- actions -------------------------------------------------------------------------
    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_filters(self) -> None:
        self.query_one("#object", Select).focus()

    def action_focus_grid(self) -> None:
        grids = self.query(ExceptionGrid)
        if grids:
            grids.first().focus()

    def action_clear_filters(self) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#search", Input).value = ""
            for sel in self.query(Select):
                sel.clear()
        self.filter = query.ExceptionFilter(
            sort=self.filter.sort, descending=self.filter.descending, not_object=PEOPLE
        )
        self.all_marked = False
        self.marked.clear()
        self.reload()

    def action_next_kind(self) -> None:
        """The kind filter on the next kind that has open rows here; after the last, every kind.

        Why: deciding a close goes kind by kind (``k``, ``*``, ``x``, a digit), and the
        drop-down takes four or more keys per change. The kind Select is set, so the screen
        shows the filter and the change takes the same path as a pick from the drop-down.
        """
        select = self.query_one("#kind", Select)
        kinds = self._open_kinds()
        current = self.filter.kind
        after = kinds[kinds.index(current) + 1 :] if current in kinds else kinds
        # The filter changes now, not when the select's Changed message comes round: ``k * x``
        # arrives from a terminal in one read, and ``*`` must mark the new kind's rows.
        with self.prevent(Select.Changed):
            for kind in after:
                try:
                    select.value = kind
                except InvalidSelectValueError:
                    continue  # a kind this screen's list does not offer (the People tab's own)
                self.set_filter(kind=kind)
                return
            select.clear()
        self.set_filter(kind=None)

    def _open_kinds(self) -> list[str]:
        """The kinds of the open exceptions this screen holds, the list's order first."""
        if self.cache is None:
            present: set[str] = set(KINDS)
        elif self._kinds_of is not None and self._kinds_of[0] == self._generation:
            present = self._kinds_of[1]
        else:  # once per store state: a diff is the only thing that changes the kinds
            present = {str(k) for k in self.cache.frame.get_column("kind").unique().to_list()}
            self._kinds_of = (self._generation, present)
        return sorted(present, key=lambda k: (KINDS.index(k) if k in KINDS else len(KINDS), k))

    def action_sort_column(self) -> None:
        grids = self.query(ExceptionGrid)
        if grids:
            self._sort_by(grids.first().cursor_column)

    def action_open_detail(self) -> None:
        grids = self.query(ExceptionGrid)
        if not grids or self.page is None or self.page.table.num_rows == 0:
            return
        ids: pa.ChunkedArray = self.page.table.column("exception_id")
        self.tieout.open_detail(ids, grids.first().cursor_row)

    # -- marks and the cursor ---------------------------------------------------------------
    def _grid(self) -> ExceptionGrid | None:
        grids = self.query(ExceptionGrid)
        return grids.first() if grids else None

    def _page_ids(self) -> list[str]:
        if self.page is None:
            return []
        return [str(i) for i in self.page.table.column("exception_id").to_pylist()]

    def _cursor_id(self) -> str | None:
        grid = self._grid()
        if grid is None or self.page is None or not 0 <= grid.cursor_row < self.page.table.num_rows:
            return None
        return str(self.page.table.column("exception_id")[grid.cursor_row].as_py())

    def focus_id(self, exception_id: str) -> None:
        """Put the cursor on ``exception_id`` when the page holds it."""
        grid = self._grid()
        if grid is None or self.page is None:
            return
        ids = self._page_ids()
        if exception_id in ids:
            grid.move_cursor(row=ids.index(exception_id), animate=False)

    def follow(self, exception_id: str) -> None:
        """The cursor on ``exception_id`` now, and after the load under way lands."""
        self._cursor_target = exception_id
        self.focus_id(exception_id)

    def _show_marks(self) -> None:
        grid = self._grid()
        if grid is not None:
            rows = frozenset(i for i, x in enumerate(self._page_ids()) if x in self.marked)
            grid.set_marked(rows)
        self._update_count()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the cursor's row, then move down (space, space, space marks three)."""
        current = self._cursor_id()
        grid = self._grid()
        if current is None or grid is None:
            return
        self.all_marked = False
        self.marked.symmetric_difference_update({current})
        grid.move_cursor(row=grid.cursor_row + 1, animate=False)
        self._show_marks()

    def mark_move(self, delta: int) -> None:
        """Mark the cursor's row and the one ``delta`` away, moving there (shift+up/down)."""
        grid = self._grid()
        current = self._cursor_id()
        if current is None or grid is None:
            return
        self.all_marked = False
        self.marked.add(current)
        grid.move_cursor(row=grid.cursor_row + delta, animate=False)
        landed = self._cursor_id()
        if landed is not None:
            self.marked.add(landed)
        self._show_marks()

    def action_mark_all(self) -> None:
        """Mark every row of this filter (loaded or not); again, or with marks already: unmark."""
        if self.all_marked or self.marked:
            self.all_marked = False
            self.marked.clear()
        else:
            self.all_marked = True
            self.marked = set(self._page_ids())
        self._show_marks()

    def clear_marks(self) -> None:
        self.all_marked = False
        self.marked.clear()
        self._show_marks()

    def advance(self) -> None:
        """After a decision: the cursor to the next undecided row of this filter; marks cleared."""
        from app.tui.flows.decide import next_undecided

        grid = self._grid()
        self.clear_marks()
        if grid is None:
            return
        ids, statuses = self.tieout.grid_rows()
        nxt = next_undecided(ids, statuses, grid.cursor_row - 1, set(self.tieout.session_status))
        if nxt is None:
            self.notify("Every exception in this filter is decided.", severity="information")
            return
        self._cursor_target = ids[nxt]
        grid.move_cursor(row=nxt, animate=False)

    # -- decisions (on the marked rows, else the cursor's) -----------------------------------
    def _selected(self, action: str) -> list[str] | None:
        """The ids an action applies to now, or None when a worker must read them first.

        "All rows of this filter" are the filter's, read from the grid's cache here and now
        when the page shown is not all of them (capped, or still the previous filter's: keys
        typed ahead of a filter change). Reading them on the UI thread costs 50 ms for 200,000
        rows; a worker would open the dialog after the keys typed ahead for it had gone to
        the grid. Without a cache yet (the first read still running), a worker reads the store.
        """
        page = self.page
        stale = page is None or self._shown_filter != self.filter
        if self.all_marked and (stale or (page is not None and page.capped)):
            if self.cache is not None and self.filter.open_only:
                cache = with_statuses(self.cache, dict(self._pending)) if self._pending else self.cache
                return cache.ids(self.filter)
            self._resolve(action, self.filter)
            return None
        if self.marked:
            order = self._page_ids()
            inside = [i for i in order if i in self.marked]
            return inside + sorted(self.marked - set(inside))
        current = self._cursor_id()
        return [current] if current is not None else []

    def _resolve(self, action: str, f: query.ExceptionFilter) -> None:
        self._read_selection(action, f, self.cache, dict(self._pending))

    @work(thread=True, exclusive=True, group="selection", exit_on_error=False)
    def _read_selection(
        self, action: str, f: query.ExceptionFilter, cache: query.GridCache | None, pending: dict[str, str]
    ) -> None:
        """The filter's ids from the grid's cache (the same rows the grid shows, in memory),
        else from the store."""
        if cache is not None and f.open_only:
            ids = (with_statuses(cache, pending) if pending else cache).ids(f)
        else:
            ids = self.tieout.services.matching_ids(f)
        self.post_message(SelectionResolved(action, ids))

    def on_selection_resolved(self, message: SelectionResolved) -> None:
        self._dispatch(message.action, message.ids)

    def _dispatch(self, action: str, ids: list[str]) -> None:
        if not ids:
            return
        if action == "explain":
            self.tieout.explain(ids, group=len(ids) == 1)
        elif action == "assign":
            self.tieout.assign(ids, group=len(ids) == 1)
        elif action == "repeat":
            self.tieout.repeat(ids)
        elif action == "mapping":
            self.tieout.fix_mapping_many(ids)
        elif action == "push":
            self.clear_marks()
            self.tieout.approve_pushes(ids)

    def _act(self, action: str) -> None:
        ids = self._selected(action)
        if ids is not None:
            self._dispatch(action, ids)

    def action_explain(self) -> None:
        self._act("explain")

    def action_assign(self) -> None:
        self._act("assign")

    def action_repeat(self) -> None:
        self._act("repeat")

    def action_approve_push(self) -> None:
        self._act("push")

    def action_fix_mapping(self) -> None:
        self._act("mapping")
