"""Procore fault modes over loopback: each one gives the clean result or one clean sentence."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from procore_fixtures import CLIENT_SECRET, DictSink, FakeClock, make_sim, secret, settings_for

from adapters.base import (
    AdapterError,
    AuthError,
    BudgetExhausted,
    PermissionDenied,
    ResponseError,
    UnreachableError,
)
from adapters.procore.adapter import ProcoreAdapter
from adapters.procore.simulator import ProcoreSimulator
from adapters.simkit import Fault
from reconcile.secrets import Secret

pytestmark = pytest.mark.slow


async def nosleep(seconds: float) -> None:
    return None


async def pull(sim: ProcoreSimulator, *, secret_value: Secret | None = None, **kw: Any) -> DictSink:
    adapter = ProcoreAdapter(
        settings_for(sim.base_url, per_page=50), secret_value or secret(), sleep=nosleep, **kw
    )
    sink = DictSink()
    try:
        await adapter.pull(sink, full=True, previous=None)
    finally:
        await adapter.aclose()
    return sink


@pytest.fixture
async def clean(sim: ProcoreSimulator) -> dict[str, Any]:
    sink = await pull(sim)
    sim.server.log.clear()
    return sink.snapshot()


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", path="purchase_order_contracts$", status=429, headers={"Retry-After": "2"}, times=2),
        Fault("status", path="line_items$", status=500, times=3),
        Fault("status", path="direct_costs$", status=503, times=1),
        Fault("status", path="cost_codes$", status=502, after=1, times=2),
        Fault("drop", path="line_items$", after=3, times=2),
        Fault("slow", path="vendors$", seconds=0.3, times=1),
        Fault("expire_tokens", path="work_order_contracts$", after=1, times=1),
    ],
    ids=["429", "500", "503", "502", "drop", "slow", "expire_tokens"],
)
async def test_transient_faults_give_the_clean_result(
    sim: ProcoreSimulator, clean: dict[str, Any], fault: Fault
) -> None:
    sim.faults.add(fault)
    sink = await pull(sim)
    assert fault.fired == fault.times
    assert sink.snapshot() == clean


async def test_token_expiry_mid_pull_renews_once(sim: ProcoreSimulator, clean: dict[str, Any]) -> None:
    issued = sim.tokens_issued
    sim.faults.add(Fault("expire_tokens", path="requisitions$", after=1, times=1))
    sink = await pull(sim)
    assert sim.tokens_issued == issued + 2  # the first token, and exactly one renewal
    assert sum(1 for r in sim.server.log if r.status == 401) >= 1
    assert sink.snapshot() == clean


async def test_persistent_500_becomes_one_sentence(sim: ProcoreSimulator) -> None:
    sim.faults.add(Fault("status", path="budget_views$", status=500, times=-1))
    with pytest.raises(AdapterError) as info:
        await pull(sim)
    assert "HTTP 500" in str(info.value) and "/rest/v1.0/budget_views" in str(info.value)
    assert 5 <= len(sim.server.requests("budget_views$")) <= 10  # a try and four retries, per project at most


async def test_wrong_secret_is_an_auth_error_naming_procore(sim: ProcoreSimulator) -> None:
    with pytest.raises(AuthError) as info:
        await pull(sim, secret_value=Secret("not-the-secret"))
    msg = str(info.value)
    assert "Procore" in msg and "tieout login" in msg and "not-the-secret" not in msg


async def test_unreachable_host() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    adapter = ProcoreAdapter(settings_for(f"http://127.0.0.1:{port}"), secret(), sleep=nosleep)
    with pytest.raises(UnreachableError) as info:
        await adapter.pull(DictSink(), full=True, previous=None)
    await adapter.aclose()
    assert "Cannot reach" in str(info.value) and f"127.0.0.1:{port}" in str(info.value)


async def test_unreachable_api_after_login(sim: ProcoreSimulator) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = settings_for(f"http://127.0.0.1:{port}").model_copy(update={"login_url": sim.base_url})
    adapter = ProcoreAdapter(settings, secret(), sleep=nosleep)
    with pytest.raises(UnreachableError, match="Cannot reach Procore at"):
        await adapter.pull(DictSink(), full=True, previous=None)
    await adapter.aclose()


async def test_malformed_page_names_the_endpoint(sim: ProcoreSimulator) -> None:
    sim.faults.add(Fault("malformed", path="work_order_contracts$", times=-1))
    with pytest.raises(ResponseError, match=r"/rest/v1.0/work_order_contracts is not valid JSON"):
        await pull(sim)


async def test_wrong_type_names_endpoint_record_and_field(sim: ProcoreSimulator) -> None:
    body = b'[{"id": 5, "grand_total": "12.00"}, {"id": 6, "grand_total": {"x": 1}}]'
    sim.faults.add(Fault("malformed", path="purchase_order_contracts$", body=body, times=-1))
    with pytest.raises(ResponseError) as info:
        await pull(sim)
    msg = str(info.value)
    assert "/rest/v1.0/purchase_order_contracts" in msg and "record id 6" in msg and "grand_total" in msg


async def test_forbidden_names_the_tool(sim: ProcoreSimulator) -> None:
    sim.faults.add(Fault("forbidden", path="direct_costs$", times=-1))
    with pytest.raises(PermissionDenied) as info:
        await pull(sim)
    assert "Direct Costs" in str(info.value)
    queries = [r.query for r in sim.server.requests("direct_costs$")]
    assert len(queries) == len(set(queries))  # never retried


async def test_missing_company_header_is_refused_by_the_simulator(sim: ProcoreSimulator) -> None:
    import httpx

    token = httpx.post(
        f"{sim.base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "tieout-test-client",
            "client_secret": CLIENT_SECRET,
        },
    ).json()["access_token"]
    resp = httpx.get(f"{sim.base_url}/rest/v1.0/projects", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 404 and "Procore-Company-Id" in resp.text


@pytest.mark.parametrize("hour,spike", [(30, 100), (1_000_000, 5)], ids=["hourly", "spike"])
async def test_paced_pull_never_gets_429(seed: dict[str, Any], hour: int, spike: int) -> None:
    clock = FakeClock()
    sim = make_sim(seed, per_page_cap=3, rate_limit_hour=hour, rate_limit_spike=spike, clock=clock)
    sim.start()
    try:
        # One connection: with a fake clock, a request in flight must reach the server before time moves on.
        settings = settings_for(sim.base_url, per_page=50, max_concurrency=1)
        adapter = ProcoreAdapter(settings, secret(), sleep=clock.sleep, clock=clock)
        sink = DictSink()
        await adapter.pull(sink, full=True, previous=None)
        await adapter.aclose()
    finally:
        sim.stop()
    assert [r for r in sim.server.log if r.status == 429] == []
    assert sim.limits.refused == 0
    assert clock.slept > 0
    assert any(p.wait_seconds > 0 and p.note for p in sink.progress_log)


async def test_secrets_never_in_reprs_or_errors(sim: ProcoreSimulator) -> None:
    adapter = ProcoreAdapter(settings_for(sim.base_url), secret())
    texts = [repr(adapter), repr(adapter.client), repr(adapter.client.auth), repr(sim), str(secret())]
    await adapter.aclose()
    sim.faults.add(
        Fault("status", path="vendors$", status=400, body=b'{"errors": "bad \\u001b[31m request"}')
    )
    with pytest.raises(AdapterError) as info:
        await pull(sim)
    texts += [str(info.value), repr(info.value)]
    assert all(CLIENT_SECRET not in t for t in texts)
    assert "\x1b" not in str(info.value)


async def test_spent_budget_stops_resumably_then_resumes(seed: dict[str, Any]) -> None:
    clock = FakeClock()
    sim = make_sim(seed, per_page_cap=3, rate_limit_hour=60, rate_limit_spike=100, clock=clock)
    sim.start()
    try:
        settings = settings_for(sim.base_url, per_page=50, max_concurrency=1)
        sink = DictSink()
        for _ in range(40):  # the company's other integrations spent most of this hour
            sim.limits.take()
        adapter = ProcoreAdapter(settings, secret(), sleep=clock.sleep, clock=clock, max_wait=60)
        with pytest.raises(BudgetExhausted, match="tieout pull --resume"):
            await adapter.pull(sink, full=True, previous=None)
        await adapter.aclose()
        assert sink.done  # something was checkpointed before the stop
        clock.now += 3600  # an hour later: `tieout pull --resume`, willing to wait this time
        adapter = ProcoreAdapter(settings, secret(), sleep=clock.sleep, clock=clock)
        await adapter.pull(sink, full=True, previous=None)
        await adapter.aclose()
    finally:
        sim.stop()
    assert sim.limits.refused == 0
    assert len(sink.data["commitment_line_items"]) == 54


async def test_401_after_renewal_is_an_auth_error(sim: ProcoreSimulator) -> None:
    sim.faults.add(
        Fault("status", path="cost_codes$", status=401, times=-1, body=b'{"error": "invalid_token"}')
    )
    with pytest.raises(AuthError) as info:
        await pull(sim)
    assert "Procore refused the access token" in str(info.value) and CLIENT_SECRET not in str(info.value)
    queries = [r.query for r in sim.server.requests("cost_codes$")]
    assert len(queries) <= 2 * len(set(queries))  # one replay after one renewal, per request
