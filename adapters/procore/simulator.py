"""Procore's REST API over loopback, seeded from the demo company, with switchable faults.

It serves the endpoints the adapter reads and the writes ``reconcile.push`` makes,
with Procore's own semantics where they matter to a client: OAuth client credentials,
the ``Procore-Company-Id`` header, ``page``/``per_page`` paging with ``Link``/``Total``/
``Per-Page`` (and a per-page cap below what clients ask for, to prove they follow the
links), ``filters[updated_at]`` ranges, ``filters[origin_id]``, hourly and spike rate
limits with ``X-Rate-Limit-*`` headers, and sync endpoints that answer 200 with
``{entities, errors}``. Its ``Date`` header comes from ``clock``, so a test can skew the
server's clock against the client's. Fault kinds beyond simkit's: ``expire_tokens``
(revoke every issued token, so the next request gets a 401 and the client must renew),
and hostile paging on a list: ``next_link_host`` (the next link points at ``body``, another
server's base URL), ``next_link_loop`` (the next link leads back to page 1) and
``next_link_endless`` (a next link on every page, past the last one).
"""

from __future__ import annotations

import copy
import secrets as pysecrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from adapters.procore.sim_limits import RateLimiter
from adapters.procore.sim_users import SimUsers
from adapters.procore.sim_writes import SimWrites
from adapters.simkit import Served, SimRequest, SimResponse, SimServer

