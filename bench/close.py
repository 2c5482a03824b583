"""A scripted close: keystrokes per decision and the slowest step, as a skilled analyst works.

Run: ``.venv/bin/python bench/close.py`` (the demo company) or ``--big N`` (step latency on a
store of N generated exceptions). Headless, through Textual's pilot, against the demo's
simulators over loopback.

The analyst: the workstation pulls and diffs on start; ``2`` opens the grid, and each kind of
exception gets the reason its kind calls for, all its rows at once: ``k`` (the next kind),
``*`` (every row of the filter), ``x``, the reason's digit, ``enter`` (the dialog names the count
and is its one confirmation). A kind already decided is passed over with ``k``; the last ``k``
shows every kind again. ``5`` opens the People tab and its kinds are decided the same way; then
``S`` and ``y`` sign the period off. Every key is counted, and each exception is
still its own audited decision. A step is one key press until the app settles (its workers done
and their messages handled); ``--big`` also reports key-to-paint and the app's own work.
Targets: at most 1.2 keystrokes per decision; no step over 100 ms at 1,000,000 exceptions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tui"))
sys.path.insert(0, str(ROOT / "bench"))


class Keys:
    """Presses keys through the pilot, counting each and timing each until the app settles."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.count = 0
        self.steps: list[tuple[str, float]] = []

    async def press(self, *keys: str) -> None:
        from tui_fakes import settle

        for key in keys:
            t0 = time.perf_counter()
            await self.pilot.press(key)
            await settle(self.pilot)
            self.steps.append((key, (time.perf_counter() - t0) * 1000))
            self.count += 1

    def slowest(self) -> tuple[str, float]:
        return max(self.steps, key=lambda s: s[1])


