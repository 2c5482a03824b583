"""Pilot tests: every action of the registry does what its tooltip says."""

from __future__ import annotations

import polars as pl
from textual.widgets import Input, Select
from tui_fakes import FIXED_NOW, PULLED_AT, make_app, notes, settle

from app.tui.screens.detail import DetailScreen
from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.help import HelpScreen
from app.tui.screens.modals import ConfirmModal, ExplainModal, ExportModal, MappingModal, PullModal
from reconcile import decisions


async def _to_grid(pilot):
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExceptionsScreen)
    return screen


async def test_navigation_help_and_theme(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, name in (
            ("2", "ExceptionsScreen"),
            ("3", "AuditScreen"),
            ("4", "LogScreen"),
            ("1", "HomeScreen"),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == name
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark


async def test_pull_then_diff_fills_store_and_screens(tmp_path, store):
    app = make_app(tmp_path, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert store.current_snapshot("procore") is None
        await pilot.press("p")
        await settle(pilot)
        assert app.services.pulls == 1
        assert store.current_snapshot("procore") is not None
        assert store.query("SELECT count(*) AS n FROM exceptions")["n"][0] == 30
        assert any("Diff finished: 30 open exceptions" in line for line in app.log_lines)
        assert any("rate limit" in line for line in app.log_lines)


async def test_pull_failure_is_a_notification_and_log_entry(tmp_path, seeded):
    app = make_app(tmp_path, seeded, fail_pull="procore: Procore refused the credentials.")
    before = seeded.current_snapshot("procore")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert any("refused the credentials" in n for n in notes(app))
        assert any(
            "Pull failed" in line and "previous snapshot stays current" in line for line in app.log_lines
        )
        assert seeded.current_snapshot("procore") == before


async def test_cancel_pull(tmp_path, seeded):
    import threading

    app = make_app(tmp_path, seeded)
    gate = threading.Event()
    app.services.gate = gate
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert app.cancel_event is not None
        assert app.home.query_one("#pull-panel").has_class("running")
        await pilot.press("c")
        gate.set()
        await settle(pilot)
        assert app.cancel_event is None
        assert any("cancelled" in line for line in app.log_lines)


async def test_pull_plan_shows_costs_then_resumes_an_interrupted_pull(tmp_path, seeded):
    app = make_app(tmp_path, seeded, fail_pull="procore: Procore's budget for this hour is spent.")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert any("Resume it from the pull plan (P, then r)" in n for n in notes(app))
        app.services.fail_pull = None
        app.services.interrupted = True
        await pilot.press("P")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, PullModal)
        shown = str(modal.query_one("#plan-table").render())
        assert "commitment_line_items" in shown and "2:05:00" in shown
        await pilot.press("r")
        await settle(pilot)
        assert app.services.pull_modes == ["incremental", "resume"]
        assert any("Resumed pull started" in line for line in app.log_lines)


async def test_pull_plan_full_and_nothing_to_resume(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        await pilot.press("r")  # nothing was interrupted: the dialog stays and says so
        await settle(pilot)
        assert isinstance(app.screen, PullModal)
        assert any("no interrupted pull" in n for n in notes(app))
        await pilot.press("f")
        await settle(pilot)
        assert app.services.pull_modes == ["full"]


async def test_auto_pull_when_snapshot_is_old(tmp_path, seeded):
    seeded.cursor().execute("UPDATE snapshots SET finished_at = finished_at - INTERVAL 2 DAY")
    app = make_app(tmp_path, seeded, pull_on_start=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.services.pulls == 1


async def test_no_auto_pull_when_fresh(tmp_path, seeded):
    app = make_app(tmp_path, seeded, pull_on_start=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.services.pulls == 0
        assert FIXED_NOW - PULLED_AT < __import__("datetime").timedelta(hours=12)


async def test_rediff(tmp_path, seeded):
    seeded.cursor().execute("DELETE FROM exceptions")
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert seeded.query("SELECT count(*) AS n FROM exceptions")["n"][0] == 30


async def test_filters_search_sort_clear(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _to_grid(pilot)
        assert screen.page.matching == 30
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"4500000002")
        await settle(pilot)
        assert screen.page.matching == 1
        await pilot.press("enter")  # back to the grid
        await pilot.press("X")
        await settle(pilot)
        assert screen.page.matching == 30
        screen.query_one("#object", Select).value = "vendor"
        await settle(pilot)
        assert screen.page.matching == 3
        assert "showing 3 of 3" in str(screen.query_one("#count").render())
        screen.query_one("#band", Select).value = "10k-100k"
        screen.query_one("#object", Select).clear()
        await settle(pilot)
        assert screen.page.matching == 1
        await pilot.press("X")
        await settle(pilot)
        screen.query_one("#status", Select).value = "explained"
        await settle(pilot)
        assert screen.page.matching == 0
        await pilot.press("X", "g")
        await settle(pilot)
        assert screen.filter.sort == "difference"
        await pilot.press("s")  # cursor is on the key column
        await settle(pilot)
        assert (screen.filter.sort, screen.filter.descending) == ("key", False)
        keys = screen.page.table.column("key").to_pylist()
        assert keys == sorted(keys)
        await pilot.press("s")
        await settle(pilot)
        assert screen.filter.descending is True
        await pilot.press("f")
        assert app.focused is screen.query_one("#object", Select)


async def test_detail_actions(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_grid(pilot)
        await pilot.press("o")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        first = detail.exception_id
        await pilot.press("n")
        await settle(pilot)
        assert detail.exception_id != first and detail.row["exception_id"] == detail.exception_id
        await pilot.press("b")
        await settle(pilot)
        assert detail.exception_id == first
        await pilot.press("b")
        assert any("No more exceptions" in n for n in notes(app))

        await pilot.press("x")
        assert isinstance(app.screen, ExplainModal)
        app.screen.query_one("#reason", Select).value = "timing"
        app.screen.query_one("#note", Input).value = "posted in April"
        app.screen.query_one("#note", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert decisions.status(seeded, first) == "explained"
        assert decisions.history(seeded, first)[-1]["note"] == "posted in April"
        # A decision moves on to the next undecided exception; b goes back to the one decided.
        assert detail.exception_id != first
        await pilot.press("b")
        await settle(pilot)
        assert detail.exception_id == first

        await pilot.press("a")
        await pilot.press("2")
        await settle(pilot)
        assert decisions.history(seeded, first)[-1]["assigned_to"] == "erp_team"
        # Assigning hands the exception over; it never reopens the explanation.
        now = decisions.current(seeded, first)
        assert (now["status"], now["reason_code"], now["note"]) == ("explained", "timing", "posted in April")

        await pilot.press("y")
        await settle(pilot)
        assert any("read-only" in n for n in notes(app))

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExceptionsScreen)
        await pilot.press("3")
        await settle(pilot)
        assert "2 audit entries" in str(app.screen.query_one("#audit-count").render())


async def test_fix_mapping_preview_keep_and_discard(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    csv = app.profile.mappings_dir / "cost_codes.csv"
    original = csv.read_text()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _to_grid(pilot)
        screen.query_one("#search", Input).value = "1001/01-100"
        await settle(pilot)
        screen.action_open_detail()
        await settle(pilot)
        assert app.screen.exception_id == "X000000000004"
        await pilot.press("m")
        modal = app.screen
        assert isinstance(modal, MappingModal)
        assert modal.query_one("#row", Input).value == ",,P-1001,01-100"
        modal.query_one("#row", Input).value = ",,P-1001,01-110"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # discard
        await settle(pilot)
        assert csv.read_text() == original
        await pilot.press("m")
        app.screen.query_one("#row", Input).value = ",,P-1001,01-110"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")  # keep
        await settle(pilot)
        assert ",,P-1001,01-110" in csv.read_text().splitlines()
        assert any("Mapping cost_codes.csv changed" in line for line in app.log_lines)
        assert len(app.services.previews) == 2


async def test_export_current_filter_and_everything(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _to_grid(pilot)
        screen.query_one("#object", Select).value = "vendor"
        await settle(pilot)
        await pilot.press("e")
        modal = app.screen
        assert isinstance(modal, ExportModal)
        path = modal.query_one("#path", Input).value
        assert path.endswith("acme-gc-sap-2026-03.csv")
        modal.query_one("#scope", Select).value = "filter"
        modal.query_one("#fmt", Select).value = "parquet"
        await pilot.pause()
        assert modal.query_one("#path", Input).value.endswith("acme-gc-sap-2026-03.parquet")
        await pilot.press("enter")
        await settle(pilot)
        frame = pl.read_parquet(tmp_path / "acme-gc-sap-2026-03.parquet")
        assert frame.height == 3 and set(frame["object"]) == {"vendor"}
        assert frame.columns[:3] == ["exception_id", "object", "kind"]
        await pilot.press("e")
        app.screen.query_one("#scope", Select).value = "all"
        app.screen.query_one("#path", Input).value = str(tmp_path / "all.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert pl.read_csv(tmp_path / "all.csv").height == 30
        assert any("Exported 30 rows" in n for n in notes(app))


async def test_keymap_from_settings_file(tmp_path, seeded):
    settings = tmp_path / "settings.toml"
    settings.write_text('theme = "textual-light"\n[keymap]\n"tieout.exceptions" = "ctrl+e"\n')
    app = make_app(tmp_path, seeded, settings_path=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.current_theme.dark is False
        await pilot.press("2")
        await settle(pilot)
        assert not isinstance(app.screen, ExceptionsScreen)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, ExceptionsScreen)


async def test_bad_settings_file_is_one_sentence(tmp_path, seeded):
    settings = tmp_path / "settings.toml"
    settings.write_text('[keymap]\n"tieout.nope" = "x"\n')
    app = make_app(tmp_path, seeded, settings_path=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert any("unknown binding id `tieout.nope`" in n for n in notes(app))


async def test_command_palette_lists_screen_actions(tmp_path, seeded):
    from app.tui.commands import TieoutCommands

    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(100, 30)) as pilot:
        await _to_grid(pilot)
        provider = TieoutCommands(app.screen)
        hits = sorted([h async for h in provider.search("clear")], key=lambda h: -h.score)  # as the palette
        assert hits and "Clear" in str(hits[0].match_display)
        await hits[0].command()
        found = [str(h.display) async for h in provider.discover()]
        assert "Export" in found and "Explain" in found and "Full text" not in found


async def test_approve_push_when_available(tmp_path, seeded):
    from app.tui.services import PushPreview

    app = make_app(tmp_path, seeded)
    pushed: list[str] = []

    def plan(exception_id: str, direction: str | None = None) -> PushPreview:
        return PushPreview(f"PATCH /vendors/2 name=Bravo ({exception_id})", True)

    def execute(preview: PushPreview, *, actor=None) -> str:
        pushed.append(preview.text)
        return "Push done: vendor 2 renamed."

    app.services.plan_push = plan
    app.services.execute_push = execute
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_grid(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert pushed and any("Push done" in line for line in app.log_lines)
