"""A loopback SAP ECC that serves a SOAMANAGER binding: its WSDL and the modules Tieout calls.

What it keeps of the real thing: Basic auth on the WSDL and on every call, ``sap-client``,
document/literal SOAP with unqualified children, RFC exceptions as SOAP faults
(``DATA_BUFFER_EXCEEDED`` past a 512-character row, ``TABLE_NOT_AVAILABLE``,
``FIELD_NOT_VALID``), ``ROWSKIPS``/``ROWCOUNT`` with at most 1,000 rows a call, fixed-width
``WA`` rows (blank-padded CHAR, zero-padded NUMC, right-aligned amounts with a trailing
minus), a session cookie whose buffer only ``BAPI_TRANSACTION_COMMIT`` in the same session
writes, BAPI ``RETURN`` tables with E rows, a commit that fails, and the kit's faults.
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
import secrets
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from adapters.sap_ecc.ddic import DDIC
from adapters.sap_ecc.functions import NS, wsdl
from adapters.simkit import SimRequest, SimResponse, SimServer

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_PATH = "/sap/bc/srt/rfc/sap/ztieout_ecc/{client}/ztieout_ecc/ztieout_ecc_binding"
WSDL_PATH = "/sap/bc/srt/wsdl/bndg_tieout/wsdl11/allinone/ws_policy/document"
COOKIE = "SAP_SESSIONID_TIE_{client}"
ROW_WIDTH = 512
MAX_ROWS = 1000

Rows = dict[str, list[dict[str, Any]]]


class _Fault(Exception):
    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(name)
        self.name = name
        self.text = text


def render(value: Any, type_: str, length: int) -> str:
    """One field as RFC_READ_TABLE writes it into ``WA``."""
    if type_ == "P":
        amount = Decimal(value or 0)
        text = format(abs(amount), "f") + ("-" if amount < 0 else "")
        return text.rjust(length)[-length:]
    if type_ == "N":
        return str(value or "").rjust(length, "0")[-length:]
    if type_ == "D":
        return str(value or "00000000")[:8].ljust(8, "0")
    return str(value or "").ljust(length)[:length]


# -- OPTIONS: a small WHERE-clause reader (AND of comparisons, LIKE, IN) ----------------
_TOKEN = re.compile(r"'(?:[^']|'')*'|\(|\)|,|>=|<=|<>|=|<|>|[A-Za-z_0-9%-]+")
_OPS = {"EQ": "=", "NE": "<>", "GE": ">=", "GT": ">", "LE": "<=", "LT": "<"}


def _literal(token: str) -> str:
    if not (token.startswith("'") and token.endswith("'")):
        raise _Fault("OPTION_NOT_VALID", f"expected a literal, got {token}")
    return token[1:-1].replace("''", "'")


def parse_where(text: str) -> list[tuple[str, str, Any]]:
    """``F = 'x' AND G IN ( 'a' , 'b' )`` as (field, operator, literal or list) triples."""
    tokens = _TOKEN.findall(text)
    conds: list[tuple[str, str, Any]] = []
    i = 0
    while i < len(tokens):
        if conds:
            if tokens[i].upper() != "AND":
                raise _Fault("OPTION_NOT_VALID", f"only AND is understood, got {tokens[i]}")
            i += 1
        field, op = tokens[i].upper(), tokens[i + 1].upper()
        op = _OPS.get(op, op)
        if op == "IN":
            if tokens[i + 2] != "(":
                raise _Fault("OPTION_NOT_VALID", "IN needs a list")
            j, values = i + 3, []
            while tokens[j] != ")":
                if tokens[j] != ",":
                    values.append(_literal(tokens[j]))
                j += 1
            conds.append((field, "IN", frozenset(v.rstrip() for v in values)))
            i = j + 1
        else:
            conds.append((field, op, _literal(tokens[i + 2])))
            i += 3
    return conds


def _compare(value: str, op: str, lit: Any) -> bool:
    if op == "=":
        return bool(value == lit.rstrip())
    if op == "<>":
        return bool(value != lit.rstrip())
    if op in (">=", ">", "<=", "<"):
        return bool({">=": value >= lit, ">": value > lit, "<=": value <= lit, "<": value < lit}[op])
    if op == "IN":
        return bool(value in lit)
    if op == "LIKE":
        return re.fullmatch(re.escape(lit).replace("%", ".*").replace("_", "."), value) is not None
    raise _Fault("OPTION_NOT_VALID", f"operator {op}")


def _matches(
    row: dict[str, Any], conds: list[tuple[str, str, Any]], ddic: dict[str, tuple[str, int]]
) -> bool:
    """Whether a stored row meets the WHERE clause, comparing fields as ``WA`` would hold them."""
    for field, op, lit in conds:
        if field not in ddic:
            raise _Fault("OPTION_NOT_VALID", f"unknown field {field}")
        if not _compare(render(row.get(field), *ddic[field]).rstrip(), op, lit):
            return False
    return True


class EccSimulator:
    """Serve ``tables`` (name → rows of field → value) as an ECC system over loopback SOAP."""

    def __init__(
        self,
        tables: Rows | None = None,
        *,
        username: str = "TIEOUT_RFC",
        password: str = "sim-password",
        sap_client: str = "100",
        wsdl_host: str | None = None,
    ) -> None:
        self.tables: Rows = {name: list((tables or {}).get(name, [])) for name in DDIC}
        self.username = username
        self.password = password
        self.sap_client = sap_client
        #: The host the WSDL's endpoint names (an internal host, as behind a reverse proxy).
        self.wsdl_host = wsdl_host
        self.row_width = ROW_WIDTH
        #: (PO, item) pairs BAPI_PO_CHANGE fails on, after applying the items before them.
        self.fail_items: set[tuple[str, str]] = set()
        #: When set, the next BAPI_TRANSACTION_COMMIT answers this E message and drops the buffer.
        self.commit_error: str | None = None
        self.commits = 0
        self._sessions: dict[str, list[Callable[[], None]]] = {}
        self._po_numbers = itertools.count(4500009001)
        self._lock = threading.RLock()
        service = SERVICE_PATH.format(client=sap_client)
        self.server = SimServer(
            [("GET", re.escape(WSDL_PATH), self._wsdl), ("POST", re.escape(service), self._soap)],
            name="sap-ecc-sim",
        )
        self.server.before = self._auth
        self.faults = self.server.faults
        self.service_path = service

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> str:
        self.server.start()
        return self.base_url

    def stop(self) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def wsdl_url(self) -> str:
        return f"{self.server.base_url}{WSDL_PATH}?sap-client={self.sap_client}"

    def __enter__(self) -> EccSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP -----------------------------------------------------------------------
    def _auth(self, req: SimRequest) -> SimResponse | None:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if req.headers.get("authorization") != f"Basic {expected}":
            return SimResponse(
                401, b"<html>Logon failed</html>", {"WWW-Authenticate": 'Basic realm="SAP NetWeaver"'}
            )
        if req.arg("sap-client", self.sap_client) != self.sap_client:
            return SimResponse(401, b"<html>Client does not exist</html>")
        return None

    def _wsdl(self, req: SimRequest) -> SimResponse:
        host = self.wsdl_host or self.server.base_url
        return SimResponse(
            200, wsdl(host + self.service_path).encode(), {"Content-Type": "text/xml; charset=utf-8"}
        )

    def _soap(self, req: SimRequest) -> SimResponse:
        try:
            body = etree.fromstring(req.body).find(f"{{{SOAP_ENV}}}Body")
            call = body[0] if body is not None and len(body) else None
        except etree.XMLSyntaxError:
            call = None
        if call is None:
            return self._fault_response("Client", "The request is not a SOAP envelope", "")
        name = etree.QName(call).localname
        session, new = self._session(req)
        try:
            handler = {
                "RFC_READ_TABLE": self._read_table,
                "BAPI_PO_CHANGE": self._po_change,
                "BAPI_PO_CREATE1": self._po_create,
                "BAPI_TRANSACTION_COMMIT": self._commit,
            }[name]
        except KeyError:
            return self._fault_response("Client", f"Function {name} is not part of this service", name)
        try:
            children = handler(_params(call), session)
        except _Fault as exc:
            return self._fault_response("Client", exc.name, name, exc.text)
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if new:
            headers["Set-Cookie"] = f"{COOKIE.format(client=self.sap_client)}={session}; path=/"
        return SimResponse(200, _envelope(name + "Response", children), headers)

    def _session(self, req: SimRequest) -> tuple[str, bool]:
        cookie = COOKIE.format(client=self.sap_client)
        m = re.search(re.escape(cookie) + r"=([^;]+)", req.headers.get("cookie", ""))
        with self._lock:
            if m and m.group(1) in self._sessions:
                return m.group(1), False
            sid = secrets.token_hex(8)
            self._sessions[sid] = []
            return sid, True

    def _fault_response(self, code: str, name: str, function: str, text: str = "") -> SimResponse:
        env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap-env": SOAP_ENV})
        fault = etree.SubElement(etree.SubElement(env, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
        etree.SubElement(fault, "faultcode").text = f"soap-env:{code}"
        etree.SubElement(fault, "faultstring").text = name
        detail = etree.SubElement(
            etree.SubElement(fault, "detail"), f"{{{NS}}}{function}.Exception", nsmap={"n0": NS}
        )
        etree.SubElement(detail, "Name").text = name
        etree.SubElement(detail, "Text").text = text or name
        return SimResponse(
            500, etree.tostring(env, xml_declaration=True, encoding="utf-8"), {"Content-Type": "text/xml"}
        )

    # -- RFC_READ_TABLE ---------------------------------------------------------------
    def _read_table(self, p: dict[str, Any], session: str) -> list[Any]:
        table = str(p.get("QUERY_TABLE") or "").strip().upper()
        if table not in DDIC:
            raise _Fault("TABLE_NOT_AVAILABLE")
        ddic = {f: (t, n) for f, t, n in DDIC[table]}
        wanted = [str(i.get("FIELDNAME") or "").strip().upper() for i in p.get("FIELDS", [])] or list(ddic)
        layout, offset = [], 0
        for f in wanted:
            if f not in ddic:
                raise _Fault("FIELD_NOT_VALID", f)
            t, n = ddic[f]
            layout.append((f, t, n, offset))
            offset += n
        if offset > self.row_width:
            raise _Fault("DATA_BUFFER_EXCEEDED")
        fields = [
            (
                "FIELDS",
                [
                    {"FIELDNAME": f, "OFFSET": f"{o:06d}", "LENGTH": f"{n:06d}", "TYPE": t, "FIELDTEXT": f}
                    for f, t, n, o in layout
                ],
            )
        ]
        if str(p.get("NO_DATA") or "").strip():
            return [("DATA", []), *fields, ("OPTIONS", p.get("OPTIONS", []))]
        where = " ".join(str(i.get("TEXT") or "") for i in p.get("OPTIONS", []))
        conds = parse_where(where) if where.strip() else []
        skips = int(p.get("ROWSKIPS") or 0)
        count = int(p.get("ROWCOUNT") or 0) or MAX_ROWS
        with self._lock:
            hits = [row for row in self.tables[table] if _matches(row, conds, ddic)]
            page = hits[skips : skips + min(count, MAX_ROWS)]
            # SAP's SOAP runtime drops a row's trailing blanks.
            data = [{"WA": "".join(render(r.get(f), t, n) for f, t, n, _ in layout).rstrip()} for r in page]
        return [("DATA", data), *fields, ("OPTIONS", p.get("OPTIONS", []))]

    # -- BAPIs --------------------------------------------------------------------------
    def _po_rows(self, po: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        head = next((r for r in self.tables["EKKO"] if r["EBELN"] == po), None)
        return head, [r for r in self.tables["EKPO"] if r["EBELN"] == po]

    def _po_change(self, p: dict[str, Any], session: str) -> list[Any]:
        po = str(p.get("PURCHASEORDER") or "").strip()
        items = {str(i.get("PO_ITEM") or "").zfill(5): i for i in p.get("POITEM", [])}
        flags = {str(i.get("PO_ITEM") or "").zfill(5): i for i in p.get("POITEMX", [])}
        returns: list[dict[str, str]] = []
        with self._lock:
            head, lines = self._po_rows(po)
            if head is None:
                return [("RETURN", [_ret("E", "06", "019", f"Purchase order {po} does not exist")])]
            staged: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for item, values in items.items():
                if (po, item) in self.fail_items:
                    returns.append(_ret("E", "ME", "083", f"Item {item}: net price cannot be changed"))
                    break
                line = next((r for r in lines if str(r["EBELP"]).zfill(5) == item), None)
                if line is None:
                    returns.append(
                        _ret("E", "06", "029", f"Item {item} does not exist in purchase order {po}")
                    )
                    break
                x = flags.get(item, {})
                change: dict[str, Any] = {}
                for field, column in (
                    ("QUANTITY", "MENGE"),
                    ("NET_PRICE", "NETPR"),
                    ("PRICE_UNIT", "PEINH"),
                    ("SHORT_TEXT", "TXZ01"),
                ):
                    if str(x.get(field) or "").strip() == "X" and values.get(field) not in (None, ""):
                        change[column] = (
                            Decimal(str(values[field])) if column != "TXZ01" else str(values[field])
                        )
                staged.append((line, change))
                returns.append(_ret("S", "06", "023", f"Item {item} of purchase order {po} changed"))
            account_x = {
                (str(a.get("PO_ITEM") or "").zfill(5), str(a.get("SERIAL_NO") or "").zfill(2)): a
                for a in p.get("POACCOUNTX", [])
            }
            assigned: list[tuple[dict[str, Any], str]] = []
            for acc in p.get("POACCOUNT", []) if not any(r["TYPE"] == "E" for r in returns) else []:
                item, serial = (
                    str(acc.get("PO_ITEM") or "").zfill(5),
                    str(acc.get("SERIAL_NO") or "").zfill(2),
                )
                if str(account_x.get((item, serial), {}).get("WBS_ELEMENT") or "").strip() != "X":
                    continue
                posid = str(acc.get("WBS_ELEMENT") or "")
                pspnr = next((r["PSPNR"] for r in self.tables["PRPS"] if r["POSID"] == posid), None)
                row = next(
                    (
                        r
                        for r in self.tables["EKKN"]
                        if (r["EBELN"], str(r["EBELP"]).zfill(5), str(r["ZEKKN"]).zfill(2))
                        == (po, item, serial)
                    ),
                    None,
                )
                if pspnr is None or row is None:
                    what = (
                        f"WBS element {posid} does not exist"
                        if pspnr is None
                        else f"No account assignment {serial}"
                    )
                    returns.append(_ret("E", "ME", "045", f"Item {item}: {what}"))
                    break
                line = next((r for r in lines if str(r["EBELP"]).zfill(5) == item), None)
                if line is not None and all(line is not s_line for s_line, _ in staged):
                    staged.append((line, {}))
                assigned.append((row, pspnr))
                returns.append(_ret("S", "06", "023", f"Account assignment {serial} of item {item} changed"))
            today = date.today().strftime("%Y%m%d")

            def apply() -> None:
                for row, pspnr in assigned:
                    row["PS_PSP_PNR"] = pspnr
                for line, change in staged:
                    line.update(change)
                    line["NETWR"] = (
                        Decimal(line["MENGE"]) * Decimal(line["NETPR"]) / Decimal(line["PEINH"] or 1)
                    )
                    line["AEDAT"] = today

            # Like an update task, the changes wait in the session for BAPI_TRANSACTION_COMMIT,
            # even those before an E row: only the caller's discipline keeps them out.
            self._sessions[session].append(apply)
        return [("RETURN", returns)]

    def _po_create(self, p: dict[str, Any], session: str) -> list[Any]:
        header = p.get("POHEADER") or {}
        with self._lock:
            po = str(next(self._po_numbers))
            head = {
                "EBELN": po,
                "BUKRS": header.get("COMP_CODE"),
                "BSTYP": "F",
                "BSART": header.get("DOC_TYPE") or "NB",
                "LIFNR": str(header.get("VENDOR") or "").zfill(10),
                "WAERS": header.get("CURRENCY"),
                "UNSEZ": header.get("OUR_REF") or "",
                "AEDAT": date.today().strftime("%Y%m%d"),
            }
            accounts = {str(a.get("PO_ITEM") or "").zfill(5): a for a in p.get("POACCOUNT", [])}
            lines, kn = [], []
            for item in p.get("POITEM", []):
                ebelp = str(item.get("PO_ITEM") or "").zfill(5)
                qty, price = Decimal(str(item.get("QUANTITY") or 1)), Decimal(str(item.get("NET_PRICE") or 0))
                unit = Decimal(str(item.get("PRICE_UNIT") or 1))
                lines.append(
                    {
                        "EBELN": po,
                        "EBELP": ebelp,
                        "TXZ01": item.get("SHORT_TEXT") or "",
                        "BUKRS": head["BUKRS"],
                        "MENGE": qty,
                        "NETPR": price,
                        "PEINH": unit,
                        "NETWR": qty * price / unit,
                        "KNTTP": item.get("ACCTASSCAT") or "P",
                        "AEDAT": head["AEDAT"],
                    }
                )
                acc = accounts.get(ebelp)
                if acc:
                    pspnr = next(
                        (r["PSPNR"] for r in self.tables["PRPS"] if r["POSID"] == acc.get("WBS_ELEMENT")), ""
                    )
                    kn.append(
                        {
                            "EBELN": po,
                            "EBELP": ebelp,
                            "ZEKKN": "01",
                            "SAKTO": acc.get("GL_ACCOUNT") or "",
                            "KOSTL": acc.get("COSTCENTER") or "",
                            "PS_PSP_PNR": pspnr,
                            "MENGE": qty,
                            "VPROZ": Decimal(100),
                            "NETWR": qty * price / unit,
                        }
                    )

            def apply() -> None:
                self.tables["EKKO"].append(head)
                self.tables["EKPO"].extend(lines)
                self.tables["EKKN"].extend(kn)

            self._sessions[session].append(apply)
        return [
            ("EXPPURCHASEORDER", po),
            ("RETURN", [_ret("S", "06", "017", f"Standard PO created under the number {po}")]),
        ]

    def _commit(self, p: dict[str, Any], session: str) -> list[Any]:
        with self._lock:
            pending, self._sessions[session] = self._sessions[session], []
            if self.commit_error:
                message, self.commit_error = self.commit_error, None
                return [("RETURN", _ret("E", "00", "377", message))]
            for apply in pending:
                apply()
            self.commits += 1
        return [("RETURN", _ret("", "", "000", ""))]

    def snapshot(self) -> Rows:
        with self._lock:
            return copy.deepcopy(self.tables)


def _ret(type_: str, id_: str, number: str, message: str) -> dict[str, str]:
    return {"TYPE": type_, "ID": id_, "NUMBER": number, "MESSAGE": message}


def _params(call: Any) -> dict[str, Any]:
    """A request element's children: scalars as text, structures as dicts, tables as lists of dicts."""
    out: dict[str, Any] = {}
    for child in call:
        name = etree.QName(child).localname
        items = [c for c in child if etree.QName(c).localname == "item"]
        if items:
            out[name] = [{etree.QName(f).localname: f.text or "" for f in it} for it in items]
        elif len(child):
            out[name] = {etree.QName(f).localname: f.text or "" for f in child}
        else:
            out[name] = child.text or ""
    return out


def _envelope(element: str, children: list[Any]) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap-env": SOAP_ENV})
    resp = etree.SubElement(
        etree.SubElement(env, f"{{{SOAP_ENV}}}Body"), f"{{{NS}}}{element}", nsmap={"n0": NS}
    )
    for name, value in children:
        node = etree.SubElement(resp, name)
        if isinstance(value, list):
            for row in value:
                item = etree.SubElement(node, "item")
                for k, v in row.items():
                    etree.SubElement(item, k).text = str(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                etree.SubElement(node, k).text = str(v)
        else:
            node.text = str(value)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))
