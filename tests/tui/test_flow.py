"""The month-end session end to end: pull → filter → detail → explain → export."""

from __future__ import annotations

import polars as pl
from textual.widgets import Input, Select
from tui_fakes import make_app, settle

from app.tui.screens.detail import DetailScreen
from app.tui.screens.modals import ExplainModal, ExportModal


async def test_pull_filter_detail_explain_export(tmp_path, store):
    app = make_app(tmp_path, store, pull_on_start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # the startup pull and its diff
        assert app.services.pulls == 1
        await pilot.press("2")
        await settle(pilot)
        grid = app.screen
        assert grid.page.matching == 30
        await pilot.press("slash", *"4500000001")
        await settle(pilot)
        assert grid.page.matching == 1
        await pilot.press("enter", "enter")  # search box → grid, then open the row
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.exception_id == "X000000000003"
        await pilot.press("x")
        assert isinstance(app.screen, ExplainModal)
        await pilot.press("tab")  # reason code (first in the list) → note
        await pilot.press(*"PO raised late", "enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, ExportModal)
        app.screen.query_one("#scope", Select).value = "filter"  # the default is the whole period
        await pilot.press("enter")
        await settle(pilot)
        out = pl.read_csv(tmp_path / "acme-gc-sap-2026-03.csv", infer_schema=False)
        assert out.height == 1
        row = out.row(0, named=True)
        assert row["exception_id"] == "X000000000003"
        assert row["status"] == "explained" and row["note"] == "PO raised late"
        assert row["difference"] == "100.0000"


async def test_grid_status_filter_sees_decisions(tmp_path, seeded):
    from reconcile import decisions

    decisions.decide(seeded, "X000000000002", "explained", actor="ana", reason_code="timing")
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        app.screen.query_one("#status", Select).value = "explained"
        await settle(pilot)
        assert app.screen.page.table.column("exception_id").to_pylist() == ["X000000000002"]
        assert isinstance(app.screen.query_one("#search"), Input)
