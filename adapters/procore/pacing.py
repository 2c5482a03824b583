"""Spacing requests from Procore's ``X-Rate-Limit-*`` headers so a steady pull never gets a 429.

Procore keeps two buckets, an hourly one and a 10-second spike one, and each answer
reports the one the app is most likely to exceed first (in practice the spike bucket
until the hourly one is nearly spent). The pacer spreads what is left of the reported
bucket, less the share reserved for the company's other integrations, evenly over the
time until its reset. The hourly limit, once seen (or remembered from an earlier pull),
also caps our own requests in any hour at the non-reserved share, because by the time
the headers switch to the hourly bucket the reserve would already be spent; within that
cap a small pull runs at the spike pace rather than being spread over the hour.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import anyio

from adapters.base import BudgetExhausted

#: A reported window whose reset is further away than this is the hourly bucket.
SPIKE_HORIZON_SECONDS = 60.0


@dataclass
class Bucket:
    limit: int
    remaining: int
    reset: float  # unix seconds
    window: float  # seconds: 10 for the spike bucket, 3600 for the hourly one


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
        self.bucket: Bucket | None = None
        self.last_limit: int | None = None  # the limit the last answer reported (for the plan)
        self._next_at = 0.0
        self._sent: deque[float] = deque()  # our own request times within the last hour
        self._lock = anyio.Lock()

    def _reserve(self, limit: int) -> int:
        return math.ceil(limit * float(self.reserve_share))

    def _bucket_at(self, t: float) -> Bucket | None:
        """The reported bucket as it will be at ``t``: a window that has passed starts full again."""
        b = self.bucket
        if b is not None and t >= b.reset:
            b.reset += b.window * (1 + math.floor((t - b.reset) / b.window))
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
                while self._sent and self._sent[0] <= t - 3600.0:
                    self._sent.popleft()
                share = max(1, self.hourly_limit - self._reserve(self.hourly_limit))
                if len(self._sent) >= share:
                    t, note = self._sent[0] + 3600.0 + 0.5, "waiting for the hourly budget"
                    continue
            break
        return t, note

    async def acquire(self, on_wait: Callable[[float, str], None] | None = None) -> None:
        """Wait for this request's slot; reports any wait through ``on_wait``.

        The wait happens inside the lock: requests leave the gate one by one in slot
        order, so no task that computed an early slot can be overtaken by a later one.
        """
        async with self._lock:
            now = self.clock()
            start, note = self._slot(now)
            b = self._bucket_at(start)
            gap = 0.0
            if b is not None:
                usable = b.remaining - self._reserve(b.limit)
                gap = (b.reset - start) / max(1, usable)
                b.remaining -= 1  # count our own request before its answer arrives
            self._next_at = start + gap
            self._sent.append(start)
            wait = start - now
            if self.max_wait is not None and wait > self.max_wait:
                until = datetime.fromtimestamp(start, UTC).strftime("%H:%M UTC")
                raise BudgetExhausted(
                    f"Procore's rate-limit budget for this pull is spent until {until}; "
                    "`tieout pull --resume` continues where it stopped."
                )
            if wait > 0:
                if on_wait is not None and wait >= 1.0:
                    on_wait(wait, f"{note}: waiting {wait:.0f}s")
                await self.sleep(wait)

    def observe(self, headers: Any) -> None:
        """Update from an answer's ``X-Rate-Limit-*`` headers."""
        get = getattr(headers, "get", None)
        if get is None:
            return
        try:
            limit = int(get("X-Rate-Limit-Limit"))
            remaining = int(get("X-Rate-Limit-Remaining"))
            reset = float(get("X-Rate-Limit-Reset"))
        except (TypeError, ValueError):
            return
        self.last_limit = limit
        now = self.clock()
        hourly = reset - now > SPIKE_HORIZON_SECONDS
        if hourly:
            self.hourly_limit = limit
        b = self.bucket
        if b is not None and b.limit == limit and abs(b.reset - reset) < 1.0:
            # Answers to concurrent requests arrive out of order: keep the lower count.
            b.remaining = min(b.remaining, remaining)
        elif b is not None and b.limit == limit and reset < b.reset:
            return  # a late answer from a window we have already moved past
        else:
            self.bucket = Bucket(limit, remaining, reset, 3600.0 if hourly else 10.0)

    def hold_after_refusal(self, retry_after: float | None, on_wait: Callable[[float, str], None]) -> None:
        """After a 429/503: hold the gate for ``Retry-After``, else until the reported reset, else briefly."""
        now = self.clock()
        if retry_after is not None:
            wait = retry_after
        elif self.bucket is not None and self.bucket.reset > now:
            wait = self.bucket.reset - now + 0.5
        else:
            wait = 5.0
        self._next_at = max(self._next_at, now + wait)  # every request waits, not just this one
        on_wait(wait, f"rate limited by Procore: waiting {wait:.0f}s")
