"""Full garbage collections wait for the analyst's pause (``app/tui/heap.py``)."""

from __future__ import annotations

import gc

from tui_fakes import make_app, settle

from app.tui.heap import DEFERRED, WORTH, HeapPolicy


def _allocate_until_worth() -> None:
    """Make cyclic garbage until generation 1 has been collected ``WORTH`` times."""
    for _ in range(10_000_000):
        if gc.get_count()[2] >= WORTH:
            return
        a: list[object] = []
        a.append(a)
    raise AssertionError("generation 1 was never collected")


def test_a_full_collection_waits_for_a_pause_and_the_collector_is_restored() -> None:
    before = gc.get_threshold()
    policy = HeapPolicy(idle_seconds=3600.0)
    policy.start()
    try:
        assert gc.get_threshold()[2] == DEFERRED and gc.get_freeze_count() > 0
        _allocate_until_worth()
        policy.key_pressed()
        assert policy.tick() is False  # the analyst is typing: no pause yet
        policy.idle_seconds = 0.0
        assert policy.tick() is True and policy.collections == 1
        assert gc.get_count()[2] == 0 and gc.get_freeze_count() > 0  # collected, then frozen again
        assert policy.tick() is False  # nothing allocated since: not worth a pause
    finally:
        policy.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


async def test_the_workstation_defers_full_collections_while_it_runs(tmp_path, seeded) -> None:
    before = gc.get_threshold()
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] == DEFERRED and gc.get_freeze_count() > 0
        typed = app.heap.last_key
        await pilot.press("2")
        assert app.heap.last_key > typed  # a key moves the pause further away
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
