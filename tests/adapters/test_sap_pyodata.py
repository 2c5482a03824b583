"""SAP's own OData V2 client (PyPI ``pyodata``) reads the simulator: proof it speaks real OData V2."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pyodata
import pytest
import requests
from sap_seed import CLIENT_ID, CLIENT_SECRET, sap_seed

from adapters.sap.simulator import SapSimulator

PAGE = 4


@pytest.fixture(scope="module")
def sim() -> Iterator[SapSimulator]:
    logging.getLogger("pyodata").setLevel(logging.ERROR)
    s = SapSimulator(sap_seed(pos=10), client_id=CLIENT_ID, client_secret=CLIENT_SECRET, page_size=PAGE)
    s.start()
    yield s
    s.stop()


def client(sim: SapSimulator, service: str) -> pyodata.Client:
    session = requests.Session()
    session.auth = (CLIENT_ID, CLIENT_SECRET)
    session.params = {"sap-client": "100"}  # type: ignore[assignment]
    return pyodata.Client(f"{sim.base_url}/sap/opu/odata/sap/{service}/", session)


def test_pyodata_lists_purchase_orders_with_expand_and_paging(sim: SapSimulator) -> None:
    po = client(sim, "API_PURCHASEORDER_PROCESS_SRV")
    es = po.entity_sets.A_PurchaseOrder
    page = (
        es.get_entities()
        .filter("CompanyCode eq '1000'")
        .expand("to_PurchaseOrderItem/to_AccountAssignment")
        .count(inline=True)
        .execute()
    )
    orders = list(page)
    assert page.total_count == 9
    pages = 1
    while page.next_url:
        page = es.get_entities().next_url(page.next_url).execute()
        orders.extend(page)
        pages += 1
    assert pages == 3
    assert [o.PurchaseOrder for o in orders] == [f"{4500000001 + n}" for n in range(10) if n != 7]
    first = orders[1]
    assert isinstance(first.LastChangeDateTime, datetime) and first.LastChangeDateTime.tzinfo is not None
    items = first.to_PurchaseOrderItem
    assert [i.PurchaseOrderItem for i in items] == ["00010", "00020", "00030"]
    assert Decimal(items[0].NetPriceAmount) == Decimal(
        "124.457"
    )  # pyodata keeps Edm.Decimal as the wire string
    (aa,) = items[0].to_AccountAssignment
    assert Decimal(aa.PurgDocNetAmount) == Decimal("248.914")
    assert first.etag and first.etag.startswith('W/"')


def test_pyodata_reads_suppliers_and_a_single_entity(sim: SapSimulator) -> None:
    bp = client(sim, "API_BUSINESS_PARTNER")
    suppliers = []
    page = bp.entity_sets.A_Supplier.get_entities().select("Supplier,SupplierName,PostingIsBlocked").execute()
    suppliers.extend(page)
    while page.next_url:
        page = bp.entity_sets.A_Supplier.get_entities().next_url(page.next_url).execute()
        suppliers.extend(page)
    assert len(suppliers) == 12
    assert suppliers[3].PostingIsBlocked is True
    one = bp.entity_sets.A_Supplier.get_entity("17300002").execute()
    assert one.SupplierName == "Supplier 2 & Sons"
    assert bp.entity_sets.A_Supplier.get_entities().count().execute() == 12


def test_pyodata_reads_the_custom_budget_service(sim: SapSimulator) -> None:
    budget = client(sim, "ZTIEOUT_WBS_BUDGET_SRV")
    rows = list(budget.entity_sets.WBSBudget.get_entities().filter("FiscalYear eq '2025'").top(3).execute())
    assert [Decimal(r.BudgetAmount) for r in rows] == [
        Decimal("101000"),
        Decimal("102000"),
        Decimal("103000"),
    ]
