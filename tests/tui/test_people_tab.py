"""The People tab and the home screen's orphans panel, on a real store with user exceptions.

Fast: a scripted ``Services`` (no network); the pushes against the simulators are in
``test_people_push.py``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from tui_fakes import exception_rows, make_app, notes, settle, write_exceptions, write_snapshot

from app.tui.screens.detail import DetailScreen
from app.tui.screens.home import HomeScreen
from app.tui.screens.modals import ExplainModal
from app.tui.screens.people import PeopleScreen
from app.tui.widgets.orphans import OrphansPanel
from reconcile.store import Store

#: (id, object, kind, key, project, field, erp(IdP), procore, difference, rule, detail)
PEOPLE = [
    ("U000000000001", "user", "orphaned", "dana.left@acme.example", None, None, "DEPROVISIONED", "active", None, "user.orphaned", "{}"),
    ("U000000000002", "user", "orphaned", "abe.gone@acme.example", None, None, None, "active", None, "user.orphaned", "{}"),
    ("U000000000003", "user", "missing_in_procore", "new.hire@acme.example", None, None, "ACTIVE", None, None, "user.missing", "{}"),
    ("U000000000004", "user", "value_mismatch", "cy.name@acme.example", None, "job_title", "Superintendent", "Foreman", None, "user.job_title", "{}"),
    ("U000000000005", "user", "access_mismatch", "eve.pm@acme.example", "1002", None, "Project Manager", None, None, "user.access", "{}"),
]  # fmt: skip


def seed(store: Store, *, people: bool = True) -> None:
    write_snapshot(store)
    write_exceptions(store, exception_rows() + (PEOPLE if people else []))


def grid_column(screen: PeopleScreen, name: str) -> list[str]:
    assert screen.page is not None
    return [str(v) for v in screen.page.table.column(name).to_pylist()]


async def test_people_tab_shows_only_user_exceptions_by_email(tmp_path: Path, store: Store) -> None:
    seed(store)
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        assert screen.page is not None
        assert screen.page.table.column_names[:3] == ["email", "kind", "status"]
        assert grid_column(screen, "email") == sorted(p[3] for p in PEOPLE)
        assert "5 open people exceptions" in str(screen.query_one("#count").render())
        # The money grid still has everything; the People tab's filters narrow users only.
        await pilot.press("f")
        assert app.focused is screen.query_one("#kind")
        screen.show_kind("orphaned")
        await settle(pilot)
        assert grid_column(screen, "email") == ["abe.gone@acme.example", "dana.left@acme.example"]
        await pilot.press("X")
        await settle(pilot)
        assert len(grid_column(screen, "email")) == len(PEOPLE)
        assert screen.filter.object == "user"


async def test_open_a_person_and_explain_it_records_the_decision(tmp_path: Path, store: Store) -> None:
    seed(store)
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("slash", *"new.hire", "enter", "enter")  # search, then open the row
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen), notes(app)
        assert app.screen.exception_id == "U000000000003"
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExplainModal)
        await pilot.press("tab", *"left in March, SSO already off", "enter")  # first reason code, note
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        decided = store.query(
            "SELECT status, reason_code FROM decisions WHERE exception_id = 'U000000000003'"
        )
        assert decided["status"].to_list() == ["explained"], notes(app)
        assert decided["reason_code"].to_list() == [app.profile.rules.reason_codes[0]]
        people = app.screen
        assert isinstance(people, PeopleScreen)
        await pilot.press("X")  # clear the search: the explained row is no longer open work
        await settle(pilot)
        assert (
            grid_column(people, "status")[grid_column(people, "email").index("new.hire@acme.example")]
            == "explained"
        )


async def test_a_decision_in_a_person_detail_moves_to_the_next_person(tmp_path: Path, store: Store) -> None:
    """Opened from the People tab, the detail walks the tab's rows, even with money's grid open."""
    seed(store)
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # the money grid first: its rows are not the ones walked here
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        people = app.screen
        assert isinstance(people, PeopleScreen)
        emails = grid_column(people, "email")
        ids = grid_column(people, "exception_id")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen), notes(app)
        assert app.screen.exception_id == ids[0]
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("tab", "enter")  # the first reason code, no note
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen), notes(app)
        assert app.screen.exception_id == ids[1], (emails, notes(app))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is people
        assert grid_column(people, "status")[:2] == ["explained", "open"]
        assert people._cursor_id() == ids[1]  # back where the detail walked to


async def test_home_lists_orphaned_accounts_first_and_opens_them(tmp_path: Path, store: Store) -> None:
    seed(store)
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        panel = app.screen.query_one(OrphansPanel)
        assert panel.display
        body = app.screen.query_one("#home-body")
        assert body.children.index(panel) < body.children.index(app.screen.query_one("#snapshots").parent)
        assert panel.border_title == "Orphaned accounts · 2"
        assert app.screen.query_one("#counts").border_title == "Open exceptions · 30"  # money only
        console = Console(width=160, file=io.StringIO(), record=True)
        console.print(panel.content)
        shown = console.export_text()
        assert "orphaned 2 · missing_in_procore 1 · access_mismatch 1 · value_mismatch 1" in shown
        lines = [line.split() for line in shown.splitlines()]
        assert ["abe.gone@acme.example", "absent", "open"] in lines
        assert ["dana.left@acme.example", "DEPROVISIONED", "open"] in lines
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        assert screen.filter.kind == "orphaned"
        assert grid_column(screen, "kind") == ["orphaned", "orphaned"]


async def test_a_money_only_store_hides_the_orphans_panel(tmp_path: Path, store: Store) -> None:
    seed(store, people=False)
    app = make_app(tmp_path, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one(OrphansPanel).display


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_people_tab_snapshot(snap_compare, tmp_path: Path, store: Store, size: tuple[int, int]) -> None:
    seed(store)
    app = make_app(tmp_path, store)

    async def open_tab(pilot) -> None:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_tab)


async def test_a_person_detail_names_the_idp_not_the_erp(tmp_path: Path, store: Store) -> None:
    seed(store)
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("slash", *"dana.left", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen), notes(app)
        summary = str(app.screen.query_one("#summary").render())
        assert "IdP DEPROVISIONED  Procore active" in summary
        assert "difference" not in summary and "ERP" not in summary
        # A person's rules are access.csv's: no money mapping rows, and no ``m`` to fix one.
        assert "No mapping rows" not in str(app.screen.query_one("#mapping").render())
        assert app.screen.check_action("fix_mapping", ()) is False
        assert "Fix mapping" not in [
            b.binding.description for b in app.screen.active_bindings.values() if b.enabled
        ]
