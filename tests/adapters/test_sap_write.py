"""The SAP write side over loopback: CSRF tokens, If-Match ETags (412/428), supplier invoices."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
from sap_seed import CLIENT_ID, CLIENT_SECRET, erp_settings, sap_seed

from adapters.base import ResponseError
from adapters.sap.adapter import INVOICE, PO
from adapters.sap.client import SapClient
from adapters.sap.errors import TargetChanged
from adapters.sap.push import InvoiceLine, SapPush
from adapters.sap.simulator import SapSimulator
from adapters.simkit import Fault
from reconcile.secrets import Secret

ITEM = {"PurchaseOrder": "4500000002", "PurchaseOrderItem": "00010"}


@pytest.fixture
def sim() -> Iterator[SapSimulator]:
    s = SapSimulator(sap_seed(pos=5), client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    s.start()
    yield s
    s.stop()


@pytest.fixture
async def client(sim: SapSimulator) -> AsyncIterator[SapClient]:
    c = SapClient(erp_settings(sim.base_url), Secret(CLIENT_SECRET), backoff=0.001)
    yield c
    await c.aclose()


def csrf_fetches(sim: SapSimulator) -> int:
    return len([r for r in sim.server.requests(r"/API_\w+/?$", "GET")])


async def test_patch_item_with_csrf_and_etag(sim: SapSimulator, client: SapClient) -> None:
    before, etag = await client.entity(PO, "A_PurchaseOrderItem", ITEM)
    assert etag and before["NetPriceAmount"] == "124.457"
    head_before, _ = await client.entity(PO, "A_PurchaseOrder", {"PurchaseOrder": "4500000002"})

    new_etag = await client.patch(PO, "A_PurchaseOrderItem", ITEM, {"NetPriceAmount": "130.000"}, etag)
    assert new_etag and new_etag != etag
    after, etag2 = await client.entity(PO, "A_PurchaseOrderItem", ITEM)
    assert after["NetPriceAmount"] == "130.000" and etag2 == new_etag
    # SAP moves the header's change stamp (so the next delta pull sees it) and the net amount follows.
    head_after, _ = await client.entity(PO, "A_PurchaseOrder", {"PurchaseOrder": "4500000002"})
    assert head_after["LastChangeDateTime"] > head_before["LastChangeDateTime"]
    aa, aa_etag = await client.entity(
        PO, "A_PurOrdAccountAssignment", {**ITEM, "AccountAssignmentNumber": "01"}
    )
    assert aa["PurgDocNetAmount"] == "260.000"

    # An account assignment's WBS element, with the same token (fetched once).
    await client.patch(
        PO,
        "A_PurOrdAccountAssignment",
        {**ITEM, "AccountAssignmentNumber": "01"},
        {"WBSElement": "P-1002-01-01"},
        aa_etag,
    )
    assert csrf_fetches(sim) == 1
    patches = sim.server.requests("A_PurOrdAccountAssignment", "PATCH")
    assert [p.status for p in patches] == [204]


async def test_stale_etag_is_target_changed_412(client: SapClient) -> None:
    _, etag = await client.entity(PO, "A_PurchaseOrderItem", ITEM)
    await client.patch(PO, "A_PurchaseOrderItem", ITEM, {"PurchaseOrderItemText": "someone else"}, etag)
    with pytest.raises(TargetChanged) as err:
        await client.patch(PO, "A_PurchaseOrderItem", ITEM, {"NetPriceAmount": "1.000"}, etag)
    assert err.value.status == 412 and err.value.key == "4500000002/00010"
    assert "changed in SAP since it was read" in str(err.value)
    current, _ = await client.entity(PO, "A_PurchaseOrderItem", ITEM)
    assert current["NetPriceAmount"] == "124.457"


async def test_missing_etag_is_target_changed_428(client: SapClient) -> None:
    with pytest.raises(TargetChanged) as err:
        await client.patch(PO, "A_PurchaseOrderItem", ITEM, {"NetPriceAmount": "1.000"}, None)
    assert err.value.status == 428 and "HTTP 428" in str(err.value)


async def test_expired_csrf_token_is_fetched_again_once(sim: SapSimulator, client: SapClient) -> None:
    _, etag = await client.entity(PO, "A_PurchaseOrderItem", ITEM)
    await client.csrf_token(PO)
    sim.faults.add(Fault("expire_csrf", path="A_PurchaseOrderItem"))
    await client.patch(PO, "A_PurchaseOrderItem", ITEM, {"PurchaseOrderItemText": "x"}, etag)
    assert [p.status for p in sim.server.requests("A_PurchaseOrderItem", "PATCH")] == [403, 204]
    assert csrf_fetches(sim) == 2


async def test_write_without_token_is_refused(sim: SapSimulator) -> None:
    async with httpx.AsyncClient(auth=(CLIENT_ID, CLIENT_SECRET)) as raw:
        resp = await raw.patch(
            f"{sim.base_url}/sap/opu/odata/sap/{PO}/A_PurchaseOrderItem(PurchaseOrder='4500000002',PurchaseOrderItem='00010')",
            json={"PurchaseOrderItemText": "x"},
            headers={"If-Match": "*"},
        )
    assert resp.status_code == 403 and resp.headers["x-csrf-token"] == "Required"


async def test_post_supplier_invoice_referencing_the_po(sim: SapSimulator, client: SapClient) -> None:
    body = {
        "CompanyCode": "1000",
        "DocumentDate": "/Date(1736899200000)/",
        "PostingDate": "/Date(1736899200000)/",
        "InvoicingParty": "17300001",
        "DocumentCurrency": "USD",
        "InvoiceGrossAmount": "248.914",
        "SupplierInvoiceIDByInvcgParty": "PAY-APP-7",
        "to_SuplrInvcItemPurOrdRef": {
            "results": [
                {
                    "SupplierInvoiceItem": "000001",
                    "PurchaseOrder": "4500000002",
                    "PurchaseOrderItem": "00010",
                    "DocumentCurrency": "USD",
                    "SupplierInvoiceItemAmount": "248.914",
                    "PurchaseOrderQuantityUnit": "EA",
                    "QuantityInPurchaseOrderUnit": "2.000",
                }
            ]
        },
    }
    created = await client.create(INVOICE, "A_SupplierInvoice", body)
    assert created["SupplierInvoice"] == "5105600001" and created["FiscalYear"] == "2025"
    # Its cost is booked in the posting date's fiscal period (15 January 2025), as SAP does.
    booked = [j for j in sim.data["A_JournalEntryItemBasic"] if j["ID"].startswith("20255105600001")]
    assert [j["FiscalYearPeriod"] for j in booked] == ["2025001"]
    refs = created["to_SuplrInvcItemPurOrdRef"]["results"]
    assert refs[0]["PurchaseOrder"] == "4500000002"
    # Findable again by the vendor's reference: how a push checks it did not already post.
    pages = [
        p
        async for p in client.pages(
            INVOICE, "A_SupplierInvoice", filter="SupplierInvoiceIDByInvcgParty eq 'PAY-APP-7'"
        )
    ]
    assert [r["SupplierInvoice"] for r in pages[0].records] == ["5105600001"]

    body["to_SuplrInvcItemPurOrdRef"]["results"][0]["PurchaseOrder"] = "4599999999"
    with pytest.raises(ResponseError, match=r"Purchase order 4599999999 does not exist \(M8/116\)"):
        await client.create(INVOICE, "A_SupplierInvoice", body)


async def test_push_plans_show_the_request_and_the_target(sim: SapSimulator) -> None:
    push = SapPush(erp_settings(sim.base_url), Secret(CLIENT_SECRET), backoff=0.001)
    _, snap_etag = await push.client.entity(PO, "A_PurchaseOrderItem", ITEM)
    plan = await push.plan_item_change(
        "4500000002", "00010", {"NetPriceAmount": Decimal("125.5")}, expected_etag=snap_etag
    )
    assert (
        plan.path
        == f"/sap/opu/odata/sap/{PO}/A_PurchaseOrderItem(PurchaseOrder='4500000002',PurchaseOrderItem='00010')"
    )
    assert plan.body == {"NetPriceAmount": "125.5"} and plan.headers()["If-Match"] == snap_etag
    assert plan.target is not None and plan.target["NetPriceAmount"] == "124.457"
    result = await push.execute(plan)
    assert result.status == 204 and result.etag != snap_etag
    # The snapshot's ETag is now stale: planning again is refused before anything is sent.
    with pytest.raises(TargetChanged):
        await push.plan_item_change("4500000002", "00010", {"NetPriceAmount": "1"}, expected_etag=snap_etag)

    inv = push.plan_supplier_invoice(
        company_code="1000",
        invoicing_party="17300001",
        reference="req-42",
        document_date=date(2025, 2, 1),
        posting_date=date(2025, 2, 1),
        currency="USD",
        gross_amount=Decimal("100.00"),
        lines=[InvoiceLine("4500000002", "00010", Decimal("100.00"), Decimal("1"), "EA")],
    )
    assert await push.find_supplier_invoice("req-42", "17300001") is None
    done = await push.execute(inv)
    assert done.status == 201 and done.document and done.document.startswith("5105600001/")
    assert await push.find_supplier_invoice("req-42", "17300001") == done.document
    await push.aclose()
