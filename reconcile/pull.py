"""The pull orchestrator: runs each source's adapter into a new snapshot of the store.

Guarantees, whatever the adapter or the network does:
- the source's current snapshot changes only when its pull completes (``Store.complete_snapshot``);
- every finished unit of work is checkpointed, so ``resume=True`` continues an interrupted
  pull in the same snapshot without re-reading what it already has;
- an incremental pull carries forward the base snapshot's payloads it did not re-read,
  so each snapshot is a complete picture on its own.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from adapters.base import (
    AdapterError,
    AuthError,
    Cancelled,
    PlanRow,
    PreviousPull,
    Progress,
    RawReader,
    ResponseError,
    SourceAdapter,
)
from reconcile.people.pull import profile_sources
from reconcile.profile import ERP_ADAPTERS, Profile
from reconcile.secrets import get_secret
from reconcile.store import ResourceStat, Store

ProgressCallback = Callable[[str, Progress], None]

#: The ``tieout.pull`` logger (``app.logs`` attaches the file handler to ``tieout``).
log = logging.getLogger("tieout.pull")
LABELS = {"procore": "Procore", "erp": "ERP"}

#: Errors that will not go away by themselves; everything else leaves a resumable snapshot.
_FATAL = (AuthError, ResponseError)


class UnsupportedSource(AdapterError):
    """The profile names an ERP kind this build cannot pull yet."""


def make_adapter(profile: Profile, source: str) -> SourceAdapter:
    """Build the adapter for one side of a profile, with its secret from keyring or env."""
    if source in ("identity", "directory"):
        from reconcile.people.pull import people_adapter

        return people_adapter(profile, source)
    if source == "procore":
        from adapters.procore.adapter import ProcoreAdapter

        return cast(SourceAdapter, ProcoreAdapter(profile.procore, get_secret(profile.name, "procore")))
    target = ERP_ADAPTERS.get(profile.erp.kind)
    if target is None:
        raise UnsupportedSource(
            f"ERP kind {profile.erp.kind!r} is not supported by this build of Tieout yet; "
            f"available: {', '.join(ERP_ADAPTERS)}."
        )
    module, _, name = target.partition(":")
    adapter = getattr(importlib.import_module(module), name)
    return cast(SourceAdapter, adapter(profile.erp, get_secret(profile.name, "erp")))


@dataclass
class _ResourceTally:
    requests: int = 0
    records: int = 0
    wait_seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)
    last: float = field(default_factory=time.monotonic)


#: Snapshot states ``--resume`` continues: stopped part-way (a crash leaves "running").
RESUMABLE_STATES = ("interrupted", "running", "failed")

#: Buffer limits of ``StoreSink``: rows, finished units, seconds between writes. A write is a
#: DuckDB commit (about 30 ms with its fsync): every 50 units or half second, commits were a
#: fifth of the demo's pull. A hard crash re-reads at most one buffer (two seconds of work).
FLUSH_ROWS = 20_000
FLUSH_UNITS = 500
FLUSH_SECONDS = 2.0


class StoreSink:
    """A ``PullSink`` that writes pages into a store snapshot and checkpoints units."""

    def __init__(
        self,
        store: Store,
        snapshot_id: int,
        source: str,
        *,
        done: set[tuple[str, str]],
        replaced: set[tuple[str, str]] | None = None,
        resumed: bool = False,
        on_progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> None:
        self.store = store
        self.snapshot_id = snapshot_id
        self.source = source
        self.done = done
        self.replaced: set[tuple[str, str]] = set(replaced or ())
        self.resumed = resumed
        self._rows: list[tuple[str, str, str, dict[str, Any]]] = []
        self._checkpoints: list[tuple[str, str, int, int, bool]] = []
        self._flushed = time.monotonic()
        self.tallies: dict[str, _ResourceTally] = {}
        self._on_progress = on_progress
        self._cancel = cancel

    def _tally(self, resource: str) -> _ResourceTally:
        if resource not in self.tallies:
            self.tallies[resource] = _ResourceTally()
        return self.tallies[resource]

    def is_done(self, resource: str, scope: str) -> bool:
        return (resource, scope) in self.done

    def replace_scope(self, resource: str, scope: str) -> None:
        self.replaced.add((resource, scope))
        if self.resumed:
            # A resumed pull may hold a partial copy of this unit from before the interruption.
            self.flush()
            self.store.delete_raw_scope(self.snapshot_id, resource, scope)

    def page(self, resource: str, scope: str, records: list[tuple[str, dict[str, Any]]]) -> None:
        self._rows.extend((resource, scope, key, payload) for key, payload in records)
        tally = self._tally(resource)
        tally.records += len(records)
        tally.last = time.monotonic()
        if len(self._rows) >= FLUSH_ROWS:
            self.flush()

    def unit_done(self, resource: str, scope: str, requests: int, records: int) -> None:
        replaced = (resource, scope) in self.replaced
        self._checkpoints.append((resource, scope, requests, records, replaced))
        self.done.add((resource, scope))
        if len(self._checkpoints) >= FLUSH_UNITS or time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write buffered pages and checkpoints in one transaction.

        Pages are buffered because a statement per page made the store, not the API, the
        slow part of a pull (2,000 one-page contracts). An interruption flushes what was
        read (the orchestrator calls this before failing the snapshot); only a hard crash
        loses the buffer, whose units are then read again on resume.
        """
        self.store.write_pull_batch(self.snapshot_id, self._rows, self._checkpoints)
        self._rows, self._checkpoints = [], []
        self._flushed = time.monotonic()

    def progress(self, p: Progress) -> None:
        # Progress values are cumulative per resource; keep the largest seen.
        tally = self._tally(p.resource)
        tally.requests = max(tally.requests, p.requests)
        tally.wait_seconds = max(tally.wait_seconds, p.wait_seconds)
        tally.last = time.monotonic()
        if self._on_progress is not None:
            self._on_progress(self.source, p)

    def cancelled(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def stats(self) -> list[ResourceStat]:
        """The per-resource table a pull ends with."""
        return [
            ResourceStat(
                resource=name,
                requests=t.requests,
                records=t.records,
                seconds=round(t.last - t.started, 3),
                wait_seconds=round(t.wait_seconds, 3),
            )
            for name, t in sorted(self.tallies.items())
        ]


@dataclass
class SourceOutcome:
    """How one source's pull ended."""

    source: str
    snapshot_id: int
    ok: bool
    error: str | None = None
    resumable: bool = False
    stats: list[ResourceStat] = field(default_factory=list)
    carried: int = 0
    #: The error's class; the CLI maps bad input (credentials, host, unparseable answers) to exit 2.
    error_type: type[BaseException] | None = None


@dataclass
class PullOutcome:
    """How a whole pull (every source) ended."""

    sources: list[SourceOutcome]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources)

    @property
    def error(self) -> str | None:
        errors = [f"{LABELS.get(s.source, s.source)}: {s.error}" for s in self.sources if s.error]
        return " ".join(e if e.endswith(".") else e + "." for e in errors) or None


