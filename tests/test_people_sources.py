"""From a profile to people exceptions: the roster as the IdP, access.csv from the mapping folder."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from mappings.errors import MappingError
from reconcile.people.schema import people_frame
from reconcile.people.sources import idp_adapter, roster_users, run_people_diff
from reconcile.profile import ProfileError, load_profile

PROFILE = """
name = "Acme HR"
store = "hr.duckdb"

[procore]
company_id = 1
client_id = "abc"

[people]
idp = "csv"
roster = "hr/roster.csv"
sso_domains = ["acme.com"]
"""


def setup(tmp_path: Path, access: str | None) -> Path:
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "roster.csv").write_text(
        "employee_id,email,first_name,last_name,job_title,department,status,groups\n"
        "E1,ann.lee@acme.com,Ann,Lee,PM,Ops,Active,Procore Users\n"
        "E2,bob.ray@acme.com,Bob,Ray,,Ops,Terminated,Procore Users\n"
    )
    (tmp_path / "mappings").mkdir()
    if access is not None:
        (tmp_path / "mappings" / "access.csv").write_text(access)
    p = tmp_path / "hr.toml"
    p.write_text(PROFILE)
    return p


def directory() -> dict[str, pl.DataFrame]:
    user = {
        "first_name": "Ann",
        "last_name": "Lee",
        "job_title": "PM",
        "is_active": True,
        "is_employee": True,
        "company_template": "Std",
        "origin_id": "E1",
        "vendor_name": None,
        "last_login_at": None,
    }
    return {
        "procore_users": people_frame(
            "procore_users",
            [
                {"id": 1, "email": "ann.lee@acme.com", **user},
                {"id": 2, "email": "bob.ray@acme.com", **user, "first_name": "Bob", "last_name": "Ray"},
            ],
        ),
        "procore_memberships": people_frame(
            "procore_memberships",
            [{"user_id": 1, "project_id": 10, "project_number": "P-1", "template": "PM", "template_id": 5}],
        ),
    }


def test_a_roster_profile_diffs_with_and_without_access(tmp_path: Path) -> None:
    profile = load_profile(setup(tmp_path, None))
    users = roster_users(profile)
    out = run_people_diff(profile, users, directory(), ["P-1"])
    assert [(r["key"], r["kind"], r["erp_value"]) for r in out.iter_rows(named=True)] == [
        ("bob.ray@acme.com", "orphaned", "Terminated")
    ]
    with pytest.raises(ProfileError, match="roster_users"):
        idp_adapter(profile)


def test_access_csv_names_an_unknown_project(tmp_path: Path) -> None:
    profile = load_profile(
        setup(tmp_path, "idp_group,procore_project_number,permission_template\nProcore Users,P-9,PM\n")
    )
    with pytest.raises(MappingError, match=r"mappings/access.csv line 2: procore_project_number 'P-9'"):
        run_people_diff(profile, roster_users(profile), directory(), ["P-1"], known_projects=["P-1"])


def test_access_csv_grants_are_reviewed(tmp_path: Path) -> None:
    profile = load_profile(
        setup(
            tmp_path,
            "idp_group,procore_project_number,permission_template\n"
            "Procore Users,,Std\nProcore Users,P-1,Field\n",
        )
    )
    out = run_people_diff(profile, roster_users(profile), directory(), ["P-1"])
    assert ("ann.lee@acme.com", "access_mismatch", "P-1", "Field", "PM") in [
        (r["key"], r["kind"], r["project"], r["erp_value"], r["procore_value"])
        for r in out.iter_rows(named=True)
    ]
