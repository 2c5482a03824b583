"""procore_to_erp plans: change a PO item or account assignment, post a supplier invoice.

Changes are OData PATCHes under the ETag just read (``If-Match``), so SAP itself refuses
a write to a record that moved (412) or a write without the ETag (428). The supplier
invoice carries the Procore requisition in ``SupplierInvoiceIDByInvcgParty``; the plan and
the execution look it up first, so it is posted once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from adapters.sap.push import INVOICE_SERVICE, PO_SERVICE, InvoiceLine, PlannedWrite
from adapters.sap.wire import key_predicate, string_literal
from mappings import MappingError, load_mappings
from reconcile.push.clients import V, stamp
from reconcile.push.fresh import check_fresh, norm, stamp_of
from reconcile.push.model import HttpCall
from reconcile.push.plan import PlanContext, Planner
from reconcile.push.plan_procore import contract_lines_path
from reconcile.push.source import procore_line_now

APPROVED = ("approved", "approved_as_noted")


def _call(write: PlannedWrite, purpose: str, *, skip_if_found: bool = False) -> HttpCall:
    return HttpCall(
        side="erp",
        method=write.method,
        path=write.path,
        body=write.body,
        headers=write.headers(),
        purpose=purpose,
        service=write.service,
        entity_set=write.entity_set,
        key=write.key,
        skip_if_found=skip_if_found,
    )


def _exact(value: Decimal, places: str) -> Decimal | None:
    q = value.quantize(Decimal(places))
    return q if q == value else None


async def _read(ctx: PlanContext, entity_set: str, key: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    sap = ctx.clients.sap
    target, etag = await sap.client.entity(PO_SERVICE, entity_set, key)
    target = {k: v for k, v in target.items() if not k.startswith("__") and not k.startswith("to_")}
    path = sap.client.path(PO_SERVICE, entity_set)
    ctx.plan.reread = HttpCall(
        side="erp",
        method="GET",
        path=path + key_predicate(key),
        service=PO_SERVICE,
        entity_set=entity_set,
        key=key,
    )
    return target, etag


async def _procore_line(ctx: PlanContext) -> dict[str, Any] | None:
    """The Procore line of a commitment line exception as it is now (the source); None when refused."""
    lid = ctx.detail.get("procore_id")
    rows = ctx.table("procore_commitment_lines").filter(pl.col("id") == int(lid)) if lid is not None else None
    if rows is None or rows.is_empty():
        ctx.refuse("The Procore line of this exception is not in the current snapshot; pull and diff again.")
        return None
    snap = rows.row(0, named=True)
    path = contract_lines_path(ctx, int(snap["contract_id"]))
    if path is None:
        ctx.refuse(f"The contract of Procore line {lid} is not in the current snapshot; pull and diff again.")
        return None
    return await procore_line_now(ctx, path, {"project_id": str(snap["project_id"])}, snap)


async def line_to_sap(ctx: PlanContext) -> None:
    """Make the SAP PO item say what Procore says: price/quantity for amounts, WBS for cost codes."""
    key, plan = ctx.exc["key"], ctx.plan
    po, _, item = key.partition("/")
    rows = ctx.table("erp_commitment_lines").filter((pl.col("po_number") == po) & (pl.col("item") == item))
    if rows.is_empty():
        ctx.refuse(f"SAP item {key} is not in the current ERP snapshot; pull and diff again.")
        return
    snap = rows.row(0, named=True)
    ikey = {"PurchaseOrder": po, "PurchaseOrderItem": item}
    # The value written is Procore's as it is now, never the snapshot's (refused when they differ).
    line = await _procore_line(ctx)
    if line is None:
        return
    seen = str(ctx.exc["procore_value"])
    if ctx.exc["field"] == "amount":
        if not ctx.same_currency(snap["currency"], f"SAP item {key}"):
            return
        if norm(line.get("amount")) != norm(seen):
            ctx.refuse(
                f"Procore line {line.get('id')} is {line.get('amount')} now, not {seen}; "
                "pull and diff again before pushing."
            )
            return
        target, etag = await _read(ctx, "A_PurchaseOrderItem", ikey)
        plan.target = target
        plan.stamp_fields = ["OrderQuantity", "NetPriceAmount"]
        plan.snapshot_stamp = json.dumps(
            {"NetPriceAmount": norm(snap["net_price"]), "OrderQuantity": norm(snap["quantity"])},
            sort_keys=True,
        )
        plan.current_stamp = stamp_of(target, plan.stamp_fields)
        want = Decimal(str(line["amount"]))
        qty = Decimal(str(target.get("OrderQuantity") or 0))
        price = Decimal(str(target.get("NetPriceAmount") or 0))
        per = Decimal(str(target.get("NetPriceQuantity") or 1)) or Decimal(1)
        changes: dict[str, Any] = {}
        new_price = _exact(want * per / qty, "0.01") if qty else None
        new_qty = _exact(want * per / price, "0.001") if price and new_price is None else None
        if new_price is not None:
            changes = {"NetPriceAmount": new_price}
            plan.summary = f"Set the net price of SAP item {key} to {new_price} so the item totals {want}."
        elif new_qty is not None:
            changes = {"OrderQuantity": new_qty}
            plan.summary = f"Set the quantity of SAP item {key} to {new_qty} so the item totals {want}."
        else:
            ctx.refuse(
                f"{want} is not a whole-cent price or a 3-place quantity of SAP item {key}; change it in SAP."
            )
            return
        plan.action = "change_po_item"
        write = await ctx.clients.sap.plan_item_change(po, item, changes)
        plan.desired = {k: str(v) for k, v in changes.items()}
    else:
        if rows.height > 1:
            ctx.refuse(f"SAP item {key} is split over {rows.height} account assignments; change it in SAP.")
            return
        cost_code = line.get("cost_code")
        code = cost_code.get("full_code") if isinstance(cost_code, dict) else None
        if code != seen:
            ctx.refuse(
                f"Procore line {line.get('id')} has cost code {code} now, not {seen}; "
                "pull and diff again before pushing."
            )
            return
        try:
            m = load_mappings(ctx.profile.mappings_dir, shape=ctx.profile.erp.shape)
        except MappingError as exc:
            ctx.refuse(str(exc))
            return
        wbs = (
            m.cost_codes.filter(pl.col("procore_cost_code") == code)["wbs_element"]
            .drop_nulls()
            .unique()
            .to_list()
        )
        if len(wbs) != 1:
            ctx.refuse(
                f"Cost code {code} maps back to {len(wbs) or 'no'} WBS elements in cost_codes.csv; change it in SAP."
            )
            return
        sap = ctx.clients.sap
        flt = f"PurchaseOrder eq {string_literal(po)} and PurchaseOrderItem eq {string_literal(item)}"
        number = "1"
        async for page in sap.client.pages(PO_SERVICE, "A_PurOrdAccountAssignment", filter=flt):
            if page.records:
                number = str(page.records[0].get("AccountAssignmentNumber"))
                break
        akey = {**ikey, "AccountAssignmentNumber": number}
        target, etag = await _read(ctx, "A_PurOrdAccountAssignment", akey)
        plan.target = target
        plan.stamp_fields = ["WBSElement"]
        plan.snapshot_stamp = json.dumps({"WBSElement": norm(snap["wbs_element"])})
        plan.current_stamp = stamp_of(target, plan.stamp_fields)
        plan.action = "change_account_assignment"
        plan.summary = f"Assign SAP item {key} to WBS element {wbs[0]} (Procore cost code {code})."
        changes = {"WBSElement": wbs[0]}
        write = await sap.plan_assignment_change(po, item, number, changes)
        plan.desired = dict(changes)
    plan.requests = [_call(write, "change the PO (PATCH under If-Match)")]
    check_fresh(plan, f"SAP item {key}", "SAP")


async def invoice(ctx: PlanContext) -> None:
    """Post the approved Procore subcontractor invoice behind an actuals difference to SAP."""
    key, plan, c = ctx.exc["key"], ctx.plan, ctx.clients
    number, _, code = key.partition("/")
    proj = ctx.table("procore_projects").filter(pl.col("project_number") == number)
    if proj.is_empty():
        ctx.refuse(f"Project {number} is not in the current Procore snapshot; pull again.")
        return
    project_id = int(proj["id"][0])
    actual = ctx.table("procore_actual_lines").filter(
        (pl.col("project_id") == project_id)
        & (pl.col("source") == "requisition")
        & pl.col("status").is_in(APPROVED)
        & (pl.col("origin_id").is_null() | (pl.col("origin_id") == ""))
    )
    here = actual.filter(pl.col("cost_code") == code)
    if here.is_empty():
        ctx.refuse(
            f"No approved subcontractor invoice at {key} is waiting for SAP; "
            "there is no automatic push for this difference, explain it or fix the mapping."
        )
        return
    req_id = int(here["document_id"].min())  # type: ignore[arg-type]
    lines = actual.filter(pl.col("document_id") == req_id)
    params = {"project_id": str(project_id)}
    plan.reread = HttpCall(side="procore", method="GET", path=f"{V}/requisitions/{req_id}", params=params)
    target = await c.procore_get(plan.reread.path, params)
    plan.target = target
    plan.snapshot_stamp = stamp(lines["updated_at"].max())
    plan.current_stamp = stamp(target.get("updated_at"))
    if target.get("status") not in APPROVED:
        ctx.refuse(
            f"Subcontractor invoice {req_id} is {target.get('status')}, no longer approved; pull and diff again."
        )
        return
    contract = ctx.table("procore_commitments").filter(pl.col("id") == target.get("commitment_id"))
    po = (contract["origin_id"][0] or contract["number"][0]) if contract.height else None
    head = ctx.table("erp_commitments").filter(pl.col("po_number") == po) if po else None
    if head is None or head.is_empty():
        ctx.refuse(
            f"The contract of subcontractor invoice {req_id} is not linked to an SAP PO; link the commitment first."
        )
        return
    h = head.row(0, named=True)
    if not ctx.same_currency(h["currency"], f"SAP PO {po}"):
        return
    plines = ctx.table("procore_commitment_lines").filter(
        pl.col("contract_id") == target.get("commitment_id")
    )
    inv_lines: list[InvoiceLine] = []
    for row in (
        lines.group_by("cost_code", maintain_order=True).agg(pl.col("amount").sum()).iter_rows(named=True)
    ):
        match = plines.filter(pl.col("cost_code") == row["cost_code"])
        origin = match["origin_id"][0] if match.height else None
        if not origin or "/" not in str(origin):
            ctx.refuse(
                f"Cost code {row['cost_code']} of invoice {req_id} has no linked SAP PO item; fix the lines first."
            )
            return
        item_po, _, item = str(origin).partition("/")
        sap_item, _ = await c.sap.client.entity(
            PO_SERVICE, "A_PurchaseOrderItem", {"PurchaseOrder": item_po, "PurchaseOrderItem": item}
        )
        price = Decimal(str(sap_item.get("NetPriceAmount") or 0))
        per = Decimal(str(sap_item.get("NetPriceQuantity") or 1)) or Decimal(1)
        amount = Decimal(str(row["amount"]))
        amount = _exact(amount, "0.01") or amount  # SAP documents carry the currency's places
        qty = (amount * per / price).quantize(Decimal("0.001")) if price else Decimal(1)
        inv_lines.append(
            InvoiceLine(item_po, item, amount, qty, str(sap_item.get("PurchaseOrderQuantityUnit") or "EA"))
        )
    total = sum((ln.amount for ln in inv_lines), Decimal(0))
    reference = f"PROCORE-R{req_id}" if len(f"PROCORE-R{req_id}") <= 16 else f"PR{req_id}"[:16]
    today = datetime.now(UTC).date()
    write = c.sap.plan_supplier_invoice(
        company_code=h["company_code"],
        invoicing_party=h["supplier"],
        reference=reference,
        document_date=today,
        posting_date=ctx.posting_date(today),
        currency=h["currency"] or "USD",
        gross_amount=total,
        lines=inv_lines,
    )
    plan.action = "post_supplier_invoice"
    plan.summary = (
        f"Post Procore subcontractor invoice {req_id} ({target.get('invoice_number')}) to SAP as a supplier "
        f"invoice of {total} {h['currency']} against PO {po}, reference {reference}."
    )
    flt = f"SupplierInvoiceIDByInvcgParty eq {string_literal(reference)} and InvoicingParty eq {string_literal(h['supplier'])}"
    plan.lookup = HttpCall(
        side="erp",
        method="GET",
        path=c.sap.client.path(INVOICE_SERVICE, "A_SupplierInvoice"),
        params={"$filter": flt},
        service=INVOICE_SERVICE,
        entity_set="A_SupplierInvoice",
        key={"reference": reference, "supplier": h["supplier"]},
        purpose="find an invoice already posted",
    )
    found = await c.sap.find_supplier_invoice(reference, h["supplier"])
    plan.lookup_found = {"document": found} if found else None
    plan.requests = [_call(write, "post the supplier invoice", skip_if_found=True)]
    if found:
        if plan.resumes:
            plan.summary += f" The interrupted push already posted it ({found}); pushing records that."
        else:
            ctx.refuse(
                f"SAP already has supplier invoice {found} with reference {reference}; pull and diff again."
            )
            return
    check_fresh(plan, f"Subcontractor invoice {req_id}", "Procore")


PLANNERS: dict[str, Planner] = {
    "procore_to_erp:commitment_line:value_mismatch": line_to_sap,
    "procore_to_erp:actual:value_mismatch": invoice,
    "procore_to_erp:actual:missing_in_erp": invoice,
}
