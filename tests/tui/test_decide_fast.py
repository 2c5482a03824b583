"""Decide fast and in bulk (issue 14): advance, n/b after a re-diff, hotkeys, repeat, marks, groups, pushes."""

from __future__ import annotations

import threading

from textual.widgets import Input, Label
from tui_fakes import exception_rows, make_app, notes, open_grid, settle, write_exceptions

from app.tui.screens.detail import DetailScreen
from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.modals import ConfirmModal, ExplainModal
from app.tui.services import DiffSummary, PushPreview
from reconcile import decisions

#: The grid's default order (difference, largest first; ties by id; no difference last).
ORDER = ["X000000000006", "X000000000004", "X000000000005", "X000000000030", "X000000000029"]


def _texts(screen) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(label.render()) for label in screen.query(Label)]


def _ids(screen: ExceptionsScreen) -> list[str]:
    return screen.page.table.column("exception_id").to_pylist()


async def test_a_decision_in_the_detail_moves_to_the_next_undecided(tmp_path, seeded):
    decisions.decide(seeded, ORDER[1], "explained", actor="ana", reason_code="tax")  # already decided
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        assert _ids(grid)[:3] == ORDER[:3]
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.exception_id == ORDER[0]
        await pilot.press("x", "1", "enter")
        await settle(pilot)
        assert decisions.current(seeded, ORDER[0])["reason_code"] == "timing"
        # The decided ORDER[1] is skipped: the next undecided in the grid's order.
        assert app.screen is detail and detail.exception_id == ORDER[2]
        assert detail.row["exception_id"] == ORDER[2]
        await pilot.press("escape")
        await settle(pilot)
        assert _ids(grid)[grid.query_one("#grid").cursor_row] == ORDER[2]  # the grid follows


