"""Okta over loopback: group look-up by exact name, Link paging, statuses, rate limits, safety."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from people_fixtures import OKTA_TOKEN, okta_seed, okta_settings
from procore_fixtures import DictSink, FakeClock

from adapters.base import AdapterError, AuthError, Cancelled, ResponseError
from adapters.okta.adapter import OktaAdapter
from adapters.okta.simulator import OktaSimulator
from adapters.simkit import Fault
from reconcile.secrets import Secret


@pytest.fixture
def okta() -> Iterator[OktaSimulator]:
    sim = OktaSimulator(okta_seed(), token=OKTA_TOKEN)
    sim.start()
    yield sim
    sim.stop()


async def pull(sim: OktaSimulator, sink: DictSink | None = None, **kw: Any) -> tuple[OktaAdapter, DictSink]:
    clock = kw.pop("clock", None) or FakeClock()
    adapter = OktaAdapter(
        okta_settings(sim.base_url, page_size=kw.pop("page_size", 2)),
        Secret(kw.pop("token", OKTA_TOKEN)),
        sleep=clock.sleep,
        clock=clock,
        **kw,
    )
    sink = sink or DictSink()
    try:
        await adapter.pull(sink)
    finally:
        await adapter.aclose()
    return adapter, sink


async def test_members_of_every_status_over_several_pages(okta: OktaSimulator) -> None:
    adapter, sink = await pull(okta)
    frame = adapter.canonicalize(sink.reader())["idp_users"]
    assert frame.height == 7
    by_id = {r["idp_id"]: r for r in frame.iter_rows(named=True)}
    assert by_id["00u001"]["status"] == "SUSPENDED" and not by_id["00u001"]["enabled"]
    assert by_id["00u002"]["status"] == "DEPROVISIONED" and not by_id["00u002"]["enabled"]
    assert by_id["00u000"]["enabled"] and sorted(by_id["00u000"]["groups"]) == [
        "Procore Admins",
        "Procore Users",
    ]
    assert by_id["00u003"]["email"] == "user.n3@acme.com" and by_id["00u003"]["given_name"] == "User"
    # 7 members at 2 a page: 4 pages, every one reached through the Link header's cursor.
    member_pages = okta.server.requests(r"/api/v1/groups/00g1/users")
    assert len(member_pages) == 4 and sum("after=" in r.query for r in member_pages) == 3


async def test_exact_group_name_wins_over_the_prefix_search(okta: OktaSimulator) -> None:
    adapter, sink = await pull(okta)
    assert not okta.server.requests(r"/api/v1/groups/00g2/users")  # "Procore Users (old)" matched q= only


async def test_429_without_retry_after_waits_for_the_reset(okta: OktaSimulator) -> None:
    reset = int(time.time()) + 30
    okta.faults.add(
        Fault(
            "status",
            path=r"/users$",
            after=1,
            status=429,
            headers={
                "X-Rate-Limit-Limit": "600",
                "X-Rate-Limit-Remaining": "0",
                "X-Rate-Limit-Reset": str(reset),
            },
        )
    )
    clock = FakeClock()
    adapter, sink = await pull(okta, clock=clock)
    assert adapter.canonicalize(sink.reader())["idp_users"].height == 7
    # The wait ran to the reset (by the server's Date header) plus one second, not a guess.
    assert 29 <= clock.slept <= 33


async def test_a_reset_beyond_the_cap_is_one_sentence(okta: OktaSimulator) -> None:
    okta.faults.add(
        Fault(
            "status",
            path=r"/users$",
            status=429,
            headers={"X-Rate-Limit-Reset": str(int(time.time()) + 3600)},
        )
    )
    with pytest.raises(AdapterError, match=r"asks Tieout to wait .* longer than the 300 s"):
        await pull(okta)


async def test_a_wrong_token_is_an_auth_error(okta: OktaSimulator) -> None:
    with pytest.raises(AuthError, match="tieout login") as err:
        await pull(okta, token="wrong")
    assert OKTA_TOKEN not in str(err.value)


@pytest.mark.parametrize("kind", ["foreign_link", "loop_link"])
async def test_unsafe_next_links_are_refused(okta: OktaSimulator, kind: str) -> None:
    okta.faults.add(Fault(kind, path=r"/api/v1/groups/00g1/users"))
    with pytest.raises(ResponseError, match="next-page link"):
        await pull(okta)
    # "localhost" is this very server under another name: had the link been followed, a second
    # page would be in the log. Only the first page was read.
    assert len(okta.server.requests(r"/api/v1/groups/00g1/users")) == 1


async def test_a_missing_group_names_the_setting(okta: OktaSimulator) -> None:
    okta.groups = [g for g in okta.groups if g["profile"]["name"] != "Procore Admins"]
    with pytest.raises(AdapterError, match=r"no group named 'Procore Admins'"):
        await pull(okta)


async def test_a_scoped_oauth_token_is_sent_as_bearer() -> None:
    sim = OktaSimulator(okta_seed(), token=OKTA_TOKEN, scheme="Bearer")
    sim.start()
    try:
        clock = FakeClock()
        adapter = OktaAdapter(
            okta_settings(sim.base_url, okta_auth="oauth"), Secret(OKTA_TOKEN), sleep=clock.sleep, clock=clock
        )
        sink = DictSink()
        try:
            await adapter.pull(sink)
        finally:
            await adapter.aclose()
        assert adapter.canonicalize(sink.reader())["idp_users"].height == 7
    finally:
        sim.stop()


class StopAfterWaiting(DictSink):
    """A sink whose user presses cancel while the pull sits out a rate-limit window."""

    clock: FakeClock | None = None

    def cancelled(self) -> bool:
        return self.clock is not None and self.clock.slept >= 5


async def test_a_rate_limit_wait_stops_when_the_pull_is_cancelled(okta: OktaSimulator) -> None:
    okta.faults.add(
        Fault(
            "status", path=r"/users$", status=429, headers={"X-Rate-Limit-Reset": str(int(time.time()) + 120)}
        )
    )
    clock = FakeClock()
    sink = StopAfterWaiting()
    sink.clock = clock
    with pytest.raises(Cancelled, match="cancelled while waiting"):
        await pull(okta, sink=sink, clock=clock)
    assert 5 <= clock.slept < 10  # stopped within a second of the cancel, not after 120 s
