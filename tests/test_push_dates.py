"""The date a push posts on: inside the period being closed, not in the next one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reconcile.close import api
from reconcile.push.plan import PlanContext
from reconcile.store import Store


def _ctx(store: Store) -> PlanContext:
    return PlanContext(store=store, profile=None, clients=None, exc={}, detail={}, plan=None)  # type: ignore[arg-type]


def test_a_push_after_the_cutoff_posts_on_the_cutoff(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.duckdb")
    ctx = _ctx(store)
    assert ctx.posting_date(date(2026, 12, 2)) == date(2026, 12, 2)  # no close: today
    api.open_close(store, "2026-11", actor="ana")
    assert ctx.posting_date(date(2026, 12, 2)) == date(2026, 11, 30)  # after month-end: in November
    assert ctx.posting_date(date(2026, 11, 20)) == date(2026, 11, 20)  # before the cut-off: today
    store.close()
