"""What every adapter offers the pull orchestrator (``reconcile.pull``), and its errors.

An adapter reads one outside system over its real API. It hands each page of raw
payloads to a ``PullSink`` (which keeps them in the store and checkpoints finished
units of work), and later turns a snapshot's raw payloads into canonical frames
(``reconcile.canonical``). It never touches the store itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl


class AdapterError(Exception):
    """A failure a person can act on. ``str(exc)`` is one sentence, secrets-free."""


class AuthError(AdapterError):
    """Credentials were refused; the message says which side."""


class UnreachableError(AdapterError):
    """The host could not be reached (DNS, refused, TLS, timeout after retries)."""


class ResponseError(AdapterError):
    """An answer that does not parse; the message names the endpoint and the record."""


class PermissionDenied(AdapterError):
    """A 403; the message names the missing permission when the API says it."""


class BudgetExhausted(AdapterError):
    """The rate-limit budget is spent; the pull stops resumably."""


class Cancelled(AdapterError):
    """The user cancelled the pull."""


@dataclass
class Progress:
    """One progress tick for a resource (the pull screen draws a bar per resource)."""

    resource: str
    requests: int = 0
    pages: int = 0
    records: int = 0
    total_pages: int | None = None  # when the API told us (Total header, __count)
    wait_seconds: float = 0.0  # rate-limit waits so far
    note: str = ""  # e.g. "waiting 12s for the rate limit"


class PullSink(Protocol):
    """Where an adapter puts what it reads. Implemented by ``reconcile.pull``."""

    def is_done(self, resource: str, scope: str) -> bool:
        """True when a resumed pull already finished this unit; skip it."""

    def replace_scope(self, resource: str, scope: str) -> None:
        """Declare that this unit is being read in full: nothing of it is carried forward."""

    def page(self, resource: str, scope: str, records: list[tuple[str, dict[str, Any]]]) -> None:
        """Keep one page of raw payloads, each with its record key."""

    def unit_done(self, resource: str, scope: str, requests: int, records: int) -> None:
        """Checkpoint: this unit of work is complete."""

    def progress(self, p: Progress) -> None:
        """Report progress; must be cheap."""

    def cancelled(self) -> bool:
        """True when the user asked to stop; the adapter raises ``Cancelled`` soon after."""


#: Reads a snapshot's raw payloads of one resource as (scope, payload) pairs.
RawReader = Callable[[str], list[tuple[str, dict[str, Any]]]]


@dataclass
class PreviousPull:
    """What an incremental pull builds on: the base snapshot's stamps and payloads."""

    high_water: dict[str, Any] = field(default_factory=dict)
    raw: RawReader | None = None


@dataclass
class PlanRow:
    """One row of ``tieout pull --plan``: the requests a resource will cost."""

    resource: str
    full_requests: int
    incremental_requests: int
    note: str = ""
    #: Wall time at the rate limit the API last reported (None: the API reports none).
    seconds_full: float | None = None
    seconds_incremental: float | None = None


class SourceAdapter(Protocol):
    """A source the orchestrator can pull: Procore, or one of the ERPs."""

    source: str  # "procore" | "erp"
    resources: tuple[str, ...]

    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        """Read everything new since ``previous`` (or all, when ``full``); return the new high-water stamps."""

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        """Turn a snapshot's raw payloads into canonical frames."""

    async def aclose(self) -> None:
        """Close the HTTP client."""
