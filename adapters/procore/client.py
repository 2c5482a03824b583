"""The Procore REST protocol: auth, company header, paging, rate limits, retries, errors.

Every call goes through ``ProcoreClient.request``, so no call site can forget the
``Procore-Company-Id`` header, the pacer, the bounded retries or the error mapping.
Reads (GET) are retried on transient failures; writes are retried only when Procore
cannot have acted on them (a 429, or a connection that was never made), because a
blind retry of a create could write twice (``reconcile.push`` looks records up by
``origin_id`` instead).

Paging trusts the server only as far as it must: a ``Link: rel="next"`` is followed only
under the configured base URL (the bearer token and company id go wherever it points),
and a next link back to a page already read, or past the pages the ``Total`` header
allows, stops the pull with one sentence instead of reading forever.
"""

from __future__ import annotations

import enum
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx

from adapters.base import AdapterError, AuthError, PermissionDenied, ResponseError, UnreachableError
from adapters.oauth import ClientCredentialsAuth
from adapters.procore.decode import decode_body
from adapters.procore.pacing import Pacer, http_date
from adapters.secret import Secret
from adapters.settings import ProcoreSettings

TRANSIENT_STATUS = {500, 502, 503, 504}
#: Which Procore tool a path belongs to, for a 403 sentence an admin can act on.
TOOLS = (
    ("vendors", "Directory (company vendors)"),
    ("purchase_order_contracts", "Commitments"),
    ("work_order_contracts", "Commitments"),
    ("commitment_change_orders", "Commitments (change orders)"),
    ("requisitions", "Commitments (subcontractor invoices)"),
    ("budget_views", "Budget"),
    ("direct_costs", "Direct Costs"),
    ("cost_codes", "Admin (cost codes)"),
    ("projects", "Company Admin (projects)"),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x1b]")

OnWait = Callable[[str, float, str], None]


class FromProfile(enum.Enum):
    PROFILE = "profile"


#: ``max_wait`` default: the profile's ``procore.max_wait_minutes``.
FROM_PROFILE = FromProfile.PROFILE


def _clean(text: str, limit: int = 160) -> str:
    """A server message made safe for one sentence: no control characters, bounded."""
    return _CONTROL.sub(" ", text).strip()[:limit]


def _server_message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("errors", "error", "message", "reason"):
            value = body.get(key)
            if isinstance(value, str):
                return _clean(value)
            if isinstance(value, list) and value:
                return _clean("; ".join(str(v) for v in value[:3]))
            if isinstance(value, dict) and value:
                parts = [
                    f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}"
                    for k, v in list(value.items())[:3]
                ]
                return _clean("; ".join(parts))
    return ""


def _retry_after(resp: httpx.Response) -> float | None:
    """Seconds to wait: ``Retry-After`` as seconds, or as an HTTP date measured from the answer's ``Date``."""
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    at, now = http_date(value), http_date(resp.headers.get("Date"))
    if at is None or now is None:
        return None
    return max(0.0, at - now)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _page_key(url: httpx.URL) -> tuple[Any, ...]:
    """A page's identity whatever the order of its query parameters."""
    return (*_origin(url), url.path, tuple(sorted(url.params.multi_items())))


