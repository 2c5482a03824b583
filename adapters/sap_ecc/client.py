"""An async SOAP client for the function modules a SOAMANAGER binding exposes, on zeep.

zeep reads the site's own WSDL (fetched with the same Basic auth) and builds every
envelope; nothing here writes XML. Two rules of ECC's SOAP runtime shape this module:
- Calls go to the configured ``base_url``'s scheme, host and port with the WSDL's path:
  behind a reverse proxy the WSDL often names an internal host, and the credentials must
  never follow it there.
- ``BAPI_TRANSACTION_COMMIT`` commits only what the same ABAP session buffered, so a push
  keeps its session: the binding is session-oriented and the session cookie SAP sets
  stays in this client's cookie jar from the BAPI to the commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.base import AuthError, PermissionDenied, ResponseError, UnreachableError
from adapters.basic_auth import SecretBasicAuth
from adapters.sap_ecc.settings import SapEccSettings

SIDE = "ERP (SAP ECC)"
RETRY_STATUSES = (502, 503, 504)
#: RFC_READ_TABLE's OPTIONS rows are 72 characters; a token never spans two rows.
OPTION_WIDTH = 72


class _Transient(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class SapFault(ResponseError):
    """A SOAP fault: an RFC exception (``DATA_BUFFER_EXCEEDED``, ``TABLE_NOT_AVAILABLE``...)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _output_elements(service: Any, function: str) -> list[str]:
    """The names of a function's response elements, as the WSDL declares them."""
    try:
        body = service._binding._operations[function].output.body
        return [name for name, _ in body.type.elements]
    except (AttributeError, KeyError):
        return []


def option_rows(conditions: list[str]) -> list[dict[str, str]]:
    """A WHERE clause (conditions joined by AND) as OPTIONS rows of at most 72 characters."""
    tokens: list[str] = []
    for i, cond in enumerate(conditions):
        if i:
            tokens.append("AND")
        # Split on blanks outside quoted literals: ABAP reads tokens, and one may not span rows.
        tokens.extend(t for t in re.findall(r"'(?:[^']|'')*'|[^\s']+", cond))
    rows: list[str] = []
    line = ""
    for token in tokens:
        if len(token) > OPTION_WIDTH:
            raise ValueError(f"an OPTIONS token is longer than {OPTION_WIDTH} characters: {token[:20]}...")
        candidate = f"{line} {token}" if line else token
        if len(candidate) > OPTION_WIDTH:
            rows.append(line)
            line = token
        else:
            line = candidate
    if line:
        rows.append(line)
    return [{"TEXT": r} for r in rows]


