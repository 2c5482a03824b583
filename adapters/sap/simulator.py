"""``SapSimulator``: S/4HANA's OData V2 services over loopback, seeded with wire-shape records.

It behaves like SAP Gateway where Tieout depends on it: the real ``$metadata``, JSON with
``d.results``, server-side paging with ``$skiptoken`` and an absolute ``d.__next``,
``__metadata`` (uri, type, etag) on every entity, ``$select``/``$expand``/``$filter``/
``$top``/``$skip``/``$orderby``/``$inlinecount``, aggregation of ``A_JournalEntryItemBasic`` by the
selected dimensions, OAuth2 or Basic, the ``sap-client`` check, CSRF tokens bound to a
session cookie, and ``If-Match`` on writes (412 stale, 428 missing). Faults come from
``simkit`` plus kinds of its own: ``expire_tokens``, ``expire_csrf``, and the paging
misbehaviours a hostile or broken server shows: ``next_loop`` (the ``__next`` link leads
back to the first page), ``next_repeat`` (the ``__next`` link of page 2 is served again and
again), ``ignore_skip`` (``$skip`` is ignored, so every window is the first) and ``count``
(``__count`` reports the number in the fault's ``body`` instead of the truth).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
import threading
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

from adapters.sap.sim_odata import (
    NAVS,
    SERVICES,
    EntitySet,
    ODataError,
    Tree,
    aggregate,
    check_select,
    entity_sets,
    metadata_bytes,
    order_by,
    parse_filter,
    path_tree,
)
from adapters.sap.wire import ODATA_ROOT, TOKEN_PATH, error_body, format_date, parse_date
from adapters.simkit import Served, SimRequest, SimResponse, SimServer

_SVC = r"/sap/opu/odata/sap/(?P<service>[^/]+)"
_JSON = {"Content-Type": "application/json; charset=utf-8", "DataServiceVersion": "2.0"}
#: Item fields whose change moves the account assignment's net amount.
_PRICE_FIELDS = ("OrderQuantity", "NetPriceAmount", "NetPriceQuantity")


def _err(exc: ODataError, headers: dict[str, str] | None = None) -> SimResponse:
    return SimResponse.json(error_body(exc.code, exc.message), exc.status, {**_JSON, **(headers or {})})


def _split_key(text: str, es: EntitySet) -> dict[str, str]:
    """``'4500000001'`` or ``PurchaseOrder='45..',PurchaseOrderItem='00010'`` or ``guid'...'`` → key dict."""
    parts, cur, quoted = [], "", False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out: dict[str, str] = {}
    for i, part in enumerate(parts):
        name, eq, value = part.partition("=")
        if not eq:
            name, value = (es.keys[i] if i < len(es.keys) else ""), part
        value = value.strip()
        if value.startswith("guid'"):
            value = value[4:]
        out[name.strip()] = value.strip("'").replace("''", "'")
    if set(out) != set(es.keys):
        raise ODataError(400, "/IWBEP/CM_MGW_RT/020", f"Invalid key predicate for entity set {es.name}")
    return out


class SapSimulator(Served):
    """S/4HANA Gateway over loopback. ``.start() -> base_url``, ``.stop()``, ``.faults``, ``.server``."""

    def __init__(
        self,
        seed: dict[str, Any],
        *,
        client_id: str,
        client_secret: str,
        sap_client: str = "100",
        page_size: int = 500,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self.sap_client = sap_client
        self.page_size = page_size
        self.sets = entity_sets()
        self.data: dict[str, list[dict[str, Any]]] = {
            name: [dict(r) for r in rows]
            for name, rows in (seed.get("sap", seed)).items()
            if name in self.sets
        }
        self._lock = threading.RLock()
        self._index: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], list[dict[str, Any]]]] = {}
        self._etags: dict[tuple[str, tuple[Any, ...]], str] = {}
        self._paths: dict[tuple[str, tuple[Any, ...]], str] = {}
        self._tokens: set[str] = set()
        self._csrf: dict[str, str] = {}  # session cookie → token
        self._invoice_no = 5105600000
        self.server = SimServer(
            [
                ("POST", TOKEN_PATH, self._token),
                ("GET", _SVC + r"/\$metadata", self._metadata),
                ("GET", _SVC + r"/?", self._service_doc),
                ("GET", _SVC + r"/(?P<entity_set>\w+)/\$count", self._count),
                ("GET", _SVC + r"/(?P<entity_set>\w+)", self._collection),
                ("GET", _SVC + r"/(?P<entity_set>\w+)\((?P<key>.*)\)", self._entity),
                ("PATCH", _SVC + r"/(?P<entity_set>\w+)\((?P<key>.*)\)", self._patch),
                ("MERGE", _SVC + r"/(?P<entity_set>\w+)\((?P<key>.*)\)", self._patch),
                ("POST", _SVC + r"/(?P<entity_set>\w+)", self._create),
            ],
            name="sap-sim",
        )
        self.server.before = self._before
        self.faults = self.server.faults

    # -- auth -----------------------------------------------------------------------
    def _token(self, req: SimRequest) -> SimResponse:
        form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            cid, _, secret = base64.b64decode(auth[6:]).decode("utf-8", "replace").partition(":")
        if form.get("grant_type") != "client_credentials":
            return SimResponse.json({"error": "unsupported_grant_type"}, 400)
        if cid != self._client_id or secret != self._client_secret:
            return SimResponse.json(
                {"error": "invalid_client", "error_description": "Client authentication failed"}, 401
            )
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return SimResponse.json({"access_token": token, "token_type": "Bearer", "expires_in": 43200})

    def _before(self, req: SimRequest) -> SimResponse | None:
        # Clients differ in what they percent-encode (pyodata sends %28'key'%29); route on the decoded path.
        req.path = unquote(req.path)
        if req.path == TOKEN_PATH:
            return None
        if self.faults.take(req.path, ("expire_tokens",)) is not None:
            with self._lock:
                self._tokens.clear()
        client = req.arg("sap-client")
        if client is not None and client != self.sap_client:
            return _err(
                ODataError(401, "/IWFND/CM_CONSUMER/101", f"Client {client} is not available in this system")
            )
        auth = req.headers.get("authorization", "")
        ok = False
        if auth.startswith("Bearer "):
            ok = auth[7:] in self._tokens
        elif auth.lower().startswith("basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode("utf-8", "replace").partition(":")
            ok = user == self._client_id and pw == self._client_secret
        if not ok:
            return SimResponse(
                401,
                b"<html><body>Logon failed</body></html>",
                {
                    "Content-Type": "text/html",
                    "WWW-Authenticate": 'Basic realm="SAP NetWeaver Application Server"',
                },
            )
        return None

    def _session(self, req: SimRequest) -> str | None:
        for part in req.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == f"SAP_SESSIONID_SIM_{self.sap_client}":
                return value
        return None

    def _with_csrf(self, req: SimRequest, resp: SimResponse) -> SimResponse:
        """Answer ``X-CSRF-Token: Fetch`` with a token bound to a session cookie."""
        if req.headers.get("x-csrf-token", "").lower() != "fetch":
            return resp
        with self._lock:
            session = self._session(req)
            if session is None or session not in self._csrf:
                session = session or secrets.token_hex(16)
                self._csrf[session] = secrets.token_urlsafe(16)
            token = self._csrf[session]
        resp.headers["x-csrf-token"] = token
        resp.headers["Set-Cookie"] = f"SAP_SESSIONID_SIM_{self.sap_client}={session}; path=/; HttpOnly"
        return resp

    def _check_csrf(self, req: SimRequest) -> SimResponse | None:
        if self.faults.take(req.path, ("expire_csrf",)) is not None:
            with self._lock:
                self._csrf.clear()
        session = self._session(req)
        token = req.headers.get("x-csrf-token")
        if session is None or token is None or self._csrf.get(session) != token:
            return _err(
                ODataError(403, "/IWFND/CM_BEC/026", "CSRF token validation failed"),
                {"x-csrf-token": "Required"},
            )
        return None

    # -- metadata -------------------------------------------------------------------
    def _service(self, service: str) -> str:
        service = unquote(service)
        if service not in SERVICES:
            raise ODataError(
                404, "/IWFND/MED/170", f"No service found for namespace '', name '{service}', version '0001'"
            )
        return service

    def _metadata(self, req: SimRequest, service: str) -> SimResponse:
        try:
            service = self._service(service)
        except ODataError as exc:
            return _err(exc)
        resp = SimResponse(
            200, metadata_bytes(service), {"Content-Type": "application/xml", "DataServiceVersion": "2.0"}
        )
        return self._with_csrf(req, resp)

    def _service_doc(self, req: SimRequest, service: str) -> SimResponse:
        try:
            service = self._service(service)
        except ODataError as exc:
            return _err(exc)
        names = sorted(n for n, es in self.sets.items() if es.service == service)
        return self._with_csrf(req, SimResponse.json({"d": {"EntitySets": names}}, headers=_JSON))

    def _set(self, service: str, entity_set: str) -> EntitySet:
        service = self._service(unquote(service))
        es = self.sets.get(entity_set)
        if es is None or es.service != service:
            raise ODataError(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{entity_set}'")
        return es

    # -- rendering ------------------------------------------------------------------
    def _children(self, child: str, join: tuple[str, ...], parent: dict[str, Any]) -> list[dict[str, Any]]:
        idx = self._index.get((child, join))
        if idx is None:
            idx = defaultdict(list)
            for r in self.data.get(child, []):
                idx[tuple(r.get(f) for f in join)].append(r)
            self._index[(child, join)] = idx
        return idx.get(tuple(parent.get(f) for f in join), [])

    def _etag(self, es: EntitySet, rec: dict[str, Any]) -> str:
        key = (es.name, tuple(rec.get(k) for k in es.keys))
        tag = self._etags.get(key)
        if tag is None:
            digest = hashlib.sha1(json.dumps(rec, sort_keys=True, default=str).encode()).hexdigest()[:16]  # noqa: S324
            tag = self._etags[key] = f"W/\"'{digest}'\""
        return tag

    def _uri(self, base: str, es: EntitySet, rec: dict[str, Any]) -> str:
        key = (es.name, tuple(rec.get(k) for k in es.keys))
        path = self._paths.get(key)
        if path is None:
            parts = []
            for k in es.keys:
                v = str(rec.get(k, ""))
                lit = f"guid'{v}'" if es.types.get(k) == "Edm.Guid" else "'" + v.replace("'", "''") + "'"
                parts.append(lit if len(es.keys) == 1 else f"{k}={lit}")
            path = self._paths[key] = (
                f"{ODATA_ROOT}/{es.service}/{es.name}({quote(','.join(parts), safe=',=')})"
            )
        return base + path

    def _render(
        self, base: str, es: EntitySet, rec: dict[str, Any], select: Tree | None, expand: Tree
    ) -> dict[str, Any]:
        uri = self._uri(base, es, rec)
        out: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": es.type_name}}
        if es.keys and all(k in rec for k in es.keys):
            out["__metadata"]["etag"] = self._etag(es, rec)
        else:
            out["__metadata"].pop("id")
            out["__metadata"]["uri"] = f"{base}{ODATA_ROOT}/{es.service}/{es.name}('{rec.get('ID', '')}')"
        for name, value in rec.items():
            if select is None or name in select or "*" in select:
                if not isinstance(value, (dict, list)):
                    out[name] = value
        for nav in es.navs:
            if nav in expand and (select is None or nav in select):
                child_name, join = NAVS.get((es.name, nav), ("", ()))
                child = self.sets.get(child_name)
                sub = (select or {}).get(nav) or None
                rows = self._children(child_name, join, rec) if child else []
                out[nav] = {
                    "results": [self._render(base, child, r, sub, expand[nav]) for r in rows] if child else []
                }
            elif select is None:
                out[nav] = {"__deferred": {"uri": f"{out['__metadata']['uri']}/{nav}"}}
        return out

    def _query(self, req: SimRequest, es: EntitySet) -> tuple[list[dict[str, Any]], int, Tree | None, Tree]:
        """Filter, aggregate, order and slice by $top/$skip: the result set before server paging.

        Also the count ``$inlinecount=allpages`` reports: the filtered set, before $top/$skip.
        """
        select, expand = path_tree(req.arg("$select")), path_tree(req.arg("$expand")) or {}
        check_select(select, es, self.sets)
        for nav in expand:
            if (es.name, nav) not in NAVS:
                raise ODataError(
                    400, "/IWBEP/CM_MGW_RT/006", f"Navigation property '{nav}' cannot be expanded"
                )
        rows = self.data.get(es.name, [])
        if text := req.arg("$filter"):
            pred = parse_filter(text, es)
            rows = [r for r in rows if pred(r)]
        if es.name == "A_JournalEntryItemBasic":
            rows = aggregate(rows, es, select)
        if text := req.arg("$orderby"):
            rows = order_by(rows, text, es)
        total = len(rows)
        try:
            skip, top = int(req.arg("$skip") or 0), req.arg("$top")
            if self.faults.take(req.path, ("ignore_skip",)) is not None:
                skip = 0
        except ValueError:
            raise ODataError(400, "/IWBEP/CM_MGW_RT/022", "Invalid value for $skip") from None
        rows = rows[skip:]
        if top is not None:
            if not top.isdigit():
                raise ODataError(400, "/IWBEP/CM_MGW_RT/022", "Invalid value for $top")
            rows = rows[: int(top)]
        return rows, total, select, expand

    # -- reads ----------------------------------------------------------------------
    def _collection(self, req: SimRequest, service: str, entity_set: str) -> SimResponse:
        try:
            es = self._set(service, entity_set)
            with self._lock:
                rows, total, select, expand = self._query(req, es)
                start = int(req.arg("$skiptoken") or 0)
                page = rows[start : start + self.page_size]
                base = f"http://{req.headers.get('host') or self.base_url.split('//', 1)[1]}"
                d: dict[str, Any] = {"results": [self._render(base, es, r, select, expand) for r in page]}
        except ODataError as exc:
            return _err(exc)
        except ValueError:
            return _err(ODataError(400, "/IWBEP/CM_MGW_RT/022", "Invalid $skiptoken"))
        if req.arg("$inlinecount") == "allpages":
            lie = self.faults.take(req.path, ("count",))
            d["__count"] = lie.body.decode() if lie is not None else str(total)
        if start + self.page_size < len(rows):
            query = [(k, v) for k, vs in req.query.items() if k != "$skiptoken" for v in vs]
            following = start + self.page_size
            if self.faults.take(req.path, ("next_loop",)) is not None:
                following = 0  # back to the first page
            elif self.faults.take(req.path, ("next_repeat",)) is not None:
                following = self.page_size  # page 2, whatever page this is
            query.append(("$skiptoken", str(following)))
            d["__next"] = f"{base}{req.path}?{urlencode(query, quote_via=quote, safe='$,/')}"
        return SimResponse(200, json.dumps({"d": d}).encode(), dict(_JSON))

    def _count(self, req: SimRequest, service: str, entity_set: str) -> SimResponse:
        try:
            with self._lock:
                _, total, _, _ = self._query(req, self._set(service, entity_set))
        except ODataError as exc:
            return _err(exc)
        return SimResponse(200, str(total).encode(), {"Content-Type": "text/plain"})

    def _find(self, es: EntitySet, key: dict[str, str]) -> dict[str, Any]:
        for r in self.data.get(es.name, []):
            if all(
                str(r.get(k, "")).lower() == v.lower() if es.types.get(k) == "Edm.Guid" else r.get(k) == v
                for k, v in key.items()
            ):
                return r
        raise ODataError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{es.name}'")

    def _entity(self, req: SimRequest, service: str, entity_set: str, key: str) -> SimResponse:
        try:
            es = self._set(service, entity_set)
            with self._lock:
                rec = self._find(es, _split_key(unquote(key), es))
                base = f"http://{req.headers.get('host')}"
                body = self._render(
                    base, es, rec, path_tree(req.arg("$select")), path_tree(req.arg("$expand")) or {}
                )
        except ODataError as exc:
            return _err(exc)
        return SimResponse(
            200, json.dumps({"d": body}).encode(), {**_JSON, "ETag": body["__metadata"].get("etag", "")}
        )

    # -- writes ---------------------------------------------------------------------
    def _patch(self, req: SimRequest, service: str, entity_set: str, key: str) -> SimResponse:
        refused = self._check_csrf(req)
        if refused is not None:
            return refused
        try:
            es = self._set(service, entity_set)
            if entity_set not in ("A_PurchaseOrderItem", "A_PurOrdAccountAssignment"):
                raise ODataError(405, "/IWBEP/CM_MGW_RT/101", f"Entity set {entity_set} cannot be updated")
            with self._lock:
                rec = self._find(es, _split_key(unquote(key), es))
                if_match = req.headers.get("if-match")
                if not if_match:
                    raise ODataError(428, "/IWBEP/CM_MGW_RT/026", "Precondition required: send If-Match")
                if if_match != "*" and if_match != self._etag(es, rec):
                    raise ODataError(
                        412, "/IWBEP/CM_MGW_RT/025", "The ETag does not match; the data was changed"
                    )
                changes = req.json()
                if not isinstance(changes, dict):
                    raise ODataError(400, "/IWBEP/CM_MGW_RT/022", "The request body is not an entity")
                bad = [k for k in changes if k in es.keys or (es.types and k not in es.types)]
                if bad:
                    raise ODataError(400, "/IWBEP/CM_MGW_RT/021", f"Property '{bad[0]}' cannot be changed")
                self._apply(es, rec, changes)
                tag = self._etag(es, rec)
        except ODataError as exc:
            return _err(exc)
        except (ValueError, TypeError):
            return _err(ODataError(400, "/IWBEP/CM_MGW_RT/022", "The request body is not valid JSON"))
        return SimResponse(204, b"", {"ETag": tag, "DataServiceVersion": "2.0"})

    def _apply(self, es: EntitySet, rec: dict[str, Any], changes: dict[str, Any]) -> None:
        """Apply a PATCH as SAP would: new ETags, the PO header's change stamp moves, net amounts follow."""
        rec.update(changes)
        self._etags.pop((es.name, tuple(rec.get(k) for k in es.keys)), None)
        po = rec.get("PurchaseOrder")
        if es.name == "A_PurchaseOrderItem" and any(f in changes for f in _PRICE_FIELDS):
            unit = Decimal(str(rec.get("NetPriceQuantity") or "1")) or Decimal(1)
            net = (
                Decimal(str(rec.get("OrderQuantity") or "0"))
                * Decimal(str(rec.get("NetPriceAmount") or "0"))
                / unit
            )
            aas = self._children("A_PurOrdAccountAssignment", ("PurchaseOrder", "PurchaseOrderItem"), rec)
            for aa in aas:
                share = (
                    Decimal(str(aa.get("MultipleAcctAssgmtDistrPercent") or "0")) / 100
                    if len(aas) > 1
                    else Decimal(1)
                )
                aa["PurgDocNetAmount"] = f"{net * share:.3f}"
                self._etags.pop(
                    (
                        "A_PurOrdAccountAssignment",
                        tuple(aa.get(k) for k in self.sets["A_PurOrdAccountAssignment"].keys),
                    ),
                    None,
                )
        for head in self.data.get("A_PurchaseOrder", []):
            if head.get("PurchaseOrder") == po:
                head["LastChangeDateTime"] = format_date(datetime.now(UTC), offset=True)
                self._etags.pop(("A_PurchaseOrder", (po,)), None)

    def _post_invoice_costs(
        self, head: dict[str, Any], refs: list[dict[str, Any]], year: str, number: str
    ) -> None:
        """Book an invoice's cost as SAP does for account-assigned PO items (caller holds the lock).

        Each invoice item's amount lands on its PO item's WBS element and GL account, split
        across several assignments in proportion to their net amounts; the journal
        (``A_JournalEntryItemBasic``) then shows it as an actual, as in a real system.
        """
        journal = self.data.setdefault("A_JournalEntryItemBasic", [])
        assignments = self.data.get("A_PurOrdAccountAssignment", [])
        # SAP derives the fiscal period from the posting date (fiscal year variant K4: months).
        posted = parse_date(head.get("PostingDate")) or datetime.now(UTC)
        period = f"{year}{posted.month:03d}"
        currency = str(head.get("DocumentCurrency") or "USD")
        for n, ref in enumerate(refs, start=1):
            amount = Decimal(str(ref.get("SupplierInvoiceItemAmount") or "0"))
            rows = [
                a
                for a in assignments
                if a.get("PurchaseOrder") == ref.get("PurchaseOrder")
                and a.get("PurchaseOrderItem") == ref.get("PurchaseOrderItem")
                and not a.get("IsDeleted")
            ]
            if not rows or not amount:
                continue
            weights = [Decimal(str(a.get("PurgDocNetAmount") or 0)) for a in rows]
            total = sum(weights, Decimal(0))
            left = amount
            for i, (a, w) in enumerate(zip(rows, weights, strict=True)):
                last = i == len(rows) - 1
                share = left if last or not total else (amount * w / total).quantize(Decimal("0.01"))
                left -= share
                wbs = str(a.get("WBSElement") or "")
                journal.append(
                    {
                        "ID": f"{year}{number}{n:04d}{i:03d}",
                        "CompanyCode": str(head.get("CompanyCode") or ""),
                        "FiscalYear": year,
                        "FiscalYearPeriod": period,
                        "Ledger": "0L",
                        "GLAccount": str(a.get("GLAccount") or ""),
                        "CostCenter": str(a.get("CostCenter") or ""),
                        "Project": "-".join(wbs.split("-")[:2]) if wbs else "",
                        "WBSElement": wbs,
                        "AmountInCompanyCodeCurrency": f"{share:.3f}",
                        "CompanyCodeCurrency": currency,
                        "AmountInTransactionCurrency": f"{share:.3f}",
                        "TransactionCurrency": currency,
                    }
                )

    def _create(self, req: SimRequest, service: str, entity_set: str) -> SimResponse:
        refused = self._check_csrf(req)
        if refused is not None:
            return refused
        try:
            es = self._set(service, entity_set)
            if entity_set != "A_SupplierInvoice":
                raise ODataError(405, "/IWBEP/CM_MGW_RT/101", f"Entity set {entity_set} cannot be created")
            body = req.json()
            if not isinstance(body, dict):
                raise ODataError(400, "/IWBEP/CM_MGW_RT/022", "The request body is not an entity")
            refs = (body.get("to_SuplrInvcItemPurOrdRef") or {}).get("results") or []
            if not refs:
                raise ODataError(400, "M8/085", "Enter at least one purchase order reference")
            with self._lock:
                pos = {p.get("PurchaseOrder") for p in self.data.get("A_PurchaseOrder", [])}
                for ref in refs:
                    if ref.get("PurchaseOrder") not in pos:
                        raise ODataError(
                            400, "M8/116", f"Purchase order {ref.get('PurchaseOrder')} does not exist"
                        )
                self._invoice_no += 1
                number = str(self._invoice_no)
                posted = parse_date(body.get("PostingDate")) or datetime.now(UTC)
                year = str(body.get("FiscalYear") or posted.year)  # the posting date's (variant K4)
                head = {k: v for k, v in copy.deepcopy(body).items() if not isinstance(v, (dict, list))}
                head.update(SupplierInvoice=number, FiscalYear=year)
                self.data.setdefault("A_SupplierInvoice", []).append(head)
                items = self.data.setdefault("A_SuplrInvcItemPurOrdRef", [])
                for i, ref in enumerate(refs, start=1):
                    items.append(
                        {
                            **ref,
                            "SupplierInvoice": number,
                            "FiscalYear": year,
                            "SupplierInvoiceItem": ref.get("SupplierInvoiceItem") or f"{i:06d}",
                        }
                    )
                self._index.pop(("A_SuplrInvcItemPurOrdRef", ("SupplierInvoice", "FiscalYear")), None)
                self._post_invoice_costs(head, refs, year, number)
                base = f"http://{req.headers.get('host')}"
                rendered = self._render(base, es, head, None, {"to_SuplrInvcItemPurOrdRef": {}})
        except ODataError as exc:
            return _err(exc)
        except (ValueError, TypeError, AttributeError):
            return _err(ODataError(400, "/IWBEP/CM_MGW_RT/022", "The request body is not valid JSON"))
        return SimResponse(
            201, json.dumps({"d": rendered}).encode(), {**_JSON, "Location": rendered["__metadata"]["uri"]}
        )
