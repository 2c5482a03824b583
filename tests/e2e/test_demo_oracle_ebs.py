"""End to end over loopback: the demo company seen from Oracle EBS reproduces its answer key,
and the seam: the same planted company through SAP and through EBS gives the same exceptions.

Both ERP simulators serve the company in their own wire shape (``sample_data.erps``); the
adapters, the store and the engine are what ``tieout`` runs against a customer's systems.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.demo import DemoEnv, demo_environment
from reconcile.exceptions import report, run_diff
from reconcile.profile import load_profile
from reconcile.pull import run_pull
from reconcile.store import Store
from sample_data import oracle_ebs_demo

pytestmark = pytest.mark.slow

Row = tuple[str, str, str, str]


def _found(env: DemoEnv) -> dict[Row, Decimal | None]:
    profile = load_profile(env.profile_path)
    with Store(profile.store_path) as store:
        outcome = run_pull(profile, store)
        assert outcome.ok, outcome.error
        run_diff(store, profile)
        got = report(store)
    return {
        (r["object"], r["kind"], r["key"], r["field"] or ""): r["difference"]
        for r in got.iter_rows(named=True)
    }


def _expected(key: list[dict[str, str]]) -> dict[Row, Decimal | None]:
    return {
        (r["object"], r["kind"], r["key"], r["field"]): Decimal(r["difference"]) if r["difference"] else None
        for r in key
    }


@pytest.fixture(scope="module")
def ebs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoEnv, dict[Row, Decimal | None]]]:
    with demo_environment(tmp_path_factory.mktemp("ebs"), erp="oracle-ebs") as env:
        yield env, _found(env)


def test_the_ebs_demo_reproduces_its_answer_key_exactly(ebs) -> None:
    env, found = ebs
    assert env.answer_key
    expected = _expected(env.answer_key)
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert not missing, f"planted mismatches not found: {missing[:10]}"
    assert not extra, f"reported but not planted: {extra[:10]}"
    for k, diff in expected.items():
        if diff is not None:
            assert found[k] == diff, k


def test_the_same_company_through_sap_and_ebs_gives_the_same_exceptions(ebs, tmp_path: Path) -> None:
    """Every SAP exception, written in EBS's keys, is an EBS exception with the same difference."""
    _env, from_ebs = ebs
    with demo_environment(tmp_path / "sap") as sap_env:
        from_sap = _found(sap_env)
    translated = oracle_ebs_demo.answer_key(sap_env.company)  # SAP's key → EBS's words
    assert len(from_sap) == len(from_ebs) == len(translated)
    as_ebs = {
        (t["object"], t["kind"], t["key"], t["field"]): from_sap[
            (s["object"], s["kind"], s["key"], s["field"])
        ]
        for s, t in zip(sap_env.company.answer_key, translated, strict=True)
    }
    assert as_ebs == from_ebs
