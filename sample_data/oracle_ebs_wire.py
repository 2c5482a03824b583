"""The demo company seen from Oracle EBS: the builder's SAP seed rendered as XX_TIEOUT_READ rows.

The company is one (``company.py`` + ``plants.py``); only the ERP's wire shape differs. Each
SAP object becomes the EBS object that holds the same fact, so the planted mismatches stay
planted:

============================  ===============================================================
SAP (builder's seed)          EBS (``render(sap)``, every value a string)
============================  ===============================================================
A_Supplier (+ company)        GET_SUPPLIERS: VENDOR_ID (internal), SEGMENT1 = supplier number,
                              VENDOR_NAME, ENABLED_FLAG ``N`` when posting/purchasing blocked
A_EnterpriseProject(+Element) GET_PROJECTS: one row per task; PA project number = SAP project,
                              TASK_NUMBER = WBS element id (the top element is the top task),
                              PARENT_TASK_ID from ParentObjectUUID
GL account, cost center       GET_CODE_COMBINATIONS: SEGMENT1 company ``01``, SEGMENT2 account,
                              SEGMENT3 cost center (``""`` where SAP has none)
PO item + account assignment  GET_PO_DISTRIBUTIONS: LINE_NUM = item / 10, one distribution per
                              assignment, QUANTITY_ORDERED × UNIT_PRICE = its net amount exactly
WBSBudget                     GET_BUDGET_LINES: BURDENED_COST of the WBS element's task
A_JournalEntryItemBasic       GET_ACTUALS: summed by project, task, code combination, period
                              (PERIOD_NAME ``JUN-26``) and currency, as the procedure answers
============================  ===============================================================

The Procore side is the same company linked to EBS: a commitment line's ``origin_id`` is the
EBS line key ``PO/line`` (``4500000101/1``) instead of SAP's ``PO/item`` (``4500000101/00010``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters.oracle_ebs.wire import format_ts
from adapters.sap.wire import parse_date

ORG_ID = "204"
LEDGER_ID = "1"
COMPANY_SEGMENT = "01"
#: The profile's segments for the demo: SAP's GL account and cost center as EBS sees them.
SEGMENTS = {"SEGMENT2": "account", "SEGMENT3": "cost_center"}
#: The accrual clearing account a pushed cost journal credits, and the company segment.
OFFSET_SEGMENTS = {"SEGMENT2": "210500", "SEGMENT3": ""}
FIXED_SEGMENTS = {"SEGMENT1": COMPANY_SEGMENT}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DEFAULT_TS = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def line_num(item: str) -> str:
    """SAP item ``00010`` is EBS line ``1`` (Procore ``position`` 1 in both)."""
    n = int(item)
    return str(n // 10 if n % 10 == 0 else n)


def line_key(key: str) -> str:
    """An SAP line key ``PO/00010`` as EBS writes it (``PO/1``); any other key unchanged."""
    po, sep, item = key.partition("/")
    return f"{po}/{line_num(item)}" if sep and item.isdigit() and len(item) == 5 else key


def _ts(value: Any) -> str:
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    return format_ts(parsed or _DEFAULT_TS)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))


def _period(fiscal_period: str) -> str:
    """SAP ``2026006`` (year + 3-digit period) → EBS period name ``JUN-26``."""
    year, period = fiscal_period[:4], int(fiscal_period[4:] or "1")
    return f"{_MONTHS[(period - 1) % 12]}-{year[2:]}"


def _quantity_price(amount: Decimal, quantity: Decimal | None, price: Decimal | None) -> tuple[str, str]:
    """QUANTITY_ORDERED and UNIT_PRICE whose product is ``amount`` exactly (quantity 1 when SAP's
    quantity and unit price do not multiply out to its net amount)."""
    if quantity and price is not None and quantity * price == amount:
        return _text(quantity), _text(price)
    return "1", _text(amount)


class _Ids:
    """Deterministic internal ids (EBS surrogate keys) per object."""

    def __init__(self, start: int) -> None:
        self._next = start
        self._ids: dict[Any, str] = {}

    def __call__(self, key: Any) -> str:
        if key not in self._ids:
            self._ids[key] = str(self._next)
            self._next += 1
        return self._ids[key]


def _suppliers(sap: dict[str, Any], company_code: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    extended = {r["Supplier"] for r in sap["A_SupplierCompany"] if r.get("CompanyCode") == company_code}
    changed = {r["Supplier"]: r.get("LastChangeDate") for r in sap.get("A_BusinessPartner", [])}
    vendor_id = _Ids(30001)
    rows = []
    for s in sap["A_Supplier"]:
        if s["Supplier"] not in extended:
            continue
        blocked = s.get("PostingIsBlocked") or s.get("PurchasingIsBlocked") or s.get("DeletionIndicator")
        rows.append(
            {
                "VENDOR_ID": vendor_id(s["Supplier"]),
                "SEGMENT1": s["Supplier"],
                "VENDOR_NAME": s.get("SupplierName") or s.get("SupplierFullName") or "",
                "ENABLED_FLAG": "N" if blocked else "Y",
                "LAST_UPDATE_DATE": _ts(changed.get(s["Supplier"]) or s.get("CreationDate")),
            }
        )
    return rows, {r["SEGMENT1"]: r["VENDOR_ID"] for r in rows}


def _projects(
    sap: dict[str, Any], company_code: str
) -> tuple[list[dict[str, str]], dict[str, tuple[str, str]], dict[str, str]]:
    """GET_PROJECTS rows, WBS element → (PROJECT_ID, TASK_ID), project number → PROJECT_ID."""
    projects = {
        p["ProjectUUID"].lower(): p
        for p in sap["A_EnterpriseProject"]
        if p.get("CompanyCode") in (None, "", company_code)
    }
    project_id = _Ids(5001)
    task_id = _Ids(700001)
    elements = [e for e in sap["A_EnterpriseProjectElement"] if e["ProjectUUID"].lower() in projects]
    by_uuid = {e["ProjectElementUUID"].lower(): e for e in elements}
    rows: list[dict[str, str]] = []
    where: dict[str, tuple[str, str]] = {}
    for e in elements:
        proj = projects[e["ProjectUUID"].lower()]
        pid = project_id(proj["Project"])
        parent = by_uuid.get((e.get("ParentObjectUUID") or "").lower())
        tid = task_id(e["ProjectElement"])
        where[e["ProjectElement"]] = (pid, tid)
        rows.append(
            {
                "PROJECT_ID": pid,
                "SEGMENT1": proj["Project"],
                "NAME": proj.get("ProjectDescription") or "",
                "PROJECT_STATUS_CODE": "APPROVED",
                "TASK_ID": tid,
                "TASK_NUMBER": e["ProjectElement"],
                "TASK_NAME": e.get("ProjectElementDescription") or "",
                "PARENT_TASK_ID": task_id(parent["ProjectElement"]) if parent else "",
                "ORG_ID": ORG_ID,
            }
        )
    numbers = {p["Project"]: project_id(p["Project"]) for p in projects.values()}
    return rows, where, numbers


class _Combinations:
    """GL_CODE_COMBINATIONS: one id per (account, cost center) the company uses."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        self._ids: dict[tuple[str, str], str] = {}

    def __call__(self, account: str | None, cost_center: str | None) -> str:
        key = (account or "", cost_center or "")
        if key == ("", ""):
            return ""
        if key not in self._ids:
            ccid = str(12001 + len(self.rows))
            self._ids[key] = ccid
            row = {"CODE_COMBINATION_ID": ccid, "ENABLED_FLAG": "Y"}
            row.update({f"SEGMENT{n}": "" for n in range(1, 11)})
            row.update({"SEGMENT1": COMPANY_SEGMENT, "SEGMENT2": key[0], "SEGMENT3": key[1]})
            self.rows.append(row)
        return self._ids[key]

    def offset(self) -> None:
        """The offset account pushed journals credit must be a valid combination too."""
        self(OFFSET_SEGMENTS["SEGMENT2"], OFFSET_SEGMENTS["SEGMENT3"])


