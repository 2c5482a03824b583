"""Pulls at a low hourly limit, through the orchestrator and a real store (issue 6).

The simulator and the adapter share a fake clock, so hours of pacing pass instantly
while every request still crosses loopback HTTP. The guarantees: a paced pull never
sees a 429; an interrupted pull (budget spent, Ctrl-C, network lost) leaves no current
snapshot behind and, resumed, makes no more requests than an uninterrupted pull plus
one page per resource, and ends with the identical snapshot; the plan is within 10%.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from procore_fixtures import FakeClock, make_sim, secret, settings_for

from adapters.base import PreviousPull, Progress
from adapters.procore.adapter import ProcoreAdapter
from adapters.procore.simulator import ProcoreSimulator
from adapters.simkit import Fault
from reconcile.canonical import PROCORE_TABLES
from reconcile.pull import SourceOutcome, pull_source
from reconcile.store import Store

pytestmark = pytest.mark.slow

HOUR = 20  # requests an hour: the pull below needs hours of it


def paced_sim(seed: dict[str, Any], clock: FakeClock) -> ProcoreSimulator:
    sim = make_sim(seed, per_page_cap=3, rate_limit_hour=HOUR, rate_limit_spike=100, clock=clock)
    sim.start()
    return sim


async def pull_into(
    store: Store,
    sim: ProcoreSimulator,
    clock: FakeClock,
    *,
    resume: bool = False,
    max_wait: float | None = None,
    cancel: threading.Event | None = None,
    on_progress: Any = None,
) -> SourceOutcome:
    # One connection: with a fake clock, a request in flight must land before time moves.
    settings = settings_for(sim.base_url, per_page=50, max_concurrency=1)
    adapter = ProcoreAdapter(settings, secret(), sleep=clock.sleep, clock=clock, max_wait=max_wait)
    try:
        return await pull_source(store, adapter, resume=resume, cancel=cancel, on_progress=on_progress)
    finally:
        await adapter.aclose()


def api_requests(sim: ProcoreSimulator) -> int:
    """API requests Procore answered (a dropped connection is the lost network, not a read)."""
    return len([r for r in sim.server.log if r.path != "/oauth/token" and r.status != 0])


def refusals(sim: ProcoreSimulator) -> list[Any]:
    return [r for r in sim.server.log if r.status == 429]


def tables(store: Store) -> dict[str, pl.DataFrame]:
    out = {}
    for name in PROCORE_TABLES:
        frame = store.canonical(name)
        out[name] = frame.sort(frame.columns)
    return out


@pytest.fixture
def clean(seed: dict[str, Any], tmp_path: Path) -> tuple[dict[str, pl.DataFrame], int]:
    """An uninterrupted paced pull: its tables and the requests it made."""
    clock = FakeClock()
    sim = paced_sim(seed, clock)
    store = Store(tmp_path / "clean.duckdb")
    try:
        outcome = asyncio.run(pull_into(store, sim, clock))
    finally:
        sim.stop()
    assert outcome.ok, outcome.error
    assert refusals(sim) == [] and sim.limits.refused == 0
    assert clock.slept > 2 * 3600  # the limit really was binding
    return tables(store), api_requests(sim)


def interrupt(kind: str, sim: ProcoreSimulator) -> dict[str, Any]:
    """Arrange one kind of interruption; the keyword arguments for the first pull."""
    if kind == "budget":
        for _ in range(12):  # the company's other integrations spent most of this hour
            sim.limits.take()
        return {"max_wait": 60}
    if kind == "network":
        sim.faults.add(Fault("drop", path="contracts/\\d+/line_items$", after=6, times=-1))
        return {}
    cancel = threading.Event()
    pages = {"n": 0}

    def progress(source: str, p: Progress) -> None:
        pages["n"] += 1
        if pages["n"] == 10:
            cancel.set()  # Ctrl-C in the CLI, or the workstation's cancel key

    return {"cancel": cancel, "on_progress": progress}


@pytest.mark.parametrize("kind", ["budget", "network", "ctrl_c"])
async def test_interrupted_then_resumed_pull_matches_the_uninterrupted_one(
    kind: str, seed: dict[str, Any], tmp_path: Path, clean: tuple[dict[str, pl.DataFrame], int]
) -> None:
    clean_tables, clean_requests = clean
    clock = FakeClock()
    sim = paced_sim(seed, clock)
    store = Store(tmp_path / "resumed.duckdb")
    try:
        first = await pull_into(store, sim, clock, **interrupt(kind, sim))
        assert not first.ok and first.resumable, first.error
        assert store.current_snapshot("procore") is None  # nothing half-pulled became current
        sim.faults.clear()
        clock.now += 3600  # an hour later, `tieout pull --resume`
        resumed = await pull_into(store, sim, clock, resume=True)
    finally:
        sim.stop()
    assert resumed.ok, resumed.error
    assert resumed.snapshot_id == first.snapshot_id
    assert refusals(sim) == [] and sim.limits.refused == 0
    resources = len(ProcoreAdapter.resources)
    assert api_requests(sim) <= clean_requests + resources
    got = tables(store)
    for name, frame in clean_tables.items():
        assert got[name].equals(frame), name


async def test_plan_is_within_ten_percent_and_knows_the_hours(seed: dict[str, Any], tmp_path: Path) -> None:
    clock = FakeClock()
    sim = paced_sim(seed, clock)
    store = Store(tmp_path / "plan.duckdb")
    try:
        outcome = await pull_into(store, sim, clock)
        assert outcome.ok, outcome.error
        made = api_requests(sim)
        snap = store.current_snapshot("procore")
        assert snap is not None
        adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret(), clock=clock)
        previous = PreviousPull(snap.high_water, lambda r: store.raw_with_scope(snap.id, r))
        rows = await adapter.plan(previous)
        await adapter.aclose()
    finally:
        sim.stop()
    planned = sum(r.full_requests for r in rows)
    assert abs(planned - made) <= 0.1 * made
    # At 60 an hour less the 20% left to other integrations: 48 an hour.
    seconds = sum(r.seconds_full or 0.0 for r in rows)
    assert seconds == pytest.approx(planned / (HOUR * 0.8) * 3600, rel=0.01)
