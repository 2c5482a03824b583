"""The simulator's company directory: company users, permission templates, project members, roles.

A mixin of ``ProcoreSimulator`` (mounted by ``user_routes``), kept apart so the money side's
simulator stays readable. Seed keys (``seed["procore"]``): ``users`` (company users in the
v1.3 wire shape, active and inactive), ``permission_templates`` (``{id, name, type}``),
``project_users`` (``{project id: [{user_id, permission_template_id}]}``) and
``project_roles`` (``{project id: [{id, role, name, user_id}]}``). As in Procore, a user is never
deleted: deactivation moves them to the inactive list, and the project lists show active users only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.simkit import SimRequest, SimResponse

V10, V13 = "/rest/v1.0", "/rest/v1.3"
WRITABLE = (
    "first_name",
    "last_name",
    "email_address",
    "job_title",
    "is_active",
    "is_employee",
    "employee_id",
    "origin_id",
    "origin_data",
    "vendor_id",
    "company_permission_template_id",
    "default_permission_template_id",
)
Route = tuple[str, str, Callable[..., SimResponse]]


class SimUsers:
    data: dict[str, Any]
    company_id: int

    def _new_id(self) -> int:
        raise NotImplementedError

    def touch(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def _page(self, req: SimRequest, records: list[dict[str, Any]]) -> SimResponse:
        raise NotImplementedError

    def user_routes(
        self, wrap: Callable[[Callable[..., SimResponse]], Callable[..., SimResponse]]
    ) -> list[Route]:
        c = r"/companies/(?P<cid>\d+)"
        return [
            ("GET", rf"{V13}{c}/users", wrap(self._company_users)),
            ("POST", rf"{V13}{c}/users", wrap(self._create_user)),
            ("GET", rf"{V13}{c}/users/(?P<uid>\d+)", wrap(self._show_user)),
            ("PATCH", rf"{V13}{c}/users/(?P<uid>\d+)", wrap(self._update_user)),
            ("GET", rf"{V10}{c}/users/inactive", wrap(self._inactive_users)),
            ("PATCH", rf"{V10}{c}/users/inactive/(?P<uid>\d+)", wrap(self._reactivate)),
            ("GET", rf"{V10}{c}/permission_templates", wrap(self._templates)),
            ("GET", rf"{V10}/projects/(?P<pid>\d+)/users", wrap(self._project_users)),
            ("GET", rf"{V10}/projects/(?P<pid>\d+)/users/(?P<uid>\d+)", wrap(self._project_user)),
            ("POST", rf"{V10}/projects/(?P<pid>\d+)/users/(?P<uid>\d+)/actions/add", wrap(self._add)),
            ("DELETE", rf"{V10}/projects/(?P<pid>\d+)/users/(?P<uid>\d+)/actions/remove", wrap(self._remove)),
            ("PATCH", rf"{V10}/projects/(?P<pid>\d+)/permission_template_assignments", wrap(self._assign)),
            ("GET", rf"{V10}/project_roles", wrap(self._project_roles)),
        ]

    # -- helpers ------------------------------------------------------------------------
    def _users(self) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = self.data.setdefault("users", [])
        return users

    def _user(self, uid: str | int) -> dict[str, Any] | None:
        return next((u for u in self._users() if u["id"] == int(uid)), None)

    def _template(self, tid: Any) -> dict[str, Any] | None:
        return next((t for t in self.data.get("permission_templates", []) if t["id"] == tid), None)

    def _wrong_company(self, cid: str) -> SimResponse | None:
        if int(cid) != self.company_id:
            return SimResponse.json({"errors": "Company not found"}, 404)
        return None

    @staticmethod
    def _unprocessable(message: str) -> SimResponse:
        return SimResponse.json({"errors": {"base": [message]}}, 422)

    def _shown(self, u: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in u.items() if k not in ("company_permission_template_id",)}
        tpl = self._template(u.get("company_permission_template_id"))
        out["company_permission_template"] = {"id": tpl["id"], "name": tpl["name"]} if tpl else None
        return out

    def _members(self, pid: str) -> list[dict[str, Any]]:
        members: list[dict[str, Any]] = self.data.setdefault("project_users", {}).setdefault(pid, [])
        return members

    # -- company users ------------------------------------------------------------------
    def _company_users(self, req: SimRequest, cid: str) -> SimResponse:
        return self._wrong_company(cid) or self._page(
            req, [self._shown(u) for u in self._users() if u.get("is_active")]
        )

    def _inactive_users(self, req: SimRequest, cid: str) -> SimResponse:
        return self._wrong_company(cid) or self._page(
            req, [self._shown(u) for u in self._users() if not u.get("is_active")]
        )

    def _show_user(self, req: SimRequest, cid: str, uid: str) -> SimResponse:
        u = self._user(uid)
        if self._wrong_company(cid) or u is None:
            return SimResponse.json({"errors": "User not found"}, 404)
        return SimResponse.json(self._shown(u))

    def _fields(self, req: SimRequest) -> dict[str, Any] | SimResponse:
        body = req.json()
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict):
            return SimResponse.json({"errors": "param is missing or the value is empty: user"}, 400)
        return {k: v for k, v in user.items() if k in WRITABLE}

    def _clash(self, fields: dict[str, Any], target: dict[str, Any] | None) -> SimResponse | None:
        for key in ("email_address", "origin_id"):
            value = fields.get(key)
            if value is None:
                continue
            norm = str(value).lower()
            if any(str(u.get(key) or "").lower() == norm and u is not target for u in self._users()):
                return self._unprocessable(f"{key.replace('_', ' ').capitalize()} has already been taken")
        return None

    def _create_user(self, req: SimRequest, cid: str) -> SimResponse:
        fields = self._fields(req)
        if isinstance(fields, SimResponse):
            return fields
        if not fields.get("email_address") or not fields.get("last_name"):
            return self._unprocessable("Email address and last name can't be blank")
        clash = self._clash(fields, None)
        if clash:
            return clash
        user = {
            "id": self._new_id(),
            "is_active": True,
            "is_employee": False,
            "job_title": None,
            "origin_id": None,
            "first_name": None,
            "vendor": None,
            **fields,
        }
        self._users().append(user)
        self.touch(user)
        return SimResponse.json(self._shown(user), 201)

    def _update_user(self, req: SimRequest, cid: str, uid: str) -> SimResponse:
        fields = self._fields(req)
        if isinstance(fields, SimResponse):
            return fields
        user = self._user(uid)
        if user is None or not user.get("is_active"):
            return SimResponse.json({"errors": "User not found"}, 404)
        clash = self._clash(fields, user)
        if clash:
            return clash
        user.update(fields)
        if fields.get("is_active") is False:
            # Procore has no delete: an inactive user leaves every project directory.
            for members in self.data.get("project_users", {}).values():
                members[:] = [mm for mm in members if mm["user_id"] != user["id"]]
        self.touch(user)
        return SimResponse.json(self._shown(user))

    def _reactivate(self, req: SimRequest, cid: str, uid: str) -> SimResponse:
        user = self._user(uid)
        if user is None or user.get("is_active"):
            return SimResponse.json({"errors": "User not found"}, 404)
        user["is_active"] = True
        self.touch(user)
        return SimResponse.json(self._shown(user))

    def _templates(self, req: SimRequest, cid: str) -> SimResponse:
        kind = req.arg("filters[type]") or "project_tools"
        wanted = ("project_specific", "project_tools") if kind == "project_tools" else (kind,)
        rows = [t for t in self.data.get("permission_templates", []) if t.get("type") in wanted]
        return self._wrong_company(cid) or SimResponse.json(rows)

    # -- project members ----------------------------------------------------------------
    def _member_view(self, pid: str, m: dict[str, Any]) -> dict[str, Any] | None:
        u = self._user(m["user_id"])
        if u is None or not u.get("is_active"):
            return None
        tpl = self._template(m.get("permission_template_id"))
        return {
            **self._shown(u),
            "permission_template": {"id": tpl["id"], "name": tpl["name"]} if tpl else None,
        }

    def _project_users(self, req: SimRequest, pid: str) -> SimResponse:
        rows = [v for m in self._members(pid) if (v := self._member_view(pid, m)) is not None]
        only = req.arg("filters[id]")
        if only is not None:
            rows = [r for r in rows if str(r["id"]) == only]
        return self._page(req, rows)

    def _project_user(self, req: SimRequest, pid: str, uid: str) -> SimResponse:
        m = next((m for m in self._members(pid) if m["user_id"] == int(uid)), None)
        view = self._member_view(pid, m) if m else None
        return SimResponse.json(view) if view else SimResponse.json({"errors": "User not found"}, 404)

    def _add(self, req: SimRequest, pid: str, uid: str) -> SimResponse:
        user = self._user(uid)
        if user is None or not user.get("is_active"):
            return SimResponse.json({"errors": "User not found"}, 404)
        body = req.json() or {}
        tid = (body.get("user") or {}).get("permission_template_id")
        if tid is not None and self._template(tid) is None:
            return self._unprocessable("Permission template not found")
        members = self._members(pid)
        if not any(m["user_id"] == user["id"] for m in members):
            members.append({"user_id": user["id"], "permission_template_id": tid})
        return SimResponse.json(self._shown(user), 201)

    def _remove(self, req: SimRequest, pid: str, uid: str) -> SimResponse:
        members = self._members(pid)
        if not any(m["user_id"] == int(uid) for m in members):
            return SimResponse.json({"errors": "User not found"}, 404)
        members[:] = [m for m in members if m["user_id"] != int(uid)]
        return SimResponse(204)

    def _assign(self, req: SimRequest, pid: str) -> SimResponse:
        body = (req.json() or {}).get("permission_template_assignments") or {}
        uid, tid = body.get("user_id"), body.get("permission_template_id")
        m = next((m for m in self._members(pid) if m["user_id"] == uid), None)
        if m is None or self._template(tid) is None:
            return self._unprocessable("User or permission template not found")
        m["permission_template_id"] = tid
        return SimResponse.json({"user_id": uid, "permission_template_id": tid})

    def _project_roles(self, req: SimRequest) -> SimResponse:
        return self._page(req, list(self.data.get("project_roles", {}).get(req.arg("project_id") or "", [])))
