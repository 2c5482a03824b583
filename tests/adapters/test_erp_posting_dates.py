"""Each ERP's actuals carry the date the close's cut-off places them by, read over loopback.

None of the ERPs Tieout reads reports actual cost per posting: SAP S/4's aggregated journal
groups by fiscal period, PeopleSoft's LEDGER and ECC's COSP hold period balances, EBS's
GET_ACTUALS sums by PERIOD_NAME. A balance is dated on its period's last day
(``adapters.fiscal_period``); ECC's and EBS's rows are checked in their canonical tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from peoplesoft_seed import BU, PASSWORD, SETID, peoplesoft_rows, ps_settings
from sap_seed import CLIENT_ID, CLIENT_SECRET, MemorySink, erp_settings, sap_seed

from adapters.fiscal_period import ebs_period_end, period_end, sap_period_end
from adapters.peoplesoft.adapter import PeopleSoftAdapter
from adapters.peoplesoft.simulator import PeopleSoftSimulator
from adapters.sap.adapter import SapAdapter
from adapters.sap.simulator import SapSimulator
from reconcile.secrets import Secret


@pytest.fixture
def sap() -> Iterator[SapSimulator]:
    seed = sap_seed()
    journal = seed["sap"]["A_JournalEntryItemBasic"]
    late = {
        **journal[1],
        "ID": "JE-LATE",
        "FiscalYearPeriod": "2025012",
        "AmountInCompanyCodeCurrency": "40.125",
    }
    journal.append(late)
    s = SapSimulator(seed, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, page_size=7)
    s.start()
    yield s
    s.stop()


async def test_s4_journal_is_read_per_fiscal_period_and_dated_on_its_last_day(sap: SapSimulator) -> None:
    adapter = SapAdapter(erp_settings(sap.base_url), Secret(CLIENT_SECRET), backoff=0.001, timeout=5)
    sink = MemorySink()
    try:
        await adapter.pull(sink, full=True, previous=None)
    finally:
        await adapter.aclose()
    journal = [r for r in sap.server.requests("A_JournalEntryItemBasic") if "$count" not in r.path]
    assert all("FiscalYearPeriod" in r.query for r in journal)
    actuals = adapter.canonicalize(sink.reader)["erp_actuals"]
    by_day = dict(actuals.group_by("posting_date").agg(pl.col("amount").sum()).rows())
    assert by_day[date(2025, 12, 31)] == Decimal("40.125")
    assert date(2025, 1, 31) in by_day and actuals["posting_date"].null_count() == 0


@pytest.fixture
def ps() -> Iterator[PeopleSoftSimulator]:
    rows = peoplesoft_rows()
    late = {**rows["LEDGER"][0], "ACCOUNTING_PERIOD": 12, "MONETARY_AMOUNT": Decimal("7.77")}
    rows["LEDGER"].append(late)
    s = PeopleSoftSimulator(rows, page_cap=2, setid_of={BU: SETID})
    s.start()
    yield s
    s.stop()


async def test_peoplesoft_ledger_balances_are_dated_on_their_period_end(ps: PeopleSoftSimulator) -> None:
    adapter = PeopleSoftAdapter(ps_settings(ps.base_url), lambda: PASSWORD, backoff=0.001, timeout=5)
    sink = MemorySink()
    try:
        await adapter.pull(sink, full=True, previous=None)
    finally:
        await adapter.aclose()
    actuals = adapter.canonicalize(sink.reader)["erp_actuals"]
    late = actuals.filter(posting_date=date(2026, 12, 31))
    assert late["amount"].to_list() == [Decimal("7.77")]
    assert set(actuals["posting_date"].to_list()) == {date(2026, 10, 31), date(2026, 12, 31)}


@pytest.mark.parametrize(
    ("year", "period", "day"),
    [
        (2026, 11, date(2026, 11, 30)),
        (2024, 2, date(2024, 2, 29)),
        (2026, 13, date(2026, 12, 31)),  # SAP special period: year-end adjustments
        (2026, 999, date(2026, 12, 31)),  # PeopleSoft adjustment period
        (2026, 0, date(2025, 12, 31)),  # PeopleSoft balance brought forward
        ("x", 1, None),
    ],
)
def test_period_end(year: object, period: object, day: date | None) -> None:
    assert period_end(year, period) == day  # type: ignore[arg-type]


def test_period_names() -> None:
    assert sap_period_end("2026011") == date(2026, 11, 30)
    assert sap_period_end("") is None and sap_period_end("2026-11") is None
    assert ebs_period_end("JUN-26") == date(2026, 6, 30)
    assert ebs_period_end("Feb-2028") == date(2028, 2, 29)
    assert ebs_period_end("Q2-26") is None and ebs_period_end(None) is None
