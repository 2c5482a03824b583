"""``idp_to_procore`` planners: the people exceptions on the shared push path (``reconcile.push``).

``reconcile.people.push_plan`` decides the request (pure); this module gives it what the push
path gives every write: the target re-read over HTTP and compared with the snapshot
(read-before-write, on the fields the write is about), the lookup by ``origin_id`` that makes a
create exactly-once, and, before a deactivation or a removal, the project roles the user still
holds (read from Procore now, so the admin knows whose work to hand over first).

Stamps are the compared fields rather than ``updated_at``: a login or an unrelated edit must
not block an offboarding, but a name someone fixed by hand since the snapshot must.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl

from adapters.base import AdapterError
from adapters.procore.users import project_roles
from mappings.errors import MappingError
from reconcile.people.push_plan import (
    V10,
    V13,
    Directory,
    IdpPerson,
    PeoplePlanError,
    PeopleRequest,
    plan_people_push,
)
from reconcile.people.snapshot import PeopleSnapshot, load_people, raw_record
from reconcile.people.sources import load_people_access
from reconcile.profile import ProfileError
from reconcile.push.fresh import check_fresh, stamp_of
from reconcile.push.model import HttpCall
from reconcile.push.plan import PlanContext, Planner

#: Per action: the fields whose values make up the target's stamp.
_USER_STAMPS: dict[str, list[str]] = {
    "deactivate": ["is_active"],
    "reactivate": ["is_active"],
    "add_to_project": ["is_active"],
}
_FIELD_STAMPS: dict[str, list[str]] = {
    "name": ["is_active", "first_name", "last_name"],
    "job_title": ["is_active", "job_title"],
    "permission_template": ["is_active", "company_permission_template.id"],
}
_MEMBER_STAMP = ["permission_template.id"]


def directory_of(profile_company: int, snap: PeopleSnapshot) -> Directory:
    """The plan's view of the directory snapshot; every project of the company, members or not."""
    d = snap.directory
    base = Directory.from_frames(
        profile_company, d["procore_users"], d["procore_memberships"], d["procore_permission_templates"]
    )
    projects = {
        str(n): int(i) for i, n in snap.projects.select("id", "project_number").iter_rows() if n is not None
    }
    return dataclasses.replace(base, projects=projects)


def person_of(idp_users: pl.DataFrame, email: str) -> tuple[IdpPerson | None, list[str]]:
    """The IdP's user with this e-mail (an enabled account wins) and the profile groups reaching it."""
    rows = idp_users.filter(pl.col("email") == email.lower()).sort(
        "enabled", descending=True, nulls_last=True
    )
    if rows.is_empty():
        return None, []
    r = rows.row(0, named=True)
    person = IdpPerson(r["idp_id"], r["email"], r["given_name"], r["family_name"], r["job_title"])
    return person, sorted({g for gs in rows["groups"].to_list() for g in (gs or [])})


def company_grant(access: Any, groups: list[str]) -> str | None:
    """The company template ``access.csv`` grants these groups (None when it grants none)."""
    if access is None:
        return None
    rows = access.rows.filter(pl.col("project").is_null() & pl.col("idp_group").is_in(groups))
    names = sorted(set(rows["template"].to_list()))
    if len(names) > 1:
        lines = ", ".join(str(x) for x in sorted(rows["line"].to_list()))
        raise PeoplePlanError(
            f"{access.label} grants the groups {', '.join(groups)} different company templates "
            f"({', '.join(names)}; lines {lines}); fix the table first."
        )
    return names[0] if names else None


def _user_path(d: Directory, uid: int) -> str:
    return f"{V13}/companies/{d.company_id}/users/{uid}"


async def _target(ctx: PlanContext, call: HttpCall) -> dict[str, Any] | None:
    try:
        body = await ctx.clients.procore_get(call.path, call.params)
    except AdapterError as exc:
        ctx.refuse(f"The target could not be re-read ({exc}); pull and diff again.")
        return None
    if not isinstance(body, dict):
        ctx.refuse(f"Procore's answer from {call.path} is not one record; pull and diff again.")
        return None
    return body


async def _roles_note(ctx: PlanContext, d: Directory, req: PeopleRequest) -> str:
    """What the user still owns on the projects the write takes them off."""
    if req.user_id is None or not req.owned_roles_on:
        return ""
    numbers = {pid: number for number, pid in d.projects.items()}
    held: list[str] = []
    try:
        for pid in req.owned_roles_on:
            for role in await project_roles(ctx.clients.procore, pid, req.user_id):
                held.append(f"{role.role or 'a role'} on project {numbers.get(pid, pid)}")
    except AdapterError as exc:
        return f" The project roles they hold could not be read ({exc}); check them in Procore first."
    if not held:
        return " They hold no project roles there."
    return " Still holds: " + "; ".join(held) + ". Hand these over in Procore first."