class EccClient:
    """The function modules over SOAP: auth, sap-client, session, retries, faults as sentences."""

    def __init__(
        self,
        settings: SapEccSettings,
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
        auth = SecretBasicAuth(settings.username, secret)
        params = {"sap-client": settings.sap_client}
        self._wsdl_http = httpx.Client(auth=auth, params=params, timeout=timeout, follow_redirects=False)
        self._http = httpx.AsyncClient(auth=auth, params=params, timeout=timeout, follow_redirects=False)
        self._service: Any = None
        self._lock = anyio.Lock()
        #: The binding's endpoint (``base_url``'s host, the WSDL's path) once the WSDL is read.
        self.endpoint: str | None = None

    async def aclose(self) -> None:
        self._wsdl_http.close()
        await self._http.aclose()

    # -- the service ------------------------------------------------------------------
    async def _ready(self) -> Any:
        async with self._lock:
            if self._service is None:
                self._service = await anyio.to_thread.run_sync(self._load)
            return self._service

    def _load(self) -> Any:
        import zeep
        import zeep.exceptions
        from zeep.transports import AsyncTransport

        transport = AsyncTransport(client=self._http, wsdl_client=self._wsdl_http)  # type: ignore[no-untyped-call]
        try:
            client = zeep.AsyncClient(self.settings.wsdl_url, transport=transport)  # type: ignore[no-untyped-call]
        except zeep.exceptions.TransportError as exc:
            if exc.status_code == 401:
                raise AuthError(
                    f"The {SIDE} refused user {self.settings.username!r} fetching the WSDL "
                    f"(HTTP 401); check the user and run `tieout login`."
                ) from None
            raise ResponseError(
                f"The {SIDE} answered HTTP {exc.status_code} for the WSDL at {self.settings.wsdl_url}."
            ) from None
        except httpx.HTTPError as exc:
            raise UnreachableError(
                f"Cannot reach the {SIDE} WSDL at {self.settings.wsdl_url} ({type(exc).__name__})."
            ) from None
        except Exception as exc:  # noqa: BLE001 - lxml/zeep parse errors have no common base
            raise ResponseError(
                f"The {SIDE} WSDL at {self.settings.wsdl_url} does not parse ({type(exc).__name__})."
            ) from None
        binding = next(iter(client.wsdl.bindings))
        address = self._address(client, binding)
        self.endpoint = address
        from zeep.proxy import AsyncServiceProxy

        return AsyncServiceProxy(client, client.wsdl.bindings[binding], address=address)  # type: ignore[no-untyped-call]

    def _address(self, client: Any, binding: str) -> str:
        """The WSDL's endpoint path on our own base URL's scheme, host and port."""
        location = ""
        for service in client.wsdl.services.values():
            for port in service.ports.values():
                if port.binding.name.text == binding or str(port.binding.name) == binding:
                    location = port.binding_options.get("address", "")
        path = urlsplit(location).path if location else ""
        if not path:
            raise ResponseError(f"The {SIDE} WSDL at {self.settings.wsdl_url} names no endpoint address.")
        base = urlsplit(self.settings.base_url)
        return urlunsplit((base.scheme, base.netloc, path, "", ""))

    # -- one call -------------------------------------------------------------------
    async def call(self, function: str, *, idempotent: bool, **params: Any) -> dict[str, Any]:
        """Call one function module; reads (``idempotent``) retry transient faults, writes never."""

        def wait(state: Any) -> float:
            return float(wait_exponential(multiplier=self._backoff, max=8)(state))

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts if idempotent else 1),
            wait=wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(function, params)
        except _Transient as exc:
            if not idempotent:
                raise UnreachableError(f"The {SIDE} did not confirm {function} ({exc.what}).") from None
            raise UnreachableError(
                f"The {SIDE} at {self.settings.base_url} kept failing on {function} ({exc.what}) "
                f"after {self._max_attempts} attempts; try again later."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, function: str, params: dict[str, Any]) -> dict[str, Any]:
        import zeep.exceptions
        from zeep.helpers import serialize_object

        service = await self._ready()
        self.requests += 1
        try:
            answer = await getattr(service, function)(**params)
        except zeep.exceptions.Fault as exc:
            code = str(exc.message or "").strip()
            raise SapFault(f"The {SIDE} raised {code or 'a fault'} in {function}.", code) from None
        except zeep.exceptions.TransportError as exc:
            status = exc.status_code
            if status in RETRY_STATUSES:
                raise _Transient(f"HTTP {status}") from None
            if status == 401:
                raise AuthError(
                    f"The {SIDE} refused user {self.settings.username!r} on {function} (HTTP 401); "
                    "check the user and run `tieout login`."
                ) from None
            if status == 403:
                raise PermissionDenied(
                    f"User {self.settings.username!r} may not call {function} (HTTP 403): the SAP team must "
                    "grant S_RFC for it (docs/sap-ecc.md)."
                ) from None
            raise ResponseError(f"The {SIDE} answered HTTP {status} on {function}.") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ReadTimeout) as exc:
            raise _Transient(f"connection dropped: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise UnreachableError(
                f"Cannot reach the {SIDE} at {self.settings.base_url} ({type(exc).__name__})."
            ) from None
        except (
            zeep.exceptions.XMLSyntaxError,
            zeep.exceptions.XMLParseError,
            zeep.exceptions.ValidationError,
        ):
            raise _Transient("an answer that is not SOAP") from None
        result = serialize_object(answer, dict)  # type: ignore[no-untyped-call]
        names = _output_elements(service, function)
        if len(names) == 1:  # zeep hands back a lone response element unwrapped
            return {names[0]: result}
        return dict(result) if isinstance(result, dict) else {}
