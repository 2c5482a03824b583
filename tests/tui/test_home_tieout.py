"""Home's tie-out table (issue 14 point 5) and the people snapshots on its Snapshots card (issue 13).

A store seeded with four projects (one inactive), a PO whose header and one line differ, a
direct cost after the cut-off and an ERP line no mapping places; the real diff makes the
exceptions. The table must show the engine's figures to the cent, the totals card its column
sums, and ``enter`` must open the grid on exactly that project's exceptions.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
from rich.console import Console
from tui_fakes import FIXED_NOW, FakeServices, make_app, make_profile, notes, settle, write_snapshot

from app.tui.app import TieoutApp
from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.home import HomeScreen
from app.tui.services import Services
from app.tui.widgets.tieout_table import TieOutTable, cents
from reconcile import exceptions, query
from reconcile.close import api
from reconcile.close.tieout import TieOutMemo, object_totals, project_rows
from reconcile.people.settings import PeopleSettings
from reconcile.store import ResourceStat, Store

D = Decimal

PROJECTS_CSV = "wbs_element,procore_project_number\nP-1001,1001\nP-1002,1002\nP-1003,1003\nP-1004,1004\n"
COST_CODES_CSV = "gl_account,cost_center,wbs_element,procore_cost_code\n,,P-1001,01-100\n,,P-1002,02-200\n,,P-1003,01-100\n,,P-1004,01-100\n"


def _money(values: list[str]) -> pl.Series:
    return pl.Series([D(v) for v in values], dtype=pl.Decimal(18, 4))


def seed(store: Store, mappings: Path) -> None:
    """Both sides of four projects; 1004 is inactive, 1002 and 1003 tie, 1001 does not."""
    (mappings / "projects.csv").write_text(PROJECTS_CSV)
    (mappings / "cost_codes.csv").write_text(COST_CODES_CSV)
    procore = {
        "procore_projects": pl.DataFrame(
            {
                "id": [1, 2, 3, 4],
                "project_number": ["1001", "1002", "1003", "1004"],
                "name": ["Harbor", "Mill", "Quay", "Old yard"],
                "active": [True, True, True, False],
            }
        ),
        "procore_commitments": pl.DataFrame(
            {
                "id": [5, 6, 7, 8],
                "project_id": [1, 2, 3, 4],
                "number": ["4500000001", "4500000002", "4500000003", "4500000004"],
                "origin_id": ["4500000001", "4500000002", "4500000003", "4500000004"],
                "grand_total": _money(["3500.50", "7000.00", "400.25", "999.00"]),
            }
        ),
        "procore_commitment_lines": pl.DataFrame(
            {
                "id": [10, 11, 12, 13, 14],
                "contract_id": [5, 5, 6, 7, 8],
                "project_id": [1, 1, 2, 3, 4],
                "position": [1, 2, 1, 1, 1],
                "cost_code": ["01-100", "01-100", "02-200", "01-100", "01-100"],
                "amount": _money(["1000.00", "2500.50", "7000.00", "400.25", "999.00"]),
            }
        ),
        "procore_budget_lines": pl.DataFrame(
            {
                "project_id": [1, 2, 3],
                "cost_code": ["01-100", "02-200", "01-100"],
                "original_budget_amount": _money(["50000.00", "20000.00", "1000.00"]),
            }
        ),
        "procore_actual_lines": pl.DataFrame(
            {
                "id": ["direct_cost:1", "direct_cost:2", "direct_cost:3", "requisition:4", "direct_cost:5"],
                "project_id": [1, 1, 1, 2, 3],
                "source": ["direct_cost", "direct_cost", "direct_cost", "requisition", "direct_cost"],
                "status": ["approved", "approved", "pending", "approved_as_noted", "approved"],
                "cost_code": ["01-100", "01-100", "01-100", "02-200", "01-100"],
                "amount": _money(["700.00", "300.00", "50.00", "1500.00", "80.00"]),
                # the second direct cost is dated after the March cut-off: April's
                "document_date": [date(2026, 3, 10), date(2026, 4, 5), date(2026, 3, 2), date(2026, 3, 20)]
                + [date(2026, 3, 3)],
            }
        ),
    }
    erp = {
        "erp_commitments": pl.DataFrame(
            {"po_number": ["4500000001", "4500000002", "4500000003", "4500000004", "4500000009"]}
        ),
        "erp_commitment_lines": pl.DataFrame(
            {
                "po_number": ["4500000001", "4500000001", "4500000002", "4500000003", "4500000004"]
                + ["4500000009"],
                "item": ["00010", "00020", "00010", "00010", "00010", "00010"],
                "amount": _money(["1000.00", "2600.50", "7000.00", "400.25", "999.00", "123.45"]),
                "wbs_element": ["P-1001", "P-1001", "P-1002", "P-1003", "P-1004", "P-9999"],
            }
        ),
        "erp_budgets": pl.DataFrame(
            {"wbs_element": ["P-1001", "P-1002", "P-1003"], "amount": _money(["52000", "20000", "1000"])}
        ),
        "erp_actuals": pl.DataFrame(
            {"wbs_element": ["P-1001", "P-1002", "P-1003"], "amount": _money(["700", "1500", "80"])}
        ),
    }
    for source, tables in (("procore", procore), ("erp", erp)):
        sid = store.begin_snapshot(source, "full")
        store.complete_snapshot(sid, [ResourceStat(f"{source}_all", 1, 5, 0.1)], tables)


async def _home(pilot) -> TieOutTable:
    await settle(pilot)
    assert isinstance(pilot.app.screen, HomeScreen)
    return pilot.app.screen.query_one(TieOutTable)


def _shown(table: TieOutTable) -> list[list[str]]:
    return [[str(v) for v in table.get_row_at(i)] for i in range(table.row_count)]


def _card(app: TieoutApp, selector: str) -> str:
    console = Console(width=160, file=io.StringIO(), record=True)
    console.print(app.screen.query_one(selector).content)
    return console.export_text()


def app_on(tmp_path: Path, store: Store) -> TieoutApp:
    """The workstation over the real engine, on the seeded store, diffed, in the March close."""
    app = make_app(tmp_path, store)
    seed(store, app.profile.mappings_dir)
    api.open_close(store, "2026-03", actor="ana")
    exceptions.run_diff(store, app.profile)
    app.services = Services(app.profile, store)
    return app


async def test_the_table_shows_the_engines_tie_out_to_the_cent(tmp_path: Path, store: Store) -> None:
    app = app_on(tmp_path, store)
    engine = api.tie_out(store, app.profile)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _home(pilot)
        shown = _shown(table)
        # Largest gap first; projects that tie follow in number order; 1004 is inactive.
        assert [(r[0], r[1]) for r in shown] == [
            ("1001", "commitment"),
            ("1001", "budget"),
            ("1001", "actual"),
            ("(unmapped)", "commitment"),
            ("1002", "commitment"),
            ("1002", "budget"),
            ("1002", "actual"),
            ("1003", "commitment"),
            ("1003", "budget"),
            ("1003", "actual"),
        ]
        by_key = {(r[0], r[1]): r[2:5] for r in shown}
        for r in engine.iter_rows(named=True):
            key = (r["project"] or "(unmapped)", r["object"])
            assert by_key[key] == [cents(r["erp_total"]), cents(r["procore_total"]), cents(r["difference"])]
        # By hand: the PO counts once, by its lines (header 3,500.50 not added); the April
        # direct cost and the pending one are not this period's actuals.
        assert by_key[("1001", "commitment")] == ["3,600.50", "3,500.50", "100.00"]
        assert by_key[("1001", "budget")] == ["52,000.00", "50,000.00", "2,000.00"]
        assert by_key[("1001", "actual")] == ["700.00", "700.00", "0.00"]
        assert by_key[("(unmapped)", "commitment")] == ["123.45", "0.00", "123.45"]
        # The project's open money exceptions, undecided of open, on its first line.
        undecided, open_ = query.project_progress(store)["1001"]
        assert open_ > 0 and shown[0][5] == f"{undecided} of {open_}"
        # The totals card is the table's column sums: same scope, nothing counted twice.
        totals = _card(app, "#totals")
        lines = {line.split()[0]: line.split()[1:] for line in totals.splitlines() if line.strip()}
        assert lines["commitment"] == ["11,124.20", "10,900.75", "223.45"]
        assert lines["budget"] == ["73,000.00", "71,000.00", "2,000.00"]
        assert lines["actual"] == ["2,280.00", "2,280.00", "0.00"]
        sums = object_totals(engine)
        assert lines["commitment"][:2] == [cents(sums["commitment"][0]), cents(sums["commitment"][1])]
        # The first visit to the grid, straight from here: its project select shows the drill
        # once its options arrive.
        await pilot.press("enter")
        await settle(pilot)
        grid = app.screen
        assert isinstance(grid, ExceptionsScreen)
        assert grid.filter.project == "1001" and str(grid.query_one("#project").value) == "1001"
        assert grid.page is not None and grid.page.matching == open_


async def test_enter_on_a_project_opens_exactly_its_exceptions(tmp_path: Path, store: Store) -> None:
    app = app_on(tmp_path, store)
    expected = store.query(
        "SELECT exception_id FROM exceptions WHERE is_open AND project = '1001' AND object <> 'user'"
    )["exception_id"].to_list()
    assert len(expected) == 3  # the budget, the PO and its line
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _home(pilot)
        await pilot.press("2")  # a filter set in the grid first: the drill clears it
        await settle(pilot)
        app.screen.set_filter(search="4500000001")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        table.move_cursor(row=2)  # 1001's actuals: any line of the project opens the project
        assert table.current() is not None and table.current().project == "1001"
        await pilot.press("enter")
        await settle(pilot)
        grid = app.screen
        assert isinstance(grid, ExceptionsScreen)
        assert grid.filter == query.ExceptionFilter(project="1001", not_object="user")  # money only
        assert grid.page is not None
        assert sorted(grid.page.table.column("exception_id").to_pylist()) == sorted(expected)
        assert str(grid.query_one("#project").value) == "1001"  # the filter shows which project
        assert grid.query_one("#search").value == ""


async def test_the_count_matches_the_drill_and_ties_are_listed(tmp_path: Path, store: Store) -> None:
    """A tied project is a row too (dim 0.00), and its count cell is what the drill opens."""
    app = app_on(tmp_path, store)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _home(pilot)
        shown = _shown(table)
        tied = [r for r in shown if r[0] == "1003"]
        assert [r[4] for r in tied] == ["0.00", "0.00", "0.00"]
        counts = query.project_progress(store)
        assert "1003" not in counts and tied[0][5] == "·"  # nothing open
        assert app.screen.focused is table  # the keys work at once, at 80x24 too
        assert table.region.height >= 5 and table.region.bottom <= 23
        # A project with nothing open says so instead of opening an empty grid.
        table.move_cursor(row=[r[0] for r in shown].index("1003"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "Project 1003 has no open exceptions." in notes(app)


def test_rows_group_a_project_and_put_the_largest_gap_first() -> None:
    frame = pl.DataFrame(
        {
            "project": ["A", "A", "B", "C", None],
            "object": ["commitment", "budget", "budget", "actual", "commitment"],
            "erp_total": _money(["10", "5", "1", "0.004", "7"]),
            "procore_total": _money(["10", "5", "-999", "0", "0"]),
            "difference": _money(["0", "0", "1000", "0.004", "7"]),
        }
    )
    rows = project_rows(frame, {"A": (1, 2), "B": (0, 3)})
    assert [(r.project, r.object) for r in rows] == [
        ("B", "budget"),
        (None, "commitment"),
        ("C", "actual"),
        ("A", "commitment"),
        ("A", "budget"),
    ]
    assert [(r.undecided, r.open) for r in rows] == [(0, 3), (None, None), (0, 0), (1, 2), (None, None)]
    assert not rows[2].ties  # a sub-cent difference is still a difference
    assert cents(rows[2].difference) == "0.00" and cents(D("-0.005")) == "-0.01"


def test_the_memo_recomputes_when_a_pull_lands(tmp_path: Path, store: Store) -> None:
    profile = make_profile(tmp_path)
    write_snapshot(store)
    memo = TieOutMemo()
    first = memo.get(store, profile)
    assert memo.get(store, profile) is first  # a decision changes nothing it reads
    write_snapshot(store)
    assert memo.get(store, profile) is not first


def people_app(tmp_path: Path, store: Store, idp: str) -> TieoutApp:
    base = make_profile(tmp_path)
    people = (
        PeopleSettings(idp="csv", roster=tmp_path / "roster.csv")
        if idp == "csv"
        else PeopleSettings(idp=idp, base_url="https://acme.okta.example", groups=["Procore Users"])
    )
    profile = base.model_copy(update={"people": people})
    return TieoutApp(
        profile,
        store,
        services=FakeServices(profile, store),
        settings_path=tmp_path / "none.toml",
        clock=lambda: FIXED_NOW,
        pull_on_start=False,
    )


def _people_snapshots(store: Store) -> None:
    sid = store.begin_snapshot("identity", "full")
    store.complete_snapshot(sid, [ResourceStat("idp_users", 3, 616, 0.1)], {}, {"idp": "okta"})
    sid = store.begin_snapshot("directory", "full")
    store.complete_snapshot(sid, [ResourceStat("users", 4, 771, 0.1)], {})


async def test_the_snapshots_card_names_the_identity_and_directory_snapshots(
    tmp_path: Path, store: Store
) -> None:
    write_snapshot(store)
    _people_snapshots(store)
    app = people_app(tmp_path, store, "okta")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        card = _card(app, "#snapshots")
        lines = [line.split() for line in card.splitlines()]
        assert [w[:2] for w in lines] == [
            ["Procore", "#1"],
            ["ERP", "#2"],
            ["Identity", "(okta)"],
            ["Directory", "#4"],
        ]
        assert lines[2][2] == "#3"


async def test_a_roster_is_named_as_read_at_each_diff(tmp_path: Path, store: Store) -> None:
    write_snapshot(store)
    app = people_app(tmp_path, store, "csv")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        card = _card(app, "#snapshots")
        assert "Identity (roster) roster.csv, read at each diff" in " ".join(card.split())
        assert "Directory never pulled" in " ".join(card.split())
