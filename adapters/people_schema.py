"""The canonical people tables: what every identity-provider adapter and the Procore directory
read are reduced to, and what ``reconcile.people.diff`` reads. A leaf module (Polars only), so
adapters and ``reconcile.people`` both import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

Schema = Mapping[str, pl.DataType]

PEOPLE_TABLES: dict[str, Schema] = {
    # One row per IdP user reached from the profile's groups.
    "idp_users": {
        "idp_id": pl.String(),  # Okta id, Entra object id, roster employee_id: immutable, Procore's origin_id
        "email": pl.String(),  # lower case: the key
        "given_name": pl.String(),
        "family_name": pl.String(),
        "job_title": pl.String(),
        "department": pl.String(),
        "status": pl.String(),  # as the IdP says it: ACTIVE, SUSPENDED…; enabled/disabled; the roster's status
        "enabled": pl.Boolean(),
        "groups": pl.List(pl.String()),  # the profile groups that reach the user
    },
    # Active and inactive company users.
    "procore_users": {
        "id": pl.Int64(),
        "email": pl.String(),  # email_address, lower case
        "first_name": pl.String(),
        "last_name": pl.String(),
        "job_title": pl.String(),
        "is_active": pl.Boolean(),
        "is_employee": pl.Boolean(),
        "company_template": pl.String(),  # company_permission_template.name
        "origin_id": pl.String(),
        "vendor_name": pl.String(),
        "last_login_at": pl.String(),
    },
    # Active users on each selected project, with their project permission template.
    "procore_memberships": {
        "user_id": pl.Int64(),
        "project_id": pl.Int64(),
        "project_number": pl.String(),
        "template": pl.String(),
        "template_id": pl.Int64(),
    },
    "procore_permission_templates": {
        "id": pl.Int64(),
        "name": pl.String(),
        "type": pl.String(),  # company_tools, project_specific, global
    },
}


def people_frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A frame of one people table from row dicts, with exactly its schema."""
    if not rows:
        return empty_people(name)
    return pl.DataFrame(rows, schema=dict(PEOPLE_TABLES[name]))


def empty_people(name: str) -> pl.DataFrame:
    """A people table with no rows."""
    return pl.DataFrame(schema=dict(PEOPLE_TABLES[name]))
