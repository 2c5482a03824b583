"""GL journals into EBS over loopback: GL_INTERFACE, Journal Import, and exactly once across a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from ebs_seed import PASSWORD, USER, ebs_seed, ebs_settings
from sap_seed import MemorySink

from adapters.base import Cancelled
from adapters.oracle_ebs.adapter import OracleEbsAdapter
from adapters.oracle_ebs.push import EbsJournalPush, Journal, JournalImportFailed, StillRunning, cost_journal
from adapters.oracle_ebs.simulator import EbsSimulator
from reconcile.secrets import Secret

REF = "X0123456789AB"


class Killed(Exception):
    """Stands for the process dying between the remote write and the local record."""


@pytest.fixture
def sim() -> Iterator[EbsSimulator]:
    s = EbsSimulator(ebs_seed(), username=USER, password=PASSWORD)
    s.start()
    yield s
    s.stop()


def pusher(sim: EbsSimulator, **over: Any) -> EbsJournalPush:
    return EbsJournalPush(ebs_settings(sim.base_url, **over), Secret(PASSWORD), backoff=0.001, timeout=5)


@pytest.fixture
async def push(sim: EbsSimulator) -> AsyncIterator[EbsJournalPush]:
    p = pusher(sim)
    yield p
    await p.aclose()


def journal(push: EbsJournalPush, amount: str = "1234.56", reference: str = REF) -> Journal:
    return cost_journal(
        push.settings,
        reference=reference,
        accounting_date=date(2025, 3, 31),
        currency="USD",
        amount=Decimal(amount),
        dimensions={"account": "5100", "cost_center": "110", "department": "10"},
        erp_project="PRJ-1001",
        task="1",
        description="Procore direct cost 88 (approved)",
    )


async def test_journal_is_inserted_imported_and_shows_as_an_actual(
    sim: EbsSimulator, push: EbsJournalPush
) -> None:
    plan = await push.plan(journal(push))
    assert plan.existing.state == "NONE"
    assert [c.procedure for c in plan.calls] == ["INSERT_GL_INTERFACE", "SUBMIT_JOURNAL_IMPORT"]
    body = plan.calls[0].body["INSERT_GL_INTERFACE_Input"]
    assert body["RESTHeader"]["Org_Id"] == "204"
    lines = body["InputParameters"]["P_LINES"]["P_LINES_ITEM"]
    assert [(ln["ENTERED_DR"], ln["ENTERED_CR"]) for ln in lines] == [("1234.56", ""), ("", "1234.56")]
    assert lines[0]["SEGMENT1"] == "01" and lines[1]["SEGMENT2"] == "2110"

    result = await push.execute(plan)
    assert result.state == "imported" and result.sent == ["INSERT_GL_INTERFACE", "SUBMIT_JOURNAL_IMPORT"]
    assert result.je_header_id and result.request_id
    # The request went PENDING → RUNNING → COMPLETE, one status read each.
    assert len(sim.server.requests("get_request_status")) == 3
    assert [j["REFERENCE_10"] for j in sim.gl.je_lines] == [REF, REF] and sim.gl.interface == []

    adapter = OracleEbsAdapter(push.settings, Secret(PASSWORD), backoff=0.001, timeout=5)
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()
    actuals = adapter.canonicalize(sink.reader)["erp_actuals"]
    # One row per period (dated on its last day): the journal adds to its own period's.
    rows = actuals.filter(task="1", account="5100", cost_center="110")
    assert rows["amount"].sum() == Decimal("1250.1150") + Decimal("1234.56")
    assert rows["posting_date"].null_count() == 0


@pytest.mark.parametrize("crash", ["after_insert", "after_submit"])
async def test_exactly_once_when_killed_between_the_write_and_the_local_record(
    sim: EbsSimulator, push: EbsJournalPush, crash: str
) -> None:
    def die() -> None:
        raise Killed()

    plan = await push.plan(journal(push))
    with pytest.raises(Killed):
        if crash == "after_insert":
            await push.execute(plan, after_insert=die)
        else:
            await push.execute(plan, after_submit=die)
    assert sim.gl.inserts == 1 and sim.gl.je_lines == []

    # The re-run (a new process: a new session) plans and executes again.
    again = pusher(sim)
    plan2 = await again.plan(journal(again))
    assert plan2.existing.state == "PENDING"
    assert [c.procedure for c in plan2.calls] == (
        [] if crash == "after_submit" else ["SUBMIT_JOURNAL_IMPORT"]
    )
    result = await again.execute(plan2)
    await again.aclose()
    assert result.state == "imported"
    assert "INSERT_GL_INTERFACE" not in result.sent
    assert sim.gl.inserts == 1 and sim.gl.submits == 1
    assert len({j["JE_HEADER_ID"] for j in sim.gl.je_lines}) == 1 and len(sim.gl.je_lines) == 2


async def test_a_retry_after_the_import_sends_nothing(sim: EbsSimulator, push: EbsJournalPush) -> None:
    await push.execute(await push.plan(journal(push)))
    sim.server.log.clear()
    result = await push.execute(await push.plan(journal(push)))
    assert result.state == "already_imported" and result.sent == []
    assert "already carries X0123456789AB" in result.message
    assert not sim.server.requests("insert_gl_interface|submit_journal_import")


async def test_the_server_refuses_a_second_insert_of_a_reference(push: EbsJournalPush) -> None:
    await push.client.call_once("INSERT_GL_INTERFACE", push.insert_params(journal(push)))
    with pytest.raises(Exception) as err:
        await push.client.call_once("INSERT_GL_INTERFACE", push.insert_params(journal(push)))
    assert "XX_TIEOUT_WRITE.INSERT_GL_INTERFACE failed in Oracle EBS" in str(err.value)
    assert "already in GL_INTERFACE" in str(err.value)


async def test_unbalanced_journal_is_refused_before_anything_is_sent(
    sim: EbsSimulator, push: EbsJournalPush
) -> None:
    good = journal(push)
    bad = Journal(good.reference, good.accounting_date, "USD", "x", (good.lines[0],))
    with pytest.raises(JournalImportFailed) as err:
        await push.plan(bad)
    assert "does not balance" in str(err.value) and not sim.server.requests("xx_tieout_write")


async def test_waiting_is_bounded_and_cancellable(sim: EbsSimulator) -> None:
    slow = pusher(sim, poll_seconds=0.001, poll_max_seconds=0.002)  # two status reads at most
    with pytest.raises(StillRunning) as err:
        await slow.execute(await slow.plan(journal(slow)))
    assert "is still RUNNING NORMAL" in str(err.value) and "a retry of the push finds its journal" in str(
        err.value
    )
    await slow.aclose()

    stopper = pusher(sim)
    with pytest.raises(Cancelled):
        await stopper.execute(await stopper.plan(journal(stopper, reference="X2")), cancelled=lambda: True)
    await stopper.aclose()
    # Both requests keep running in EBS; the next attempt finds and finishes them without a new insert.
    finisher = pusher(sim)
    for ref in (REF, "X2"):
        assert (
            await finisher.execute(await finisher.plan(journal(finisher, reference=ref)))
        ).state == "imported"
    await finisher.aclose()
    assert sim.gl.inserts == 2 and sim.gl.submits == 2


async def test_a_failed_import_names_the_request(sim: EbsSimulator, push: EbsJournalPush) -> None:
    original = sim.gl.submit

    def submit_and_fail(p: dict[str, Any]) -> dict[str, Any]:
        out = original(p)
        sim.gl.requests[int(out["X_REQUEST_ID"])].steps = [("RUNNING", "NORMAL"), ("COMPLETE", "ERROR")]
        return out

    sim.gl.submit = submit_and_fail  # type: ignore[method-assign]
    with pytest.raises(JournalImportFailed) as err:
        await push.execute(await push.plan(journal(push)))
    assert "ended COMPLETE ERROR" in str(err.value) and REF in str(err.value)


def test_cost_journal_needs_an_offset_account() -> None:
    settings = ebs_settings("http://ebs.invalid", offset_segments={})
    with pytest.raises(JournalImportFailed) as err:
        cost_journal(
            settings,
            reference=REF,
            accounting_date=date(2025, 3, 31),
            currency="USD",
            amount=Decimal("1"),
            dimensions={"account": "5100"},
            erp_project=None,
            task=None,
            description="",
        )
    assert "[erp] offset_segments" in str(err.value)


async def test_execution_looks_again_instead_of_trusting_a_stale_plan(
    sim: EbsSimulator, push: EbsJournalPush
) -> None:
    stale = await push.plan(journal(push))
    assert stale.existing.state == "NONE"
    other = pusher(sim)  # a second workstation pushes the same exception meanwhile
    await other.execute(await other.plan(journal(other)))
    await other.aclose()

    result = await push.execute(stale)
    assert result.state == "already_imported" and result.sent == []
    assert sim.gl.inserts == 1


async def test_rows_journal_import_rejects_are_named_and_never_inserted_again(
    sim: EbsSimulator, push: EbsJournalPush
) -> None:
    bad = pusher(sim, offset_segments={"SEGMENT2": "9999"})  # no such code combination
    with pytest.raises(JournalImportFailed) as first:
        await bad.execute(await bad.plan(journal(bad)))
    assert "created no journal for X0123456789AB (GL_INTERFACE status EF00,EF04)" in str(first.value)
    with pytest.raises(JournalImportFailed) as again:
        await bad.execute(await bad.plan(journal(bad)))
    await bad.aclose()
    assert "Journal Import rejected the GL_INTERFACE rows of X0123456789AB" in str(again.value)
    assert "correct or delete them in EBS" in str(again.value)
    assert sim.gl.inserts == 1 and sim.gl.je_lines == []
