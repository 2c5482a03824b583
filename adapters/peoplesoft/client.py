"""An async client for Tieout's PeopleSoft Integration Broker REST service operations.

Each read is a GET on ``{base_url}/TIEOUT_<NAME>.v1/{business_unit}`` with a
``FROM_DTTM``/``TO_DTTM`` window on LASTUPDDTTM and ``OFFSET``/``LIMIT`` paging until the
handler answers ``MORE = N``. Authentication is Basic (OPRID and password) or OAuth2
client credentials, whichever the profile's ``auth`` names: Integration Broker verifies
one or the other per service operation, depending on the PeopleTools release.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.base import AuthError, PermissionDenied, ResponseError, UnreachableError
from adapters.basic_auth import SecretBasicAuth
from adapters.oauth import ClientCredentialsAuth
from adapters.peoplesoft.settings import PeopleSoftSettings
from adapters.peoplesoft.wire import dumps_exact, loads_exact, window_literal

SIDE = "ERP (PeopleSoft)"
RETRY_STATUSES = (429, 502, 503, 504)
#: Never wait longer than this for one Retry-After; a longer outage fails the pull resumably.
MAX_RETRY_AFTER = 30.0
#: A handler that keeps saying MORE = Y past this many pages is looping, not paging.
MAX_PAGES = 100_000


def operation(name: str) -> str:
    """The service operation of a read or write: ``TIEOUT_<NAME>.v1``."""
    return f"TIEOUT_{name}.v1"


class _Transient(Exception):
    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


@dataclass
class Page:
    """One page of a read: the raw rows, and whether the handler has more."""

    rows: list[dict[str, Any]]
    more: bool
    offset: int


class PeopleSoftClient:
    """Integration Broker REST over httpx: auth, windows, paging, retries, IB error sentences."""

    def __init__(
        self,
        settings: PeopleSoftSettings,
        secret: Callable[[], str],
        *,
        max_attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 120.0,
    ) -> None:
        self.settings = settings
        self.requests = 0
        self._max_attempts = max_attempts
        self._backoff = backoff
        auth: httpx.Auth
        if settings.auth == "oauth2":
            assert settings.token_url and settings.client_id  # the settings validator insists
            auth = ClientCredentialsAuth(settings.token_url, settings.client_id, secret, side=SIDE)
        else:
            assert settings.username
            auth = SecretBasicAuth(settings.username, secret)
        self._http = httpx.AsyncClient(
            base_url=settings.base_url + "/",
            auth=auth,
            timeout=timeout,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the one request loop -------------------------------------------------------
    async def _send(self, method: str, path: str, *, what: str, params: Any = None, body: Any = None) -> Any:
        """Send with bounded, backed-off retries on 429/502/503/504 and drops; return the parsed JSON."""

        def wait(state: Any) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return min(exc.retry_after, MAX_RETRY_AFTER)
            return float(wait_exponential(multiplier=self._backoff, max=8)(state))

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, what, params, body)
        except _Transient as exc:
            raise UnreachableError(
                f"The {SIDE} at {self.settings.base_url} kept failing on {what} ({exc.what}) "
                f"after {self._max_attempts} attempts; try again later."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, path: str, what: str, params: Any, body: Any) -> Any:
        self.requests += 1
        try:
            content = None if body is None else dumps_exact(body)
            headers = None if body is None else {"Content-Type": "application/json"}
            resp = await self._http.request(method, path, params=params, content=content, headers=headers)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ReadTimeout) as exc:
            if method != "GET":  # a write that may have landed is never blindly repeated
                raise UnreachableError(f"The {SIDE} did not confirm {what} ({type(exc).__name__}).") from None
            raise _Transient(f"connection dropped: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise UnreachableError(
                f"Cannot reach the {SIDE} at {self.settings.base_url} ({type(exc).__name__})."
            ) from None
        if resp.status_code in RETRY_STATUSES and method == "GET":
            raise _Transient(f"HTTP {resp.status_code}", _retry_after(resp))
        if resp.status_code >= 400:
            self._raise(resp, what)
        try:
            return loads_exact(resp.content)
        except ValueError:
            if method == "GET":
                raise _Transient("an answer that is not JSON") from None
            raise ResponseError(f"The {SIDE} answer on {what} is not JSON.") from None

    def _raise(self, resp: httpx.Response, what: str) -> None:
        """An IB error answer (``errorCode``, ``errorMessage``) as one sentence the admin can act on."""
        status = resp.status_code
        code, message = _ib_error(resp)
        said = f" ({code}: {message})" if code and message else f" ({message})" if message else ""
        node = self.settings.node
        if status == 401:
            if self.settings.auth == "oauth2":
                raise AuthError(
                    f"The {SIDE} refused the OAuth2 token of client {self.settings.client_id!r} on {what} "
                    f'(HTTP 401, auth = "oauth2"){said}; check that the service operation verifies OAuth2 '
                    "(PeopleTools 8.58 or later) and run `tieout login`."
                )
            raise AuthError(
                f"The {SIDE} refused OPRID {self.settings.username!r} on {what} "
                f'(HTTP 401, auth = "basic"){said}; check the OPRID and password (`tieout login`), '
                "or whether the service operation expects OAuth2."
            )
        if _inactive(status, message):
            op = what.split(" ", 1)[0]  # the operation, not "... page 3": activation is per operation
            raise ResponseError(
                f"Service operation {op} is not active on node {node}{said}: the PeopleSoft admin must "
                "activate it, its handler and its routing (docs/peoplesoft.md, activation steps)."
            )
        if status == 403:
            raise PermissionDenied(
                f"{self.settings.principal!r} may not invoke {what} on node {node}{said}: add the service "
                "operation to the Tieout permission list (docs/peoplesoft.md)."
            )
        raise ResponseError(f"The {SIDE} answered HTTP {status} on {what}{said}.")

    # -- reads --------------------------------------------------------------------
    async def pages(
        self, name: str, *, since: datetime | None, until: datetime, extra: dict[str, str] | None = None
    ) -> AsyncIterator[Page]:
        """Every page of ``TIEOUT_<name>.v1`` for the business unit, in the window [since, until)."""
        op = operation(name)
        path = f"{op}/{self.settings.business_unit}"
        limit = self.settings.page_size
        offset = 0
        for page_no in range(1, MAX_PAGES + 1):
            params = {
                "FROM_DTTM": window_literal(since) if since else "",
                "TO_DTTM": window_literal(until),
                "OFFSET": str(offset),
                "LIMIT": str(limit),
                **(extra or {}),
            }
            body = await self._send("GET", path, what=f"{op} page {page_no}", params=params)
            rows, more = _page_body(body, name, op, page_no)
            yield Page(rows, more, offset)
            if not more:
                return
            if not rows:
                raise ResponseError(
                    f"The {SIDE} answered MORE = Y with no rows on {op} page {page_no} (OFFSET {offset}); "
                    "its handler is not paging."
                )
            offset += len(rows)
        raise ResponseError(f"The {SIDE} kept answering MORE = Y on {op} past {MAX_PAGES} pages.")

    # -- writes -------------------------------------------------------------------
    async def get(self, name: str, params: dict[str, str]) -> Any:
        """One GET on ``TIEOUT_<name>.v1/{business_unit}`` (a lookup before a write)."""
        op = operation(name)
        return await self._send("GET", f"{op}/{self.settings.business_unit}", what=op, params=params)

    async def post(self, name: str, body: Any) -> Any:
        """One POST on ``TIEOUT_<name>.v1``; never retried (``reconcile.push`` re-reads first)."""
        op = operation(name)
        return await self._send("POST", op, what=op, body=body)


def _page_body(body: Any, name: str, op: str, page_no: int) -> tuple[list[dict[str, Any]], bool]:
    resp = body.get(f"TIEOUT_{name}_RESP") if isinstance(body, dict) else None
    if not isinstance(resp, dict):
        raise ResponseError(f"The {SIDE} answer on {op} page {page_no} has no TIEOUT_{name}_RESP.")
    rows = resp.get("ROWS")
    if rows is None or rows == "":
        rows = []
    if isinstance(rows, dict):  # a message with one row may serialise it as an object
        rows = [rows]
    if not isinstance(rows, list):
        raise ResponseError(f"The {SIDE} answer on {op} page {page_no}: ROWS is not a list.")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ResponseError(f"The {SIDE} answer on {op} page {page_no}: row {i + 1} is not an object.")
    more = resp.get("MORE")
    if more not in ("Y", "N"):
        raise ResponseError(f"The {SIDE} answer on {op} page {page_no}: MORE is {more!r}, not Y or N.")
    return rows, more == "Y"


def _ib_error(resp: httpx.Response) -> tuple[str, str]:
    try:
        body = loads_exact(resp.content)
    except ValueError:
        return "", resp.text.strip()[:200]
    if isinstance(body, dict):
        return str(body.get("errorCode") or "").strip(), str(body.get("errorMessage") or "").strip()[:300]
    return "", ""


def _inactive(status: int, message: str) -> bool:
    """Integration Broker's answer for a service operation (or handler, routing) not activated."""
    text = message.lower()
    return status == 404 or "inactive" in text or "not active" in text or "no active" in text


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
