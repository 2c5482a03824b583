"""The demo company seen from PeopleSoft: the same company (``sample_data.generate``) in the rows
the ``TIEOUT_<NAME>.v1`` service operations answer, its mapping tables in PeopleSoft's columns,
the Procore side as a PeopleSoft-linked Procore holds it, and its answer key.

How each SAP fact becomes a PeopleSoft one (business unit ``US001``, SETID ``SHARE``):

- supplier → VENDOR (VENDOR_ID = the supplier number; blocked → VENDOR_STATUS ``I``);
- PO item and account assignment → PO_LINE_DISTRIB (PO_ID = the PO number, LINE_NBR = item / 10,
  DISTRIB_LINE_NUM = the assignment number, MERCHANDISE_AMT = its net amount);
- WBS element ``P-1001-03-02`` → PROJECT_ID ``P-1001``, ACTIVITY_ID ``03-02`` (the project's own
  element has no activity: ``""``); GL account → ACCOUNT; cost center → DEPTID;
- WBS budget → a PROJ_RESOURCE budget row; journal entries → LEDGER ``ACTUALS`` balances per
  ChartFields, fiscal year and period;
- Procore contracts' ``origin_id`` → the PeopleSoft key ``US001/<PO_ID>``, lines' ``US001/<PO_ID>/<LINE_NBR>``
  (``number`` keeps the bare PO_ID, linked within the business unit).

What PeopleSoft cannot say the way SAP does (``NOTES``): activities do not nest, so a mapping row
on a WBS subtree becomes one row per activity of the subtree, and the planted "deeper override"
(``P-1003-03-02`` → 03-310 over ``P-1003-03`` → 03-300) is simply that activity's row. A row on
GL + WBS becomes GL + project + activity (three cells, so it still beats the activity rows). The
exceptions are the same; only the ERP keys are written PeopleSoft's way.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sample_data.generate import KEY_COLUMNS, DemoCompany

BUSINESS_UNIT = "US001"
SETID = "SHARE"
LEDGER = "ACTUALS"
NODE = "PSFT_EP"
OPRID = "TIEOUT_IB"
#: The simulator's password for the OPRID: it opens nothing but the demo's loopback simulator.
SIM_PASSWORD = SECRET = "sim-erp-client-secret"
#: The committed answer key of ``tieout demo --erp peoplesoft`` (seed 7).
ANSWER_KEY = Path(__file__).resolve().parent / "demo" / "answer_key_peoplesoft.csv"
SHORT = "PeopleSoft"  # the demo profile is named "Demo GC / PeopleSoft"
PROJECTS_HEADER = ["project_id", "procore_project_number"]
COST_CODES_HEADER = ["account", "deptid", "project_id", "activity_id", "procore_cost_code"]
NOTES = (
    "PeopleSoft activities do not nest: each WBS-subtree mapping row is one row per activity of the "
    "subtree, and the deeper override P-1003-03-02 is that activity's own row; a GL + WBS row is "
    "GL + project + activity. The exceptions are the SAP demo's, with PeopleSoft keys "
    "(US001/<PO_ID>, US001/<PO_ID>/<LINE_NBR>, unmapped keys project_id/account/deptid/activity_id)."
)

_SAP_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_SAP_LINE = re.compile(r"^(\d{10})/(\d{5})$")
_SAP_PO = re.compile(r"^\d{10}$")


@dataclass
class PeopleSoftDemo:
    """The demo company in PeopleSoft's shape: simulator rows, Procore seed, mappings, key."""

    rows: dict[str, list[dict[str, Any]]]
    procore: dict[str, Any]
    mappings: dict[str, str]
    answer_key: list[dict[str, str]]
    notes: str = NOTES


