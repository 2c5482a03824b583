"""The demo workforce end to end over loopback: `tieout pull` and `tieout diff` of the full demo
company reproduce the people answer key, for Okta and for Entra; a create killed right after
Procore accepted it is found by origin_id on the re-run and never sent twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from app.cli import main
from app.demo import demo_environment
from reconcile import audit, decisions
from reconcile.exceptions import report
from reconcile.profile import load_profile
from reconcile.push import CRASH_HOOK, execute_push, plan_push
from reconcile.store import Store

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("kind", "key", "project", "field", "erp_value", "procore_value")

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


def rows(frame_rows: object) -> set[tuple[str, ...]]:
    return {tuple(str(r.get(c) or "") for c in COLUMNS) for r in frame_rows}  # type: ignore[attr-defined]


@pytest.mark.parametrize("idp", ["okta", "entra"])
def test_pull_and_diff_reproduce_the_people_answer_key(idp: str, tmp_path: Path) -> None:
    with demo_environment(tmp_path, idp=idp) as env:
        assert main(["pull", "--profile", str(env.profile_path)]) == 0
        assert main(["diff", "--profile", str(env.profile_path)]) == 0
        profile = load_profile(env.profile_path)
        with Store(profile.store_path) as store:
            got = report(store, object="user")
            money = report(store).filter(pl.col("object") != "user")
            sources = {
                r["source"] for r in store.query("SELECT source FROM current_snapshots").iter_rows(named=True)
            }
    assert rows(got.iter_rows(named=True)) == rows(env.workforce.answer_keys[idp])
    assert money.height == len(env.company.answer_key)  # the money side is untouched by people
    assert sources == {"procore", "erp", "identity", "directory"}


def test_a_create_killed_after_the_write_is_found_by_origin_id(tmp_path: Path) -> None:
    with demo_environment(tmp_path, idp="okta", staff=40, push_allow=["idp_to_procore"]) as env:
        path = str(env.profile_path)
        assert main(["pull", "--profile", path, "--source", "identity", "--source", "directory"]) == 0
        profile = load_profile(env.profile_path)
        with Store(profile.store_path) as store:
            from reconcile.exceptions import run_diff

            run_diff(store, profile)
            missing = report(store, object="user", kind="missing_in_procore").sort("key")
        xid, email = missing["exception_id"][0], missing["key"][0]
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, path, xid],
            env={**os.environ, CRASH_HOOK: "1", "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 86, proc.stdout + proc.stderr
        assert [u["email_address"] for u in env.procore.data["users"]].count(email) == 1
        with Store(profile.store_path) as store:
            plan = plan_push(store, profile, xid)
            assert plan.resumes and plan.can_push and plan.lookup_found, plan.refusal
            result = execute_push(store, profile, plan, actor="ana")
            assert result.ok, result.message
            assert "nothing was sent twice" in result.message
            assert decisions.status(store, xid) == "pushed"
            assert audit.verify(store) == []
        posts = env.procore.server.requests(r"/rest/v1.3/companies/\d+/users$", "POST")
        assert len(posts) == 1
        assert [u["email_address"] for u in env.procore.data["users"]].count(email) == 1