def _open_snapshot(store: Store, source: str, *, full: bool, resume: bool) -> tuple[int, int | None, bool]:
    """(snapshot id, base snapshot id, resumed?) for this pull."""
    base = store.current_snapshot(source)
    if resume:
        latest = store.latest_snapshot(source)
        if latest is not None and latest.status in RESUMABLE_STATES:
            store.reopen_snapshot(latest.id)
            return latest.id, latest.base_snapshot_id, True
    if full or base is None:
        return store.begin_snapshot(source, "full"), None, False
    return store.begin_snapshot(source, "incremental", base.id), base.id, False


async def pull_source(
    store: Store,
    adapter: SourceAdapter,
    *,
    full: bool = False,
    resume: bool = False,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> SourceOutcome:
    """Pull one source into a new (or resumed) snapshot; make it current only when complete."""
    source = adapter.source
    full = full or bool(getattr(adapter, "always_full", False))  # read in full: no base to carry
    snapshot_id, base_id, resumed = _open_snapshot(store, source, full=full, resume=resume)
    done = store.done_units(snapshot_id) if resumed else set()
    replaced = store.replaced_units(snapshot_id) if resumed else set()
    sink = StoreSink(
        store,
        snapshot_id,
        source,
        done=done,
        replaced=replaced,
        resumed=resumed,
        on_progress=on_progress,
        cancel=cancel,
    )
    base = store.snapshot(base_id) if base_id is not None else None
    previous = None
    if base is not None:
        previous = PreviousPull(high_water=base.high_water, raw=_raw_reader(store, base.id))
    try:
        try:
            high_water = await adapter.pull(sink, full=base is None, previous=previous)
        finally:
            sink.flush()  # what was read before an interruption is kept for --resume
        carried = store.carry_forward_raw(base.id, snapshot_id, sink.replaced) if base is not None else 0
        canonical = adapter.canonicalize(lambda resource: store.raw_with_scope(snapshot_id, resource))
        store.complete_snapshot(snapshot_id, sink.stats(), canonical, high_water)
    except _FATAL as exc:
        store.fail_snapshot(snapshot_id, str(exc))
        return SourceOutcome(source, snapshot_id, False, str(exc), False, sink.stats(), error_type=type(exc))
    except (AdapterError, asyncio.CancelledError, KeyboardInterrupt) as exc:
        message = "cancelled" if isinstance(exc, Cancelled | asyncio.CancelledError) else str(exc)
        store.fail_snapshot(snapshot_id, message or type(exc).__name__, interrupted=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        # Resuming helps only when some unit was finished; otherwise a plain pull is the same.
        resumable = bool(sink.done)
        return SourceOutcome(
            source, snapshot_id, False, message, resumable, sink.stats(), error_type=type(exc)
        )
    except Exception as exc:
        # A defect or an answer nobody foresaw: the snapshot must not stay "running", the
        # person gets one sentence, and the traceback goes to the log file.
        log.exception("Pull of %s (snapshot %s) failed unexpectedly", source, snapshot_id)
        message = (
            f"an unexpected {type(exc).__name__} stopped the {LABELS.get(source, source)} pull; "
            "the details are in Tieout's log file"
        )
        try:
            store.fail_snapshot(snapshot_id, message)
        except Exception:
            log.exception("Could not mark snapshot %s failed", snapshot_id)
        return SourceOutcome(source, snapshot_id, False, message, False, sink.stats(), error_type=type(exc))
    return SourceOutcome(source, snapshot_id, True, None, False, sink.stats(), carried)


async def pull_all(
    store: Store,
    adapters: Sequence[SourceAdapter],
    *,
    full: bool = False,
    resume: bool = False,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> PullOutcome:
    """Pull every source concurrently; each source's snapshot stands or falls on its own."""
    try:
        results = await asyncio.gather(
            *(
                pull_source(store, a, full=full, resume=resume, on_progress=on_progress, cancel=cancel)
                for a in adapters
            )
        )
    finally:
        for a in adapters:
            await a.aclose()
    return PullOutcome(list(results))


def run_pull(
    profile: Profile,
    store: Store,
    *,
    full: bool = False,
    resume: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    sources: Sequence[str] | None = None,
    max_wait_minutes: float | None = None,
) -> PullOutcome:
    """Blocking entry point for the CLI and the workstation's pull worker.

    ``sources`` defaults to the profile's (``reconcile.people.pull.profile_sources``);
    ``max_wait_minutes`` overrides the profile's ``procore.max_wait_minutes`` (``--max-wait``).
    """
    if max_wait_minutes is not None:
        procore = profile.procore.model_copy(update={"max_wait_minutes": max_wait_minutes})
        profile = profile.model_copy(update={"procore": procore})
    adapters = [make_adapter(profile, s) for s in sources or profile_sources(profile)]
    return asyncio.run(
        pull_all(store, adapters, full=full, resume=resume, on_progress=progress, cancel=cancel)
    )


def _raw_reader(store: Store, snapshot_id: int) -> RawReader:
    return lambda resource: store.raw_with_scope(snapshot_id, resource)


async def _plan(profile: Profile, store: Store, sources: Sequence[str]) -> dict[str, list[PlanRow]]:
    out: dict[str, list[PlanRow]] = {}
    for source in sources:
        adapter = make_adapter(profile, source)
        base = store.current_snapshot(adapter.source)
        previous = None
        if base is not None:
            previous = PreviousPull(base.high_water, _raw_reader(store, base.id))
        try:
            plan = getattr(adapter, "plan", None)
            out[source] = list(await plan(previous)) if plan is not None else []
        finally:
            await adapter.aclose()
    return out


def plan_pull(
    profile: Profile, store: Store, sources: Sequence[str] | None = None
) -> dict[str, list[PlanRow]]:
    """What a pull would cost per resource, full and incremental (``tieout pull --plan``)."""
    return asyncio.run(_plan(profile, store, sources or profile_sources(profile)))
