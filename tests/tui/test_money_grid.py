"""The money grid (issue 14 point 3 and 10, issue 13's leftover): the assignee column, no people
rows, and amounts to the cent in the grid and the detail."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from textual.widgets import Input, Select, Static
from tui_fakes import exception_rows, make_app, open_grid, settle, write_exceptions, write_snapshot

from app.tui.format import amount_text, money
from app.tui.screens.detail import DetailScreen
from app.tui.screens.exceptions import ExceptionsScreen
from reconcile import decisions

D = Decimal


def _cell(screen: ExceptionsScreen, row: int, column: str) -> str:
    """One cell as the grid draws it (its text, padding stripped)."""
    table = screen.query_one("#grid")
    index = screen.page.table.column_names.index(column)
    lines = table._render_cell(row, index, table.rich_style, 20)
    return "".join(seg.text for line in lines for seg in line).strip(" ●")


def _row_of(screen: ExceptionsScreen, exception_id: str) -> int:
    return screen.page.table.column("exception_id").to_pylist().index(exception_id)


async def test_the_assignee_column_shows_the_team_after_an_assign(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(160, 40)) as pilot:
        grid = await open_grid(pilot)
        assert "assigned_to" in grid.page.table.column_names
        first = grid.page.table.column("exception_id")[0].as_py()
        await pilot.press("a", "2")  # the cursor's row to the ERP team
        await settle(pilot)
        assert decisions.current(seeded, first)["assigned_to"] == "erp_team"
        row = _row_of(grid, first)
        assert grid.page.table.column("assigned_to")[row].as_py() == "erp_team"
        assert _cell(grid, row, "assigned_to") == "erp_team"
        assert _cell(grid, row, "status") == "assigned"  # an assigned row does not look untouched
        grid.focus_id(first)
        grid.action_open_detail()
        await settle(pilot)
        summary = app.screen.query_one("#summary", Static).content
        assert "status open  assigned to erp_team" in str(summary)
        await pilot.press("escape")
        await settle(pilot)
        grid.query_one("#assigned_to", Select).value = "erp_team"  # filterable like the others
        await settle(pilot)
        assert grid.page.table.column("exception_id").to_pylist() == [first]
        grid.query_one("#assigned_to", Select).clear()
        await settle(pilot)
        grid.set_filter(sort="assigned_to", descending=False)  # sortable: assigned first
        await settle(pilot)
        assert grid.page.table.column("exception_id")[0].as_py() == first


def _with_people() -> list[tuple]:
    rows = exception_rows()
    for i, kind in enumerate(("orphaned", "missing_in_procore", "value_mismatch")):
        rows.append(
            (
                f"XUSER{i:08d}",
                "user",
                kind,
                f"person{i}@example.com",
                None,
                None,
                "DEPROVISIONED",
                "active",
                None,
                f"user.{kind}",
                "{}",
            )
        )
    return rows


async def test_the_money_grid_lists_no_people_rows(tmp_path, store):
    write_snapshot(store)
    write_exceptions(store, _with_people())
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 40)) as pilot:
        grid = await open_grid(pilot)
        objects = set(grid.page.table.column("object").to_pylist())
        assert "user" not in objects and objects
        assert grid.page.total == len(exception_rows())  # "N open" counts money exceptions
        options = [str(v) for _label, v in grid.query_one("#object", Select)._options]
        assert "user" not in options
        grid.query_one("#search", Input).value = "example.com"  # not found here either
        await settle(pilot)
        assert grid.page.matching == 0
        await pilot.press("X")  # cleared filters still leave people out
        await settle(pilot)
        assert "user" not in set(grid.page.table.column("object").to_pylist())
        grid.set_filter(open_only=False)  # the SQL path (closed ones included) too
        await settle(pilot)
        assert "user" not in set(grid.page.table.column("object").to_pylist())


def test_money_is_exactly_two_places():
    assert money(D("1234.5")) == "1,234.50"
    assert money(D("1234.5000")) == "1,234.50"
    assert money(D("1234.565")) == "1,234.56"  # banker's rounding, never a float
    assert money(D("-0.125")) == "-0.12"
    assert amount_text("1234.5") == "1,234.50" and amount_text("1234.500000") == "1,234.50"
    assert amount_text("52000", whole=True) == "52,000.00"
    assert amount_text("4500000001") == "4500000001"  # digits alone may be a PO number


def _odd_scales() -> list[tuple]:
    rows = exception_rows()
    rows[2] = (
        *rows[2][:6],
        "1234.5",
        "1234.500000",
        D("1234.5"),
        rows[2][9],
        '{"erp": {"po_number": "4500000001", "amount": "1234.5"}, '
        '"procore": {"number": "4500000001", "amount": "1234.500000"}}',
    )
    return rows


async def test_the_grid_and_the_detail_show_amounts_to_the_cent(tmp_path, store):
    write_snapshot(store)
    write_exceptions(store, _odd_scales())
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        grid = await open_grid(pilot)
        grid.query_one("#search", Input).value = "4500000001"
        await settle(pilot)
        row = _row_of(grid, "X000000000003")
        assert [_cell(grid, row, c) for c in ("erp_value", "procore_value", "difference")] == [
            "1,234.50",
            "1,234.50",
            "1,234.50",
        ]
        grid.focus_id("X000000000003")
        grid.action_open_detail()
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.exception_id == "X000000000003"
        console = Console(width=150, record=True)
        console.print(detail.query_one("#summary", Static).content)
        console.print(detail.query_one("#erp", Static).content)
        console.print(detail.query_one("#procore", Static).content)
        console.print(detail.query_one("#sources", Static).content)
        shown = console.export_text()
        assert "ERP 1,234.50  Procore 1,234.50" in shown
        assert "difference (ERP − Procore) 1,234.50" in shown
        assert "1234.5" not in shown.replace(",", "X")  # no raw scale anywhere
        assert "3,600.50" in shown  # the source records' amount (the ERP PO item), to the cent


def test_amounts_in_a_sentence_to_the_cent_quantities_and_keys_kept():
    from app.tui.format import amounts_in

    assert amounts_in("Set the net price of SAP item 4500/00010 to 12.5 so the item totals 1234.5.") == (
        "Set the net price of SAP item 4500/00010 to 12.50 so the item totals 1,234.50."
    )
    assert amounts_in("Set the quantity of SAP item 4500/00010 to 2.125 so the item totals 1234.5.") == (
        "Set the quantity of SAP item 4500/00010 to 2.125 so the item totals 1,234.50."
    )
    assert (
        amounts_in("Create PO US001/PO1: 3 line(s), 52000 USD.")
        == "Create PO US001/PO1: 3 line(s), 52,000.00 USD."
    )
    assert amounts_in("Assign item 4500/00010 to WBS element P-1001.2 (cost code 01-100).") == (
        "Assign item 4500/00010 to WBS element P-1001.2 (cost code 01-100)."
    )


async def test_the_push_plan_dialog_shows_the_summary_to_the_cent_and_the_wire_as_sent(tmp_path, seeded):
    from types import SimpleNamespace

    from app.tui.screens.modals import ConfirmModal
    from app.tui.services import PushPreview

    summary = "Set the amount of Procore line 11 to 1234.5 (SAP 4500000001/00010)."
    body = '  {"amount": "1234.5", "id": 11}'
    text = f"Exception X000000000003: commitment value_mismatch 4500000001\n{summary}\n{body}"
    app = make_app(tmp_path, seeded)
    app.services.plan_push = lambda exception_id, direction=None: PushPreview(
        text, True, plan=SimpleNamespace(summary=summary)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        grid.focus_id("X000000000003")
        await pilot.press("y")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal)
        assert "Set the amount of Procore line 11 to 1,234.50 (SAP 4500000001/00010)." in dialog._body
        assert body in dialog._body  # the request body is what is sent, unchanged
