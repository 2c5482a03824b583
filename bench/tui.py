"""Workstation latency: cold start to first paint, and key-to-paint on 1,000,000 exceptions.

Run: ``.venv/bin/python bench/tui.py [--rows 1000000] [--repeat 7]``. Headless (Textual's
pilot). Key-to-paint is the first frame the compositor renders after the interaction's data
was applied, measured from just before the key (or value) was sent; the pilot's own waiting,
which a real terminal does not have, is left out. Targets: first paint < 1.5 s; each
interaction < 100 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tui"))

GENERATE = """
INSERT INTO exceptions
SELECT
    'X' || lpad(upper(to_hex(i)), 12, '0') AS exception_id,
    (['vendor', 'commitment', 'commitment_line', 'budget', 'actual'])[1 + i % 5] AS object,
    (['value_mismatch', 'missing_in_procore', 'missing_in_erp', 'unmapped', 'duplicate'])[1 + (i // 5) % 5] AS kind,
    CAST(4500000000 + i // 10 AS VARCHAR) || '/' || lpad(CAST(10 * (1 + i % 10) AS VARCHAR), 5, '0') AS key,
    CAST(1000 + i % 40 AS VARCHAR) AS project,
    CASE WHEN i % 5 = 0 THEN 'amount' END AS field,
    CAST((i * 7919) % 1000000 AS VARCHAR) || '.00' AS erp_value,
    CAST((i * 104729) % 1000000 AS VARCHAR) || '.00' AS procore_value,
    CAST(((i * 7919) % 1000000) - ((i * 104729) % 1000000) AS DECIMAL(18,4)) AS difference,
    'bench.rule' AS rule,
    '{}' AS detail,
    TIMESTAMPTZ '2026-03-31 15:00:00+00', TIMESTAMPTZ '2026-03-31 15:00:00+00', 1, true
FROM range(?) t(i)
"""


def make_store(path: Path, rows: int):
    """A store with a small snapshot of both sides and ``rows`` generated exceptions."""
    from tui_fakes import write_snapshot

    from reconcile.store import Store

    store = Store(path)
    write_snapshot(store)
    store.cursor().execute(GENERATE, [rows])
    store.cursor().execute(
        "INSERT INTO decisions (exception_id, status, decided_by, decided_at) "
        "SELECT exception_id, 'explained', 'bench', now() FROM exceptions USING SAMPLE 1000 ROWS"
    )
    return store


FIRST_PAINT = r"""
import time, sys
t0 = time.perf_counter()
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
import asyncio
from pathlib import Path
from app.tui.app import TieoutApp
from reconcile.store import Store
from tui_fakes import FakeServices, make_profile
async def run():
    tmp = Path({tmp!r})
    store = Store(tmp / "demo.duckdb")
    profile = make_profile(tmp)
    app = TieoutApp(profile, store, services=FakeServices(profile, store), settings_path=tmp / "none.toml",
                    pull_on_start=False)
    async with app.run_test(size=(160, 48)) as pilot:
        while app.home is None or not app.home.query_one("#counts").content:
            await pilot.pause(0.005)
        await pilot.pause()
        print(time.perf_counter() - t0)
asyncio.run(run())
"""


def first_paint(tmp: Path, repeat: int) -> list[float]:
    """Seconds from a fresh interpreter's first import to the home screen painted with data."""
    code = FIRST_PAINT.format(root=str(ROOT), tests=str(ROOT / "tests" / "tui"), tmp=str(tmp))
    out = []
    for _ in range(repeat):
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return out


class PaintClock:
    """Timestamps of every rendered frame, and of the handlers that apply new data."""

    def __init__(self) -> None:
        self.frames: list[float] = []
        self.applied: list[float] = []

    def install(self) -> None:
        from textual.app import App

        from app.tui.screens.detail import DetailScreen
        from app.tui.screens.exceptions import ExceptionsScreen

        clock = self
        display = App._display

        def timed_display(app, screen, renderable):
            out = display(app, screen, renderable)
            if renderable is not None:
                clock.frames.append(time.perf_counter())
            return out

        App._display = timed_display  # type: ignore[method-assign]
        for cls, name in ((ExceptionsScreen, "on_grid_loaded"), (DetailScreen, "on_detail_loaded")):
            original = getattr(cls, name)
            if asyncio.iscoroutinefunction(original):

                async def wrapped_async(self, message, _original=original):
                    await _original(self, message)
                    clock.applied.append(time.perf_counter())

                setattr(cls, name, wrapped_async)
            else:

                def wrapped(self, message, _original=original):
                    _original(self, message)
                    clock.applied.append(time.perf_counter())

                setattr(cls, name, wrapped)

    def latency(self, t0: float, waits_for_data: bool) -> float:
        start = max((a for a in self.applied if a >= t0), default=None) if waits_for_data else t0
        assert start is not None, "the interaction never applied new data"
        frame = min(f for f in self.frames if f >= start)
        return frame - t0


async def interactions(store, tmp: Path, repeat: int) -> dict[str, list[float]]:
    """Filter, search, sort, page-down and open-detail on the big store, ``repeat`` times each."""
    from textual.widgets import Select
    from tui_fakes import make_app, settle

    from app.tui.screens.detail import DetailScreen

    clock = PaintClock()
    clock.install()
    app = make_app(tmp, store)
    times: dict[str, list[float]] = {
        "filter": [],
        "search": [],
        "sort": [],
        "page-down": [],
        "open-detail": [],
    }

    async with app.run_test(size=(160, 48)) as pilot:

        async def timed(name: str, act, waits_for_data: bool = True) -> None:
            await settle(pilot)
            t = time.perf_counter()
            await act()
            await settle(pilot)
            times[name].append(clock.latency(t, waits_for_data))

        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        objects = ["vendor", "budget", "actual", "commitment"]
        for i in range(repeat):
            select = screen.query_one("#object", Select)

            async def pick(value=objects[i % 4], select=select) -> None:
                select.value = value  # what Enter on the drop-down does

            await timed("filter", pick)
            await pilot.press("X")  # clear the filters (``x`` explains)
            await pilot.press("slash")
            await timed("search", lambda i=i: pilot.press(str(i % 9 + 1)))
            await pilot.press("enter", "X")
            await timed("sort", lambda: pilot.press("s"))
            await timed("page-down", lambda: pilot.press("pagedown"), waits_for_data=False)
            await timed("open-detail", lambda: pilot.press("enter"))
            assert isinstance(app.screen, DetailScreen)
            await pilot.press("escape")
            await settle(pilot)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        make_store(tmp / "demo.duckdb", 2_000).close()
        paints = first_paint(tmp, 3)
        runs = ", ".join(f"{p:.3f}" for p in paints)
        print(
            f"cold start to first paint (demo-like store, 2,000 exceptions): median {statistics.median(paints):.3f} s "
            f"(runs: {runs}; target < 1.5 s)"
        )
        t = time.perf_counter()
        big = make_store(tmp / "big.duckdb", args.rows)
        print(f"generated {args.rows:,} exceptions in {time.perf_counter() - t:.1f} s")
        times = asyncio.run(interactions(big, tmp, args.repeat))
        for name, samples in times.items():
            ms = [s * 1000 for s in samples]
            print(
                f"{name:12s} key-to-paint median {statistics.median(ms):6.1f} ms  max {max(ms):6.1f} ms"
                f"  (n={len(ms)}; target < 100 ms)"
            )
        big.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
