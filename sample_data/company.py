"""The demo company's skeleton and the builder both seeds are written through.

``Builder`` holds the two wire-shaped seeds (``procore``, ``sap``) and small helpers that add a
supplier with its Procore vendor, a purchase order with its Procore contract, and so on, so the
healthy bulk (``bulk.py``) and the planted mismatches (``plants.py``) write records the same way.
The builder knows by construction which Procore cost code each SAP account assignment maps to
(``code_for``); the answer key is computed independently from the seeds by ``rules.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sample_data import wire

COMPANY_ID = 4264807
COMPANY_NAME = "Keystone Builders (demo)"
COMPANY_CODE = "1000"
CURRENCY = "USD"
FISCAL_YEAR = "2026"
BUDGET_VIEW = "Procore Standard Budget"
OTHER_VIEW = "Owner Forecast"


@dataclass(frozen=True)
class Trade:
    seg: str  # the second WBS segment: P-1001-03 is the concrete package of P-1001
    name: str
    code: str  # Procore cost code full_code
    code_name: str
    gls: tuple[str, ...]  # GL accounts postings to this trade use


TRADES = (
    Trade("01", "General Conditions", "01-100", "General Requirements", ("513000", "512000")),
    Trade("02", "Sitework", "02-200", "Earthwork", ("511000", "512000")),
    Trade("03", "Concrete", "03-300", "Cast-in-Place Concrete", ("510000", "511000")),
    Trade("05", "Metals", "05-100", "Structural Steel", ("510000", "511000")),
    Trade("09", "Finishes", "09-900", "Painting & Finishes", ("510000", "511000")),
    Trade("15", "Mechanical", "15-400", "Plumbing", ("511000", "510000")),
    Trade("16", "Electrical", "16-100", "Electrical", ("511000", "510000")),
)
TRADE_BY_SEG = {t.seg: t for t in TRADES}
#: Cost codes reached only through special cost_codes.csv rows.
EXTRA_CODES = (
    ("01-500", "Temporary Facilities"),
    ("01-900", "Project Overhead"),
    ("01-910", "Equipment Pool"),
    ("03-310", "Post-Tensioned Concrete"),
)
DIVISIONS = {"01": "General Requirements", "02": "Site Construction", "03": "Concrete", "05": "Metals",
             "09": "Finishes", "15": "Mechanical", "16": "Electrical"}  # fmt: skip
#: Procore cost types (line item types).
COST_TYPES = ((1001, "Labor", "L", "labor"), (1002, "Material", "M", "materials"),
              (1003, "Subcontract", "S", "commitment"), (1004, "Equipment", "E", "equipment"),
              (1005, "Other", "O", "other"))  # fmt: skip
OVERHEAD_GL = "590000"  # project overhead, posted on the top WBS element; a GL-only mapping row
POOL_CC = "4100"  # equipment pool cost center; a GL + cost center mapping row
SITE_GL = "520000"  # temporary facilities; a GL + WBS row for P-1002 only
OVERRIDE_WBS = "P-1003-03-02"  # a level-3 row overriding its level-2 subtree row
GL_PROJECT = "P-1002"
NO_PROJECT = "P-1016"  # SAP project with no projects.csv row


@dataclass
class Project:
    number: str  # Procore project number "1001"
    pid: int  # Procore project id
    wbs: str  # SAP top WBS element "P-1001"
    trades: list[Trade]
    areas: dict[str, list[str]] = field(default_factory=dict)  # trade seg -> level-3 WBS elements
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # full_code -> Procore cost code

    def ref(self, full_code: str) -> dict[str, Any]:
        """The ``cost_code{...}`` reference Procore embeds in line items."""
        cc = self.codes[full_code]
        return {"id": cc["id"], "full_code": full_code, "name": cc["name"], "origin_id": None}


@dataclass
class Item:
    """A PO item to write: its amount is ``qty * price / price_unit``; assignments split it."""

    text: str
    qty: Decimal
    price: Decimal
    assignments: list[tuple[str, str, str]]  # (wbs, gl, cost center), first takes the larger share
    price_unit: int = 1
    shares: tuple[int, ...] = (100,)

    @property
    def amount(self) -> Decimal:
        return self.qty * self.price / self.price_unit


def code_for(wbs: str, gl: str, cc: str) -> str | None:
    """The Procore cost code cost_codes.csv gives an account assignment (None: unmapped)."""
    parts = wbs.split("-")
    if wbs.startswith(NO_PROJECT):
        return None
    if len(parts) == 2:  # top element: only the overhead GL rows match
        if gl == OVERHEAD_GL:
            return "01-910" if cc == POOL_CC else "01-900"
        return None
    if gl == SITE_GL and wbs.startswith(GL_PROJECT + "-"):
        return "01-500"
    if wbs == OVERRIDE_WBS or wbs.startswith(OVERRIDE_WBS + "-"):
        return "03-310"
    return TRADE_BY_SEG[parts[2]].code


class Builder:
    """Accumulates both seeds; ids for planted records are fixed, bulk ids come from counters."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.procore: dict[str, Any] = {
            "company": {"id": COMPANY_ID, "name": COMPANY_NAME},
            "projects": [], "vendors": [],
            "line_item_types": [{"id": i, "name": n, "code": c, "base_type": b, "origin_id": None}
                                for i, n, c, b in COST_TYPES],
            "cost_codes": {}, "purchase_order_contracts": {}, "work_order_contracts": {},
            "commitment_line_items": {}, "commitment_change_orders": {}, "budget_views": {},
            "budget_detail_rows": {}, "direct_costs": {}, "direct_cost_line_items": {},
            "requisitions": {}, "requisition_items": {},
        }  # fmt: skip
        self.sap: dict[str, list[dict[str, Any]]] = {
            name: []
            for name in ("A_Supplier", "A_SupplierCompany", "A_BusinessPartner", "A_PurchaseOrder",
                         "A_PurchaseOrderItem", "A_PurOrdAccountAssignment", "A_EnterpriseProject",
                         "A_EnterpriseProjectElement", "A_JournalEntryItemBasic", "WBSBudget")
        }  # fmt: skip
        self.projects: dict[str, Project] = {}
        self.vendor_of: dict[str, int] = {}  # supplier -> the Procore vendor id contracts use
        self.supplier_names: dict[str, str] = {}
        self.vendor_names: dict[int, str] = {}
        self.po_amounts: dict[str, Decimal] = {}
        self.po_supplier: dict[str, str] = {}
        self.ids: dict[str, int] = {"contract": 9_100_000, "line": 9_600_000, "dc": 8_100_000,
                                    "dcl": 8_600_000, "req": 7_700_000, "reqi": 7_800_000,
                                    "row": 6_100_000, "je": 1, "cco": 5_100_000}  # fmt: skip
        self.vendor_rows: list[tuple[str, str]] = []  # vendors.csv
        self.no_po_suppliers: set[str] = set()  # suppliers bulk POs must not use
        self.budget_totals: dict[tuple[str, str], Decimal] = {}  # (project number, code) -> Procore budget
        self.budget_duplicates: dict[tuple[str, str], Decimal] = {}  # extra duplicated row amounts
        self.actual_totals: dict[tuple[str, str], Decimal] = {}  # (project number, code) -> Procore actual
        self._codes: dict[str, dict[str, Any]] = {}
        self.expected: list[dict[str, str]] = []  # what each plant must produce in the key
        self.silent: list[dict[str, Any]] = []  # sub-tolerance differences that must not be reported
        self._puuid = ""

    def next_id(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    # -- master data -------------------------------------------------------------------------
    def sap_project(self, wbs: str, description: str) -> str:
        """Add an enterprise project and its top WBS element; returns the element's UUID."""
        rng = self.rng
        puuid, ts = wire.guid(rng), wire.moment(rng, 30)
        self.sap["A_EnterpriseProject"].append({
            "ProjectUUID": puuid, "Project": wbs, "ProjectDescription": description,
            "CompanyCode": COMPANY_CODE, "ProjectCurrency": CURRENCY, "LastChangeDateTime": wire.sap_ts(ts),
        })  # fmt: skip
        self._puuid = puuid
        return self._element(puuid, wbs, puuid, description, ts)

    def _element(self, puuid: str, wbs: str, parent: str, description: str, ts: Any) -> str:
        euuid = wire.guid(self.rng)
        self.sap["A_EnterpriseProjectElement"].append({
            "ProjectElementUUID": euuid, "ProjectUUID": puuid, "ProjectElement": wbs,
            "ParentObjectUUID": parent, "ProjectElementDescription": description[:60],
            "LastChangeDateTime": wire.sap_ts(ts),
        })  # fmt: skip
        return euuid

    def wbs_tree(
        self, wbs: str, name: str, trades: list[Trade], areas: dict[str, int]
    ) -> dict[str, list[str]]:
        """A 3-level WBS: project element, one element per trade, ``areas[seg]`` areas below each."""
        ts = wire.moment(self.rng, 30)
        top = self.sap_project(wbs, name)
        puuid = self._puuid
        out: dict[str, list[str]] = {}
        for t in trades:
            l2 = f"{wbs}-{t.seg}"
            l2uuid = self._element(puuid, l2, top, f"{name}: {t.name}", ts)
            out[t.seg] = []
            for a in range(1, areas[t.seg] + 1):
                l3 = f"{l2}-{a:02d}"
                self._element(puuid, l3, l2uuid, f"{t.name}, area {a}", ts)
                out[t.seg].append(l3)
        return out

    def procore_project(self, number: str, pid: int, name: str, *, active: bool, origin: str | None) -> None:
        ts = wire.moment(self.rng, 60)
        self.procore["projects"].append({
            "id": pid, "name": name, "display_name": f"{number} - {name}", "project_number": number,
            "active": active, "origin_id": origin, "origin_code": origin, "updated_at": wire.pc_ts(ts),
            "company": {"id": COMPANY_ID, "name": COMPANY_NAME},
        })  # fmt: skip
        codes: list[dict[str, Any]] = []
        by_code: dict[str, dict[str, Any]] = {}
        cid = 3_000_000 + (pid % 10_000) * 100
        for div, div_name in DIVISIONS.items():
            cid += 1
            codes.append({"id": cid, "name": div_name, "full_code": div, "code": div, "parent": None,
                          "origin_id": None, "standard_cost_code_id": None, "deleted_at": None})  # fmt: skip
        parents = {c["full_code"]: c["id"] for c in codes}
        leaves = [(t.code, t.code_name) for t in TRADES] + list(EXTRA_CODES)
        for full, cname in leaves:
            cid += 1
            rec = {"id": cid, "name": cname, "full_code": full, "code": full.split("-")[1],
                   "parent": {"id": parents[full.split("-")[0]]}, "origin_id": None,
                   "standard_cost_code_id": None, "deleted_at": None}  # fmt: skip
            codes.append(rec)
            by_code[full] = rec
        self.procore["cost_codes"][str(pid)] = codes
        views = [{"id": 4_100_000 + (pid % 10_000) * 2, "name": BUDGET_VIEW},
                 {"id": 4_100_001 + (pid % 10_000) * 2, "name": OTHER_VIEW}]  # fmt: skip
        self.procore["budget_views"][str(pid)] = views
        for v in views:
            self.procore["budget_detail_rows"][f"{v['id']}:{pid}"] = []
        for key in ("purchase_order_contracts", "work_order_contracts", "commitment_change_orders",
                    "direct_costs", "requisitions"):  # fmt: skip
            self.procore[key][str(pid)] = []
        self._codes = by_code

    def supplier(self, number: str, name: str, *, blocked: bool = False) -> None:
        ts = wire.moment(self.rng, 20)
        self.sap["A_Supplier"].append({
            "Supplier": number, "SupplierName": name, "SupplierFullName": name,
            "PostingIsBlocked": blocked, "PurchasingIsBlocked": False, "DeletionIndicator": False,
            "CreationDate": wire.sap_date(ts), "SupplierAccountGroup": "KRED",
        })  # fmt: skip
        self.sap["A_SupplierCompany"].append(
            {"Supplier": number, "CompanyCode": COMPANY_CODE, "PaymentTerms": "0030"}
        )
        self.sap["A_BusinessPartner"].append({
            "BusinessPartner": number, "Supplier": number, "BusinessPartnerFullName": name,
            "LastChangeDate": wire.sap_date(ts), "LastChangeTime": wire.sap_time(ts),
        })  # fmt: skip
        self.supplier_names[number] = name

    def vendor(self, vid: int, name: str, origin: str | None, *, active: bool = True) -> dict[str, Any]:
        rec = {"id": vid, "name": name, "is_active": active, "origin_id": origin, "origin_code": origin,
               "synced_to_erp": origin is not None, "updated_at": wire.pc_ts(wire.moment(self.rng))}  # fmt: skip
        self.procore["vendors"].append(rec)
        self.vendor_names[vid] = name
        return rec

    # -- commitments ---------------------------------------------------------------------------
    def po(self, number: str, supplier: str, items: list[Item]) -> Decimal:
        """Write a PO with items and account assignments; returns its amount."""
        rng = self.rng
        ts = wire.moment(rng)
        self.sap["A_PurchaseOrder"].append({
            "PurchaseOrder": number, "CompanyCode": COMPANY_CODE, "PurchaseOrderType": "NB",
            "Supplier": supplier, "PurchaseOrderDate": wire.sap_date(ts), "DocumentCurrency": CURRENCY,
            "PaymentTerms": "0030", "PurchasingProcessingStatus": "05", "PurchasingOrganization": "1000",
            "PurchasingGroup": "001", "LastChangeDateTime": wire.sap_ts(ts),
        })  # fmt: skip
        total = Decimal(0)
        for pos, it in enumerate(items, start=1):
            item_no = f"{pos * 10:05d}"
            amount = it.amount
            total += amount
            multi = len(it.assignments) > 1
            self.sap["A_PurchaseOrderItem"].append({
                "PurchaseOrder": number, "PurchaseOrderItem": item_no, "PurchaseOrderItemText": it.text,
                "OrderQuantity": wire.sap_dec(it.qty), "PurchaseOrderQuantityUnit": "EA" if it.price_unit == 1 else "KG",
                "NetPriceAmount": wire.sap_dec(it.price), "NetPriceQuantity": str(it.price_unit),
                "DocumentCurrency": CURRENCY, "AccountAssignmentCategory": "P",
                "MultipleAcctAssgmtDistribution": "2" if multi else "", "Plant": "1000",
                "IsCompletelyDelivered": False, "IsFinallyInvoiced": False,
            })  # fmt: skip
            rest = amount
            for n, ((wbs, gl, cc), share) in enumerate(zip(it.assignments, it.shares, strict=True), start=1):
                part = wire.cents(amount * share / 100) if n < len(it.assignments) else rest
                rest -= part
                self.sap["A_PurOrdAccountAssignment"].append({
                    "PurchaseOrder": number, "PurchaseOrderItem": item_no, "AccountAssignmentNumber": f"{n:02d}",
                    "WBSElement": wbs, "CostCenter": cc, "GLAccount": gl,
                    "Quantity": wire.sap_dec(it.qty * share / 100),
                    "MultipleAcctAssgmtDistrPercent": f"{Decimal(share) if multi else Decimal(0):.1f}",
                    "PurgDocNetAmount": wire.sap_dec(part), "IsDeleted": False,
                })  # fmt: skip
        self.po_amounts[number] = total
        self.po_supplier[number] = supplier
        return total

    def contract(self, project: Project, *, cid: int, number: str, origin: str | None, vendor_id: int,
                 kind: str = "purchase_order", title: str = "") -> dict[str, Any]:  # fmt: skip
        vname = self.vendor_names[vendor_id]
        rec = {"id": cid, "number": number, "title": title or f"Commitment {number}",
               "status": "Approved", "executed": True, "grand_total": "0.00",
               "vendor": {"id": vendor_id, "name": vname}, "origin_id": origin, "origin_code": origin,
               "private": False, "updated_at": wire.pc_ts(wire.moment(self.rng)), "deleted_at": None,
               "project": {"id": project.pid}}  # fmt: skip
        self.procore[f"{kind}_contracts"][str(project.pid)].append(rec)
        self.procore["commitment_line_items"][str(cid)] = []
        return rec

    def line(self, contract: dict[str, Any], project: Project, *, lid: int, position: int, amount: Decimal,
             code: str, origin: str | None, description: str) -> None:  # fmt: skip
        ctype = COST_TYPES[2] if contract.get("title", "").startswith("Sub") else COST_TYPES[1]
        self.procore["commitment_line_items"][str(contract["id"])].append({
            "id": lid, "position": position, "description": description, "amount": wire.pc_money(amount),
            "quantity": "1.0", "unit_cost": wire.pc_money(amount), "uom": "LS", "total_amount": wire.pc_money(amount),
            "cost_code": project.ref(code), "line_item_type": {"id": ctype[0], "name": ctype[1]},
            "origin_id": origin, "updated_at": contract["updated_at"],
        })  # fmt: skip
        total = Decimal(contract["grand_total"]) + amount
        contract["grand_total"] = wire.pc_money(total)

    def mirror(self, project: Project, po_number: str, items: list[Item], *, cid: int | None = None,
               kind: str = "purchase_order", origin: bool = True, line_origin: bool = True,
               skip: tuple[int, ...] = ()) -> dict[str, Any]:  # fmt: skip
        """The Procore contract that matches a PO exactly (positions ``skip`` left out)."""
        supplier = self.po_supplier[po_number]
        c = self.contract(project, cid=cid or self.next_id("contract"), number=po_number,
                          origin=po_number if origin else None, vendor_id=self.vendor_of[supplier], kind=kind,
                          title=("Subcontract " if kind == "work_order" else "Supply ") + items[0].text[:30])  # fmt: skip
        for pos, it in enumerate(items, start=1):
            if pos in skip:
                continue
            wbs, gl, cc = it.assignments[0]
            code = code_for(wbs, gl, cc)
            assert code is not None, (po_number, pos)
            self.line(c, project, lid=self.next_id("line"), position=pos, amount=it.amount, code=code,
                      origin=f"{po_number}/{pos * 10:05d}" if line_origin else None, description=it.text)  # fmt: skip
        return c

    # -- budgets and actuals ---------------------------------------------------------------------
    def project_of(self, wbs: str) -> Project | None:
        return self.projects.get(wbs.split("-")[1]) if wbs.count("-") >= 1 else None

    def wbs_budget(self, wbs: str, amount: Decimal) -> None:
        self.sap["WBSBudget"].append({
            "WBSElement": wbs, "FiscalYear": FISCAL_YEAR, "BudgetAmount": wire.sap_dec(amount, 2),
            "Currency": CURRENCY, "LastChangeDateTime": wire.sap_ts(wire.moment(self.rng, 40)),
        })  # fmt: skip

    def posting(self, wbs: str, gl: str, cc: str, amount: Decimal) -> None:
        """One journal-entry line; mapped ones add to ``actual_totals`` (the Procore target)."""
        n = self.next_id("je")
        period = self.rng.randint(1, 10)
        self.sap["A_JournalEntryItemBasic"].append({
            "ID": f"{COMPANY_CODE}{FISCAL_YEAR}{5_100_000_000 + n // 3:010d}{n % 3 + 1:03d}",
            "CompanyCode": COMPANY_CODE, "FiscalYear": FISCAL_YEAR, "FiscalYearPeriod": f"{FISCAL_YEAR}{period:03d}",
            "Ledger": "0L", "GLAccount": gl, "CostCenter": cc, "Project": wbs.rsplit("-", wbs.count("-") - 1)[0],
            "WBSElement": wbs, "AmountInCompanyCodeCurrency": wire.sap_dec(amount),
            "CompanyCodeCurrency": CURRENCY, "AmountInTransactionCurrency": wire.sap_dec(amount),
            "TransactionCurrency": CURRENCY,
        })  # fmt: skip
        p, code = self.project_of(wbs), code_for(wbs, gl, cc)
        if p is not None and code is not None:
            key = (p.number, code)
            self.actual_totals[key] = self.actual_totals.get(key, Decimal(0)) + amount

    def direct_cost(self, p: Project, lines: list[tuple[str, Decimal]], *, status: str, origin: str | None = None,
                    invoice: str | None = None, vendor_id: int | None = None) -> dict[str, Any]:  # fmt: skip
        rng = self.rng
        did = self.next_id("dc")
        ts = wire.moment(rng)
        total = sum((a for _, a in lines), Decimal(0))
        rec = {"id": did, "direct_cost_type": rng.choice(["invoice", "expense"]), "status": status,
               "direct_cost_date": wire.pc_date(ts), "invoice_number": invoice or f"INV-{did}",
               "vendor_id": vendor_id or self.vendor_of[rng.choice(sorted(self.vendor_of))],
               "grand_total": wire.pc_money(total), "origin_id": origin, "updated_at": wire.pc_ts(ts),
               "description": "Direct cost"}  # fmt: skip
        self.procore["direct_costs"][str(p.pid)].append(rec)
        ctype = COST_TYPES[rng.randint(0, 4)]
        self.procore["direct_cost_line_items"][str(did)] = [
            {"id": self.next_id("dcl"), "position": n, "amount": wire.pc_money(amount), "description": "Invoice line",
             "quantity": "1.0", "unit_cost": wire.pc_money(amount), "uom": "LS", "cost_code": p.ref(code),
             "line_item_type": {"id": ctype[0], "name": ctype[1]},
             "origin_id": f"{origin}/{n:03d}" if origin else None, "updated_at": wire.pc_ts(ts)}
            for n, (code, amount) in enumerate(lines, start=1)
        ]  # fmt: skip
        return rec

    def requisition(
        self,
        p: Project,
        items: list[tuple[str, Decimal]],
        *,
        status: str,
        contract: dict[str, Any] | None = None,
        origin: str | None = None,
    ) -> dict[str, Any]:
        """A subcontractor invoice; ``origin`` is the SAP document it was posted as (None: not yet)."""
        rng = self.rng
        pid = str(p.pid)
        contracts = self.procore["work_order_contracts"][pid] + self.procore["purchase_order_contracts"][pid]
        c = contract or rng.choice([c for c in contracts if c["origin_id"]] or contracts)
        rid = self.next_id("req")
        ts = wire.moment(rng)
        total = sum((a for _, a in items), Decimal(0))
        rec = {"id": rid, "project_id": p.pid, "commitment_id": c["id"],
               "commitment_type": "WorkOrderContract" if c in self.procore["work_order_contracts"][pid]
               else "PurchaseOrderContract",
               "contract_name": c["title"], "vendor_id": c["vendor"]["id"], "vendor_name": c["vendor"]["name"],
               "invoice_number": f"PA-{rid}", "number": 1, "status": status, "billing_date": wire.pc_date(ts),
               "period_id": 100 + ts.month, "origin_id": origin, "erp_status": "synced" if origin else "not_ready",
               "total_claimed_amount": wire.pc_money(total), "updated_at": wire.pc_ts(ts)}  # fmt: skip
        self.procore["requisitions"][pid].append(rec)
        self.procore["requisition_items"][str(rid)] = [
            {"id": self.next_id("reqi"), "cost_code": p.ref(code), "description": "Work this period",
             "scheduled_value": wire.pc_money(amount * 4), "work_completed_from_previous_application": "0.00",
             "work_completed_this_period": wire.pc_money(amount), "materials_presently_stored": "0.00"}
            for code, amount in items
        ]  # fmt: skip
        return rec
