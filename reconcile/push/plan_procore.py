"""erp_to_procore plans: create vendors and commitments, fix names, line amounts and cost codes.

Every Procore create carries ``origin_id`` (the ERP key) and is preceded by a lookup by
``filters[origin_id]``, so a push retried after a crash or a timeout finds what the first
attempt wrote instead of creating it twice. Fixes go through the batch ``sync`` endpoints,
which upsert by ``id`` and, when the record is not yet linked, also write its ``origin_id``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl

from adapters.procore import writes
from mappings import MappingError, load_mappings
from mappings.resolve import resolve_cost_codes
from reconcile.push.clients import stamp
from reconcile.push.fresh import check_fresh, norm
from reconcile.push.model import CONTRACT_ID, HttpCall
from reconcile.push.plan import PlanContext, Planner
from reconcile.push.source import erp_po_now, erp_source, erp_supplier_now


def _system(ctx: PlanContext) -> str:
    """The ERP's name in sentences ("SAP", "EBS")."""
    return erp_source(ctx.clients).system


def money_wire(value: Any) -> str:
    """An amount as Procore's decimal string: two places when that is exact, else all of them."""
    d = Decimal(str(value))
    cents = d.quantize(Decimal("0.01"))
    return format(cents if cents == d else d.normalize(), "f")


def _call(write: writes.PlannedWrite, purpose: str, *, skip_if_found: bool = False) -> HttpCall:
    """A write built by the adapter (its one wire shape), as the plan shows and sends it."""
    return HttpCall(
        side="procore",
        method=write.method,
        path=write.path,
        params=write.params,
        body=write.body,
        purpose=purpose,
        skip_if_found=skip_if_found,
    )


def _one(frame: pl.DataFrame) -> dict[str, Any] | None:
    return frame.row(0, named=True) if frame.height else None


