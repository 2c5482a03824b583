"""What a hostile or overloaded SAP Gateway can do to a pull (issue 9, items 6 and 10), over loopback.

Paging loops end with one sentence; 429 and 5xx are retried with back-off and Retry-After
(capped), then fail as a pull failure (exit 1); ``$top``/``$skip`` windows follow
``[erp].page_size`` whether or not the server pages itself; the delta reaches back an
overlap window and re-read records replace their copy instead of doubling.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sap_seed import CLIENT_ID, CLIENT_SECRET, MemorySink, erp_settings, sap_seed

from adapters.base import PreviousPull, ResponseError
from adapters.sap.adapter import SapAdapter
from adapters.sap.errors import ServerFailure
from adapters.sap.simulator import SapSimulator
from adapters.sap.wire import ODATA_ROOT, format_date, parse_date
from adapters.simkit import Fault
from reconcile.pull import pull_source
from reconcile.secrets import Secret
from reconcile.store import Store

#: A server that does not page at all: every answer is the whole window it was asked for.
NO_SERVER_PAGING = 1_000_000


def start(page_size: int) -> SapSimulator:
    s = SapSimulator(sap_seed(), client_id=CLIENT_ID, client_secret=CLIENT_SECRET, page_size=page_size)
    s.start()
    return s


@pytest.fixture
def sim() -> Iterator[SapSimulator]:
    s = start(7)
    yield s
    s.stop()


@pytest.fixture
def flat() -> Iterator[SapSimulator]:
    """A Gateway service without server-side paging."""
    s = start(NO_SERVER_PAGING)
    yield s
    s.stop()


class Waits:
    """Records the client's waits instead of sleeping them (no sleeps in tests)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def make(sim: SapSimulator, waits: Waits | None = None, **over: Any) -> SapAdapter:
    return SapAdapter(
        erp_settings(sim.base_url, **over), Secret(CLIENT_SECRET), backoff=0.001, timeout=5, sleep=waits
    )


def po_requests(sim: SapSimulator) -> list[dict[str, list[str]]]:
    return [
        parse_qs(r.query) for r in sim.server.requests(ODATA_ROOT + ".*A_PurchaseOrder$") if r.status == 200
    ]


def pos_1000(sim: SapSimulator) -> list[str]:
    return sorted(p["PurchaseOrder"] for p in sim.data["A_PurchaseOrder"] if p["CompanyCode"] == "1000")


# -- client paging: $top / $skip per [erp].page_size ----------------------------------------------
async def test_page_size_windows_a_server_that_does_not_page(flat: SapSimulator) -> None:
    a = make(flat, page_size=5)
    sink = MemorySink()
    await a.pull(sink, full=True, previous=None)
    await a.aclose()
    assert sorted(sink.raw["A_PurchaseOrder"]) == pos_1000(flat)
    sent = po_requests(flat)
    # 29 POs in windows of 5: six requests, each asking for 5 in key order, none past the end.
    assert [q["$top"] for q in sent] == [["5"]] * 6
    assert [q.get("$skip", ["0"])[0] for q in sent] == ["0", "5", "10", "15", "20", "25"]
    assert all(q["$orderby"] == ["PurchaseOrder"] for q in sent)


async def test_server_pages_inside_a_window_are_followed(sim: SapSimulator) -> None:
    """Gateway may cut a $top window into its own pages: the window's __next chain is read to its end."""
    a = make(sim, page_size=10)  # the server pages by 7
    sink = MemorySink()
    await a.pull(sink, full=True, previous=None)
    await a.aclose()
    assert sorted(sink.raw["A_PurchaseOrder"]) == pos_1000(sim)
    sent = po_requests(sim)
    # Windows of 10 (10, 10, 9), each cut 7 + rest: six requests, every one inside a window.
    assert len(sent) == 6
    assert all(q["$top"] == ["10"] for q in sent)
    assert sum("$skiptoken" in q for q in sent) == 3


