"""SAP raw payloads → the ``erp_*`` canonical tables (pure: payloads in, frames out).

Purchase orders are stored as the API sends them with ``$expand``: a header holding its
items holding their account assignments. Flattening happens here, so a PO changed in SAP
replaces its whole tree in the snapshot (an item deleted in SAP does not linger).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from adapters.base import RawReader
from adapters.canonical_schema import conform, schema
from adapters.erp_shape import SAP_S4
from adapters.fiscal_period import sap_period_end
from adapters.sap import models as m

#: Resource names (entity sets) as kept in the store.
SUPPLIERS = "A_Supplier"
SUPPLIER_COMPANIES = "A_SupplierCompany"
PURCHASE_ORDERS = "A_PurchaseOrder"
PROJECTS = "A_EnterpriseProject"
PROJECT_ELEMENTS = "A_EnterpriseProjectElement"
JOURNAL = "A_JournalEntryItemBasic"
BUDGETS = "WBSBudget"


def journal_key(p: dict[str, Any]) -> str:
    """The record key of an aggregated journal row: its dimensions joined with ``/``."""
    return "/".join(
        str(p.get(k) or "")
        for k in ("WBSElement", "GLAccount", "CostCenter", "CompanyCodeCurrency", "FiscalYearPeriod")
    )


def _frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    target = dict(schema(table, SAP_S4))
    if not rows:
        return pl.DataFrame(schema=target)
    cols = {name: [r.get(name) for r in rows] for name in target}
    return conform(table, pl.DataFrame(cols, schema=target), SAP_S4)


def _payloads(raw: RawReader, resource: str) -> list[dict[str, Any]]:
    return [p for _, p in raw(resource)]


def vendors(raw: RawReader, company_code: str | None) -> pl.DataFrame:
    """Suppliers; when a company code is set, only those extended to it (A_SupplierCompany)."""
    extended = {
        m.parse(m.SupplierCompany, p, entity_set=SUPPLIER_COMPANIES, key=str(p.get("Supplier"))).Supplier
        for p in _payloads(raw, SUPPLIER_COMPANIES)
        if company_code is None or p.get("CompanyCode") == company_code
    }
    rows = []
    for p in _payloads(raw, SUPPLIERS):
        s = m.parse(m.Supplier, p, entity_set=SUPPLIERS, key=str(p.get("Supplier")))
        if company_code is not None and s.Supplier not in extended:
            continue
        rows.append(
            {
                "supplier": s.Supplier,
                "name": s.SupplierName or s.SupplierFullName,
                "blocked": bool(s.PostingIsBlocked or s.PurchasingIsBlocked or s.DeletionIndicator),
            }
        )
    return _frame("erp_vendors", rows)


def _item_amount(item: m.PurchaseOrderItem) -> Decimal | None:
    """Net value of an item without account assignments: quantity × price / price unit."""
    if item.OrderQuantity is None or item.NetPriceAmount is None:
        return None
    unit = item.NetPriceQuantity or Decimal(1)
    return (item.OrderQuantity * item.NetPriceAmount / unit).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP
    )


def commitments(raw: RawReader) -> tuple[pl.DataFrame, pl.DataFrame]:
    """PO headers (``erp_commitments``) and one row per item and account assignment."""
    heads: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for p in _payloads(raw, PURCHASE_ORDERS):
        po = m.parse(m.PurchaseOrder, p, entity_set=PURCHASE_ORDERS, key=str(p.get("PurchaseOrder")))
        heads.append(
            {
                "po_number": po.PurchaseOrder,
                "supplier": po.Supplier,
                "company_code": po.CompanyCode,
                "currency": po.DocumentCurrency,
                "po_date": po.PurchaseOrderDate,
                "last_change": po.LastChangeDateTime,
                "etag": po.etag,
            }
        )
        for item in po.to_PurchaseOrderItem.results if po.to_PurchaseOrderItem else []:
            base = {
                "po_number": po.PurchaseOrder,
                "item": item.PurchaseOrderItem,
                "description": item.PurchaseOrderItemText,
                "quantity": item.OrderQuantity,
                "net_price": item.NetPriceAmount,
                "price_unit": item.NetPriceQuantity,
                "currency": item.DocumentCurrency or po.DocumentCurrency,
                "etag": item.etag,
            }
            assignments = [
                a
                for a in (item.to_AccountAssignment.results if item.to_AccountAssignment else [])
                if not a.IsDeleted
            ]
            if not assignments:
                lines.append({**base, "amount": _item_amount(item)})
                continue
            for a in assignments:
                lines.append(
                    {
                        **base,
                        "amount": a.PurgDocNetAmount,
                        "wbs_element": a.WBSElement or None,
                        "gl_account": a.GLAccount or None,
                        "cost_center": a.CostCenter or None,
                        "etag": a.etag or item.etag,
                    }
                )
    return _frame("erp_commitments", heads), _frame("erp_commitment_lines", lines)


def wbs(raw: RawReader, company_code: str | None) -> pl.DataFrame:
    """WBS elements with their project, parent element (via ``ParentObjectUUID``) and level (1 = top)."""
    projects = {}
    for p in _payloads(raw, PROJECTS):
        proj = m.parse(m.EnterpriseProject, p, entity_set=PROJECTS, key=str(p.get("ProjectUUID")))
        if company_code is None or proj.CompanyCode in (None, company_code):
            projects[proj.ProjectUUID.lower()] = proj
    elements = {}
    for p in _payloads(raw, PROJECT_ELEMENTS):
        el = m.parse(
            m.EnterpriseProjectElement, p, entity_set=PROJECT_ELEMENTS, key=str(p.get("ProjectElementUUID"))
        )
        if el.ProjectUUID.lower() in projects:
            elements[el.ProjectElementUUID.lower()] = el

    def parent_of(el: m.EnterpriseProjectElement) -> m.EnterpriseProjectElement | None:
        return elements.get((el.ParentObjectUUID or "").lower())

    rows = []
    for el in elements.values():
        level, cur, seen = 1, parent_of(el), {el.ProjectElementUUID}
        while cur is not None and cur.ProjectElementUUID not in seen:  # a cycle in bad data must not hang
            seen.add(cur.ProjectElementUUID)
            level += 1
            cur = parent_of(cur)
        parent = parent_of(el)
        rows.append(
            {
                "node": el.ProjectElement,
                "project": projects[el.ProjectUUID.lower()].Project,
                "parent": parent.ProjectElement if parent else None,
                "level": level,
                "description": el.ProjectElementDescription,
            }
        )
    return _frame("erp_hierarchy", rows)


def budgets(raw: RawReader) -> pl.DataFrame:
    rows = []
    for _, p in raw(BUDGETS):
        key = f"{p.get('WBSElement')}/{p.get('FiscalYear')}"
        b = m.parse(m.WBSBudget, p, entity_set=BUDGETS, key=key)
        rows.append(
            {
                "wbs_element": b.WBSElement,
                "fiscal_year": b.FiscalYear,
                "amount": b.BudgetAmount,
                "currency": b.Currency,
            }
        )
    return _frame("erp_budgets", rows)


def actuals(raw: RawReader) -> pl.DataFrame:
    rows = []
    for _, p in raw(JOURNAL):
        key = journal_key(p)
        j = m.parse(m.JournalEntryAggregate, p, entity_set=JOURNAL, key=key)
        rows.append(
            {
                "wbs_element": j.WBSElement or None,
                "gl_account": j.GLAccount or None,
                "cost_center": j.CostCenter or None,
                "amount": j.AmountInCompanyCodeCurrency,
                "currency": j.CompanyCodeCurrency,
                # The aggregated journal has no posting date: the fiscal period's last day.
                "posting_date": sap_period_end(j.FiscalYearPeriod),
            }
        )
    return _frame("erp_actuals", rows)


def canonicalize(raw: RawReader, company_code: str | None) -> dict[str, pl.DataFrame]:
    """All ``erp_*`` tables of one snapshot."""
    heads, lines = commitments(raw)
    return {
        "erp_hierarchy": wbs(raw, company_code),
        "erp_vendors": vendors(raw, company_code),
        "erp_commitments": heads,
        "erp_commitment_lines": lines,
        "erp_budgets": budgets(raw),
        "erp_actuals": actuals(raw),
    }
