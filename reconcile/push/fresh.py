"""Read-before-write: is the target still the record the exception was found on?

A target's *stamp* is the values of its ``stamp_fields`` (Procore: ``updated_at``; SAP:
the compared fields, with the ETag enforced by SAP itself through ``If-Match``). A stamp
that moved since the snapshot means someone else changed the record: the push is refused
and the exception must be re-diffed. The one exception is a target that already shows the
wanted values, which is what an interrupted earlier push leaves behind.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from reconcile.push.clients import stamp as time_stamp
from reconcile.push.model import PushPlan


def norm(value: Any) -> str | None:
    """One text per value: numbers compared as decimals ("10.000" == "10"), times in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value).lower()
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        text = str(value)
        return time_stamp(text) if "T" in text and text[:4].isdigit() else text
    if not d.is_finite():
        return str(value)
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))


def get_path(record: dict[str, Any] | None, path: str) -> Any:
    """``record["cost_code"]["id"]`` for ``"cost_code.id"``; None when any step is missing."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def stamp_of(record: dict[str, Any] | None, fields: list[str]) -> str | None:
    """The record's change stamp over ``fields``."""
    if record is None:
        return None
    if fields == ["updated_at"]:
        return time_stamp(record.get("updated_at"))
    return json.dumps({f: norm(get_path(record, f)) for f in fields}, sort_keys=True)


def applied(record: dict[str, Any] | None, desired: dict[str, Any]) -> bool:
    """True when the record already holds every wanted value."""
    return (
        bool(desired)
        and record is not None
        and all(norm(get_path(record, k)) == norm(v) for k, v in desired.items())
    )


def check_fresh(plan: PushPlan, what: str, system: str) -> None:
    """Mark the plan already applied, or refuse it when the target changed since the snapshot."""
    if applied(plan.target, plan.desired):
        plan.already_applied = True
        return
    if plan.snapshot_stamp is not None and plan.current_stamp != plan.snapshot_stamp:
        plan.refusal = (
            f"{what} changed in {system} since the snapshot ({plan.snapshot_stamp} → {plan.current_stamp}); "
            "pull and diff again before pushing."
        )