# -- item 6: paging loops end -----------------------------------------------------------------------
LOOPS = {
    # A __next back to page 1 (the 24,831-request loop). Bounded so the test ends even without the fix.
    "next_loop": (Fault("next_loop", path="A_PurchaseOrder$", after=1, times=50), 2, "served the same page"),
    # A __next that names page 2 again and again.
    "next_repeat": (Fault("next_repeat", path="A_PurchaseOrder$", after=1, times=50), 2, "had sent before"),
    # $skip ignored: every window is the first.
    "ignore_skip": (
        Fault("ignore_skip", path="A_PurchaseOrder$", times=50),
        NO_SERVER_PAGING,
        "served the same page",
    ),
    # More records than $inlinecount promised.
    "count": (
        Fault("count", path="A_PurchaseOrder$", times=-1, body=b"3"),
        NO_SERVER_PAGING,
        "past the 3 records its $inlinecount promised",
    ),
}


@pytest.mark.parametrize("name", sorted(LOOPS))
async def test_paging_loop_stops_with_one_sentence(name: str) -> None:
    fault, server_page, words = LOOPS[name]
    s = start(server_page)
    try:
        s.faults.add(fault)
        a = make(s, page_size=5)
        with pytest.raises(ServerFailure) as err:
            await a.pull(MemorySink(), full=True, previous=None)
        await a.aclose()
        msg = str(err.value)
        assert words in msg and "API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder" in msg
        assert "\n" not in msg and msg.endswith(".")
        assert len(po_requests(s)) <= 6  # stopped at the first repeat, not after the fault ran out
    finally:
        s.stop()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"d": {"results": [], "__count": "many"}}', "__count that is not a number"),
        (b'{"d": {"results": [], "__next": {"uri": 1}}}', "__next that is not a link"),
    ],
)
async def test_hostile_count_or_next_is_one_sentence(body: bytes, words: str, sim: SapSimulator) -> None:
    sim.faults.add(Fault("malformed", path="A_Supplier$", times=1, body=body))
    a = make(sim)
    with pytest.raises(ResponseError, match=words) as err:
        await a.pull(MemorySink(), full=True, previous=None)
    await a.aclose()
    assert "API_BUSINESS_PARTNER/A_Supplier page 1" in str(err.value)


# -- item 10: 429 and 5xx are retried, Retry-After honoured and capped --------------------------------
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_transient_status_is_retried_with_retry_after(status: int, sim: SapSimulator) -> None:
    clean = MemorySink()
    a = make(sim)
    await a.pull(clean, full=True, previous=None)
    sim.faults.add(
        Fault(
            "status", path="A_PurchaseOrder$", after=1, times=2, status=status, headers={"Retry-After": "7"}
        )
    )
    waits = Waits()
    b = make(sim, waits)
    again = MemorySink()
    await b.pull(again, full=True, previous=None)
    await a.aclose()
    await b.aclose()
    assert again.raw == clean.raw
    assert waits.seconds == [7.0, 7.0]


async def test_retry_after_as_a_date(sim: SapSimulator) -> None:
    """An HTTP-date is measured from the answer's Date header: a past one means now, a far one stops."""
    sim.faults.add(
        Fault(
            "status",
            path="A_Supplier$",
            times=1,
            status=503,
            headers={"Retry-After": "Wed, 01 Jan 2020 00:00:00 GMT"},
        )
    )
    waits = Waits()
    a = make(sim, waits)
    await a.pull(MemorySink(), full=True, previous=None)
    assert waits.seconds == [0.0]
    sim.faults.add(
        Fault(
            "status",
            path="A_Supplier$",
            times=1,
            status=503,
            headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"},
        )
    )
    with pytest.raises(ServerFailure, match=r"asked Tieout to wait \d+ s before"):
        await a.pull(MemorySink(), full=True, previous=None)
    await a.aclose()


async def test_retry_after_beyond_the_cap_stops_at_once(sim: SapSimulator) -> None:
    sim.faults.add(
        Fault("status", path="A_Supplier$", times=-1, status=429, headers={"Retry-After": "100000"})
    )
    waits = Waits()
    a = make(sim, waits)
    with pytest.raises(ServerFailure, match=r"asked Tieout to wait 100000 s before .*A_Supplier page 1"):
        await a.pull(MemorySink(), full=True, previous=None)
    await a.aclose()
    assert waits.seconds == []
    assert len(sim.server.requests("A_Supplier$")) == 1


