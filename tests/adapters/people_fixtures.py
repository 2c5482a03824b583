"""People test helpers: small Okta, Graph and Procore-directory seeds in each API's wire shape."""

from __future__ import annotations

from typing import Any

from reconcile.people.settings import PeopleSettings

OKTA_TOKEN = "00-okta-API-token-never-shown"
ENTRA_SECRET = "entra~client~secret~never~shown"
TENANT = "contoso.onmicrosoft.com"
ENTRA_CLIENT = "11111111-2222-3333-4444-555555555555"


def okta_user(uid: str, email: str, status: str = "ACTIVE", title: str | None = "Engineer") -> dict[str, Any]:
    first, last = email.split("@")[0].split(".")
    return {
        "id": uid,
        "status": status,
        "created": "2025-01-01T00:00:00.000Z",
        "profile": {
            "firstName": first.title(),
            "lastName": last.title(),
            "email": email,
            "login": email,
            "title": title,
            "department": "Operations",
        },
        "_links": {"self": {"href": f"https://acme.okta.com/api/v1/users/{uid}"}},
    }


def okta_seed(n: int = 7) -> dict[str, Any]:
    """Group "Procore Users" with ``n`` members (one SUSPENDED, one DEPROVISIONED), a decoy
    group whose name only starts the same, and "Procore Admins" sharing one member."""
    users = [okta_user(f"00u{i:03d}", f"user.n{i}@acme.com") for i in range(n)]
    users[1]["status"] = "SUSPENDED"
    users[2]["status"] = "DEPROVISIONED"
    groups = [
        {"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Procore Users", "description": ""}},
        {"id": "00g2", "type": "OKTA_GROUP", "profile": {"name": "Procore Users (old)", "description": ""}},
        {"id": "00g3", "type": "OKTA_GROUP", "profile": {"name": "Procore Admins", "description": ""}},
    ]
    members = {"00g1": [u["id"] for u in users], "00g2": [users[0]["id"]], "00g3": [users[0]["id"]]}
    return {"groups": groups, "users": users, "members": members}


def okta_settings(url: str, **kw: Any) -> PeopleSettings:
    return PeopleSettings(idp="okta", base_url=url, groups=["Procore Users", "Procore Admins"], **kw)


def graph_user(oid: str, upn: str, *, enabled: bool = True, mail: str | None = "same") -> dict[str, Any]:
    first, last = upn.split("@")[0].split(".")
    return {
        "id": oid,
        "userPrincipalName": upn,
        "mail": upn if mail == "same" else mail,
        "givenName": first.title(),
        "surname": last.title(),
        "jobTitle": "Superintendent",
        "department": "Field",
        "accountEnabled": enabled,
        "employeeId": None,
    }


def entra_seed() -> dict[str, Any]:
    """Group "Procore Users" holds 3 users and the nested group "Field Staff" (2 more, one of
    them also direct, one disabled); a device is a member too and must not appear."""
    users = [graph_user(f"oid-{i}", f"person.n{i}@contoso.com") for i in range(5)]
    users[4]["accountEnabled"] = False
    users[3]["mail"] = None  # falls back to userPrincipalName
    groups = [
        {"id": "gid-top", "displayName": "Procore Users"},
        {"id": "gid-field", "displayName": "Field Staff"},
        {"id": "gid-q", "displayName": "O'Brien's Crew"},
    ]
    members = {
        "gid-top": ["oid-0", "oid-1", "oid-2", "gid-field", "dev-1"],
        "gid-field": ["oid-2", "oid-3", "oid-4"],
        "gid-q": ["oid-0"],
    }
    devices = [{"id": "dev-1", "displayName": "Kiosk"}]
    return {"groups": groups, "users": users, "members": members, "devices": devices}


def entra_settings(url: str, **kw: Any) -> PeopleSettings:
    return PeopleSettings(
        idp="entra",
        base_url=url,
        login_url=url,
        tenant=TENANT,
        client_id=ENTRA_CLIENT,
        groups=kw.pop("groups", ["Procore Users"]),
        **kw,
    )


def directory_seed(
    procore: dict[str, Any], domain: str = "acme.com", first: str = "User", title: str = "Engineer"
) -> dict[str, Any]:
    """Adds a company directory to a Procore seed (``procore_fixtures.procore_seed``): 7 users
    (one inactive, one outside collaborator), templates of each type, members of projects 100
    and 101, and a role on 100."""
    d = procore["procore"]
    d["permission_templates"] = [
        {"id": 1, "name": "Company Standard", "type": "company_tools", "project_specific": False},
        {"id": 2, "name": "Company Admin", "type": "company_tools", "project_specific": False},
        {"id": 11, "name": "Project Manager", "type": "global", "project_specific": False},
        {"id": 12, "name": "Field", "type": "global", "project_specific": False},
        {"id": 13, "name": "P-1000 Special", "type": "project_specific", "project_specific": True},
    ]
    users = []
    for i in range(7):
        users.append(
            {
                "id": 5000 + i,
                "email_address": f"{first}.N{i}@{domain.title()}" if i < 6 else "sub.guy@steelco.com",
                "first_name": first,
                "last_name": f"N{i}",
                "job_title": title,
                "is_active": i != 5,
                "is_employee": i < 6,
                "origin_id": f"00u{i:03d}" if i < 3 else None,
                "vendor": {"id": 900, "name": "Acme GC"} if i < 6 else {"id": 901, "name": "Steel Co"},
                "company_permission_template_id": 1,
                "last_login_at": "2026-01-02T03:04:05Z",
                "updated_at": "2026-01-05T09:00:00Z",
            }
        )
    d["users"] = users
    d["project_users"] = {
        "100": [
            {"user_id": 5000, "permission_template_id": 11},
            {"user_id": 5001, "permission_template_id": 12},
            {"user_id": 5005, "permission_template_id": 12},  # inactive: Procore lists active members only
            {"user_id": 5006, "permission_template_id": 13},
        ],
        "101": [{"user_id": 5000, "permission_template_id": 12}],
    }
    d["project_roles"] = {
        "100": [{"id": 77, "role": "Project Manager", "name": "User N0 (Acme GC)", "user_id": 5000}]
    }
    return procore
