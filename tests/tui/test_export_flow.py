"""The workstation exports through the CLI's path: target checked, overwrite asked, audit sheet."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import polars as pl
from textual.widgets import Input, Select
from tui_fakes import make_app, notes, settle

from app.tui.screens.modals import ConfirmModal, ExportModal
from reconcile import decisions
from reconcile.close import api


async def _export_to(pilot, path, fmt: str = "csv") -> None:
    await pilot.press("e")
    await pilot.pause()
    modal = pilot.app.screen
    assert isinstance(modal, ExportModal)
    modal.query_one("#fmt", Select).value = fmt
    modal.query_one("#scope", Select).value = "all"
    await pilot.pause()
    modal.query_one("#path", Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def test_existing_file_is_overwritten_only_after_the_analyst_says_so(tmp_path, seeded):
    target = tmp_path / "month-end.csv"
    target.write_text("the controller's own notes\n")
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _export_to(pilot, target)
        assert isinstance(app.screen, ConfirmModal), notes(app)
        assert str(target) in str(app.screen.query_one(".body Static").render())
        await pilot.press("n")
        await settle(pilot)
        assert target.read_text() == "the controller's own notes\n"
        assert not any("Exported" in n for n in notes(app))

        await _export_to(pilot, target)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert pl.read_csv(target).height == 30
        assert any(f"Exported 30 rows (every exception ever found) to {target}" in n for n in notes(app))


async def test_the_store_is_never_an_export_target(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _export_to(pilot, app.profile.store_path)
        assert not isinstance(app.screen, ConfirmModal)
        assert any("store" in n for n in notes(app))
        assert seeded.query("SELECT count(*) AS n FROM exceptions")["n"][0] == 30


async def test_xlsx_carries_the_audit_sheet_as_the_cli_writes_it(tmp_path, seeded):
    decisions.decide(seeded, "X000000000002", "explained", actor="ana", reason_code="timing")
    target = tmp_path / "month-end.xlsx"
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _export_to(pilot, target, "xlsx")
        assert target.exists(), notes(app)
    with zipfile.ZipFile(target) as book:
        workbook = book.read("xl/workbook.xml").decode()
    assert 'name="Audit"' in workbook


async def test_the_export_defaults_to_the_periods_exceptions_closed_included(tmp_path, seeded):
    """As `tieout export` does: the working close's period (not the clock's month, March here),
    every exception of it with its current status, closed ones included; the file name, the
    manifest and the notice carry the period."""
    api.open_close(seeded, "2026-02", actor="ana")
    seeded.cursor().execute("UPDATE exceptions SET is_open = false WHERE exception_id = 'X000000000008'")
    decisions.decide(seeded, "X000000000002", "explained", actor="ana", reason_code="timing")
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExportModal)
        assert modal.query_one("#scope", Select).value == "period"
        path = Path(modal.query_one("#path", Input).value)
        assert path.name == "acme-gc-sap-2026-02.csv"
        await pilot.press("enter")
        await settle(pilot)
        assert any(f"Exported 30 rows of period 2026-02 to {path}." in n for n in notes(app)), notes(app)
    frame = pl.read_csv(path, infer_schema=False)
    assert frame.height == 30 and "X000000000008" in frame["exception_id"].to_list()
    assert frame.filter(pl.col("exception_id") == "X000000000002")["status"].to_list() == ["explained"]
    manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text())
    assert manifest["period"] == "2026-02" and "exported_at" not in manifest
