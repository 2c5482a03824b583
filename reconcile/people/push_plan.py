"""Push plans for the people side: one exception in, the exact Procore request out. Pure, no I/O.

Every plan names the read that shows the target as it is now (read-before-write: the push path
re-reads it just before writing and refuses a changed target), and, for a deactivation or a
removal, the projects whose roles the user still holds (``adapters.procore.users.project_roles``
lists them, so the admin sees who must take them over first). Procore has no delete: leaving
is ``is_active: false``. A created user carries the IdP's immutable id as ``origin_id``, so a
retry after a crash finds it (``filters[origin_id]``) instead of creating a second one.

Requests (Procore REST; the company id also travels as the ``Procore-Company-Id`` header):

- ``missing_in_procore`` → ``POST /rest/v1.3/companies/{c}/users`` ``{"user": {...}}``
- ``value_mismatch`` ``is_active`` → ``PATCH /rest/v1.0/companies/{c}/users/inactive/{id}`` (reactivate)
- ``value_mismatch`` ``name`` / ``job_title`` / ``permission_template`` → ``PATCH /rest/v1.3/companies/{c}/users/{id}``
- ``orphaned`` → ``PATCH /rest/v1.3/companies/{c}/users/{id}`` ``{"user": {"is_active": false}}``
- ``access_mismatch``: granted, not held → ``POST /rest/v1.0/projects/{p}/users/{id}/actions/add``
  ``{"user": {"permission_template_id": N}}``; held, not granted → ``DELETE …/actions/remove``;
  another template → ``PATCH /rest/v1.0/projects/{p}/permission_template_assignments``
  ``{"permission_template_assignments": {"user_id": id, "permission_template_id": N}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import polars as pl

DIRECTION = "idp_to_procore"
V10, V13 = "/rest/v1.0", "/rest/v1.3"

#: (object, kind, field) → directions, as ``reconcile.push.plan.ROUTES`` reads them: every
#: people exception is fixed in Procore, from the IdP (the book of record for who works here).
PEOPLE_ROUTES: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("user", "missing_in_procore", ""): (DIRECTION,),
    ("user", "orphaned", ""): (DIRECTION,),
    ("user", "value_mismatch", "is_active"): (DIRECTION,),
    ("user", "value_mismatch", "name"): (DIRECTION,),
    ("user", "value_mismatch", "job_title"): (DIRECTION,),
    ("user", "value_mismatch", "permission_template"): (DIRECTION,),
    ("user", "access_mismatch", ""): (DIRECTION,),
}


class PeoplePlanError(Exception):
    """An exception that cannot become a request; ``str()`` is one sentence naming why."""


@dataclass(frozen=True)
class PeopleRequest:
    """One planned Procore write for a people exception."""

    exception_id: str
    action: str  # create | update | reactivate | deactivate | add_to_project | remove_from_project | change_project_template
    method: str
    path: str
    body: dict[str, Any] | None
    #: GET path of the target as it is now (re-read just before the write).
    read_before: str
    #: The Procore user the write touches (None for a create).
    user_id: int | None = None
    #: Project ids whose roles (``project_roles``) the user still holds: shown before a deactivate or removal.
    owned_roles_on: tuple[int, ...] = field(default_factory=tuple)
    summary: str = ""


@dataclass(frozen=True)
class Directory:
    """What plans need from the Procore snapshot: ids by e-mail, template and project number."""

    company_id: int
    users: Mapping[str, int]  # lower-case e-mail → user id
    company_templates: Mapping[str, int]  # name → id (type company_tools)
    project_templates: Mapping[str, int]  # name → id (global and project-specific)
    projects: Mapping[str, int]  # project number → id
    memberships: Mapping[int, tuple[int, ...]]  # user id → project ids they are on

    @classmethod
    def from_frames(
        cls,
        company_id: int,
        procore_users: pl.DataFrame,
        memberships: pl.DataFrame,
        templates: pl.DataFrame,
    ) -> Directory:
        """Build from the canonical people tables (``reconcile.people.schema``)."""
        users = {
            str(e).lower(): int(i)
            for e, i, a in procore_users.select("email", "id", "is_active").sort("is_active").iter_rows()
            if e
        }
        company = {
            n: int(i)
            for i, n, t in templates.select("id", "name", "type").iter_rows()
            if t == "company_tools"
        }
        project = {
            n: int(i)
            for i, n, t in templates.select("id", "name", "type").iter_rows()
            if t != "company_tools"
        }
        projects = {
            str(n): int(p) for n, p in memberships.select("project_number", "project_id").unique().iter_rows()
        }
        on: dict[int, list[int]] = {}
        for u, p in memberships.select("user_id", "project_id").iter_rows():
            on.setdefault(int(u), []).append(int(p))
        return cls(
            company_id, users, company, project, projects, {u: tuple(sorted(set(ps))) for u, ps in on.items()}
        )


@dataclass(frozen=True)
class IdpPerson:
    """The IdP's side of one user, as the ``idp_users`` table holds it."""

    idp_id: str
    email: str
    given_name: str | None
    family_name: str | None
    job_title: str | None


