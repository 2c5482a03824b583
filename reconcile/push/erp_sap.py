"""SAP S/4HANA's push port (``erp_ports.ERP_PUSH["sap-s4"]``): live reads, planners, writes.

Records are read through the adapter's own OData client and canonicalised by the adapter's
own ``canonical`` functions, so a live read compares with the snapshot exactly as the diff
does. Writes are OData PATCHes under ``If-Match`` and supplier invoice POSTs (``plan_sap``).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from adapters.sap.adapter import ACCTS, BP
from adapters.sap.canonical import PURCHASE_ORDERS, SUPPLIERS, commitments, vendors
from adapters.sap.push import PO_SERVICE, SapPush
from adapters.sap.wire import string_literal
from adapters.settings import ErpSettings
from reconcile.profile import Profile
from reconcile.push.clients import PushClients
from reconcile.push.erp_ports import SourceObject
from reconcile.push.model import HttpCall, PushError
from reconcile.push.plan_sap import PLANNERS
from reconcile.secrets import get_secret

__all__ = ["PLANNERS", "SOURCE", "WRITER"]


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


def _clean(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if not k.startswith("__") and not k.startswith("to_")}


async def _records(c: PushClients, service: str, entity_set: str, flt: str, **kw: Any) -> list[Any]:
    out: list[Any] = []
    async for page in c.sap.client.pages(service, entity_set, filter=flt, **kw):
        out += [(str(i), _stripped(r)) for i, r in enumerate(page.records, start=len(out))]
    return out


class SapSource:
    """SAP read live: purchase orders with their account assignments, suppliers."""

    system = "SAP"

    def clients(self, profile: Profile) -> SapPush:
        erp = profile.erp
        if not isinstance(erp, ErpSettings):
            raise PushError(
                f"Pushing to an ERP of kind {erp.kind!r} goes through its own adapter, not SAP's."
            )
        return SapPush(erp, get_secret(profile.name, "erp"))

    def po_call(self, clients: PushClients, po: str, item: str | None) -> HttpCall:
        key = {"PurchaseOrder": po, **({"PurchaseOrderItem": item} if item else {})}
        return HttpCall(
            side="erp",
            method="GET",
            path=clients.sap.client.path(PO_SERVICE, PURCHASE_ORDERS),
            params={"$filter": f"PurchaseOrder eq {string_literal(po)}", "$expand": ACCTS},
            service=PO_SERVICE,
            entity_set=PURCHASE_ORDERS,
            key=key,
            purpose="re-read the source",
        )

    def supplier_call(self, clients: PushClients, supplier: str) -> HttpCall:
        return HttpCall(
            side="erp",
            method="GET",
            path=clients.sap.client.path(BP, SUPPLIERS),
            params={"$filter": f"Supplier eq {string_literal(supplier)}"},
            service=BP,
            entity_set=SUPPLIERS,
            key={"Supplier": supplier},
            purpose="re-read the source",
        )

    def read_of(self, call: HttpCall) -> tuple[SourceObject, str, str | None] | None:
        if call.entity_set == PURCHASE_ORDERS:
            return "po", call.key["PurchaseOrder"], call.key.get("PurchaseOrderItem")
        if call.entity_set == SUPPLIERS:
            return "supplier", call.key["Supplier"], None
        return None

    async def purchase_order(self, clients: PushClients, po: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        call = self.po_call(clients, po, None)
        raw = await _records(clients, PO_SERVICE, PURCHASE_ORDERS, call.params["$filter"], expand=[ACCTS])
        return commitments(lambda resource: raw if resource == PURCHASE_ORDERS else [])

    async def supplier_name(self, clients: PushClients, supplier: str) -> str | None:
        call = self.supplier_call(clients, supplier)
        raw = await _records(clients, BP, SUPPLIERS, call.params["$filter"])
        frame = vendors(lambda resource: raw if resource == SUPPLIERS else [], None)
        return str(frame["name"][0]) if frame.height and frame["name"][0] is not None else None


class SapWriter:
    """OData writes through ``SapPush`` (CSRF, If-Match, the 412/428 mapping)."""

    async def reread(self, call: HttpCall, clients: PushClients) -> dict[str, Any] | None:
        assert call.service and call.entity_set
        target, _etag = await clients.sap.client.entity(call.service, call.entity_set, call.key)
        return _clean(target)

    async def lookup(self, call: HttpCall, clients: PushClients) -> str | None:
        return await clients.sap.find_supplier_invoice(call.key["reference"], call.key["supplier"])

    async def send(
        self, call: HttpCall, values: dict[str, str], clients: PushClients
    ) -> tuple[int, str | None, Any]:
        assert call.service and call.entity_set
        sap = clients.sap
        if call.method == "PATCH":
            etag = await sap.client.patch(
                call.service, call.entity_set, call.key, call.body, call.headers.get("If-Match")
            )
            return 204, None, {"etag": etag}
        d = await sap.client.create(call.service, call.entity_set, call.body)
        doc = f"{d.get('SupplierInvoice')}/{d.get('FiscalYear')}" if d.get("SupplierInvoice") else None
        return 201, doc, _clean(d)


SOURCE = SapSource()
WRITER = SapWriter()
