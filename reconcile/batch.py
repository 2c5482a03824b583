"""Decisions on many exceptions at once: one audited decision per exception.

Each exception's decision is its own fact in the history and the audit chain, exactly as if
the analyst had made it alone (the same row, the same entry), and one refusal (an exception
gone since the grid was read, a locked period, a pushed exception swept in) must not undo the
others. The decisions are committed in chunks of ``CHUNK``, each written set-based: the lock
and the chunk's existence and latest decisions read once, every refusal decided in Python by
the rules one decision follows (``decisions.check_decision``, ``refuse_undecidable``), then
one insert of the rows and one of their audit entries. One decision at a time cost about
12 ms (seven statements: two hours for a million marked rows); a chunk costs a few
statements. A chunk that fails unexpectedly rolls back whole, never half a decision; a
cancel stops between chunks and what was committed stays. The caller gets what was recorded
and what was refused, with the sentence for each refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import duckdb

from reconcile import decisions
from reconcile.close import state as close_state
from reconcile.store import Store

#: Decisions per transaction in a batch. A chunk's reads scan the decisions and exceptions
#: tables whatever its size (about 60 ms at a million rows), so a bigger chunk costs less per
#: decision: at a million exceptions, 500 took 0.34 ms a decision, 2,000 0.20 ms (a chunk
#: about 0.4 s: the progress line moves and a stop lands within that), 5,000 0.13 ms.
CHUNK = 2_000
#: Statuses a bulk explanation leaves alone: a push approved or done is the decision.
KEEP_ON_EXPLAIN = ("approved", "pushed")


@dataclass
class BatchOutcome:
    """What a batch recorded (exception id → status now) and what it refused, in order."""

    done: dict[str, str] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: How many were not reached because the batch was stopped between chunks (what was
    #: committed before stays).
    left: int = 0

    def sentence(self, verb: str) -> str:
        """One line for the analyst: how many were recorded, and the first refusal."""
        n = len(self.done)
        line = f"{verb.capitalize()} {n:,} exception{'' if n == 1 else 's'}."
        if self.refused:
            first_id, why = self.refused[0]
            more = len(self.refused) - 1
            line += f" {len(self.refused):,} refused: {first_id}: {why}"
            line += f" (and {more:,} more)" if more else ""
        if self.left:
            line += f" Stopped; {self.left:,} not decided."
        return line


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    it = iter(ids)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


#: How one exception's decision is planned from what its chunk read: (exception id, whether
#: the store holds it, its latest decision, the locked period's sentence) → the row to write, or
#: a ``DecisionError`` saying why not.
Plan = Callable[[str, bool, dict[str, Any] | None, str | None], decisions.Planned]
#: Called after each committed chunk: (exceptions recorded or refused so far, of how many).
Progress = Callable[[int, int], None]


def _each(
    store: Store,
    ids: Iterable[str],
    plan: Plan,
    *,
    action: str,
    actor: str,
    cancel: threading.Event | None,
    progress: Progress | None,
) -> BatchOutcome:
    todo = list(ids)
    out = BatchOutcome()
    seen = 0
    for chunk in _chunks(todo):
        if cancel is not None and cancel.is_set():
            out.left = len(todo) - seen
            break
        with store.transaction() as tx:
            done, refused = _chunk(tx, chunk, plan, action=action, actor=actor)
        out.done.update(done)  # only once the chunk is committed
        out.refused.extend(refused)
        seen += len(chunk)
        if progress is not None:
            progress(seen, len(todo))
    return out


def _chunk(
    tx: duckdb.DuckDBPyConnection, chunk: list[str], plan: Plan, *, action: str, actor: str
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """One chunk in a few statements: the lock and the chunk's facts read once, each refusal
    decided in Python by the rules one decision follows, the rows and entries written at once.
    An id repeated in the chunk is planned from its decision before, as one at a time would."""
    locked = close_state.refusal(tx)
    facts = decisions.facts_in(tx, chunk)
    latest = {exception_id: facts[exception_id][1] for exception_id in facts}
    rows: list[tuple[str, decisions.Planned, dict[str, Any] | None, str]] = []
    refused: list[tuple[str, str]] = []
    for exception_id in chunk:
        before = latest[exception_id]
        try:
            new = plan(exception_id, facts[exception_id][0], before, locked)
        except decisions.DecisionError as exc:
            refused.append((exception_id, str(exc)))
            continue
        rows.append((exception_id, new, before, action))
        latest[exception_id] = new._asdict()
    decisions.insert_many(tx, rows, actor=actor)
    return {exception_id: new.status for exception_id, new, _, _ in rows}, refused


def explain_all(
    store: Store,
    ids: Iterable[str],
    reason_code: str,
    *,
    note: str | None = None,
    actor: str | None = None,
    allowed_reason_codes: Sequence[str] | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> BatchOutcome:
    """Explain every exception in ``ids`` with one reason code and note (each audited).

    An exception already approved or pushed keeps its status and is listed as refused: "all
    rows of this filter" often sweeps in the one the analyst just pushed, and an explanation
    recorded over it would make a write that happened read as a reason why nothing was done.
    """

    def plan(
        exception_id: str, exists: bool, before: dict[str, Any] | None, locked: str | None
    ) -> decisions.Planned:
        now = before["status"] if before else "open"
        if now in KEEP_ON_EXPLAIN:
            raise decisions.DecisionError(f"already {now}; left as it is.")
        # decide_in's rules, in its order, on what the chunk read
        decisions.check_decision("explained", reason_code=reason_code, allowed=allowed_reason_codes)
        decisions.refuse_undecidable(exception_id, locked=locked, exists=exists)
        return decisions.status_change(before, "explained", reason_code=reason_code, note=note or None)

    who = actor or decisions.default_actor()
    return _each(store, ids, plan, action="decision:explained", actor=who, cancel=cancel, progress=progress)


def assign_all(
    store: Store,
    ids: Iterable[str],
    team: str,
    *,
    actor: str | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> BatchOutcome:
    """Assign every exception in ``ids`` to ``team``; each keeps its status (each audited)."""

    def plan(
        exception_id: str, exists: bool, before: dict[str, Any] | None, locked: str | None
    ) -> decisions.Planned:
        # assign_in's rules, in its order, on what the chunk read
        decisions.check_assignee(team, required=True)
        decisions.refuse_undecidable(exception_id, locked=locked, exists=exists)
        return decisions.assignment(before, team)

    who = actor or decisions.default_actor()
    return _each(store, ids, plan, action="decision:assigned", actor=who, cancel=cancel, progress=progress)
