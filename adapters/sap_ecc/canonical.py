"""ECC raw rows → the seam's canonical ERP tables (pure: rows in, frames out), shape ``SAP_ECC``.

The pull stores what RFC_READ_TABLE returned, trimmed but otherwise as SAP stores it
(``adapter.py``); every SAP convention is undone here, once (shared/interfaces.md
section 6, "SAP ECC"):

- supplier, GL account (SAKTO), cost center (KOSTL) and cost element (KSTAR) numbers lose
  their leading zeros, as the mapping tables write them; a vendor's name is NAME1–NAME4
  joined with one space;
- EKKN names a WBS element by its internal number (PS_PSP_PNR = PRPS-PSPNR), BPGE and COSP
  by their object number (``PR`` + PSPNR): all resolve to PRPS-POSID, the id with its dashes;
- PRPS has no parent column (the tree is PRHI's, which is not released to RFC_READ_TABLE's
  authorization on most systems): a WBS element's parent is the nearest element of the same
  project whose POSID is a ``-``-segment prefix of its own, else none (the top element);
- a PO line is one EKPO item: amount EKPO-NETWR (quantity × price / price unit PEINH, as
  SAP computed it), dimensions those of its largest EKKN assignment (by NETWR, then VPROZ,
  then the lowest ZEKKN); items marked deleted (LOEKZ ``L``) and deleted assignments are
  skipped;
- budget is BPGE value type 41 (overall, no fiscal year), actual is COSP value type 04,
  one row per period of WTG001–WTG016 dated on the period's last day, keyed by cost element
  and WBS element, without cost center;
- CURR amounts are stored with two decimals whatever the currency: a currency TCURX lists
  with other decimals (JPY 0, KWD 3) is shifted back by ``10 ** (2 - CURRDEC)``, exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import polars as pl

from adapters.base import RawReader, ResponseError
from adapters.canonical_schema import conform, schema
from adapters.erp_shape import SAP_ECC
from adapters.fiscal_period import period_end
from adapters.sap_ecc.adapter import ACTUALS, BUDGETS, CURRENCIES, POS, PROJECTS, VENDORS, WBS
from adapters.sap_ecc.settings import SapEccSettings
from adapters.sap_ecc.values import ValueError_, amount, dats, number, text

#: The value types that count (shared/interfaces.md section 6); plan rows (01) are neither.
BUDGET_TYPE = "41"
ACTUAL_TYPE = "04"
PERIODS = tuple(f"WTG{i:03d}" for i in range(1, 17))
#: CURR fields hold this many decimals in the database, whatever the currency's own.
STORED_DECIMALS = 2


def frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows to a conformed frame; decimals travel as exact text and are cast by polars."""
    target = dict(schema(table, SAP_ECC))
    as_text = {k: pl.String() if isinstance(t, pl.Decimal) else t for k, t in target.items()}
    cols = {
        k: [None if (v := r.get(k)) is None else format(v, "f") for r in rows]
        if isinstance(target[k], pl.Decimal)
        else [r.get(k) for r in rows]
        for k in target
    }
    frame = pl.DataFrame(cols, schema=as_text)
    return conform(table, frame, SAP_ECC)


def _payloads(raw: RawReader, resource: str) -> list[dict[str, Any]]:
    return [p for _, p in raw(resource)]


def _field(row: dict[str, Any], name: str) -> str:
    return str(row.get(name) or "")


def _dim(value: str) -> str | None:
    """A dimension value without leading zeros; blank (or all zeros) is none."""
    stripped = number(value)
    return None if stripped in ("", "0") else stripped


def _internal(value: str) -> int | None:
    """An internal number (NUMC PSPNR, PS_PSP_PNR) as an int; blank or zero is none."""
    digits = value.strip()
    return int(digits) if digits.isdigit() and int(digits) else None


