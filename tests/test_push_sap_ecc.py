"""Pushes against SAP ECC over loopback SOAP: the tiny company of test_push, seen from ECC.

Procore → ECC changes a PO item with BAPI_PO_CHANGE and commits in the same session; ECC →
Procore copies from ECC read live through RFC_READ_TABLE. The guarantees: a change made in
ECC between plan and push is refused, a BAPI's E row commits nothing, and a push whose
process dies right after the commit is finished by the next run without a second change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from test_push import BOTH, tiny_company, vendors_with_origin

from adapters.procore.simulator import ProcoreSimulator
from adapters.sap_ecc.simulator import EccSimulator
from app.demo import SIM_PROCORE_CLIENT, SIM_PROCORE_SECRET
from reconcile import audit, decisions
from reconcile.exceptions import run_diff
from reconcile.profile import Profile, load_profile
from reconcile.pull import run_pull
from reconcile.push import CRASH_HOOK, execute_push, plan_push
from reconcile.store import Store
from sample_data import sap_ecc_demo
from sample_data.company import COMPANY_ID
from sample_data.generate import _mappings
from sample_data.sap_ecc_wire import ecc_tables, ecc_view

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class EccWorld:
    profile: Profile
    store: Store
    procore: ProcoreSimulator
    ecc: EccSimulator

    def exception(self, obj: str, kind: str, field: str = "", key: str | None = None) -> str:
        frame = self.store.query(
            "SELECT exception_id, key FROM exceptions WHERE object = ? AND kind = ? "
            "AND coalesce(field, '') = ? AND is_open",
            [obj, kind, field],
        )
        if key is not None:
            frame = frame.filter(pl.col("key") == key)
        assert frame.height == 1, (obj, kind, field, frame)
        return str(frame["exception_id"][0])

    def refresh(self) -> None:
        outcome = run_pull(self.profile, self.store)
        assert outcome.ok, outcome.error
        run_diff(self.store, self.profile)

    def item(self, po: str, item: str) -> dict[str, Any]:
        return next(r for r in self.ecc.tables["EKPO"] if (r["EBELN"], r["EBELP"]) == (po, item))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EccWorld]:
    b = tiny_company()
    # A Procore work order ECC lacks: a PO Tieout may create (BAPI_PO_CREATE1).
    p = b.projects["1001"]
    wo = b.contract(p, cid=9_000_777, number="WO-77", origin=None, vendor_id=7_100_001, kind="work_order")
    b.line(wo, p, lid=9_500_777, position=1, amount=Decimal("1200.00"), code="03-300", origin=None,
           description="Pump truck")  # fmt: skip
    (tmp_path / "mappings").mkdir()
    for name, text in _mappings(b).items():
        (tmp_path / "mappings" / name).write_text(text, encoding="utf-8")
    procore = ProcoreSimulator(
        b.procore, client_id=SIM_PROCORE_CLIENT, client_secret=SIM_PROCORE_SECRET, company_id=COMPANY_ID
    )
    ecc = EccSimulator(
        ecc_tables(ecc_view(b.sap)), username=sap_ecc_demo.USERNAME, password=sap_ecc_demo.SECRET
    )
    monkeypatch.setenv("TIEOUT_PROCORE_CLIENT_SECRET", SIM_PROCORE_SECRET)
    monkeypatch.setenv("TIEOUT_ERP_CLIENT_SECRET", sap_ecc_demo.SECRET)
    url = procore.start()
    ecc.start()
    allow = ", ".join(f'"{a}"' for a in BOTH)
    (tmp_path / "p.toml").write_text(
        f"""name = "ECC push test"
store = "ecc.duckdb"

[procore]
base_url = "{url}"
login_url = "{url}"
company_id = {COMPANY_ID}
client_id = "{SIM_PROCORE_CLIENT}"
projects = "active"

{sap_ecc_demo.erp_section(ecc, {})}create_defaults = {{ PURCH_ORG = "1000", PUR_GROUP = "001" }}

[mappings]
dir = "mappings"

