"""Detail: the two records side by side, the difference, the rule, mapping rows, history.

Actions work on one exception at a time; next/previous walk the grid's order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker

from app.tui.actions import bindings
from app.tui.format import amount_text, money, quantity
from app.tui.people_services import user_sides
from app.tui.safe import LINE_LIMIT, capped, plain, text
from mappings.load import load_mappings
from reconcile import query, sources
from reconcile.canonical import MONEY, TABLES
from reconcile.suggest import Suggestion, vendor_suggestions

if TYPE_CHECKING:
    from app.tui.app import TieoutApp
    from app.tui.flows.base import Workstation


class DetailLoaded(Message):
    def __init__(
        self,
        exception_id: str,
        row: dict[str, Any] | None,
        history: list[dict[str, Any]],
        sides: tuple[dict[str, Any], dict[str, Any]] = ({}, {}),
        similar: list[Suggestion] | None = None,
        groups: list[sources.RecordGroup] | None = None,
        procore_url: str | None = None,
        sources_error: str | None = None,
    ) -> None:
        super().__init__()
        self.exception_id = exception_id
        self.row = row
        self.history = history
        self.sides = sides
        self.similar = similar or []
        self.groups = groups or []
        self.procore_url = procore_url
        self.sources_error = sources_error


def load_detail(app: Workstation, exception_id: str) -> DetailLoaded:
    """Read one exception and its history (call from a worker)."""
    row = query.exception(app.store, exception_id)
    if row is None:
        return DetailLoaded(exception_id, None, [])
    history = app.services.history(exception_id)
    similar = vendor_suggestions(app.store, row)
    if row["object"] == "user":  # a person: the IdP's and Procore's view of them (People tab)
        return DetailLoaded(
            exception_id, row, history, user_sides(app.store, app.profile, row["key"]), similar
        )
    groups: list[sources.RecordGroup] = []
    error = None
    try:
        profile = app.profile
        groups = sources.source_records(
            app.store,
            row,
            lambda: load_mappings(profile.mappings_dir, shape=profile.erp.shape),
        )
    except Exception as exc:  # noqa: BLE001 - the records are extra: the detail still shows the rest
        error = "Source records: " + app.failure("reading the source records", exc)
    url = sources.procore_url(
        app.profile.procore.base_url, app.profile.procore.company_id, groups, row["object"]
    )
    return DetailLoaded(
        exception_id, row, history, query.records(app.store, row), similar, groups, url, error
    )


def source_table(group: sources.RecordGroup) -> Table | Text:
    """One group of source records, titled with its side, count and sum."""
    side = "ERP" if group.side == "erp" else "Procore"
    title = f"{side} · {group.title} · {group.count:,} record{'' if group.count == 1 else 's'}"
    if group.amount is not None:
        title += f" · sum {money(group.amount)}"
    if not group.rows:
        return Text(title + " · none in the current snapshot", style="dim")
    t = Table(title=title, box=None, padding=(0, 1), expand=True, title_justify="left", title_style="bold")
    cols = [c for c in group.rows[0] if c not in ("updated_at", "etag")]
    for c in cols:
        t.add_column(plain(c), overflow="fold", justify="right" if c in MONEY_COLUMNS else "left")
    for r in group.rows:
        t.add_row(*[text(shown_value(c, r[c])) if c in MONEY_COLUMNS else text(r[c]) for c in cols])
    if group.count > len(group.rows):
        t.add_row(Text(f"… and {group.count - len(group.rows):,} more", style="dim"))
    return t


#: Record columns that hold money (shown to the cent): every ``MONEY`` column of the canonical
#: tables, plus the value names an exception's detail JSON uses for amounts.
MONEY_COLUMNS = frozenset(
    {c for schema in TABLES.values() for c, dtype in schema.items() if dtype == MONEY}
    | {"amount", "net_price", "grand_total", "original_budget_amount", "difference"}
)


def shown_value(name: str, value: Any) -> Any:
    """A record's value as the detail shows it: money to the cent, other decimals as they are."""
    if isinstance(value, Decimal):
        return money(value) if name in MONEY_COLUMNS else quantity(value)
    if isinstance(value, str):
        return amount_text(value, whole=name in MONEY_COLUMNS)
    return value


def _pick(detail: dict[str, Any], *names: str) -> Any:
    for n in names:
        if n in detail and detail[n] not in (None, {}, []):
            return detail[n]
    return None