class WorkClock:
    """The app's own work in a step: its handlers on the UI thread and what its workers read
    and write (background ones included: home's summary, the grid's patch), wall time summed
    (Textual's restyle, layout and paint, and Pilot's waiting, left out). Wall time, because
    DuckDB runs a large query on threads of its own; on a busy machine it includes waiting
    for a core."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, float]] = []

    def install(self) -> None:
        from app.tui.flows import detail as detail_flow
        from app.tui.screens import detail, exceptions
        from app.tui.services import Services
        from reconcile import decisions, query

        targets: list[tuple[Any, str]] = [
            (query.GridCache, "page"),
            (query.GridCache, "load"),
            (exceptions, "with_statuses"),
            (detail, "load_detail"),
            (detail_flow, "load_detail"),
            (decisions, "decide"),
            (decisions, "assign"),
            (query, "home_summary"),
            (Services, "close_status"),
            (exceptions.ExceptionsScreen, "on_grid_loaded"),
            (exceptions.ExceptionsScreen, "action_mark_all"),
            (exceptions.ExceptionsScreen, "set_statuses"),
            (exceptions.ExceptionsScreen, "advance"),
            (exceptions.ExceptionsScreen, "set_filter"),
            (detail.DetailScreen, "on_detail_loaded"),
            (detail.DetailScreen, "advance"),
        ]
        for owner, name in targets:
            if hasattr(owner, name):
                setattr(owner, name, self._timed(getattr(owner, name)))

    def _timed(self, fn: Any) -> Any:
        calls = self.calls
        if asyncio.iscoroutinefunction(fn):

            async def timed_async(*args: Any, **kw: Any) -> Any:
                t = time.perf_counter()
                try:
                    return await fn(*args, **kw)
                finally:
                    calls.append((t, time.perf_counter() - t))

            return timed_async

        def timed(*args: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                calls.append((t, time.perf_counter() - t))

        return timed

    def since(self, t0: float) -> float:
        return sum(d for t, d in self.calls if t >= t0)


def _undecided(store: Any) -> list[tuple[str, str]]:
    rows = store.cursor().execute(
        "SELECT e.exception_id, e.kind FROM exceptions e LEFT JOIN decisions d USING (exception_id) "
        "WHERE e.is_open AND d.exception_id IS NULL"
    )
    return [(str(r[0]), str(r[1])) for r in rows.fetchall()]


async def _decide_by_kind(app: Any, keys: Keys, digit: dict[str, str]) -> None:
    """On the grid shown: each kind in turn (``k``), every row of it (``*``), explained (``x``,
    the kind's reason digit, ``enter``; a question after it, if any, answered ``y``). A kind whose rows are all decided
    already is passed over with ``k``, as an analyst reading the status column would. The last ``k`` shows every kind again."""
    import dataclasses

    from tui_fakes import notes

    from app.tui.screens.modals import ConfirmModal
    from reconcile import query

    grid = app.screen
    while True:
        await keys.press("k")
        f = grid.filter
        if f.kind is None:
            return
        if not query.count(app.store, dataclasses.replace(f, state="undecided")):
            continue
        await keys.press("asterisk", "x", digit.get(f.kind, "1"), "enter")
        while isinstance(app.screen, ConfirmModal):  # the count to confirm (a single row has none)
            await keys.press("y")
        if query.count(app.store, dataclasses.replace(f, state="undecided")):
            raise SystemExit(f"kind {f.kind} still has undecided rows: {notes(app)[-2:]}")


async def demo_close(size: tuple[int, int]) -> tuple[int, int, tuple[str, float]]:
    """Close the demo company; returns (keystrokes, decisions, slowest step)."""
    from tui_fakes import notes, settle

    from app.demo import demo_environment
    from app.tui.app import TieoutApp
    from reconcile import decisions
    from reconcile.close import api
    from reconcile.profile import load_profile
    from reconcile.store import Store

    with tempfile.TemporaryDirectory(prefix="tieout-bench-close-") as tmp, demo_environment(Path(tmp)) as env:
        profile = load_profile(env.profile_path)
        store = Store(profile.store_path)
        # `tieout close` opens the period at the command line, before the workstation starts.
        api.open_close(store, actor=decisions.default_actor())
        app = TieoutApp(profile, store, pull_on_start=True, settings_path=Path(tmp) / "none.toml")
        async with app.run_test(size=size) as pilot:
            await settle(pilot, rounds=50)
            keys = Keys(pilot)
            undecided = _undecided(store)
            kinds = sorted({k for _, k in undecided})
            reasons = max(1, min(9, len(app.profile.rules.reason_codes)))
            digit = {k: str(1 + i % reasons) for i, k in enumerate(kinds)}
            await keys.press("2")  # the exceptions grid: money only
            await _decide_by_kind(app, keys, digit)
            if _undecided(store):
                await keys.press("5")  # the People tab: the workforce's exceptions
                await _decide_by_kind(app, keys, digit)
            left = _undecided(store)
            if left:
                raise SystemExit(f"{len(left)} exceptions left undecided after the walk")
            made = len(undecided)  # each one its own audited decision, bulk or single
            await keys.press("S", "y")
            if not any("signed" in n for n in notes(app)):
                raise SystemExit(f"the sign-off did not happen: {notes(app)[-3:]}")
            return keys.count, made, keys.slowest()


async def big(
    rows: int, size: tuple[int, int], repeat: int = 3
) -> list[tuple[str, list[float], list[float], list[float]]]:
    """Step latency on a store of ``rows`` generated exceptions: filter, next kind, mark-all, detail, the explain dialog, a decision, repeat.

    Three figures per step, each over ``repeat`` tries: the app's own work (``WorkClock``:
    its handlers and its workers' reads and writes, summed); key-to-paint (from just before
    the key to the first frame rendered after the step's data was applied, ``bench/tui.py``'s
    clock: the app's work plus Textual's restyle, layout and paint); and key-to-settled, which
    adds Pilot's settle (every worker, background ones included, finished and their messages
    handled) as the figures before did. A no-op key's settle is printed for scale.
    """
    from tui import PaintClock, make_store
    from tui_fakes import make_app, settle

    from app.tui.screens.detail import DetailScreen

    clock = PaintClock()
    clock.install()
    work = WorkClock()
    work.install()
    with tempfile.TemporaryDirectory(prefix="tieout-bench-close-big-") as tmp:
        t0 = time.perf_counter()
        store = make_store(Path(tmp) / "big.duckdb", rows)
        print(f"store of {rows:,} exceptions made in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        app = make_app(Path(tmp), store)
        out: dict[str, tuple[list[float], list[float], list[float]]] = {}
        async with app.run_test(size=size) as pilot:

            async def timed(name: str, act: Any, waits_for_data: bool = True, paints: bool = True) -> None:
                await settle(pilot)
                t = time.perf_counter()
                await act()
                await settle(pilot)
                settled = (time.perf_counter() - t) * 1000
                own, paint, full = out.setdefault(name, ([], [], []))
                own.append(work.since(t) * 1000)
                if paints:
                    paint.append(clock.latency(t, waits_for_data) * 1000)
                full.append(settled)

            def press(*keys: str) -> Any:
                return lambda: pilot.press(*keys)

            await settle(pilot)
            await pilot.press("2")
            await settle(pilot)
            grid = app.screen
            for i in range(repeat):
                await timed("(no-op key: Pilot's own cost)", press("F12"), paints=False)
                obj = ("actual", "budget", "vendor", "commitment")[i % 4]

                async def pick(obj: str = obj) -> None:
                    grid.set_filter(object=obj)  # what the object filter's Select does on a change

                await timed("filter object", pick)
                await timed("k the next kind", press("k"))
                await timed("* mark every row of the filter", press("asterisk"), waits_for_data=False)
                await pilot.press("asterisk")  # unmark again
                await timed("enter open the detail", press("enter"))
                assert isinstance(app.screen, DetailScreen)
                await timed("x open the explain dialog", press("x"), waits_for_data=False)
                await pilot.press("1")
                await settle(pilot)
                await timed("x 1 enter explain (the enter)", press("enter"))
                await timed(". repeat on the next", press("full_stop"))
                await pilot.press("escape")
            return [(name, *figures) for name, figures in out.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--big", type=int, default=0, help="also measure step latency on N generated exceptions"
    )
    parser.add_argument("--repeat", type=int, default=3, help="tries of each --big step")
    args = parser.parse_args(argv)
    size = (160, 48)
    worst: tuple[str, float] | None = None  # the slowest key-to-paint at --big rows: the target's figure
    if args.big:
        for name, own, paint, full in asyncio.run(big(args.big, size, args.repeat)):
            if paint and (worst is None or max(paint) > worst[1]):
                worst = (f"{name} at {args.big:,} exceptions, key-to-paint", max(paint))
            shown = (
                f"key-to-paint median {statistics.median(paint):.0f} ms max {max(paint):.0f} ms; "
                if paint
                else ""
            )
            print(
                f"{args.big:,} exceptions  {name}: app's work median {statistics.median(own):.0f} ms "
                f"max {max(own):.0f} ms; {shown}key-to-settled median {statistics.median(full):.0f} ms "
                f"max {max(full):.0f} ms (n={len(full)})"
                + (f"; key-to-paint each try: {', '.join(f'{v:.0f}' for v in paint)} ms" if paint else "")
            )
    count, made, (key, ms) = asyncio.run(demo_close(size))
    if worst is None:
        print(f"slowest step: {key} in the demo's close, key-to-settled")
    else:
        print(f"slowest step: {worst[0]} (the demo's close: {key}, {ms:.0f} ms to settle)")
        ms = worst[1]
    print(f"keystrokes per decision: {count / made:.2f}  decisions: {made}  slowest step: {ms:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