async def test_a_decision_in_the_grid_moves_the_cursor_to_the_next_undecided(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        await pilot.press("x", "3", "enter")
        await settle(pilot)
        assert decisions.current(seeded, ORDER[0])["reason_code"] == "tax"
        table = grid.query_one("#grid")
        assert _ids(grid)[table.cursor_row] == ORDER[1]  # after the reload, still there
        await pilot.press("a", "2")
        await settle(pilot)
        assert decisions.current(seeded, ORDER[1])["assigned_to"] == "erp_team"
        assert _ids(grid)[table.cursor_row] == ORDER[2]


async def test_number_hotkeys_pick_the_reason_code_and_digits_in_the_note_stay_text(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_grid(pilot)
        await pilot.press("x")
        modal = app.screen
        assert isinstance(modal, ExplainModal)
        await pilot.press("2")
        assert modal.query_one("#reason").value == "retention"
        assert app.focused is modal.query_one("#note", Input)
        await pilot.press(*"held 5%", "enter")
        await settle(pilot)
        now = decisions.current(seeded, ORDER[0])
        assert (now["status"], now["reason_code"], now["note"]) == ("explained", "retention", "held 5%")


async def test_n_and_b_follow_the_grid_after_a_rediff(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    # The next diff no longer finds ORDER[1]: n must not land on it (the ids read at open time would).
    kept = [r for r in exception_rows() if r[0] != ORDER[1]]

    def diff() -> DiffSummary:
        write_exceptions(seeded, kept)
        return DiffSummary({})

    app.services.diff = diff
    async with app.run_test(size=(120, 40)) as pilot:
        await open_grid(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert detail.exception_id == ORDER[0]
        await pilot.press("r")  # re-diff from the detail
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert detail.exception_id == ORDER[2]
        await pilot.press("b")
        await settle(pilot)
        assert detail.exception_id == ORDER[0]
        # A filter set on the grid meanwhile: n walks the filtered rows.
        app.exceptions.set_filter(object="actual")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert detail.row["object"] == "actual"


async def test_repeat_applies_the_last_decision_to_the_next_exception(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_grid(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("full_stop")
        await settle(pilot)
        assert any("No decision to repeat" in n for n in notes(app))
        await pilot.press("x", "1")
        await pilot.press(*"late", "enter")
        await settle(pilot)
        await pilot.press("full_stop")
        await settle(pilot)
        await pilot.press("full_stop")
        await settle(pilot)
        for xid in ORDER[:3]:
            now = decisions.current(seeded, xid)
            assert (now["reason_code"], now["note"]) == ("timing", "late")
        assert app.screen.exception_id == ORDER[3]
        assert decisions.status(seeded, ORDER[3]) == "open"


async def test_bulk_explain_of_marked_rows_asks_once_naming_the_count(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        await pilot.press("space", "space")  # marks row 0 and row 1, moving down
        await pilot.press("shift+down")  # marks row 2 and row 3
        assert grid.marked == set(ORDER[:4])
        assert "4 marked" in str(grid.query_one("#count").render())
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen  # the one question: it names the count, and nothing asks again
        assert isinstance(dialog, ExplainModal)
        assert _texts(dialog)[:2] == [
            "Explain 4 exceptions",
            "All 4 marked: each is recorded and audited as its own decision.",
        ]
        await pilot.press("3", "enter")
        await settle(pilot)
        assert app.screen is grid
        assert [decisions.status(seeded, x) for x in ORDER[:4]] == ["explained"] * 4
        assert decisions.status(seeded, ORDER[4]) == "open"
        assert len(decisions.history(seeded, ORDER[0])) == 1  # one decision each, each audited
        audit = seeded.query("SELECT exception_id FROM audit_log WHERE action = 'decision:explained'")
        assert sorted(audit["exception_id"].to_list()) == sorted(ORDER[:4])
        assert grid.marked == set()
        assert any("Explained 4 exceptions." in n for n in notes(app))


async def test_mark_all_of_the_filter_then_assign_and_decline(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        grid.set_filter(object="actual")
        await settle(pilot)
        n = grid.page.matching
        await pilot.press("asterisk", "a")
        await settle(pilot)
        assert _texts(app.screen)[0] == f"Assign {n} exceptions to"  # the count, asked once
        await pilot.press("escape")  # declined: nothing recorded
        await settle(pilot)
        assert seeded.query("SELECT count(*) AS n FROM decisions")["n"][0] == 0
        await pilot.press("a", "1")
        await settle(pilot)
        assigned = seeded.query("SELECT count(*) AS n FROM decisions WHERE assigned_to = 'project_team'")
        assert assigned["n"][0] == n


def _with_po_lines() -> list[tuple]:
    rows = exception_rows()
    for item in ("00010", "00020"):
        rows.append(
            (
                f"XLINE{item}0000"[:13],
                "commitment_line",
                "value_mismatch",
                f"4500000001/{item}",
                "1001",
                "amount",
                "10",
                "5",
                None,
                "line.amount",
                "{}",
            )
        )
    return rows


async def test_deciding_a_po_offers_the_same_decision_for_its_lines(tmp_path, store):
    from tui_fakes import write_snapshot

    write_snapshot(store)
    write_exceptions(store, _with_po_lines())
    app = make_app(tmp_path, store)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        grid.query_one("#search", Input).value = "4500000001"
        await settle(pilot)
        grid.focus_id("X000000000003")
        await pilot.press("x", "1", "enter")
        await settle(pilot)
        offer = app.screen
        assert isinstance(offer, ConfirmModal)
        assert offer._title == "2 more exceptions share the cause of X000000000003"
        assert "Explain 2 exceptions as timing?" in offer._body
        await pilot.press("y")
        await settle(pilot)
        for xid in ("XLINE00010000", "XLINE00020000"):
            assert decisions.current(store, xid)["reason_code"] == "timing"


class _Gate:
    """plan_push that waits for the test, counting calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.open = threading.Event()

    def __call__(self, exception_id: str, direction: str | None = None) -> PushPreview:
        self.calls.append(exception_id)
        self.open.wait(10)
        return PushPreview(f"PATCH {exception_id}", True)


async def test_a_fast_y_y_y_opens_one_push_dialog(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    gate = _Gate()
    app.services.plan_push = gate
    async with app.run_test(size=(120, 40)) as pilot:
        await open_grid(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y", "y", "y")
        gate.open.set()
        await settle(pilot)
        dialogs = [s for s in app.screen_stack if isinstance(s, ConfirmModal)]
        assert len(dialogs) == 1 and gate.calls == [ORDER[0]]
        await pilot.press("n")
        await settle(pilot)
        assert not any(isinstance(s, ConfirmModal) for s in app.screen_stack)


async def test_bulk_pushes_are_one_dialog_each_one_after_the_other(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    gate = _Gate()
    gate.open.set()
    app.services.plan_push = gate
    async with app.run_test(size=(120, 40)) as pilot:
        await open_grid(pilot)
        await pilot.press("space", "space", "y")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and ORDER[0] in app.screen._title
        assert "1 more after this" in app.screen._title
        await pilot.press("n")  # skipped; the next one's dialog follows
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and ORDER[1] in app.screen._title
        await pilot.press("n")
        await settle(pilot)
        assert gate.calls == ORDER[:2]
        assert not isinstance(app.screen, ConfirmModal)


async def test_the_detail_shows_source_records_and_opens_procore_in_a_browser(tmp_path, seeded):
    opened: list[str] = []
    app = make_app(tmp_path, seeded, browse=lambda url: opened.append(url) or True)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        grid.query_one("#search", Input).value = "V2"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        shown = app.screen._shown
        assert [(g.side, g.title, g.count) for g in shown.groups] == [
            ("erp", "SAP supplier", 1),
            ("procore", "Procore vendor", 1),
        ]
        await pilot.press("w")
        await settle(pilot)
        assert opened == ["https://app.procore.com/1/company/directory/vendors/2"]


LONG_PLAN = "\n".join(
    f"line {i:02d}: PATCH /rest/v1.0/projects/1/purchase_order_contracts/5 field {i}" for i in range(60)
)


async def test_the_push_dialog_shows_its_buttons_at_80x24(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    app.services.plan_push = lambda exception_id, direction=None: PushPreview(LONG_PLAN, True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_grid(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal)
        for button in dialog.query("Button"):
            region = button.region
            assert region.height > 0 and region.bottom <= 24 and region.right <= 80, (button.id, region)


async def test_the_palette_reaches_other_screens_actions(tmp_path, seeded):
    from app.tui.commands import TieoutCommands

    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # home
        provider = TieoutCommands(app.screen)
        found = {str(h.display): h async for h in provider.discover()}
        assert {"Pull", "Exceptions: Explain", "Exceptions: Mark all", "Audit: Expand"} <= set(found)
        await found["Exceptions: Mark all"].command()
        await settle(pilot)
        assert isinstance(app.screen, ExceptionsScreen) and app.screen.all_marked


async def test_the_audit_view_expands_an_entry(tmp_path, seeded):
    from app.tui.screens.modals import TextModal

    decisions.decide(seeded, ORDER[0], "explained", actor="ana", reason_code="tax", note="VAT in April")
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, TextModal)
        assert '"note": "VAT in April"' in modal._body and "who    ana" in modal._body
        await pilot.press("escape")
        assert not isinstance(app.screen, TextModal)


def test_help_explains_each_exception_kind():
    from rich.console import Console

    from app.tui.screens.help import KIND_HELP, help_table

    console = Console(width=200, record=True)
    console.print(help_table({}))
    lines = console.export_text().splitlines()
    for kind, sentence in KIND_HELP.items():
        assert any(kind in line and sentence in line for line in lines), kind


def test_amounts_in_value_columns_show_to_the_cent():
    from app.tui.format import amount_text

    assert amount_text("3600.5000") == "3,600.50"
    assert amount_text("-12.0000") == "-12.00"
    assert amount_text("Bravo") == "Bravo" and amount_text("4500000001") == "4500000001"


async def test_the_grid_shows_diff_amount_text_with_two_decimals(tmp_path, store):
    from tui_fakes import write_snapshot

    rows = exception_rows()
    rows[2] = (*rows[2][:6], "3600.5000", "3500.5000", *rows[2][8:])
    write_snapshot(store)
    write_exceptions(store, rows)
    app = make_app(tmp_path, store)
    async with app.run_test(size=(160, 40)) as pilot:
        grid = await open_grid(pilot)
        grid.query_one("#search", Input).value = "4500000001"
        await settle(pilot)
        table = grid.query_one("#grid")
        names = grid.page.table.column_names
        cells = [
            "".join(
                seg.text
                for line in table._render_cell(0, names.index(c), table.rich_style, 20)
                for seg in line
            )
            for c in ("erp_value", "procore_value")
        ]
        assert [c.strip() for c in cells] == ["3,600.50", "3,500.50"]


async def test_the_mapping_dialog_looks_up_procore_values_and_refuses_an_empty_row(tmp_path, seeded):
    from app.tui.screens.modals import MappingModal

    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        grid.query_one("#search", Input).value = "1001/01-100"
        await settle(pilot)
        grid.action_open_detail()
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, MappingModal)
        row = modal.query_one("#row", Input)
        row.value = " , ,"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal
        assert any("An empty row maps nothing: give cost_codes.csv a value for" in n for n in notes(app))
        row.value = ",,P-1001,cob"
        await settle(pilot)
        assert "vendor 3 Cobalt" in str(modal.query_one("#matches").render())
        suggestion = await modal.suggester.get_suggestion(",,P-1001,")
        assert suggestion is None  # nothing typed in the field yet: no guess


async def test_the_detail_reads_the_next_undecided_ahead_and_shows_it_after_a_decision(
    tmp_path, seeded, monkeypatch
):
    """While the analyst reads one exception, the one a decision moves to is read already: the
    decision shows it without another read (each exception is read once), and what it shows is
    that exception's, history included."""
    from app.tui.screens import detail as detail_screen

    reads: list[str] = []
    real = detail_screen.load_detail

    def counted(app, exception_id):  # type: ignore[no-untyped-def]
        reads.append(exception_id)
        return real(app, exception_id)

    monkeypatch.setattr(detail_screen, "load_detail", counted)
    decisions.decide(seeded, ORDER[1], "explained", actor="ana", reason_code="tax")  # skipped ahead too
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_grid(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.exception_id == ORDER[0]
        assert reads[-1] == ORDER[2]  # read ahead: the next undecided, not the decided ORDER[1]
        await pilot.press("x", "1", "enter")
        await settle(pilot)
        assert detail.exception_id == ORDER[2] and detail.row["exception_id"] == ORDER[2]
        assert reads.count(ORDER[2]) == 1  # shown from the read ahead
        assert reads[-1] == ORDER[3]  # and the one after it read ahead in turn
        # A push or a re-diff reloads the screen: what was read ahead is dropped, read again.
        detail.reload()
        await settle(pilot)
        await pilot.press("x", "1", "enter")
        await settle(pilot)
        assert detail.exception_id == ORDER[3] and reads.count(ORDER[3]) == 2
