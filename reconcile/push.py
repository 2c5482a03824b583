"""Approve-then-push: one exception at a time, written once, audited.

The one code path the TUI's confirm modal and ``tieout push`` share:

    plan = plan_push(store, profile, exception_id)      # never writes; re-reads the target
    show(plan.render())                                  # method, URL, body, the target now
    if confirmed and plan.can_push:
        result = execute_push(store, profile, plan, actor=user)

Inside a running event loop use the ``*_async`` variants. See ``push_exec`` for the
exactly-once order of operations and ``push_plan`` for which exceptions can be pushed.
"""

from __future__ import annotations

from reconcile.push_exec import (
    CRASH_HOOK,
    execute_push,
    execute_push_async,
    failed_pushes,
    retry_push,
    retry_push_async,
)
from reconcile.push_model import Direction, HttpCall, PushError, PushPlan, PushResult
from reconcile.push_plan import plan_push, plan_push_async, routes_for

__all__ = [
    "CRASH_HOOK",
    "Direction",
    "HttpCall",
    "PushError",
    "PushPlan",
    "PushResult",
    "execute_push",
    "execute_push_async",
    "failed_pushes",
    "plan_push",
    "plan_push_async",
    "retry_push",
    "retry_push_async",
    "routes_for",
]
