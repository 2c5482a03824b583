"""The Okta Management API protocol: API-token (or OAuth) auth, ``Link`` paging, rate limits.

Okta answers a spent rate limit with HTTP 429 and ``X-Rate-Limit-Reset`` (UTC epoch seconds,
in the server's clock), often without ``Retry-After``: the wait runs to that reset, measured
against the answer's ``Date`` header so our clock's skew does not matter, capped by
``max_wait`` and cancellable (``IdpHttp``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx

from adapters.base import AdapterError
from adapters.idp_http import IdpHttp, server_now
from adapters.okta import models as m
from adapters.people_settings import PeopleSettings
from adapters.secret import Secret


class OktaAuth(httpx.Auth):
    """``Authorization: SSWS <token>`` (an API token) or ``Bearer <token>`` (a scoped OAuth token)."""

    def __init__(self, token: Callable[[], str], scheme: str) -> None:
        self._token = token  # a callable, so the value is no attribute anyone can print
        self._scheme = scheme

    def __repr__(self) -> str:
        return f"OktaAuth({self._scheme})"

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"{self._scheme} {self._token()}"
        yield request


#: Okta's rate-limit windows are a minute long; ``X-Rate-Limit-Limit`` is the org's number for one.
WINDOW_SECONDS = 60
#: The most users one page of a group's members holds (Okta's cap on ``limit``).
PAGE_CAP = 1000


class OktaHttp(IdpHttp):
    def observe(self, resp: httpx.Response) -> None:
        try:
            self.reported_limit = int(resp.headers["X-Rate-Limit-Limit"])
        except (KeyError, ValueError):
            pass

    def rate_limit_wait(self, resp: httpx.Response) -> float | None:
        after = super().rate_limit_wait(resp)
        if after is not None:
            return after
        reset = resp.headers.get("X-Rate-Limit-Reset")
        try:
            # One second past the reset: the window turns over at the stamp, not before it.
            return max(0.0, float(reset) - server_now(resp, self._clock) + 1.0) if reset else None
        except ValueError:
            return None


class OktaClient:
    """Async client for one Okta org: group look-up by name and group members."""

    def __init__(
        self,
        settings: PeopleSettings,
        secret: Secret,
        *,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 300.0,
        timeout: float = 30.0,
    ) -> None:
        assert settings.base_url, "PeopleSettings requires base_url for okta"
        self.settings = settings
        scheme = "SSWS" if settings.okta_auth == "ssws" else "Bearer"
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            auth=OktaAuth(secret.reveal, scheme),
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
        self.io = OktaHttp(self._http, side="Okta", sleep=sleep, clock=clock, max_wait=max_wait)

    def __repr__(self) -> str:
        return f"OktaClient({self.settings.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def pages(self, path: str, params: dict[str, Any]) -> AsyncIterator[list[Any]]:
        """Each page of a list, following ``Link: rel="next"`` (same origin, never twice) to its end."""
        url: str = path
        query: dict[str, Any] | None = params
        seen: set[str] = set()
        while True:
            resp = await self.io.request("GET", url, params=query)
            seen.add(str(resp.request.url))
            yield self.io.decode(resp, path)
            nxt = resp.links.get("next", {}).get("url")
            if not nxt:
                return
            # The link carries the cursor (``after``) and every other parameter.
            url, query = self.io.check_next(nxt, seen, path), None

    async def group(self, name: str) -> m.Group:
        """The group whose ``profile.name`` is exactly ``name`` (``q=`` is a prefix search)."""
        path = "/api/v1/groups"
        found: list[m.Group] = []
        async for page in self.pages(path, {"q": name, "limit": 200}):
            found += [g for g in m.parse_list(m.Group, page, endpoint=path) if g.profile.name == name]
        if not found:
            raise AdapterError(
                f"Okta has no group named {name!r} (profile [people].groups); check its spelling."
            )
        if len(found) > 1:
            ids = ", ".join(g.id for g in found)
            raise AdapterError(
                f"Okta has {len(found)} groups named {name!r} ({ids}); rename one so [people].groups is unambiguous."
            )
        return found[0]

    def members(self, group_id: str) -> AsyncIterator[list[Any]]:
        """Pages of a group's users, SUSPENDED and DEPROVISIONED ones included with their status.

        Okta keeps deactivated (DEPROVISIONED) users in their groups until they are deleted;
        only ``/api/v1/users`` without a filter leaves them out.
        """
        return self.pages(f"/api/v1/groups/{group_id}/users", {"limit": self.settings.page_size})