def records(
    row: dict[str, Any], sides: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ERP and Procore records: canonical rows, else the detail JSON, else the two values."""
    detail = row.get("detail") or {}
    erp = sides[0] or _pick(detail, "erp", "erp_record")
    pc = sides[1] or _pick(detail, "procore", "procore_record")
    field = row.get("field") or "value"
    if not isinstance(erp, dict):
        erp = {} if row.get("erp_value") is None else {field: row.get("erp_value")}
    if not isinstance(pc, dict):
        pc = {} if row.get("procore_value") is None else {field: row.get("procore_value")}
    return erp, pc


_RULE_REF = re.compile(r"([^\s/]+\.csv) line (\d+)")


def mapping_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The mapping rows the diff used: ``{"file", "line"}`` from refs like ``mappings/x.csv line 5``."""
    detail = row.get("detail") or {}
    out: list[dict[str, Any]] = []
    rows = _pick(detail, "mapping_rows", "mappings", "mapping")
    if isinstance(rows, dict):
        rows = [rows]
    if isinstance(rows, list):
        out.extend(r for r in rows if isinstance(r, dict))
    for name, value in detail.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            match = _RULE_REF.search(v) if isinstance(v, str) else None
            if match:
                out.append({"file": match.group(1), "line": int(match.group(2)), "used as": name})
    return out


#: What a cut value says about the full text (the detail's ``tieout.detail.full`` binding).
FULL_HINT = "v shows all"


def side_table(
    title: str, record: dict[str, Any], other: dict[str, Any], *, limit: int | None = LINE_LIMIT
) -> Table:
    """One side's fields; a field whose value differs from the other side's is highlighted."""
    t = Table(title=title, box=None, padding=(0, 1), expand=True, title_justify="left", title_style="bold")
    t.add_column("field", style="dim", no_wrap=True)
    t.add_column("value", overflow="fold")  # a long word wraps: the full text is all there
    if not record:
        t.add_row("", Text("no record on this side", style="italic yellow"))
    for k, v in record.items():
        differs = k in other and plain(other[k]) != plain(v)
        shown = shown_value(k, v)
        t.add_row(text(k), text(shown, "bold reverse red" if differs else "", limit=limit, hint=FULL_HINT))
    return t


class NextRead(Message):
    """The exception a decision would move to, read ahead (``DetailScreen._read_ahead``)."""

    def __init__(self, loaded: DetailLoaded) -> None:
        super().__init__()
        self.loaded = loaded


class DetailScreen(Screen[None]):
    """One exception, and what the analyst decides about it."""

    CSS_PATH = "detail.tcss"
    BINDINGS = bindings("detail")

    def __init__(self, ids: Sequence[Any], index: int, loaded: DetailLoaded | None = None) -> None:
        super().__init__()
        self.ids: Sequence[Any] = ids
        self.index = index
        self.row: dict[str, Any] | None = None
        self.similar: list[Suggestion] = []
        self._preloaded = loaded
        #: The next undecided exception, read while the analyst reads this one: a decision
        #: then shows it without waiting on a read that would compete with the decision's write.
        self._ahead: DetailLoaded | None = None
        #: Long values in full (``v``); cut at ``LINE_LIMIT`` characters otherwise.
        self.full = False
        self._shown: DetailLoaded | None = None

    @property
    def tieout(self) -> TieoutApp:
        return cast("TieoutApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.tieout.worker_state(event)  # a worker that died: logged, one sentence shown

    @property
    def exception_id(self) -> str:
        value = self.ids[self.index]
        return str(value.as_py() if hasattr(value, "as_py") else value)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="summary")
        with VerticalScroll(id="detail-body"):
            with Horizontal(id="sides"):
                yield Static(id="erp", classes="side")
                yield Static(id="procore", classes="side")
            yield Static(id="sources")
            yield Static(id="mapping")
            yield Static(id="history")
        yield Footer()

    def on_mount(self) -> None:
        if self._preloaded is not None:
            self.on_detail_loaded(self._preloaded)
            self._preloaded = None
        else:
            self.reload()

    def show(self, ids: Sequence[Any], index: int, loaded: DetailLoaded | None = None) -> None:
        """Reuse this (installed) screen for another exception: no compose, no restyle."""
        self._ahead = None  # read before this opening: a re-diff may have changed it since
        self.ids = ids
        self.index = index
        self.row = None
        if not self.is_mounted:
            self._preloaded = loaded
        elif loaded is not None:
            self.on_detail_loaded(loaded)
        else:
            self.query_one("#summary", Static).update(text(f"{self.exception_id} loading…"))
            self.reload()

    def reload(self) -> None:
        self._ahead = None  # something changed (a push, a re-diff): read everything afresh
        self._load(self.exception_id)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load(self, exception_id: str) -> None:
        self.post_message(load_detail(self.tieout, exception_id))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        if message.exception_id != self.exception_id:
            return
        self.row = row = message.row
        self._shown = message
        self.refresh_bindings()  # a person's detail has no ``m`` (check_action)
        self._read_ahead()
        if row is None:
            self.query_one("#summary", Static).update(
                text(f"{message.exception_id} is no longer in the store.")
            )
            return
        head = Text()

        def cut(value: Any) -> str:
            return capped(value, hint=FULL_HINT)

        head.append(cut(row["exception_id"]), style="bold")
        head.append(f"  {self.index + 1}/{len(self.ids)}  ", style="dim")
        head.append(f"{cut(row['object'])} · {cut(row['kind'])}")
        head.append(f"  status {cut(row['status'])}", style="bold")
        if row.get("assigned_to"):  # an assigned exception does not look untouched here either
            head.append(f"  assigned to {cut(row['assigned_to'])}", style="bold")
        head.append("\nkey ")
        head.append(cut(row["key"]), style="bold")
        if row.get("project"):
            head.append("  project " + cut(row["project"]))
        if row.get("field"):
            head.append("  field " + cut(row["field"]))
        side = "IdP" if row["object"] == "user" else "ERP"  # a user's other side is the IdP
        if row.get("erp_value") is not None or row.get("procore_value") is not None:
            whole = side == "ERP" and row.get("field") == "amount"  # digits alone are money here
            head.append(f"\n{side} ")
            head.append(cut(amount_text(row.get("erp_value") or "—", whole=whole)), style="bold")
            head.append("  Procore ")
            head.append(cut(amount_text(row.get("procore_value") or "—", whole=whole)), style="bold")
        if side == "ERP":
            head.append("\ndifference (ERP − Procore) ")
            head.append(money(row["difference"]), style="bold red" if row["difference"] else "bold")
            head.append("  rule ")
        else:
            head.append("\nrule ")
        head.append(cut(row["rule"]))
        if not row.get("is_open"):
            head.append("  (closed: not in the latest diff)", style="yellow")
        self.query_one("#summary", Static).update(head)
        erp, pc = records(row, message.sides)
        limit = None if self.full else LINE_LIMIT
        if side == "IdP":
            self.query_one("#erp", Static).update(side_table(side, erp, pc, limit=limit))
        else:
            shape = self.tieout.profile.erp.shape  # the ERP's own words for its dimensions
            if erp:
                names = {c: f"{label} ({c})" for c, label, _v in shape.describe(erp) if c in erp}
                erp = {names.get(k, k): v for k, v in erp.items()}
            self.query_one("#erp", Static).update(side_table(shape.title, erp, pc, limit=limit))
        self.query_one("#procore", Static).update(side_table("Procore", pc, erp, limit=limit))

        parts: list[Table | Text] = [Text("Why this number: the source records", style="bold underline")]
        if message.sources_error:
            parts.append(text(message.sources_error))
        parts.extend(source_table(g) for g in message.groups)
        if message.procore_url:
            parts.append(Text("w opens the Procore record: " + message.procore_url, style="dim"))
        self.query_one("#sources", Static).update(Group(*parts) if len(parts) > 1 else Text(""))

        self.similar = message.similar
        maps = mapping_rows(row)
        m = Table(title="Mapping rows used", box=None, expand=True, title_justify="left", title_style="bold")
        cols = sorted({k for r in maps for k in r})
        for c in cols:
            m.add_column(plain(c))
        for r in maps:
            m.add_row(*[text(r.get(c)) for c in cols])
        if row.get("object") == "user":  # a person's rules are access.csv's, not the money tables
            mapping: Table | Text = Text(
                "access.csv grants the templates and projects compared here.", style="dim"
            )
        else:
            mapping = m if maps else Text("No mapping rows were used.", style="dim")
        if message.similar:
            other = "Procore" if row.get("kind") == "missing_in_procore" else "the ERP"
            sim = Table(
                title=f"Similar vendors in {other}: a vendors.csv row links one (m)",
                box=None,
                expand=True,
                title_justify="left",
                title_style="bold",
            )
            for c in ("key", "name", "score", "vendors.csv row"):
                sim.add_column(c)
            for sug in message.similar:
                sim.add_row(text(sug.key), text(sug.name), f"{sug.score:.0f}", text(sug.mapping_row))
            self.query_one("#mapping", Static).update(Group(mapping, Text(""), sim))
        else:
            self.query_one("#mapping", Static).update(mapping)

        h = Table(title="Decision history", box=None, expand=True, title_justify="left", title_style="bold")
        for c in ("when", "who", "status", "reason", "assigned", "note"):
            h.add_column(c)
        for d in message.history:
            when = d.get("decided_at")
            h.add_row(
                text(when.strftime("%Y-%m-%d %H:%M") if isinstance(when, datetime) else when),
                text(d.get("decided_by")),
                text(d.get("status")),
                text(d.get("reason_code")),
                text(d.get("assigned_to")),
                text(d.get("note")),
            )
        self.query_one("#history", Static).update(
            h
            if message.history
            else Group(Text("Decision history", style="bold"), Text("No decisions yet.", style="dim"))
        )

    # -- moving (the grid's current filter and order, read afresh each time) ---------------
    def _position(self, ids: list[str]) -> tuple[int, bool]:
        """Where this exception is in ``ids``; when it left (a filter, a re-diff), where it was."""
        try:
            return ids.index(self.exception_id), True
        except ValueError:
            return min(self.index, len(ids)), False

    def _go(self, ids: list[str], index: int) -> None:
        self.ids = ids
        self.index = index
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.exception_id == self.exception_id:
            self.on_detail_loaded(ahead)  # read moments ago, after the last decision it could see
            return
        self.query_one("#summary", Static).update(text(f"{self.exception_id} loading…"))
        self.reload()

    def _read_ahead(self) -> None:
        """Read the exception a decision on this one would move to (``advance``'s choice)."""
        from app.tui.flows.decide import next_undecided

        ids, statuses = self.tieout.grid_rows()
        pos, present = self._position(ids)
        if not present:
            return
        skip = set(self.tieout.session_status) | {self.exception_id}
        nxt = next_undecided(ids, statuses, pos, skip)
        if nxt is None or (self._ahead is not None and self._ahead.exception_id == ids[nxt]):
            return
        self._ahead = None
        self._fetch_ahead(ids[nxt])

    @work(thread=True, exclusive=True, group="detail-ahead", exit_on_error=False)
    def _fetch_ahead(self, exception_id: str) -> None:
        self.post_message(NextRead(load_detail(self.tieout, exception_id)))

    def on_next_read(self, message: NextRead) -> None:
        self._ahead = message.loaded

    def action_step(self, delta: int) -> None:
        ids, _ = self.tieout.grid_rows()
        pos, present = self._position(ids)
        new = pos + delta if present or delta < 0 else pos
        if 0 <= new < len(ids):
            self._go(ids, new)
        else:
            self.notify("No more exceptions that way.", severity="information")

    def advance(self) -> None:
        """After a decision: the next undecided exception in the grid's order (wrapping round)."""
        from app.tui.flows.decide import next_undecided

        ids, statuses = self.tieout.grid_rows()
        pos, present = self._position(ids)
        after = pos if present else pos - 1
        nxt = next_undecided(ids, statuses, after, set(self.tieout.session_status))
        if nxt is None:
            self.notify("Every exception in this filter is decided.", severity="information")
            return
        self._go(ids, nxt)

    def action_toggle_full(self) -> None:
        """Show long values in full in the records (the body scrolls), or cut again."""
        self.full = not self.full
        if self._shown is not None:
            self.on_detail_loaded(self._shown)

    def action_close(self) -> None:
        grid = self.tieout.work_grid()
        if grid is not None and grid.is_mounted:
            grid.follow(self.exception_id)  # back in the grid where the detail walked to
        self.dismiss(None)

    # -- decisions (the app does the work) -----------------------------------------------------
    def action_explain(self) -> None:
        self.tieout.explain([self.exception_id])

    def action_assign(self) -> None:
        self.tieout.assign([self.exception_id])

    def action_repeat(self) -> None:
        self.tieout.repeat([self.exception_id])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``m`` is for the money mapping tables: a person's detail hides it (access.csv is the
        IT admin's file, edited outside the workstation)."""
        if action == "fix_mapping" and (self.row or {}).get("object") == "user":
            return False
        return True

    def action_fix_mapping(self) -> None:
        self.tieout.fix_mapping(self.exception_id, mapping_rows(self.row or {}), self.similar)

    def action_approve_push(self) -> None:
        self.tieout.approve_pushes([self.exception_id])

    def action_open_procore(self) -> None:
        self.tieout.open_procore(self.exception_id)
