"""Laws of the people diff, for any directory: a directory against its mirror is in sync;
excluded users never appear; outside collaborators are never orphaned."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mappings.access import AccessTable
from reconcile.people.diff import diff_people
from reconcile.people.schema import people_frame
from reconcile.people.settings import PeopleSettings

ACCESS = AccessTable.from_rows(
    [("G1", None, "Std"), ("G1", "P-1", "PM"), ("G2", "P-2", "Field"), ("G3", "P-1", "PM")]
)
GRANTS = {"G1": [("P-1", "PM")], "G2": [("P-2", "Field")], "G3": [("P-1", "PM")]}
PROJECTS = ["P-1", "P-2", "P-3"]
DOMAINS = ["acme.com", "steelco.com", "arch.io"]
LAW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(alphabet="abcdeé' -", min_size=0, max_size=6)
person = st.fixed_dictionaries(
    {
        "local": st.text(alphabet="abcdefgh", min_size=1, max_size=4),
        "domain": st.sampled_from(DOMAINS),
        "given": names,
        "family": names,
        "title": st.one_of(st.none(), st.sampled_from(["PM", "Super", ""])),
        "groups": st.lists(st.sampled_from(["G1", "G2", "G3", "Other"]), max_size=3, unique=True),
        "enabled": st.booleans(),
        "in_idp": st.booleans(),
        "active": st.booleans(),
        "in_procore": st.booleans(),
        "template": st.sampled_from(["Std", "Admin", None]),
        "projects": st.lists(
            st.sampled_from([("P-1", "PM"), ("P-2", "Field"), ("P-3", "PM"), ("P-1", "Field")]),
            max_size=3,
            unique_by=lambda x: x[0],
        ),
    }
)
people = st.lists(person, max_size=12, unique_by=lambda p: (p["local"], p["domain"]))


def config(exclude: list[str] | None = None) -> PeopleSettings:
    return PeopleSettings(
        idp="okta",
        base_url="https://x.okta.com",
        groups=["G1", "G2", "G3"],
        sso_domains=["acme.com"],
        exclude=exclude or [],
    )


def frames(ps: list[dict[str, Any]], mirror: bool) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    idps, pcs, members = [], [], []
    for i, p in enumerate(ps):
        email = f"{p['local']}@{p['domain']}"
        groups = [g for g in p["groups"] if g != "Other"] or ["G1"] if mirror else p["groups"]
        if mirror or p["in_idp"]:
            idps.append(
                {
                    "idp_id": f"u{i}",
                    "email": email,
                    "given_name": p["given"],
                    "family_name": p["family"],
                    "job_title": p["title"],
                    "department": None,
                    "status": "ACTIVE",
                    "enabled": True if mirror else p["enabled"],
                    "groups": groups,
                }
            )
        if mirror or p["in_procore"]:
            template = "Std" if mirror else p["template"]
            pcs.append(
                {
                    "id": i,
                    "email": email.upper() if i % 2 else email,
                    "first_name": p["given"],
                    "last_name": p["family"],
                    "job_title": p["title"],
                    "is_active": True if mirror else p["active"],
                    "is_employee": True,
                    "company_template": template,
                    "origin_id": None,
                    "vendor_name": None,
                    "last_login_at": None,
                }
            )
            held = sorted({g for grp in groups for g in GRANTS.get(grp, [])}) if mirror else p["projects"]
            members += [
                {
                    "user_id": i,
                    "project_id": int(n[2:]),
                    "project_number": n,
                    "template": t,
                    "template_id": None,
                }
                for n, t in held
            ]
    return (
        people_frame("idp_users", idps),
        people_frame("procore_users", pcs),
        people_frame("procore_memberships", members),
    )


@LAW
@given(people)
def test_a_directory_against_its_mirror_is_in_sync(ps: list[dict[str, Any]]) -> None:
    i, p, m = frames(ps, mirror=True)
    assert diff_people(i, p, m, ACCESS, config(), PROJECTS).height == 0


@LAW
@given(people, st.data())
def test_excluded_users_never_appear(ps: list[dict[str, Any]], data: st.DataObject) -> None:
    emails = sorted({f"{p['local']}@{p['domain']}" for p in ps})
    excluded = data.draw(st.lists(st.sampled_from(emails), unique=True) if emails else st.just([]))
    i, p, m = frames(ps, mirror=False)
    out = diff_people(i, p, m, ACCESS, config([e.upper() for e in excluded]), PROJECTS)
    assert not set(out["key"].to_list()) & set(excluded)


@LAW
@given(people)
def test_outside_collaborators_are_never_orphaned_nor_reviewed(ps: list[dict[str, Any]]) -> None:
    i, p, m = frames(ps, mirror=False)
    out = diff_people(i, p, m, ACCESS, config(), PROJECTS)
    for row in out.filter(pl.col("kind").is_in(["orphaned", "access_mismatch"])).iter_rows(named=True):
        assert row["key"].endswith("@acme.com")
