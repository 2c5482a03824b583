"""An async OData V2 client for SAP S/4HANA Gateway services (reads, and the writes a push needs).

Why hand-written rather than pyodata: pyodata is synchronous (requests) and parses the
full ``$metadata`` before the first call; a pull needs async httpx, bounded retries,
``__next`` paging and errors a finance analyst can act on. pyodata is still used in the
tests, to prove the simulator this client is tested against speaks real OData V2.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from adapters.base import AdapterError, AuthError, PermissionDenied, ResponseError, UnreachableError
from adapters.oauth import ClientCredentialsAuth
from adapters.sap.errors import ServerFailure, TargetChanged
from adapters.sap.paging import PagingGuard
from adapters.sap.wire import ODATA_ROOT, error_sentence, key_predicate
from adapters.secret import Secret
from adapters.settings import ErpSettings

SIDE = "ERP (SAP)"
#: Statuses a read retries: the rate limit, and the server or a gateway failing for now.
#: A 500 from Gateway is often a passing short dump or lock; a read is safe to repeat.
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Statuses after which a write's fate is unknown (the gateway, not SAP, answered). A write
#: is never retried blindly; its 429 or 500 is SAP's own refusal, with SAP's message.
WRITE_UNCONFIRMED = (502, 503, 504)
#: Never wait longer than this for one Retry-After; a longer wait stops the pull resumably.
MAX_RETRY_AFTER = 30.0


class _Transient(Exception):
    """A failure worth retrying: a gateway status, a dropped connection, a truncated page."""

    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


class _BasicAuth(httpx.Auth):
    """HTTP Basic that asks for the secret per request, so it is never an attribute."""

    def __init__(self, user: str, secret: Callable[[], str]) -> None:
        self._user = user
        self._secret = secret

    def __repr__(self) -> str:
        return f"_BasicAuth(user={self._user!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raw = f"{self._user}:{self._secret()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        yield request


@dataclass
class Page:
    """One page of an entity set: its records, the server's total when asked, the next link."""

    records: list[dict[str, Any]]
    count: int | None
    next_url: str | None


