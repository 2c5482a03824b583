"""Home: the profile, each source's snapshot and age, totals on each side, counts, variance chart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker

from app.tui.actions import bindings, by_id
from app.tui.format import age, money
from app.tui.safe import plain, text
from app.tui.widgets.bar_chart import VarianceChart
from app.tui.widgets.orphans import OrphansPanel
from app.tui.widgets.pull_panel import PullPanel
from reconcile import query
from reconcile.diff import OBJECTS

if TYPE_CHECKING:
    from app.tui.app import TieoutApp

_SOURCES = {"procore": "Procore", "erp": "ERP"}
#: The contract's kinds, in the order an analyst works them, with short column headers.
KIND_COLUMNS = (
    ("missing_in_erp", "not in ERP"),
    ("missing_in_procore", "not in Procore"),
    ("value_mismatch", "differs"),
    ("duplicate", "dup"),
    ("unmapped", "unmapped"),
)


class HomeLoaded(Message):
    def __init__(self, summary: query.HomeSummary, close: Any = None) -> None:
        super().__init__()
        self.summary = summary
        self.close = close  # reconcile.close.api.CloseStatus


class HomeScreen(Screen[None]):
    """The first screen of a session: where things stand."""

    CSS_PATH = "home.tcss"
    BINDINGS = bindings("home")

    @property
    def tieout(self) -> TieoutApp:
        return cast("TieoutApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.tieout.worker_state(event)  # a worker that died: logged, one sentence shown

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="home-body"):
            yield Static(id="profile")
            yield OrphansPanel(id="orphans", classes="card")  # leavers first (issue 13)
            with Horizontal(id="top"):
                yield Static(id="snapshots", classes="card")
                yield Static(id="totals", classes="card")
            with Horizontal(id="bottom"):
                yield Static(id="counts", classes="card")
                yield VarianceChart(id="chart", classes="card")
        yield PullPanel(id="pull-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#chart").border_title = "Variance by project (ERP − Procore)"
        self.query_one("#snapshots").border_title = "Snapshots"
        self.query_one("#totals").border_title = "Totals"
        self.query_one("#counts").border_title = "Open exceptions"  # with the total once loaded
        self.reload()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")

    def reload(self) -> None:
        self._load()
        self.query_one(OrphansPanel).reload()

    @work(thread=True, exclusive=True, group="home", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(
            HomeLoaded(query.home_summary(self.tieout.store), self.tieout.services.close_status())
        )

    def on_home_loaded(self, message: HomeLoaded) -> None:
        s = message.summary
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
            readiness = close.readiness.sentence() if close.readiness is not None else None
            period = close.close.period if close.close is not None else None
            self.tieout.show_period(period, readiness)
            profile.append("\n")
            if readiness:
                profile.append(readiness, style="bold")
                profile.append("   S signs off", style="dim")
            else:
                profile.append(close.progress.sentence(), style="bold")
                profile.append("   no close open: tieout close --period YYYY-MM", style="dim")
        self.query_one("#profile", Static).update(profile)

        snaps = Table.grid(padding=(0, 1))
        for source, label in _SOURCES.items():
            info = s.snapshots.get(source)
            if info is None:
                snaps.add_row(label, Text("never pulled", style="yellow"))
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
            snaps.add_row(label, line)
        self.query_one("#snapshots", Static).update(snaps)

        totals = Table(box=None, padding=(0, 1), expand=True)
        totals.add_column("object")
        totals.add_column("ERP", justify="right")
        totals.add_column("Procore", justify="right")
        totals.add_column("variance", justify="right")
        for t in s.totals:
            fmt = (lambda v: "—" if v is None else f"{int(v):,}") if t.unit == "count" else money
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
        self.query_one(VarianceChart).set_rows(s.variance_by_project)
