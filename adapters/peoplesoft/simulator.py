"""A loopback PeopleSoft Integration Broker that serves Tieout's service operations.

It answers exactly what docs/peoplesoft.md asks a PeopleSoft admin to deploy: the
``TIEOUT_<NAME>.v1`` GET operations (window ``FROM_DTTM <= LASTUPDDTTM < TO_DTTM``,
``OFFSET``/``LIMIT`` paging with a server-side cap, ``MORE``), ``TIEOUT_JOURNAL.v1`` (POST a
journal, GET its lines by reference), Basic or OAuth2 verification, service operations an
admin has not activated, IB error bodies, and the kit's faults (``adapters.simkit``).
"""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters.peoplesoft.wire import dumps_exact, loads_exact, parse_dttm
from adapters.simkit import SimRequest, SimResponse, SimServer

CONNECTOR = "/PSIGW/RESTListeningConnector"
TOKEN_PATH = "/PSIGW/oauth2/token"
READS = ("VENDORS", "PO_DISTRIB", "PROJECTS", "BUDGETS", "LEDGER")


def ib_error(status: int, code: str, message: str) -> SimResponse:
    return SimResponse(
        status,
        dumps_exact({"errorCode": code, "errorMessage": message}),
        {"Content-Type": "application/json"},
    )


