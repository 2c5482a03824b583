"""The people diff: one example per kind and field, exclusions, the access table's conflicts."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from mappings.access import AccessTable
from mappings.errors import MappingError
from reconcile.people.diff import diff_people, people_exception_id
from reconcile.people.schema import people_frame
from reconcile.people.settings import PeopleSettings

SETTINGS = PeopleSettings(
    idp="okta",
    base_url="https://acme.okta.com",
    groups=["Procore Users", "Field"],
    sso_domains=["acme.com"],
    exclude=["Break.Glass@ACME.com"],
)
ACCESS = AccessTable.from_rows(
    [
        ("Procore Users", None, "Company Standard"),
        ("Procore Users", "P-1", "Project Manager"),
        ("Field", "P-2", "Field"),
    ]
)
PROJECTS = ["P-1", "P-2"]


def idp(email: str, **kw: Any) -> dict[str, Any]:
    first, last = email.split("@")[0].split(".")
    row = {
        "idp_id": f"id-{email}",
        "email": email,
        "given_name": first.title(),
        "family_name": last.title(),
        "job_title": "Engineer",
        "department": None,
        "status": "ACTIVE",
        "enabled": True,
        "groups": ["Procore Users"],
    }
    return {**row, **kw}


def pc(uid: int, email: str, **kw: Any) -> dict[str, Any]:
    first, last = email.split("@")[0].split(".")
    row = {
        "id": uid,
        "email": email,
        "first_name": first.title(),
        "last_name": last.title(),
        "job_title": "Engineer",
        "is_active": True,
        "is_employee": True,
        "company_template": "Company Standard",
        "origin_id": None,
        "vendor_name": "Acme",
        "last_login_at": None,
    }
    return {**row, **kw}


def member(uid: int, project: str, template: str | None) -> dict[str, Any]:
    return {
        "user_id": uid,
        "project_id": int(project[2:]),
        "project_number": project,
        "template": template,
        "template_id": None,
    }


def run(
    idps: list[dict[str, Any]],
    pcs: list[dict[str, Any]],
    members: list[dict[str, Any]],
    access: AccessTable = ACCESS,
    settings: PeopleSettings = SETTINGS,
) -> pl.DataFrame:
    return diff_people(
        people_frame("idp_users", idps),
        people_frame("procore_users", pcs),
        people_frame("procore_memberships", members),
        access,
        settings,
        PROJECTS,
    )


def found(frame: pl.DataFrame) -> set[tuple[str, str, str, str | None, str | None, str | None]]:
    return {
        (r["key"], r["kind"], r["field"], r["project"], r["erp_value"], r["procore_value"])
        for r in frame.iter_rows(named=True)
    }


def test_in_sync_gives_nothing() -> None:
    assert (
        run(
            [idp("ann.lee@acme.com")], [pc(1, "ann.lee@acme.com")], [member(1, "P-1", "Project Manager")]
        ).height
        == 0
    )


def test_missing_in_procore_and_inactive() -> None:
    out = run(
        [idp("new.hire@acme.com"), idp("back.again@acme.com")],
        [pc(2, "back.again@acme.com", is_active=False)],
        [],
    )
    assert found(out) == {
        ("new.hire@acme.com", "missing_in_procore", "", None, "New Hire", None),
        ("back.again@acme.com", "value_mismatch", "is_active", None, "true", "false"),
    }


def test_a_disabled_user_known_to_procore_inactive_is_fine() -> None:
    assert (
        run(
            [idp("old.hand@acme.com", status="DEPROVISIONED", enabled=False)],
            [pc(3, "old.hand@acme.com", is_active=False)],
            [],
        ).height
        == 0
    )


def test_name_title_and_company_template() -> None:
    out = run(
        [idp("ann.lee@acme.com", family_name="Lee-Park", job_title=None)],
        [pc(1, "Ann.Lee@ACME.com", job_title="PM", company_template="Company Admin")],
        [member(1, "P-1", "Project Manager")],
    )
    assert found(out) == {
        ("ann.lee@acme.com", "value_mismatch", "name", None, "Ann Lee-Park", "Ann Lee"),
        ("ann.lee@acme.com", "value_mismatch", "job_title", None, "", "PM"),
        (
            "ann.lee@acme.com",
            "value_mismatch",
            "permission_template",
            None,
            "Company Standard",
            "Company Admin",
        ),
    }


def test_orphans_only_in_sso_domains() -> None:
    out = run(
        [
            idp("gone.girl@acme.com", status="SUSPENDED", enabled=False),
            idp("else.where@acme.com", groups=["Other"]),
        ],
        [
            pc(4, "gone.girl@acme.com"),
            pc(5, "else.where@acme.com"),
            pc(6, "no.body@acme.com"),
            pc(7, "sub.guy@steelco.com"),
            pc(8, "old.timer@acme.com", is_active=False),
        ],
        [member(7, "P-1", "Field")],
    )
    assert found(out) == {
        ("gone.girl@acme.com", "orphaned", "", None, "SUSPENDED", "active"),
        ("else.where@acme.com", "orphaned", "", None, "in no profile group", "active"),
        ("no.body@acme.com", "orphaned", "", None, "absent from the IdP", "active"),
    }


def test_access_one_row_per_user_and_project() -> None:
    out = run(
        [idp("ann.lee@acme.com", groups=["Procore Users", "Field"]), idp("bob.ray@acme.com")],
        [pc(1, "ann.lee@acme.com"), pc(2, "bob.ray@acme.com")],
        [
            member(1, "P-1", "Field"),
            member(2, "P-1", "Project Manager"),
            member(2, "P-2", "Field"),
            member(2, "P-9", "Field"),
        ],  # P-9 is not a profile project
    )
    assert found(out) == {
        ("ann.lee@acme.com", "access_mismatch", "", "P-1", "Project Manager", "Field"),
        ("ann.lee@acme.com", "access_mismatch", "", "P-2", "Field", None),
        ("bob.ray@acme.com", "access_mismatch", "", "P-2", None, "Field"),
    }
    ids = dict(zip(out["project"], out["exception_id"], strict=False))
    assert (
        people_exception_id("ann.lee@acme.com", "access_mismatch", "", "P-1") in out["exception_id"].to_list()
    )
    assert len(set(out["exception_id"])) == 3 and ids


def test_exclude_silences_every_row() -> None:
    idps = [idp("break.glass@acme.com", status="SUSPENDED", enabled=False), idp("new.admin@acme.com")]
    pcs = [pc(9, "Break.Glass@acme.com", job_title="Admin")]
    assert run(idps, pcs, []).height == 1  # new.admin is missing; break.glass silenced
    unexcluded = SETTINGS.model_copy(update={"exclude": []})
    assert {r["kind"] for r in run(idps, pcs, [], settings=unexcluded).iter_rows(named=True)} == {
        "orphaned",
        "missing_in_procore",
    }


def test_two_groups_granting_one_user_two_templates_is_an_error_naming_both_lines() -> None:
    access = AccessTable.from_rows([("Procore Users", "P-1", "Project Manager"), ("Field", "P-1", "Field")])
    with pytest.raises(MappingError, match=r"ann.lee@acme.com .* lines 2, 3"):
        run(
            [idp("ann.lee@acme.com", groups=["Procore Users", "Field"])],
            [pc(1, "ann.lee@acme.com")],
            [],
            access=access,
        )
    # Nobody in both groups: the same table is fine.
    assert (
        run(
            [idp("ann.lee@acme.com")],
            [pc(1, "ann.lee@acme.com")],
            [member(1, "P-1", "Project Manager")],
            access=access,
        ).height
        == 0
    )


def test_one_group_granting_two_templates_is_a_static_error() -> None:
    with pytest.raises(
        MappingError, match=r"line 3: group 'Field' grants two templates for project P-1 \(lines 2 and 3\)"
    ):
        AccessTable.from_rows([("Field", "P-1", "Field"), ("Field", "P-1", "Project Manager")])