V = "/rest/v1.0"
DEFAULT_PER_PAGE = 100


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class ProcoreSimulator(SimWrites, SimUsers, Served):
    """``start()`` → base URL (also the login URL); ``stop()``; ``faults``; ``server.log``."""

    def __init__(
        self,
        seed: dict[str, Any],
        *,
        client_id: str,
        client_secret: str,
        company_id: int,
        per_page_cap: int = 100,
        rate_limit_hour: int = 3600,
        rate_limit_spike: int = 100,
        token_lifetime: int = 5400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        data = seed.get("procore", seed)
        self.data: dict[str, Any] = copy.deepcopy(data)
        self.client_id = client_id
        self._client_secret = client_secret
        self.company_id = company_id
        self.per_page_cap = per_page_cap
        self.token_lifetime = token_lifetime
        self.clock = clock
        self.limits = RateLimiter(rate_limit_hour, rate_limit_spike, clock)
        self._tokens: dict[str, float] = {}
        self._lock = threading.RLock()
        self.tokens_issued = 0
        self._index()
        r = self._wrap
        self.server = SimServer(
            [
                ("POST", r"/oauth/token", self._token),
                ("GET", rf"{V}/projects", r(self._projects)),
                ("GET", rf"{V}/vendors", r(self._vendors)),
                ("POST", rf"{V}/vendors", r(self._create_vendor)),
                ("PATCH", rf"{V}/vendors/sync", r(self._sync_vendors)),
                ("GET", rf"{V}/vendors/(?P<vid>\d+)", r(self._get_vendor)),
                ("PATCH", rf"{V}/vendors/(?P<vid>\d+)", r(self._patch_vendor)),
                ("GET", rf"{V}/cost_codes", r(self._cost_codes)),
                ("GET", rf"{V}/(?P<kind>purchase_order|work_order)_contracts", r(self._contracts)),
                ("POST", rf"{V}/purchase_order_contracts", r(self._create_poc)),
                (
                    "GET",
                    rf"{V}/(?P<kind>purchase_order|work_order)_contracts/(?P<cid>\d+)",
                    r(self._get_contract),
                ),
                (
                    "GET",
                    rf"{V}/(?P<kind>purchase_order|work_order)_contracts/(?P<cid>\d+)/line_items",
                    r(self._line_items),
                ),
                ("PATCH", rf"{V}/purchase_order_contracts/(?P<cid>\d+)/line_items/sync", r(self._sync_lines)),
                (
                    "PATCH",
                    rf"{V}/purchase_order_contracts/(?P<cid>\d+)/line_items/(?P<lid>\d+)",
                    r(self._patch_line),
                ),
                ("GET", rf"{V}/projects/(?P<pid>\d+)/commitment_change_orders", r(self._ccos)),
                ("GET", rf"{V}/budget_views", r(self._budget_views)),
                ("GET", rf"{V}/budget_views/(?P<bvid>\d+)/detail_rows", r(self._detail_rows)),
                ("GET", rf"{V}/projects/(?P<pid>\d+)/direct_costs", r(self._direct_costs)),
                ("GET", rf"{V}/projects/(?P<pid>\d+)/direct_costs/line_items", r(self._dc_lines)),
                ("GET", rf"{V}/requisitions", r(self._requisitions)),
                ("GET", r"/rest/v1\.[01]/requisitions/(?P<rid>\d+)", r(self._requisition)),
                *self.user_routes(r),  # the company directory (adapters/procore/sim_users.py)
            ],
            name="procore-sim",
        )
        self.server.clock = clock
        self.faults = self.server.faults

    def __repr__(self) -> str:
        return f"ProcoreSimulator(company_id={self.company_id}, client_id={self.client_id!r})"

    # -- state --------------------------------------------------------------------------
    def _index(self) -> None:
        d = self.data
        for key in ("projects", "vendors", "line_item_types"):
            d.setdefault(key, [])
        for key in (
            "cost_codes",
            "purchase_order_contracts",
            "work_order_contracts",
            "commitment_line_items",
            "commitment_change_orders",
            "budget_views",
            "budget_detail_rows",
            "direct_costs",
            "direct_cost_line_items",
            "requisitions",
            "requisition_items",
            "project_users",
            "project_roles",
        ):
            d[key] = {str(k): v for k, v in (d.get(key) or {}).items()}
        self.contracts: dict[int, tuple[str, str, dict[str, Any]]] = {}
        for kind in ("purchase_order", "work_order"):
            for pid, recs in d[f"{kind}_contracts"].items():
                for c in recs:
                    self.contracts[int(c["id"])] = (kind, pid, c)
        self.reqs = {int(r["id"]): (pid, r) for pid, recs in d["requisitions"].items() for r in recs}
        ids = [0]
        for value in d.values():
            if isinstance(value, list):
                recs = value
            elif isinstance(value, dict):
                recs = [x for v in value.values() if isinstance(v, list) for x in v]
            else:
                recs = []
            ids += [x["id"] for x in recs if isinstance(x, dict) and isinstance(x.get("id"), int)]
        self._next_id = max(ids) + 1000

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def touch(self, record: dict[str, Any]) -> None:
        record["updated_at"] = self.now_iso()

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    # -- auth, header, limits: around every API route ------------------------------------
    def _token(self, req: SimRequest) -> SimResponse:
        ctype = req.headers.get("content-type", "")
        form = req.json() if "json" in ctype else {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return SimResponse.json({"error": "unsupported_grant_type"}, 400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self._client_secret:
            return SimResponse.json({"error": "invalid_client"}, 401)
        token = pysecrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = self.clock() + self.token_lifetime
            self.tokens_issued += 1
        return SimResponse.json(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
                "created_at": int(self.clock()),
            }
        )

    def _wrap(self, fn: Callable[..., SimResponse]) -> Callable[..., SimResponse]:
        def route(req: SimRequest, **kw: str) -> SimResponse:
            if self.faults.take(req.path, ("expire_tokens",)) is not None:
                self.expire_tokens()
            auth = req.headers.get("authorization", "")
            token = auth.removeprefix("Bearer ").strip()
            with self._lock:
                expiry = self._tokens.get(token)
            if expiry is None or expiry <= self.clock():
                return SimResponse.json(
                    {"error": "invalid_token", "error_description": "The access token is invalid"}, 401
                )
            allowed, headers = self.limits.take()
            if not allowed:
                body = {
                    "error": "You have surpassed the max number of requests for an hour. Please wait until your limit resets."
                }
                return SimResponse.json(body, 429, headers)
            company = req.headers.get("procore-company-id")
            if company is None:
                return SimResponse.json({"errors": "Missing Procore-Company-Id header!"}, 404, headers)
            if company != str(self.company_id):
                return SimResponse.json({"errors": "App is not connected to this company"}, 403, headers)
            fault = self.faults.take(req.path, ("forbidden",))
            if fault is not None:
                return SimResponse.json(
                    {"errors": "You do not have permission to access this resource"}, 403, headers
                )
            with self._lock:
                resp = fn(req, **kw)
            resp.headers.update(headers)
            return resp

        return route

    # -- paging and filters -------------------------------------------------------------
    def _page(self, req: SimRequest, records: list[dict[str, Any]]) -> SimResponse:
        records = self._filter(req, records)
        try:
            page = max(1, int(req.arg("page") or 1))
            asked = int(req.arg("per_page") or DEFAULT_PER_PAGE)
        except ValueError:
            return SimResponse.json({"errors": "page and per_page must be integers"}, 400)
        per_page = max(1, min(asked, self.per_page_cap))
        total = len(records)
        last = max(1, -(-total // per_page))
        chunk = records[(page - 1) * per_page : page * per_page]
        headers = {"Total": str(total), "Per-Page": str(per_page)}
        hostile = self.faults.take(req.path, ("next_link_host", "next_link_loop", "next_link_endless"))
        if total or hostile:
            links = [("first", 1), ("last", last)]
            if page > 1:
                links.append(("prev", page - 1))
            base = self.server.base_url
            if hostile is not None and hostile.kind == "next_link_host":
                base = hostile.body.decode()
                links.append(("next", page + 1))
            elif hostile is not None and hostile.kind == "next_link_loop":
                links.append(("next", 1))
            elif page < last or (hostile is not None and hostile.kind == "next_link_endless"):
                links.append(("next", page + 1))
            headers["Link"] = ", ".join(
                f'<{self._url(req, p, per_page, base if rel == "next" else None)}>; rel="{rel}"'
                for rel, p in links
            )
        return SimResponse.json(chunk, headers=headers)

    def _url(self, req: SimRequest, page: int, per_page: int, base: str | None = None) -> str:
        q = {k: v for k, v in req.query.items() if k not in ("page", "per_page")}
        q["page"], q["per_page"] = [str(page)], [str(per_page)]
        return f"{base or self.server.base_url}{req.path}?{urlencode(q, doseq=True)}"

    def _filter(self, req: SimRequest, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = req.arg("filters[updated_at]")
        if rng:
            lo_s, _, hi_s = rng.partition("...")
            lo, hi = _ts(lo_s), _ts(hi_s)
            out = []
            for rec in records:
                t = _ts(rec.get("updated_at"))
                if t is not None and (lo is None or t >= lo) and (hi is None or t <= hi):
                    out.append(rec)
            records = out
        origin = req.arg("filters[origin_id]")
        if origin is not None:
            records = [r for r in records if str(r.get("origin_id")) == origin]
        return records

    def _project_arg(self, req: SimRequest) -> str | None:
        return req.arg("project_id")

    # -- reads --------------------------------------------------------------------------
    def _projects(self, req: SimRequest) -> SimResponse:
        return self._page(req, self.data["projects"])

    def _vendors(self, req: SimRequest) -> SimResponse:
        return self._page(req, self.data["vendors"])

    def _get_vendor(self, req: SimRequest, vid: str) -> SimResponse:
        v = next((v for v in self.data["vendors"] if v["id"] == int(vid)), None)
        return SimResponse.json(v) if v else self._missing("Vendor")

    def _cost_codes(self, req: SimRequest) -> SimResponse:
        return self._page(req, self.data["cost_codes"].get(self._project_arg(req) or "", []))

    def _contracts(self, req: SimRequest, kind: str) -> SimResponse:
        recs = self.data[f"{kind}_contracts"].get(self._project_arg(req) or "", [])
        return self._page(req, recs)

    def _get_contract(self, req: SimRequest, kind: str, cid: str) -> SimResponse:
        found = self.contracts.get(int(cid))
        if not found or found[0] != kind:
            return self._missing("Contract")
        return SimResponse.json(found[2])

    def _line_items(self, req: SimRequest, kind: str, cid: str) -> SimResponse:
        found = self.contracts.get(int(cid))
        if not found or found[0] != kind:
            return self._missing("Contract")
        return self._page(req, self.data["commitment_line_items"].get(cid, []))

    def _ccos(self, req: SimRequest, pid: str) -> SimResponse:
        return self._page(req, self.data["commitment_change_orders"].get(pid, []))

    def _budget_views(self, req: SimRequest) -> SimResponse:
        return self._page(req, self.data["budget_views"].get(self._project_arg(req) or "", []))

    def _detail_rows(self, req: SimRequest, bvid: str) -> SimResponse:
        rows = self.data["budget_detail_rows"].get(f"{bvid}:{self._project_arg(req)}", [])
        if (req.arg("budget_row_type") or "budgeted") != "all":
            rows = [r for r in rows if r.get("id") is not None]
        return self._page(req, rows)

    def _direct_costs(self, req: SimRequest, pid: str) -> SimResponse:
        return self._page(req, self.data["direct_costs"].get(pid, []))

    def _dc_lines(self, req: SimRequest, pid: str) -> SimResponse:
        out = []
        for dc in self.data["direct_costs"].get(pid, []):
            for line in self.data["direct_cost_line_items"].get(str(dc["id"]), []):
                out.append({"holder": {"id": dc["id"], "type": "DirectCost"}, **line})
        return self._page(req, out)

    def _requisitions(self, req: SimRequest) -> SimResponse:
        return self._page(req, self.data["requisitions"].get(self._project_arg(req) or "", []))

    def _requisition(self, req: SimRequest, rid: str) -> SimResponse:
        found = self.reqs.get(int(rid))
        if not found or found[0] != self._project_arg(req):
            return self._missing("Requisition")
        body = dict(found[1])
        if req.arg("view") in ("items", "extended"):
            body["items"] = self.data["requisition_items"].get(rid, [])
        return SimResponse.json(body)
