"""What the identity-provider clients (Okta, Microsoft Graph) share: bounded retries, rate-limit
waits that are capped and cancellable, and next-page links followed only within the configured host.

Why a link is checked before it is followed: Okta's ``Link`` header and Graph's
``@odata.nextLink`` are absolute URLs the client sends its credentials to. A link to another
host (a misconfigured proxy, a hostile answer) must never receive the token. A link seen twice
means the server is looping; stopping quietly would lose the rest of the group and turn
everyone not yet read into a false orphan, so it is an error instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
import httpx

from adapters.base import (
    AdapterError,
    AuthError,
    Cancelled,
    PermissionDenied,
    ResponseError,
    UnreachableError,
)

TRANSIENT = {500, 502, 503, 504}
Sleep = Callable[[float], Awaitable[None]]


def same_origin(url: str, base: httpx.URL) -> bool:
    """True when ``url`` has the scheme, host and port of ``base``."""
    u = httpx.URL(url)
    return (u.scheme, u.host, u.port) == (base.scheme, base.host, base.port)


def server_now(resp: httpx.Response, clock: Callable[[], float]) -> float:
    """The server's clock from its ``Date`` header (reset stamps are in its time), else ours."""
    value = resp.headers.get("Date")
    if value:
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            pass
    return clock()


class IdpHttp:
    """One IdP's HTTP conversation: ``request`` with retries and waits, ``follow`` for next links."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        side: str,
        sleep: Sleep = anyio.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 300.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.http = http
        self.side = side
        self.base = http.base_url
        self._sleep = sleep
        self._clock = clock
        self.max_wait = max_wait
        self._max_retries = max_retries
        self._backoff = backoff
        #: Asked during long waits, so a cancelled pull does not sit out a rate-limit window.
        self.cancelled = cancelled
        self.requests = 0
        self.wait_seconds = 0.0
        #: The request limit of the rate-limit window the IdP last reported (None: it reports none).
        self.reported_limit: int | None = None

    def observe(self, resp: httpx.Response) -> None:
        """Note what an answer says about the rate limit (an IdP that reports one overrides this)."""

    def rate_limit_wait(self, resp: httpx.Response) -> float | None:
        """Seconds a refusal asks us to wait, or None when it does not say (the subclass decides)."""
        value = resp.headers.get("Retry-After")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - server_now(resp, self._clock))
            except (TypeError, ValueError):
                return None

    async def _wait(self, seconds: float, path: str) -> None:
        if seconds > self.max_wait:
            raise AdapterError(
                f"{self.side} asks Tieout to wait {math.ceil(seconds)} s for its rate limit at {path}, "
                f"longer than the {math.ceil(self.max_wait)} s Tieout waits; try again later."
            )
        left = seconds
        while left > 0:
            if self.cancelled():
                raise Cancelled(f"The {self.side} read was cancelled while waiting for its rate limit.")
            step = min(1.0, left)
            await self._sleep(step)
            left -= step
        self.wait_seconds += seconds

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; returns a 2xx answer or raises an ``AdapterError`` naming the endpoint."""
        path = httpx.URL(url).path or url
        attempt = 0
        refusals = 0
        while True:
            if self.cancelled():
                raise Cancelled(f"The {self.side} read was cancelled.")
            try:
                self.requests += 1
                resp = await self.http.request(method, url, params=params, headers=headers)
            except httpx.ConnectError:
                failure, unreachable = (
                    f"Cannot reach {self.side} at {self.base} (connection refused or unknown host).",
                    True,
                )
            except httpx.TimeoutException:
                failure, unreachable = (
                    f"{self.side} at {self.base} did not answer {method} {path} in time.",
                    True,
                )
            except httpx.TransportError as exc:
                failure, unreachable = (
                    f"The connection to {self.side} dropped during {method} {path} ({type(exc).__name__}).",
                    False,
                )
            else:
                self.observe(resp)
                wait = self.rate_limit_wait(resp) if resp.status_code in (429, 503) else None
                if resp.status_code == 429 or (resp.status_code == 503 and wait is not None):
                    refusals += 1
                    if refusals > 10:
                        raise AdapterError(
                            f"{self.side} kept refusing {path} for its rate limit; try again later."
                        )
                    await self._wait(wait if wait is not None else min(60.0, 2.0**refusals), path)
                    continue
                if resp.status_code in TRANSIENT and method == "GET":
                    failure, unreachable = (
                        f"{self.side} answered HTTP {resp.status_code} to {method} {path} repeatedly.",
                        False,
                    )
                else:
                    self.raise_for_status(resp, method, path)
                    return resp
            attempt += 1
            if method != "GET" or attempt > self._max_retries:
                raise UnreachableError(failure) if unreachable else AdapterError(failure)
            await self._sleep(min(30.0, self._backoff * 2 ** (attempt - 1)))

    def raise_for_status(self, resp: httpx.Response, method: str, path: str) -> None:
        status = resp.status_code
        if status < 400:
            return
        if status == 401:
            raise AuthError(
                f"{self.side} refused the credentials for {path} (HTTP 401); check the [people] settings "
                "and run `tieout login` (or set TIEOUT_IDP_SECRET)."
            )
        if status == 403:
            raise PermissionDenied(
                f"{self.side} denied {method} {path} (HTTP 403); the credentials need read access to groups and users."
            )
        raise AdapterError(f"{self.side} answered HTTP {status} to {method} {path}.")

    def decode(self, resp: httpx.Response, path: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise ResponseError(f"{self.side}'s answer from {path} is not valid JSON.") from None

    def check_next(self, url: str, seen: set[str], path: str) -> str:
        """A next-page link made safe to follow: same origin as the profile's URL, never seen before."""
        if not same_origin(url, self.base):
            raise ResponseError(
                f"{self.side}'s next-page link for {path} points at {httpx.URL(url).host}, not {self.base.host}; "
                "Tieout sends its credentials only to the configured host."
            )
        if url in seen or str(httpx.URL(url)) in seen:
            raise ResponseError(
                f"{self.side} repeated a next-page link for {path}; the list was not read to its end."
            )
        seen.add(url)
        return url


async def collect(pages: AsyncIterator[list[Any]]) -> list[Any]:
    """Every record of a paged list (small lists: group look-ups)."""
    out: list[Any] = []
    async for page in pages:
        out += page
    return out
