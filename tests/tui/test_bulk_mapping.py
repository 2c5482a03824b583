"""Mapping fixes from the grid (issue 14 points 2 and 9): one row for the marked exceptions,
one confirmation naming the count, recorded once through the audited path; the detail's
single fix goes through that path too. The real engine diffs a small store (no network)."""

from __future__ import annotations

import json
from decimal import Decimal

import polars as pl
from textual.widgets import Input
from tui_fakes import _canonical, make_app, notes, open_grid, settle

from app.tui.screens.detail import DetailScreen
from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.modals import ConfirmModal, MappingModal
from app.tui.services import Services
from reconcile.store import ResourceStat, Store

D = Decimal


def _snapshot(store: Store, actuals: list[tuple[str, str, str | None, str]]) -> None:
    """The fakes' two sides, with these ERP actuals (WBS element, GL account, cost center, amount)."""
    tables = _canonical()
    tables["erp"]["erp_actuals"] = pl.DataFrame(
        {
            "wbs_element": [a[0] for a in actuals],
            "gl_account": [a[1] for a in actuals],
            "cost_center": [a[2] for a in actuals],
            "amount": [D(a[3]) for a in actuals],
        }
    )
    for source, t in tables.items():
        sid = store.begin_snapshot(source, "full")
        store.complete_snapshot(sid, [ResourceStat(f"{source}_all", 2, 5, 0.1)], t)


async def _diffed_grid(pilot) -> ExceptionsScreen:
    await settle(pilot)
    await pilot.press("r")  # the real diff over the snapshot
    return await open_grid(pilot)


def _app(tmp_path, store):
    app = make_app(tmp_path, store)
    app.services = Services(app.profile, store)
    return app


def _changes(store: Store) -> list[dict]:
    return store.query("SELECT file, line, after_row, changed_by, resolved FROM mapping_changes").to_dicts()


def _open_ids(store: Store, where: str) -> list[str]:
    frame = store.query(f"SELECT exception_id FROM exceptions WHERE is_open AND {where} ORDER BY 1")
    return frame["exception_id"].to_list()


async def test_one_row_fixes_the_marked_rows_with_one_confirmation_and_one_record(tmp_path, store):
    _snapshot(
        store,
        [
            ("P-1001", "", None, "700"),
            ("P-1003", "510000", "C1", "10.5"),
            ("P-1003", "510000", "C2", "20"),
            ("P-1003", "510000", "C3", "30"),
        ],
    )
    app = _app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        grid = await _diffed_grid(pilot)
        marked = _open_ids(store, "kind = 'unmapped' AND key LIKE 'P-1003/%'")
        assert len(marked) == 3
        grid.query_one("#search", Input).value = "P-1003/"
        await settle(pilot)
        assert grid.page.matching == 3
        grid.action_focus_grid()
        await pilot.press("asterisk", "m")  # every row of this filter, one mapping fix
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, MappingModal)
        assert modal.file == "projects.csv" and modal.line is None  # a row to add
        row = modal.query_one("#row", Input)
        assert row.value == "P-1003,"  # the WBS element the three share
        row.value = "P-1003,1001"
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        assert confirm._title == "Apply this mapping row to 3 exceptions?"
        assert "It resolves 3 of the 3 marked exceptions;" in confirm._body
        await pilot.press("y")
        await settle(pilot)
        (change,) = _changes(store)  # one row, recorded once
        assert (change["file"], change["line"], change["after_row"]) == ("projects.csv", None, "P-1003,1001")
        assert sorted(json.loads(change["resolved"])) == marked  # naming the three exceptions
        assert change["changed_by"]
        audit = store.query("SELECT action, after FROM audit_log WHERE action LIKE 'mapping:%'")
        assert audit["action"].to_list() == ["mapping:added"]
        assert sorted(json.loads(audit["after"][0])["resolved"]) == marked
        assert "P-1003,1001" in (app.profile.mappings_dir / "projects.csv").read_text().splitlines()
        assert not set(marked) & set(_open_ids(store, "true"))  # re-diffed: resolved
        assert any("One projects.csv row for 3 exceptions: 3 resolved." in n for n in notes(app))
        assert grid.marked == set()


async def test_marked_rows_that_need_different_rows_are_refused_in_one_sentence(tmp_path, store):
    _snapshot(store, [("P-1001", "", None, "700"), ("P-1003", "510000", "C1", "10")])
    app = _app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        grid = await _diffed_grid(pilot)
        unmapped = _open_ids(store, "kind = 'unmapped' AND key LIKE 'P-1003/%'")
        vendor = _open_ids(store, "object = 'vendor' AND kind = 'missing_in_erp'")
        grid.marked = set(unmapped + vendor)
        grid.action_fix_mapping()
        await settle(pilot)
        assert app.screen is grid  # no dialog
        said = [n for n in notes(app) if "need different mapping rows" in n]
        assert said == [
            "The 2 marked exceptions need different mapping rows "
            "(projects.csv; vendors.csv for procore:3): mark the ones one row fixes."
        ]
        assert _changes(store) == []