# -- wire values -------------------------------------------------------------------------------
def _stamp(sap: str | None, latest: datetime) -> str:
    """A SAP ``/Date(ms)/`` as PeopleSoft's ``YYYY-MM-DD-HH.MM.SS.ffffff``, never after ``latest``
    (a row stamped after the pull's TO_DTTM would not be served yet)."""
    m = _SAP_DATE.match(sap or "")
    when = datetime(2026, 1, 5, 8, tzinfo=UTC) if m is None else datetime.fromtimestamp(int(m[1]) / 1000, UTC)
    return min(when, latest).strftime("%Y-%m-%d-%H.%M.%S.%f")


def _dec(text: str | None) -> Decimal:
    return Decimal(str(text or "0"))


class _Tree:
    """WBS elements as PeopleSoft projects and activities."""

    def __init__(self, sap: dict[str, Any]) -> None:
        projects = {p["ProjectUUID"]: p["Project"] for p in sap["A_EnterpriseProject"]}
        by_uuid = {e["ProjectElementUUID"]: e for e in sap["A_EnterpriseProjectElement"]}
        self.project: dict[str, str] = {}
        self.parent: dict[str, str | None] = {}
        self.descr: dict[str, str] = {}
        for e in sap["A_EnterpriseProjectElement"]:
            node = e["ProjectElement"]
            self.project[node] = projects[e["ProjectUUID"]]
            parent = by_uuid.get(e.get("ParentObjectUUID") or "")
            self.parent[node] = parent["ProjectElement"] if parent else None
            self.descr[node] = e.get("ProjectElementDescription") or ""
        self.project_descr = {
            p["Project"]: p.get("ProjectDescription") or "" for p in sap["A_EnterpriseProject"]
        }

    def split(self, wbs: str) -> tuple[str, str]:
        """``(PROJECT_ID, ACTIVITY_ID)`` of a WBS element."""
        project = self.project.get(wbs) or wbs.split("-")[0]
        if wbs == project:
            return project, ""
        return project, wbs.removeprefix(project + "-")

    def ancestors(self, wbs: str) -> Iterable[str]:
        """The element, then its parents up to the project's own element."""
        seen: set[str] = set()
        node: str | None = wbs
        while node is not None and node not in seen:
            seen.add(node)
            yield node
            node = self.parent.get(node)

    def below(self, wbs: str) -> list[str]:
        """The element and every element under it."""
        return [n for n in self.project if wbs in self.ancestors(n)]


# -- ERP rows ----------------------------------------------------------------------------------
def _vendors(sap: dict[str, Any], latest: datetime) -> list[dict[str, Any]]:
    extended = {s["Supplier"] for s in sap["A_SupplierCompany"]}
    changed = {b["Supplier"]: b.get("LastChangeDate") for b in sap["A_BusinessPartner"]}
    return [
        {
            # A supplier not extended to the company code is another SETID's vendor.
            "SETID": SETID if s["Supplier"] in extended else "OTHER",
            "VENDOR_ID": s["Supplier"],
            "NAME1": s.get("SupplierName") or s.get("SupplierFullName") or "",
            "VENDOR_STATUS": "I"
            if s.get("PostingIsBlocked") or s.get("PurchasingIsBlocked") or s.get("DeletionIndicator")
            else "A",
            "LASTUPDDTTM": _stamp(changed.get(s["Supplier"]) or s.get("CreationDate"), latest),
        }
        for s in sap["A_Supplier"]
    ]


