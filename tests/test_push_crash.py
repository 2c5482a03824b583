"""The crash test: a process killed between the remote write and the local record.

A subprocess plans and executes a push with ``reconcile.push.CRASH_HOOK`` set, so it exits
right after the remote write, before the store learns of it. Re-running the push must find
the record the dead process wrote (by origin_id in Procore, by invoice reference in SAP),
send no second create, and leave the local status correct.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_push import BOTH, World, make_world, vendors_with_origin

from reconcile import audit, decisions
from reconcile.push import CRASH_HOOK, execute_push, plan_push
from reconcile.store import Store

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

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


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, BOTH)


def crash_push(world: World, exception_id: str) -> None:
    """Run the push in a child process that dies after the remote write; then reopen the store."""
    world.store.close()
    env = {**os.environ, CRASH_HOOK: "1", "PYTHONPATH": str(ROOT)}
    assert world.profile.source_path is not None
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(world.profile.source_path), exception_id],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 86, proc.stdout + proc.stderr
    world.store = Store(world.profile.store_path)
    state = world.store.query("SELECT state FROM pushes WHERE exception_id = ?", [exception_id])
    assert state["state"].to_list() == ["sending"]  # recorded before the request, never finished


def rerun(world: World, exception_id: str) -> None:
    plan = plan_push(world.store, world.profile, exception_id)
    assert plan.resumes and plan.can_push, plan.refusal
    assert plan.lookup_found  # the dead process's write is found first
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert decisions.status(world.store, exception_id) == "pushed"
    states = world.store.query("SELECT state FROM pushes WHERE exception_id = ?", [exception_id])
    assert states["state"].to_list() == ["done"]
    assert audit.verify(world.store) == []


def test_crash_after_procore_create_leaves_one_vendor(world: World) -> None:
    xid = world.exception("vendor", "missing_in_procore", key="1000003")
    crash_push(world, xid)
    assert len(vendors_with_origin(world.procore, "1000003")) == 1
    rerun(world, xid)
    assert len(vendors_with_origin(world.procore, "1000003")) == 1
    assert len(world.procore.server.requests(r"/vendors$", "POST")) == 1


def test_crash_after_sap_invoice_leaves_one_invoice(world: World) -> None:
    xid = world.exception("actual", "missing_in_erp", key="1001/03-300")
    crash_push(world, xid)
    posted = world.sap.data.get("A_SupplierInvoice", [])
    assert len(posted) == 1
    rerun(world, xid)
    assert len(world.sap.data.get("A_SupplierInvoice", [])) == 1
