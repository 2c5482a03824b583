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
