"""PeopleSoftPush against PeopleSoftSimulator over loopback: journals by LINE_REF, POs, live reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from peoplesoft_seed import BU, PASSWORD, SETID, peoplesoft_rows, ps_settings

from adapters.base import ResponseError, UnreachableError
from adapters.peoplesoft.push import ChartFields, PeopleSoftPush, PoLine, journal_request, po_request
from adapters.peoplesoft.simulator import PeopleSoftSimulator
from adapters.simkit import Fault


@pytest.fixture
def sim() -> Iterator[PeopleSoftSimulator]:
    s = PeopleSoftSimulator(peoplesoft_rows(), page_cap=2, setid_of={BU: SETID})
    s.start()
    yield s
    s.stop()


def writer(sim: PeopleSoftSimulator) -> PeopleSoftPush:
    settings = ps_settings(sim.base_url, journal_offset_account="210000")
    return PeopleSoftPush(settings, lambda: PASSWORD, backoff=0.001, timeout=5)


def journal(w: PeopleSoftPush, ref: str = "XABC123") -> dict:  # type: ignore[type-arg]
    return journal_request(
        w.settings,
        line_ref=ref,
        journal_date=date(2026, 11, 30),
        amount=Decimal("4875.01"),
        currency="USD",
        expense=ChartFields("520000", "100", "PRJ1", "A01"),
        description="Procore direct cost 8100001 for project 1009",
    )


async def test_a_journal_balances_posts_once_and_is_found_by_its_line_ref(sim: PeopleSoftSimulator) -> None:
    w = writer(sim)
    body = journal(w)
    lines = body["TIEOUT_JOURNAL_REQ"]["LINES"]
    assert sum(ln["MONETARY_AMOUNT"] for ln in lines) == 0
    assert lines[1]["ACCOUNT"] == "210000" and lines[0]["PROJECT_ID"] == "PRJ1"
    assert await w.find_journal("XABC123") is None
    jid, _ = await w.post_journal(body)
    assert await w.find_journal("XABC123") == jid
    assert await w.find_journal("XOTHER") is None
    await w.aclose()
    # The amount went over the wire as a JSON number and was read exactly.
    posted = sim.journals[jid]["lines"]
    assert [ln["MONETARY_AMOUNT"] for ln in posted] == [Decimal("4875.01"), Decimal("-4875.01")]


async def test_a_journal_post_is_never_retried_after_a_dropped_answer(sim: PeopleSoftSimulator) -> None:
    sim.faults.add(Fault("drop", path=r"TIEOUT_JOURNAL\.v1$"))
    w = writer(sim)
    with pytest.raises(UnreachableError, match="did not confirm TIEOUT_JOURNAL.v1"):
        await w.post_journal(journal(w))
    await w.aclose()
    assert len(sim.server.requests(r"TIEOUT_JOURNAL\.v1$", "POST")) == 1


async def test_an_inactive_journal_operation_names_it(sim: PeopleSoftSimulator) -> None:
    sim.inactive.add("JOURNAL")
    w = writer(sim)
    with pytest.raises(ResponseError, match=r"TIEOUT_JOURNAL\.v1 is not active on node PSFT_EP"):
        await w.find_journal("XABC123")
    await w.aclose()


async def test_a_po_is_created_and_read_back_live_and_a_second_post_is_refused(
    sim: PeopleSoftSimulator,
) -> None:
    w = writer(sim)
    assert await w.read_po("4500099001") == []
    body = po_request(
        w.settings,
        po_id="4500099001",
        vendor_id="0000000001",
        currency="USD",
        po_date=date(2026, 11, 30),
        reference="XPO1",
        lines=[
            PoLine(1, "Rebar", Decimal("7700.00"), ChartFields("510000", "100", "PRJ1", "A01")),
            PoLine(2, "Ties", Decimal("420.00"), ChartFields("510000", "100", "PRJ1", "A01")),
        ],
    )
    po_id, _ = await w.post_po(body)
    rows = await w.read_po(po_id)
    assert [(r["LINE_NBR"], r["MERCHANDISE_AMT"]) for r in rows] == [
        (1, Decimal("7700.00")),
        (2, Decimal("420.00")),
    ]
    with pytest.raises(ResponseError, match="already exists"):
        await w.post_po(body)
    assert [r["NAME1"] for r in await w.read_vendor("0000000003")] == ["Vendor 3"]
    await w.aclose()
