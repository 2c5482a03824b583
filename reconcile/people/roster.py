"""The HR roster as an identity source: a CSV validated like the mapping tables.

Header ``employee_id,email,first_name,last_name,job_title,department,status,groups``; extra
columns are ignored (HR exports carry many); ``groups`` is ``;``-separated. A user is enabled
when ``status`` is ``Active`` (compared without regard to case: an export's ``ACTIVE`` must
not disable the whole company). ``employee_id`` is the immutable id a created Procore user
carries as ``origin_id``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from mappings.access import read_csv_rows
from mappings.errors import MappingError
from reconcile.people.schema import people_frame

ROSTER_COLUMNS = (
    "employee_id",
    "email",
    "first_name",
    "last_name",
    "job_title",
    "department",
    "status",
    "groups",
)


def load_roster(path: Path, label: str | None = None) -> pl.DataFrame:
    """The roster as the ``idp_users`` frame; any problem is a ``MappingError`` naming file and line."""
    label = label or path.name
    rows: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    emails: dict[str, int] = {}
    for line, r in read_csv_rows(path, label, ROSTER_COLUMNS, extra_ok=True):
        emp, email, status = r["employee_id"], (r["email"] or "").lower(), r["status"]
        if emp is None:
            raise MappingError(label, line, "employee_id is empty.")
        if email.count("@") != 1 or email.startswith("@") or email.endswith("@"):
            raise MappingError(label, line, f"email {r['email']!r} is not an e-mail address.")
        if status is None:
            raise MappingError(label, line, "status is empty (Active, or anything else for a disabled user).")
        if emp in ids:
            raise MappingError(label, line, f"employee_id {emp} appears twice (lines {ids[emp]} and {line}).")
        if email in emails:
            raise MappingError(
                label, line, f"email {email} appears twice (lines {emails[email]} and {line})."
            )
        ids[emp], emails[email] = line, line
        groups = [g.strip() for g in (r["groups"] or "").split(";") if g.strip()]
        rows.append(
            {
                "idp_id": emp,
                "email": email,
                "given_name": r["first_name"],
                "family_name": r["last_name"],
                "job_title": r["job_title"],
                "department": r["department"],
                "status": status,
                "enabled": status.lower() == "active",
                "groups": list(dict.fromkeys(groups)),
            }
        )
    return people_frame("idp_users", rows)
