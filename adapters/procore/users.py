"""The Procore company directory, for the people side: company users (active and inactive),
permission templates, and each selected project's members with their project template.

It reads through the money side's ``ProcoreClient`` and ``Pull`` (same OAuth, pacing, paging,
checkpoints and progress), so a directory pull costs the same kind of budget and resumes the
same way. Everything is read in full: a deactivation moves a user from the active list to the
inactive one, and a removal from a project leaves no ``updated_at`` behind.

Units of work (checkpoint scopes): ``company`` for ``company_users`` (``/rest/v1.3``) and
``inactive_users`` (``/rest/v1.0/.../users/inactive``); ``type:<t>`` for
``permission_templates`` (the list answers one type per request and defaults to
``project_tools``); ``project:<id>`` for ``project_users``, keyed ``<project id>:<user id>``.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from adapters.base import PlanRow, PreviousPull, PullSink, RawReader, ResponseError
from adapters.people_schema import people_frame
from adapters.procore import models as m
from adapters.procore.adapter import rate_stamps, sustainable_rate
from adapters.procore.client import ProcoreClient
from adapters.procore.reads import Pull, selected
from adapters.secret import Secret
from adapters.settings import ProcoreSettings

V10, V13 = "/rest/v1.0", "/rest/v1.3"
RESOURCES = ("projects", "company_users", "inactive_users", "permission_templates", "project_users")
TEMPLATE_TYPES = ("company_tools", "project_tools", "global")


class TemplateRef(m.Wire):
    id: int | None = None
    name: str | None = None


class CompanyUser(m.Wire):
    """A company user as ``/rest/v1.3/companies/{id}/users`` (normal view) and the inactive list give it."""

    id: int
    email_address: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    is_active: bool | None = None
    is_employee: bool | None = None
    origin_id: str | None = None
    last_login_at: str | None = None
    vendor: m.Ref | None = None
    company_permission_template: TemplateRef | None = None
    #: Some answers (create, update) carry only the id; the name then comes from the templates list.
    company_permission_template_id: int | None = None


class ProjectUser(m.Wire):
    """A member of a project's directory with the project permission template they hold there."""

    id: int
    email_address: str | None = None
    permission_template: TemplateRef | None = None


class PermissionTemplate(m.Wire):
    id: int
    name: str | None = None
    type: str | None = None


class ProjectRole(m.Wire):
    """A role a user holds on a project (Project Manager, Superintendent…), from ``/rest/v1.0/project_roles``."""

    id: int
    role: str | None = None
    name: str | None = None
    user_id: int | None = None


class DirectoryPull:
    """One pull of the directory into a sink, reusing the money side's ``Pull`` mechanics."""

    def __init__(self, client: ProcoreClient, settings: ProcoreSettings, sink: PullSink) -> None:
        self.settings = settings
        self.sink = sink
        self.pull = Pull(client, settings, sink, window=None, prev_contracts={})
        client.on_wait = self.pull.on_wait

    async def run(self) -> None:
        """Users, templates, then the members of every selected project."""
        cid = self.settings.company_id
        if not self.sink.is_done("company_users", "company"):
            await self.pull.read("company_users", "company", f"{V13}/companies/{cid}/users", CompanyUser, {})
        if not self.sink.is_done("inactive_users", "company"):
            await self.pull.read(
                "inactive_users", "company", f"{V10}/companies/{cid}/users/inactive", CompanyUser, {}
            )
        for kind in TEMPLATE_TYPES:
            if not self.sink.is_done("permission_templates", f"type:{kind}"):
                await self.pull.read(
                    "permission_templates",
                    f"type:{kind}",
                    f"{V10}/companies/{cid}/permission_templates",
                    PermissionTemplate,
                    {"filters[type]": kind},
                    key=lambda t, kind=kind: f"{kind}:{t.id}",
                )
        for p in await self.pull.projects():
            scope = f"project:{p.id}"
            if not self.sink.is_done("project_users", scope):
                await self.pull.read(
                    "project_users",
                    scope,
                    f"{V10}/projects/{p.id}/users",
                    ProjectUser,
                    {},
                    key=lambda u, pid=p.id: f"{pid}:{u.id}",
                )


