"""The exceptions grid's cache: owned by the UI thread, stale reads dropped, patches off-thread.

Deterministic: a gate holds the first read of the store until the test lets it go, so the
two reads' results arrive in the order the test chooses (no sleeps, no timing).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
from textual.worker import WorkerCancelled
from tui_fakes import make_app, settle

from app.tui.screens import exceptions as screen_module
from app.tui.screens.exceptions import ExceptionsScreen
from reconcile import decisions, query


def _grid_workers(screen: ExceptionsScreen) -> list:
    return [w for w in screen.app.workers if w.node is screen and w.group == "grid"]


async def test_a_stale_read_that_lands_last_is_dropped(tmp_path, seeded, monkeypatch):
    real = query.GridCache.load.__func__
    read = threading.Event()
    gate = threading.Event()
    calls: list[int] = []

    def gated(cls, store, **kw):
        cache = real(cls, store, **kw)
        calls.append(len(cache))
        if len(calls) == 1:  # the first read has seen the old store; it lands late
            read.set()
            gate.wait(30)
        return cache

    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExceptionsScreen) and screen.page.total == 30
        monkeypatch.setattr(query.GridCache, "load", classmethod(gated))

        screen.reload(stale=True)  # a diff finished: read the store (30 open)
        first = _grid_workers(screen)[-1]
        assert await asyncio.to_thread(read.wait, 30)
        seeded.cursor().execute("UPDATE exceptions SET is_open = false WHERE object <> 'vendor'")
        screen.reload(stale=True)  # another diff finished: 3 open now
        second = _grid_workers(screen)[-1]
        assert second is not first
        await second.wait()
        await pilot.pause()
        assert (screen.page.total, screen.page.matching) == (3, 3)

        gate.set()  # the first read lands now, after the second
        with contextlib.suppress(WorkerCancelled):
            await first.wait()
        await pilot.pause()
        assert calls == [30, 3]
        assert (screen.page.total, screen.page.matching) == (3, 3)
        screen.set_filter(kind="value_mismatch")  # served from the cache the screen kept
        await settle(pilot)
        assert (screen.page.total, screen.page.matching) == (3, 1)
        assert len(screen.cache) == 3


async def test_a_decision_patches_a_copy_in_a_worker_not_the_ui_thread(tmp_path, seeded, monkeypatch):
    patched_on: list[str] = []
    real_patch = screen_module.with_statuses if hasattr(screen_module, "with_statuses") else None
    real_set_status = query.GridCache.set_status

    def recording_patch(cache, statuses, assignees=None):
        patched_on.append(threading.current_thread().name)
        assert real_patch is not None
        return real_patch(cache, statuses, assignees)

    def recording_set_status(self, exception_id, status):
        patched_on.append(threading.current_thread().name)
        return real_set_status(self, exception_id, status)

    monkeypatch.setattr(screen_module, "with_statuses", recording_patch, raising=False)
    monkeypatch.setattr(query.GridCache, "set_status", recording_set_status)
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        before = screen.cache
        decisions.decide(seeded, "X000000000003", "explained", actor="ana", reason_code="timing")
        screen.set_status("X000000000003", "explained")
        await settle(pilot)
        # The row shown is patched in place; the cache waits for the next load.
        row = screen.page.table.column("exception_id").to_pylist().index("X000000000003")
        assert screen.page.table.column("status")[row].as_py() == "explained"
        assert not patched_on and screen.cache is before
        screen.set_filter(status="explained")
        await settle(pilot)
        assert patched_on and threading.main_thread().name not in patched_on
        assert screen.cache is not before  # the cache a worker may still be paging is untouched
        assert before.frame.filter(before.frame["exception_id"] == "X000000000003")["status"][0] == "open"
        assert screen.page.table.column("exception_id").to_pylist() == ["X000000000003"]


@pytest.mark.parametrize("pending_first", [True, False])
async def test_a_decision_during_a_read_is_not_lost(tmp_path, seeded, monkeypatch, pending_first):
    """A decision recorded while the store is being read shows once the read lands."""
    real = query.GridCache.load.__func__
    read = threading.Event()
    gate = threading.Event()

    def gated(cls, store, **kw):
        cache = real(cls, store, **kw)
        read.set()
        gate.wait(30)
        return cache

    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        monkeypatch.setattr(query.GridCache, "load", classmethod(gated))
        screen.reload(stale=True)
        reading = _grid_workers(screen)[-1]
        assert await asyncio.to_thread(read.wait, 30)
        decisions.decide(seeded, "X000000000002", "explained", actor="ana", reason_code="timing")
        if pending_first:
            screen.set_status("X000000000002", "explained")
            gate.set()
        else:
            gate.set()
            screen.set_status("X000000000002", "explained")
        with contextlib.suppress(WorkerCancelled):
            await reading.wait()
        await settle(pilot)
        screen.set_filter(status="explained")
        await settle(pilot)
        assert screen.page.table.column("exception_id").to_pylist() == ["X000000000002"]


async def test_a_decision_leaves_the_undecided_filter_before_the_store_is_read_again(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        screen.set_filter(state="undecided")
        await settle(pilot)
        assert "X000000000003" in screen.page.table.column("exception_id").to_pylist()
        decisions.decide(seeded, "X000000000003", "explained", actor="ana", reason_code="timing")
        screen.set_status("X000000000003", "explained")  # patched into the cache, not re-read
        await settle(pilot)
        assert "X000000000003" not in screen.page.table.column("exception_id").to_pylist()
