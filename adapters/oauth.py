"""OAuth2 client credentials as an ``httpx.Auth`` flow (Procore DMSA, SAP communication users).

The token is cached with its expiry and re-requested shortly before it lapses; a 401
on a request triggers exactly one renewal and one replay. Following httpx's own model
(``httpx._auth``), the flow lives in the auth object, so every request of the client
gets it and no call site can forget.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

import anyio
import httpx

from adapters.base import AuthError, ResponseError, UnreachableError

#: Renew this many seconds before the token's stated expiry (clock skew, slow requests).
LEEWAY_SECONDS = 120


class ClientCredentialsAuth(httpx.Auth):
    """Bearer tokens from ``token_url`` with grant_type=client_credentials."""

    requires_response_body = False

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Callable[[], str],
        *,
        side: str,
        extra: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._secret = client_secret  # a callable, so the value is not an attribute anyone can print
        self._side = side
        self._extra = extra or {}
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = anyio.Lock()
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth({self._token_url!r}, client_id={self._client_id!r})"

    async def _fetch(self) -> None:
        data = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret(),
            **self._extra,
        }
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                resp = await client.post(self._token_url, data=data, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise UnreachableError(
                f"Cannot reach the {self._side} login server {self._token_url} ({type(exc).__name__})."
            ) from None
        if resp.status_code in (400, 401, 403):
            raise AuthError(
                f"The {self._side} login server refused the credentials for client {self._client_id!r} "
                f"(HTTP {resp.status_code}); check the client id and run `tieout login`."
            )
        if resp.status_code >= 300:
            raise UnreachableError(f"The {self._side} login server answered HTTP {resp.status_code}.")
        try:
            body: Any = resp.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise ResponseError(
                f"The {self._side} login server's answer at {self._token_url} has no access_token."
            ) from None
        self._token = token
        self._expires_at = self._clock() + lifetime - min(LEEWAY_SECONDS, lifetime / 10)
        self.tokens_fetched += 1

    async def _valid_token(self, *, force: bool = False, stale: str | None = None) -> str:
        async with self._lock:
            # Another request may already have renewed the token this one was refused with.
            if force and self._token is not None and self._token != stale:
                return self._token
            if force or self._token is None or self._clock() >= self._expires_at:
                await self._fetch()
            assert self._token is not None
            return self._token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._valid_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await self._valid_token(force=True, stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request
