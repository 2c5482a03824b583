"""Pushes with a PeopleSoft ERP, end to end over loopback: Procore and Integration Broker simulators,
the real pull, diff and push path (read-before-write, allow-list, audit, failed queue).

The tiny company of ``test_push`` rendered in PeopleSoft's shape, plus an approved Procore direct
cost PeopleSoft lacks (a journal) and a PO made only in Procore (a PeopleSoft PO).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from test_push import tiny_company

from adapters.peoplesoft.simulator import PeopleSoftSimulator
from adapters.procore.simulator import ProcoreSimulator
from app.demo import SIM_PROCORE_CLIENT, SIM_PROCORE_SECRET, write_profile
from reconcile import audit, decisions
from reconcile.exceptions import run_diff
from reconcile.profile import Profile, load_profile
from reconcile.pull import run_pull
from reconcile.push import CRASH_HOOK, execute_push, failed_pushes, plan_push
from reconcile.store import Store
from sample_data.company import COMPANY_ID
from sample_data.generate import DemoCompany, _mappings
from sample_data.peoplesoft_wire import BUSINESS_UNIT, SETID, SIM_PASSWORD, erp_toml, render

ROOT = Path(__file__).resolve().parents[1]
BOTH = ["erp_to_procore", "procore_to_erp"]
OFFSET = "209900"
COST = Decimal("4875.25")


@dataclass
class PsWorld:
    profile: Profile
    store: Store
    procore: ProcoreSimulator
    ps: PeopleSoftSimulator

    def exception(self, obj: str, kind: str, key: str | None = None) -> str:
        frame = self.store.query(
            "SELECT exception_id, key FROM exceptions WHERE object = ? AND kind = ? AND is_open", [obj, kind]
        )
        if key is not None:
            frame = frame.filter(pl.col("key") == key)
        assert frame.height == 1, (obj, kind, frame)
        return str(frame["exception_id"][0])

    def refresh(self) -> None:
        outcome = run_pull(self.profile, self.store)
        assert outcome.ok, outcome.error
        run_diff(self.store, self.profile)


def _with_accounts(cost_codes: str) -> str:
    """Give each cost code one activity row with an account, so it maps back to exactly one set
    of ChartFields a journal or PO line can carry (same codes: the diff is unchanged)."""
    rows = list(csv.reader(io.StringIO(cost_codes)))
    deepest = {r[4]: r for r in rows[1:] if not r[0] and r[2] and r[3]}  # rows are in activity order
    extra = [["510000", "", r[2], r[3], r[4]] for r in deepest.values()]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows + extra)
    return buf.getvalue()


def make_world(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, *, offset: str | None = OFFSET
) -> Iterator[PsWorld]:
    b = tiny_company()
    p = b.projects["1001"]
    b.direct_cost(p, [("03-300", COST)], status="approved")
    only = b.contract(p, cid=9_099_001, number="4500099001", origin=None, vendor_id=7_100_001)
    b.line(
        only,
        p,
        lid=9_099_101,
        position=1,
        amount=Decimal("450.00"),
        code="03-300",
        origin=None,
        description="Formwork",
    )
    company = DemoCompany(b.procore, b.sap, _mappings(b), [], {}, [], [])
    demo = render(company)
    (tmp / "mappings").mkdir()
    for name, text in demo.mappings.items():
        (tmp / "mappings" / name).write_text(
            _with_accounts(text) if name == "cost_codes.csv" else text, encoding="utf-8"
        )
    procore = ProcoreSimulator(
        demo.procore, client_id=SIM_PROCORE_CLIENT, client_secret=SIM_PROCORE_SECRET, company_id=COMPANY_ID
    )
    ps = PeopleSoftSimulator(demo.rows, password=SIM_PASSWORD, setid_of={BUSINESS_UNIT: SETID})
    monkeypatch.setenv("TIEOUT_PROCORE_CLIENT_SECRET", SIM_PROCORE_SECRET)
    monkeypatch.setenv("TIEOUT_ERP_CLIENT_SECRET", SIM_PASSWORD)
    ps.start()
    section = erp_toml(ps.base_url) + (f'journal_offset_account = "{offset}"\n' if offset else "")
    write_profile(
        tmp / "p.toml",
        procore_url=procore.start(),
        extras={"company_id": COMPANY_ID},
        push_allow=BOTH,
        erp_section=section,
        name="Tiny / PeopleSoft",
    )
    profile = load_profile(tmp / "p.toml")
    store = Store(profile.store_path)
    world = PsWorld(profile, store, procore, ps)
    try:
        world.refresh()
        yield world
    finally:
        store.close()
        procore.stop()
        ps.stop()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PsWorld]:
    yield from make_world(tmp_path, monkeypatch)


def journal_posts(world: PsWorld) -> int:
    return len(world.ps.server.requests(r"TIEOUT_JOURNAL\.v1$", "POST"))


def test_a_direct_cost_peoplesoft_lacks_posts_one_balanced_journal_and_the_exception_closes(
    world: PsWorld,
) -> None:
    xid = world.exception("actual", "missing_in_erp", key="1001/03-300")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.direction == "procore_to_erp" and plan.action == "post_journal"
    assert plan.lookup is not None and plan.lookup.params == {"LINE_REF": xid}
    lines = plan.requests[0].body["TIEOUT_JOURNAL_REQ"]["LINES"]
    assert [ln["MONETARY_AMOUNT"] for ln in lines] == [COST, -COST]
    assert {ln["LINE_REF"] for ln in lines} == {xid}
    assert (lines[0]["ACCOUNT"], lines[0]["PROJECT_ID"], lines[1]["ACCOUNT"]) == ("510000", "P-1001", OFFSET)
    assert lines[0]["ACTIVITY_ID"] and lines[0]["CURRENCY_CD"] == "USD"

    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert journal_posts(world) == 1 and result.document in world.ps.journals
    assert decisions.status(world.store, xid) == "pushed"
    assert audit.verify(world.store) == []
    # PeopleSoft's Journal Post ran: the next pull sees the direct cost; what is left at the key is
    # the approved subcontractor invoice (300.00), which is PeopleSoft AP's, not a journal's.
    world.refresh()
    left = world.store.query(
        "SELECT kind, erp_value, CAST(difference AS VARCHAR) AS d FROM exceptions "
        "WHERE object = 'actual' AND key = '1001/03-300' AND is_open"
    )
    assert left.rows() == [("value_mismatch", "4875.2500", "-300.0000")]


def test_a_journal_found_by_its_line_ref_is_never_posted_again(world: PsWorld) -> None:
    xid = world.exception("actual", "missing_in_erp", key="1001/03-300")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    # Someone (another Tieout, or a person) posted it under this reference since the plan.
    world.ps.journal_post = False
    body = plan.requests[0].body
    import anyio

    from adapters.peoplesoft.push import PeopleSoftPush

    async def post() -> None:
        w = PeopleSoftPush(world.profile.erp, lambda: SIM_PASSWORD)  # type: ignore[arg-type]
        await w.post_journal(body)
        await w.aclose()

    anyio.run(post)
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok and "nothing was sent twice" in result.message
    assert journal_posts(world) == 1


def test_a_journal_without_an_offset_account_is_refused_with_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for w in make_world(tmp_path, monkeypatch, offset=None):
        plan = plan_push(w.store, w.profile, w.exception("actual", "missing_in_erp", key="1001/03-300"))
        assert not plan.can_push and "journal_offset_account" in (plan.refusal or "")


def test_an_inactive_journal_operation_fails_into_the_queue(world: PsWorld) -> None:
    xid = world.exception("actual", "missing_in_erp", key="1001/03-300")
    plan = plan_push(world.store, world.profile, xid)
    world.ps.inactive.add("JOURNAL")
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.state == "failed" and "TIEOUT_JOURNAL.v1 is not active on node PSFT_EP" in result.message
    assert failed_pushes(world.store)["exception_id"].to_list() == [xid]
    assert journal_posts(world) == 0


def test_a_po_made_only_in_procore_is_created_in_peoplesoft(world: PsWorld) -> None:
    xid = world.exception("commitment", "missing_in_erp")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    body = plan.requests[0].body["TIEOUT_PO_REQ"]
    assert body["PO_ID"] == "4500099001" and body["VENDOR_ID"]
    assert [ln["MERCHANDISE_AMT"] for ln in body["LINES"]] == [Decimal("450.00")]
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert result.document == f"{BUSINESS_UNIT}/4500099001"
    world.refresh()
    assert world.store.query("SELECT is_open FROM exceptions WHERE exception_id = ?", [xid])[
        "is_open"
    ].to_list() == [False]


def test_a_vendor_peoplesoft_has_is_created_in_procore_from_a_live_read(world: PsWorld) -> None:
    xid = world.exception("vendor", "missing_in_procore", key="1000003")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.source is not None and plan.source.call.params == {"VENDOR_ID": "1000003"}
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    assert [v["name"] for v in world.procore.data["vendors"] if v.get("origin_id") == "1000003"] == [
        "Gamma Rentals"
    ]


def test_a_po_peoplesoft_has_becomes_a_contract_numbered_with_the_bare_po_id(world: PsWorld) -> None:
    xid = world.exception("commitment", "missing_in_procore", key=f"{BUSINESS_UNIT}/4500000002")
    plan = plan_push(world.store, world.profile, xid)
    assert plan.can_push, plan.refusal
    assert plan.requests[0].body["purchase_order_contract"]["number"] == "4500000002"
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    world.refresh()
    assert world.store.query("SELECT is_open FROM exceptions WHERE exception_id = ?", [xid])[
        "is_open"
    ].to_list() == [False]


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


@pytest.mark.slow
def test_the_journal_is_posted_exactly_once_when_the_process_dies_after_the_post(world: PsWorld) -> None:
    xid = world.exception("actual", "missing_in_erp", key="1001/03-300")
    world.store.close()
    assert world.profile.source_path is not None
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(world.profile.source_path), xid],
        env={**os.environ, CRASH_HOOK: "1", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 86, proc.stdout + proc.stderr
    world.store = Store(world.profile.store_path)
    assert world.store.query("SELECT state FROM pushes WHERE exception_id = ?", [xid])["state"].to_list() == [
        "sending"
    ]
    assert journal_posts(world) == 1

    plan = plan_push(world.store, world.profile, xid)
    assert plan.resumes and plan.can_push, plan.refusal
    assert plan.lookup_found  # found by LINE_REF before any POST
    result = execute_push(world.store, world.profile, plan, actor="ana")
    assert result.ok, result.message
    assert journal_posts(world) == 1 and len(world.ps.journals) == 1
    assert decisions.status(world.store, xid) == "pushed"
    assert world.store.query("SELECT state FROM pushes WHERE exception_id = ?", [xid])["state"].to_list() == [
        "done"
    ]
    assert audit.verify(world.store) == []


def test_a_line_amount_is_fixed_in_procore_from_the_peoplesoft_line(world: PsWorld) -> None:
    key = f"{BUSINESS_UNIT}/4500000001/1"
    frame = world.store.query(
        "SELECT exception_id FROM exceptions WHERE object = 'commitment_line' AND kind = 'value_mismatch' "
        "AND field = 'amount' AND key = ? AND is_open",
        [key],
    )
    assert frame.height == 1
    plan = plan_push(world.store, world.profile, str(frame["exception_id"][0]), direction="erp_to_procore")
    assert plan.can_push, plan.refusal
    assert plan.source is not None and plan.source.call.params == {"PO_ID": "4500000001"}
    assert execute_push(world.store, world.profile, plan, actor="ana").ok
    world.refresh()
    assert world.store.query(
        "SELECT 1 FROM exceptions WHERE key = ? AND object = 'commitment_line' AND is_open", [key]
    ).is_empty()