async def test_a_row_that_does_nothing_for_a_marked_exception_is_not_applied(tmp_path, store):
    _snapshot(
        store,
        [("P-1001", "", None, "700"), ("P-1003", "510000", "C1", "10"), ("P-1004", "510000", "C1", "20")],
    )
    app = _app(tmp_path, store)
    before = (app.profile.mappings_dir / "projects.csv").read_text()
    async with app.run_test(size=(160, 48)) as pilot:
        grid = await _diffed_grid(pilot)
        marked = _open_ids(store, "kind = 'unmapped' AND (key LIKE 'P-1003/%' OR key LIKE 'P-1004/%')")
        assert len(marked) == 2
        grid.marked = set(marked)
        grid.action_fix_mapping()
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, MappingModal) and modal.file == "projects.csv"
        modal.query_one("#row", Input).value = "P-1003,1001"  # nothing for P-1004
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        (left,) = _open_ids(store, "key LIKE 'P-1004/%'")
        assert any(
            f"This row changes 1 of the 2 marked exceptions; {left} needs a different mapping row" in n
            for n in notes(app)
        )
        assert _changes(store) == []
        assert (app.profile.mappings_dir / "projects.csv").read_text() == before


async def test_a_row_that_moves_a_marked_exception_on_to_its_next_rule_is_applied(tmp_path, store):
    """A WBS element's items: the projects.csv row places them all; one still needs a cost code row."""
    _snapshot(
        store,
        [("P-1001", "", None, "700"), ("P-1003", "510000", "C1", "10"), ("P-1003", "520000", "C1", "20")],
    )
    app = _app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        grid = await _diffed_grid(pilot)
        placed = _open_ids(store, "kind = 'unmapped' AND key LIKE 'P-1003/510000%'")
        moved = _open_ids(store, "kind = 'unmapped' AND key LIKE 'P-1003/520000%'")
        grid.marked = set(placed + moved)
        grid.action_fix_mapping()
        await settle(pilot)
        app.screen.query_one("#row", Input).value = "P-1003,1001"
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        assert confirm._title == "Apply this mapping row to 2 exceptions?"
        assert "It resolves 1 of the 2 marked exceptions; 1 stays open under another rule" in confirm._body
        await pilot.press("y")
        await settle(pilot)
        (change,) = _changes(store)
        assert json.loads(change["resolved"]) == placed
        rule = store.query("SELECT rule FROM exceptions WHERE exception_id = ?", [moved[0]])["rule"][0]
        assert rule == "mapping.cost_code"  # placed in project 1001; its cost code row is next


async def test_the_details_single_mapping_save_is_audited(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        grid = app.screen
        grid.query_one("#search", Input).value = "1001/01-100"
        await settle(pilot)
        grid.action_open_detail()
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("m")
        app.screen.query_one("#row", Input).value = ",,P-1001,01-110"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")  # keep
        await settle(pilot)
        (change,) = _changes(seeded)
        assert (change["file"], change["line"], change["after_row"]) == (
            "cost_codes.csv",
            2,
            ",,P-1001,01-110",
        )
        audit = seeded.query("SELECT action, before FROM audit_log WHERE action LIKE 'mapping:%'")
        assert audit["action"].to_list() == ["mapping:changed"]
        assert json.loads(audit["before"][0])["row"] == ",,P-1001,01-100"


def test_the_need_of_an_unmapped_po_item_reads_its_dimensions_text():
    from adapters.erp_shape import SAP_S4
    from reconcile.close.mapping_changes import MappingNeed, common_need

    def item(xid: str, dims: str, rule: str = "mapping.project") -> dict:
        detail = {"erp_key": xid, "dimensions": dims}
        return {
            "exception_id": xid,
            "object": "commitment_line",
            "kind": "unmapped",
            "rule": rule,
            "detail": detail,
        }

    rows = [item("A", "WBS P-7, GL 510000, cost center -"), item("B", "WBS P-7, GL 520000, cost center C1")]
    assert common_need(rows, SAP_S4) == MappingNeed("projects.csv", suggestion="P-7,")
    rows.append(item("C", "WBS P-8, GL 510000, cost center -"))
    assert common_need(rows, SAP_S4) == MappingNeed("projects.csv")  # one ancestor row may place both
    user = {"exception_id": "U", "object": "user", "kind": "orphaned", "rule": "user.orphaned", "detail": {}}
    assert common_need([*rows, user], SAP_S4) == (
        "1 of the 4 marked exceptions (U) names no mapping row to fix: unmark it, or fix each from its detail."
    )