def _user(d: Directory, email: str) -> int:
    uid = d.users.get(email.lower())
    if uid is None:
        raise PeoplePlanError(f"Procore has no user {email} in the current snapshot; pull again, then retry.")
    return uid


def _template(names: Mapping[str, int], name: str | None, kind: str) -> int:
    if name is None or name not in names:
        raise PeoplePlanError(
            f"Procore has no {kind} permission template named {name!r}; fix access.csv or create the template."
        )
    return names[name]


def _company_user(d: Directory, uid: int) -> str:
    return f"{V13}/companies/{d.company_id}/users/{uid}"


def create_user(
    exception_id: str, d: Directory, person: IdpPerson, company_template: str | None
) -> PeopleRequest:
    """``missing_in_procore``: a new company user, keyed for retries by the IdP's immutable id."""
    if not person.family_name:
        raise PeoplePlanError(f"{person.email} has no family name in the IdP; Procore requires a last name.")
    user: dict[str, Any] = {
        "email_address": person.email.lower(),
        "first_name": person.given_name,
        "last_name": person.family_name,
        "job_title": person.job_title or None,
        "is_employee": True,
        "origin_id": person.idp_id,
    }
    if company_template is not None:
        user["company_permission_template_id"] = _template(d.company_templates, company_template, "company")
    return PeopleRequest(
        exception_id,
        "create",
        "POST",
        f"{V13}/companies/{d.company_id}/users",
        {"user": user},
        read_before=f"{V13}/companies/{d.company_id}/users?filters[origin_id]={quote(person.idp_id, safe='')}",
        summary=f"Create {person.email} in the Procore directory (origin_id {person.idp_id}).",
    )


def update_user(
    exception_id: str, d: Directory, email: str, fld: str, person: IdpPerson | None, value: str | None
) -> PeopleRequest:
    """``value_mismatch`` on name, job_title or permission_template: set Procore to the IdP's value."""
    uid = _user(d, email)
    body: dict[str, Any]
    if fld == "name":
        if person is None or not person.family_name:
            raise PeoplePlanError(f"{email} has no family name in the IdP; Procore requires a last name.")
        body = {"first_name": person.given_name, "last_name": person.family_name}
    elif fld == "job_title":
        body = {"job_title": value or None}
    elif fld == "permission_template":
        body = {"company_permission_template_id": _template(d.company_templates, value, "company")}
    else:
        raise PeoplePlanError(f"No push updates the field {fld!r} of a user.")
    return PeopleRequest(
        exception_id,
        "update",
        "PATCH",
        _company_user(d, uid),
        {"user": body},
        read_before=_company_user(d, uid),
        user_id=uid,
        summary=f"Update {fld} of {email} in Procore.",
    )


