"""The source of a push, read as it is now: the values a push copies come from here.

Why: an exception was found on snapshots, and by the time an analyst pushes, the source
may have moved (someone fixed the PO in SAP; the next pull and diff closed the exception).
Copying the snapshot's value then writes a wrong amount into the other system. So a plan
reads the source over HTTP, refuses when it no longer says what the snapshot (and so the
diff) said, and copies the values it just read; ``exec`` reads it once more just before the
write and refuses when it moved since the plan.

A source's *stamp* is the values a push copies from it, normalised (``fresh.norm``) and
written as one JSON text, computed the same way from the snapshot and from the live read.
SAP records are canonicalised by the adapter's own ``canonical`` functions, so "the same"
means exactly what the diff compares.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from adapters.sap.adapter import ACCTS, BP
from adapters.sap.canonical import PURCHASE_ORDERS, SUPPLIERS, commitments, vendors
from adapters.sap.push import PO_SERVICE
from adapters.sap.wire import string_literal
from reconcile.push.clients import PushClients
from reconcile.push.fresh import norm
from reconcile.push.model import HttpCall, SourceRead
from reconcile.push.plan import PlanContext

#: The canonical line fields a push to Procore copies or derives from (cost code from the dimensions).
PO_LINE_FIELDS = ("item", "description", "amount", "currency", "wbs_element", "gl_account", "cost_center")


def _stripped(rec: Any) -> Any:
    """A record without ``__metadata`` and ``__deferred`` links, as the pull stores it."""
    if isinstance(rec, dict):
        return {
            k: _stripped(v)
            for k, v in rec.items()
            if k != "__metadata" and not (isinstance(v, dict) and "__deferred" in v)
        }
    if isinstance(rec, list):
        return [_stripped(v) for v in rec]
    return rec


async def _sap_records(c: PushClients, service: str, entity_set: str, flt: str, **kw: Any) -> list[Any]:
    out: list[Any] = []
    async for page in c.sap.client.pages(service, entity_set, filter=flt, **kw):
        out += [(str(i), _stripped(r)) for i, r in enumerate(page.records, start=len(out))]
    return out


def _po_call(c: PushClients, po: str, item: str | None) -> HttpCall:
    key = {"PurchaseOrder": po, **({"PurchaseOrderItem": item} if item else {})}
    return HttpCall(
        side="erp",
        method="GET",
        path=c.sap.client.path(PO_SERVICE, PURCHASE_ORDERS),
        params={"$filter": f"PurchaseOrder eq {string_literal(po)}", "$expand": ACCTS},
        service=PO_SERVICE,
        entity_set=PURCHASE_ORDERS,
        key=key,
        purpose="re-read the source",
    )


def _supplier_call(c: PushClients, supplier: str) -> HttpCall:
    return HttpCall(
        side="erp",
        method="GET",
        path=c.sap.client.path(BP, SUPPLIERS),
        params={"$filter": f"Supplier eq {string_literal(supplier)}"},
        service=BP,
        entity_set=SUPPLIERS,
        key={"Supplier": supplier},
        purpose="re-read the source",
    )


def _procore_line_call(path: str, params: dict[str, str], line_id: int) -> HttpCall:
    return HttpCall(
        side="procore", method="GET", path=path, params=params, list_id=line_id, purpose="re-read the source"
    )


# -- reading each kind of source ---------------------------------------------------------------
async def sap_purchase_order(c: PushClients, po: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The PO's header and lines now, as a pull would canonicalise them (empty when SAP has no such PO)."""
    call = _po_call(c, po, None)
    raw = await _sap_records(c, PO_SERVICE, PURCHASE_ORDERS, call.params["$filter"], expand=[ACCTS])
    return commitments(lambda resource: raw if resource == PURCHASE_ORDERS else [])


async def sap_supplier_name(c: PushClients, supplier: str) -> str | None:
    """The supplier's name now, as a pull would canonicalise it (None when SAP has no such supplier)."""
    call = _supplier_call(c, supplier)
    raw = await _sap_records(c, BP, SUPPLIERS, call.params["$filter"])
    frame = vendors(lambda resource: raw if resource == SUPPLIERS else [], None)
    return str(frame["name"][0]) if frame.height and frame["name"][0] is not None else None