class DirectoryAdapter:
    """The Procore company directory as a source of its own (``directory``) in the store.

    A snapshot of its own, rather than more resources in the money side's ``procore``
    snapshot, so an IT admin's profile (no ERP) pulls only this, and a directory pull that
    fails never holds back the money side's current snapshot (or the other way round).
    """

    source = "directory"
    resources = RESOURCES
    #: Read in full every time (see the module doc), so a pull never carries a base forward.
    always_full = True

    def __init__(self, settings: ProcoreSettings, secret: Secret) -> None:
        self.settings = settings
        self.client = ProcoreClient(settings, secret)

    def __repr__(self) -> str:
        return f"DirectoryAdapter(company_id={self.settings.company_id})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def pull(
        self, sink: PullSink, *, full: bool = True, previous: PreviousPull | None = None
    ) -> dict[str, Any]:
        """Users, templates and project members into ``sink``; the request count per resource."""
        self.client.pacer.cancelled = sink.cancelled  # a rate-limit wait stops at Ctrl-C
        await DirectoryPull(self.client, self.settings, sink).run()
        return {"requests": dict(self.client.stats), **rate_stamps(self.client)}

    async def plan(self, previous: PreviousPull | None) -> list[PlanRow]:
        """Requests per resource for a pull (``tieout pull --plan``); full and incremental alike.

        Record counts come from the last directory snapshot; without one, from the projects
        list and one ``per_page=1`` probe per user list (its ``Total`` header), which the plan
        itself costs, as the money side's plan does. Times are at the rate Procore last
        reported, less the share left to the company's other integrations.
        """
        counts: dict[str, dict[str, int]] = {r: {} for r in RESOURCES}
        if previous is not None and previous.raw is not None:
            for r in RESOURCES:
                for scope, _rec in previous.raw(r):
                    counts[r][scope] = counts[r].get(scope, 0) + 1
            # A project without members left no record, but its list is still read.
            listed = [
                m.parse(m.Project, payload, endpoint="projects") for _s, payload in previous.raw("projects")
            ]
            for p in selected(self.settings, listed):
                counts["project_users"].setdefault(f"project:{p.id}", 0)
        else:
            counts = await self._probe_counts()
        served = self.client.per_page_served or (
            previous.high_water.get("per_page_served") if previous else None
        )
        per_page = min(self.settings.per_page, int(served or self.settings.per_page))

        def pages(r: str, floor: int = 1) -> int:
            return max(floor, sum(max(1, math.ceil(n / per_page)) for n in counts[r].values()))

        requests = {
            "projects": pages("projects"),
            "company_users": pages("company_users"),
            "inactive_users": pages("inactive_users"),
            # One list per template type (the list answers one type per request).
            "permission_templates": pages("permission_templates", len(TEMPLATE_TYPES)),
            "project_users": pages("project_users", len(counts["project_users"]) or 1),
        }
        rate = sustainable_rate(self.client, self.settings, previous)
        rows = []
        for r in RESOURCES:
            n = requests[r]
            seconds = n / rate if rate else None
            note = f"{len(counts['project_users'])} project(s)" if r == "project_users" else ""
            rows.append(PlanRow(r, n, n, note or "read in full every time", seconds, seconds))
        return rows

    async def _probe_counts(self) -> dict[str, dict[str, int]]:
        """Record counts per scope with no snapshot: the projects list, then ``Total`` headers."""
        c, cid = self.client, self.settings.company_id
        counts: dict[str, dict[str, int]] = {r: {} for r in RESOURCES}

        async def total(path: str, resource: str) -> int:
            resp = await c.request("GET", path, resource=resource, params={"page": 1, "per_page": 1})
            try:
                return int(resp.headers.get("Total") or len(c.decode(resp, path)))
            except ValueError:
                return 0

        path = f"{V10}/projects"
        projects: list[m.Project] = []
        async for page, _ in c.pages(path, resource="projects", params={"company_id": cid}):
            projects += m.parse_page(m.Project, page, endpoint=path)
        counts["projects"]["company"] = len(projects)
        counts["company_users"]["company"] = await total(f"{V13}/companies/{cid}/users", "company_users")
        counts["inactive_users"]["company"] = await total(
            f"{V10}/companies/{cid}/users/inactive", "inactive_users"
        )
        for p in selected(self.settings, projects):
            counts["project_users"][f"project:{p.id}"] = await total(
                f"{V10}/projects/{p.id}/users", "project_users"
            )
        return counts

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        return canonicalize_directory(raw)


