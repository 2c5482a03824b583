"""Procore writes for approve-then-push, over loopback: origin_id look-ups, syncs, no blind retries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from procore_fixtures import DictSink, secret, settings_for

from adapters.base import AdapterError
from adapters.procore.adapter import ProcoreAdapter
from adapters.procore.simulator import ProcoreSimulator
from adapters.simkit import Fault

pytestmark = pytest.mark.slow


async def nosleep(seconds: float) -> None:
    return None


@pytest.fixture
async def adapter(sim: ProcoreSimulator):
    a = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret(), sleep=nosleep)
    yield a
    await a.aclose()


async def test_vendor_create_lookup_and_duplicate(adapter: ProcoreAdapter, sim: ProcoreSimulator) -> None:
    w = adapter.writes
    created = await w.create_vendor({"name": "Acme Steel", "origin_id": "200777"})
    assert [v["id"] for v in await w.find_vendors("200777")] == [created["id"]]
    with pytest.raises(AdapterError, match="origin_id has already been taken"):
        await w.create_vendor({"name": "Acme Steel again", "origin_id": "200777"})
    renamed = await w.update_vendor(created["id"], {"name": "Acme Steel GmbH"})
    assert renamed["name"] == "Acme Steel GmbH" and renamed["updated_at"]


async def test_vendor_sync_links_and_reports_errors(adapter: ProcoreAdapter) -> None:
    result = await adapter.writes.sync_vendors(
        [{"id": 999, "origin_id": "300001"}, {"id": 4242, "name": "ghost"}]
    )
    assert [e["id"] for e in result.entities] == [999]
    assert len(result.errors) == 1 and result.errors[0]["id"] == 4242
    assert (await adapter.writes.get_vendor(999))["origin_id"] == "300001"


async def test_created_contract_and_line_fix_show_in_the_next_incremental_pull(
    adapter: ProcoreAdapter, sim: ProcoreSimulator
) -> None:
    first = DictSink()
    hw = await adapter.pull(first, full=True, previous=None)
    contract, lines = await adapter.writes.create_purchase_order_contract(
        100,
        {"number": "4500009999", "title": "From SAP", "vendor_id": 900, "origin_id": "4500009999"},
        [
            {
                "description": "rebar",
                "amount": "1500.25",
                "cost_code_id": 1000,
                "line_item_type_id": 1,
                "origin_id": "4500009999/00010",
            }
        ],
    )
    assert not lines.errors and lines.entities[0]["cost_code"]["full_code"] == "00-100"
    assert [c["id"] for c in await adapter.writes.find_purchase_order_contracts(100, "4500009999")] == [
        contract["id"]
    ]
    old = sim.data["purchase_order_contracts"]["101"][0]
    old_line = sim.data["commitment_line_items"][str(old["id"])][1]
    await adapter.writes.update_line_item(
        101, old["id"], old_line["id"], {"amount": "99.99", "cost_code_id": 1010}
    )

    sim.server.log.clear()
    nxt = first.next_sink()
    await adapter.pull(nxt, full=False, previous=first.previous(hw))
    read_lines = sorted(
        r.path for r in sim.server.log if r.path.endswith("/line_items") and "contracts/" in r.path
    )
    assert read_lines == sorted(
        f"/rest/v1.0/purchase_order_contracts/{cid}/line_items" for cid in (contract["id"], old["id"])
    )
    frames = adapter.canonicalize(nxt.reader())
    lines_f = frames["procore_commitment_lines"]
    new = lines_f.filter(lines_f["origin_id"] == "4500009999/00010")
    assert new["amount"].to_list() == [Decimal("1500.25")] and new["project_id"].to_list() == [100]
    fixed = lines_f.filter(lines_f["id"] == old_line["id"])
    assert fixed["amount"].to_list() == [Decimal("99.99")] and fixed["cost_code"].to_list() == ["00-100"]


async def test_writes_are_not_retried_blindly(adapter: ProcoreAdapter, sim: ProcoreSimulator) -> None:
    sim.faults.add(Fault("status", path="vendors$", status=500, times=1))
    with pytest.raises(AdapterError, match="HTTP 500"):
        await adapter.writes.create_vendor({"name": "Once Only", "origin_id": "400001"})
    assert len(sim.server.requests("vendors$", method="POST")) == 1