[push]
allow = [{allow}]
""",
        encoding="utf-8",
    )
    profile = load_profile(tmp_path / "p.toml")
    store = Store(profile.store_path)
    world = EccWorld(profile, store, procore, ecc)
    try:
        world.refresh()
        yield world
    finally:
        world.store.close()
        procore.stop()
        ecc.stop()


def test_change_ecc_item_price_with_bapi_po_change_and_commit(world: EccWorld) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount", key="4500000001/00010")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.can_push, plan.refusal
    call = plan.requests[0]
    assert call.body["function"] == "BAPI_PO_CHANGE"
    params = call.body["parameters"]
    assert params["POITEM"]["item"] == [{"PO_ITEM": "00010", "NET_PRICE": "99.00"}]
    assert params["POITEMX"]["item"] == [{"PO_ITEM": "00010", "PO_ITEMX": "X", "NET_PRICE": "X"}]
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert world.ecc.commits == 1
    assert Decimal(str(world.item("4500000001", "00010")["NETPR"])) == Decimal("99.00")
    world.refresh()
    assert not world.store.query("SELECT 1 FROM exceptions WHERE exception_id = ? AND is_open", [xid]).height


def test_change_ecc_account_assignment(world: EccWorld) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "cost_code", key="4500000001/00020")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.can_push, plan.refusal
    params = plan.requests[0].body["parameters"]
    assert params["POACCOUNT"]["item"] == [
        {"PO_ITEM": "00020", "SERIAL_NO": "01", "WBS_ELEMENT": "P-1001-03"}
    ]
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    pspnr = next(r["PSPNR"] for r in world.ecc.tables["PRPS"] if r["POSID"] == "P-1001-03")
    row = next(r for r in world.ecc.tables["EKKN"] if (r["EBELN"], r["EBELP"]) == ("4500000001", "00020"))
    assert row["PS_PSP_PNR"] == pspnr


def test_a_change_made_in_ecc_between_plan_and_push_is_refused(world: EccWorld) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount", key="4500000001/00010")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.can_push, plan.refusal
    world.item("4500000001", "00010")["MENGE"] = Decimal(11)  # a buyer edits the item meanwhile
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "refused", result.message
    assert "changed since the plan" in result.message
    assert world.ecc.commits == 0 and world.item("4500000001", "00010")["MENGE"] == Decimal(11)


def test_a_change_made_in_ecc_since_the_pull_is_refused_at_plan(world: EccWorld) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount", key="4500000001/00010")
    world.item("4500000001", "00010")["AEDAT"] = "20991231"
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert not plan.can_push and "changed in SAP ECC since the snapshot" in (plan.refusal or "")


def test_a_bapi_e_row_fails_the_push_names_the_message_and_commits_nothing(world: EccWorld) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount", key="4500000001/00010")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    world.ecc.fail_items.add(("4500000001", "00010"))
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "failed"
    assert "net price cannot be changed" in result.message and "Nothing was committed" in result.message
    assert world.ecc.commits == 0
    assert Decimal(str(world.item("4500000001", "00010")["NETPR"])) == Decimal("100.00")


def test_ecc_vendor_copied_to_procore_is_read_live(world: EccWorld) -> None:
    xid = world.exception("vendor", "missing_in_procore", key="1000003")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.source is not None and plan.source.call.body["function"] == "RFC_READ_TABLE"
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    assert [v["name"] for v in vendors_with_origin(world.procore, "1000003")] == ["Gamma Rentals"]


def test_an_ecc_vendor_renamed_after_the_plan_is_refused(world: EccWorld) -> None:
    xid = world.exception("vendor", "missing_in_procore", key="1000003")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    next(r for r in world.ecc.tables["LFA1"] if r["LIFNR"] == "0001000003")["NAME1"] = "Gamma Rentals Two"
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "refused" and vendors_with_origin(world.procore, "1000003") == []


SCRIPT = """
import sys
from reconcile.profile import load_profile
from reconcile.push import execute_push, plan_push
from reconcile.store import Store
profile = load_profile(sys.argv[1])
store = Store(profile.store_path)
plan = plan_push(store, profile, sys.argv[2], direction="procore_to_erp")
assert plan.can_push, plan.refusal
execute_push(store, profile, plan, actor="crashing")
print("not reached: the hook should have ended the process")
"""


def _crash(world: EccWorld, xid: str) -> None:
    """Push in a child process that dies right after the BAPI and its commit, before the store hears."""
    world.store.close()
    env = {**os.environ, CRASH_HOOK: "1", "PYTHONPATH": str(ROOT)}
    assert world.profile.source_path is not None
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(world.profile.source_path), xid],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 86, proc.stdout + proc.stderr
    assert world.ecc.commits == 1  # the BAPI and its commit landed; the store never heard


def test_a_commit_retried_after_a_kill_does_not_double_the_change(world: EccWorld) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount", key="4500000001/00010")
    _crash(world, xid)
    world.store = Store(world.profile.store_path)
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.resumes and plan.already_applied, plan.refusal
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert world.ecc.commits == 1  # nothing sent twice
    assert Decimal(str(world.item("4500000001", "00010")["NETPR"])) == Decimal("99.00")
    assert decisions.status(world.store, xid) == "pushed"
    assert audit.verify(world.store) == []


def _create(world: EccWorld) -> str:
    return world.exception("commitment", "missing_in_erp", key="procore:9000777")


def test_create_ecc_po_from_a_procore_contract_with_its_reference(world: EccWorld) -> None:
    xid = _create(world)
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.can_push, plan.refusal
    params = plan.requests[0].body["parameters"]
    assert params["POHEADER"]["OUR_REF"] == xid[1:] and params["POHEADER"]["VENDOR"] == "0001000001"
    assert params["POHEADERX"]["OUR_REF"] == "X"
    assert params["POACCOUNT"]["item"] == [
        {"PO_ITEM": "00010", "SERIAL_NO": "01", "WBS_ELEMENT": "P-1001-03"}
    ]
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    created = [h for h in world.ecc.tables["EKKO"] if h["UNSEZ"] == xid[1:]]
    assert len(created) == 1 and result.document == created[0]["EBELN"]


def test_a_create_retried_after_a_kill_finds_its_po_and_creates_no_second(world: EccWorld) -> None:
    xid = _create(world)
    _crash(world, xid)
    assert len([h for h in world.ecc.tables["EKKO"] if h["UNSEZ"] == xid[1:]]) == 1
    world.store = Store(world.profile.store_path)
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.resumes and plan.can_push and plan.lookup_found, plan.refusal
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok and "nothing was sent twice" in result.message, result.message
    assert len([h for h in world.ecc.tables["EKKO"] if h["UNSEZ"] == xid[1:]]) == 1
    assert world.ecc.commits == 1


def test_a_create_without_create_defaults_is_one_sentence(world: EccWorld) -> None:
    text = world.profile.source_path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    world.profile.source_path.write_text(  # type: ignore[union-attr]
        "\n".join(ln for ln in text.splitlines() if not ln.startswith("create_defaults")), encoding="utf-8"
    )
    profile = load_profile(world.profile.source_path)  # type: ignore[arg-type]
    plan = plan_push(world.store, profile, _create(world), direction="procore_to_erp")
    assert not plan.can_push and "PURCH_ORG and PUR_GROUP" in (plan.refusal or "")
