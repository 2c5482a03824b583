"""End to end over loopback: the demo company seen from PeopleSoft reproduces its answer key.

Procore and PeopleSoft Integration Broker simulators run as real HTTP servers; the profile is a
``kind = "peoplesoft"`` profile, and pull, diff and report are what ``tieout`` runs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.peoplesoft.simulator import PeopleSoftSimulator
from adapters.procore.simulator import ProcoreSimulator
from app.demo import DEMO_PROCORE_LIMITS, SIM_PROCORE_CLIENT, SIM_PROCORE_SECRET, write_profile
from reconcile.exceptions import report, run_diff
from reconcile.profile import load_profile
from reconcile.pull import run_pull
from reconcile.store import Store
from sample_data.generate import generate
from sample_data.peoplesoft_wire import ANSWER_KEY, SIM_PASSWORD, render, start

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, PeopleSoftSimulator]]:
    directory = tmp_path_factory.mktemp("psdemo")
    company = generate(7)
    ps = render(company)
    (directory / "mappings").mkdir()
    for name, text in ps.mappings.items():
        (directory / "mappings" / name).write_text(text, encoding="utf-8")
    extras = company.profile_extras
    procore = ProcoreSimulator(
        ps.procore,
        client_id=SIM_PROCORE_CLIENT,
        client_secret=SIM_PROCORE_SECRET,
        company_id=int(extras["company_id"]),
        **DEMO_PROCORE_LIMITS,
    )
    procore_url = procore.start()
    sim, section = start(company)
    mp = pytest.MonkeyPatch()
    mp.setenv("TIEOUT_PROCORE_CLIENT_SECRET", SIM_PROCORE_SECRET)
    mp.setenv("TIEOUT_ERP_CLIENT_SECRET", SIM_PASSWORD)
    profile = directory / "demo.toml"
    write_profile(profile, procore_url=procore_url, sap_url=sim.base_url, extras=extras)
    text = re.sub(r"\[erp\]\n.*?\n\n", lambda _: section + "\n", profile.read_text(), flags=re.S)
    profile.write_text(text, encoding="utf-8")
    try:
        yield profile, sim
    finally:
        mp.undo()
        procore.stop()
        sim.stop()


def _key(rows: Any) -> dict[tuple[str, str, str, str], Decimal | None]:
    return {
        (r["object"], r["kind"], r["key"], r["field"] or ""): (
            Decimal(str(r["difference"])) if r["difference"] not in (None, "") else None
        )
        for r in rows
    }


def test_pull_and_diff_reproduce_the_peoplesoft_answer_key(env: tuple[Path, PeopleSoftSimulator]) -> None:
    profile_path, sim = env
    profile = load_profile(profile_path)
    assert profile.erp.kind == "peoplesoft"
    store = Store(profile.store_path)
    try:
        outcome = run_pull(profile, store)
        assert outcome.ok, outcome.error
        run_diff(store, profile)
        found = _key(report(store).iter_rows(named=True))
    finally:
        store.close()
    with ANSWER_KEY.open(encoding="utf-8", newline="") as fh:
        expected = _key(csv.DictReader(fh))
    assert not sorted(set(expected) - set(found))[:10], "planted mismatches not found"
    assert not sorted(set(found) - set(expected))[:10], "reported but not planted"
    for k, diff in expected.items():
        if diff is not None:
            assert found[k] == diff, k
    # Every read went through Integration Broker's paging and window.
    assert sim.server.requests(r"TIEOUT_PO_DISTRIB\.v1/US001")
