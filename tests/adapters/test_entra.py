"""Microsoft Graph over loopback: token, exact group by name, nested groups, accountEnabled, paging, throttling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from people_fixtures import ENTRA_CLIENT, ENTRA_SECRET, TENANT, entra_seed, entra_settings
from procore_fixtures import DictSink, FakeClock

from adapters.base import AdapterError, AuthError, ResponseError
from adapters.entra.adapter import EntraAdapter
from adapters.entra.client import odata_string
from adapters.entra.simulator import GraphSimulator
from adapters.simkit import Fault
from reconcile.secrets import Secret


@pytest.fixture
def graph() -> Iterator[GraphSimulator]:
    sim = GraphSimulator(entra_seed(), tenant=TENANT, client_id=ENTRA_CLIENT, client_secret=ENTRA_SECRET)
    sim.start()
    yield sim
    sim.stop()


async def pull(sim: GraphSimulator, **kw: Any) -> tuple[EntraAdapter, DictSink, FakeClock]:
    clock = FakeClock()
    settings = entra_settings(
        sim.base_url, page_size=kw.pop("page_size", 2), groups=kw.pop("groups", ["Procore Users"])
    )
    adapter = EntraAdapter(settings, Secret(kw.pop("secret", ENTRA_SECRET)), sleep=clock.sleep, clock=clock)
    sink = DictSink()
    try:
        await adapter.pull(sink)
    finally:
        await adapter.aclose()
    return adapter, sink, clock


async def test_nested_members_with_account_enabled_over_next_links(graph: GraphSimulator) -> None:
    adapter, sink, _ = await pull(graph)
    frame = adapter.canonicalize(sink.reader())["idp_users"]
    rows = {r["idp_id"]: r for r in frame.iter_rows(named=True)}
    # oid-3 and oid-4 are only in the nested "Field Staff"; the device is no user; oid-2 once.
    assert sorted(rows) == ["oid-0", "oid-1", "oid-2", "oid-3", "oid-4"]
    assert rows["oid-4"]["enabled"] is False and rows["oid-4"]["status"] == "disabled"
    assert rows["oid-0"]["enabled"] is True
    assert rows["oid-3"]["email"] == "person.n3@contoso.com"  # no mail: userPrincipalName
    assert rows["oid-1"]["groups"] == ["Procore Users"]
    member_calls = graph.server.requests(r"/transitiveMembers/")
    assert len(member_calls) == 3 and sum("skiptoken" in r.query for r in member_calls) == 2
    assert all("accountEnabled" in r.query and "$count=true" in r.query for r in member_calls)


async def test_a_quote_in_the_group_name_is_doubled(graph: GraphSimulator) -> None:
    assert odata_string("O'Brien's Crew") == "'O''Brien''s Crew'"
    adapter, sink, _ = await pull(graph, groups=["O'Brien's Crew"])
    assert adapter.canonicalize(sink.reader())["idp_users"]["idp_id"].to_list() == ["oid-0"]


async def test_throttling_waits_for_retry_after(graph: GraphSimulator) -> None:
    graph.faults.add(
        Fault("status", path="transitiveMembers", after=1, status=429, headers={"Retry-After": "7"})
    )
    adapter, sink, clock = await pull(graph)
    assert adapter.canonicalize(sink.reader())["idp_users"].height == 5
    assert clock.slept == 7


async def test_a_wrong_secret_is_an_auth_error_naming_no_secret(graph: GraphSimulator) -> None:
    with pytest.raises(AuthError) as err:
        await pull(graph, secret="nope")
    assert ENTRA_SECRET not in str(err.value) and "nope" not in str(err.value)


async def test_a_missing_group_names_the_setting(graph: GraphSimulator) -> None:
    with pytest.raises(AdapterError, match=r"no group named 'Procore Userz'"):
        await pull(graph, groups=["Procore Userz"])


async def test_without_account_enabled_the_answer_is_refused(graph: GraphSimulator) -> None:
    del graph.users["oid-1"]["accountEnabled"]
    with pytest.raises(ResponseError, match="accountEnabled"):
        await pull(graph)


async def test_a_503_with_retry_after_is_waited_out_and_a_long_one_refused(graph: GraphSimulator) -> None:
    graph.faults.add(Fault("status", path="transitiveMembers", status=503, headers={"Retry-After": "3"}))
    adapter, sink, clock = await pull(graph)
    assert adapter.canonicalize(sink.reader())["idp_users"].height == 5 and clock.slept == 3
    graph.faults.add(Fault("status", path="transitiveMembers", status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(AdapterError, match="wait 3600 s"):
        await pull(graph)