def _found(rec: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if rec is None else {k: rec.get(k) for k in ("id", "name", "number", "origin_id") if k in rec}


def _already_there(ctx: PlanContext, what: str, rec: dict[str, Any]) -> None:
    """A lookup hit: an interrupted push of ours made it (adopt it), or someone else did (refuse)."""
    if ctx.plan.resumes:
        ctx.plan.summary += (
            f" The interrupted push already created it (id {rec.get('id')}); pushing records that."
        )
    else:
        ctx.refuse(
            f"Procore already has {what} id {rec.get('id')} with origin_id {rec.get('origin_id')}, "
            "made since the snapshot; pull and diff again."
        )


# -- vendors -----------------------------------------------------------------------------
async def vendor_missing(ctx: PlanContext) -> None:
    key = ctx.exc["key"]
    if ctx.table("erp_vendors").filter(pl.col("supplier") == key).is_empty():
        ctx.refuse(f"Supplier {key} is not in the current ERP snapshot; pull again.")
        return
    name = await erp_supplier_now(ctx, key)
    if name is None:
        return
    plan, c = ctx.plan, ctx.clients
    plan.action = "create_vendor"
    plan.summary = f"Create Procore vendor {name!r} linked to ERP supplier {key} (origin_id)."
    plan.lookup = HttpCall(
        side="procore",
        method="GET",
        path=writes.VENDORS,
        params={**c.company, "filters[origin_id]": key},
        purpose="find a vendor already linked to the supplier",
    )
    rec = await c.procore_find(writes.VENDORS, c.company, key)
    plan.lookup_found = _found(rec)
    plan.desired = {"origin_id": key}
    plan.requests = [
        _call(
            writes.create_vendor(
                ctx.profile.procore.company_id, {"name": name, "origin_id": key, "is_active": True}
            ),
            "create the vendor",
            skip_if_found=True,
        )
    ]
    if rec is not None:
        _already_there(ctx, "vendor", rec)


async def vendor_name(ctx: PlanContext) -> None:
    key, plan, c = ctx.exc["key"], ctx.plan, ctx.clients
    pid = ctx.detail.get("procore_id")
    if pid is None:
        ctx.refuse("The exception does not name the Procore vendor; run diff again.")
        return
    pid = int(pid)
    name = await erp_supplier_now(ctx, key)
    if name is None:
        return
    plan.action = "fix_vendor_name"
    plan.reread = HttpCall(side="procore", method="GET", path=f"{writes.VENDORS}/{pid}", params=c.company)
    target = await c.procore_get(plan.reread.path, plan.reread.params)
    plan.target = target
    snap = _one(ctx.table("procore_vendors").filter(pl.col("id") == pid))
    plan.snapshot_stamp = stamp((snap or {}).get("updated_at"))
    plan.current_stamp = stamp(target.get("updated_at"))
    update: dict[str, Any] = {"id": pid, "name": name}
    link = ""
    if not target.get("origin_id"):
        update["origin_id"] = key
        link = f" and link it to supplier {key}"
    plan.summary = f"Rename Procore vendor {pid} from {target.get('name')!r} to {name!r}{link}."
    plan.desired = {"name": name}
    plan.requests = [
        _call(writes.sync_vendors(ctx.profile.procore.company_id, [update]), "rename (sync by id)")
    ]
    check_fresh(plan, f"Vendor {pid}", "Procore")


# -- commitments ------------------------------------------------------------------------------
def _items(ctx: PlanContext, lines: pl.DataFrame) -> pl.DataFrame:
    """One row per PO item: amount summed, description, and the largest assignment's dimensions."""
    biggest = pl.col("amount").arg_max()
    dims = ctx.profile.erp.shape.columns
    return (
        lines.group_by("item", maintain_order=True)
        .agg(
            pl.col("description").first(),
            pl.col("currency").first(),
            pl.col("amount").sum(),
            *(pl.col(d).get(biggest) for d in dims),
        )
        .sort("item")
    )


def _project_id(ctx: PlanContext, number: str | None) -> int | None:
    if not number:
        return None
    row = _one(ctx.table("procore_projects").filter(pl.col("project_number") == number))
    return int(row["id"]) if row else None


def _with_cost_codes(ctx: PlanContext, items: pl.DataFrame, project_id: int) -> pl.DataFrame | str:
    """Items with ``cost_code_id`` through cost_codes.csv, or a sentence naming the unmapped item."""
    try:
        m = load_mappings(ctx.profile.mappings_dir, shape=ctx.profile.erp.shape)
        resolved = resolve_cost_codes(items, m, hierarchy=ctx.table("erp_hierarchy"))
    except MappingError as exc:
        return str(exc)
    codes = ctx.table("procore_cost_codes").filter(pl.col("project_id") == project_id)
    out = resolved.join(
        codes.select(pl.col("full_code").alias("procore_cost_code"), pl.col("id").alias("cost_code_id")),
        on="procore_cost_code",
        how="left",
    )
    missing = out.filter(pl.col("cost_code_id").is_null())
    if missing.height:
        row = missing.row(0, named=True)
        return (
            f"Item {row['item']} ({ctx.profile.erp.shape.summary(row)}) has no Procore cost code "
            f"{row['procore_cost_code'] or '(unmapped)'} in the project; fix cost_codes.csv first."
        )
    return out


def _line_updates(po: str, items: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "origin_id": f"{po}/{r['item']}",
            "description": r["description"] or f"PO {po} item {r['item']}",
            "amount": money_wire(r["amount"]),
            "cost_code_id": int(r["cost_code_id"]),
        }
        for r in items.iter_rows(named=True)
    ]


