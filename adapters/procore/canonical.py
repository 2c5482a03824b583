"""Procore raw payloads → the ``procore_*`` canonical tables (pure: no I/O).

The raw payloads are exactly what Procore answered, kept per resource and scope by the
pull; this reduces them to the columns the diff compares. Joins that need several
resources (a line's project, a direct cost line's status) happen here, once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from adapters.base import RawReader
from adapters.canonical_schema import TABLES, conform
from adapters.procore import models as m

PLACES = Decimal("0.0001")


def _ts(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _date(value: str | None) -> date | None:
    """A Procore date (``2026-11-30``, or a timestamp whose day is taken); None when unreadable."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(PLACES)


def _scope_id(scope: str) -> int | None:
    """``project:12`` → 12."""
    _, _, tail = scope.rpartition(":")
    return int(tail) if tail.isdigit() else None


def _frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return conform(table, pl.DataFrame(rows, schema=dict(TABLES[table])))


def _records(raw: RawReader, resource: str, model: type[m.M]) -> list[tuple[str, m.M]]:
    endpoint = f"the stored {resource} payloads"
    return [
        (scope, m.parse(model, rec, endpoint=endpoint, index=i))
        for i, (scope, rec) in enumerate(raw(resource))
    ]


def canonicalize(raw: RawReader) -> dict[str, pl.DataFrame]:
    """Every ``procore_*`` table from one snapshot's raw payloads."""
    projects = _records(raw, "projects", m.Project)
    vendors = _records(raw, "vendors", m.Vendor)
    cost_codes = _records(raw, "cost_codes", m.CostCode)
    code_of = {c.id: c.full_code for _, c in cost_codes}

    out: dict[str, pl.DataFrame] = {}
    out["procore_projects"] = _frame(
        "procore_projects",
        [
            {
                "id": p.id,
                "project_number": p.project_number,
                "name": p.name,
                "active": p.active,
                "origin_id": p.origin_id,
                "updated_at": _ts(p.updated_at),
            }
            for _, p in projects
        ],
    )
    out["procore_vendors"] = _frame(
        "procore_vendors",
        [
            {
                "id": v.id,
                "name": v.name,
                "is_active": v.is_active,
                "origin_id": v.origin_id,
                "updated_at": _ts(v.updated_at),
            }
            for _, v in vendors
        ],
    )
    out["procore_cost_codes"] = _frame(
        "procore_cost_codes",
        [
            {
                "id": c.id,
                "project_id": _scope_id(s),
                "full_code": c.full_code,
                "name": c.name,
                "origin_id": c.origin_id,
            }
            for s, c in cost_codes
        ],
    )

    contract_project: dict[int, int | None] = {}
    commitments = []
    for kind, label in (
        ("purchase_order_contracts", "purchase_order"),
        ("work_order_contracts", "work_order"),
    ):
        for s, c in _records(raw, kind, m.Contract):
            if c.deleted_at is not None:
                continue
            contract_project[c.id] = _scope_id(s)
            commitments.append(
                {
                    "id": c.id,
                    "project_id": _scope_id(s),
                    "contract_type": label,
                    "number": c.number,
                    "title": c.title,
                    "status": c.status,
                    "vendor_id": c.vendor.id if c.vendor else None,
                    "origin_id": c.origin_id,
                    "grand_total": _money(c.grand_total),
                    "updated_at": _ts(c.updated_at),
                }
            )
    out["procore_commitments"] = _frame("procore_commitments", commitments)

    lines = []
    for s, li in _records(raw, "commitment_line_items", m.LineItem):
        cid = _scope_id(s)
        if cid not in contract_project:
            continue  # the contract was deleted or is no longer in scope
        cc = li.cost_code
        lines.append(
            {
                "id": li.id,
                "contract_id": cid,
                "project_id": contract_project[cid],
                "position": li.position,
                "description": li.description,
                "cost_code_id": cc.id if cc else None,
                "cost_code": (cc.full_code or code_of.get(cc.id or -1)) if cc else None,
                "line_item_type_id": li.line_item_type.id if li.line_item_type else None,
                "amount": _money(li.amount),
                "origin_id": li.origin_id,
                "updated_at": _ts(li.updated_at),
            }
        )
    out["procore_commitment_lines"] = _frame("procore_commitment_lines", lines)

    out["procore_commitment_change_orders"] = _frame(
        "procore_commitment_change_orders",
        [
            {
                "id": co.id,
                "project_id": _scope_id(s),
                "contract_id": co.contract_id,
                "number": co.number,
                "status": co.status,
                "grand_total": _money(co.grand_total),
                "updated_at": _ts(co.updated_at),
            }
            for s, co in _records(raw, "commitment_change_orders", m.ChangeOrder)
        ],
    )

    budget = []
    for s, r in _records(raw, "budget_detail_rows", m.BudgetDetailRow):
        cc_id = (
            r.cost_code_id
            if r.cost_code_id is not None
            else (r.cost_code.id if isinstance(r.cost_code, m.Ref) else None)
        )
        full = code_of.get(cc_id) if cc_id is not None else None
        if full is None and isinstance(r.cost_code, m.Ref):
            full = r.cost_code.full_code
        budget.append(
            {
                "project_id": _scope_id(s),
                "cost_code_id": cc_id,
                "cost_code": full,
                "category_id": r.category_id,
                "original_budget_amount": _money(r.original_budget_amount),
            }
        )
    out["procore_budget_lines"] = _frame("procore_budget_lines", budget)
    out["procore_actual_lines"] = _frame("procore_actual_lines", _actuals(raw, code_of))
    return out


def _actuals(raw: RawReader, code_of: dict[int, str | None]) -> list[dict[str, Any]]:
    """Direct cost lines and requisition items, each with its document's status."""
    rows: list[dict[str, Any]] = []
    dcs = {dc.id: dc for _, dc in _records(raw, "direct_costs", m.DirectCost)}
    for s, li in _records(raw, "direct_cost_line_items", m.LineItem):
        dc = dcs.get(li.holder.id if li.holder and li.holder.id is not None else -1)
        cc = li.cost_code
        rows.append(
            {
                "id": f"direct_cost:{li.id}",
                "project_id": _scope_id(s),
                "source": "direct_cost",
                "document_id": dc.id if dc else None,
                "status": dc.status if dc else None,
                "cost_code": (cc.full_code or code_of.get(cc.id or -1)) if cc else None,
                "amount": _money(li.amount),
                "origin_id": li.origin_id or (dc.origin_id if dc else None),
                "updated_at": _ts(li.updated_at),
                "document_date": _date(dc.direct_cost_date) if dc else None,
            }
        )
    reqs = {r.id: (_scope_id(s), r) for s, r in _records(raw, "requisitions", m.Requisition)}
    for s, item in _records(raw, "requisition_items", m.RequisitionItem):
        rid = _scope_id(s)
        project_id, req = reqs.get(rid or -1, (None, None))
        cc_id = (
            item.cost_code_id
            if item.cost_code_id is not None
            else (item.cost_code.id if item.cost_code else None)
        )
        code = code_of.get(cc_id) if cc_id is not None else None
        if code is None and item.cost_code is not None:
            code = item.cost_code.full_code
        rows.append(
            {
                "id": f"requisition:{rid}:{item.id}",
                "project_id": project_id,
                "source": "requisition",
                "document_id": rid,
                "status": req.status if req else None,
                "cost_code": code,
                "amount": _money(item.period_amount),
                "origin_id": req.origin_id if req else None,
                "updated_at": _ts(req.updated_at) if req else None,
                "document_date": _date(req.billing_date) if req else None,
            }
        )
    return rows
