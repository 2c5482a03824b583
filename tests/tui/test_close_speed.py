"""The short path through a close (issue 14's numbers): ``k`` steps the kind filter, a kind is
decided with marks in a few keys, decisions patch the grid's rows in place, the whole filter
of a capped page is read from the grid's cache, and a hidden home re-reads when shown again."""

from __future__ import annotations

from textual.widgets import Label, Select
from tui_fakes import exception_rows, make_app, open_grid, settle

from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.modals import ExplainModal
from reconcile import decisions
from reconcile.close import api

#: The kinds the seeded store holds, in the kind list's order (no duplicates among them).
KIND_STEPS = ["missing_in_procore", "missing_in_erp", "value_mismatch", "unmapped", None]
VALUE_MISMATCHES = sorted(r[0] for r in exception_rows() if r[2] == "value_mismatch")


def _ids(screen: ExceptionsScreen) -> list[str]:
    assert screen.page is not None
    return [str(i) for i in screen.page.table.column("exception_id").to_pylist()]


def _texts(screen) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(label.render()) for label in screen.query(Label))


def _statuses(screen: ExceptionsScreen) -> dict[str, str]:
    assert screen.page is not None
    table = screen.page.table
    return dict(
        zip(table.column("exception_id").to_pylist(), table.column("status").to_pylist(), strict=True)
    )


async def test_k_steps_the_kind_filter_through_the_kinds_present_then_every_kind(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        kinds = {r[2] for r in exception_rows()}
        seen = []
        for _ in KIND_STEPS:
            await pilot.press("k")
            await settle(pilot)
            seen.append(grid.filter.kind)
            shown = grid.query_one("#kind", Select).value
            assert shown == (grid.filter.kind if grid.filter.kind else Select.NULL)
            if grid.filter.kind is not None:
                assert grid.page is not None and grid.page.matching == sum(
                    1 for r in exception_rows() if r[2] == grid.filter.kind
                )
        assert seen == KIND_STEPS  # "duplicate" has no rows here: passed over
        assert set(seen[:-1]) == kinds
        assert grid.page is not None and grid.page.matching == len(exception_rows())


async def test_a_kind_is_decided_in_a_few_keys_each_row_its_own_audited_decision(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        for _ in range(3):  # missing_in_procore, missing_in_erp, value_mismatch
            await pilot.press("k")
        await settle(pilot)
        assert grid.filter.kind == "value_mismatch"
        await pilot.press("asterisk", "x")
        await settle(pilot)
        assert isinstance(app.screen, ExplainModal)  # the one confirmation: it names the count
        assert f"Explain {len(VALUE_MISMATCHES)} exceptions" in _texts(app.screen)
        await pilot.press("2", "enter")
        await settle(pilot)
        for exception_id in VALUE_MISMATCHES:
            rows = decisions.history(seeded, exception_id)
            assert [(r["status"], r["reason_code"]) for r in rows] == [("explained", "retention")]
        others = [r[0] for r in exception_rows() if r[2] != "value_mismatch"]
        assert all(decisions.status(seeded, x) == "open" for x in others)
        audited = (
            seeded.cursor()
            .execute("SELECT count(*) FROM audit_log WHERE action = 'decision:explained'")
            .fetchone()
        )
        assert audited == (len(VALUE_MISMATCHES),)
        assert set(_statuses(grid).values()) == {"explained"}  # the rows shown say so


async def test_a_decision_patches_the_rows_shown_and_the_next_filter_sees_it(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        first, second = _ids(grid)[:2]
        order = _ids(grid)
        matching = grid.page.matching if grid.page else None
        await pilot.press("x", "1", "enter")
        await settle(pilot)
        assert _statuses(grid)[first] == "explained"
        assert _ids(grid) == order and grid.page is not None and grid.page.matching == matching
        assert _ids(grid)[grid.query_one("#grid").cursor_row] == second  # the next undecided
        # The "undecided" filter drops what was decided (the cache is patched on the next load).
        grid.set_filter(state="undecided")
        await settle(pilot)
        assert first not in _ids(grid) and second in _ids(grid)
        assert grid.page is not None and grid.page.matching == len(exception_rows()) - 1
        # A decision under a status filter re-filters: the decided row leaves the page.
        await pilot.press("x", "1", "enter")
        await settle(pilot)
        assert second not in _ids(grid)
        assert grid.page.matching == len(exception_rows()) - 2


async def test_all_rows_of_a_capped_filter_are_decided_not_only_the_page(tmp_path, seeded):
    app = make_app(tmp_path, seeded, grid_limit=5)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_grid(pilot)
        grid.set_filter(kind="value_mismatch")
        await settle(pilot)
        assert grid.page is not None and grid.page.capped and len(_ids(grid)) == 5
        await pilot.press("asterisk", "x", "3", "enter")
        await settle(pilot)
        assert all(decisions.current(seeded, x)["reason_code"] == "tax" for x in VALUE_MISMATCHES)
        assert decisions.status(seeded, "X000000000005") == "open"  # the unmapped one: another kind


async def test_home_hidden_during_decisions_reads_them_when_shown_again(tmp_path, seeded):
    api.open_close(seeded, actor="ana")
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        total = len(exception_rows())
        assert f"{total} of {total}" in app.close_line  # home's undecided N of M, as first read
        await open_grid(pilot)
        await pilot.press("x", "1", "enter")
        await settle(pilot)
        assert app._home_stale and f"{total} of {total}" in app.close_line  # not re-read while hidden
        await pilot.press("1")
        await settle(pilot)
        assert app.screen is app.home and not app._home_stale
        assert f"{total - 1} of {total}" in app.close_line
