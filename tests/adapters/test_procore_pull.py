"""Procore pulls end to end over loopback: pages, incremental bounds, resume, canonical frames."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from procore_fixtures import DictSink, make_sim, secret, settings_for

from adapters.base import Cancelled
from adapters.procore.adapter import ProcoreAdapter
from adapters.procore.simulator import ProcoreSimulator
from reconcile.canonical import TABLES

pytestmark = pytest.mark.slow
CAP = 3


def _pages(n: int) -> int:
    return max(1, -(-n // CAP))


def expected_requests(seed: dict[str, Any]) -> Counter[str]:
    """What a full pull must cost: exactly the pages each list needs at the server's cap."""
    d = seed["procore"]
    active = [str(p["id"]) for p in d["projects"] if p["active"]]
    want: Counter[str] = Counter(projects=_pages(len(d["projects"])), vendors=_pages(len(d["vendors"])))
    for pid in active:
        for res in (
            "cost_codes",
            "purchase_order_contracts",
            "work_order_contracts",
            "commitment_change_orders",
            "budget_views",
            "direct_costs",
            "requisitions",
        ):
            want[res] += _pages(len(d[res].get(pid, [])))
        want["budget_detail_rows"] += _pages(len(d["budget_detail_rows"][f"8:{pid}"]))
        want["direct_cost_line_items"] += _pages(
            sum(len(d["direct_cost_line_items"][str(dc["id"])]) for dc in d["direct_costs"][pid])
        )
        for kind in ("purchase_order_contracts", "work_order_contracts"):
            for c in d[kind][pid]:
                want["commitment_line_items"] += _pages(len(d["commitment_line_items"][str(c["id"])]))
        want["requisition_items"] += len(d["requisitions"][pid])
    return want


async def full_pull(sim: ProcoreSimulator, **kw: Any) -> tuple[ProcoreAdapter, DictSink, dict[str, Any]]:
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50, **kw), secret())
    sink = DictSink()
    try:
        hw = await adapter.pull(sink, full=True, previous=None)
    finally:
        await adapter.aclose()
    return adapter, sink, hw


def api_log(sim: ProcoreSimulator) -> list[Any]:
    return [r for r in sim.server.log if r.path != "/oauth/token"]


async def test_full_pull_reads_every_page_and_no_more(sim: ProcoreSimulator, seed: dict[str, Any]) -> None:
    adapter, sink, hw = await full_pull(sim)
    assert Counter(adapter.stats) == expected_requests(seed)
    assert len(api_log(sim)) == sum(expected_requests(seed).values())
    # per_page=50 was asked, the server capped at 3: every page said so and every record arrived.
    assert all(
        "per_page=50" in r.query or "per_page=3" in r.query for r in api_log(sim) if "page=" in r.query
    )
    d = seed["procore"]
    active = [str(p["id"]) for p in d["projects"] if p["active"]]
    assert len(sink.data["purchase_order_contracts"]) == sum(
        len(d["purchase_order_contracts"][p]) for p in active
    )
    assert len(sink.data["commitment_line_items"]) == sum(
        len(d["commitment_line_items"][str(c["id"])])
        for p in active
        for k in ("purchase_order_contracts", "work_order_contracts")
        for c in d[k][p]
    )
    assert hw["since"] and hw["requests"] == adapter.stats
    assert all(r.status == 200 for r in sim.server.log)
    assert sim.tokens_issued == 1


async def test_projects_filter_by_number(sim: ProcoreSimulator) -> None:
    _, sink, _ = await full_pull(sim, projects=["P-1002"])  # the inactive one, asked for by number
    assert {s for s, _ in sink.data["cost_codes"].values()} == {"project:102"}


async def test_canonical_frames_match_schemas_and_money_is_exact(sim: ProcoreSimulator) -> None:
    adapter, sink, _ = await full_pull(sim)
    frames = adapter.canonicalize(sink.reader())
    assert set(frames) == {t for t in TABLES if t.startswith("procore_")}
    for name, frame in frames.items():
        assert dict(frame.schema) == dict(TABLES[name]), name
    budget = frames["procore_budget_lines"]
    assert budget["original_budget_amount"].sum() == Decimal(
        "4000.40"
    )  # view "Procore Standard Budget", rows of 2 projects
    actual = frames["procore_actual_lines"]
    assert set(actual["status"]) == {"approved", "pending"}
    req = actual.filter(actual["source"] == "requisition")
    assert req["amount"].to_list() == [Decimal("210.0000")] * 2
    lines = frames["procore_commitment_lines"]
    assert lines["project_id"].null_count() == 0 and lines["cost_code"].null_count() == 0


