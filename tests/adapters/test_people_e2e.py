"""The people loop's reads end to end over loopback: an IdP simulator and the Procore directory,
canonical frames, the diff. DEPROVISIONED users must come back as orphans (Okta), and users
reached only through a nested group must count (Entra)."""

from __future__ import annotations

import polars as pl
from people_fixtures import (
    ENTRA_CLIENT,
    ENTRA_SECRET,
    OKTA_TOKEN,
    TENANT,
    directory_seed,
    entra_seed,
    entra_settings,
    okta_seed,
    okta_settings,
)
from procore_fixtures import DictSink, FakeClock, make_sim, procore_seed, secret, settings_for

from adapters.entra.adapter import EntraAdapter
from adapters.entra.simulator import GraphSimulator
from adapters.okta.adapter import OktaAdapter
from adapters.okta.simulator import OktaSimulator
from adapters.procore.client import ProcoreClient
from adapters.procore.users import DirectoryPull, canonicalize_directory
from reconcile.people.diff import diff_people
from reconcile.people.settings import PeopleSettings
from reconcile.secrets import Secret


async def procore_directory(seed: dict) -> dict[str, pl.DataFrame]:
    sim = make_sim(seed, per_page_cap=3, rate_limit_hour=1_000_000, rate_limit_spike=100_000)
    sim.start()
    client = ProcoreClient(settings_for(sim.base_url), secret())
    sink = DictSink()
    try:
        await DirectoryPull(client, client.settings, sink).run()
    finally:
        await client.aclose()
        sim.stop()
    return canonicalize_directory(sink.reader())


async def idp_users(adapter: OktaAdapter | EntraAdapter) -> pl.DataFrame:
    sink = DictSink()
    try:
        await adapter.pull(sink)
    finally:
        await adapter.aclose()
    return adapter.canonicalize(sink.reader())["idp_users"]


def found(
    settings: PeopleSettings, idp: pl.DataFrame, pc: dict[str, pl.DataFrame]
) -> set[tuple[str, str, str, str]]:
    out = diff_people(
        idp, pc["procore_users"], pc["procore_memberships"], None, settings, ["P-1000", "P-1001"]
    )
    return {(r["key"], r["kind"], r["field"], r["erp_value"]) for r in out.iter_rows(named=True)}


async def test_okta_against_procore() -> None:
    okta = OktaSimulator(okta_seed(), token=OKTA_TOKEN)
    okta.start()
    try:
        clock = FakeClock()
        settings = okta_settings(okta.base_url, page_size=2, sso_domains=["acme.com"])
        idp = await idp_users(OktaAdapter(settings, Secret(OKTA_TOKEN), sleep=clock.sleep, clock=clock))
    finally:
        okta.stop()
    pc = await procore_directory(directory_seed(procore_seed()))
    assert found(settings, idp, pc) == {
        ("user.n1@acme.com", "orphaned", "", "SUSPENDED"),
        ("user.n2@acme.com", "orphaned", "", "DEPROVISIONED"),
        ("user.n5@acme.com", "value_mismatch", "is_active", "true"),
        ("user.n6@acme.com", "missing_in_procore", "", "User N6"),
    }


async def test_entra_against_procore() -> None:
    graph = GraphSimulator(entra_seed(), tenant=TENANT, client_id=ENTRA_CLIENT, client_secret=ENTRA_SECRET)
    graph.start()
    try:
        clock = FakeClock()
        settings = entra_settings(graph.base_url, sso_domains=["contoso.com"])
        idp = await idp_users(EntraAdapter(settings, Secret(ENTRA_SECRET), sleep=clock.sleep, clock=clock))
    finally:
        graph.stop()
    pc = await procore_directory(
        directory_seed(procore_seed(), domain="contoso.com", first="Person", title="Superintendent")
    )
    # n3 (no mailbox: userPrincipalName) and n4 are reached only through the nested group.
    assert found(settings, idp, pc) == {("person.n4@contoso.com", "orphaned", "", "disabled")}
