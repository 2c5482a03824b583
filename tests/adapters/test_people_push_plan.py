"""People push plans applied to the Procore simulator over loopback: after every planned
request, a fresh directory read diffed again is in sync."""

from __future__ import annotations

import polars as pl
import pytest
from people_fixtures import directory_seed
from procore_fixtures import COMPANY_ID, DictSink, make_sim, procore_seed, secret, settings_for

from adapters.procore.client import ProcoreClient
from adapters.procore.simulator import ProcoreSimulator
from adapters.procore.users import DirectoryPull, canonicalize_directory, project_roles
from mappings.access import AccessTable
from reconcile.people.diff import diff_people
from reconcile.people.push_plan import Directory, IdpPerson, PeoplePlanError, plan_people_push
from reconcile.people.schema import people_frame
from reconcile.people.settings import PeopleSettings

SETTINGS = PeopleSettings(
    idp="okta", base_url="https://acme.okta.com", groups=["Procore Users"], sso_domains=["acme.com"]
)
ACCESS = AccessTable.from_rows(
    [
        ("Procore Users", None, "Company Standard"),
        ("Procore Users", "P-1000", "Project Manager"),
        ("Procore Users", "P-1001", "Field"),
    ]
)


def idp_users() -> pl.DataFrame:
    """n0 in sync but for its P-1001 template; n1 renamed and re-titled; n2 suspended (orphan);
    n3 fine; n4 gone from the IdP (orphan); n5 inactive in Procore; a new hire."""
    people = [
        ("User", "N0", "Engineer", True),
        ("Usera", "N1-X", "PM", True),
        ("User", "N2", "Engineer", False),
        ("User", "N3", "Engineer", True),
        ("User", "N5", "Engineer", True),
        ("New", "Hire", "Intern", True),
    ]
    rows = []
    for i, (given, family, title, enabled) in enumerate(people):
        email = {4: "user.n5@acme.com", 5: "new.hire@acme.com"}.get(i, f"user.n{i}@acme.com")
        rows.append(
            {
                "idp_id": f"00u-{i}",
                "email": email,
                "given_name": given,
                "family_name": family,
                "job_title": title,
                "department": None,
                "status": "ACTIVE" if enabled else "SUSPENDED",
                "enabled": enabled,
                "groups": ["Procore Users"],
            }
        )
    return people_frame("idp_users", rows)


async def directory(sim: ProcoreSimulator) -> dict[str, pl.DataFrame]:
    client = ProcoreClient(settings_for(sim.base_url), secret())
    sink = DictSink()
    try:
        await DirectoryPull(client, client.settings, sink).run()
    finally:
        await client.aclose()
    return canonicalize_directory(sink.reader())


def diff(frames: dict[str, pl.DataFrame], idp: pl.DataFrame) -> pl.DataFrame:
    return diff_people(
        idp, frames["procore_users"], frames["procore_memberships"], ACCESS, SETTINGS, ["P-1000", "P-1001"]
    )


@pytest.fixture
def dsim():
    seed = directory_seed(procore_seed())
    s = make_sim(seed, per_page_cap=50, rate_limit_hour=1_000_000, rate_limit_spike=100_000)
    s.start()
    yield s
    s.stop()


async def apply_round(sim: ProcoreSimulator, idp: pl.DataFrame, owned: dict[str, list[str]]) -> list[str]:
    """Plan and apply every open exception once; returns the actions taken."""
    frames = await directory(sim)
    d = Directory.from_frames(
        COMPANY_ID,
        frames["procore_users"],
        frames["procore_memberships"],
        frames["procore_permission_templates"],
    )
    people = {
        r["email"]: IdpPerson(r["idp_id"], r["email"], r["given_name"], r["family_name"], r["job_title"])
        for r in idp.iter_rows(named=True)
    }
    client = ProcoreClient(settings_for(sim.base_url), secret())
    actions: list[str] = []
    try:
        for exc in diff(frames, idp).iter_rows(named=True):
            plan = plan_people_push(exc, d, people.get(exc["key"]), "Company Standard")
            await client.request("GET", plan.read_before, resource="people_push")  # the target as it is now
            if plan.action == "create":
                assert plan.body and plan.body["user"]["origin_id"] == "00u-5"
            for pid in plan.owned_roles_on:
                owned[exc["key"]] = [
                    r.role or "" for r in await project_roles(client, pid, plan.user_id or 0)
                ]
            await client.request(plan.method, plan.path, resource="people_push", json=plan.body)
            actions.append(plan.action)
    finally:
        await client.aclose()
    return actions


async def test_every_people_push_applies_and_ties_out(dsim: ProcoreSimulator) -> None:
    # The suspended user n2 is on project 100 as its Superintendent: shown before deactivating.
    dsim.data["project_users"]["100"].append({"user_id": 5002, "permission_template_id": 11})
    dsim.data["project_roles"]["100"].append(
        {"id": 78, "role": "Superintendent", "name": "N2", "user_id": 5002}
    )
    idp = idp_users()
    owned: dict[str, list[str]] = {}
    first = await apply_round(dsim, idp, owned)
    assert {"create", "update", "reactivate", "deactivate", "change_project_template"} <= set(first)
    # A created or reactivated user gets their projects in the next round, as after the next pull
    # (n5 comes back with the Field membership it held when it was deactivated).
    second = await apply_round(dsim, idp, owned)
    assert set(second) == {"add_to_project", "change_project_template"}
    assert await apply_round(dsim, idp, owned) == []
    assert owned == {"user.n2@acme.com": ["Superintendent"]}
    # A created user is found again by its IdP id (what a retry after a crash relies on).
    assert [u["email_address"] for u in dsim.data["users"] if u.get("origin_id") == "00u-5"] == [
        "new.hire@acme.com"
    ]


def test_a_template_procore_lacks_is_one_sentence() -> None:
    d = Directory(1, {"ann@acme.com": 5}, {}, {}, {"P-1": 10}, {})
    exc = {
        "exception_id": "X1",
        "kind": "access_mismatch",
        "key": "ann@acme.com",
        "project": "P-1",
        "field": "",
        "erp_value": "Nope",
        "procore_value": None,
    }
    with pytest.raises(PeoplePlanError, match="no project permission template named 'Nope'"):
        plan_people_push(exc, d)
