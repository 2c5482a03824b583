"""Hostile strings from the APIs are shown verbatim: no markup, no escapes, no formulas run."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from textual.widgets import Input, Static
from tui_fakes import (
    FORMULA,
    HOSTILE,
    HOSTILE_SHOWN,
    exception_rows,
    make_app,
    settle,
    write_exceptions,
    write_snapshot,
)

from app.tui.safe import capped, plain, text
from app.tui.widgets.grid import sanitise

#: Every bidi control (embeddings, overrides, isolates), the marks and the zero-width ones.
INVISIBLE = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))] + [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u2060",
    "\ufeff",
]
SPOOF = "invoice\u202etxt.exe\u200b\u2066x\u2069"
SPOOF_SHOWN = "invoicetxt.exex"
LONG = "N" * 40_000


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


def test_tab_bidi_and_zero_width_never_reach_the_terminal():
    import pyarrow as pa

    assert plain("a\tb") == "a b"
    assert plain(SPOOF) == SPOOF_SHOWN
    for ch in INVISIBLE:
        assert plain(f"a{ch}b") == "ab", hex(ord(ch))
    hostile = ["a\tb", SPOOF, *(f"a{ch}b" for ch in INVISIBLE), "line\nbreak"]
    assert sanitise(pa.table({"a": hostile})).column("a").to_pylist() == [plain(v) for v in hostile]


def test_long_lines_are_cut_with_their_length():
    shown = capped(LONG)
    assert len(shown) < 300 and shown.endswith("… (40,000 characters)")
    assert capped(LONG, hint="v shows all").endswith("(40,000 characters; v shows all)")
    assert capped(LONG, None) == LONG
    assert capped("short\n" + LONG).startswith("short\nNNN")
    assert text(LONG).plain == shown


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


async def test_tab_spoof_and_long_name_in_grid_and_detail(tmp_path, store):
    write_snapshot(store)
    row = ("X000000000099", "vendor", "value_mismatch", "V9\tTAB" + SPOOF, None, "name")
    row += (SPOOF, LONG, None, "vendor.name", '{"procore": {"id": 9, "name": "' + LONG + '"}}')
    write_exceptions(store, [*exception_rows(), row])
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#search", Input).value = "V9"
        await settle(pilot)
        grid = screen.query_one("#grid")
        cells = [c for c in grid.get_row_at(0) if isinstance(c, str)]
        assert "V9 TAB" + SPOOF_SHOWN in cells
        assert not any("\t" in c or any(ch in c for ch in INVISIBLE) for c in cells)
        svg = app.export_screenshot()
        assert "\t" not in svg and not any(ch in svg for ch in INVISIBLE)

        screen.action_open_detail()
        await settle(pilot)
        detail = app.screen
        summary = detail.query_one("#summary", Static)
        assert summary.region.height < 10  # the records and history stay on screen
        assert "(40,000 characters; v shows all)" in _render(summary.content)
        procore = detail.query_one("#procore", Static)
        assert "(40,000 characters; v shows all)" in _render(procore.content)
        assert detail.query_one("#history", Static).region.y < 48
        svg = app.export_screenshot()
        assert "\t" not in svg and not any(ch in svg for ch in INVISIBLE)
        await pilot.press("v")  # the full text, in the scrolling body
        await pilot.pause()
        assert detail.full, (app.screen, app.focused)
        shown = _render(procore.content)
        assert "characters; v shows all" not in shown and shown.count("N") >= 40_000
        assert summary.region.height < 10