async def test_back_off_without_retry_after_grows(sim: SapSimulator) -> None:
    sim.faults.add(Fault("status", path="A_Supplier$", times=3, status=503))
    waits = Waits()
    a = SapAdapter(erp_settings(sim.base_url), Secret(CLIENT_SECRET), backoff=0.5, sleep=waits)
    await a.pull(MemorySink(), full=True, previous=None)
    await a.aclose()
    assert len(waits.seconds) == 3 and waits.seconds == sorted(waits.seconds) and waits.seconds[0] > 0


def test_spent_retries_are_a_pull_failure_exit_1(
    sim: SapSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command line: a server that keeps answering 503 is exit 1 (the pull failed), not 2."""
    from app.cli import main
    from app.demo import SIM_ERP_CLIENT, write_profile

    s = SapSimulator(sap_seed(), client_id=SIM_ERP_CLIENT, client_secret=CLIENT_SECRET)
    s.start()
    try:
        s.faults.add(Fault("status", path="A_Supplier$", times=-1, status=503, headers={"Retry-After": "0"}))
        monkeypatch.setenv("TIEOUT_ERP_CLIENT_SECRET", CLIENT_SECRET)
        (tmp_path / "mappings").mkdir()
        profile = tmp_path / "p.toml"
        write_profile(profile, procore_url="http://127.0.0.1:9", sap_url=s.base_url, extras={})
        code = main(["pull", "--profile", str(profile), "--source", "erp"])
    finally:
        s.stop()
    err = capsys.readouterr().err
    assert code == 1, err
    assert "kept failing on API_BUSINESS_PARTNER/A_Supplier page 1 (HTTP 503)" in err
    assert "Traceback" not in err and CLIENT_SECRET not in err


# -- item 10: the delta overlaps, and what it re-reads does not double ---------------------------------
def _late_po(sim: SapSimulator, stamp: datetime) -> str:
    """A PO committed after the last pull but stamped before its high-water mark (a long transaction)."""
    head = dict(sim.data["A_PurchaseOrder"][0], PurchaseOrder="4500009999", CompanyCode="1000")
    head["LastChangeDateTime"] = format_date(stamp, offset=True)
    sim.data["A_PurchaseOrder"].append(head)
    return "4500009999"


async def test_delta_overlap_reads_a_late_commit(sim: SapSimulator) -> None:
    a = make(sim)
    first = MemorySink()
    high = await a.pull(first, full=True, previous=None)
    newest = parse_date(high["A_PurchaseOrder"])
    assert newest is not None
    late = _late_po(sim, newest - timedelta(minutes=2))
    second = MemorySink(first.raw)
    await a.pull(second, full=False, previous=PreviousPull(high_water=high))
    await a.aclose()
    assert late in second.raw["A_PurchaseOrder"]


async def test_delta_overlap_is_a_setting(sim: SapSimulator) -> None:
    a = make(sim, delta_overlap_minutes=1)
    first = MemorySink()
    high = await a.pull(first, full=True, previous=None)
    newest = parse_date(high["A_PurchaseOrder"])
    assert newest is not None
    late = _late_po(sim, newest - timedelta(minutes=2))  # older than the one-minute overlap
    second = MemorySink(first.raw)
    await a.pull(second, full=False, previous=PreviousPull(high_water=high))
    await a.aclose()
    assert late not in second.raw["A_PurchaseOrder"]


async def test_records_reread_in_the_overlap_are_stored_once(sim: SapSimulator, tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    a = make(sim)
    first = await pull_source(store, a)
    assert first.ok, first.error
    before = store.canonical("erp_commitments").height
    second = await pull_source(store, a)
    assert second.ok, second.error
    current = store.current_snapshot("erp")
    assert current is not None and current.id == second.snapshot_id
    keys = store.query(
        "SELECT record_key, count(*) AS n FROM raw_records WHERE snapshot_id = ? AND resource = 'A_PurchaseOrder' "
        "GROUP BY record_key HAVING count(*) > 1",
        [second.snapshot_id],
    )
    assert keys.is_empty()
    assert store.canonical("erp_commitments").height == before
    # The second pull was a delta that re-read the overlap's POs (stamped T0+25..T0+29 minutes).
    assert "LastChangeDateTime gt" in po_requests(sim)[-1]["$filter"][0]
    assert second.carried > 0
    await a.aclose()
    store.close()