class SapClient:
    """OData V2 over httpx: auth, ``sap-client``, JSON, paging, retries, CSRF and ETags."""

    def __init__(
        self,
        settings: ErpSettings,
        secret: Secret,
        *,
        max_attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.requests = 0
        self._max_attempts = max_attempts
        self._backoff = backoff
        #: How the client waits between attempts (a test records the waits instead of sleeping).
        self._sleep: Callable[[float], Awaitable[None]] = sleep or asyncio.sleep
        self._csrf: dict[str, str] = {}
        auth: httpx.Auth
        if settings.auth == "basic":
            auth = _BasicAuth(settings.client_id, secret.reveal)
        else:
            token_url = settings.token_url or f"{self.base_url}/sap/bc/sec/oauth2/token"
            if settings.sap_client and "sap-client=" not in token_url:
                token_url += ("&" if "?" in token_url else "?") + f"sap-client={settings.sap_client}"
            auth = ClientCredentialsAuth(token_url, settings.client_id, secret.reveal, side=SIDE)
        self.auth = auth
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            timeout=timeout,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- URLs ---------------------------------------------------------------------
    @staticmethod
    def path(service: str, entity_set: str = "") -> str:
        return f"{ODATA_ROOT}/{service}/{entity_set}"

    def _params(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.settings.sap_client:
            params["sap-client"] = self.settings.sap_client
        params.update(extra or {})
        return params

    # -- the one request loop -------------------------------------------------------
    async def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """Send with bounded, backed-off retries on 429, 5xx and dropped connections.

        A Retry-After is obeyed up to ``MAX_RETRY_AFTER``; a longer one, or retries spent,
        is a ``ServerFailure``: the pull stops as a failure (exit 1) that ``--resume`` continues.
        """

        def wait(state: Any) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return min(exc.retry_after, MAX_RETRY_AFTER)
            return float(wait_exponential(multiplier=self._backoff, max=8)(state))

        retrying = AsyncRetrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self._max_attempts),
            wait=wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        return await self._once(method, url, what, params, headers, json_body)
                    except _Transient as exc:
                        if exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER:
                            raise ServerFailure(
                                f"The {SIDE} asked Tieout to wait {exc.retry_after:.0f} s before {what} "
                                f"({exc.what}), longer than the {MAX_RETRY_AFTER:.0f} s it waits; try again "
                                "later."
                            ) from None
                        raise
        except _Transient as exc:
            raise ServerFailure(
                f"The {SIDE} at {self.base_url} kept failing on {what} ({exc.what}) "
                f"after {self._max_attempts} attempts; try again later."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        url: str,
        what: str,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
        json_body: Any,
        retry_statuses: tuple[int, ...] = RETRY_STATUSES,
    ) -> httpx.Response:
        self.requests += 1
        try:
            resp = await self._http.request(method, url, params=params, headers=headers, json=json_body)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ReadTimeout) as exc:
            raise _Transient(f"connection dropped: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise UnreachableError(
                f"Cannot reach the {SIDE} at {self.base_url} ({type(exc).__name__})."
            ) from None
        if resp.status_code in retry_statuses:
            raise _Transient(f"HTTP {resp.status_code}", _retry_after(resp))
        return resp

    def _raise_for_status(self, resp: httpx.Response, what: str) -> None:
        """Turn an error answer into the adapter error a person can act on."""
        status = resp.status_code
        if status < 400:
            return
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        sap = error_sentence(body) or f"HTTP {status}."
        if status == 401:
            raise AuthError(
                f"The {SIDE} refused the credentials of {self.settings.client_id!r} on {what} (HTTP 401); "
                "check the communication user and run `tieout login`."
            )
        if status == 403:
            raise PermissionDenied(
                f"The {SIDE} user {self.settings.client_id!r} may not use {what}: {sap} "
                "Ask the SAP team to add the service to the communication arrangement or role."
            )
        if status == 404:
            raise ResponseError(f"The {SIDE} has no {what} (HTTP 404): {sap} Is the service activated?")
        raise ResponseError(f"The {SIDE} answered HTTP {status} on {what}: {sap}")

    @staticmethod
    def _json(resp: httpx.Response, what: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise ResponseError(f"The {SIDE} answer on {what} is not JSON.") from None

    # -- reads --------------------------------------------------------------------
    async def pages(
        self,
        service: str,
        entity_set: str,
        *,
        select: list[str] | None = None,
        expand: list[str] | None = None,
        filter: str | None = None,  # noqa: A002 - the OData name
        order_by: list[str] | None = None,
        count: bool = True,
    ) -> AsyncIterator[Page]:
        """Every record of an entity set: client windows of ``$top``/``$skip``, each followed through ``__next``.

        OData V2 has two kinds of paging and SAP Gateway combines them: the client asks for a
        window (``$skip``/``$top``, ``[erp].page_size`` records) and the server may still cut
        that window into pages linked by an opaque ``__next`` (RAP services cap a page at
        5,000, and serve 100 without ``$top``). So each window's ``__next`` chain is followed
        to its end; a window that comes back short is the last. ``$orderby`` on the key keeps
        the windows from overlapping or leaving gaps. ``PagingGuard`` stops a loop.
        """
        what = f"{service}/{entity_set}"
        size = self.settings.page_size
        query: dict[str, str] = {"$format": "json"}
        if select:
            query["$select"] = ",".join(select)
        if expand:
            query["$expand"] = ",".join(expand)
        if filter:
            query["$filter"] = filter
        if order_by:
            query["$orderby"] = ",".join(order_by)
        if count:
            query["$inlinecount"] = "allpages"
        guard = PagingGuard(SIDE, what, size)
        page_no = 0
        skip = 0
        while True:
            window = {"$top": str(size), **({"$skip": str(skip)} if skip else {})}
            url: str = self.path(service, entity_set)
            params: dict[str, str] | None = self._params({**query, **window})
            got = 0
            while True:
                page_no += 1
                page = await self._page(url, params, f"{what} page {page_no}")
                guard.page(page.records, page.count)
                yield page
                got += len(page.records)
                if not page.next_url:
                    break
                url, params = self._next(page.next_url, what), None
                guard.link(url)
            # Short: the set is exhausted. Long: the server ignored $top and sent it all. The
            # count only guards: stopping on it would trust a number that may understate.
            if got != size:
                return
            skip += size

    async def _page(self, url: str, params: dict[str, str] | None, what: str) -> Page:
        """One page; a body that does not parse is retried like a dropped connection."""
        attempts = 0
        while True:
            attempts += 1
            resp = await self._send("GET", url, what=what, params=params)
            self._raise_for_status(resp, what)
            try:
                body = json.loads(resp.content)
                d = body["d"]
                records = d["results"] if isinstance(d, dict) and "results" in d else None
                if not isinstance(records, list):
                    raise ValueError("no d.results")
            except (ValueError, KeyError, TypeError):
                if attempts < self._max_attempts:
                    continue
                raise ResponseError(
                    f"The {SIDE} answer on {what} is not an OData collection (no d.results)."
                ) from None
            for i, rec in enumerate(records):
                if not isinstance(rec, dict):
                    raise ResponseError(f"The {SIDE} answer on {what}: record {i + 1} is not an object.")
            count = d.get("__count")
            try:
                total = int(count) if count not in (None, "") else None
            except (TypeError, ValueError):
                raise ResponseError(
                    f"The {SIDE} answer on {what} has a __count that is not a number."
                ) from None
            next_url = d.get("__next")
            if next_url is not None and not isinstance(next_url, str):
                raise ResponseError(f"The {SIDE} answer on {what} has a __next that is not a link.")
            return Page(records, total, next_url or None)

    def _next(self, next_url: str, what: str) -> str:
        """A ``__next`` link as a path on our own base URL.

        Only the path and query are used: behind a reverse proxy Gateway may name an
        internal host, and our credentials must never follow a link to another host.
        """
        parts = urlsplit(next_url)
        if not parts.path.startswith(ODATA_ROOT):
            raise ResponseError(f"The {SIDE} sent a next-page link on {what} outside the OData services.")
        rel = parts.path + ("?" + parts.query if parts.query else "")
        if self.settings.sap_client and "sap-client=" not in parts.query:
            rel += ("&" if parts.query else "?") + f"sap-client={self.settings.sap_client}"
        if "format=" not in parts.query:
            rel += "&$format=json" if "?" in rel else "?$format=json"
        return rel

    async def count(self, service: str, entity_set: str, *, filter: str | None = None) -> int:  # noqa: A002
        """``/$count`` of an entity set (for the pull plan)."""
        what = f"{service}/{entity_set}/$count"
        extra = {"$filter": filter} if filter else {}
        resp = await self._send(
            "GET", self.path(service, entity_set) + "/$count", what=what, params=self._params(extra)
        )
        self._raise_for_status(resp, what)
        try:
            return int(resp.text.strip())
        except ValueError:
            raise ResponseError(f"The {SIDE} answer on {what} is not a number.") from None

    async def entity(
        self, service: str, entity_set: str, key: dict[str, str]
    ) -> tuple[dict[str, Any], str | None]:
        """One entity by key, with its ETag (header, else ``__metadata.etag``)."""
        what = f"{service}/{entity_set} record {'/'.join(key.values())}"
        url = self.path(service, entity_set) + key_predicate(key)
        resp = await self._send("GET", url, what=what, params=self._params({"$format": "json"}))
        self._raise_for_status(resp, what)
        body = self._json(resp, what)
        d = body.get("d") if isinstance(body, dict) else None
        if not isinstance(d, dict):
            raise ResponseError(f"The {SIDE} answer on {what} has no entity (no d).")
        meta: dict[str, Any] = d.get("__metadata") or {}
        etag = resp.headers.get("etag") or meta.get("etag")
        return d, str(etag) if etag else None

    # -- writes -------------------------------------------------------------------
    async def csrf_token(self, service: str, *, refresh: bool = False) -> str:
        """Fetch (once per service) the CSRF token writes need; the session cookies stay in the client."""
        if not refresh and service in self._csrf:
            return self._csrf[service]
        what = f"{service} (CSRF token)"
        resp = await self._send(
            "GET", self.path(service), what=what, params=self._params(), headers={"X-CSRF-Token": "Fetch"}
        )
        self._raise_for_status(resp, what)
        token = str(resp.headers.get("x-csrf-token") or "")
        if not token or token.lower() == "required":
            raise ResponseError(f"The {SIDE} sent no CSRF token for {service}; writes are not possible.")
        self._csrf[service] = token
        return token

    async def _write(
        self,
        method: str,
        service: str,
        url: str,
        *,
        what: str,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A write with the CSRF token; one re-fetch when SAP says the token is required."""
        for attempt in (1, 2):
            token = await self.csrf_token(service, refresh=attempt == 2)
            hdrs = {"X-CSRF-Token": token, "Content-Type": "application/json", **(headers or {})}
            resp = await self._once(
                method, url, what, self._params(), hdrs, body, retry_statuses=WRITE_UNCONFIRMED
            )
            if resp.status_code == 403 and resp.headers.get("x-csrf-token", "").lower() == "required":
                continue
            return resp
        raise PermissionDenied(f"The {SIDE} refused the CSRF token for {what} twice; writes are blocked.")

    async def patch(
        self, service: str, entity_set: str, key: dict[str, str], changes: dict[str, Any], etag: str | None
    ) -> str | None:
        """PATCH one entity under ``If-Match``; returns the new ETag. A changed target raises ``TargetChanged``.

        Writes are never retried on a transient failure: whether the first attempt
        landed is unknown, and ``reconcile.push`` re-reads before it tries again.
        """
        rec = "/".join(key.values())
        what = f"{service}/{entity_set} record {rec}"
        url = self.path(service, entity_set) + key_predicate(key)
        headers = {"If-Match": etag} if etag else {}
        try:
            resp = await self._write("PATCH", service, url, what=what, body=changes, headers=headers)
        except _Transient as exc:
            raise UnreachableError(f"The {SIDE} did not confirm the change of {what} ({exc.what}).") from None
        if resp.status_code == 412:
            raise TargetChanged(
                f"{entity_set} {rec} changed in SAP since it was read (HTTP 412); re-read it before pushing.",
                entity=entity_set,
                key=rec,
                status=412,
            )
        if resp.status_code == 428:
            raise TargetChanged(
                f"SAP requires the current ETag of {entity_set} {rec} to change it (HTTP 428); re-read it first.",
                entity=entity_set,
                key=rec,
                status=428,
            )
        self._raise_for_status(resp, what)
        new = resp.headers.get("etag")
        return str(new) if new else None

    async def create(self, service: str, entity_set: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a new entity (e.g. ``A_SupplierInvoice`` with its PO references); returns SAP's answer ``d``."""
        what = f"{service}/{entity_set}"
        try:
            resp = await self._write("POST", service, self.path(service, entity_set), what=what, body=body)
        except _Transient as exc:
            raise UnreachableError(f"The {SIDE} did not confirm the new {entity_set} ({exc.what}).") from None
        self._raise_for_status(resp, what)
        answer = self._json(resp, what)
        d = answer.get("d") if isinstance(answer, dict) else None
        if not isinstance(d, dict):
            raise ResponseError(f"The {SIDE} answer on {what} has no created entity (no d).")
        return d


def _retry_after(resp: httpx.Response) -> float | None:
    """Retry-After in seconds: delay-seconds, or an HTTP-date measured from the answer's own ``Date``.

    The server's ``Date`` rather than our clock, so clock skew does not stretch the wait.
    """
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        sent = resp.headers.get("date")
        base = parsedate_to_datetime(sent) if sent else datetime.now(UTC)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None or base.tzinfo is None:  # "-0000": UTC, per RFC 5322
        when, base = when.replace(tzinfo=UTC), base.replace(tzinfo=UTC)
    return max(0.0, (when - base).total_seconds())


__all__ = ["SapClient", "Page", "SIDE", "AdapterError"]