class Amounts:
    """Stored CURR values made true amounts of their currency (TCURX)."""

    def __init__(self, raw: RawReader) -> None:
        self.decimals: dict[str, int] = {}
        for row in _payloads(raw, CURRENCIES):
            code, dec = _field(row, "CURRKEY").strip(), _field(row, "CURRDEC").strip()
            if code and dec.isdigit():
                self.decimals[code] = int(dec)

    def __call__(self, stored: str, currency: str, where: str) -> Decimal:
        try:
            value = amount(stored)
        except ValueError_ as exc:
            raise ResponseError(f"The ERP (SAP ECC) sent {where}: {exc}.") from None
        shift = STORED_DECIMALS - self.decimals.get(currency.strip(), STORED_DECIMALS)
        return value.scaleb(shift) if shift else value


def _quantity(stored: str, where: str) -> Decimal | None:
    if not stored.strip():
        return None
    try:
        return amount(stored)
    except ValueError_ as exc:
        raise ResponseError(f"The ERP (SAP ECC) sent {where}: {exc}.") from None


def _date(stored: str, where: str) -> date | None:
    try:
        return dats(stored)
    except ValueError_ as exc:
        raise ResponseError(f"The ERP (SAP ECC) sent {where}: {exc}.") from None


class WbsIndex:
    """PRPS and PROJ: internal numbers to POSIDs, each element's project and parent."""

    def __init__(self, raw: RawReader, company_code: str) -> None:
        self.projects: dict[int, dict[str, Any]] = {}
        for p in _payloads(raw, PROJECTS):
            key = _internal(_field(p, "PSPNR"))
            if key is not None and _field(p, "VBUKR").strip() in ("", company_code):
                self.projects[key] = p
        self.elements: dict[int, dict[str, Any]] = {}
        for e in _payloads(raw, WBS):
            key = _internal(_field(e, "PSPNR"))
            if key is not None and _field(e, "PBUKR").strip() in ("", company_code):
                self.elements[key] = e
        self.posid = {k: text(_field(e, "POSID")) for k, e in self.elements.items()}

    def node(self, pspnr: str) -> str | None:
        """The POSID of an internal number (EKKN-PS_PSP_PNR); an unknown one keeps its number."""
        key = _internal(pspnr)
        if key is None:
            return None
        return self.posid.get(key) or pspnr.strip()

    def of_object(self, objnr: str) -> str | None:
        """The POSID of a CO object number ``PR`` + PSPNR (BPGE, COSP)."""
        objnr = objnr.strip()
        return self.node(objnr[2:]) if objnr.startswith("PR") else None

    def rows(self) -> list[dict[str, Any]]:
        by_project: dict[int | None, set[str]] = {}
        for e in self.elements.values():
            by_project.setdefault(_internal(_field(e, "PSPHI")), set()).add(text(_field(e, "POSID")))
        out = []
        for e in self.elements.values():
            posid = text(_field(e, "POSID"))
            project_key = _internal(_field(e, "PSPHI"))
            siblings = by_project.get(project_key, set())
            parent = _parent(posid, siblings)
            project = self.projects.get(project_key) if project_key is not None else None
            level = _field(e, "STUFE").strip()
            out.append(
                {
                    "node": posid,
                    "project": text(_field(project, "PSPID")) if project else None,
                    "parent": parent,
                    "level": int(level) if level.isdigit() and int(level) else _depth(posid, siblings),
                    "description": text(_field(e, "POST1")) or None,
                }
            )
        return out


def _parent(posid: str, nodes: set[str]) -> str | None:
    """The nearest ``-``-segment prefix of ``posid`` among ``nodes`` (P-1001-03-02 → P-1001-03)."""
    head = posid
    while "-" in head:
        head = head.rsplit("-", 1)[0]
        if head in nodes:
            return head
    return None


def _depth(posid: str, nodes: set[str]) -> int:
    level, node = 1, _parent(posid, nodes)
    while node is not None:
        level += 1
        node = _parent(node, nodes)
    return level