def reactivate(exception_id: str, d: Directory, email: str) -> PeopleRequest:
    """``value_mismatch`` ``is_active``: the IdP has the user enabled, Procore inactive."""
    uid = _user(d, email)
    return PeopleRequest(
        exception_id,
        "reactivate",
        "PATCH",
        f"{V10}/companies/{d.company_id}/users/inactive/{uid}",
        None,
        read_before=_company_user(d, uid),
        user_id=uid,
        summary=f"Reactivate {email} in Procore.",
    )


def deactivate(exception_id: str, d: Directory, email: str) -> PeopleRequest:
    """``orphaned``: ``is_active: false`` (Procore has no delete); roles on the user's projects shown first."""
    uid = _user(d, email)
    return PeopleRequest(
        exception_id,
        "deactivate",
        "PATCH",
        _company_user(d, uid),
        {"user": {"is_active": False}},
        read_before=_company_user(d, uid),
        user_id=uid,
        owned_roles_on=d.memberships.get(uid, ()),
        summary=f"Deactivate {email} in Procore (no delete: history stays).",
    )


def project_access(
    exception_id: str, d: Directory, email: str, project: str, granted: str | None, held: str | None
) -> PeopleRequest:
    """``access_mismatch``: add with the granted template, remove, or change the template."""
    uid = _user(d, email)
    pid = d.projects.get(project)
    if pid is None:
        raise PeoplePlanError(
            f"Procore project {project} is not in the current snapshot; pull again, then retry."
        )
    member = f"{V10}/projects/{pid}/users/{uid}"
    if granted is not None and held is None:
        tid = _template(d.project_templates, granted, "project")
        return PeopleRequest(
            exception_id,
            "add_to_project",
            "POST",
            f"{member}/actions/add",
            {"user": {"permission_template_id": tid}},
            read_before=f"{V10}/projects/{pid}/users?filters[id]={uid}",  # [] until the user is added
            user_id=uid,
            summary=f"Add {email} to project {project} as {granted}.",
        )
    if granted is None and held is not None:
        return PeopleRequest(
            exception_id,
            "remove_from_project",
            "DELETE",
            f"{member}/actions/remove",
            None,
            read_before=member,
            user_id=uid,
            owned_roles_on=(pid,),
            summary=f"Remove {email} from project {project}.",
        )
    tid = _template(d.project_templates, granted, "project")
    return PeopleRequest(
        exception_id,
        "change_project_template",
        "PATCH",
        f"{V10}/projects/{pid}/permission_template_assignments",
        {"permission_template_assignments": {"user_id": uid, "permission_template_id": tid}},
        read_before=member,
        user_id=uid,
        summary=f"Give {email} the template {granted} on project {project}.",
    )


def plan_people_push(
    exception: Mapping[str, Any],
    d: Directory,
    person: IdpPerson | None = None,
    company_template: str | None = None,
) -> PeopleRequest:
    """The request that resolves one people exception (a row of the report: exception_id, kind,
    key, project, field, erp_value, procore_value). ``person`` is the IdP's user (needed to
    create and to rename); ``company_template`` the one access.csv grants (for a create)."""
    xid, kind, email = str(exception["exception_id"]), exception["kind"], str(exception["key"])
    if kind == "missing_in_procore":
        if person is None:
            raise PeoplePlanError(f"{email} is not in the IdP snapshot; pull again, then retry.")
        return create_user(xid, d, person, company_template)
    if kind == "orphaned":
        return deactivate(xid, d, email)
    if kind == "value_mismatch" and exception["field"] == "is_active":
        return reactivate(xid, d, email)
    if kind == "value_mismatch":
        return update_user(xid, d, email, str(exception["field"]), person, exception.get("erp_value"))
    if kind == "access_mismatch":
        return project_access(
            xid,
            d,
            email,
            str(exception["project"]),
            exception.get("erp_value"),
            exception.get("procore_value"),
        )
    raise PeoplePlanError(f"No push resolves a {kind!r} exception of a user.")