def _distributions(sap: dict[str, Any], tree: _Tree, latest: datetime) -> list[dict[str, Any]]:
    heads = {p["PurchaseOrder"]: p for p in sap["A_PurchaseOrder"]}
    assignments: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in sap["A_PurOrdAccountAssignment"]:
        if not a.get("IsDeleted"):
            assignments.setdefault((a["PurchaseOrder"], a["PurchaseOrderItem"]), []).append(a)
    rows = []
    for item in sap["A_PurchaseOrderItem"]:
        head = heads[item["PurchaseOrder"]]
        base = {
            "BUSINESS_UNIT": BUSINESS_UNIT,
            "PO_ID": item["PurchaseOrder"],
            "LINE_NBR": int(item["PurchaseOrderItem"]) // 10,
            "SCHED_NBR": 1,
            "VENDOR_ID": head.get("Supplier") or "",
            "CURRENCY_CD": item.get("DocumentCurrency") or head.get("DocumentCurrency") or "",
            "PO_STATUS": "D",  # dispatched
            "DESCR254_MIXED": item.get("PurchaseOrderItemText") or "",
            "LASTUPDDTTM": _stamp(head.get("LastChangeDateTime"), latest),
        }
        parts = assignments.get((item["PurchaseOrder"], item["PurchaseOrderItem"]), [])
        if not parts:  # no account assignment: the item's own net value, no ChartFields
            unit = _dec(item.get("NetPriceQuantity") or "1")
            amount = (_dec(item.get("OrderQuantity")) * _dec(item.get("NetPriceAmount")) / unit).quantize(
                Decimal("0.001"), rounding=ROUND_HALF_UP
            )
            blank = {"ACCOUNT": "", "DEPTID": "", "PROJECT_ID": "", "ACTIVITY_ID": ""}
            rows.append({**base, "DISTRIB_LINE_NUM": 1, "MERCHANDISE_AMT": amount, **blank})
            continue
        for a in parts:
            project, activity = tree.split(a["WBSElement"]) if a.get("WBSElement") else ("", "")
            rows.append(
                {
                    **base,
                    "DISTRIB_LINE_NUM": int(a["AccountAssignmentNumber"]),
                    "MERCHANDISE_AMT": _dec(a["PurgDocNetAmount"]),
                    "ACCOUNT": a.get("GLAccount") or "",
                    "DEPTID": a.get("CostCenter") or "",
                    "PROJECT_ID": project,
                    "ACTIVITY_ID": activity,
                }
            )
    return rows


def _projects(sap: dict[str, Any], tree: _Tree, latest: datetime) -> list[dict[str, Any]]:
    changed = {e["ProjectElement"]: e.get("LastChangeDateTime") for e in sap["A_EnterpriseProjectElement"]}
    rows = []
    for node in tree.project:
        project, activity = tree.split(node)
        if not activity:
            continue
        rows.append(
            {
                "BUSINESS_UNIT": BUSINESS_UNIT,
                "PROJECT_ID": project,
                "DESCR": tree.project_descr.get(project, ""),
                "PROJECT_STATUS": "A",
                "ACTIVITY_ID": activity,
                "ACTIVITY_DESCR": tree.descr[node],
                "LASTUPDDTTM": _stamp(changed.get(node), latest),
            }
        )
    return rows


def _budgets(sap: dict[str, Any], tree: _Tree, latest: datetime) -> list[dict[str, Any]]:
    rows = []
    for b in sap["WBSBudget"]:
        project, activity = tree.split(b["WBSElement"])
        rows.append(
            {
                "BUSINESS_UNIT": BUSINESS_UNIT,
                "PROJECT_ID": project,
                "ACTIVITY_ID": activity,
                "ACCOUNT": "",
                "DEPTID": "",
                "BUDGET_AMOUNT": _dec(b["BudgetAmount"]),
                "CURRENCY_CD": b.get("Currency") or "",
                "LASTUPDDTTM": _stamp(b.get("LastChangeDateTime"), latest),
            }
        )
    return rows


