"""Procore's wire against a hostile or broken server, over loopback (issue 9, items 5-9 and 11).

Quick on purpose (not marked slow): the quick run exercises the Procore client's HTTP
path here, its OAuth token, its paging and its faults, against the real simulator.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from procore_fixtures import COMPANY_ID, DictSink, FakeClock, make_sim, secret, settings_for

from adapters.base import BudgetExhausted, Cancelled, ResponseError
from adapters.procore.adapter import ProcoreAdapter
from adapters.procore.client import ProcoreClient
from adapters.procore.simulator import ProcoreSimulator
from adapters.simkit import Fault, SimResponse, SimServer
from reconcile.pull import pull_source
from reconcile.store import Store

VENDORS = "/rest/v1.0/vendors"


async def read_vendors(sim: ProcoreSimulator, **kw: Any) -> tuple[ProcoreClient, list[Any]]:
    """Every vendor page through the client's own paging; the seed has 6 vendors, the cap is 3."""
    client = ProcoreClient(settings_for(sim.base_url, per_page=50), secret(), **kw)
    out: list[Any] = []
    try:
        async for page, _ in client.pages(VENDORS, resource="vendors", params={"company_id": COMPANY_ID}):
            out += page
    finally:
        await client.aclose()
    return client, out


def api_requests(server: SimServer, pattern: str = "vendors$") -> int:
    return len(server.requests(pattern))


async def test_token_and_pages_over_loopback(sim: ProcoreSimulator) -> None:
    client, vendors = await read_vendors(sim)
    assert [v["id"] for v in vendors] == [900, 901, 902, 903, 904, 999]
    assert client.auth.tokens_fetched == 1 and sim.tokens_issued == 1
    assert api_requests(sim.server) == 2  # two pages at the server's cap of 3, no more


# -- item 5: a next link is followed only under the base URL ----------------------------------


@pytest.fixture
def stranger() -> Any:
    """Another server on another port that records whatever reaches it."""
    seen: list[dict[str, str]] = []

    def anything(req: Any) -> SimResponse:
        seen.append(req.headers)
        return SimResponse.json([], headers={"Total": "0"})

    server = SimServer([("GET", r"/.*", anything)], name="stranger")
    server.start()
    yield server, seen
    server.stop()


async def test_next_link_to_another_port_is_not_followed(sim: ProcoreSimulator, stranger: Any) -> None:
    server, seen = stranger
    sim.faults.add(Fault("next_link_host", path="vendors$", body=server.base_url.encode(), times=-1))
    with pytest.raises(ResponseError) as info:
        await read_vendors(sim)
    msg = str(info.value)
    assert server.base_url in msg and VENDORS in msg and "not under" in msg
    assert seen == []  # the token and the company id never left for the stranger


@pytest.mark.parametrize("target", ["https://{host}", "http://evil.example", "http://user:pw@{host}"])
async def test_next_link_to_another_scheme_or_host_is_not_followed(
    sim: ProcoreSimulator, target: str
) -> None:
    host = sim.base_url.removeprefix("http://")
    sim.faults.add(Fault("next_link_host", path="vendors$", body=target.format(host=host).encode()))
    with pytest.raises(ResponseError, match="not under"):
        await read_vendors(sim)
    assert api_requests(sim.server) == 1


@pytest.mark.slow
async def test_hostile_next_link_fails_the_pull_and_keeps_the_current_snapshot(
    sim: ProcoreSimulator, stranger: Any, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s.duckdb")
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret())
    good = await pull_source(store, adapter)
    await adapter.aclose()
    assert good.ok
    server, seen = stranger
    sim.faults.add(Fault("next_link_host", path="vendors$", body=server.base_url.encode(), times=-1))
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret())
    bad = await pull_source(store, adapter, full=True)
    await adapter.aclose()
    assert not bad.ok and server.base_url in (bad.error or "")
    current = store.current_snapshot("procore")
    assert current is not None and current.id == good.snapshot_id
    failed = store.snapshot(bad.snapshot_id)
    assert failed is not None and failed.status == "failed"
    assert seen == []


# -- item 6: paging always ends -----------------------------------------------------------------


async def test_next_link_back_to_page_one_stops(sim: ProcoreSimulator) -> None:
    sim.faults.add(Fault("next_link_loop", path="vendors$", times=-1))
    with pytest.raises(ResponseError) as info:
        await read_vendors(sim)
    assert VENDORS in str(info.value) and "the pull stopped" in str(info.value)
    assert api_requests(sim.server) <= 3


async def test_endless_next_links_stop_at_what_total_promised(sim: ProcoreSimulator) -> None:
    sim.faults.add(Fault("next_link_endless", path="vendors$", times=-1))
    with pytest.raises(ResponseError, match=r"Total header \(6 records\)"):
        await read_vendors(sim)
    assert api_requests(sim.server) == 3  # the two real pages, one empty page past them, then stop


async def test_more_records_than_total_promised_stop(sim: ProcoreSimulator) -> None:
    body = b'[{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]'
    sim.faults.add(Fault("malformed", path="vendors$", body=body, headers={"Total": "2"}, times=-1))
    with pytest.raises(ResponseError, match="4 records by page 1, more than the 2 its Total header promised"):
        await read_vendors(sim)


# -- items 7 and 8: every wait is bounded and cancellable -----------------------------------------


