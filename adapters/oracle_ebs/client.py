"""An async client for the Tieout procedures on Oracle EBS Integrated SOA Gateway REST.

One request loop (``_send``) with bounded, backed-off retries for what is transient
(HTTP 429/500/502/503/504, dropped connections, a body that does not parse) and a capped
``Retry-After``; one place (``_refusal``) that turns every refusal into one sentence a
person can act on; and ``pages``, which walks ``P_OFFSET``/``P_LIMIT`` until ``X_HAS_MORE``
is ``N``. Writes go through ``call_once``: never retried, because whether a first attempt
landed is unknown and ``push`` looks the journal up by its reference instead.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.base import AdapterError, AuthError, PermissionDenied, ResponseError, UnreachableError
from adapters.oracle_ebs.auth import RELOGGED, IsgSessionAuth
from adapters.oracle_ebs.settings import OracleEbsSettings
from adapters.oracle_ebs.wire import (
    READ_PACKAGE,
    WRITE_PACKAGE,
    fault_of,
    format_ts,
    printable,
    procedure_path,
    request_body,
    table_rows,
)
from adapters.secret import Secret

SIDE = "ERP (Oracle EBS)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Never wait longer than this for one Retry-After; a longer outage fails the pull resumably.
MAX_RETRY_AFTER = 30.0
#: RESTHeader element → the profile key that feeds it, for the 403 sentence.
CONTEXT_KEYS = {
    "Responsibility": "responsibility",
    "RespApplication": "resp_application",
    "SecurityGroup": "security_group",
    "NLSLanguage": "nls_language",
}


class ProcedureError(AdapterError):
    """A procedure answered ``X_RETURN_STATUS = E``; ``str()`` names it and its ``X_MSG_DATA``."""

    def __init__(self, message: str, *, procedure: str, msg_data: str) -> None:
        super().__init__(message)
        self.procedure = procedure
        self.msg_data = msg_data


class _Transient(Exception):
    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


@dataclass
class Page:
    """One page of a read procedure: its rows and where it started."""

    rows: list[dict[str, Any]]
    offset: int
    has_more: bool


class EbsClient:
    """The XX_TIEOUT_READ / XX_TIEOUT_WRITE procedures over one ISG session."""

    def __init__(
        self,
        settings: OracleEbsSettings,
        secret: Secret,
        *,
        max_attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.requests = 0
        self._max_attempts = max_attempts
        self._backoff = backoff
        self.auth = IsgSessionAuth(self.base_url, settings.username, secret.reveal, side=SIDE)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=self.auth,
            timeout=timeout,
            headers={"Accept": "application/json"},
            follow_redirects=False,
            transport=transport,
        )

    @property
    def header(self) -> dict[str, str]:
        """The application context sent on every call."""
        s = self.settings
        return {
            "Responsibility": s.responsibility,
            "RespApplication": s.resp_application,
            "SecurityGroup": s.security_group,
            "NLSLanguage": s.nls_language,
            "Org_Id": s.org_id,
        }

    async def aclose(self) -> None:
        """Log out (best effort: the session times out anyway) and close the connection pool."""
        logout = self.auth.logout_request()
        try:
            if logout is not None:
                try:
                    await self._http.send(logout, auth=None)
                except httpx.HTTPError:
                    pass  # an unreachable server has no session to end
        finally:
            await self._http.aclose()

    # -- the one request loop -------------------------------------------------------
    def _where(self, package: str, procedure: str) -> tuple[str, str]:
        alias = self.settings.write_alias if package == WRITE_PACKAGE else self.settings.alias
        return procedure_path(alias, procedure), f"{package}.{procedure.upper()}"

    async def _send(self, url: str, body: dict[str, Any], what: str, *, retry: bool) -> Any:
        def wait(state: Any) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return min(exc.retry_after, MAX_RETRY_AFTER)
            return float(wait_exponential(multiplier=self._backoff, max=8)(state))

        attempts = self._max_attempts if retry else 1
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait,
                retry=retry_if_exception_type(_Transient),
                reraise=True,
            ):
                with attempt:
                    return await self._once(url, body, what)
        except _Transient as exc:
            if not retry:
                raise UnreachableError(
                    f"The {SIDE} did not confirm {what} ({exc.what}); it is looked up before any retry."
                ) from None
            raise UnreachableError(
                f"The {SIDE} at {self.base_url} kept failing on {what} ({exc.what}) "
                f"after {attempts} attempts; try again later."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, url: str, body: dict[str, Any], what: str) -> Any:
        self.requests += 1
        try:
            resp = await self._http.post(url, json=body)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ReadTimeout) as exc:
            raise _Transient(f"connection dropped: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise UnreachableError(
                f"Cannot reach the {SIDE} at {self.base_url} ({type(exc).__name__})."
            ) from None
        if resp.status_code in RETRY_STATUSES:
            raise _Transient(f"HTTP {resp.status_code}", _retry_after(resp))
        if resp.status_code >= 300:
            self._refusal(resp, what)
        try:
            answer = json.loads(resp.content)
        except ValueError:
            raise _Transient("an answer that is not JSON") from None
        out = answer.get("OutputParameters") if isinstance(answer, dict) else None
        if not isinstance(out, dict):
            raise _Transient("an answer without OutputParameters")
        return out

    def _refusal(self, resp: httpx.Response, what: str) -> None:
        status = resp.status_code
        try:
            fault = fault_of(json.loads(resp.content))
        except ValueError:
            fault = None
        said = f"{fault[0]}: {fault[1]}".strip(": ") if fault else f"HTTP {status}"
        if status == 401:
            if resp.headers.get(RELOGGED):
                raise AuthError(
                    f"The {SIDE} ended the session of {self.settings.username!r} again right after a fresh "
                    f"login on {what}; ask the EBS team whether the user is end-dated or the session "
                    "cookie is stripped by a proxy in front of EBS."
                )
            raise AuthError(
                f"The {SIDE} refused the session of {self.settings.username!r} on {what} (HTTP 401)."
            )
        if status == 403:
            raise PermissionDenied(self._context_sentence(what, said))
        if status == 404:
            raise ResponseError(
                f"The {SIDE} has no REST service {what} at {resp.request.url.path} ({said}); "
                "is the package deployed as REST under the alias the profile names?"
            )
        raise ResponseError(f"The {SIDE} answered HTTP {status} on {what} ({said}).")

    def _context_sentence(self, what: str, said: str) -> str:
        """The 403 as one sentence naming the profile setting(s) to check.

        ISG names the element it rejected in its message (``Responsibility Application
        XX is not valid``); when it names none (``ISG_SERVICE_AUTH_FAILURE``), all four
        settings and the grant are what a person checks.
        """
        text = " ".join(said.lower().replace("_", " ").split())
        named: list[str] = []
        if "respapplication" in text or "responsibility application" in text or "resp application" in text:
            named.append("resp_application")
            text = text.replace("responsibility application", "")
        if "responsibility" in text:
            named.insert(0, "responsibility")
        if "securitygroup" in text or "security group" in text:
            named.append("security_group")
        if "nls" in text or "language" in text:
            named.append("nls_language")
        if not named:
            named = list(CONTEXT_KEYS.values())
        settings = ", ".join(f"{k} = {getattr(self.settings, k)!r}" for k in named)
        grant = (
            " and that the service is granted to the user or that responsibility"
            if "authoriz" in text
            else ""
        )
        return (
            f"The {SIDE} refused the application context on {what} ({said}); check [erp] {settings}{grant}."
        )

    # -- procedures ---------------------------------------------------------------------
    async def call(
        self, procedure: str, params: dict[str, Any], *, package: str = READ_PACKAGE, retry: bool = True
    ) -> dict[str, Any]:
        """One procedure call; its ``OutputParameters`` when ``X_RETURN_STATUS`` is ``S``."""
        url, what = self._where(package, procedure)
        body = request_body(procedure, self.header, params)
        out: dict[str, Any] = await self._send(url, body, what, retry=retry)
        status = str(out.get("X_RETURN_STATUS") or "")
        if status != "S":
            msg = printable(str(out.get("X_MSG_DATA") or "")) or "no message"
            raise ProcedureError(
                f"{what} failed in Oracle EBS (X_RETURN_STATUS {status or 'missing'}): {msg.rstrip('.')}.",
                procedure=what,
                msg_data=msg,
            )
        return out

    async def call_once(self, procedure: str, params: dict[str, Any]) -> dict[str, Any]:
        """A write procedure: sent once, never retried."""
        return await self.call(procedure, params, package=WRITE_PACKAGE, retry=False)

    async def pages(self, procedure: str, *, since: datetime | None, offset: int = 0) -> AsyncIterator[Page]:
        """Every page of a read procedure: ``P_OFFSET`` advances by the rows received until ``X_HAS_MORE = N``.

        The server may answer fewer rows than ``P_LIMIT``, so only ``X_HAS_MORE`` ends the
        walk. A page that repeats the previous one, or that promises more but brings no
        row, would loop forever: it stops the pull with a sentence instead.
        """
        what = f"{READ_PACKAGE}.{procedure.upper()}"
        previous: list[dict[str, Any]] | None = None
        while True:
            params = {
                "P_CHANGED_SINCE": format_ts(since) if since else "",
                "P_OFFSET": str(offset),
                "P_LIMIT": str(self.settings.page_size),
            }
            out = await self.call(procedure, params)
            try:
                rows = table_rows(out.get("X_ROWS"), "X_ROWS_ITEM")
            except ValueError as exc:
                raise ResponseError(
                    f"The {SIDE} answer of {what} at offset {offset}: X_ROWS: {exc}."
                ) from None
            more = str(out.get("X_HAS_MORE") or "N").upper()
            if more not in ("Y", "N"):
                raise ResponseError(
                    f"The {SIDE} answer of {what} at offset {offset} has X_HAS_MORE {more!r}."
                )
            if more == "Y" and not rows:
                raise ResponseError(
                    f"{what} at offset {offset} said X_HAS_MORE = Y but sent no row; the pull stopped "
                    "rather than ask for the same page forever."
                )
            if rows and previous is not None and rows == previous:
                raise ResponseError(
                    f"{what} sent the same page again at offset {offset}; the procedure ignores "
                    "P_OFFSET, so the pull stopped rather than read the same rows forever."
                )
            yield Page(rows, offset, more == "Y")
            if more == "N":
                return
            previous = rows
            offset += len(rows)


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
