"""Spacing requests from Procore's ``X-Rate-Limit-*`` headers so a steady pull never gets a 429.

Procore keeps two buckets, an hourly one and a 10-second spike one, and each answer
reports the one the app is most likely to exceed first (in practice the spike bucket
until the hourly one is nearly spent). The pacer spreads what is left of the reported
bucket, less the share reserved for the company's other integrations, evenly over the
time until its reset. The hourly limit, once seen (or remembered from an earlier pull),
also caps our own requests in any hour at the non-reserved share, because by the time
the headers switch to the hourly bucket the reserve would already be spent; within that
cap a small pull runs at the spike pace rather than being spread over the hour.

Which bucket an answer reports is told by how far its reset lies from the *server's*
clock (the answer's ``Date`` header), as Procore's own rate-limit guide does: our clock
may be minutes off, and comparing Procore's reset with it once made a skewed workstation
take the spike bucket for the hourly one. Resets are then moved onto our clock by the
measured offset, so every wait is in our own time.

Every wait is bounded and cancellable: a wait longer than ``max_wait`` (the profile's
``procore.max_wait_minutes``) stops the pull resumably with ``BudgetExhausted``, a
refusal asking for more than ``MAX_REFUSAL_WAIT`` does the same, and no wait sleeps
under the lock or longer than ``CANCEL_STEP`` without looking at the cancel flag.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import anyio

from adapters.base import BudgetExhausted, Cancelled

#: A reported window whose reset is further from the server's clock than this is the hourly bucket.
SPIKE_HORIZON_SECONDS = 60.0
SPIKE_WINDOW = 10.0
HOUR_WINDOW = 3600.0
#: The longest a 429/503 may make us wait, as the SAP client caps Retry-After; longer stops resumably.
MAX_REFUSAL_WAIT = 30.0
#: Waits are slept in steps this long, so a cancel is seen within it.
CANCEL_STEP = 0.25


@dataclass
class Bucket:
    limit: int
    remaining: int
    reset: float  # on our clock (unix seconds)
    window: float  # seconds: 10 for the spike bucket, 3600 for the hourly one
    server_reset: float  # as Procore stated it, on its clock


def http_date(value: str | None) -> float | None:
    """An HTTP date (``Date``, ``Retry-After``) as unix seconds, or None."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def when(t: float) -> str:
    """A moment for a sentence: ``2026-12-03 14:05 UTC``."""
    try:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "an unknown time"