async def project_roles(client: ProcoreClient, project_id: int, user_id: int) -> list[ProjectRole]:
    """The roles ``user_id`` holds on a project: what a removal or deactivation leaves unowned."""
    path = f"{V10}/project_roles"
    out: list[ProjectRole] = []
    async for page, _ in client.pages(path, resource="project_roles", params={"project_id": project_id}):
        out += [r for r in m.parse_page(ProjectRole, page, endpoint=path) if r.user_id == user_id]
    return out


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value and value.strip() else None


def canonicalize_directory(raw: RawReader) -> dict[str, pl.DataFrame]:
    """``procore_users``, ``procore_memberships`` and ``procore_permission_templates`` from a snapshot."""
    templates: dict[int, dict[str, Any]] = {}
    for scope, payload in raw("permission_templates"):
        t = m.parse(PermissionTemplate, payload, endpoint="permission_templates")
        templates[t.id] = {"id": t.id, "name": t.name, "type": t.type or scope.removeprefix("type:")}
    users: dict[int, dict[str, Any]] = {}
    for resource, active in (("inactive_users", False), ("company_users", True)):
        for _scope, payload in raw(resource):
            u = m.parse(CompanyUser, payload, endpoint=resource)
            tpl = u.company_permission_template
            tpl_id = tpl.id if tpl and tpl.id is not None else u.company_permission_template_id
            tpl_name = tpl.name if tpl and tpl.name else templates.get(tpl_id or -1, {}).get("name")
            users[u.id] = {  # an active record wins over a stale inactive one of the same id
                "id": u.id,
                "email": _lower(u.email_address),
                "first_name": u.first_name,
                "last_name": u.last_name,
                "job_title": u.job_title,
                "is_active": active if u.is_active is None else (u.is_active and active),
                "is_employee": u.is_employee,
                "company_template": tpl_name,
                "origin_id": u.origin_id,
                "vendor_name": u.vendor.name if u.vendor else None,
                "last_login_at": u.last_login_at,
            }
    numbers = {}
    for _scope, payload in raw("projects"):
        p = m.parse(m.Project, payload, endpoint="projects")
        numbers[p.id] = p.project_number
    members = []
    for scope, payload in raw("project_users"):
        pid = int(scope.removeprefix("project:"))
        pu = m.parse(ProjectUser, payload, endpoint=f"{V10}/projects/{pid}/users")
        if pid not in numbers:
            raise ResponseError(f"Procore listed members of project {pid}, which the projects list lacks.")
        tpl = pu.permission_template
        members.append(
            {
                "user_id": pu.id,
                "project_id": pid,
                "project_number": numbers[pid],
                "template": tpl.name if tpl else None,
                "template_id": tpl.id if tpl else None,
            }
        )
    return {
        "procore_users": people_frame("procore_users", [users[k] for k in sorted(users)]),
        "procore_memberships": people_frame("procore_memberships", members),
        "procore_permission_templates": people_frame(
            "procore_permission_templates", [templates[k] for k in sorted(templates)]
        ),
    }
