"""Python's full garbage collections, moved off the keystroke path.

A full (generation 2) collection walks every object the collector tracks. In the workstation
that is some 160,000 objects (Textual's widgets and style caches, the modules of Polars,
DuckDB and pydantic) and takes 80 to 170 ms on a 2-core machine, and CPython starts one
whenever a quarter more objects have survived than the last one left: every few keystrokes
during a close. Measured at a million exceptions, those pauses were the steps over 100 ms
(the first detail opened: 183 ms, an explain dialog: 230 ms).

So, while the workstation runs:

- the objects alive once it has started (modules, the screens) are frozen: no collection
  walks them again (``gc.freeze``);
- generation 2 is not collected automatically; generations 0 and 1, which take the young
  garbage a keystroke makes in well under a millisecond, stay as they are;
- once no key has been pressed for ``IDLE_SECONDS`` and enough has been allocated since the
  last one (``WORTH`` collections of generation 1), one full collection runs (everything
  unfrozen first, so garbage among the frozen objects is freed too), then the survivors are
  frozen again. Memory is reclaimed in the analyst's pauses instead of between two keys;
- on exit the collector is left as it was found.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

#: Seconds without a key before the full collection runs.
IDLE_SECONDS = 3.0
#: Generation 2's threshold while deferred: in effect, never by itself.
DEFERRED = 1_000_000
#: Generation-1 collections since the last full one that make a full one worth its pause
#: (CPython's own default threshold for generation 2); an idle screen's timers make fewer.
WORTH = 10


@dataclass
class HeapPolicy:
    """Collects the heap when the analyst pauses, never while they type."""

    idle_seconds: float = IDLE_SECONDS
    last_key: float = field(default_factory=time.monotonic)
    collections: int = 0
    _saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Freeze what is alive now and defer generation 2 (once the app has started)."""
        if self._saved is not None:
            return
        self._saved = gc.get_threshold()
        # No collection first (it would cost a full pause at start): garbage frozen with the
        # rest is freed at the first idle collection, which unfreezes everything first.
        gc.freeze()
        young, middle, _ = self._saved
        gc.set_threshold(young, middle, DEFERRED)

    def key_pressed(self) -> None:
        self.last_key = time.monotonic()

    def tick(self) -> bool:
        """Collect fully if the analyst has paused and enough was allocated; True if it did."""
        if self._saved is None or gc.get_count()[2] < WORTH:
            return False
        if time.monotonic() - self.last_key < self.idle_seconds:
            return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.collections += 1
        return True

    def stop(self) -> None:
        """Leave the collector as it was: nothing frozen, the thresholds restored."""
        if self._saved is None:
            return
        gc.unfreeze()
        gc.set_threshold(*self._saved)
        self._saved = None
