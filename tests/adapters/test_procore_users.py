"""The Procore company directory over loopback: active and inactive users, templates, project members, roles."""

from __future__ import annotations

import pytest
from people_fixtures import directory_seed
from procore_fixtures import COMPANY_ID, DictSink, make_sim, procore_seed, secret, settings_for

from adapters.procore.client import ProcoreClient
from adapters.procore.simulator import ProcoreSimulator
from adapters.procore.users import DirectoryPull, canonicalize_directory, project_roles


@pytest.fixture
def dsim():
    s = make_sim(
        directory_seed(procore_seed()), per_page_cap=3, rate_limit_hour=1_000_000, rate_limit_spike=100_000
    )
    s.start()
    yield s
    s.stop()


async def read(sim: ProcoreSimulator, sink: DictSink) -> None:
    client = ProcoreClient(settings_for(sim.base_url, per_page=50), secret())
    try:
        await DirectoryPull(client, client.settings, sink).run()
    finally:
        await client.aclose()


async def test_directory_reads_into_canonical_frames(dsim: ProcoreSimulator) -> None:
    sink = DictSink()
    await read(dsim, sink)
    frames = canonicalize_directory(sink.reader())
    users = {r["id"]: r for r in frames["procore_users"].iter_rows(named=True)}
    assert len(users) == 7
    assert users[5005]["is_active"] is False and users[5000]["is_active"] is True
    assert users[5000]["email"] == "user.n0@acme.com"  # lower case: the key
    assert users[5000]["company_template"] == "Company Standard"
    assert users[5006]["vendor_name"] == "Steel Co"
    members = sorted(
        (r["user_id"], r["project_number"], r["template"])
        for r in frames["procore_memberships"].iter_rows(named=True)
    )
    # Project 102 is inactive (not selected); 5005 is inactive (not listed by Procore).
    assert members == [
        (5000, "P-1000", "Project Manager"),
        (5000, "P-1001", "Field"),
        (5001, "P-1000", "Field"),
        (5006, "P-1000", "P-1000 Special"),
    ]
    assert sorted(frames["procore_permission_templates"]["name"].to_list())[0] == "Company Admin"
    # v1.3 for active users, v1.0 for inactive ones, one templates call per type, paged at the cap of 3.
    assert len(dsim.server.requests(rf"/rest/v1.3/companies/{COMPANY_ID}/users$")) == 2
    assert len(dsim.server.requests(r"/users/inactive$")) == 1
    assert {
        r.query.split("filters%5Btype%5D=")[1].split("&")[0]
        for r in dsim.server.requests("permission_templates")
    } == {"company_tools", "project_tools", "global"}


async def test_a_resumed_directory_pull_skips_finished_units(dsim: ProcoreSimulator) -> None:
    first = DictSink(cancel_after_units=3)
    with pytest.raises(Exception, match="cancelled"):
        await read(dsim, first)
    before = len(dsim.server.log)
    second = DictSink(base=first.snapshot(), done=set(first.done))
    await read(dsim, second)
    again = [r.path for r in dsim.server.log[before:]]
    assert not any(p.endswith("/users/inactive") for p in again) and any(
        "/projects/100/users" in p for p in again
    )


async def test_project_roles_of_one_user(dsim: ProcoreSimulator) -> None:
    client = ProcoreClient(settings_for(dsim.base_url), secret())
    try:
        roles = await project_roles(client, 100, 5000)
        assert [(r.role, r.user_id) for r in roles] == [("Project Manager", 5000)]
        assert await project_roles(client, 100, 5001) == []
    finally:
        await client.aclose()
