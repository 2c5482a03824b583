"""Approve-then-push through both simulators over loopback: one push of each kind and the guarantees.

A tiny company (one project, three suppliers, three POs, one approved subcontractor invoice)
is pulled and diffed by the real adapters, so each exception is exactly what an analyst sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from adapters.procore import writes
from adapters.procore.simulator import ProcoreSimulator
from adapters.sap.simulator import SapSimulator
from adapters.simkit import Fault
from app.demo import SIM_ERP_CLIENT, SIM_ERP_SECRET, SIM_PROCORE_CLIENT, SIM_PROCORE_SECRET, write_profile
from reconcile import audit, decisions
from reconcile.exceptions import run_diff
from reconcile.profile import Profile, load_profile
from reconcile.pull import run_pull
from reconcile.push import execute_push, failed_pushes, plan_push, retry_push
from reconcile.store import Store
from sample_data.company import COMPANY_ID, TRADE_BY_SEG, Builder, Item, Project
from sample_data.generate import _mappings

pytestmark = pytest.mark.slow
BOTH = ["erp_to_procore", "procore_to_erp"]
HOSTILE = '[bold red]x\x1b[2J=HYPERLINK("http://evil")'


def tiny_company() -> Builder:
    """Planted: a vendor name, a missing vendor, a missing PO, a line amount and cost code, an invoice."""
    b = Builder(7)
    trades = [TRADE_BY_SEG["03"], TRADE_BY_SEG["05"]]
    p = Project(number="1001", pid=2_783_001, wbs="P-1001", trades=trades)
    p.areas = b.wbs_tree(p.wbs, "Tiny Tower", trades, {"03": 1, "05": 1})
    b.procore_project("1001", p.pid, "Tiny Tower", active=True, origin=p.wbs)
    p.codes = b._codes
    b.projects["1001"] = p
    b.supplier("1000001", "Alpha Concrete Inc")
    b.vendor(7_100_001, "Alpha Concrete Inc", "1000001")
    b.vendor_of["1000001"] = 7_100_001
    b.supplier("1000002", "Beta Steel LLC")
    b.vendor(7_100_002, "Beta Steel Co", "1000002")  # name mismatch
    b.vendor_of["1000002"] = 7_100_002
    b.supplier("1000003", "Gamma Rentals")  # missing in Procore
    b.supplier("1000004", HOSTILE)  # missing in Procore, and hostile
    w03, w05 = p.areas["03"][0], p.areas["05"][0]
    items = [
        Item("Concrete", Decimal(10), Decimal("100.00"), [(w03, "510000", "")]),
        Item("Rebar", Decimal(5), Decimal("20.00"), [(w05, "510000", "")]),
        Item("Anchors", Decimal(4), Decimal("25.00"), [(w05, "510000", "")]),
    ]
    b.po("4500000001", "1000001", items)
    c = b.mirror(p, "4500000001", items)
    lines = b.procore["commitment_line_items"][str(c["id"])]
    lines[0]["amount"] = "990.00"  # SAP says 1000.00
    lines[1]["cost_code"] = p.ref("03-300")  # SAP maps it to 05-100
    b.po("4500000002", "1000002", [Item("Steel deck", Decimal(2), Decimal("750.00"), [(w05, "510000", "")])])
    b.requisition(p, [("03-300", Decimal("300.00"))], status="approved")
    return b


@dataclass
class World:
    profile: Profile
    store: Store
    procore: ProcoreSimulator
    sap: SapSimulator

    def exception(self, obj: str, kind: str, field: str = "", key: str | None = None) -> str:
        frame = self.store.query(
            "SELECT exception_id, key FROM exceptions WHERE object = ? AND kind = ? AND coalesce(field, '') = ? "
            "AND is_open",
            [obj, kind, field],
        )
        if key is not None:
            frame = frame.filter(pl.col("key") == key)
        assert frame.height == 1, (obj, kind, field, frame)
        return str(frame["exception_id"][0])

    def refresh(self, *, full: bool = False) -> None:
        outcome = run_pull(self.profile, self.store, full=full)
        assert outcome.ok, outcome.error
        run_diff(self.store, self.profile)


def make_world(tmp: Path, monkeypatch: pytest.MonkeyPatch, allow: list[str]) -> Iterator[World]:
    b = tiny_company()
    (tmp / "mappings").mkdir()
    for name, text in _mappings(b).items():
        (tmp / "mappings" / name).write_text(text, encoding="utf-8")
    procore = ProcoreSimulator(
        b.procore, client_id=SIM_PROCORE_CLIENT, client_secret=SIM_PROCORE_SECRET, company_id=COMPANY_ID
    )
    sap = SapSimulator(b.sap, client_id=SIM_ERP_CLIENT, client_secret=SIM_ERP_SECRET)
    monkeypatch.setenv("TIEOUT_PROCORE_CLIENT_SECRET", SIM_PROCORE_SECRET)
    monkeypatch.setenv("TIEOUT_ERP_CLIENT_SECRET", SIM_ERP_SECRET)
    write_profile(
        tmp / "p.toml",
        procore_url=procore.start(),
        sap_url=sap.start(),
        extras={"company_id": COMPANY_ID},
        push_allow=allow,
    )
    profile = load_profile(tmp / "p.toml")
    store = Store(profile.store_path)
    world = World(profile, store, procore, sap)
    try:
        world.refresh()
        yield world
    finally:
        store.close()
        procore.stop()
        sap.stop()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, BOTH)


def vendors_with_origin(sim: ProcoreSimulator, origin: str) -> list[dict[str, Any]]:
    return [v for v in sim.data["vendors"] if v.get("origin_id") == origin]


# -- one push of each kind ------------------------------------------------------------------------
def test_create_missing_vendor(world: World) -> None:
    xid = world.exception("vendor", "missing_in_procore", key="1000003")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.direction == "erp_to_procore"
    assert plan.requests[0].method == "POST" and plan.requests[0].body["vendor"]["origin_id"] == "1000003"
    # The wire shape of the write is the adapter's, built once there.
    want = writes.create_vendor(
        COMPANY_ID, {"name": "Gamma Rentals", "origin_id": "1000003", "is_active": True}
    )
    call = plan.requests[0]
    assert writes.PlannedWrite(call.method, call.path, call.params, call.body) == want
    assert any("Request 1: POST http://127.0.0.1" in line for line in plan.render())
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert len(vendors_with_origin(world.procore, "1000003")) == 1
    assert decisions.status(world.store, xid) == "pushed"
    actions = audit.entries(world.store, xid)["action"].to_list()
    assert actions == ["decision:approved", "push:sending", "push:done", "decision:pushed"] or actions[
        -2:
    ] == [
        "decision:pushed",
        "push:done",
    ]
    assert audit.verify(world.store) == []
    world.refresh()
    assert world.store.query("SELECT * FROM exceptions WHERE exception_id = ? AND is_open", [xid]).is_empty()


def test_fix_vendor_name(world: World) -> None:
    xid = world.exception("vendor", "value_mismatch", "name")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.target is not None and plan.target["name"] == "Beta Steel Co"
    assert plan.requests[0].path.endswith("/vendors/sync")
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert vendors_with_origin(world.procore, "1000002")[0]["name"] == "Beta Steel LLC"


def test_create_missing_commitment_with_lines(world: World) -> None:
    xid = world.exception("commitment", "missing_in_procore", key="4500000002")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert [c.method for c in plan.requests] == ["POST", "PATCH"]
    line = plan.requests[1].body["updates"][0]
    shapes = [writes.PlannedWrite(c.method, c.path, c.params, c.body) for c in plan.requests]
    assert shapes[1] == writes.sync_line_items(2_783_001, "{contract_id}", [line])
    assert shapes[0] == writes.create_purchase_order_contract(
        2_783_001, plan.requests[0].body["purchase_order_contract"]
    )
    assert line["origin_id"] == "4500000002/00010" and line["amount"] == "1500.00"
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    pid = "2783001"
    made = [
        c for c in world.procore.data["purchase_order_contracts"][pid] if c.get("origin_id") == "4500000002"
    ]
    assert len(made) == 1
    assert [li["origin_id"] for li in world.procore.data["commitment_line_items"][str(made[0]["id"])]] == [
        "4500000002/00010"
    ]


def test_fix_line_amount_in_procore(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.requests[0].body["updates"][0]["amount"] == "1000.00"
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    world.refresh()
    assert world.store.query("SELECT * FROM exceptions WHERE exception_id = ? AND is_open", [xid]).is_empty()


def test_fix_line_cost_code_in_procore(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "cost_code")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    world.refresh()
    assert world.store.query("SELECT * FROM exceptions WHERE exception_id = ? AND is_open", [xid]).is_empty()


def test_change_sap_po_item_price(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.can_push, plan.refusal
    call = plan.requests[0]
    assert call.method == "PATCH" and call.body == {"NetPriceAmount": "99.00"}
    assert call.headers["If-Match"].startswith("W/")
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    item = next(
        i
        for i in world.sap.data["A_PurchaseOrderItem"]
        if i["PurchaseOrder"] == "4500000001" and i["PurchaseOrderItem"] == "00010"
    )
    assert Decimal(str(item["NetPriceAmount"])) == Decimal("99")


def test_post_supplier_invoice_once(world: World) -> None:
    xid = world.exception("actual", "missing_in_erp", key="1001/03-300")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.direction == "procore_to_erp"
    body = plan.requests[0].body
    assert body["InvoiceGrossAmount"] == "300.00"
    assert body["to_SuplrInvcItemPurOrdRef"]["results"][0]["PurchaseOrder"] == "4500000001"
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok and result.document, result.message
    # A second plan finds the posted invoice by its reference and refuses to post it again.
    decisions.decide(world.store, xid, "open", actor="ana")
    again = plan_push(world.store, world.profile, xid)
    assert not again.can_push and "already has supplier invoice" in (again.refusal or "")
    # SAP books the invoice's cost on the PO item's WBS element: the next pull and diff tie out.
    world.refresh()
    assert world.store.query("SELECT * FROM exceptions WHERE exception_id = ? AND is_open", [xid]).is_empty()


# -- guarantees ---------------------------------------------------------------------------------
def test_read_only_profile_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for w in make_world(tmp_path, monkeypatch, []):
        xid = w.exception("vendor", "missing_in_procore", key="1000003")
        plan = plan_push(w.store, w.profile, xid)
        assert not plan.can_push
        assert "[push].allow" in (plan.refusal or "") and "read-only" in (plan.refusal or "")
        result = execute_push(w.store, w.profile, plan, actor="ana")
        assert result.state == "refused"
        assert vendors_with_origin(w.procore, "1000003") == []


def test_target_changed_since_snapshot_is_refused(world: World) -> None:
    xid = world.exception("vendor", "value_mismatch", "name")
    vendor = vendors_with_origin(world.procore, "1000002")[0]
    vendor["name"], vendor["updated_at"] = "Beta Steel Corp", "2030-01-01T00:00:00Z"
    plan = plan_push(world.store, world.profile, xid)
    assert not plan.can_push and "changed in Procore since the snapshot" in (plan.refusal or "")


def test_target_changed_after_plan_is_refused_and_queued(world: World) -> None:
    xid = world.exception("vendor", "value_mismatch", "name")
    plan = plan_push(world.store, world.profile, xid)
    vendor = vendors_with_origin(world.procore, "1000002")[0]
    vendor["name"], vendor["updated_at"] = "Beta Steel Corp", "2030-01-01T00:00:00Z"
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "refused" and "pull and diff again" in result.message
    assert vendor["name"] == "Beta Steel Corp"
    queue = failed_pushes(world.store)
    assert queue["push_id"].to_list() == [plan.push_id]
    assert decisions.status(world.store, xid) == "failed"


@pytest.mark.parametrize("status", [412, 428])
def test_sap_precondition_failures_refuse(world: World, status: int) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    world.sap.faults.add(
        Fault(
            "status",
            path=r"A_PurchaseOrderItem\(",
            after=1,
            status=status,
            body=b'{"error":{"code":"X","message":{"value":"precondition"}}}',
        )
    )
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "refused", result.message
    assert result.status_code == status and "fresh pull and diff" in result.message


def test_forbidden_names_the_permission_and_retries_once_asked(world: World) -> None:
    xid = world.exception("vendor", "missing_in_procore", key="1000003")
    plan = plan_push(world.store, world.profile, xid)
    world.procore.faults.add(Fault("forbidden", path=r"/vendors$", after=1))
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "failed" and result.status_code == 403
    assert "write permission on Directory" in result.message
    assert len(world.procore.server.requests(r"/vendors$", "POST")) == 1  # never retried blindly
    assert failed_pushes(world.store)["exception_id"].to_list() == [xid]
    retried = retry_push(world.store, world.profile, plan.push_id, actor="ana")
    assert retried.ok, retried.message
    assert failed_pushes(world.store).is_empty()
    assert len(vendors_with_origin(world.procore, "1000003")) == 1


def test_no_automatic_push_is_one_sentence(world: World) -> None:
    xid = world.exception("commitment", "value_mismatch", "amount", key="4500000001")
    plan = plan_push(world.store, world.profile, xid)
    assert not plan.can_push
    assert plan.refusal and plan.refusal.startswith("There is no automatic push for")


# -- the command line -----------------------------------------------------------------------------
def test_cli_shows_then_performs_and_audit_verifies(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    xid = world.exception("vendor", "missing_in_procore", key="1000003")
    world.store.close()
    prof = str(world.profile.source_path)
    assert main(["push", "--profile", prof, "--exception", xid]) == 0
    out = capsys.readouterr().out
    assert "Request 1: POST http://127.0.0.1" in out and "--yes" in out
    assert vendors_with_origin(world.procore, "1000003") == []
    assert main(["push", "--profile", prof, "--exception", xid, "--yes"]) == 0
    assert "done" in capsys.readouterr().out
    assert len(vendors_with_origin(world.procore, "1000003")) == 1
    assert main(["push", "--profile", prof, "--exception", xid, "--yes"]) == 1  # already pushed
    assert "was already pushed" in capsys.readouterr().out
    assert main(["push", "--profile", prof, "--exception", "XNOPE"]) == 2
    assert main(["audit", "verify", "--profile", prof]) == 0
    world.store = Store(world.profile.store_path)
    world.store.cursor().execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
    world.store.close()
    assert main(["audit", "verify", "--profile", prof]) == 1
    assert "Audit entry 1" in capsys.readouterr().err
    world.store = Store(world.profile.store_path)


def test_cli_read_only_profile_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from app.cli import main

    for w in make_world(tmp_path, monkeypatch, []):
        xid = w.exception("vendor", "value_mismatch", "name")
        w.store.close()
        assert main(["push", "--profile", str(w.profile.source_path), "--exception", xid, "--yes"]) == 1
        assert "read-only" in capsys.readouterr().out
        w.store = Store(w.profile.store_path)


def test_fix_links_an_unlinked_procore_line(world: World) -> None:
    """A line linked only by position gets its ERP key with the fix (sync sends id and origin_id)."""
    contract = next(c for c in world.procore.data["purchase_order_contracts"]["2783001"] if c["origin_id"])
    line = world.procore.data["commitment_line_items"][str(contract["id"])][0]
    line["origin_id"] = None
    world.refresh()
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid)
    update = plan.requests[0].body["updates"][0]
    assert update == {"id": line["id"], "amount": "1000.00", "origin_id": "4500000001/00010"}
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    assert line["origin_id"] == "4500000001/00010" and line["amount"] == "1000.00"


def test_add_missing_line_to_procore_contract(world: World) -> None:
    contract = next(c for c in world.procore.data["purchase_order_contracts"]["2783001"] if c["origin_id"])
    lines = world.procore.data["commitment_line_items"][str(contract["id"])]
    lines.pop()  # Anchors, SAP item 00030
    world.refresh(full=True)  # an incremental pull cannot see a deletion
    xid = world.exception("commitment_line", "missing_in_procore", key="4500000001/00030")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.requests[0].body["updates"][0]["origin_id"] == "4500000001/00030"
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    assert [li["origin_id"] for li in lines].count("4500000001/00030") == 1


def test_change_sap_account_assignment(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "cost_code")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.can_push, plan.refusal
    call = plan.requests[0]
    assert call.entity_set == "A_PurOrdAccountAssignment" and call.body == {"WBSElement": "P-1001-03"}
    assert "If-Match" in call.headers
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    assignment = next(
        a
        for a in world.sap.data["A_PurOrdAccountAssignment"]
        if a["PurchaseOrder"] == "4500000001" and a["PurchaseOrderItem"] == "00020"
    )
    assert assignment["WBSElement"] == "P-1001-03"


def test_hostile_names_pass_through_exactly_and_print_safely(world: World, capsys) -> None:
    from app.cli import main

    xid = world.exception("vendor", "missing_in_procore", key="1000004")
    world.store.close()
    assert main(["push", "--profile", str(world.profile.source_path), "--exception", xid, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "[bold red]x" in out
    assert vendors_with_origin(world.procore, "1000004")[0]["name"] == HOSTILE
    world.store = Store(world.profile.store_path)
    assert audit.verify(world.store) == []


def test_sap_forbidden_is_a_sentence_and_not_retried(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    world.sap.faults.add(Fault("status", path=r"A_PurchaseOrderItem\(", after=1, status=403, times=-1))
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "failed" and result.status_code == 403, result.message
    assert "SAP team" in result.message
    assert len(world.sap.server.requests(r"A_PurchaseOrderItem\(", "PATCH")) == 1


# -- stale exceptions: the source is re-read, and a closed exception is never pushed ------------------
def change_sap_price(world: World, po: str, item: str, price: str) -> None:
    """Someone changes a PO item in SAP (over HTTP, the way any SAP client commits a change)."""
    import anyio

    from adapters.sap.push import SapPush
    from reconcile.secrets import get_secret

    async def change() -> None:
        sap = SapPush(world.profile.erp, get_secret(world.profile.name, "erp"))
        try:
            await sap.execute(await sap.plan_item_change(po, item, {"NetPriceAmount": Decimal(price)}))
        finally:
            await sap.aclose()

    anyio.run(change)


def procore_line(world: World, origin: str) -> dict[str, Any]:
    return next(
        li
        for lines in world.procore.data["commitment_line_items"].values()
        for li in lines
        if li.get("origin_id") == origin
    )


def line_syncs(world: World) -> list[Any]:
    return world.procore.server.requests(r"/line_items/sync", "PATCH")


def test_cli_refuses_an_exception_the_latest_diff_closed(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9.1: SAP 1,000 vs Procore 990; SAP becomes 990; pull and diff close the exception."""
    from app.cli import main

    xid = world.exception("commitment_line", "value_mismatch", "amount")
    change_sap_price(world, "4500000001", "00010", "99.00")
    world.refresh()
    assert world.store.query("SELECT 1 FROM exceptions WHERE exception_id = ? AND is_open", [xid]).is_empty()
    world.store.close()
    code = main(["push", "--profile", str(world.profile.source_path), "--exception", xid, "--yes"])
    out = capsys.readouterr()
    assert code == 1
    assert "no longer open in the latest diff" in out.err and "pull and diff again" in out.err
    assert procore_line(world, "4500000001/00010")["amount"] == "990.00"
    assert line_syncs(world) == []
    world.store = Store(world.profile.store_path)


