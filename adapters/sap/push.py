"""Writes to S/4HANA for ``reconcile.push`` (procore_to_erp): plan first, then execute once.

A plan re-reads the target just before the write and carries it, so the analyst sees the
record as it is now and the exact request (method, URL, body, ``If-Match``). Execution
sends exactly that request; SAP's 412/428 become ``TargetChanged``. Supplier invoices carry
the Procore reference in ``SupplierInvoiceIDByInvcgParty`` so a retry after a crash can
look for the invoice first and never post it twice (``find_supplier_invoice``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from adapters.base import ResponseError
from adapters.sap.client import SapClient
from adapters.sap.errors import TargetChanged
from adapters.sap.wire import ODATA_ROOT, format_date, key_predicate, string_literal
from adapters.secret import Secret
from adapters.settings import ErpSettings

PO_SERVICE = "API_PURCHASEORDER_PROCESS_SRV"
INVOICE_SERVICE = "API_SUPPLIERINVOICE_PROCESS_SRV"
#: SAP's reference field is 16 characters, upper case.
REFERENCE_LENGTH = 16


def wire_value(value: Any) -> Any:
    """A Python value in SAP's JSON: Decimal as a string, dates as ``/Date(ms)/``."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, date):
        return format_date(datetime(value.year, value.month, value.day))
    if isinstance(value, float):
        raise TypeError("money must never be a float")
    return value


@dataclass(frozen=True)
class PlannedWrite:
    """One write as it will be sent, with the target as it was just re-read."""

    method: str  # "PATCH" | "POST"
    service: str
    entity_set: str
    key: dict[str, str]
    body: dict[str, Any]
    etag: str | None = None  # sent as If-Match
    target: dict[str, Any] | None = None  # the record now (None for a create)

    @property
    def path(self) -> str:
        pred = key_predicate(self.key) if self.key else ""
        return f"{ODATA_ROOT}/{self.service}/{self.entity_set}{pred}"

    def headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json", "X-CSRF-Token": "<fetched just before sending>"}
        if self.etag:
            h["If-Match"] = self.etag
        return h


@dataclass
class WriteResult:
    status: int
    etag: str | None = None
    document: str | None = None  # e.g. "5105600001/2025" for a supplier invoice
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InvoiceLine:
    purchase_order: str
    item: str
    amount: Decimal
    quantity: Decimal
    unit: str


class SapPush:
    """Plans and executes the S/4HANA writes of issue 5."""

    def __init__(self, settings: ErpSettings, secret: Secret, **client_options: Any) -> None:
        self.client = SapClient(settings, secret, **client_options)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _plan_patch(
        self, entity_set: str, key: dict[str, str], changes: dict[str, Any], expected_etag: str | None
    ) -> PlannedWrite:
        target, etag = await self.client.entity(PO_SERVICE, entity_set, key)
        if expected_etag is not None and etag != expected_etag:
            rec = "/".join(key.values())
            raise TargetChanged(
                f"{entity_set} {rec} changed in SAP since the snapshot; pull again before pushing.",
                entity=entity_set,
                key=rec,
                status=412,
            )
        body = {k: wire_value(v) for k, v in changes.items()}
        return PlannedWrite("PATCH", PO_SERVICE, entity_set, key, body, etag, target)

    async def plan_item_change(
        self, po: str, item: str, changes: dict[str, Any], *, expected_etag: str | None = None
    ) -> PlannedWrite:
        """Change quantity or price of a PO item (``OrderQuantity``, ``NetPriceAmount``, ...)."""
        key = {"PurchaseOrder": po, "PurchaseOrderItem": item}
        return await self._plan_patch("A_PurchaseOrderItem", key, changes, expected_etag)

    async def plan_assignment_change(
        self, po: str, item: str, number: str, changes: dict[str, Any], *, expected_etag: str | None = None
    ) -> PlannedWrite:
        """Change an account assignment (``WBSElement``, ``GLAccount``, ``CostCenter``)."""
        key = {"PurchaseOrder": po, "PurchaseOrderItem": item, "AccountAssignmentNumber": number}
        return await self._plan_patch("A_PurOrdAccountAssignment", key, changes, expected_etag)

    def plan_supplier_invoice(
        self,
        *,
        company_code: str,
        invoicing_party: str,
        reference: str,
        document_date: date,
        posting_date: date,
        currency: str,
        gross_amount: Decimal,
        lines: list[InvoiceLine],
    ) -> PlannedWrite:
        """A supplier invoice referencing PO items (deep insert of ``to_SuplrInvcItemPurOrdRef``)."""
        reference = reference.upper()
        if len(reference) > REFERENCE_LENGTH:
            raise ResponseError(
                f"The invoice reference {reference!r} is longer than SAP's {REFERENCE_LENGTH} characters."
            )
        body = {
            "CompanyCode": company_code,
            "DocumentDate": wire_value(document_date),
            "PostingDate": wire_value(posting_date),
            "InvoicingParty": invoicing_party,
            "DocumentCurrency": currency,
            "InvoiceGrossAmount": wire_value(gross_amount),
            "SupplierInvoiceIDByInvcgParty": reference,
            "TaxIsCalculatedAutomatically": False,
            "to_SuplrInvcItemPurOrdRef": {
                "results": [
                    {
                        "SupplierInvoiceItem": f"{i:06d}",
                        "PurchaseOrder": ln.purchase_order,
                        "PurchaseOrderItem": ln.item,
                        "DocumentCurrency": currency,
                        "SupplierInvoiceItemAmount": wire_value(ln.amount),
                        "PurchaseOrderQuantityUnit": ln.unit,
                        "QuantityInPurchaseOrderUnit": wire_value(ln.quantity),
                    }
                    for i, ln in enumerate(lines, start=1)
                ]
            },
        }
        return PlannedWrite("POST", INVOICE_SERVICE, "A_SupplierInvoice", {}, body)

    async def find_supplier_invoice(self, reference: str, invoicing_party: str) -> str | None:
        """The ``SupplierInvoice/FiscalYear`` already posted with this reference, if any (exactly once)."""
        flt = (
            f"SupplierInvoiceIDByInvcgParty eq {string_literal(reference.upper())} "
            f"and InvoicingParty eq {string_literal(invoicing_party)}"
        )
        async for page in self.client.pages(
            INVOICE_SERVICE, "A_SupplierInvoice", select=["SupplierInvoice", "FiscalYear"], filter=flt
        ):
            for rec in page.records:
                return f"{rec.get('SupplierInvoice')}/{rec.get('FiscalYear')}"
        return None

    async def execute(self, plan: PlannedWrite) -> WriteResult:
        """Send the planned write once. ``TargetChanged`` on 412/428; other refusals as adapter errors."""
        if plan.method == "PATCH":
            etag = await self.client.patch(plan.service, plan.entity_set, plan.key, plan.body, plan.etag)
            return WriteResult(204, etag=etag)
        answer = await self.client.create(plan.service, plan.entity_set, plan.body)
        doc = (
            f"{answer.get('SupplierInvoice')}/{answer.get('FiscalYear')}"
            if answer.get("SupplierInvoice")
            else None
        )
        return WriteResult(201, document=doc, answer=answer)
