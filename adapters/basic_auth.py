"""HTTP Basic as an ``httpx.Auth`` flow that asks for the password per request.

Shared by the adapters whose systems take a user and password (SAP with a communication
user, SAP ECC's SOAP bindings, PeopleSoft's OPRID): the secret is a callable, so it is
never an attribute a repr, log line or traceback could show.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Generator

import httpx


class SecretBasicAuth(httpx.Auth):
    """``Authorization: Basic`` from a user and a password read at send time."""

    def __init__(self, user: str, secret: Callable[[], str]) -> None:
        self._user = user
        self._secret = secret

    def __repr__(self) -> str:
        return f"{type(self).__name__}(user={self._user!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raw = f"{self._user}:{self._secret()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        yield request
