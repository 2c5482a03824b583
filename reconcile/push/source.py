"""The source of a push, read as it is now: the values a push copies come from here.

Why: an exception was found on snapshots, and by the time an analyst pushes, the source
may have moved (someone fixed the PO in SAP; the next pull and diff closed the exception).
Copying the snapshot's value then writes a wrong amount into the other system. So a plan
reads the source over HTTP, refuses when it no longer says what the snapshot (and so the
diff) said, and copies the values it just read; ``exec`` reads it once more just before the
write and refuses when it moved since the plan.

A source's *stamp* is the values a push copies from it, normalised (``fresh.norm``) and
written as one JSON text, computed the same way from the snapshot and from the live read.
ERP records are read through the ERP's push port (``erp_ports``), which canonicalises them
with the adapter's own ``canonical`` functions, so "the same" means exactly what the diff
compares.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from reconcile.push.clients import PushClients
from reconcile.push.erp_ports import ErpSource, port_for
from reconcile.push.fresh import norm
from reconcile.push.model import HttpCall, SourceRead
from reconcile.push.plan import PlanContext

#: The canonical line fields a push to Procore copies or derives from, before the ERP's
#: dimensions (the cost code comes from those through cost_codes.csv).
PO_LINE_FIELDS = ("item", "description", "amount", "currency")


def erp_source(c: PushClients) -> ErpSource:
    """The live reader of the profile's ERP (its push port's ``SOURCE``)."""
    return port_for(c.profile.erp.kind).source


def _line_fields(c: PushClients) -> tuple[str, ...]:
    return (*PO_LINE_FIELDS, *c.profile.erp.shape.columns)


def _procore_line_call(path: str, params: dict[str, str], line_id: int) -> HttpCall:
    return HttpCall(
        side="procore", method="GET", path=path, params=params, list_id=line_id, purpose="re-read the source"
    )


def po_stamp(
    head: pl.DataFrame, lines: pl.DataFrame, fields: tuple[str, ...], item: str | None = None
) -> str | None:
    """What a push copies from a PO (its supplier, currency and lines, or one item); None when absent."""
    if head.is_empty():
        return None
    if item is not None:
        lines = lines.filter(pl.col("item") == item)
        if lines.is_empty():
            return None
    h = head.row(0, named=True)
    rows = sorted(([norm(r.get(f)) for f in fields] for r in lines.iter_rows(named=True)), key=str)
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
    read = erp_source(c).read_of(call) if call.side == "erp" else None
    if read is not None and read[0] == "po":
        head, lines = await erp_source(c).purchase_order(c, read[1])
        return po_stamp(head, lines, _line_fields(c), read[2])
    if read is not None and read[0] == "supplier":
        return supplier_stamp(await erp_source(c).supplier_name(c, read[1]))
    if call.side == "procore" and call.list_id is not None:
        return _live_line_stamp(await c.procore_record_in_list(call.path, call.params, call.list_id))
    own = getattr(erp_source(c), "read_stamp", None)  # a source only the ERP's own planners read
    if own is not None:
        return await own(call, c)  # type: ignore[no-any-return]
    raise ValueError(f"no source reader for {call.line()}")


# -- planners' side: read, compare with the snapshot, record ---------------------------------------
def _record(ctx: PlanContext, what: str, call: HttpCall, now: str | None, then: str | None) -> bool:
    """Keep the source read in the plan; refuse (False) when it is gone or is not what the snapshot says."""
    ctx.plan.source = SourceRead(what=what, call=call, stamp=now)
    system = erp_source(ctx.clients).system if call.side == "erp" else "Procore"
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


async def erp_po_now(
    ctx: PlanContext, po: str, item: str | None = None
) -> tuple[dict[str, Any], pl.DataFrame] | None:
    """The ERP PO's header and lines (or one item's) now; None, with the plan refused, when stale."""
    src = erp_source(ctx.clients)
    head, lines = await src.purchase_order(ctx.clients, po)
    snap_head = ctx.table("erp_commitments").filter(pl.col("po_number") == po)
    snap_lines = ctx.table("erp_commitment_lines").filter(pl.col("po_number") == po)
    what = f"{src.system} PO {po}" if item is None else f"{src.system} item {po}/{item}"
    fields = _line_fields(ctx.clients)
    now, then = po_stamp(head, lines, fields, item), po_stamp(snap_head, snap_lines, fields, item)
    if not _record(ctx, what, src.po_call(ctx.clients, po, item), now, then):
        return None
    if item is not None:
        lines = lines.filter(pl.col("item") == item)
    return head.row(0, named=True), lines


async def erp_supplier_now(ctx: PlanContext, supplier: str) -> str | None:
    """The ERP supplier's name now; None, with the plan refused, when stale or gone."""
    src = erp_source(ctx.clients)
    name = await src.supplier_name(ctx.clients, supplier)
    snap = ctx.table("erp_vendors").filter(pl.col("supplier") == supplier)
    then = supplier_stamp(snap["name"][0]) if snap.height and snap["name"][0] is not None else None
    call = src.supplier_call(ctx.clients, supplier)
    ok = _record(ctx, f"{src.system} supplier {supplier}", call, supplier_stamp(name), then)
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