async def test_incremental_with_nothing_changed_stays_within_bound(
    sim: ProcoreSimulator, seed: dict[str, Any]
) -> None:
    first, sink, hw = await full_pull(sim)
    sim.server.log.clear()
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret())
    nxt = sink.next_sink()
    await adapter.pull(nxt, full=False, previous=sink.previous(hw))
    await adapter.aclose()
    stats = Counter(adapter.stats)
    projects = 2
    assert stats["commitment_line_items"] == 0 and stats["requisition_items"] == 0
    for res in (
        "purchase_order_contracts",
        "work_order_contracts",
        "direct_costs",
        "direct_cost_line_items",
        "requisitions",
    ):
        assert stats[res] == projects, res  # one empty page per project
    assert stats["vendors"] == 1
    full_rereads = {
        r: first.stats[r]
        for r in ("projects", "cost_codes", "commitment_change_orders", "budget_views", "budget_detail_rows")
    }
    for res, n in full_rereads.items():
        assert stats[res] == n, res
    assert sum(stats.values()) <= 6 * projects + 1 + sum(full_rereads.values())
    assert nxt.snapshot() == sink.snapshot()


async def test_incremental_rereads_lines_only_of_changed_contracts(sim: ProcoreSimulator) -> None:
    _, sink, hw = await full_pull(sim)
    contract = sim.data["purchase_order_contracts"]["100"][4]
    line = sim.data["commitment_line_items"][str(contract["id"])][0]
    line["amount"] = "123.45"
    sim.touch(line)
    sim.touch(contract)
    sim.server.log.clear()
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret())
    nxt = sink.next_sink()
    await adapter.pull(nxt, full=False, previous=sink.previous(hw))
    await adapter.aclose()
    line_requests = [r.path for r in api_log(sim) if r.path.endswith("/line_items") and "contracts" in r.path]
    assert line_requests == [f"/rest/v1.0/purchase_order_contracts/{contract['id']}/line_items"]
    frames = adapter.canonicalize(nxt.reader())
    amounts = dict(
        zip(
            frames["procore_commitment_lines"]["id"],
            frames["procore_commitment_lines"]["amount"],
            strict=True,
        )
    )
    assert amounts[line["id"]] == Decimal("123.45")
    assert len(frames["procore_commitment_lines"]) == len(
        adapter.canonicalize(sink.reader())["procore_commitment_lines"]
    )


async def test_interrupted_pull_resumes_without_rereading(
    sim: ProcoreSimulator, seed: dict[str, Any]
) -> None:
    _, clean, _ = await full_pull(sim)
    clean_total = len(api_log(sim))
    sim.server.log.clear()
    sink = DictSink(cancel_after_units=6)
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret())
    with pytest.raises(Cancelled):
        await adapter.pull(sink, full=True, previous=None)
    sink.cancel_after_units = None
    await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()
    assert sink.snapshot() == clean.snapshot()
    # The resumed pull re-reads only the lists it walks on (projects, a contract list): a page per resource.
    assert len(api_log(sim)) <= clean_total + len(adapter.resources)


async def test_plan_from_previous_snapshot_estimates_requests(
    sim: ProcoreSimulator, seed: dict[str, Any]
) -> None:
    first, sink, hw = await full_pull(sim)
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=CAP), secret())
    rows = await adapter.plan(sink.previous(hw))
    await adapter.aclose()
    planned = sum(r.full_requests for r in rows)
    actual = sum(first.stats.values())
    assert abs(planned - actual) <= 0.1 * actual
    assert {r.resource for r in rows} == set(adapter.resources)


async def test_demo_sized_pull_is_fast(seed: dict[str, Any]) -> None:
    """2,000 contracts with a request each finish in seconds against the simulator."""
    big = seed["procore"]
    lines = big["commitment_line_items"]
    pocs = big["purchase_order_contracts"]["100"]
    template = pocs[0]
    for i in range(1000):
        cid = 500_000 + i
        pocs.append({**template, "id": cid, "number": f"PO-big-{i}", "origin_id": None})
        lines[str(cid)] = [{**li, "id": cid * 10 + k} for k, li in enumerate(lines[str(template["id"])])]
    s = make_sim(seed, per_page_cap=100, rate_limit_hour=1_000_000, rate_limit_spike=100_000)
    s.start()
    try:
        adapter, sink, _ = await full_pull(s)
    finally:
        s.stop()
    assert adapter.stats["commitment_line_items"] == 1018
    assert len(sink.data["commitment_line_items"]) == 54 + 3000


async def test_plan_without_snapshot_probes_totals(sim: ProcoreSimulator) -> None:
    first, _, _ = await full_pull(sim)
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=CAP), secret())
    rows = await adapter.plan(None)
    await adapter.aclose()
    planned = sum(r.full_requests for r in rows)
    actual = sum(first.stats.values())
    assert abs(planned - actual) <= 0.1 * actual
    assert all(getattr(r, "seconds_full", None) is not None for r in rows)  # the limit was seen while probing


async def test_plan_from_previous_snapshot_knows_the_time_at_the_last_reported_limit(
    sim: ProcoreSimulator,
) -> None:
    """Only the 10-second bucket was reported (the usual case): the plan still says how long."""
    _, sink, hw = await full_pull(sim)
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=CAP), secret())
    rows = await adapter.plan(sink.previous(hw))
    await adapter.aclose()
    assert hw["rate_limit_window"] == 10
    planned = sum(r.full_requests for r in rows)
    seconds = sum(r.seconds_full or 0.0 for r in rows)
    assert seconds == pytest.approx(planned / (hw["rate_limit_last"] * 0.8 / 10), rel=0.01)
