"""Okta's Management API over loopback: groups and group members, as a real org answers them.

What a client must get right is served the way Okta does it: ``Authorization: SSWS <token>``
(401 ``E0000011`` otherwise), ``q=`` as a prefix search on the group name, opaque ``after``
cursors in ``Link: <…>; rel="next"`` headers, members of every status (DEPROVISIONED users
stay in their groups), and a rate limit whose 429 carries ``X-Rate-Limit-Reset`` but no
``Retry-After``. Fault kinds beyond simkit's: ``foreign_link`` (the next link points at another
host) and ``loop_link`` (the next link repeats the current page's).
"""

from __future__ import annotations

import base64
import copy
import math
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from adapters.simkit import Served, SimRequest, SimResponse, SimServer


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"i:{index}".encode()).decode().rstrip("=")


def _index(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("i:"))
    except (ValueError, UnicodeDecodeError):
        return -1


class OktaSimulator(Served):
    """``start()`` → the org URL; ``stop()``; ``faults``; ``server.log``.

    ``seed``: ``{"groups": [group…], "users": [user…], "members": {group id: [user id…]}}`` in
    Okta's wire shape. ``rate_limit`` requests per ``window`` seconds (of ``clock``).
    """

    def __init__(
        self,
        seed: dict[str, Any],
        *,
        token: str,
        scheme: str = "SSWS",
        rate_limit: int = 600,
        window: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        data = seed.get("okta", seed)
        self.groups: list[dict[str, Any]] = copy.deepcopy(data.get("groups", []))
        self.users: dict[str, dict[str, Any]] = {u["id"]: copy.deepcopy(u) for u in data.get("users", [])}
        self.members: dict[str, list[str]] = {k: list(v) for k, v in data.get("members", {}).items()}
        self._auth = f"{scheme} {token}"
        self.rate_limit, self.window, self.clock = rate_limit, window, clock
        self._lock = threading.Lock()
        self._window_start = math.floor(clock())
        self._used = 0
        self.server = SimServer(
            [
                ("GET", r"/api/v1/groups", self._wrap(self._groups)),
                ("GET", r"/api/v1/groups/(?P<gid>[^/]+)/users", self._wrap(self._members)),
            ],
            name="okta-sim",
        )
        self.faults = self.server.faults

    def __repr__(self) -> str:
        return f"OktaSimulator(groups={len(self.groups)}, users={len(self.users)})"

    # -- around every route -----------------------------------------------------------
    def _limits(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            now = self.clock()
            if now >= self._window_start + self.window:
                self._window_start, self._used = math.floor(now), 0
            allowed = self._used < self.rate_limit
            if allowed:
                self._used += 1
            reset = self._window_start + self.window
            headers = {
                "X-Rate-Limit-Limit": str(self.rate_limit),
                "X-Rate-Limit-Remaining": str(max(0, self.rate_limit - self._used)),
                "X-Rate-Limit-Reset": str(reset),
            }
            return allowed, headers

    def _wrap(self, fn: Callable[..., SimResponse]) -> Callable[..., SimResponse]:
        def route(req: SimRequest, **kw: str) -> SimResponse:
            if req.headers.get("authorization") != self._auth:
                return SimResponse.json(
                    {"errorCode": "E0000011", "errorSummary": "Invalid token provided", "errorCauses": []},
                    401,
                )
            allowed, headers = self._limits()
            if not allowed:
                body = {
                    "errorCode": "E0000047",
                    "errorSummary": "API call exceeded rate limit due to too many requests.",
                }
                return SimResponse.json(body, 429, headers)
            resp = fn(req, **kw)
            resp.headers.update(headers)
            return resp

        return route

    def _page(self, req: SimRequest, records: list[dict[str, Any]], default_limit: int) -> SimResponse:
        try:
            limit = max(1, min(int(req.arg("limit") or default_limit), 1000))
        except ValueError:
            return SimResponse.json(
                {"errorCode": "E0000001", "errorSummary": "Api validation failed: limit"}, 400
            )
        start = _index(req.arg("after"))
        if start < 0:
            return SimResponse.json(
                {"errorCode": "E0000001", "errorSummary": "Api validation failed: after"}, 400
            )
        chunk = records[start : start + limit]
        headers: dict[str, str] = {}
        links = [f'<{self._url(req, None)}>; rel="self"']
        if start + limit < len(records):
            nxt = self._url(req, _cursor(start + limit))
            if self.faults.take(req.path, ("foreign_link",)) is not None:
                nxt = nxt.replace("127.0.0.1", "localhost")
            if self.faults.take(req.path, ("loop_link",)) is not None:
                nxt = self._url(req, req.arg("after"))
            links.append(f'<{nxt}>; rel="next"')
        headers["Link"] = ", ".join(links)
        return SimResponse.json(chunk, headers=headers)

    def _url(self, req: SimRequest, after: str | None) -> str:
        q = {k: v for k, v in req.query.items() if k != "after"}
        if after:
            q["after"] = [after]
        return f"{self.server.base_url}{req.path}?{urlencode(q, doseq=True)}"

    # -- routes -----------------------------------------------------------------------
    def _groups(self, req: SimRequest) -> SimResponse:
        q = (req.arg("q") or "").lower()
        found = [g for g in self.groups if g["profile"]["name"].lower().startswith(q)]
        return self._page(req, found, 10_000)

    def _members(self, req: SimRequest, gid: str) -> SimResponse:
        if not any(g["id"] == gid for g in self.groups):
            return SimResponse.json(
                {
                    "errorCode": "E0000007",
                    "errorSummary": f"Not found: Resource not found: {gid} (UserGroup)",
                },
                404,
            )
        users = [self.users[uid] for uid in self.members.get(gid, []) if uid in self.users]
        return self._page(req, users, 1000)
