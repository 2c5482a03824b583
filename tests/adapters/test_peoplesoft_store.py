"""PeopleSoft through the real orchestrator and DuckDB store: the canonical tables, the window.

Over loopback HTTP to ``PeopleSoftSimulator``: the adapter, ``reconcile.pull`` and the store are
what ``tieout pull`` runs against a customer's Integration Broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from peoplesoft_seed import BU, PASSWORD, SETID, T0, peoplesoft_rows, ps_settings, ps_stamp

from adapters.peoplesoft.adapter import PeopleSoftAdapter
from adapters.peoplesoft.simulator import PeopleSoftSimulator
from adapters.secret import Secret
from adapters.simkit import Fault
from reconcile.canonical import MONEY
from reconcile.pull import pull_source
from reconcile.store import Store

NOW = T0 + timedelta(days=1)


@pytest.fixture
def sim() -> Iterator[PeopleSoftSimulator]:
    s = PeopleSoftSimulator(peoplesoft_rows(), page_cap=2, setid_of={BU: SETID})
    s.start()
    yield s
    s.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "ps.duckdb")
    yield s
    s.close()


def adapter(sim: PeopleSoftSimulator, now: datetime = NOW, **over: Any) -> PeopleSoftAdapter:
    return PeopleSoftAdapter(
        ps_settings(sim.base_url, **over), Secret(PASSWORD), clock=lambda: now, backoff=0.001, timeout=5
    )


def _dist(po: str, line: int, dist: int, amount: str, **over: Any) -> dict[str, Any]:
    row = {
        "BUSINESS_UNIT": BU,
        "PO_ID": po,
        "LINE_NBR": line,
        "SCHED_NBR": 1,
        "DISTRIB_LINE_NUM": dist,
        "VENDOR_ID": "0000000001",
        "CURRENCY_CD": "USD",
        "PO_STATUS": "D",
        "DESCR254_MIXED": "Rebar",
        "MERCHANDISE_AMT": Decimal(amount),
        "ACCOUNT": "510000",
        "DEPTID": "100",
        "PROJECT_ID": "PRJ1",
        "ACTIVITY_ID": "A01",
        "LASTUPDDTTM": ps_stamp(T0),
    }
    return {**row, **over}


async def test_a_full_pull_fills_the_canonical_tables_in_the_peoplesoft_shape(
    sim: PeopleSoftSimulator, store: Store
) -> None:
    sim.rows["PO_DISTRIB"] += [
        # One line over two schedules and three distributions: one commitment line, amounts summed,
        # the ChartFields of the largest distribution.
        _dist("POSPLIT", 1, 1, "100.10", ACCOUNT="520000"),
        _dist("POSPLIT", 1, 2, "300.30", ACCOUNT="530000", ACTIVITY_ID="A02"),
        _dist("POSPLIT", 1, 1, "200.20", SCHED_NBR=2, ACCOUNT="540000"),
        _dist("POCANCEL", 1, 1, "999.99", PO_STATUS="X"),
        _dist("POCADLINE", 1, 1, "10.00"),
        _dist("POCADLINE", 2, 1, "20.00", CANCEL_STATUS="X"),
        _dist("POEUR", 1, 1, "50.00", CURRENCY_CD="EUR"),
    ]
    sim.rows["VENDORS"].append(
        {
            "SETID": SETID,
            "VENDOR_ID": "INACTIVE",
            "NAME1": "Gone Ltd",
            "VENDOR_STATUS": "I",
            "LASTUPDDTTM": ps_stamp(T0),
        }
    )
    a = adapter(sim)
    outcome = await pull_source(store, a)
    await a.aclose()
    assert outcome.ok, outcome.error

    vendors = store.canonical("erp_vendors")
    assert vendors.height == 8
    assert vendors.filter(pl.col("blocked"))["supplier"].to_list() == ["INACTIVE"]

    heads = store.canonical("erp_commitments")
    assert f"{BU}/POCANCEL" not in heads["po_number"].to_list()
    assert heads.filter(pl.col("po_number") == f"{BU}/POEUR")["currency"].to_list() == ["EUR"]

    lines = store.canonical("erp_commitment_lines")
    assert lines.schema["amount"] == MONEY
    split = lines.filter(pl.col("po_number") == f"{BU}/POSPLIT").row(0, named=True)
    assert lines.filter(pl.col("po_number") == f"{BU}/POSPLIT").height == 1
    assert split["item"] == "1" and split["amount"] == Decimal("600.60")
    assert (split["account"], split["deptid"], split["project_id"], split["activity_id"]) == (
        "530000",
        "100",
        "PRJ1",
        "A02",
    )
    assert lines.filter(pl.col("po_number") == f"{BU}/POCADLINE")["item"].to_list() == ["1"]
    # The seed: 4 POs × 2 lines, each over two distributions of 1234567.89 + n + d/100.
    seeded = lines.filter(pl.col("po_number").str.starts_with(f"{BU}/PO000"))
    assert seeded.height == 8
    assert seeded.filter(pl.col("po_number") == f"{BU}/PO00000001")["amount"].to_list() == [
        Decimal("2469137.81"),
        Decimal("2469137.81"),
    ]

    actuals = store.canonical("erp_actuals")
    assert actuals.height == 4 and actuals["amount"].sum() == Decimal("11.20")
    budgets = store.canonical("erp_budgets")
    assert budgets["amount"].sum() == Decimal("5000001.00")
    assert set(budgets["activity_id"].to_list()) == {"A01"}
    hierarchy = store.canonical("erp_hierarchy")
    assert sorted(hierarchy["project"].to_list()) == ["PRJ1", "PRJ2", "PRJ3", "PRJ4"]


async def test_a_row_stamped_at_to_dttm_lands_in_the_store_once_never_twice_never_lost(
    sim: PeopleSoftSimulator, store: Store
) -> None:
    on_the_line = {
        "SETID": SETID,
        "VENDOR_ID": "BOUNDARY",
        "NAME1": "On the line",
        "VENDOR_STATUS": "A",
        "LASTUPDDTTM": ps_stamp(NOW),
    }
    sim.rows["VENDORS"].append(on_the_line)

    def served() -> int:
        return sum(1 for name, row in sim.served if name == "VENDORS" and row["VENDOR_ID"] == "BOUNDARY")

    a = adapter(sim, now=NOW)
    assert (await pull_source(store, a)).ok
    await a.aclose()
    assert served() == 0  # TO_DTTM is exclusive: not this window's
    assert "BOUNDARY" not in store.canonical("erp_vendors")["supplier"].to_list()

    b = adapter(sim, now=NOW + timedelta(hours=1))
    second = await pull_source(store, b)
    await b.aclose()
    assert second.ok and second.carried > 0  # incremental: the rest came forward from the first
    assert served() == 1
    assert store.canonical("erp_vendors")["supplier"].to_list().count("BOUNDARY") == 1

    c = adapter(sim, now=NOW + timedelta(hours=2))
    assert (await pull_source(store, c)).ok
    await c.aclose()
    assert served() == 1  # past the overlap: never read twice
    assert store.canonical("erp_vendors")["supplier"].to_list().count("BOUNDARY") == 1


async def test_a_fault_mid_pull_fails_the_snapshot_and_keeps_the_previous(
    sim: PeopleSoftSimulator, store: Store
) -> None:
    a = adapter(sim)
    assert (await pull_source(store, a)).ok
    await a.aclose()
    before = store.canonical("erp_commitment_lines")

    sim.rows["PO_DISTRIB"][0]["MERCHANDISE_AMT"] = Decimal("1.00")
    sim.rows["PO_DISTRIB"][0]["LASTUPDDTTM"] = ps_stamp(NOW + timedelta(minutes=30))
    sim.faults.add(Fault("status", path="TIEOUT_LEDGER", status=503, times=-1, headers={"Retry-After": "0"}))
    b = adapter(sim, now=NOW + timedelta(hours=1))
    failed = await pull_source(store, b)
    await b.aclose()
    assert not failed.ok and "TIEOUT_LEDGER.v1" in (failed.error or "")
    assert store.canonical("erp_commitment_lines").equals(before)

    sim.faults.clear()
    c = adapter(sim, now=NOW + timedelta(hours=1))
    resumed = await pull_source(store, c, resume=True)
    await c.aclose()
    assert resumed.ok, resumed.error
    po1 = store.canonical("erp_commitment_lines").filter(pl.col("po_number") == f"{BU}/PO00000001")
    assert sorted(po1["amount"].to_list()) == [Decimal("1234569.91"), Decimal("2469137.81")]


async def test_an_oauth2_node_is_pulled_into_the_store_and_a_refused_token_names_the_mode(
    store: Store,
) -> None:
    with PeopleSoftSimulator(peoplesoft_rows(), auth="oauth2", setid_of={BU: SETID}) as sim:
        good = PeopleSoftAdapter(
            ps_settings(sim.base_url, auth="oauth2", token_url=sim.token_url, client_id="tieout"),
            Secret("sim-secret"),
            clock=lambda: NOW,
            backoff=0.001,
            timeout=5,
        )
        outcome = await pull_source(store, good)
        await good.aclose()
        assert outcome.ok, outcome.error
        assert store.canonical("erp_vendors").height == 7
        assert sim.server.requests("oauth2/token")

        bad = PeopleSoftAdapter(
            ps_settings(sim.base_url, auth="oauth2", token_url=sim.token_url, client_id="tieout"),
            Secret("wrong"),
            clock=lambda: NOW,
            backoff=0.001,
            timeout=5,
        )
        failed = await pull_source(store, bad, full=True)
        await bad.aclose()
    # A wrong client secret is refused by the token endpoint: the sentence names the client, never the secret.
    error = failed.error or ""
    assert not failed.ok and "refused the credentials for client 'tieout'" in error and "wrong" not in error
    assert store.canonical("erp_vendors").height == 7  # the failed pull left the snapshot as it was


async def test_an_inactive_operation_fails_the_snapshot_with_the_admin_sentence(
    sim: PeopleSoftSimulator, store: Store
) -> None:
    sim.inactive.add("LEDGER")
    a = adapter(sim)
    outcome = await pull_source(store, a)
    await a.aclose()
    assert not outcome.ok
    assert "TIEOUT_LEDGER.v1 is not active on node PSFT_EP" in (outcome.error or "")
    assert "activate" in (outcome.error or "")
