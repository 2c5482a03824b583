"""Decisions on many exceptions at once: one audited ``decisions`` call per exception.

Why not one transaction for the batch: each exception's decision is its own fact in the
history and the audit chain, exactly as if the analyst had made it alone, and one refusal
(an exception gone since the grid was read, a locked period) must not undo the others. The
caller gets what was recorded and what was refused, with the sentence for each refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from reconcile import decisions
from reconcile.store import Store


@dataclass
class BatchOutcome:
    """What a batch recorded (exception id → status now) and what it refused, in order."""

    done: dict[str, str] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def sentence(self, verb: str) -> str:
        """One line for the analyst: how many were recorded, and the first refusal."""
        n = len(self.done)
        line = f"{verb.capitalize()} {n:,} exception{'' if n == 1 else 's'}."
        if self.refused:
            first_id, why = self.refused[0]
            more = len(self.refused) - 1
            line += f" {len(self.refused):,} refused: {first_id}: {why}"
            line += f" (and {more:,} more)" if more else ""
        return line


def _each(ids: Iterable[str], record: Callable[[str], str], cancel: threading.Event | None) -> BatchOutcome:
    out = BatchOutcome()
    for exception_id in ids:
        if cancel is not None and cancel.is_set():
            break
        try:
            out.done[exception_id] = record(exception_id)
        except decisions.DecisionError as exc:
            out.refused.append((exception_id, str(exc)))
    return out


def explain_all(
    store: Store,
    ids: Iterable[str],
    reason_code: str,
    *,
    note: str | None = None,
    actor: str | None = None,
    allowed_reason_codes: Sequence[str] | None = None,
    cancel: threading.Event | None = None,
) -> BatchOutcome:
    """Explain every exception in ``ids`` with one reason code and note (each audited)."""

    def record(exception_id: str) -> str:
        row = decisions.decide(
            store,
            exception_id,
            "explained",
            actor=actor,
            reason_code=reason_code,
            note=note or None,
            allowed_reason_codes=allowed_reason_codes,
        )
        return str(row["status"])

    return _each(ids, record, cancel)


def assign_all(
    store: Store,
    ids: Iterable[str],
    team: str,
    *,
    actor: str | None = None,
    cancel: threading.Event | None = None,
) -> BatchOutcome:
    """Assign every exception in ``ids`` to ``team``; each keeps its status (each audited)."""

    def record(exception_id: str) -> str:
        return str(decisions.assign(store, exception_id, team, actor=actor)["status"])

    return _each(ids, record, cancel)
