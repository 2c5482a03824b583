"""Approve-then-push: one exception at a time, written once, audited.

The one code path the TUI's confirm modal and ``tieout push`` share:

    plan = plan_push(store, profile, exception_id)      # never writes; re-reads the target
    show(plan.render())                                  # method, URL, body, the target now
    if confirmed and plan.can_push:
        result = execute_push(store, profile, plan, actor=user)

Inside a running event loop use the ``*_async`` variants. The modules:

- ``model``: the plan, its HTTP calls and the result (what the analyst confirms);
- ``plan``: which exceptions can be pushed and in which direction, and the planners' context;
- ``plan_procore`` / ``plan_sap``: the planners of each target side;
- ``fresh``: read-before-write, whether a target is still what the snapshot said;
- ``exec``: sending a plan exactly once, and the queue of failed pushes;
- ``clients``: the HTTP clients a push uses, made from the profile.
"""

from __future__ import annotations

from reconcile.push.exec import (
    CRASH_HOOK,
    execute_push,
    execute_push_async,
    failed_pushes,
    retry_push,
    retry_push_async,
)
from reconcile.push.model import Direction, HttpCall, PushError, PushPlan, PushResult
from reconcile.push.plan import plan_push, plan_push_async, routes_for

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