def _by(rows: Iterable[dict[str, Any]], *keys: str) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(tuple(str(r[k]) for k in keys), []).append(r)
    return out


def render(sap: dict[str, Any], company_code: str = "1000") -> dict[str, Any]:
    """The SAP seed as the XX_TIEOUT_READ procedures of one operating unit answer it."""
    suppliers, vendor_of = _suppliers(sap, company_code)
    projects, task_of, project_of = _projects(sap, company_code)
    ccid = _Combinations()
    items = _by(sap["A_PurchaseOrderItem"], "PurchaseOrder")
    assignments = _by(sap["A_PurOrdAccountAssignment"], "PurchaseOrder", "PurchaseOrderItem")
    header_id, line_id, dist_id = _Ids(3001), _Ids(60001), _Ids(800001)
    dists: list[dict[str, str]] = []
    for po in sap["A_PurchaseOrder"]:
        number = po["PurchaseOrder"]
        for item in items.get((number,), []):
            price_unit = Decimal(str(item.get("NetPriceQuantity") or "1")) or Decimal(1)
            price = Decimal(str(item["NetPriceAmount"])) / price_unit if item.get("NetPriceAmount") else None
            live = [
                a for a in assignments.get((number, item["PurchaseOrderItem"]), []) if not a.get("IsDeleted")
            ]
            for n, a in enumerate(live, start=1):
                amount = Decimal(str(a["PurgDocNetAmount"]))
                share = Decimal(str(a["Quantity"])) if a.get("Quantity") else None
                q, p = _quantity_price(amount, share, price)
                pid, tid = task_of.get(a.get("WBSElement") or "", ("", ""))
                dists.append(
                    {
                        "PO_HEADER_ID": header_id(number),
                        "SEGMENT1": number,
                        "VENDOR_ID": vendor_of.get(po["Supplier"], po["Supplier"]),
                        "CURRENCY_CODE": item.get("DocumentCurrency") or po["DocumentCurrency"],
                        "AUTHORIZATION_STATUS": "APPROVED",
                        "CANCEL_FLAG": "N",
                        "PO_LINE_ID": line_id((number, item["PurchaseOrderItem"])),
                        "LINE_NUM": line_num(item["PurchaseOrderItem"]),
                        "ITEM_DESCRIPTION": item.get("PurchaseOrderItemText") or "",
                        "PO_DISTRIBUTION_ID": dist_id((number, item["PurchaseOrderItem"], n)),
                        "DISTRIBUTION_NUM": str(int(a.get("AccountAssignmentNumber") or n)),
                        "QUANTITY_ORDERED": q,
                        "UNIT_PRICE": p,
                        "CODE_COMBINATION_ID": ccid(a.get("GLAccount"), a.get("CostCenter")),
                        "PROJECT_ID": pid,
                        "TASK_ID": tid,
                        "LAST_UPDATE_DATE": _ts(po.get("LastChangeDateTime")),
                        "ORG_ID": ORG_ID,
                    }
                )
    budgets = []
    for b in sap["WBSBudget"]:
        pid, tid = task_of.get(b["WBSElement"], ("", ""))
        budgets.append(
            {
                "PROJECT_ID": pid,
                "TASK_ID": tid,
                "BURDENED_COST": str(b["BudgetAmount"]),
                "CURRENCY_CODE": b["Currency"],
            }
        )
    # GET_ACTUALS sums by project, task, combination, period and currency (the docs' GROUP BY).
    sums: dict[tuple[str, str, str, str, str], Decimal] = {}
    for j in sap["A_JournalEntryItemBasic"]:
        if j.get("CompanyCode") not in (None, "", company_code):
            continue
        pid, tid = task_of.get(j.get("WBSElement") or "", (project_of.get(j.get("Project") or "", ""), ""))
        key = (
            pid,
            tid,
            ccid(j.get("GLAccount"), j.get("CostCenter")),
            _period(str(j.get("FiscalYearPeriod") or "")),
            j["CompanyCodeCurrency"],
        )
        sums[key] = sums.get(key, Decimal(0)) + Decimal(str(j["AmountInCompanyCodeCurrency"]))
    actuals = [
        {
            "PROJECT_ID": pid,
            "TASK_ID": tid,
            "CODE_COMBINATION_ID": cc,
            "PERIOD_NAME": period,
            "AMOUNT": _text(amount) if amount else "0",
            "CURRENCY_CODE": currency,
        }
        for (pid, tid, cc, period, currency), amount in sums.items()
    ]
    ccid.offset()
    return {
        "oracle_ebs": {
            "GET_SUPPLIERS": suppliers,
            "GET_CODE_COMBINATIONS": ccid.rows,
            "GET_PROJECTS": projects,
            "GET_PO_DISTRIBUTIONS": dists,
            "GET_BUDGET_LINES": budgets,
            "GET_ACTUALS": actuals,
        }
    }


def relink_procore(procore: dict[str, Any]) -> dict[str, Any]:
    """The Procore seed linked to EBS: commitment lines' ``origin_id`` in EBS's ``PO/line`` form."""
    out = copy.deepcopy(procore)
    for lines in out.get("commitment_line_items", {}).values():
        for line in lines:
            if line.get("origin_id"):
                line["origin_id"] = line_key(str(line["origin_id"]))
    return out