def span(seconds: float) -> str:
    """A duration for a sentence: ``45 s``, ``12 min``, ``27.8 h``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Pacer:
    """Decides when the next request may go; shared by every request of one client."""

    def __init__(
        self,
        *,
        reserve_share: Decimal = Decimal("0.20"),
        hourly_limit: int | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        max_wait: float | None = None,
    ) -> None:
        self.reserve_share = reserve_share
        #: A wait longer than this (the budget is nearly spent, so slots are far apart, or spent
        #: until a reset) stops the pull resumably with ``BudgetExhausted`` instead of sleeping.
        self.max_wait = max_wait
        self.hourly_limit = hourly_limit
        self.clock = clock
        self.sleep = sleep
        #: Polled during every wait; True stops the pull with ``Cancelled``.
        self.cancelled: Callable[[], bool] = lambda: False
        self.bucket: Bucket | None = None
        self.last_limit: int | None = None  # the limit the last answer reported (for the plan)
        #: Procore's clock minus ours, from the last ``Date`` header (None until one is seen).
        self.offset: float | None = None
        self._next_at = 0.0
        self._sent: deque[float] = deque()  # our own request times within the last hour
        self._lock = anyio.Lock()

    def _reserve(self, limit: int) -> int:
        return math.ceil(limit * float(self.reserve_share))

    def _bucket_at(self, t: float) -> Bucket | None:
        """The reported bucket as it will be at ``t``: a window that has passed starts full again."""
        b = self.bucket
        if b is not None and t >= b.reset:
            step = b.window * (1 + math.floor((t - b.reset) / b.window))
            b.reset += step
            b.server_reset += step
            b.remaining = b.limit
        return b

    def _slot(self, now: float) -> tuple[float, str]:
        """The earliest time our share allows the next request, and why it waits."""
        t = max(now, self._next_at)
        note = "pacing to the rate limit"
        for _ in range(4):
            b = self._bucket_at(t)
            if b is not None and b.remaining - self._reserve(b.limit) <= 0:
                t, note = b.reset + 0.5, "waiting for the rate limit to reset"
                continue
            if self.hourly_limit:
                while self._sent and self._sent[0] <= t - HOUR_WINDOW:
                    self._sent.popleft()
                share = max(1, self.hourly_limit - self._reserve(self.hourly_limit))
                if len(self._sent) >= share:
                    t, note = self._sent[0] + HOUR_WINDOW + 0.5, "waiting for the hourly budget"
                    continue
            break
        return t, note

    async def acquire(self, on_wait: Callable[[float, str], None] | None = None) -> None:
        """Wait for this request's slot; reports any wait through ``on_wait``.

        The slot is reserved under the lock (slots are handed out in order, so no task
        that took an early slot is overtaken by a later one) and waited for outside it.
        """
        async with self._lock:
            now = self.clock()
            start, note = self._slot(now)
            wait = start - now
            if self.max_wait is not None and wait > self.max_wait:
                raise BudgetExhausted(
                    f"Procore's rate-limit budget for this pull is spent until {when(start)} "
                    f"(a wait of {span(wait)}, longer than procore.max_wait_minutes allows); "
                    "`tieout pull --resume` continues where it stopped."
                )
            b = self._bucket_at(start)
            gap = 0.0
            if b is not None:
                usable = b.remaining - self._reserve(b.limit)
                gap = (b.reset - start) / max(1, usable)
                b.remaining -= 1  # count our own request before its answer arrives
            self._next_at = start + gap
            self._sent.append(start)
        if wait > 0:
            if on_wait is not None and wait >= 1.0:
                on_wait(wait, f"{note}: waiting {wait:.0f}s")
            await self.nap(wait)

    async def nap(self, seconds: float) -> None:
        """Sleep ``seconds`` in short steps, stopping with ``Cancelled`` as soon as asked."""
        left = seconds
        while True:
            if self.cancelled():
                raise Cancelled("The Procore pull was cancelled; `tieout pull --resume` continues it.")
            if left <= 0:
                return
            step = min(left, CANCEL_STEP)
            await self.sleep(step)
            left -= step

    def observe(self, headers: Any) -> None:
        """Update from an answer's ``Date`` and ``X-Rate-Limit-*`` headers."""
        get = getattr(headers, "get", None)
        if get is None:
            return
        now = self.clock()
        server_now = http_date(get("Date"))
        if server_now is not None:
            # Date is truncated to the second, so this errs towards a later reset: never early.
            self.offset = server_now - now
        try:
            limit = int(get("X-Rate-Limit-Limit"))
            remaining = int(get("X-Rate-Limit-Remaining"))
            reset = float(get("X-Rate-Limit-Reset"))
        except (TypeError, ValueError):
            return
        self.last_limit = limit
        hourly = self._is_hourly(limit, reset, server_now)
        if hourly:
            self.hourly_limit = limit
        window = HOUR_WINDOW if hourly else SPIKE_WINDOW
        # On our clock, and never further than one window away whatever either clock says.
        local_reset = min(max(reset - (self.offset or 0.0), now), now + window)
        b = self.bucket
        if b is not None and b.limit == limit and abs(b.server_reset - reset) < 1.0:
            # Answers to concurrent requests arrive out of order: keep the lower count.
            b.remaining = min(b.remaining, remaining)
        elif b is not None and b.limit == limit and reset < b.server_reset:
            return  # a late answer from a window we have already moved past
        else:
            self.bucket = Bucket(limit, remaining, local_reset, window, reset)

    def _is_hourly(self, limit: int, reset: float, server_now: float | None) -> bool:
        """Whether an answer reports the hourly bucket, judged on Procore's clock, never ours."""
        if server_now is not None:
            return reset - server_now > SPIKE_HORIZON_SECONDS
        # No Date header: judge by the previous answer. Procore reports the spike bucket
        # until the hourly one is nearly spent, so the first answer is taken as the spike.
        b = self.bucket
        if b is None:
            return limit == self.hourly_limit
        if limit != b.limit:
            return b.window == SPIKE_WINDOW and limit > b.limit  # the hourly limit is the larger
        # Same limit: a reset that jumps beyond a spike window away from the last one is hourly.
        return b.window == HOUR_WINDOW or reset - b.server_reset > SPIKE_HORIZON_SECONDS

    def hold_after_refusal(self, retry_after: float | None, on_wait: Callable[[float, str], None]) -> None:
        """After a 429/503: hold the gate for ``Retry-After``, else until the reported reset, else briefly.

        A refusal that asks for more than ``MAX_REFUSAL_WAIT`` stops the pull resumably
        instead: a server that wants hours must not leave a pull silently asleep.
        """
        now = self.clock()
        if retry_after is not None:
            wait = retry_after
        elif self.bucket is not None and self.bucket.reset > now:
            wait = self.bucket.reset - now + 0.5
        else:
            wait = 5.0
        if wait > MAX_REFUSAL_WAIT:
            raise BudgetExhausted(
                f"Procore refused further requests for {span(wait)}, until {when(now + wait)}; "
                "`tieout pull --resume` continues where it stopped once the limit resets."
            )
        self._next_at = max(self._next_at, now + wait)  # every request waits, not just this one
        on_wait(wait, f"rate limited by Procore: waiting {wait:.0f}s")
