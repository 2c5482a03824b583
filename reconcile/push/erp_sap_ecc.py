"""SAP ECC's push port (``erp_ports.ERP_PUSH["sap-ecc"]``): live reads, planners, BAPI writes.

Reads go through RFC_READ_TABLE and the pull's own canonical functions (``adapters.sap_ecc.push``),
so a live record compares with the snapshot exactly as the diff does. Writes are
``BAPI_PO_CHANGE`` and ``BAPI_PO_CREATE1`` with their X structures, each followed by
``BAPI_TRANSACTION_COMMIT`` (WAIT) in the same SOAP session; a RETURN row of type E or A
fails the push and nothing is committed.

ECC has no ETag and no If-Match, so read-before-write is ours alone: the plan keeps the
item's stamp (EKKO-AEDAT, the item's change date EKPO-AEDAT and its values: quantity, price,
price unit, net value, account assignments), and ``exec`` re-reads it just before the BAPI
and refuses when it moved. The window between that re-read and the BAPI is seconds; ECC
offers nothing narrower without a custom enqueue. A create carries its reference in
``POHEADER-OUR_REF`` (EKKO-UNSEZ), looked up first by the plan and again by ``exec``, so a
push retried after a crash finds its PO instead of creating a second one.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from adapters.sap_ecc.push import EccPush, alpha
from adapters.sap_ecc.settings import CREATE_HEADER_DEFAULTS, SapEccSettings
from adapters.sap_ecc.writes import ItemChange, change_parameters, create_parameters, send_change, send_create
from mappings import MappingError, load_mappings
from reconcile.profile import Profile
from reconcile.push.clients import PushClients
from reconcile.push.erp_ports import SourceObject
from reconcile.push.fresh import check_fresh, norm, stamp_of
from reconcile.push.model import HttpCall, PushError
from reconcile.push.plan import PlanContext, Planner, target_currency
from reconcile.push.plan_procore import contract_lines_path
from reconcile.push.source import procore_line_now
from reconcile.secrets import get_secret

__all__ = ["PLANNERS", "SOURCE", "WRITER"]

SYSTEM = "SAP ECC"
READ = "RFC_READ_TABLE"
COMMIT = "BAPI_TRANSACTION_COMMIT (WAIT = 'X') in the same session"
#: EKKO-UNSEZ (``OUR_REF``) is 12 characters: the exception id's 12 hex digits, without its ``X``.
REF_WIDTH = 12


def _ecc(clients: PushClients) -> EccPush:
    client = clients.erp
    if not isinstance(client, EccPush):
        raise PushError(f"The profile's ERP is {clients.profile.erp.kind!r}, not SAP ECC.")
    return client


def _path(clients: PushClients) -> str:
    """The binding's endpoint path (the SOAP POST every call is), once the WSDL was read."""
    endpoint = _ecc(clients).client.endpoint
    return urlsplit(endpoint).path if endpoint else "/sap/bc/srt/rfc (the binding's endpoint)"


def _read_call(clients: PushClients, key: dict[str, str], where: str, purpose: str) -> HttpCall:
    return HttpCall(
        side="erp",
        method="POST",
        path=_path(clients),
        body={"function": READ, "where": where},
        key=key,
        purpose=purpose,
    )


