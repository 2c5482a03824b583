"""Microsoft Graph (and its Entra token endpoint) over loopback, for the people side.

Served as Graph does it where a client can get it wrong: client-credentials tokens at
``/{tenant}/oauth2/v2.0/token`` (``scope`` must end in ``/.default``), ``$filter=displayName eq
'…'`` with doubled quotes, ``transitiveMembers/microsoft.graph.user`` flattening nested
groups (refused with 400 ``Request_UnsupportedQuery`` without ``ConsistencyLevel: eventual``
and ``$count=true``), ``$select`` replacing the default properties (``accountEnabled`` is
absent unless named), and ``$top`` pages chained by absolute ``@odata.nextLink`` URLs.
"""

from __future__ import annotations

import copy
import re
import secrets as pysecrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from adapters.simkit import Served, SimRequest, SimResponse, SimServer

#: What Graph returns for a user when ``$select`` is absent: no accountEnabled among them.
DEFAULT_USER_FIELDS = (
    "id",
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)
_FILTER = re.compile(r"^displayName eq '((?:[^']|'')*)'$")


def _error(status: int, code: str, message: str) -> SimResponse:
    return SimResponse.json({"error": {"code": code, "message": message, "innerError": {}}}, status)


class GraphSimulator(Served):
    """``start()`` → the Graph root (also the login URL); ``stop()``; ``faults``; ``server.log``.

    ``seed``: ``{"groups": [{id, displayName}], "users": [user…], "members": {group id: [member
    ids: users, groups or others]}, "devices": [...]}``.
    """

    def __init__(
        self,
        seed: dict[str, Any],
        *,
        tenant: str,
        client_id: str,
        client_secret: str,
        token_lifetime: int = 3599,
        clock: Callable[[], float] = time.time,
    ) -> None:
        data = seed.get("entra", seed)
        self.groups = {g["id"]: copy.deepcopy(g) for g in data.get("groups", [])}
        self.users = {u["id"]: copy.deepcopy(u) for u in data.get("users", [])}
        self.members: dict[str, list[str]] = {k: list(v) for k, v in data.get("members", {}).items()}
        self.tenant, self.client_id, self._secret = tenant, client_id, client_secret
        self.token_lifetime, self.clock = token_lifetime, clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self.server = SimServer(
            [
                ("POST", rf"/{re.escape(tenant)}/oauth2/v2\.0/token", self._token),
                ("GET", r"/v1\.0/groups", self._wrap(self._groups)),
                (
                    "GET",
                    r"/v1\.0/groups/(?P<gid>[^/]+)/transitiveMembers/microsoft\.graph\.user",
                    self._wrap(self._transitive_users),
                ),
            ],
            name="graph-sim",
        )
        self.faults = self.server.faults

    def __repr__(self) -> str:
        return f"GraphSimulator(tenant={self.tenant!r}, users={len(self.users)})"

    # -- auth ---------------------------------------------------------------------------
    def _token(self, req: SimRequest) -> SimResponse:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return SimResponse.json({"error": "unsupported_grant_type"}, 400)
        if not (form.get("scope") or "").endswith("/.default"):
            return SimResponse.json({"error": "invalid_scope", "error_description": "AADSTS1002012"}, 400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self._secret:
            return SimResponse.json({"error": "invalid_client", "error_description": "AADSTS7000215"}, 401)
        token = pysecrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = self.clock() + self.token_lifetime
        return SimResponse.json(
            {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": token}
        )

    def _wrap(self, fn: Callable[..., SimResponse]) -> Callable[..., SimResponse]:
        def route(req: SimRequest, **kw: str) -> SimResponse:
            token = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
            with self._lock:
                expiry = self._tokens.get(token)
            if expiry is None or expiry <= self.clock():
                return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            return fn(req, **kw)

        return route

    # -- paging -------------------------------------------------------------------------
    def _page(self, req: SimRequest, records: list[dict[str, Any]], *, count: bool) -> SimResponse:
        try:
            top = int(req.arg("$top") or 100)
            start = int(req.arg("$skiptoken") or 0)
        except ValueError:
            return _error(400, "Request_BadRequest", "Invalid $top or $skiptoken.")
        if not 1 <= top <= 999:
            return _error(
                400,
                "Request_BadRequest",
                f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.",
            )
        body: dict[str, Any] = {"@odata.context": f"{self.base_url}/v1.0/$metadata#directoryObjects"}
        if count:
            body["@odata.count"] = len(records)
        body["value"] = records[start : start + top]
        if start + top < len(records):
            q = {k: v[0] for k, v in req.query.items() if k != "$skiptoken"}
            q["$skiptoken"] = str(start + top)
            body["@odata.nextLink"] = f"{self.base_url}{req.path}?" + "&".join(
                f"{k}={quote(v, safe=',$')}" for k, v in q.items()
            )
        return SimResponse.json(body)

    @staticmethod
    def _select(record: dict[str, Any], select: str | None, default: tuple[str, ...]) -> dict[str, Any]:
        fields = [f.strip() for f in select.split(",")] if select else list(default)
        return {f: record.get(f) for f in fields if f in record or f == "id"}

    # -- routes -------------------------------------------------------------------------
    def _groups(self, req: SimRequest) -> SimResponse:
        flt = req.arg("$filter")
        groups = list(self.groups.values())
        if flt is not None:
            m = _FILTER.match(flt.strip())
            if m is None:
                return _error(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause.")
            name = m.group(1).replace("''", "'").lower()
            groups = [g for g in groups if g["displayName"].lower() == name]
        rows = [self._select(g, req.arg("$select"), ("id", "displayName")) for g in groups]
        return self._page(req, rows, count=False)

    def _transitive_users(self, req: SimRequest, gid: str) -> SimResponse:
        if gid not in self.groups:
            return _error(404, "Request_ResourceNotFound", f"Resource '{gid}' does not exist.")
        if req.headers.get("consistencylevel") != "eventual" or req.arg("$count") != "true":
            return _error(
                400,
                "Request_UnsupportedQuery",
                "The specified filter to the reference property query is currently not supported.",
            )
        found: list[str] = []
        seen_groups: set[str] = set()
        stack = [gid]
        while stack:  # nested groups, cycle-safe
            g = stack.pop()
            if g in seen_groups:
                continue
            seen_groups.add(g)
            for member in self.members.get(g, []):
                if member in self.groups:
                    stack.append(member)
                elif member in self.users and member not in found:
                    found.append(member)
        rows = [
            {
                "@odata.type": "#microsoft.graph.user",
                **self._select(self.users[u], req.arg("$select"), DEFAULT_USER_FIELDS),
            }
            for u in found
        ]
        return self._page(req, rows, count=True)
