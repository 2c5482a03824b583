"""Keys typed faster than the screen changes: a terminal delivers ``1⏎`` in one read.

Pilot's ``press`` lets the app settle between keys, which a skilled analyst's fingers do not:
``x 1 enter`` typed in one go once opened the reason list instead of saving, because the
digit's move to the note happened after the ``enter`` had already reached the reason list.
``burst`` queues the keys at once, as the terminal driver does.
"""

from __future__ import annotations

from textual import events
from tui_fakes import make_app, open_grid, settle

from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.modals import ExplainModal
from reconcile import decisions

FIRST = "X000000000006"  # the grid's first row (largest difference)


def burst(app, *keys: str) -> None:
    """Queue ``keys`` on the app in one go, with no processing in between."""
    for key in keys:
        character = "\r" if key == "enter" else key if len(key) == 1 else None
        app.post_message(events.Key(key, character))


async def test_a_reason_digit_and_enter_typed_in_one_go_save_the_explanation(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExplainModal)
        burst(app, "3", "enter")
        await settle(pilot)
        assert app.screen is grid, f"still on {type(app.screen).__name__}"
        now = decisions.current(seeded, FIRST)
        assert (now["status"], now["reason_code"]) == ("explained", "tax")


async def test_x_digit_enter_typed_in_one_go_from_the_grid(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        burst(app, "x", "2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ExceptionsScreen) and app.screen is grid
        now = decisions.current(seeded, FIRST)
        assert (now["status"], now["reason_code"]) == ("explained", "retention")


async def test_mark_all_and_explain_typed_in_one_go(tmp_path, seeded):
    """``* x 1 enter``: the dialog names the count and is its one confirmation, so no second
    question waits for a key that, typed ahead, reached the grid (its ``y`` is the push key)."""
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        shown = grid.page.table.column("exception_id").to_pylist()
        burst(app, "asterisk", "x", "1", "enter")
        await settle(pilot)
        assert app.screen is grid, f"still on {type(app.screen).__name__}"
        now = {i: decisions.current(seeded, i) for i in shown}
        assert len(shown) > 1 and all(d["reason_code"] == "timing" for d in now.values())


async def test_a_key_typed_after_the_explanations_enter_is_not_written_into_its_note(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        burst(app, "x", "1", "enter", "k")
        await settle(pilot)
        assert app.screen is grid
        now = decisions.current(seeded, FIRST)
        assert (now["reason_code"], now["note"]) == ("timing", None)


async def test_next_kind_mark_all_and_explain_typed_in_one_go(tmp_path, seeded):
    """``k k k * x 2 enter`` in one read: every row of the kind ``k`` reached is explained, no
    other. The marks once went to the previous filter's rows, which the kind's change then
    cleared, and only the cursor's row was explained."""
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        burst(app, "k", "k", "k", "asterisk", "x", "2", "enter")
        await settle(pilot)
        assert app.screen is grid, f"still on {type(app.screen).__name__}"
        kind = grid.filter.kind
        rows = seeded.cursor().execute("SELECT exception_id, kind FROM exceptions").fetchall()
        ours = [str(x) for x, k in rows if k == kind]
        assert kind == "value_mismatch" and len(ours) > 1
        got = {x: (decisions.current(seeded, x) or {}).get("reason_code") for x in ours}
        assert set(got.values()) == {"retention"}, got
        others = {str(x): decisions.current(seeded, str(x)) for x, k in rows if k != kind}
        assert {d["status"] for d in others.values()} == {"open"}, others