class ProcoreClient:
    """Async client for one Procore company."""

    def __init__(
        self,
        settings: ProcoreSettings,
        secret: Secret,
        *,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        hourly_limit: int | None = None,
        max_retries: int = 4,
        timeout: float = 30.0,
        backoff: float = 0.5,
        max_wait: float | None | FromProfile = FROM_PROFILE,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        if max_wait is FROM_PROFILE:
            max_wait = settings.max_wait_minutes * 60.0
        self.auth = ClientCredentialsAuth(
            f"{settings.login_url.rstrip('/')}/oauth/token", settings.client_id, secret.reveal, side="Procore"
        )
        self.pacer = Pacer(
            reserve_share=settings.reserve_share,
            hourly_limit=hourly_limit,
            clock=clock,
            sleep=sleep,
            max_wait=max_wait,
        )
        self._max_retries = max_retries
        self._backoff = backoff
        self._limiter = anyio.Semaphore(settings.max_concurrency)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=self.auth,
            headers={"Procore-Company-Id": str(settings.company_id), "Accept": "application/json"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=settings.max_concurrency * 2),
        )
        #: Requests made per resource (every attempt counts: Procore counts them against the limit).
        self.stats: Counter[str] = Counter()
        #: The page size Procore actually served when it was below what we asked; the
        #: plan counts pages with it, since a server may cap ``per_page`` silently.
        self.per_page_served: int | None = None
        self.wait_seconds: defaultdict[str, float] = defaultdict(float)
        self.on_wait: OnWait | None = None

    def __repr__(self) -> str:
        return f"ProcoreClient({self.base_url!r}, company_id={self.settings.company_id})"

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- one request ------------------------------------------------------------------
    def _waited(self, resource: str, seconds: float, note: str) -> None:
        self.wait_seconds[resource] += seconds
        if self.on_wait is not None:
            self.on_wait(resource, seconds, note)

    async def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        resource: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request with pacing, retries and error mapping; returns a 2xx answer."""
        idempotent = method == "GET"
        path = httpx.URL(url).path or str(url)
        attempt = 0
        rate_waits = 0
        while True:
            try:
                async with self._limiter:
                    # Pace inside the concurrency bound: a slot is taken only when a connection is free.
                    await self.pacer.acquire(lambda s, n: self._waited(resource, s, n))
                    self.stats[resource] += 1
                    resp = await self._http.request(method, url, params=params, json=json)
            except httpx.ConnectError:
                failure = f"Cannot reach Procore at {self.base_url} (connection refused or unknown host)."
                transient, unreachable = True, True
            except httpx.TimeoutException:
                failure = f"Procore at {self.base_url} did not answer {method} {path} in time."
                transient, unreachable = idempotent, True
            except httpx.TransportError as exc:
                failure = f"The connection to Procore dropped during {method} {path} ({type(exc).__name__})."
                transient, unreachable = idempotent, False
            else:
                self.pacer.observe(resp.headers)
                if resp.status_code == 429 or (resp.status_code == 503 and "Retry-After" in resp.headers):
                    rate_waits += 1
                    if rate_waits > 20:
                        raise AdapterError(
                            f"Procore kept refusing {path} for the rate limit; try again later."
                        )
                    self.pacer.hold_after_refusal(
                        _retry_after(resp), lambda s, n: self._waited(resource, s, n)
                    )
                    continue
                if resp.status_code in TRANSIENT_STATUS and idempotent:
                    failure = f"Procore answered HTTP {resp.status_code} to {method} {path} repeatedly."
                    transient, unreachable = True, False
                else:
                    self._raise_for_status(resp, method, path)
                    return resp
            attempt += 1
            if not transient or attempt > self._max_retries:
                if unreachable:
                    raise UnreachableError(failure)
                raise AdapterError(failure)
            await self.pacer.nap(min(30.0, self._backoff * 2 ** (attempt - 1)))

    def _raise_for_status(self, resp: httpx.Response, method: str, path: str) -> None:
        status = resp.status_code
        if status < 400:
            return
        msg = _server_message(resp)
        detail = f": {msg}" if msg else ""
        if status == 401:
            raise AuthError(
                f"Procore refused the access token for {path} even after renewing it (HTTP 401){detail}; "
                "check the service account's client id and secret with `tieout login`."
            )
        if status in (403, 404) and "not connected to this company" in msg.lower():
            # Procore's answer for a company the service account's app is not installed in:
            # almost always a wrong [procore].company_id, not a missing tool permission.
            raise AuthError(
                f"Procore company_id {self.settings.company_id} is not visible to this client "
                f"(HTTP {status}{detail}); check [procore].company_id in the profile and that the "
                "app is installed in that company's App Management."
            )
        if status == 403:
            tool = next((t for key, t in TOOLS if key in path), "the tool")
            raise PermissionDenied(
                f"Procore denied {method} {path} (HTTP 403){detail}; the service account needs "
                f"{'write' if method != 'GET' else 'read'} permission on {tool} in this company and project."
            )
        if status == 404 and "Procore-Company-Id" in msg:
            raise AdapterError(
                f"Procore rejected {path}: the Procore-Company-Id header is missing or wrong{detail}."
            )
        if status == 404:
            raise AdapterError(
                f"Procore answered 404 for {path}{detail}: it does not exist, or the service account cannot see it."
            )
        raise AdapterError(f"Procore answered HTTP {status} to {method} {path}{detail}.")

    # -- reading ------------------------------------------------------------------------
    @staticmethod
    def decode(resp: httpx.Response, path: str) -> Any:
        """The JSON body (fractions as ``Decimal``), or a ``ResponseError`` naming the endpoint and record."""
        return decode_body(resp.content, path)

    def _next_url(self, resp: httpx.Response, link: str, path: str) -> httpx.URL:
        """The next page's URL, if it lies under the configured base URL; else a ``ResponseError``.

        The client sends the bearer token and ``Procore-Company-Id`` with every request,
        so a link to any other scheme, host, port or path would hand them to a stranger.
        """
        base = httpx.URL(self.base_url)
        try:
            url = resp.request.url.join(link)
        except (httpx.InvalidURL, ValueError):
            url = None
        prefix = base.path.rstrip("/") + "/"
        if url is None or _origin(url) != _origin(base) or url.userinfo or not url.path.startswith(prefix):
            raise ResponseError(
                f"Procore's answer from {path} gives its next page as {_clean(link, 200)}, "
                f"which is not under {self.base_url}; the pull stopped without following it."
            )
        return url

    async def get_json(self, path: str, *, resource: str, params: dict[str, Any] | None = None) -> Any:
        resp = await self.request("GET", path, resource=resource, params=params)
        return self.decode(resp, path)

    async def pages(
        self, path: str, *, resource: str, params: dict[str, Any] | None = None, per_page: int | None = None
    ) -> AsyncIterator[tuple[list[Any], int | None]]:
        """Yield each page's records and the total page count when Procore states it.

        The next page is whatever ``Link: rel="next"`` says; without a Link header the
        ``Total`` header decides. Never assumes ``per_page`` was honoured: a server that
        caps it simply yields more pages, and no request follows the last one. A link
        back to a page already read, more records than ``Total`` promised, or more pages
        than it allows, is a ``ResponseError``: paging always ends.
        """
        asked = per_page or self.settings.per_page
        query: dict[str, Any] | None = {**(params or {}), "page": 1, "per_page": asked}
        url: str | httpx.URL = path
        seen = 0
        page_no = 1
        read: set[tuple[Any, ...]] = set()
        promised: int | None = None  # the largest Total stated (records may be added while paging)
        largest_page = 1
        while True:
            resp = await self.request("GET", url, resource=resource, params=query)
            read.add(_page_key(resp.request.url))
            body = self.decode(resp, path)
            if not isinstance(body, list):
                raise ResponseError(
                    f"Procore's answer from {path} (page {page_no}) is not a list of records."
                )
            seen += len(body)
            total = _int_header(resp, "Total")
            stated_per_page = _int_header(resp, "Per-Page")
            got_per_page = stated_per_page or len(body) or 1
            largest_page = max(largest_page, stated_per_page or len(body))
            served = stated_per_page or (len(body) if resp.links.get("next") else None)
            if served and served < asked:
                self.per_page_served = min(self.per_page_served or served, served)
            if total is not None:
                promised = max(promised or 0, total)
            if promised is not None and seen > promised:
                raise ResponseError(
                    f"Procore's paging of {path} returned {seen} records by page {page_no}, more than the "
                    f"{promised} its Total header promised; the pull stopped."
                )
            total_pages = -(-total // got_per_page) if total is not None else None
            yield body, total_pages
            links = resp.links
            if links:
                nxt = links.get("next", {}).get("url")
                if not nxt:
                    return
                next_url = self._next_url(resp, nxt, path)
                if _page_key(next_url) in read:
                    raise ResponseError(
                        f"Procore's paging of {path} loops: the next link of page {page_no} leads back to "
                        "a page already read; the pull stopped."
                    )
                if promised is not None and page_no >= math.ceil(promised / max(1, largest_page)) + 1:
                    raise ResponseError(
                        f"Procore's paging of {path} offers page {page_no + 1}, past the "
                        f"{math.ceil(promised / max(1, largest_page))} its Total header "
                        f"({promised} records) allows; the pull stopped."
                    )
                # The link carries every parameter; httpx would drop its query if params={} were passed.
                url, query = next_url, None
            elif total is not None and seen < total and body:
                query = {**(query or {}), "page": page_no + 1}
            else:
                return
            page_no += 1


def _int_header(resp: httpx.Response, name: str) -> int | None:
    value = resp.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
