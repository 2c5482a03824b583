"""The Microsoft Graph protocol for the people side: client-credentials tokens, OData paging, throttling.

The token comes from ``{login_url}/{tenant}/oauth2/v2.0/token`` with
``scope={graph root}/.default`` (``adapters.oauth.ClientCredentialsAuth``, which renews it once
on a 401). Graph pages with ``@odata.nextLink`` (an absolute URL: followed only on the Graph
host) and throttles with 429, or 503, carrying ``Retry-After`` (seconds), which ``IdpHttp``
waits for, capped and cancellable.

Listing a group's *transitive* members cast to users (``…/transitiveMembers/microsoft.graph.user``)
is one of Graph's advanced queries on directory objects: it needs the ``ConsistencyLevel:
eventual`` header and ``$count=true``, or Graph refuses it with 400 ``Request_UnsupportedQuery``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from adapters.base import AdapterError
from adapters.entra import models as m
from adapters.idp_http import IdpHttp
from adapters.oauth import ClientCredentialsAuth
from adapters.people_settings import PeopleSettings
from adapters.secret import Secret

ADVANCED = {"ConsistencyLevel": "eventual"}
#: The most records one page holds (Graph's cap on ``$top``).
PAGE_CAP = 999


def odata_string(value: str) -> str:
    """A string literal for ``$filter``: single quotes doubled, as OData requires."""
    return "'" + value.replace("'", "''") + "'"


def query(**params: str) -> str:
    """A query string with ``$`` options spelled out and values percent-encoded (spaces as %20:
    Graph does not read ``+`` as a space in every position)."""
    return "&".join(f"${k}={quote(v, safe=',')}" for k, v in params.items())


class GraphClient:
    """Async client for one Entra tenant through Microsoft Graph v1.0."""

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
        assert settings.base_url and settings.tenant and settings.client_id, (
            "PeopleSettings checks these for entra"
        )
        self.settings = settings
        self.auth = ClientCredentialsAuth(
            f"{settings.login_url}/{settings.tenant}/oauth2/v2.0/token",
            settings.client_id,
            secret.reveal,
            side="Microsoft Entra ID",
            extra={"scope": f"{settings.base_url}/.default"},
        )
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            auth=self.auth,
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
        self.io = IdpHttp(self._http, side="Microsoft Graph", sleep=sleep, clock=clock, max_wait=max_wait)

    def __repr__(self) -> str:
        return f"GraphClient({self.settings.base_url!r}, tenant={self.settings.tenant!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def pages(self, url: str, headers: dict[str, str] | None = None) -> AsyncIterator[Any]:
        """Each page's ``value`` body, following ``@odata.nextLink`` (Graph host only, never twice)."""
        path = url.split("?")[0]
        seen: set[str] = set()
        while True:
            resp = await self.io.request("GET", url, headers=headers)
            seen.add(str(resp.request.url))
            body = self.io.decode(resp, path)
            yield body
            nxt = body.get("@odata.nextLink") if isinstance(body, dict) else None
            if not nxt:
                return
            url = self.io.check_next(str(nxt), seen, path)

    async def group(self, name: str) -> m.Group:
        """The group whose ``displayName`` is ``name`` (Graph's ``eq`` is case-insensitive)."""
        path = "/v1.0/groups"
        url = f"{path}?{query(filter=f'displayName eq {odata_string(name)}', select='id,displayName')}"
        found: list[m.Group] = []
        async for body in self.pages(url):
            found += m.parse_values(m.Group, body, endpoint=path)
        if not found:
            raise AdapterError(
                f"Microsoft Entra ID has no group named {name!r} (profile [people].groups); check its spelling."
            )
        if len(found) > 1:
            ids = ", ".join(g.id for g in found)
            raise AdapterError(
                f"Microsoft Entra ID has {len(found)} groups named {name!r} ({ids}); "
                "rename one so [people].groups is unambiguous."
            )
        return found[0]

    def members(self, group_id: str) -> AsyncIterator[Any]:
        """Pages of the users in a group and every group nested in it (flattened by Graph)."""
        path = f"/v1.0/groups/{group_id}/transitiveMembers/microsoft.graph.user"
        top = str(min(PAGE_CAP, self.settings.page_size))
        url = f"{path}?{query(select=','.join(m.USER_FIELDS), top=top, count='true')}"
        return self.pages(url, headers=ADVANCED)