async def test_huge_retry_after_stops_resumably_saying_when(sim: ProcoreSimulator) -> None:
    clock = FakeClock()
    sim.faults.add(Fault("status", path="vendors$", status=429, headers={"Retry-After": "100000"}))
    with pytest.raises(BudgetExhausted) as info:
        await read_vendors(sim, sleep=clock.sleep, clock=clock)
    msg = str(info.value)
    assert "tieout pull --resume" in msg and "27.8 h" in msg and "UTC" in msg
    assert clock.slept == 0  # not one second of the 28 hours was slept


async def test_short_retry_after_is_still_obeyed(sim: ProcoreSimulator) -> None:
    clock = FakeClock()
    sim.faults.add(Fault("status", path="vendors$", status=503, headers={"Retry-After": "20"}))
    _, vendors = await read_vendors(sim, sleep=clock.sleep, clock=clock)
    assert len(vendors) == 6 and clock.slept >= 20


async def test_a_wait_sees_the_cancel(sim: ProcoreSimulator) -> None:
    """Ctrl-C during a rate-limit wait stops the pull within one short step, not after the wait."""
    sink = DictSink()
    stopped = {"flag": False}
    sink.cancelled = lambda: stopped["flag"]  # type: ignore[method-assign]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        stopped["flag"] = True  # the person presses Ctrl-C while the pull sleeps
        await asyncio.sleep(0)

    sim.faults.add(Fault("status", path="projects$", status=429, headers={"Retry-After": "25"}))
    adapter = ProcoreAdapter(settings_for(sim.base_url), secret(), sleep=sleep)
    with pytest.raises(Cancelled, match="cancelled"):
        await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()
    assert sum(slept) <= 0.25


async def test_max_wait_comes_from_the_profile(seed: dict[str, Any]) -> None:
    """No max_wait argument: the profile's procore.max_wait_minutes stops a wait for the hourly reset."""
    clock = FakeClock()
    sim = make_sim(seed, per_page_cap=3, rate_limit_hour=40, rate_limit_spike=100, clock=clock)
    sim.start()
    try:
        for _ in range(30):  # the company's other integrations spent most of this hour
            sim.limits.take()
        settings = settings_for(sim.base_url, per_page=50, max_concurrency=1, max_wait_minutes=5)
        adapter = ProcoreAdapter(settings, secret(), sleep=clock.sleep, clock=clock)
        with pytest.raises(BudgetExhausted, match="max_wait_minutes"):
            await adapter.pull(DictSink(), full=True, previous=None)
        await adapter.aclose()
    finally:
        sim.stop()
    assert clock.slept <= 5 * 60
    assert sim.limits.refused == 0


# -- item 9: the bucket is told on Procore's clock, not ours ---------------------------------------


@pytest.mark.parametrize("skew", [120.0, -120.0], ids=["server-ahead", "server-behind"])
async def test_clock_skew_does_not_shrink_the_hourly_share(seed: dict[str, Any], skew: float) -> None:
    clock = FakeClock()
    sim = make_sim(
        seed, per_page_cap=50, rate_limit_hour=3600, rate_limit_spike=25, clock=lambda: clock() + skew
    )
    sim.start()
    try:
        settings = settings_for(sim.base_url, per_page=50, max_concurrency=1, max_wait_minutes=1)
        adapter = ProcoreAdapter(settings, secret(), sleep=clock.sleep, clock=clock)
        await adapter.pull(DictSink(), full=True, previous=None)  # no BudgetExhausted: no hour-long wait
        await adapter.aclose()
    finally:
        sim.stop()
    assert adapter.client.pacer.hourly_limit in (None, 3600)  # never the spike bucket's 25
    assert adapter.client.pacer.bucket is not None and adapter.client.pacer.bucket.window == 10.0
    assert sim.limits.refused == 0


# -- item 11: malformed data fails the snapshot, naming endpoint and record ------------------------


@pytest.mark.parametrize(
    "body,expected",
    [
        (
            b'[{"id": 901, "name": "bad \\ud800 name"}]',
            "not valid Unicode (a lone surrogate) in record id 901",
        ),
        (b'[{"id": 5}, {"id": 123456789012345678901234567890}]', "beyond 64 bits in record #1"),
        (b'[{"id": 7, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]", "nests deeper than"),
        (b'[{"id": 8, "x": ' + b"[" * 40 + b"]" * 40 + b"}]", "nests deeper than 32 levels in record id 8"),
    ],
    ids=["surrogate", "int-beyond-64-bits", "deep-recursion", "deep"],
)
async def test_malformed_data_fails_the_snapshot_naming_endpoint_and_record(
    sim: ProcoreSimulator, tmp_path: Path, body: bytes, expected: str
) -> None:
    sim.faults.add(Fault("malformed", path="vendors$", body=body, times=-1))
    store = Store(tmp_path / "s.duckdb")
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret())
    outcome = await pull_source(store, adapter)
    await adapter.aclose()
    assert not outcome.ok
    assert VENDORS in (outcome.error or "") and expected in (outcome.error or "")
    snap = store.snapshot(outcome.snapshot_id)
    assert snap is not None and snap.status == "failed"
    assert store.current_snapshot("procore") is None


async def test_json_money_is_parsed_exactly_never_through_float(sim: ProcoreSimulator) -> None:
    body = b'[{"id": 5, "name": "V", "balance": 12345678901234.5678, "ratio": 0.1000000000000000055511151}]'
    sim.faults.add(Fault("malformed", path="vendors$", body=body, times=-1))
    _, vendors = await read_vendors(sim)
    assert vendors[0]["balance"] == Decimal("12345678901234.5678")
    assert vendors[0]["ratio"] == Decimal("0.1000000000000000055511151")
