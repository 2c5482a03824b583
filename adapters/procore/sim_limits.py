"""The simulator's rate limiter: Procore's hourly and 10-second spike buckets.

Fixed windows per bucket, counted per company. Each answer reports the bucket the
app is most likely to exceed first, as Procore documents: the spike bucket, until the
hourly one has no more left than a spike window holds.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Window:
    limit: int
    seconds: float
    start: float = 0.0
    used: int = 0

    def roll(self, now: float) -> None:
        if now >= self.start + self.seconds:
            # Windows align to multiples of their length, like a server's clock.
            self.start = math.floor(now / self.seconds) * self.seconds
            self.used = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def reset(self) -> float:
        return self.start + self.seconds


class RateLimiter:
    def __init__(self, hourly: int, spike: int, clock: Callable[[], float] = time.time) -> None:
        self.hour = _Window(hourly, 3600.0)
        self.spike = _Window(spike, 10.0)
        self.clock = clock
        self._lock = threading.Lock()
        self.refused = 0

    def take(self) -> tuple[bool, dict[str, str]]:
        """Count one request; (allowed, headers to send)."""
        with self._lock:
            now = self.clock()
            self.hour.roll(now)
            self.spike.roll(now)
            allowed = self.hour.remaining > 0 and self.spike.remaining > 0
            if allowed:
                self.hour.used += 1
                self.spike.used += 1
            else:
                self.refused += 1
            exhausted = [w for w in (self.hour, self.spike) if w.remaining == 0]
            if exhausted:
                w = max(exhausted, key=lambda w: w.reset)
            elif self.hour.remaining <= self.spike.limit:
                w = self.hour
            else:
                w = self.spike
            headers = {
                "X-Rate-Limit-Limit": str(w.limit),
                "X-Rate-Limit-Remaining": str(w.remaining),
                "X-Rate-Limit-Reset": str(int(math.ceil(w.reset))),
            }
            if not allowed:
                headers["Retry-After"] = str(max(1, int(math.ceil(w.reset - now))))
            return allowed, headers
