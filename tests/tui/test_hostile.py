"""Hostile strings from the APIs are shown verbatim: no markup, no escapes, no formulas run."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from textual.widgets import Input, Static
from tui_fakes import FORMULA, HOSTILE, HOSTILE_SHOWN, make_app, settle

from app.tui.safe import plain, text
from app.tui.widgets.grid import sanitise


def test_plain_strips_controls_keeps_markup_literal():
    assert plain(HOSTILE) == HOSTILE_SHOWN
    assert plain("a\x1b[2J\x1b[Hb\x9b31mc\rd") == "abcd"
    assert plain(FORMULA) == FORMULA
    assert text("[bold red]x").plain == "[bold red]x"
    assert plain(None) == ""


def test_grid_sanitise_matches_plain():
    import pyarrow as pa

    t = pa.table({"a": [HOSTILE, FORMULA, None], "n": [1, 2, 3]})
    assert sanitise(t).column("a").to_pylist() == [HOSTILE_SHOWN, FORMULA, None]


def _render(renderable) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_hostile_vendor_in_grid_and_detail(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#search", Input).value = "V2"
        await settle(pilot)
        grid = screen.query_one("#grid")
        assert grid.render_markup is False
        row = dict(zip(screen.page.table.column_names, grid.get_row_at(0), strict=True))
        assert row["procore_value"] == HOSTILE_SHOWN
        screen.action_open_detail()
        await settle(pilot)
        shown = _render(app.screen.query_one("#procore", Static).content)
        assert HOSTILE_SHOWN in shown and "\x1b" not in shown
        svg = app.export_screenshot()
        assert "[bold&#160;red]x" in svg or "[bold red]x" in svg
        await pilot.press("escape")
        screen.query_one("#search", Input).value = "HYPERLINK"
        await settle(pilot)
        assert screen.query_one("#grid").get_row_at(0)[0] == FORMULA


async def test_hostile_export_is_neutralised(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    frame = app.services.report(None)
    app.services.export(frame, tmp_path / "x.csv", "csv")
    out = pl.read_csv(tmp_path / "x.csv", infer_schema=False)
    keys = out["key"].to_list()
    assert FORMULA not in keys
    assert any(k.endswith(FORMULA) for k in keys)
