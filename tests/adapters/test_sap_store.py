"""SapAdapter through the real orchestrator and DuckDB store: snapshots, carry-forward, demo scale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sap_seed import CLIENT_ID, CLIENT_SECRET, erp_settings, sap_seed

from adapters.sap.adapter import SapAdapter
from adapters.sap.simulator import SapSimulator
from adapters.sap.wire import ODATA_ROOT, format_date
from adapters.simkit import Fault
from reconcile.canonical import MONEY
from reconcile.pull import pull_source
from reconcile.secrets import Secret
from reconcile.store import Store


@pytest.fixture
def sim() -> Iterator[SapSimulator]:
    s = SapSimulator(sap_seed(), client_id=CLIENT_ID, client_secret=CLIENT_SECRET, page_size=10)
    s.start()
    yield s
    s.stop()


def adapter(sim: SapSimulator) -> SapAdapter:
    return SapAdapter(erp_settings(sim.base_url), Secret(CLIENT_SECRET), backoff=0.001)


async def test_snapshots_and_incremental_carry_forward(sim: SapSimulator, tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    a = adapter(sim)
    first = await pull_source(store, a)
    assert first.ok, first.error
    lines = store.canonical("erp_commitment_lines")
    assert lines.schema["amount"] == MONEY and lines.height == 29 * 4 - 0
    total = lines["amount"].sum()

    # A changed item comes back through the PO delta; the rest is carried forward.
    sim.data["A_PurOrdAccountAssignment"][0]["PurgDocNetAmount"] = "1.000"
    sim.data["A_PurchaseOrder"][0]["LastChangeDateTime"] = format_date(datetime.now(UTC), offset=True)
    sim._etags.clear()
    second = await pull_source(store, a)
    assert second.ok and second.carried > 0
    after = store.canonical("erp_commitment_lines")
    assert after.height == lines.height
    old = Decimal(sim_seed_amount())
    assert after["amount"].sum() == total - old + Decimal("1.000")
    changed = after.filter(pl.col("po_number") == "4500000001", pl.col("item") == "00010")
    assert changed["amount"].to_list() == [Decimal("1.000")]
    await a.aclose()
    store.close()


def sim_seed_amount() -> str:
    return str(sap_seed()["sap"]["A_PurOrdAccountAssignment"][0]["PurgDocNetAmount"])


async def test_failed_pull_keeps_the_previous_snapshot(sim: SapSimulator, tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    a = adapter(sim)
    first = await pull_source(store, a)
    sim.faults.add(Fault("malformed", path="A_EnterpriseProject$", times=-1))
    failed = await pull_source(store, a, full=True)
    assert not failed.ok and "A_EnterpriseProject page 1 is not an OData collection" in (failed.error or "")
    current = store.current_snapshot("erp")
    assert current is not None and current.id == first.snapshot_id
    await a.aclose()
    store.close()


@pytest.mark.slow
async def test_demo_scale_full_pull(tmp_path: Path) -> None:
    """~200 suppliers, ~2,000 POs, ~10,000 items through the store (it takes a few seconds)."""
    seed = sap_seed(suppliers=200, pos=2000, items=5, projects=15)
    with SapSimulator(seed, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as s:
        store = Store(tmp_path / "t.duckdb")
        a = SapAdapter(erp_settings(s.base_url), Secret(CLIENT_SECRET))
        out = await pull_source(store, a)
        assert out.ok, out.error
        assert store.canonical("erp_commitments").height == 1999
        assert store.canonical("erp_commitment_lines").height == 1999 * 6
        po_pages = len(s.server.requests(ODATA_ROOT + ".*A_PurchaseOrder"))
        assert po_pages == 4  # 1,999 POs in pages of 500
        await a.aclose()
        store.close()


async def test_unknown_currency_fails_the_pull_naming_the_record(sim: SapSimulator, tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    a = adapter(sim)
    first = await pull_source(store, a)
    assert first.ok, first.error
    po = sim.data["A_PurchaseOrder"][0]
    po["DocumentCurrency"] = "US$"
    po["LastChangeDateTime"] = format_date(datetime.now(UTC), offset=True)
    sim._etags.clear()
    second = await pull_source(store, a)
    await a.aclose()
    assert not second.ok
    assert second.error == (
        f"SAP A_PurchaseOrder record {po['PurchaseOrder']}: field DocumentCurrency: "
        "'US$' is not an ISO 4217 currency code."
    )
    current = store.current_snapshot("erp")
    assert current is not None and current.id == first.snapshot_id  # the good snapshot stays
    store.close()
