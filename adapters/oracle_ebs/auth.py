"""The ISG session as an ``httpx.Auth`` flow: log in once, send the token cookie, renew once on 401.

``GET /webservices/rest/login`` with Basic auth answers the session token and the name of
the cookie that carries it (``{"data": {"accessTokenName": N, "accessToken": T}}``; some
releases wrap it in ``"response"``). Every later call sends ``Cookie: N=T`` and nothing
else authenticates it. EBS ends idle sessions (ICX: Session Timeout, often 30 minutes),
so a 401 means "log in again": the flow does that once and repeats the call; a second
401 goes back to the client, which names it. The password is asked for per login
through a callable, so it is never an attribute anyone can print.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Generator
from typing import Any

import httpx

from adapters.base import AuthError, ResponseError
from adapters.oracle_ebs.wire import LOGIN_PATH, LOGOUT_PATH

#: Response header the flow sets so the client can tell "refused after a fresh login" apart.
RELOGGED = "x-tieout-relogged-in"


def _with_cookie(header: str | None, name: str, value: str) -> str:
    """``header`` with cookie ``name`` set to ``value`` (other cookies, e.g. a load balancer's, kept)."""
    parts = [p.strip() for p in (header or "").split(";") if p.strip()]
    kept = [p for p in parts if p.partition("=")[0].strip() != name]
    return "; ".join([*kept, f"{name}={value}"])


class IsgSessionAuth(httpx.Auth):
    """An EBS session for one user; ``logins`` counts how often it logged in."""

    requires_response_body = True  # the login answer is read inside the flow

    def __init__(self, base_url: str, username: str, password: Callable[[], str], *, side: str) -> None:
        self._base = base_url.rstrip("/")
        self._user = username
        self._password = password
        self._side = side
        self.cookie_name: str | None = None
        self._token: str | None = None
        self.logins = 0

    def __repr__(self) -> str:
        return f"IsgSessionAuth({self._base!r}, username={self._user!r})"

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    def login_request(self) -> httpx.Request:
        raw = f"{self._user}:{self._password()}".encode()
        return httpx.Request(
            "GET",
            self._base + LOGIN_PATH,
            headers={
                "Authorization": "Basic " + base64.b64encode(raw).decode("ascii"),
                "Accept": "application/json",
            },
        )

    def logout_request(self) -> httpx.Request | None:
        """The logout call for the current session (None when there is none)."""
        if self._token is None or self.cookie_name is None:
            return None
        req = httpx.Request("GET", self._base + LOGOUT_PATH, headers={"Accept": "application/json"})
        req.headers["Cookie"] = _with_cookie(None, self.cookie_name, self._token)
        self._token = None
        return req

    def _take(self, resp: httpx.Response) -> None:
        """Keep the token of a login answer, or raise the sentence a person can act on."""
        where = self._base + LOGIN_PATH
        if resp.status_code in (401, 403):
            raise AuthError(
                f"The {self._side} refused the password of user {self._user!r} at {where} "
                f"(HTTP {resp.status_code}); check [erp] username and run `tieout login`."
            )
        if resp.status_code >= 300:
            raise AuthError(f"The {self._side} login at {where} answered HTTP {resp.status_code}.")
        try:
            body: Any = json.loads(resp.content)
            data = body.get("data") if isinstance(body.get("data"), dict) else body["response"]["data"]
            name, token = str(data["accessTokenName"]), str(data["accessToken"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ResponseError(
                f"The {self._side} login answer at {where} has no data.accessTokenName and data.accessToken."
            ) from None
        if not name or not token:
            raise ResponseError(f"The {self._side} login answer at {where} has an empty session token.")
        self.cookie_name, self._token = name, token
        self.logins += 1

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None:
            self._take((yield self.login_request()))
        assert self.cookie_name is not None and self._token is not None
        sent_with = self._token
        request.headers["Cookie"] = _with_cookie(request.headers.get("Cookie"), self.cookie_name, sent_with)
        response = yield request
        if response.status_code != 401:
            return
        # The session ended (idle timeout, logout elsewhere, server restart): one fresh login, one replay.
        self._token = None
        self._take((yield self.login_request()))
        assert self._token is not None
        request.headers["Cookie"] = _with_cookie(request.headers.get("Cookie"), self.cookie_name, self._token)
        response = yield request
        if response.status_code == 401:
            response.headers[RELOGGED] = "1"
