"""The close in the workstation: sign off from home; a locked period refuses a decision."""

from __future__ import annotations

from textual.widgets import Select
from tui_fakes import PULLED_AT, make_app, notes, settle

from app.tui.screens.modals import ConfirmModal
from reconcile import batch, decisions
from reconcile.close import api


def _diffed(store) -> None:
    """The diff run the exceptions came from (the sign-off binds its snapshots)."""
    ids = {s: store.current_snapshot(s).id for s in ("procore", "erp")}
    store.cursor().execute(
        "INSERT INTO diff_runs (ran_at, procore_snapshot_id, erp_snapshot_id, exceptions) VALUES (?, ?, ?, 30)",
        [PULLED_AT, ids["procore"], ids["erp"]],
    )


def _home_text(app) -> str:
    return str(app.home.query_one("#profile").render())


def test_home_says_what_changed_since_the_last_sign_off() -> None:
    from app.tui.screens.home import since_last

    assert since_last({"new": 30, "carried": 0, "resolved": 0}) == ""  # a first close says nothing
    assert since_last({"new": 3, "carried": 1204, "resolved": 7}) == (
        "Since the last sign-off: 3 new · 1,204 carried over · 7 resolved"
    )


async def test_sign_off_then_a_locked_period_refuses_a_decision(tmp_path, seeded):
    _diffed(seeded)
    api.open_close(seeded, "2026-03", actor="ana")
    ids = [r[0] for r in seeded.cursor().execute("SELECT exception_id FROM exceptions ORDER BY 1").fetchall()]
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "close 2026-03" in app.sub_title
        assert "undecided 30 of 30" in app.close_line
        await pilot.press("S", "y")  # refused: nothing decided yet
        await settle(pilot)
        assert any("undecided" in n for n in notes(app)[-2:])
        batch.explain_all(seeded, ids[1:], "timing", actor="ana")
        await pilot.press("2")
        await settle(pilot)
        app.screen.query_one("#status", Select).value = "undecided"
        await settle(pilot)
        assert app.screen.page.table.column("exception_id").to_pylist() == [ids[0]]
        await pilot.press("x", "1", "enter")  # the last one, from the grid
        await settle(pilot)
        app.home.reload()
        await settle(pilot)
        assert "undecided 0 of 30" in app.close_line
        await pilot.press("S")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        signer = decisions.default_actor()
        assert any(f"signed by {signer}" in n for n in notes(app)), notes(app)[-3:]
        app.home.reload()
        await settle(pilot)
        assert "S by a second person locks it" in _home_text(app)
        await pilot.press("S")  # the same analyst again: the dialog says it signs again, not locks
        assert isinstance(app.screen, ConfirmModal)
        assert "Sign 2026-03 again?" in str(app.screen.query_one(".title").render())
        await pilot.press("n")
        await settle(pilot)
        api.lock(seeded, "2026-03", actor="rita-reviewer")  # the reviewer, at their desk
        app.home.reload()
        await settle(pilot)
        assert "locked: new findings go to the next period" in _home_text(app)
        await pilot.press("S")  # a locked period: a sentence, no dialog
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert any("locked by rita-reviewer" in n for n in notes(app)[-2:]), notes(app)[-3:]
        await pilot.press("2")
        await settle(pilot)
        before = len(decisions.history(seeded, ids[0]))
        app.screen.query_one("#status", Select).clear()
        await settle(pilot)
        app.screen.follow(ids[0])
        await pilot.press("a", "2")
        await settle(pilot)
        assert len(decisions.history(seeded, ids[0])) == before  # refused, nothing recorded
        assert any("locked" in n for n in notes(app)[-2:]), notes(app)[-3:]


async def test_with_no_close_open_s_opens_the_default_period_then_signs(tmp_path, seeded):
    """A new user in the demo: the workstation holds the store, so `tieout close` cannot open a
    close while it runs; S offers the default period's (March here: the clock's day is past the 10th)."""
    _diffed(seeded)
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.close_period is None and "close" not in app.sub_title
        await pilot.press("S")
        assert isinstance(app.screen, ConfirmModal)
        assert "Open the close of 2026-03?" in str(app.screen.query_one(".title").render())
        await pilot.press("n")
        await settle(pilot)
        assert api.close_status(seeded).close is None  # cancelled: nothing opened
        await pilot.press("S", "y")
        await settle(pilot)
        opened = api.close_status(seeded).close
        assert opened is not None and (opened.period, str(opened.cutoff)) == ("2026-03", "2026-03-31")
        assert any("Opened the close of 2026-03 with cut-off 2026-03-31" in n for n in notes(app)), notes(app)
        assert "close 2026-03" in app.sub_title and "undecided 30 of 30" in app.close_line
        await pilot.press("S")  # now S signs (refused while anything is undecided)
        assert isinstance(app.screen, ConfirmModal)
        assert "Sign off 2026-03?" in str(app.screen.query_one(".title").render())


def test_the_demo_removes_the_folder_it_made_and_allows_pushes_by_default(monkeypatch):
    import argparse

    from app.commands import demo as demo_command
    from app.demo import demo_environment

    with demo_environment() as env:
        made = env.dir
        assert made.exists()
    assert not made.exists()

    seen: dict[str, list[str]] = {}

    class Stop(Exception):
        pass

    def fake_env(directory, *, push_allow, **kw):
        seen["allow"] = push_allow
        raise Stop

    monkeypatch.setattr("app.demo.demo_environment", fake_env)
    parser = argparse.ArgumentParser()
    demo_command.register(parser.add_subparsers())
    for argv, allow in ((["demo"], True), (["demo", "--no-push"], False)):
        args = parser.parse_args(argv)
        try:
            demo_command.handle(args)
        except Stop:
            pass
        assert bool(seen["allow"]) is allow and ("erp_to_procore" in seen["allow"]) is allow