class EccSource:
    """ECC read live: one PO (EKKO/EKPO/EKKN, PRPS for its WBS elements), one vendor (LFA1)."""

    system = SYSTEM

    def clients(self, profile: Profile) -> EccPush:
        erp = profile.erp
        if not isinstance(erp, SapEccSettings):
            raise PushError(f"The profile's ERP is {erp.kind!r}, not SAP ECC.")
        return EccPush(erp, get_secret(profile.name, "erp"))

    def po_call(self, clients: PushClients, po: str, item: str | None) -> HttpCall:
        key = {"po": po, **({"item": item} if item else {})}
        return _read_call(clients, key, f"EKKO, EKPO, EKKN: EBELN = '{po}'", "re-read the source")

    def supplier_call(self, clients: PushClients, supplier: str) -> HttpCall:
        where = f"LFA1: LIFNR = '{alpha(supplier)}'"
        return _read_call(clients, {"supplier": supplier}, where, "re-read the source")

    def read_of(self, call: HttpCall) -> tuple[SourceObject, str, str | None] | None:
        if call.body is None or call.body.get("function") != READ:
            return None
        if "po" in call.key:
            return "po", call.key["po"], call.key.get("item")
        if "supplier" in call.key:
            return "supplier", call.key["supplier"], None
        return None

    async def purchase_order(self, clients: PushClients, po: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        return await _ecc(clients).purchase_order(po)

    async def supplier_name(self, clients: PushClients, supplier: str) -> str | None:
        return await _ecc(clients).supplier_name(supplier)


def _shown(target: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item as the plan shows and compares it (decimals as text, so the plan is JSON)."""
    if target is None:
        return None
    return {k: format(v, "f") if isinstance(v, Decimal) else v for k, v in target.items()}


class EccWriter:
    """The BAPIs, each with its commit in one session; the item and the reference read back."""

    async def reread(self, call: HttpCall, clients: PushClients) -> dict[str, Any] | None:
        return _shown(await _ecc(clients).item_now(call.key["po"], call.key["item"]))

    async def lookup(self, call: HttpCall, clients: PushClients) -> str | None:
        return await _ecc(clients).find_po(call.key["reference"])

    async def send(
        self, call: HttpCall, values: dict[str, str], clients: PushClients
    ) -> tuple[int, str | None, Any]:
        ecc, body = _ecc(clients), call.body or {}
        if body.get("function") == "BAPI_PO_CHANGE":
            messages = await send_change(ecc.client, body["parameters"])
            return 200, str(body["parameters"]["PURCHASEORDER"]), {"messages": messages}
        if body.get("function") == "BAPI_PO_CREATE1":
            po = await send_create(ecc.client, body["parameters"])
            return 201, po, {"purchase_order": po}
        raise PushError(f"Tieout does not send {body.get('function')!r} to SAP ECC.")


# -- planners ------------------------------------------------------------------------------
def _exact(value: Decimal, places: str) -> Decimal | None:
    q = value.quantize(Decimal(places))
    return q if q == value else None


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


def _wbs_of(ctx: PlanContext, code: str) -> str | None:
    """The one WBS element ``cost_codes.csv`` maps to Procore cost ``code``; None (refused) otherwise."""
    try:
        m = load_mappings(ctx.profile.mappings_dir, shape=ctx.profile.erp.shape)
    except MappingError as exc:
        ctx.refuse(str(exc))
        return None
    wbs = m.cost_codes.filter(pl.col("procore_cost_code") == code)["wbs_element"].drop_nulls().unique()
    if wbs.len() != 1:
        ctx.refuse(
            f"Cost code {code} maps back to {wbs.len() or 'no'} WBS elements in cost_codes.csv; change it in SAP ECC."
        )
        return None
    return str(wbs[0])


async def line_to_ecc(ctx: PlanContext) -> None:
    """Make the ECC PO item say what Procore says: price or quantity for amounts, WBS for cost codes."""
    key, plan = ctx.exc["key"], ctx.plan
    po, _, item = key.partition("/")
    rows = ctx.table("erp_commitment_lines").filter((pl.col("po_number") == po) & (pl.col("item") == item))
    if rows.is_empty():
        ctx.refuse(f"SAP ECC item {key} is not in the current ERP snapshot; pull and diff again.")
        return
    snap = rows.row(0, named=True)
    line = await _procore_line(ctx)  # the value written is Procore's now, never the snapshot's
    if line is None:
        return
    seen = str(ctx.exc["procore_value"])
    ecc = _ecc(ctx.clients)
    target = _shown(await ecc.item_now(po, item))
    ctx.plan.reread = _read_call(
        ctx.clients, {"po": po, "item": item}, f"EKKO, EKPO, EKKN: EBELN = '{po}'", "re-read the target"
    )
    if target is None or target.get("deleted"):
        ctx.refuse(f"SAP ECC item {key} is no longer in SAP ECC; pull and diff again.")
        return
    plan.target = target
    plan.stamp_fields = ["stamp"]
    plan.snapshot_stamp = json.dumps({"stamp": norm(snap["etag"])}, sort_keys=True)
    plan.current_stamp = stamp_of(target, plan.stamp_fields)
    if ctx.exc["field"] == "amount":
        if not ctx.same_currency(snap["currency"], f"SAP ECC item {key}"):
            return
        if norm(line.get("amount")) != norm(seen):
            ctx.refuse(
                f"Procore line {line.get('id')} is {line.get('amount')} now, not {seen}; "
                "pull and diff again before pushing."
            )
            return
        want = Decimal(str(line["amount"]))
        qty, price = Decimal(target["quantity"]), Decimal(target["net_price"] or 0)
        per = Decimal(target["price_unit"]) or Decimal(1)
        new_price = _exact(want * per / qty, "0.01") if qty else None
        new_qty = _exact(want * per / price, "0.001") if price and new_price is None else None
        if new_price is not None:
            change = ItemChange(item, net_price=new_price)
            plan.desired = {"net_price": format(new_price, "f")}
            plan.summary = (
                f"Set the net price of SAP ECC item {key} to {new_price} so the item totals {want}."
            )
        elif new_qty is not None:
            change = ItemChange(item, quantity=new_qty)
            plan.desired = {"quantity": format(new_qty, "f")}
            plan.summary = f"Set the quantity of SAP ECC item {key} to {new_qty} so the item totals {want}."
        else:
            ctx.refuse(
                f"{want} is not a whole-cent price or a 3-place quantity of SAP ECC item {key}; change it in SAP ECC."
            )
            return
        plan.action = "change_po_item"
    else:
        if len(target["assignments"]) > 1:
            ctx.refuse(
                f"SAP ECC item {key} is split over {len(target['assignments'])} account assignments; "
                "change it in SAP ECC."
            )
            return
        cost_code = line.get("cost_code")
        code = cost_code.get("full_code") if isinstance(cost_code, dict) else None
        if code != seen:
            ctx.refuse(
                f"Procore line {line.get('id')} has cost code {code} now, not {seen}; "
                "pull and diff again before pushing."
            )
            return
        wbs = _wbs_of(ctx, str(code))
        if wbs is None:
            return
        serial = target["assignments"][0] if target["assignments"] else "01"
        change = ItemChange(item, wbs_element=wbs, serial=serial)
        plan.desired = {"wbs_element": wbs}
        plan.action = "change_account_assignment"
        plan.summary = f"Assign SAP ECC item {key} to WBS element {wbs} (Procore cost code {code})."
    plan.requests = [
        HttpCall(
            side="erp",
            method="POST",
            path=_path(ctx.clients),
            body={
                "function": "BAPI_PO_CHANGE",
                "parameters": change_parameters(po, [change]),
                "then": COMMIT,
            },
            key={"po": po, "item": item},
            purpose="change the PO item, then commit",
        )
    ]
    check_fresh(plan, f"SAP ECC item {key}", SYSTEM)


def reference(exception_id: str) -> str:
    """What a created PO carries in EKKO-UNSEZ, so a retry finds it: the exception id's digits."""
    return exception_id.removeprefix("X")[:REF_WIDTH]


def _supplier_of(ctx: PlanContext, vendor_id: int | None) -> str | None:
    """The ECC vendor a Procore vendor stands for: its vendors.csv row, else its origin_id."""
    if vendor_id is None:
        return None
    try:
        m = load_mappings(ctx.profile.mappings_dir, shape=ctx.profile.erp.shape)
        explicit = m.vendors.filter(pl.col("procore_vendor_id") == vendor_id)["erp_vendor"]
    except MappingError as exc:
        ctx.refuse(str(exc))
        return None
    if explicit.len():
        return str(explicit[0])
    vendor = ctx.table("procore_vendors").filter(pl.col("id") == vendor_id)
    origin = vendor["origin_id"][0] if vendor.height else None
    return str(origin) if origin else None


def _assignment_of(ctx: PlanContext, project: str, code: str) -> tuple[str, str | None] | None:
    """(WBS element, GL account or None) of the one cost_codes.csv row that gives ``code`` within
    the project's WBS; None, with the plan refused, when there is not exactly one."""
    try:
        m = load_mappings(ctx.profile.mappings_dir, shape=ctx.profile.erp.shape)
    except MappingError as exc:
        ctx.refuse(str(exc))
        return None
    roots = m.projects.filter(pl.col("procore_project_number") == project)["wbs_element"].to_list()
    rows = m.cost_codes.filter(
        (pl.col("procore_cost_code") == code) & pl.col("wbs_element").is_not_null()
    ).filter(
        pl.any_horizontal(
            [(pl.col("wbs_element") == r) | pl.col("wbs_element").str.starts_with(f"{r}-") for r in roots]
        )
        if roots
        else pl.lit(False)
    )
    pairs = sorted(
        set(zip(rows["wbs_element"].to_list(), rows["gl_account"].to_list(), strict=True)), key=str
    )
    if len(pairs) != 1:
        ctx.refuse(
            f"Cost code {code} maps back to {len(pairs) or 'no'} WBS elements of project {project} in "
            "cost_codes.csv; create the PO in SAP ECC."
        )
        return None
    wbs, gl = pairs[0]
    return str(wbs), (str(gl) if gl else None)


async def contract_to_ecc(ctx: PlanContext) -> None:
    """Create in ECC the PO a Procore contract stands for (BAPI_PO_CREATE1, then the commit),
    carrying the exception's reference in OUR_REF so a retry finds it instead of creating twice."""
    plan, exc = ctx.plan, ctx.exc
    settings = ctx.profile.erp
    assert isinstance(settings, SapEccSettings)
    missing = [k for k in CREATE_HEADER_DEFAULTS if not settings.create_defaults.get(k)]
    if missing:
        ctx.refuse(
            f"Creating a PO in SAP ECC needs {' and '.join(missing)} in the profile's [erp].create_defaults; "
            "add them or create the PO in SAP ECC."
        )
        return
    cid = ctx.detail.get("procore_id")
    contract = ctx.table("procore_commitments").filter(pl.col("id") == int(cid)) if cid is not None else None
    if contract is None or contract.is_empty():
        ctx.refuse(
            "The Procore contract of this exception is not in the current snapshot; pull and diff again."
        )
        return
    c = contract.row(0, named=True)
    project = str(exc["project"] or "")
    supplier = _supplier_of(ctx, c["vendor_id"])
    if plan.refusal is not None:
        return
    if supplier is None:
        ctx.refuse(
            f"The vendor of Procore contract {c['number']} is linked to no SAP ECC vendor; link it first."
        )
        return
    currency = target_currency(ctx.profile)
    snap_lines = (
        ctx.table("procore_commitment_lines").filter(pl.col("contract_id") == c["id"]).sort("position")
    )
    path = contract_lines_path(ctx, int(c["id"]))
    if path is None or snap_lines.is_empty():
        ctx.refuse(
            f"Procore contract {c['number']} has no lines in the current snapshot; pull and diff again."
        )
        return
    # The values written are Procore's now: every line re-read, and refused when one moved.
    items: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    params = {"project_id": str(c["project_id"])}
    for snap in snap_lines.iter_rows(named=True):
        line = await procore_line_now(ctx, path, params, snap)
        if line is None:
            return
        code = str(snap["cost_code"] or "")
        assignment = _assignment_of(ctx, project, code)
        if assignment is None:
            return
        amount = Decimal(str(line["amount"]))
        if amount != amount.quantize(Decimal("0.01")):
            ctx.refuse(
                f"Procore line {snap['id']} is {amount}, not a whole-cent price; create the PO in SAP ECC."
            )
            return
        item = ctx.profile.erp.shape.keys.item_of_position(int(snap["position"] or len(items) + 1))
        row: dict[str, Any] = {
            "PO_ITEM": item,
            "SHORT_TEXT": str(line.get("description") or snap["description"] or code)[:40],
            "QUANTITY": "1",
            "PO_UNIT": "EA",
            "NET_PRICE": format(amount, "f"),
            "PRICE_UNIT": "1",
            "ACCTASSCAT": "P",
        }
        row |= {k: v for k, v in settings.create_defaults.items() if k not in CREATE_HEADER_DEFAULTS}
        items.append(row)
        wbs, gl = assignment
        accounts.append(
            {
                "PO_ITEM": item,
                "SERIAL_NO": "01",
                "WBS_ELEMENT": wbs,
                **({"GL_ACCOUNT": alpha(gl)} if gl else {}),
            }
        )
    ref = reference(exc["exception_id"])
    header = {
        "COMP_CODE": settings.company_code,
        "DOC_TYPE": "NB",
        "VENDOR": alpha(supplier),
        "CURRENCY": currency,
        "OUR_REF": ref,
        **{k: settings.create_defaults[k] for k in CREATE_HEADER_DEFAULTS},
    }
    where = f"EKKO: BUKRS = '{settings.company_code}' AND UNSEZ = '{ref}'"
    plan.lookup = _read_call(ctx.clients, {"reference": ref}, where, "find a PO an earlier attempt created")
    found = await _ecc(ctx.clients).find_po(ref)
    plan.lookup_found = {"purchase_order": found} if found else None
    plan.action = "create_po"
    total = sum((Decimal(i["NET_PRICE"]) for i in items), Decimal(0))
    plan.summary = (
        f"Create in SAP ECC the PO of Procore contract {c['number']}: vendor {supplier}, {len(items)} items, "
        f"{total} {currency}, reference {ref} (EKKO-UNSEZ)."
    )
    plan.requests = [
        HttpCall(
            side="erp",
            method="POST",
            path=_path(ctx.clients),
            body={
                "function": "BAPI_PO_CREATE1",
                "parameters": create_parameters(header, items, accounts),
                "then": COMMIT,
            },
            key={"reference": ref},
            purpose="create the PO, then commit",
            skip_if_found=True,
        )
    ]
    if found and not plan.resumes:
        ctx.refuse(f"SAP ECC already has PO {found} with reference {ref}; pull and diff again.")


PLANNERS: dict[str, Planner] = {
    "procore_to_erp:commitment_line:value_mismatch": line_to_ecc,
    "procore_to_erp:commitment:missing_in_erp": contract_to_ecc,
}
SOURCE = EccSource()
WRITER = EccWriter()