def vendors(raw: RawReader) -> pl.DataFrame:
    """LFA1: supplier without leading zeros, NAME1–NAME4 joined, blocked if deleted or blocked."""
    rows = []
    for v in _payloads(raw, VENDORS):
        names = [text(_field(v, f"NAME{i}")) for i in range(1, 5)]
        rows.append(
            {
                "supplier": number(_field(v, "LIFNR")),
                "name": " ".join(n for n in names if n),
                "blocked": any(_field(v, f).strip() for f in ("LOEVM", "SPERR", "SPERM")),
            }
        )
    return frame("erp_vendors", rows)


def _largest(accounts: list[dict[str, Any]], money: Amounts, currency: str, where: str) -> dict[str, Any]:
    def share(a: dict[str, Any]) -> tuple[Decimal, Decimal, int]:
        zekkn = _field(a, "ZEKKN").strip()
        return (
            money(_field(a, "NETWR"), currency, f"{where} EKKN NETWR"),
            _quantity(_field(a, "VPROZ"), f"{where} EKKN VPROZ") or Decimal(0),
            -int(zekkn) if zekkn.isdigit() else 0,
        )

    return max(accounts, key=share)


def line_stamp(head: dict[str, Any], item: dict[str, Any]) -> str:
    """What read-before-write compares for one item: EKKO-AEDAT, EKPO-AEDAT and the item's
    values (quantity, price, price unit, net value, deletion flag, its live assignments)."""
    accounts = sorted(
        (
            _field(a, "ZEKKN"),
            _field(a, "SAKTO"),
            _field(a, "KOSTL"),
            _field(a, "PS_PSP_PNR"),
            _field(a, "NETWR"),
        )
        for a in item.get("accounts") or []
        if not _field(a, "LOEKZ").strip()
    )
    parts = [
        _field(head, "AEDAT").strip(),
        *(_field(item, f).strip() for f in ("AEDAT", "LOEKZ", "MENGE", "NETPR", "PEINH", "NETWR")),
        repr(accounts),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def po_stamp(head: dict[str, Any]) -> str:
    """A PO's stamp: EKKO-AEDAT and supplier, currency and every item's stamp."""
    parts = [_field(head, f).strip() for f in ("AEDAT", "LIFNR", "WAERS", "LOEKZ")]
    parts += [f"{_field(i, 'EBELP')}:{line_stamp(head, i)}" for i in head.get("items") or []]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def po_frames(
    trees: Iterable[dict[str, Any]], wbs: WbsIndex, money: Amounts
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """EKKO/EKPO/EKKN trees → commitment heads and lines (one line per live item)."""
    heads: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for head in trees:
        po = text(_field(head, "EBELN"))
        currency = text(_field(head, "WAERS"))
        changed = [_date(_field(head, "AEDAT"), f"PO {po} EKKO AEDAT")]
        for item in head.get("items") or []:
            ebelp = _field(item, "EBELP").strip()
            where = f"PO {po} item {ebelp}"
            changed.append(_date(_field(item, "AEDAT"), f"{where} AEDAT"))
            if _field(item, "LOEKZ").strip() == "L":
                continue
            accounts = [a for a in item.get("accounts") or [] if not _field(a, "LOEKZ").strip()]
            line: dict[str, Any] = {
                "po_number": po,
                "item": ebelp.zfill(5),
                "description": text(_field(item, "TXZ01")) or None,
                "quantity": _quantity(_field(item, "MENGE"), f"{where} MENGE"),
                "net_price": money(_field(item, "NETPR"), currency, f"{where} NETPR"),
                "price_unit": _quantity(_field(item, "PEINH"), f"{where} PEINH"),
                "amount": money(_field(item, "NETWR"), currency, f"{where} NETWR"),
                "currency": currency or None,
                "etag": line_stamp(head, item),
            }
            if accounts:
                big = _largest(accounts, money, currency, where)
                line |= {
                    "wbs_element": wbs.node(_field(big, "PS_PSP_PNR")),
                    "gl_account": _dim(_field(big, "SAKTO")),
                    "cost_center": _dim(_field(big, "KOSTL")),
                }
            lines.append(line)
        last = max((d for d in changed if d is not None), default=None)
        heads.append(
            {
                "po_number": po,
                "supplier": number(_field(head, "LIFNR")) or None,
                "company_code": text(_field(head, "BUKRS")) or None,
                "currency": currency or None,
                "po_date": changed[0],
                # A date, not a time: ECC keeps no change time for PO items.
                "last_change": datetime.combine(last, time(0), UTC) if last else None,
                "etag": po_stamp(head),
            }
        )
    return heads, lines


def budgets(raw: RawReader, wbs: WbsIndex, money: Amounts) -> pl.DataFrame:
    """BPGE value type 41 on WBS elements: the overall budget (no fiscal year)."""
    rows = []
    for b in _payloads(raw, BUDGETS):
        if _field(b, "WRTTP").strip() != BUDGET_TYPE:
            continue
        node = wbs.of_object(_field(b, "OBJNR"))
        if node is None:
            continue
        currency = text(_field(b, "TWAER"))
        rows.append(
            {
                "wbs_element": node,
                "fiscal_year": None,
                "amount": money(_field(b, "WTGES"), currency, f"BPGE {_field(b, 'OBJNR').strip()} WTGES"),
                "currency": currency or None,
            }
        )
    return frame("erp_budgets", rows)


def actuals(raw: RawReader, wbs: WbsIndex, money: Amounts) -> pl.DataFrame:
    """COSP value type 04 on WBS elements, one row per fiscal period with a value; no cost center in COSP.

    COSP holds a year's totals in one column per period (WTG001–WTG016), not postings: each
    period's value is dated on the period's last day (``posting_date``) so the close's cut-off
    can place it. A record with no value in any period stays one undated zero row.
    """
    rows = []
    for c in _payloads(raw, ACTUALS):
        if _field(c, "WRTTP").strip() != ACTUAL_TYPE:
            continue
        node = wbs.of_object(_field(c, "OBJNR"))
        if node is None:
            continue
        currency = text(_field(c, "TWAER"))
        where = f"COSP {_field(c, 'OBJNR').strip()}/{_field(c, 'KSTAR').strip()}"
        year = _field(c, "GJAHR")
        row = {"wbs_element": node, "gl_account": _dim(_field(c, "KSTAR")), "cost_center": None}
        values: list[tuple[int | None, Decimal]] = [
            (n, money(_field(c, p), currency, f"{where} {p}")) for n, p in enumerate(PERIODS, start=1)
        ]
        booked = [(n, v) for n, v in values if v] or [(None, Decimal(0))]
        for n, value in booked:
            rows.append(
                {
                    **row,
                    "amount": value,
                    "currency": currency or None,
                    "posting_date": period_end(year, n) if n is not None else None,
                }
            )
    return frame("erp_actuals", rows)


def canonicalize(raw: RawReader, settings: SapEccSettings) -> dict[str, pl.DataFrame]:
    """All ``erp_*`` tables of one ECC snapshot."""
    money = Amounts(raw)
    wbs = WbsIndex(raw, settings.company_code)
    trees = [t for t in _payloads(raw, POS) if text(_field(t, "BUKRS")) in ("", settings.company_code)]
    heads, lines = po_frames(trees, wbs, money)
    return {
        "erp_hierarchy": frame("erp_hierarchy", wbs.rows()),
        "erp_vendors": vendors(raw),
        "erp_commitments": frame("erp_commitments", heads),
        "erp_commitment_lines": frame("erp_commitment_lines", lines),
        "erp_budgets": budgets(raw, wbs, money),
        "erp_actuals": actuals(raw, wbs, money),
    }
