"""EccPush against EccSimulator over loopback SOAP: live reads as the pull canonicalises them, the
item as a write finds it, account assignment changes, and a created PO found by its reference."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import polars as pl
import pytest
from ecc_seed import PASSWORD, ecc_full_tables, ecc_settings
from sap_seed import MemorySink

from adapters.sap_ecc.adapter import EccAdapter
from adapters.sap_ecc.push import EccPush, alpha
from adapters.sap_ecc.simulator import EccSimulator
from adapters.sap_ecc.writes import BapiError, ItemChange
from adapters.secret import Secret


@pytest.fixture
def sim() -> Iterator[EccSimulator]:
    s = EccSimulator(ecc_full_tables())
    s.start()
    yield s
    s.stop()


@pytest.fixture
async def push(sim: EccSimulator) -> AsyncIterator[EccPush]:
    p = EccPush(ecc_settings(sim), Secret(PASSWORD), backoff=0.001, timeout=5)
    yield p
    await p.aclose()


async def test_a_live_po_reads_exactly_as_the_pull_canonicalises_it(sim: EccSimulator, push: EccPush) -> None:
    adapter = EccAdapter(ecc_settings(sim), Secret(PASSWORD), backoff=0.001, timeout=5)
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()
    frames = adapter.canonicalize(sink.reader)
    for po in ("4500000001", "4500000003"):  # a split item; a shifted currency
        head, lines = await push.purchase_order(po)
        snap_head = frames["erp_commitments"].filter(pl.col("po_number") == po)
        snap_lines = frames["erp_commitment_lines"].filter(pl.col("po_number") == po).sort("item")
        assert head.equals(snap_head) and lines.sort("item").equals(snap_lines), po
    head, lines = await push.purchase_order("4500000099")  # another company code
    assert head.is_empty() and lines.is_empty()


async def test_supplier_name_pads_the_number_as_sap_stores_it(push: EccPush) -> None:
    assert alpha("1") == "0000000001" and alpha("V-1") == "V-1"
    assert await push.supplier_name("1") == "Vendor 1 Steel & Co"
    assert await push.supplier_name("999") is None


async def test_the_item_stamp_moves_when_someone_changes_the_item(sim: EccSimulator, push: EccPush) -> None:
    before = await push.item_now("4500000004", "00010")
    assert before is not None and before["quantity"] == Decimal(1) and before["wbs_element"] == "P-1001-01"
    for line in sim.tables["EKPO"]:
        if (line["EBELN"], line["EBELP"]) == ("4500000004", "00010"):
            line["NETPR"] = Decimal("12000.00")
    after = await push.item_now("4500000004", "00010")
    assert after is not None and after["stamp"] != before["stamp"]
    assert await push.item_now("4500000004", "00090") is None


async def test_an_account_assignment_change_commits_the_new_wbs(sim: EccSimulator, push: EccPush) -> None:
    await push.change("4500000004", [ItemChange("00010", wbs_element="P-1001-02")])
    now = await push.item_now("4500000004", "00010")
    assert now is not None and now["wbs_element"] == "P-1001-02"
    assert sim.commits == 1


async def test_an_unknown_wbs_element_fails_and_commits_nothing(sim: EccSimulator, push: EccPush) -> None:
    before = await push.item_now("4500000004", "00010")
    with pytest.raises(BapiError, match="P-9999 does not exist"):
        await push.change("4500000004", [ItemChange("00010", net_price=Decimal(1), wbs_element="P-9999")])
    assert sim.commits == 0
    assert await push.item_now("4500000004", "00010") == before


async def test_a_created_po_is_found_by_its_reference(sim: EccSimulator, push: EccPush) -> None:
    assert await push.find_po("TIEOUT-X1") is None
    header = {
        "COMP_CODE": "1000",
        "DOC_TYPE": "NB",
        "VENDOR": alpha("2"),
        "CURRENCY": "USD",
        "OUR_REF": "TIEOUT-X1",
    }
    items = [
        {"PO_ITEM": "00010", "SHORT_TEXT": "Rebar", "QUANTITY": Decimal(2), "NET_PRICE": Decimal("10.00")}
    ]
    accounts = [
        {"PO_ITEM": "00010", "SERIAL_NO": "01", "WBS_ELEMENT": "P-1001-01", "GL_ACCOUNT": alpha("510000")}
    ]
    po = await push.create(header, items, accounts)
    assert await push.find_po("TIEOUT-X1") == po
    head, lines = await push.purchase_order(po)
    assert head["supplier"].to_list() == ["2"]
    assert lines.select("amount", "wbs_element", "gl_account").rows() == [
        (Decimal("20.00"), "P-1001-01", "510000")
    ]