def po_stamp(head: pl.DataFrame, lines: pl.DataFrame, item: str | None = None) -> str | None:
    """What a push copies from a PO (its supplier, currency and lines, or one item); None when absent."""
    if head.is_empty():
        return None
    if item is not None:
        lines = lines.filter(pl.col("item") == item)
        if lines.is_empty():
            return None
    h = head.row(0, named=True)
    rows = sorted(([norm(r[f]) for f in PO_LINE_FIELDS] for r in lines.iter_rows(named=True)), key=str)
    return json.dumps({"supplier": norm(h["supplier"]), "currency": norm(h["currency"]), "lines": rows})


def supplier_stamp(name: str | None) -> str | None:
    return None if name is None else json.dumps({"name": name})


def procore_line_stamp(amount: Any, cost_code: Any) -> str:
    return json.dumps({"amount": norm(amount), "cost_code": norm(cost_code)}, sort_keys=True)


def _live_line_stamp(rec: dict[str, Any] | None) -> str | None:
    if rec is None:
        return None
    code = rec.get("cost_code")
    return procore_line_stamp(rec.get("amount"), code.get("full_code") if isinstance(code, dict) else None)


async def read_stamp(call: HttpCall, c: PushClients) -> str | None:
    """The stamp of a source as it is now (``exec`` calls this just before the write)."""
    if call.side == "erp" and call.entity_set == PURCHASE_ORDERS:
        head, lines = await sap_purchase_order(c, call.key["PurchaseOrder"])
        return po_stamp(head, lines, call.key.get("PurchaseOrderItem"))
    if call.side == "erp" and call.entity_set == SUPPLIERS:
        return supplier_stamp(await sap_supplier_name(c, call.key["Supplier"]))
    if call.side == "procore" and call.list_id is not None:
        return _live_line_stamp(await c.procore_record_in_list(call.path, call.params, call.list_id))
    raise ValueError(f"no source reader for {call.line()}")


# -- planners' side: read, compare with the snapshot, record ---------------------------------------
def _record(ctx: PlanContext, what: str, call: HttpCall, now: str | None, then: str | None) -> bool:
    """Keep the source read in the plan; refuse (False) when it is gone or is not what the snapshot says."""
    ctx.plan.source = SourceRead(what=what, call=call, stamp=now)
    system = "SAP" if call.side == "erp" else "Procore"
    if now is None:
        ctx.refuse(f"{what} is no longer in {system}; pull and diff again before pushing.")
        return False
    if now != then:
        ctx.refuse(
            f"{what} changed in {system} since the last pull, so this exception is stale; "
            "pull and diff again before pushing."
        )
        return False
    return True


async def sap_po_now(
    ctx: PlanContext, po: str, item: str | None = None
) -> tuple[dict[str, Any], pl.DataFrame] | None:
    """The SAP PO's header and lines (or one item's) now; None, with the plan refused, when stale."""
    head, lines = await sap_purchase_order(ctx.clients, po)
    snap_head = ctx.table("erp_commitments").filter(pl.col("po_number") == po)
    snap_lines = ctx.table("erp_commitment_lines").filter(pl.col("po_number") == po)
    what = f"SAP PO {po}" if item is None else f"SAP item {po}/{item}"
    now, then = po_stamp(head, lines, item), po_stamp(snap_head, snap_lines, item)
    if not _record(ctx, what, _po_call(ctx.clients, po, item), now, then):
        return None
    if item is not None:
        lines = lines.filter(pl.col("item") == item)
    return head.row(0, named=True), lines


async def sap_supplier_now(ctx: PlanContext, supplier: str) -> str | None:
    """The SAP supplier's name now; None, with the plan refused, when stale or gone."""
    name = await sap_supplier_name(ctx.clients, supplier)
    snap = ctx.table("erp_vendors").filter(pl.col("supplier") == supplier)
    then = supplier_stamp(snap["name"][0]) if snap.height and snap["name"][0] is not None else None
    ok = _record(
        ctx, f"SAP supplier {supplier}", _supplier_call(ctx.clients, supplier), supplier_stamp(name), then
    )
    return name if ok else None


async def procore_line_now(
    ctx: PlanContext, path: str, params: dict[str, str], snap: dict[str, Any]
) -> dict[str, Any] | None:
    """The Procore commitment line now; None, with the plan refused, when stale or gone."""
    lid = int(snap["id"])
    rec = await ctx.clients.procore_record_in_list(path, params, lid)
    then = procore_line_stamp(snap["amount"], snap["cost_code"])
    ok = _record(
        ctx, f"Procore line {lid}", _procore_line_call(path, params, lid), _live_line_stamp(rec), then
    )
    return rec if ok else None
