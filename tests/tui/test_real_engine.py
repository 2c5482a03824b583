"""The app's Services over the real engine (reconcile.exceptions, decisions, export) on a real store."""

from __future__ import annotations

import shutil

from tui_fakes import HOSTILE_SHOWN, make_app, make_profile, settle, write_snapshot

from app.tui.screens.detail import DetailScreen
from app.tui.services import Services
from reconcile import query


def test_diff_preview_and_records(tmp_path, store):
    write_snapshot(store)
    profile = make_profile(tmp_path)
    services = Services(profile, store)
    counts = services.diff().counts
    assert counts["vendor/value_mismatch"] == 1
    copy = tmp_path / "edit" / "mappings"
    shutil.copytree(profile.mappings_dir, copy)
    (copy / "cost_codes.csv").write_text("gl_account,cost_center,wbs_element,procore_cost_code\n")
    added, removed = services.preview_mapping_change(copy)
    assert added and removed
    (vid,) = query.report_frame(store, query.ExceptionFilter(object="vendor", kind="value_mismatch"))[
        "exception_id"
    ]
    erp, procore = query.records(store, query.exception(store, vid))
    assert erp["name"] == "Bravo" and procore["name"].startswith("[bold red]x")


async def test_detail_shows_canonical_records(tmp_path, store):
    write_snapshot(store)
    app = make_app(tmp_path, store)
    app.services = Services(app.profile, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash", *"bravo", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.row["kind"] == "value_mismatch"
        svg = app.export_screenshot()
        assert "Bravo" in svg and HOSTILE_SHOWN.replace(" ", "&#160;") in svg