async def commitment_missing(ctx: PlanContext) -> None:
    po, plan, c = ctx.exc["key"], ctx.plan, ctx.clients
    if ctx.table("erp_commitments").filter(pl.col("po_number") == po).is_empty():
        ctx.refuse(f"PO {po} is not in the current ERP snapshot; pull again.")
        return
    now = await erp_po_now(ctx, po)
    if now is None:
        return
    head, lines = now
    if not ctx.same_currency(head["currency"], f"{_system(ctx)} PO {po}"):
        return
    project_id = _project_id(ctx, ctx.exc["project"])
    if project_id is None:
        ctx.refuse(f"PO {po} does not map to an active Procore project; fix projects.csv.")
        return
    vendor = _one(ctx.table("procore_vendors").filter(pl.col("origin_id") == head["supplier"]))
    if vendor is None:
        ctx.refuse(f"No Procore vendor is linked to supplier {head['supplier']}; push that vendor first.")
        return
    items = _with_cost_codes(ctx, _items(ctx, lines), project_id)
    if isinstance(items, str):
        ctx.refuse(items)
        return
    plan.action = "create_commitment"
    plan.summary = (
        f"Create purchase order contract {po} in Procore project {ctx.exc['project']} for vendor "
        f"{vendor['name']!r}, with {items.height} line(s) from the {_system(ctx)} PO (origin_id on each)."
    )
    params = {"project_id": str(project_id)}
    plan.lookup = HttpCall(
        side="procore",
        method="GET",
        path=writes.PURCHASE_ORDER_CONTRACTS,
        params={**params, "filters[origin_id]": po},
        purpose="find a contract already linked to the PO",
    )
    rec = await c.procore_find(writes.PURCHASE_ORDER_CONTRACTS, params, po)
    plan.lookup_found = _found(rec)
    plan.desired = {"origin_id": po}
    plan.requests = [
        _call(
            writes.create_purchase_order_contract(
                project_id,
                {
                    # The bare PO number: a key with a prefix (PeopleSoft's ``BU/``) links within it.
                    "number": po.removeprefix(ctx.profile.erp.shape.keys.number_prefix),
                    "title": f"{_system(ctx)} PO {po}",
                    "vendor_id": int(vendor["id"]),
                    "origin_id": po,
                    "status": "Draft",
                },
            ),
            "create the contract",
            skip_if_found=True,
        ),
        _call(
            writes.sync_line_items(project_id, CONTRACT_ID, _line_updates(po, items)),
            "add the lines (sync by origin_id)",
        ),
    ]
    if rec is not None:
        _already_there(ctx, "contract", rec)


# -- commitment lines -------------------------------------------------------------------------
def contract_kind(ctx: PlanContext, contract_id: int) -> str | None:
    """``purchase_order`` or ``work_order`` for a contract in the current snapshot (None when absent)."""
    row = _one(ctx.table("procore_commitments").filter(pl.col("id") == contract_id))
    return None if row is None else str(row["contract_type"] or "purchase_order")


def contract_lines_path(ctx: PlanContext, contract_id: int) -> str | None:
    """The line items path of a contract in the current snapshot (None when it is not there)."""
    kind = contract_kind(ctx, contract_id)
    return None if kind is None else writes.line_items_path(contract_id, kind)


