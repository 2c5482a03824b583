"""Home: the profile, each source's snapshot and age, totals on each side, counts, and the
tie-out per project and object, whose ``enter`` opens the project's exceptions."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState
from textual_fastdatatable import DataTable

from app.tui import home_services
from app.tui.actions import bindings, by_id
from app.tui.format import age
from app.tui.safe import plain, text
from app.tui.widgets.orphans import OrphansPanel
from app.tui.widgets.pull_panel import PullPanel
from app.tui.widgets.tieout_table import TieOutTable, cents
from reconcile.close.period import default_period
from reconcile.close.tieout import TieOutMemo
from reconcile.diff import OBJECTS

if TYPE_CHECKING:
    from app.tui.app import TieoutApp

#: The contract's kinds, in the order an analyst works them, with short column headers.
KIND_COLUMNS = (
    ("missing_in_erp", "not in ERP"),
    ("missing_in_procore", "not in Procore"),
    ("value_mismatch", "differs"),
    ("duplicate", "dup"),
    ("unmapped", "unmapped"),
)


def sign_hint(ready: Any) -> str:
    """What ``S`` does now (``reconcile.close.signoff.Readiness``): sign, lock as reviewer, nothing."""
    if ready.locked_by:
        return "locked: new findings go to the next period"
    if ready.signed_by:
        return "S by a second person locks it"
    return "S signs off"


def since_last(changes: dict[str, int]) -> str:
    """This close against the last signed one, in a line (empty before any sign-off)."""
    if not changes.get("carried") and not changes.get("resolved"):
        return ""  # nothing signed before: every exception is new, which says nothing
    return (
        f"Since the last sign-off: {changes.get('new', 0):,} new · "
        f"{changes.get('carried', 0):,} carried over · {changes.get('resolved', 0):,} resolved"
    )


class HomeLoaded(Message):
    def __init__(self, home: home_services.Home, close: Any = None) -> None:
        super().__init__()
        self.home = home
        self.close = close  # reconcile.close.api.CloseStatus


class HomeScreen(Screen[None]):
    """The first screen of a session: where things stand."""

    CSS_PATH = "home.tcss"
    BINDINGS = bindings("home")
    AUTO_FOCUS = "TieOutTable"  # arrows move through projects, enter opens one

    def __init__(self) -> None:
        super().__init__()
        #: The last tie-out, kept while the snapshots, cut-off and mappings stay the same.
        self.tieout_memo = TieOutMemo()
        #: One read at a time: a reload asked for meanwhile runs when it lands. Cancelling a
        #: thread does not stop it, and its older result could land after the newer one.
        self._loading = False
        self._reload_wanted = False

    @property
    def tieout(self) -> TieoutApp:
        return cast("TieoutApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "home" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._loaded()
        self.tieout.worker_state(event)  # a worker that died: logged, one sentence shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="profile")
        with VerticalScroll(id="home-body"):
            yield OrphansPanel(id="orphans", classes="card")  # leavers first (issue 13)
            with Horizontal(id="top"):
                yield Static(id="snapshots", classes="card")
                yield Static(id="totals", classes="card")
            yield Static(id="counts", classes="card")
        # Below the cards and scrolling on its own, so at 80x24 it is on screen with its cursor.
        with Vertical(id="tieout", classes="card"):
            yield Static(id="tieout-note")
            yield TieOutTable(id="tieout-table")
        yield PullPanel(id="pull-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#snapshots").border_title = "Snapshots"
        self.query_one("#totals").border_title = "Totals"
        self.query_one("#counts").border_title = "Open exceptions"  # with the total once loaded
        self.reload()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")
        self.set_class(self.size.height < 36, "-short")

    def reload(self) -> None:
        if self._loading:
            self._reload_wanted = True
        else:
            self._loading = True
            self._load()
        self.query_one(OrphansPanel).reload()

    def _loaded(self) -> None:
        self._loading = False
        if self._reload_wanted:
            self._reload_wanted = False
            self._loading = True
            self._load()

    @work(thread=True, group="home", exit_on_error=False)
    def _load(self) -> None:
        app = self.tieout
        home = home_services.load_home(app.store, app.profile, self.tieout_memo, app.failure)
        self.post_message(HomeLoaded(home, app.services.close_status()))

    # -- the tie-out table ----------------------------------------------------------------
    @on(DataTable.RowSelected, "#tieout-table")
    async def _row_selected(self) -> None:
        await self.action_drill_project()

    async def action_drill_project(self) -> None:
        """The exceptions grid with exactly the cursor's project (every other filter cleared)."""
        table = self.query_one(TieOutTable)
        row = table.current()
        if row is None:
            return
        if row.project is not None and table.open_of(row.project) == 0:
            self.app.notify(f"Project {plain(row.project)} has no open exceptions.")
            return
        await self.app.switch_mode("exceptions")
        grid = self.tieout.exceptions
        if grid is None:
            return
        if row.project is not None:
            grid.show_only(project=row.project)
            return
        # ERP rows no projects.csv row maps have no project to filter by: they are unmapped.
        grid.show_only(kind="unmapped")
        self.app.notify("Rows no projects.csv row maps have no project: showing the unmapped exceptions.")

    def on_home_loaded(self, message: HomeLoaded) -> None:
        self._loaded()
        home = message.home
        s = home.summary
        now = self.tieout.clock()
        profile = Text()
        profile.append("Profile ", style="dim")
        profile.append(plain(self.tieout.profile.name), style="bold")
        keymap = self.tieout.settings.keymap
        hints = [
            (keymap.get(a.id, a.keys).split(",")[0].replace("question_mark", "?"), a.description)
            for a in (
                by_id("tieout.exceptions"),
                *((by_id("tieout.people"),) if self.tieout.profile.people is not None else ()),
                by_id("tieout.audit"),
                by_id("tieout.log"),
                by_id("tieout.help"),
            )
        ]
        profile.append("   " + " · ".join(f"{k} {d}" for k, d in hints), style="dim")
        close = message.close
        if close is not None:
            ready = close.readiness
            self.tieout.show_period(ready)
            profile.append("\n")
            if ready is not None:
                profile.append(ready.sentence(), style="bold")
                profile.append("   " + sign_hint(ready), style="dim")
                since = since_last(close.changes)
                if since:
                    profile.append("\n" + since, style="dim")
            else:
                profile.append(close.progress.sentence(), style="bold")
                opens = default_period(now.date())
                profile.append(f"   no close open: S opens the close of {opens}", style="dim")
        self.query_one("#profile", Static).update(profile)

        snaps = Table.grid(padding=(0, 1))
        for entry in home.snapshots:
            info = entry.info
            if entry.read_at_diff is not None:
                snaps.add_row(entry.label, text(f"{entry.read_at_diff}, read at each diff", style="dim"))
                continue
            if info is None:
                snaps.add_row(entry.label, Text("never pulled", style="yellow"))
                continue
            if info["current_id"]:
                line = Text(f"#{info['current_id']} ")
                line.append(age(info["finished_at"], now))
                line.append(f" · {info['records']:,} records", style="dim")
            else:
                line = Text("no complete snapshot yet", style="yellow")
            status = info["latest_status"]
            if status != "complete":
                line.append(f"\nlast pull {status}", style="red" if status == "failed" else "yellow")
                if info["latest_error"]:
                    line.append(": " + plain(info["latest_error"])[:120], style="red")
            snaps.add_row(entry.label, line)
        self.query_one("#snapshots", Static).update(snaps)

        totals = Table(box=None, padding=(0, 1), expand=True)
        totals.add_column("object")
        totals.add_column("ERP", justify="right")
        totals.add_column("Procore", justify="right")
        totals.add_column("variance", justify="right")
        for t in s.totals:
            fmt = (lambda v: "—" if v is None else f"{int(v):,}") if t.unit == "count" else _amount
            var = t.variance
            style = "" if var is None or var == 0 else "bold red"
            totals.add_row(t.object, fmt(t.erp), fmt(t.procore), Text(fmt(var), style=style))
        self.query_one("#totals", Static).update(totals)

        # Object by kind: the month-end question is "where are they", at a glance.
        counts = Table(box=None, padding=(0, 1), expand=True)
        counts.add_column("object", no_wrap=True, min_width=15)
        for _kind, label in KIND_COLUMNS:
            counts.add_column(label, justify="right")
        counts.add_column("total", justify="right", style="bold")
        # People (object user) have kinds of their own: the orphans card above counts them.
        money_counts = [c for c in s.counts if c[0] != "user"]
        by = {(obj, kind): n for obj, kind, n in money_counts}
        objects = [o for o in OBJECTS if any(k[0] == o for k in by)]
        objects += sorted({o for o, _ in by} - set(objects))
        for obj in objects:
            cells = [by.get((obj, kind), 0) for kind, _ in KIND_COLUMNS]
            counts.add_row(text(obj), *(f"{n:,}" if n else "·" for n in cells), f"{sum(cells):,}")
        total = sum(n for _, _, n in money_counts)
        if not money_counts:
            counts.add_row("—", *([""] * len(KIND_COLUMNS)), "0")
        card = self.query_one("#counts", Static)
        card.border_title = f"Open exceptions · {total:,}"
        card.update(counts)
        self._show_tieout(home)

    def _show_tieout(self, home: home_services.Home) -> None:
        card = self.query_one("#tieout")
        card.display = home.tieout_shown  # a people-only profile has no money to tie out
        self.set_class(not home.tieout_shown, "-no-tieout")
        note = self.query_one("#tieout-note", Static)
        table = self.query_one(TieOutTable)
        if home.tieout_note is not None:
            note.update(Text(home.tieout_note, style="red"))
        elif not home.rows:
            note.update(Text("Nothing to tie out yet: pull both sides first.", style="dim"))
        note.display = home.tieout_note is not None or not home.rows
        table.display = bool(home.rows)
        table.show(home.rows)
        differ = sum(1 for r in home.rows if not r.ties)
        action = by_id("tieout.home.drill")
        key = self.tieout.settings.keymap.get(action.id, action.keys).split(",")[0]
        title = "Tie-out by project"
        if home.rows:
            title += f" · {differ:,} of {len(home.rows):,} differ · {key} opens a project"
        card.border_title = title


def _amount(value: Decimal | None) -> str:
    return "—" if value is None else cents(value)
