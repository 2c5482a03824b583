"""The orchestrator's guarantees, independent of any one API.

The adapter here is a scripted stand-in for the *orchestrator's* unit tests only; every
end-to-end pull test goes over loopback HTTP to the real simulators.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from adapters.base import PreviousPull, PullSink, RawReader, UnreachableError
from reconcile.pull import pull_source
from reconcile.store import Store


class ScriptedAdapter:
    source = "procore"
    resources = ("vendors",)

    def __init__(self, scopes: dict[str, list[dict[str, Any]]], fail_after: int | None = None) -> None:
        self.scopes = scopes
        self.fail_after = fail_after
        self.read: list[str] = []

    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        for n, (scope, records) in enumerate(self.scopes.items()):
            if sink.is_done("vendors", scope):
                continue
            if self.fail_after is not None and n >= self.fail_after:
                raise UnreachableError("Cannot reach Procore at http://127.0.0.1:9 (ConnectError).")
            sink.replace_scope("vendors", scope)
            sink.page("vendors", scope, [(str(r["id"]), r) for r in records])
            self.read.append(scope)
            sink.unit_done("vendors", scope, 1, len(records))
        return {"vendors": "2026-11-01T00:00:00Z"}

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        rows = [p for _, p in raw("vendors")]
        return {"procore_vendors": pl.DataFrame(rows or None, schema={"id": pl.Int64, "name": pl.String})}

    async def aclose(self) -> None:
        pass


SCOPES = {
    "project:1": [{"id": 1, "name": "A"}],
    "project:2": [{"id": 2, "name": "B"}],
    "project:3": [{"id": 3, "name": "C"}],
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.duckdb")


def names(store: Store) -> list[str]:
    return sorted(store.canonical("procore_vendors")["name"].to_list())


def test_interrupted_pull_keeps_the_previous_snapshot_and_resumes(store: Store) -> None:
    ok = asyncio.run(pull_source(store, ScriptedAdapter({"project:1": [{"id": 1, "name": "old"}]})))
    assert ok.ok and names(store) == ["old"]

    broken = ScriptedAdapter(SCOPES, fail_after=2)
    outcome = asyncio.run(pull_source(store, broken, full=True))
    assert not outcome.ok and outcome.resumable
    assert "Cannot reach Procore" in (outcome.error or "")
    assert names(store) == ["old"]  # the failed pull changed nothing a reader sees

    resumed = ScriptedAdapter(SCOPES)
    outcome = asyncio.run(pull_source(store, resumed, resume=True))
    assert outcome.ok and outcome.snapshot_id == broken_snapshot(store)
    assert resumed.read == ["project:3"]  # finished units are not read again
    assert names(store) == ["A", "B", "C"]


def broken_snapshot(store: Store) -> int:
    snap = store.current_snapshot("procore")
    assert snap is not None
    return snap.id


def test_incremental_pull_carries_forward_what_it_did_not_reread(store: Store) -> None:
    asyncio.run(pull_source(store, ScriptedAdapter(SCOPES)))
    changed = ScriptedAdapter({"project:2": [{"id": 2, "name": "B2"}]})
    outcome = asyncio.run(pull_source(store, changed))
    assert outcome.ok and outcome.carried == 2
    assert names(store) == ["A", "B2", "C"]


def test_resumed_incremental_pull_does_not_resurrect_what_a_replaced_unit_dropped(store: Store) -> None:
    base = {**SCOPES, "project:1": [{"id": 1, "name": "A"}, {"id": 4, "name": "deleted later"}]}
    asyncio.run(pull_source(store, ScriptedAdapter(base)))
    # Project 1 is re-read in full (record 4 is gone), then the network drops.
    changed = {"project:1": [{"id": 1, "name": "A"}], "project:2": [{"id": 2, "name": "B2"}]}
    outcome = asyncio.run(pull_source(store, ScriptedAdapter(changed, fail_after=1)))
    assert not outcome.ok and outcome.resumable
    # `tieout pull --resume` is a new process: it knows only what the store remembers.
    outcome = asyncio.run(pull_source(store, ScriptedAdapter(changed), resume=True))
    assert outcome.ok
    assert names(store) == ["A", "B2", "C"]


def test_a_pull_that_finished_nothing_offers_no_resume(store: Store) -> None:
    outcome = asyncio.run(pull_source(store, ScriptedAdapter(SCOPES, fail_after=0), full=True))
    assert not outcome.ok and not outcome.resumable  # a plain pull does the same work
    assert "Cannot reach Procore" in (outcome.error or "")


class BrokenAdapter(ScriptedAdapter):
    """Fails with an error no adapter foresaw, after finishing one unit."""

    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        sink.replace_scope("vendors", "project:1")
        sink.page("vendors", "project:1", [("1", {"id": 1, "name": "A"})])
        sink.unit_done("vendors", "project:1", 1, 1)
        raise RuntimeError("boom: a defect")


async def test_an_unexpected_error_fails_the_snapshot_and_logs_its_traceback(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    logger = logging.getLogger("tieout.pull")
    logger.addHandler(caplog.handler)  # the tieout tree may not propagate once the log file is set up
    try:
        outcome = await pull_source(store, BrokenAdapter(SCOPES))
    finally:
        logger.removeHandler(caplog.handler)
    assert not outcome.ok and outcome.error_type is RuntimeError
    assert outcome.error == (
        "an unexpected RuntimeError stopped the Procore pull; the details are in Tieout's log file"
    )
    snap = store.snapshot(outcome.snapshot_id)
    assert snap is not None and snap.status == "failed"
    assert store.current_snapshot("procore") is None
    record = next(r for r in caplog.records if r.name == "tieout.pull")
    assert record.exc_info is not None and "boom: a defect" in str(record.exc_info[1])