async def _create(ctx: PlanContext, d: Directory, req: PeopleRequest, person: IdpPerson) -> None:
    plan = ctx.plan
    path = f"{V13}/companies/{d.company_id}/users"
    plan.lookup = HttpCall(
        side="procore", method="GET", path=path, params={"filters[origin_id]": person.idp_id},
        purpose="find a user an earlier attempt created",
    )  # fmt: skip
    try:
        found = await ctx.clients.procore_find(path, {}, person.idp_id)
    except AdapterError as exc:
        ctx.refuse(f"The lookup by origin_id failed ({exc}); try again.")
        return
    if found is None:
        return
    plan.lookup_found = {k: found.get(k) for k in ("id", "email_address", "origin_id")}
    if plan.resumes:
        plan.summary += (
            f" The interrupted push already created it (id {found.get('id')}); pushing records that."
        )
    else:
        ctx.refuse(
            f"Procore already has user id {found.get('id')} with origin_id {person.idp_id}, made since "
            "the snapshot; pull and diff again."
        )


async def _fresh(
    ctx: PlanContext, call: HttpCall, fields: list[str], desired: dict[str, Any],
    snapshot_payload: dict[str, Any] | None, what: str,
) -> None:  # fmt: skip
    """Re-read the target, stamp it, and refuse it when it moved since the snapshot."""
    plan = ctx.plan
    plan.reread, plan.stamp_fields, plan.desired = call, fields, desired
    target = await _target(ctx, call)
    if target is None:
        return
    plan.target = target
    plan.current_stamp = stamp_of(target, fields)
    plan.snapshot_stamp = stamp_of(snapshot_payload, fields) if snapshot_payload is not None else None
    check_fresh(plan, what, "Procore")


def _desired(req: PeopleRequest, fld: str | None) -> dict[str, Any]:
    body = (req.body or {}).get("user") or {}
    if req.action == "deactivate":
        return {"is_active": False}
    if req.action == "reactivate":
        return {"is_active": True}
    if req.action == "update" and fld == "permission_template":
        return {"company_permission_template.id": body.get("company_permission_template_id")}
    if req.action == "update":
        return dict(body)
    if req.action == "change_project_template":
        return {
            "permission_template.id": (req.body or {})["permission_template_assignments"][
                "permission_template_id"
            ]
        }
    return {}


async def plan_user(ctx: PlanContext) -> None:
    """Plan the Procore write that resolves one ``user`` exception."""
    exc, plan, profile = ctx.exc, ctx.plan, ctx.profile
    email = str(exc["key"]).lower()
    people = profile.people
    if people is None:
        ctx.refuse(f"Profile {profile.name!r} has no [people] section, so it cannot push a user.")
        return
    if email in people.exclude:
        ctx.refuse(f"{email} is in [people].exclude: Tieout never touches it.")
        return
    try:
        snap = load_people(ctx.store, profile)
        person, groups = person_of(snap.idp_users, email)
        d = directory_of(profile.procore.company_id, snap)
        template = company_grant(load_people_access(profile), groups) if person is not None else None
        req = plan_people_push(exc, d, person, template)
    except (ProfileError, MappingError, PeoplePlanError) as e:
        ctx.refuse(str(e))
        return
    plan.action, plan.summary = req.action, req.summary
    plan.requests = [
        HttpCall(
            side="procore", method=req.method, path=req.path, body=req.body, purpose=req.summary,
            skip_if_found=req.action == "create",
        )
    ]  # fmt: skip
    if req.action == "create":
        assert person is not None, "plan_people_push refuses a create without the IdP's user"
        await _create(ctx, d, req, person)
        return
    plan.summary += await _roles_note(ctx, d, req)
    assert req.user_id is not None, "every write but a create names its user"
    uid, dir_id = req.user_id, snap.directory_snapshot.id
    if req.action in ("remove_from_project", "change_project_template"):
        pid = d.projects[str(exc["project"])]
        call = HttpCall(side="procore", method="GET", path=f"{V10}/projects/{pid}/users/{uid}")
        payload = raw_record(ctx.store, dir_id, "project_users", f"{pid}:{uid}")
        what = f"{email}'s membership of project {exc['project']}"
        await _fresh(ctx, call, _MEMBER_STAMP, _desired(req, None), payload, what)
        return
    fields = (
        _FIELD_STAMPS.get(str(exc["field"] or ""), ["is_active"])
        if req.action == "update"
        else _USER_STAMPS[req.action]
    )
    payload = raw_record(ctx.store, dir_id, "company_users", str(uid)) or raw_record(
        ctx.store, dir_id, "inactive_users", str(uid)
    )
    call = HttpCall(side="procore", method="GET", path=_user_path(d, uid))
    await _fresh(ctx, call, fields, _desired(req, exc["field"]), payload, f"Procore user {email}")


#: Registered with ``reconcile.push.plan`` under ``<direction>:<object>:<kind>``.
PLANNERS: dict[str, Planner] = {
    f"idp_to_procore:user:{kind}": plan_user
    for kind in ("missing_in_procore", "orphaned", "value_mismatch", "access_mismatch")
}
