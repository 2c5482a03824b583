"""End to end over loopback: ``tieout demo --erp peoplesoft`` reproduces its answer key.

The demo company seen from PeopleSoft: Procore and Integration Broker simulators run as real HTTP
servers, the profile is a ``kind = "peoplesoft"`` profile, and pull, diff and report are what
``tieout`` runs against a customer's systems.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.demo import DemoEnv, demo_environment
from reconcile.exceptions import report, run_diff
from reconcile.profile import load_profile
from reconcile.pull import run_pull
from reconcile.store import Store
from sample_data.erps import read_answer_key
from sample_data.peoplesoft_wire import ANSWER_KEY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoEnv]:
    with demo_environment(tmp_path_factory.mktemp("psdemo"), erp="peoplesoft", idp=None) as env:
        yield env


def _key(rows: Any) -> dict[tuple[str, str, str, str], Decimal | None]:
    return {
        (r["object"], r["kind"], r["key"], r["field"] or ""): (
            Decimal(str(r["difference"])) if r["difference"] not in (None, "") else None
        )
        for r in rows
    }


def test_pull_and_diff_reproduce_the_peoplesoft_answer_key(env: DemoEnv) -> None:
    profile = load_profile(env.profile_path)
    assert profile.erp.kind == "peoplesoft"
    store = Store(profile.store_path)
    try:
        outcome = run_pull(profile, store)
        assert outcome.ok, outcome.error
        run_diff(store, profile)
        found = _key(report(store).iter_rows(named=True))
    finally:
        store.close()
    expected = _key(read_answer_key(ANSWER_KEY))
    assert not sorted(set(expected) - set(found))[:10], "planted mismatches not found"
    assert not sorted(set(found) - set(expected))[:10], "reported but not planted"
    for k, diff in expected.items():
        if diff is not None:
            assert found[k] == diff, k
    # Every read went through Integration Broker's window and paging.
    assert env.erp.server.requests(r"TIEOUT_PO_DISTRIB\.v1/US001")


def test_the_cli_diffs_and_exports_the_peoplesoft_demo(env: DemoEnv, tmp_path: Path) -> None:
    # Its own pull (incremental when the test above pulled already): it must not depend on
    # running after that test, on the same worker.
    assert main(["pull", "--profile", str(env.profile_path)]) == 0
    assert main(["diff", "--profile", str(env.profile_path)]) == 0
    out = tmp_path / "report.csv"
    assert main(["export", "--profile", str(env.profile_path), "--format", "csv", "--out", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(read_answer_key(ANSWER_KEY)) + 1