def test_a_source_changed_since_the_pull_is_refused(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    change_sap_price(world, "4500000001", "00010", "99.50")  # SAP now says 995.00, the snapshot 1,000
    plan = plan_push(world.store, world.profile, xid)
    assert not plan.can_push
    assert "SAP item 4500000001/00010 changed in SAP since the last pull" in (plan.refusal or "")
    assert execute_push(world.store, world.profile, plan, actor="ana").state == "refused"
    assert procore_line(world, "4500000001/00010")["amount"] == "990.00" and line_syncs(world) == []


def test_a_source_changed_after_the_plan_is_refused(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push and plan.source is not None, plan.refusal
    change_sap_price(world, "4500000001", "00010", "99.50")
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "refused" and "changed since the plan" in result.message
    assert "pull and diff again" in result.message
    assert procore_line(world, "4500000001/00010")["amount"] == "990.00" and line_syncs(world) == []


def test_a_procore_source_changed_after_the_plan_is_refused(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid, direction="procore_to_erp")
    assert plan.can_push and plan.source is not None, plan.refusal
    line = procore_line(world, "4500000001/00010")
    line["amount"], line["updated_at"] = "995.00", "2030-01-01T00:00:00Z"
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "refused" and "Procore line" in result.message
    assert world.sap.server.requests(r"A_PurchaseOrderItem\(", "PATCH") == []


def test_an_exception_closed_after_the_plan_is_refused(world: World) -> None:
    xid = world.exception("commitment_line", "value_mismatch", "amount")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    change_sap_price(world, "4500000001", "00010", "99.00")
    world.refresh()
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "refused" and "no longer open in the latest diff" in result.message
    assert line_syncs(world) == []


def test_a_pull_since_the_diff_is_refused(world: World) -> None:
    xid = world.exception("vendor", "value_mismatch", "name")
    assert run_pull(world.profile, world.store).ok
    plan = plan_push(world.store, world.profile, xid)
    assert not plan.can_push and "diff again" in (plan.refusal or "")


def test_no_push_copies_an_amount_across_currencies(world: World) -> None:
    for rec in (*world.sap.data["A_PurchaseOrder"], *world.sap.data["A_PurchaseOrderItem"]):
        if rec["PurchaseOrder"] == "4500000002":
            rec["DocumentCurrency"] = "EUR"
    world.refresh(full=True)
    xid = world.exception("commitment", "missing_in_procore", key="4500000002")
    plan = plan_push(world.store, world.profile, xid)
    assert not plan.can_push
    assert "is in EUR and the Procore project in USD" in (plan.refusal or "")
    assert execute_push(world.store, world.profile, plan, actor="ana").state == "refused"
    assert world.procore.server.requests(r"/purchase_order_contracts$", "POST") == []