class PeopleSoftSimulator:
    """Serve ``rows`` (operation name → list of row dicts) for one node over loopback HTTP."""

    def __init__(
        self,
        rows: dict[str, list[dict[str, Any]]] | None = None,
        *,
        node: str = "PSFT_EP",
        auth: str = "basic",
        username: str = "TIEOUT_IB",
        password: str = "sim-password",
        client_id: str = "tieout",
        client_secret: str = "sim-secret",
        page_cap: int = 500,
        setid_of: dict[str, str] | None = None,
    ) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: list((rows or {}).get(name, [])) for name in READS
        }
        self.node = node
        self.auth = auth
        self.username = username
        self.password = password
        self.client_id = client_id
        self.client_secret = client_secret
        #: The most rows one answer carries, whatever LIMIT asked (handlers may cap).
        self.page_cap = page_cap
        self.setid_of = setid_of or {}
        #: Service operations the admin has not activated (``"BUDGETS"``, ``"JOURNAL"``).
        self.inactive: set[str] = set()
        #: Posted journals: journal id → {"header": ..., "lines": [...]}.
        self.journals: dict[str, dict[str, Any]] = {}
        #: Run "Journal Post" at once: a posted journal's lines show in LEDGER (the next pull sees them).
        self.journal_post = True
        #: Every row a read answered, in order: (operation name, row), so a test can count reads.
        self.served: list[tuple[str, dict[str, Any]]] = []
        self._tokens: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        node_re = re.escape(CONNECTOR) + "/(?P<node>[^/]+)"
        self.server = SimServer(
            [
                ("POST", re.escape(TOKEN_PATH), self._token),
                ("GET", node_re + r"/TIEOUT_(?P<name>[A-Z_]+)\.v1/(?P<bu>[^/]+)", self._read),
                ("POST", node_re + r"/TIEOUT_JOURNAL\.v1", self._post_journal),
                ("POST", node_re + r"/TIEOUT_PO\.v1", self._post_po),
            ],
            name="peoplesoft-sim",
        )
        self.server.before = self._authenticate
        self.faults = self.server.faults

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> str:
        self.server.start()
        return self.base_url

    def stop(self) -> None:
        self.server.stop()

    @property
    def root(self) -> str:
        return self.server.base_url

    @property
    def base_url(self) -> str:
        """What a profile's ``base_url`` names: up to the node."""
        return f"{self.server.base_url}{CONNECTOR}/{self.node}"

    @property
    def token_url(self) -> str:
        return self.server.base_url + TOKEN_PATH

    def __enter__(self) -> PeopleSoftSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- auth -----------------------------------------------------------------------
    def _token(self, req: SimRequest) -> SimResponse:
        form = {k: v[0] for k, v in _form(req.body).items()}
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return SimResponse.json({"error": "invalid_client"}, status=401)
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._tokens.add(token)
        return SimResponse.json({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def _authenticate(self, req: SimRequest) -> SimResponse | None:
        if req.path == TOKEN_PATH:
            return None
        header = req.headers.get("authorization", "")
        if self.auth == "basic":
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            if header != f"Basic {expected}":
                return ib_error(401, "158,55", "UserName not defined in database or invalid password.")
            return None
        token = header.removeprefix("Bearer ")
        with self._lock:
            ok = header.startswith("Bearer ") and token in self._tokens
        if not ok:
            return ib_error(401, "158,10830", "OAuth2 token verification failed.")
        return None

    # -- reads ----------------------------------------------------------------------
    def _gate(self, node: str, name: str) -> SimResponse | None:
        if node != self.node:
            return ib_error(404, "158,10505", f"Node {node} is not defined.")
        if name in self.inactive:
            return ib_error(500, "158,10519", f"Service Operation TIEOUT_{name}.v1 is inactive.")
        return None

    def _read(self, req: SimRequest, node: str, name: str, bu: str) -> SimResponse:
        early = self._gate(node, name)
        if early:
            return early
        if name == "JOURNAL":
            return self._journal_lines(req, bu)
        if name not in READS:
            return ib_error(404, "158,10507", f"Service Operation TIEOUT_{name}.v1 is not defined.")
        try:
            since = parse_dttm(req.arg("FROM_DTTM", "") or "")
            until = parse_dttm(req.arg("TO_DTTM", "") or "")
            offset = int(req.arg("OFFSET", "0") or 0)
            limit = int(req.arg("LIMIT", "500") or 500)
        except ValueError as exc:
            return ib_error(400, "158,10400", f"Bad parameter: {exc}")
        if until is None or offset < 0 or limit < 1:
            return ib_error(400, "158,10400", "TO_DTTM, OFFSET and LIMIT are required.")
        ledger = req.arg("LEDGER")
        # Optional key filters a push's live read sends (docs/peoplesoft.md).
        only = {k: v for k in ("PO_ID", "VENDOR_ID") if (v := req.arg(k))}
        with self._lock:
            rows = [
                r
                for r in self.rows[name]
                if self._in_scope(name, r, bu, ledger) and all(str(r.get(k)) == v for k, v in only.items())
            ]
        picked = []
        for r in rows:
            stamp = parse_dttm(str(r.get("LASTUPDDTTM") or ""))
            if stamp is None or (since is not None and stamp < since) or stamp >= until:
                continue
            picked.append(r)
        page = picked[offset : offset + min(limit, self.page_cap)]
        more = "Y" if offset + len(page) < len(picked) else "N"
        with self._lock:
            self.served += [(name, r) for r in page]
        body = {f"TIEOUT_{name}_RESP": {"ROWS": page, "MORE": more}}
        return SimResponse(200, dumps_exact(body), {"Content-Type": "application/json"})

    def _in_scope(self, name: str, row: dict[str, Any], bu: str, ledger: str | None) -> bool:
        if name == "VENDORS":  # vendors belong to the business unit's SETID
            return row.get("SETID") == self.setid_of.get(bu, bu)
        if row.get("BUSINESS_UNIT") != bu:
            return False
        return not (name == "LEDGER" and ledger and row.get("LEDGER") != ledger)

    # -- journals ------------------------------------------------------------------
    def _journal_lines(self, req: SimRequest, bu: str) -> SimResponse:
        ref = req.arg("LINE_REF", "") or ""
        with self._lock:
            found = [
                {"JOURNAL_ID": jid, **line}
                for jid, j in self.journals.items()
                if j["header"]["BUSINESS_UNIT"] == bu
                for line in j["lines"]
                if line.get("LINE_REF") == ref
            ]
        return SimResponse(200, dumps_exact({"TIEOUT_JOURNAL_RESP": {"ROWS": found, "MORE": "N"}}))

    def _post_journal(self, req: SimRequest, node: str) -> SimResponse:
        early = self._gate(node, "JOURNAL")
        if early:
            return early
        try:
            body = loads_exact(req.body)["TIEOUT_JOURNAL_REQ"]
            header = {k: body[k] for k in ("BUSINESS_UNIT", "LEDGER", "JOURNAL_DATE")}
            lines = list(body["LINES"])
        except (ValueError, KeyError, TypeError):
            return ib_error(400, "158,10400", "The request is not a TIEOUT_JOURNAL_REQ message.")
        total = sum((Decimal(str(line.get("MONETARY_AMOUNT", 0))) for line in lines), Decimal(0))
        if not lines or total != 0:
            return ib_error(400, "TIEOUT,10", f"The journal is out of balance by {total}.")
        with self._lock:
            jid = f"TIE{next(self._ids):07d}"
            self.journals[jid] = {"header": header, "lines": lines, "posted_at": datetime.now(UTC)}
            if self.journal_post:
                self._post_to_ledger(header, lines)
        return SimResponse(
            201, dumps_exact({"TIEOUT_JOURNAL_RESP": {"JOURNAL_ID": jid, **header, "JRNL_HDR_STATUS": "N"}})
        )

    def _post_to_ledger(self, header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """What the site's Journal Post run does to PS_LEDGER (one balance row per journal line here)."""
        day = datetime.now(UTC)
        for line in lines:
            self.rows["LEDGER"].append(
                {
                    "BUSINESS_UNIT": header["BUSINESS_UNIT"],
                    "LEDGER": header["LEDGER"],
                    "ACCOUNT": line.get("ACCOUNT", ""),
                    "DEPTID": line.get("DEPTID", ""),
                    "PROJECT_ID": line.get("PROJECT_ID", ""),
                    "ACTIVITY_ID": line.get("ACTIVITY_ID", ""),
                    "FISCAL_YEAR": int(str(header["JOURNAL_DATE"])[:4]),
                    "ACCOUNTING_PERIOD": int(str(header["JOURNAL_DATE"])[5:7]),
                    "CURRENCY_CD": line.get("CURRENCY_CD", ""),
                    "MONETARY_AMOUNT": Decimal(str(line.get("MONETARY_AMOUNT", 0))),
                    "LINE_REF": line.get("LINE_REF", ""),
                    "LASTUPDDTTM": day.strftime("%Y-%m-%d-%H.%M.%S.%f"),
                }
            )

    # -- purchase orders -------------------------------------------------------------
    def _post_po(self, req: SimRequest, node: str) -> SimResponse:
        early = self._gate(node, "PO")
        if early:
            return early
        try:
            body = loads_exact(req.body)["TIEOUT_PO_REQ"]
            bu, po_id = str(body["BUSINESS_UNIT"]), str(body["PO_ID"])
            lines = list(body["LINES"])
            amounts = [Decimal(str(line["MERCHANDISE_AMT"])) for line in lines]
        except (ValueError, KeyError, TypeError, ArithmeticError):
            return ib_error(400, "158,10400", "The request is not a TIEOUT_PO_REQ message.")
        if not lines or not po_id or len(po_id) > 10:
            return ib_error(400, "TIEOUT,20", "A PO needs a PO_ID of at most 10 characters and lines.")
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H.%M.%S.%f")
        with self._lock:
            if any(r["BUSINESS_UNIT"] == bu and r["PO_ID"] == po_id for r in self.rows["PO_DISTRIB"]):
                return ib_error(409, "TIEOUT,21", f"PO {bu}/{po_id} already exists.")
            for line, amount in zip(lines, amounts, strict=True):
                self.rows["PO_DISTRIB"].append(
                    {
                        "BUSINESS_UNIT": bu,
                        "PO_ID": po_id,
                        "LINE_NBR": int(line["LINE_NBR"]),
                        "SCHED_NBR": 1,
                        "DISTRIB_LINE_NUM": 1,
                        "VENDOR_ID": body.get("VENDOR_ID", ""),
                        "CURRENCY_CD": body.get("CURRENCY_CD", ""),
                        "PO_STATUS": "I",  # initial: approval and dispatch are PeopleSoft's own
                        "DESCR254_MIXED": line.get("DESCR254_MIXED", ""),
                        "MERCHANDISE_AMT": amount,
                        "ACCOUNT": line.get("ACCOUNT", ""),
                        "DEPTID": line.get("DEPTID", ""),
                        "PROJECT_ID": line.get("PROJECT_ID", ""),
                        "ACTIVITY_ID": line.get("ACTIVITY_ID", ""),
                        "LASTUPDDTTM": stamp,
                    }
                )
        return SimResponse(
            201,
            dumps_exact({"TIEOUT_PO_RESP": {"BUSINESS_UNIT": bu, "PO_ID": po_id, "PO_STATUS": "I"}}),
            {"Content-Type": "application/json"},
        )


def _form(body: bytes) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