def _ledger(sap: dict[str, Any], tree: _Tree, latest: datetime) -> list[dict[str, Any]]:
    """Journal entries as PS_LEDGER balances: one row per ChartFields, currency and period."""
    sums: dict[tuple[str, ...], Decimal] = {}
    for j in sap["A_JournalEntryItemBasic"]:
        project, activity = tree.split(j["WBSElement"]) if j.get("WBSElement") else ("", "")
        period = str(j.get("FiscalYearPeriod") or "")[-3:] or "0"
        key = (
            LEDGER if j.get("Ledger") in (None, "", "0L") else f"L{j['Ledger']}",
            j.get("GLAccount") or "",
            j.get("CostCenter") or "",
            project,
            activity,
            str(j.get("FiscalYear") or "2026"),
            str(int(period)),
            j.get("CompanyCodeCurrency") or "",
        )
        sums[key] = sums.get(key, Decimal(0)) + _dec(j["AmountInCompanyCodeCurrency"])
    stamp = _stamp(None, latest)
    return [
        {
            "BUSINESS_UNIT": BUSINESS_UNIT,
            "LEDGER": k[0],
            "ACCOUNT": k[1],
            "DEPTID": k[2],
            "PROJECT_ID": k[3],
            "ACTIVITY_ID": k[4],
            "FISCAL_YEAR": int(k[5]),
            "ACCOUNTING_PERIOD": int(k[6]),
            "CURRENCY_CD": k[7],
            "MONETARY_AMOUNT": amount,
            "LASTUPDDTTM": stamp,
        }
        for k, amount in sums.items()
    ]


# -- the Procore side, linked to PeopleSoft ------------------------------------------------------
def ps_line_key(sap_key: str) -> str:
    """``4500000001/00010`` → ``US001/4500000001/1``; anything else unchanged."""
    m = _SAP_LINE.match(sap_key)
    return f"{BUSINESS_UNIT}/{m[1]}/{int(m[2]) // 10}" if m else sap_key


def ps_po_key(sap_key: str) -> str:
    """``4500000001`` → ``US001/4500000001``; anything else unchanged."""
    return f"{BUSINESS_UNIT}/{sap_key}" if _SAP_PO.match(sap_key) else sap_key