async def line_fix(ctx: PlanContext) -> None:
    key, plan, field = ctx.exc["key"], ctx.plan, ctx.exc["field"]
    lid = ctx.detail.get("procore_id")
    snap = (
        _one(ctx.table("procore_commitment_lines").filter(pl.col("id") == int(lid)))
        if lid is not None
        else None
    )
    if snap is None:
        ctx.refuse("The Procore line of this exception is not in the current snapshot; pull and diff again.")
        return
    lid = int(snap["id"])
    path = contract_lines_path(ctx, int(snap["contract_id"]))
    if path is None:
        ctx.refuse(f"The contract of Procore line {lid} is not in the current snapshot; pull and diff again.")
        return
    params = {"project_id": str(snap["project_id"])}
    plan.reread = HttpCall(side="procore", method="GET", path=path, params=params, list_id=lid)
    target = await ctx.clients.procore_record_in_list(path, params, lid)
    if target is None:
        ctx.refuse(f"Procore line {lid} no longer exists; pull and diff again.")
        return
    plan.target = target
    plan.snapshot_stamp = stamp(snap["updated_at"])
    plan.current_stamp = stamp(target.get("updated_at"))
    # The value written is the ERP's as it is now, never the snapshot's (refused when they differ).
    po, _, item = key.rpartition("/")  # PeopleSoft keys hold a slash: BU/PO_ID/LINE_NBR
    now = await erp_po_now(ctx, po, item)
    if now is None:
        return
    head, lines = now
    row = _items(ctx, lines).row(0, named=True)
    seen = str(ctx.exc["erp_value"])
    update: dict[str, Any] = {"id": lid}
    if field == "amount":
        if not ctx.same_currency(row["currency"] or head["currency"], f"{_system(ctx)} item {key}"):
            return
        if norm(row["amount"]) != norm(seen):
            ctx.refuse(
                f"{_system(ctx)} item {key} is {row['amount']} now, not {seen}; pull and diff again before pushing."
            )
            return
        amount = money_wire(row["amount"])
        update["amount"] = amount
        plan.desired = {"amount": amount}
        plan.action = "fix_line_amount"
        plan.summary = f"Set the amount of Procore line {lid} to {amount} ({_system(ctx)} {key})."
    else:
        live = _with_cost_codes(ctx, _items(ctx, lines), int(snap["project_id"]))
        if isinstance(live, str):
            ctx.refuse(live)
            return
        row = live.row(0, named=True)
        code = row["procore_cost_code"]
        if code != seen:
            ctx.refuse(
                f"{_system(ctx)} item {key} maps to cost code {code} now, not {seen}; pull and diff again before pushing."
            )
            return
        update["cost_code_id"] = int(row["cost_code_id"])
        plan.desired = {"cost_code.id": int(row["cost_code_id"])}
        plan.action = "fix_line_cost_code"
        plan.summary = f"Set the cost code of Procore line {lid} to {code} ({_system(ctx)} {key})."
    if not target.get("origin_id"):
        update["origin_id"] = key
        plan.summary += f" Link it to {key} (origin_id)."
    plan.requests = [
        _call(
            writes.sync_line_items(
                int(snap["project_id"]),
                int(snap["contract_id"]),
                [update],
                contract_kind(ctx, int(snap["contract_id"])) or "purchase_order",
            ),
            "fix the line (sync by id)",
        )
    ]
    check_fresh(plan, f"Line {lid}", "Procore")


async def line_missing(ctx: PlanContext) -> None:
    key, plan = ctx.exc["key"], ctx.plan
    po, _, item = key.rpartition("/")
    contracts = ctx.table("procore_commitments").filter(
        (pl.col("origin_id") == po) | (pl.col("number") == po)
    )
    contract = _one(contracts.sort(pl.col("origin_id") == po, descending=True))
    if contract is None:
        ctx.refuse(f"Procore has no contract for PO {po}; push the commitment first.")
        return
    now = await erp_po_now(ctx, po, item)
    if now is None:
        return
    head, lines = now
    if not ctx.same_currency(head["currency"], f"{_system(ctx)} PO {po}"):
        return
    items = _with_cost_codes(ctx, _items(ctx, lines), int(contract["project_id"]))
    if isinstance(items, str):
        ctx.refuse(items)
        return
    path = contract_lines_path(ctx, int(contract["id"]))
    assert path is not None
    params = {"project_id": str(contract["project_id"])}
    plan.action = "add_line"
    plan.summary = (
        f"Add {_system(ctx)} item {key} as a line of Procore contract {contract['id']} (origin_id {key})."
    )
    plan.lookup = HttpCall(
        side="procore", method="GET", path=path, params={**params, "filters[origin_id]": key}
    )
    rec = await ctx.clients.procore_find(path, params, key)
    plan.lookup_found = _found(rec)
    plan.requests = [
        _call(
            writes.sync_line_items(
                int(contract["project_id"]),
                int(contract["id"]),
                _line_updates(po, items),
                contract_kind(ctx, int(contract["id"])) or "purchase_order",
            ),
            "add the line (sync by origin_id)",
            skip_if_found=True,
        )
    ]
    if rec is not None:
        _already_there(ctx, "line", rec)


PLANNERS: dict[str, Planner] = {
    "erp_to_procore:vendor:missing_in_procore": vendor_missing,
    "erp_to_procore:vendor:value_mismatch": vendor_name,
    "erp_to_procore:commitment:missing_in_procore": commitment_missing,
    "erp_to_procore:commitment_line:value_mismatch": line_fix,
    "erp_to_procore:commitment_line:missing_in_procore": line_missing,
}
