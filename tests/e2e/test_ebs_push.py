"""Pushes on the EBS demo over loopback: EBS → Procore through the shared planners, and
Procore → EBS as a GL journal, exactly once under a kill between the interface insert and
the local record (``reconcile.push.CRASH_HOOK``, fired by the EBS port after the insert)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from app.demo import DemoEnv, demo_environment
from reconcile import audit, decisions
from reconcile.exceptions import run_diff
from reconcile.profile import Profile, load_profile
from reconcile.pull import run_pull
from reconcile.push import CRASH_HOOK, execute_push, plan_push
from reconcile.store import Store

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BOTH = ["erp_to_procore", "procore_to_erp"]
SCRIPT = """
import sys
from reconcile.profile import load_profile
from reconcile.push import execute_push, plan_push
from reconcile.store import Store
profile = load_profile(sys.argv[1])
store = Store(profile.store_path)
plan = plan_push(store, profile, sys.argv[2])
assert plan.can_push, plan.refusal
execute_push(store, profile, plan, actor="crashing")
print("not reached: the hook should have ended the process")
"""


def refresh(profile: Profile, store: Store) -> None:
    outcome = run_pull(profile, store)
    assert outcome.ok, outcome.error
    run_diff(store, profile)


def exception(store: Store, obj: str, kind: str, key: str) -> str:
    frame = store.query(
        "SELECT exception_id FROM exceptions WHERE object = ? AND kind = ? AND key = ? AND is_open",
        [obj, kind, key],
    )
    assert frame.height == 1, (obj, kind, key, frame)
    return str(frame["exception_id"][0])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoEnv, Profile]]:
    with demo_environment(tmp_path_factory.mktemp("ebs-push"), erp="oracle-ebs", push_allow=BOTH) as env:
        profile = load_profile(env.profile_path)
        with Store(profile.store_path) as store:
            refresh(profile, store)
        yield env, profile


def test_an_ebs_supplier_missing_in_procore_is_created_from_ebs_read_live(world) -> None:
    env, profile = world
    with Store(profile.store_path) as store:
        xid = exception(store, "vendor", "missing_in_procore", "1000017")
        plan = plan_push(store, profile, xid)
        assert plan.can_push, plan.refusal
        assert plan.source is not None and "EBS supplier 1000017" in plan.source.what
        assert plan.requests[0].body["vendor"]["name"] == "Carter Plumbing Inc."
        result = execute_push(store, profile, plan, actor="ana")
        assert result.ok, result.message
    made = [v for v in env.procore.data["vendors"] if v.get("origin_id") == "1000017"]
    assert len(made) == 1


def test_an_ebs_po_missing_in_procore_becomes_a_contract_with_its_lines(world) -> None:
    _env, profile = world
    with Store(profile.store_path) as store:
        xid = exception(store, "commitment", "missing_in_procore", "4500000007")
        plan = plan_push(store, profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.source is not None and plan.source.what == "EBS PO 4500000007"
    contract, lines = plan.requests
    assert contract.body["purchase_order_contract"]["title"] == "EBS PO 4500000007"
    assert [ln["origin_id"] for ln in lines.body["updates"]] == ["4500000007/1", "4500000007/2"]
    assert [ln["amount"] for ln in lines.body["updates"]] == ["5400.00", "610.00"]


def test_a_direct_cost_with_no_way_back_to_an_ebs_account_is_refused_in_one_sentence(world) -> None:
    _env, profile = world
    with Store(profile.store_path) as store:
        xid = exception(store, "actual", "missing_in_erp", "1009/01-500")
        plan = plan_push(store, profile, xid)
    assert not plan.can_push
    assert "Cost code 01-500 maps back to no EBS accounts and tasks of project P-1009" in (plan.refusal or "")


def test_a_journal_is_posted_exactly_once_when_killed_after_the_interface_insert(world) -> None:
    env, profile = world
    gl = env.erp.gl
    with Store(profile.store_path) as store:
        xid = exception(store, "actual", "value_mismatch", "1005/03-300")
        plan = plan_push(store, profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.action == "post_gl_journal" and "3200.00" in plan.summary
    assert "subcontractor invoice" in plan.summary and xid in plan.summary
    assert profile.source_path is not None
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(profile.source_path), xid],
        env={**os.environ, CRASH_HOOK: "1", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 86, proc.stdout + proc.stderr
    assert gl.inserts == 1 and gl.submits == 0  # the rows are in GL_INTERFACE, no journal yet
    assert [r["REFERENCE30"] for r in gl.interface] == [xid, xid]
    with Store(profile.store_path) as store:
        assert store.query("SELECT state FROM pushes WHERE exception_id = ?", [xid])["state"].to_list() == [
            "sending"
        ]
        again = plan_push(store, profile, xid)
        assert again.resumes and again.can_push, again.refusal
        assert "imported, not inserted again" in again.summary
        result = execute_push(store, profile, again, actor="ana")
        assert result.ok, result.message
        assert decisions.status(store, xid) == "pushed"
        assert audit.verify(store) == []
    assert gl.inserts == 1 and gl.submits == 1
    journal = [j for j in gl.je_lines if j["REFERENCE_10"] == xid]
    assert len(journal) == 2 and len({j["JE_HEADER_ID"] for j in journal}) == 1
    with Store(profile.store_path) as store:
        # A retry of the finished push sends nothing; the next pull sees the cost and closes it.
        assert not plan_push(store, profile, xid).can_push
        refresh(profile, store)
        still = store.query(
            "SELECT count(*) AS n FROM exceptions WHERE object = 'actual' AND key = '1005/03-300' AND is_open"
        )
        assert still["n"][0] == 0
        assert store.canonical("erp_actuals").filter(pl.col("erp_project") == "P-1005").height > 0
    assert gl.inserts == 1