def _procore(procore: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(procore)
    for kind in ("purchase_order_contracts", "work_order_contracts"):
        for contracts in out.get(kind, {}).values():
            for c in contracts:
                if c.get("origin_id"):
                    c["origin_id"] = c["origin_code"] = ps_po_key(c["origin_id"])
    for lines in out.get("commitment_line_items", {}).values():
        for line in lines:
            if line.get("origin_id"):
                line["origin_id"] = ps_line_key(line["origin_id"])
    return out


# -- mappings ----------------------------------------------------------------------------------
def _csv(header: list[str], rows: Iterable[tuple[str, ...]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _mappings(sap_mappings: dict[str, str], tree: _Tree) -> dict[str, str]:
    projects = [(r["wbs_element"], r["procore_project_number"]) for r in _read(sap_mappings["projects.csv"])]
    for wbs, _number in projects:
        if tree.split(wbs)[1]:
            raise ValueError(f"projects.csv row {wbs} is below a project: PeopleSoft maps whole projects.")
    subtree: dict[str, str] = {}
    rows: list[tuple[str, ...]] = []
    for r in _read(sap_mappings["cost_codes.csv"]):
        gl, cc, wbs, code = r["gl_account"], r["cost_center"], r["wbs_element"], r["procore_cost_code"]
        if not wbs:
            rows.append((gl, cc, "", "", code))
        elif not gl and not cc:
            subtree[wbs] = code
        else:
            # GL (+ cost center) within a subtree: one row per activity, and the project's own
            # postings (no activity) when the subtree is the whole project.
            for node in sorted(tree.below(wbs)):
                project, activity = tree.split(node)
                rows.append((gl, cc, project, activity, code))
    # WBS-only rows: each activity takes the row of its nearest listed ancestor (SAP's subtree rule).
    for node in sorted(tree.project):
        project, activity = tree.split(node)
        listed = next((subtree[a] for a in tree.ancestors(node) if a in subtree), None)
        if listed is None:
            continue
        if not activity:
            raise ValueError(f"cost_codes.csv maps the whole project {node}: PeopleSoft needs activities.")
        rows.append(("", "", project, activity, listed))
    return {
        "projects.csv": _csv(PROJECTS_HEADER, projects),
        "cost_codes.csv": _csv(COST_CODES_HEADER, rows),
        "vendors.csv": sap_mappings["vendors.csv"],
    }


# -- the answer key ----------------------------------------------------------------------------
def _unmapped_key(sap_key: str, tree: _Tree) -> str:
    """SAP ``wbs/gl/cost center`` → PeopleSoft ``project_id/account/deptid/activity_id``."""
    wbs, gl, cc = (sap_key.split("/") + ["", "", ""])[:3]
    project, activity = tree.split(wbs) if wbs else ("", "")
    return "/".join((project, gl, cc, activity))


def _key_row(row: dict[str, str], tree: _Tree) -> dict[str, str]:
    out = dict(row)
    obj, key = row["object"], row["key"]
    if obj == "commitment":
        out["key"] = ps_po_key(key)
    elif obj == "commitment_line":
        out["key"] = ps_line_key(key)
    elif obj in ("budget", "actual") and row["kind"] == "unmapped":
        out["key"] = _unmapped_key(key, tree)
    return out


def render(company: DemoCompany, *, now: datetime | None = None) -> PeopleSoftDemo:
    """The demo company in PeopleSoft's shape (deterministic for a seed, given ``now``)."""
    latest = (now or datetime.now(UTC)) - timedelta(minutes=1)
    tree = _Tree(company.sap)
    rows = {
        "VENDORS": _vendors(company.sap, latest),
        "PO_DISTRIB": _distributions(company.sap, tree, latest),
        "PROJECTS": _projects(company.sap, tree, latest),
        "BUDGETS": _budgets(company.sap, tree, latest),
        "LEDGER": _ledger(company.sap, tree, latest),
    }
    key = [_key_row(r, tree) for r in company.answer_key]
    return PeopleSoftDemo(rows, _procore(company.procore), _mappings(company.mappings, tree), key)


def erp_toml(base_url: str) -> str:
    """The demo profile's ``[erp]`` section for the PeopleSoft simulator (the password is the secret)."""
    return f"""[erp]
kind = "peoplesoft"
base_url = "{base_url}"
auth = "basic"
username = "{OPRID}"
business_unit = "{BUSINESS_UNIT}"
setid = "{SETID}"
ledger = "{LEDGER}"
"""


# -- the demo registry's interface (sample_data.erps) --------------------------------------------
_rendered: dict[int, tuple[Any, PeopleSoftDemo]] = {}


def _demo(company: Any) -> PeopleSoftDemo:
    """``render(company)`` once per company object (the demo asks for its parts one by one)."""
    hit = _rendered.get(id(company))
    if hit is None or hit[0] is not company:
        _rendered.clear()
        hit = (company, render(company))
        _rendered[id(company)] = hit
    return hit[1]


def answer_key(company: Any) -> list[dict[str, str]]:
    """The SAP demo's key with PeopleSoft keys (what the diff reports for the PeopleSoft rendering)."""
    return [{k: str(r.get(k) or "") for k in KEY_COLUMNS} for r in _demo(company).answer_key]


def mappings(company: Any) -> dict[str, str]:
    """``projects.csv`` and ``cost_codes.csv`` in PeopleSoft's columns; ``vendors.csv`` as is."""
    return dict(_demo(company).mappings)


def procore(company: Any) -> dict[str, Any]:
    """The Procore seed as a Procore linked to PeopleSoft holds it (origin_ids ``US001/...``)."""
    return _demo(company).procore


def start(company: Any, **options: Any) -> tuple[Any, str]:
    """Start the PeopleSoft simulator serving ``company`` on loopback; (simulator, ``[erp]`` section).
    The secret is the OPRID's password, ``SECRET``."""
    from adapters.peoplesoft.simulator import PeopleSoftSimulator

    sim = PeopleSoftSimulator(
        _demo(company).rows,
        node=NODE,
        username=OPRID,
        password=SECRET,
        setid_of={BUSINESS_UNIT: SETID},
        **options,
    )
    sim.start()
    return sim, erp_toml(sim.base_url)
