"""PeopleSoftAdapter against PeopleSoftSimulator over loopback: auth modes, windows, paging, faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest
from peoplesoft_seed import BU, PASSWORD, SETID, T0, iso, peoplesoft_rows, ps_settings, ps_stamp
from sap_seed import MemorySink

from adapters.base import (
    AuthError,
    Cancelled,
    PermissionDenied,
    PreviousPull,
    ResponseError,
    UnreachableError,
)
from adapters.peoplesoft.adapter import WINDOW_END, PeopleSoftAdapter
from adapters.peoplesoft.client import PeopleSoftClient
from adapters.peoplesoft.settings import PeopleSoftSettings
from adapters.peoplesoft.simulator import PeopleSoftSimulator, ib_error
from adapters.simkit import Fault

NOW = T0 + timedelta(days=1)


@pytest.fixture
def sim() -> Iterator[PeopleSoftSimulator]:
    s = PeopleSoftSimulator(peoplesoft_rows(), page_cap=2, setid_of={BU: SETID})
    s.start()
    yield s
    s.stop()


def make(sim: PeopleSoftSimulator, secret: str = PASSWORD, now: Any = NOW, **over: Any) -> PeopleSoftAdapter:
    return PeopleSoftAdapter(
        ps_settings(sim.base_url, **over), lambda: secret, clock=lambda: now, backoff=0.001, timeout=5
    )


def reads(sim: PeopleSoftSimulator, name: str) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in sim.server.requests(rf"TIEOUT_{name}\.v1/")]


async def test_full_pull_reads_every_operation_page_by_page_with_exact_amounts(
    sim: PeopleSoftSimulator,
) -> None:
    adapter = make(sim)
    sink = MemorySink()
    high = await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()

    assert high == {WINDOW_END: NOW.isoformat()}
    # Vendors are the business unit's SETID's only; other business units' POs never come.
    assert len(sink.raw["VENDORS"]) == 7
    assert all(k.startswith(f"{SETID}/") for k in sink.raw["VENDORS"])
    assert len(sink.raw["PO_DISTRIB"]) == 16 and not any("POOTHERBU" in k for k in sink.raw["PO_DISTRIB"])
    # Only the profile's ledger, and amounts exact as PeopleSoft sent them (never through float).
    ledger = list(sink.raw["LEDGER"].values())
    assert {r["LEDGER"] for r in ledger} == {"ACTUALS"}
    assert sorted(r["MONETARY_AMOUNT"] for r in ledger) == [
        Decimal("1.30"),
        Decimal("2.30"),
        Decimal("3.30"),
        Decimal("4.30"),
    ]
    assert Decimal("1234568.90") in {r["MERCHANDISE_AMT"] for r in sink.raw["PO_DISTRIB"].values()}
    # The server caps pages at 2 rows although LIMIT is 3: paging follows MORE, not LIMIT.
    offsets = [q["OFFSET"][0] for q in reads(sim, "PO_DISTRIB")]
    assert offsets == [str(i) for i in range(0, 16, 2)] + ["16"] or offsets == [
        str(i) for i in range(0, 16, 2)
    ]
    first = reads(sim, "VENDORS")[0]
    assert first["LIMIT"] == ["3"] and first.get("FROM_DTTM", [""]) == [""]
    assert first["TO_DTTM"] == [iso(NOW)]
    assert reads(sim, "LEDGER")[0]["LEDGER"] == ["ACTUALS"]


async def test_oauth2_mode_fetches_a_token_and_renews_it_once_on_a_401() -> None:
    with PeopleSoftSimulator(peoplesoft_rows(), auth="oauth2", setid_of={BU: SETID}) as sim:
        adapter = make(sim, secret="sim-secret", auth="oauth2", token_url=sim.token_url, client_id="tieout")
        sink = MemorySink()
        await adapter.pull(sink, full=True, previous=None)
        assert len(sink.raw["VENDORS"]) == 7
        sim.expire_tokens()
        await adapter.pull(MemorySink(), full=True, previous=None)
        await adapter.aclose()
        assert len(sim.server.requests("oauth2/token")) == 2


async def test_a_401_says_which_auth_mode_was_refused() -> None:
    with PeopleSoftSimulator(peoplesoft_rows(), auth="basic") as sim:
        adapter = make(sim, secret="wrong")
        with pytest.raises(AuthError, match=r'OPRID .TIEOUT_IB. .*auth = "basic"') as info:
            await adapter.pull(MemorySink(), full=True, previous=None)
        assert "wrong" not in str(info.value)
        await adapter.aclose()
    with PeopleSoftSimulator(peoplesoft_rows(), auth="basic") as sim:
        # The profile says oauth2 but the node verifies Basic: the token is refused on the call.
        sim.auth = "basic"
        adapter = make(sim, secret="x", auth="oauth2", token_url=sim.token_url, client_id="tieout")
        sim.client_secret = "x"
        with pytest.raises(AuthError, match=r'auth = "oauth2"'):
            await adapter.pull(MemorySink(), full=True, previous=None)
        await adapter.aclose()


async def test_a_row_stamped_exactly_at_to_dttm_is_read_once_by_the_next_pull(
    sim: PeopleSoftSimulator,
) -> None:
    boundary = {
        "SETID": SETID,
        "VENDOR_ID": "BOUNDARY",
        "NAME1": "On the line",
        "VENDOR_STATUS": "A",
        "LASTUPDDTTM": ps_stamp(NOW),
    }
    sim.rows["VENDORS"].append(boundary)
    sink = MemorySink()
    first = make(sim, now=NOW)
    high = await first.pull(sink, full=True, previous=None)
    await first.aclose()
    assert f"{SETID}/BOUNDARY" not in sink.raw["VENDORS"]  # TO_DTTM is exclusive

    later = NOW + timedelta(hours=1)
    second = make(sim, now=later)
    sink2 = MemorySink(base=sink.raw)
    seen: list[str] = []
    orig = sink2.page
    sink2.page = lambda r, s, recs: (seen.extend(k for k, _ in recs if r == "VENDORS"), orig(r, s, recs))  # type: ignore[method-assign]
    await second.pull(sink2, full=False, previous=PreviousPull(high_water=high))
    await second.aclose()
    assert seen.count(f"{SETID}/BOUNDARY") == 1
    assert list(sink2.raw["VENDORS"]).count(f"{SETID}/BOUNDARY") == 1
    # The window started at the last TO_DTTM less the overlap.
    q = reads(sim, "VENDORS")[-1]
    assert q["FROM_DTTM"] == [iso(NOW - timedelta(minutes=5))] and q["TO_DTTM"] == [iso(later)]


async def test_a_row_committed_late_inside_the_overlap_is_still_read(sim: PeopleSoftSimulator) -> None:
    sink = MemorySink()
    first = make(sim)
    high = await first.pull(sink, full=True, previous=None)
    await first.aclose()
    late = {**sim.rows["PO_DISTRIB"][0], "PO_ID": "POLATE", "LASTUPDDTTM": iso(NOW - timedelta(minutes=2))}
    sim.rows["PO_DISTRIB"].append(late)
    second = make(sim, now=NOW + timedelta(hours=1))
    sink2 = MemorySink(base=sink.raw)  # a new snapshot built on the last one
    await second.pull(sink2, full=False, previous=PreviousPull(high_water=high))
    await second.aclose()
    assert f"{BU}/POLATE/1/1/1" in sink2.raw["PO_DISTRIB"]
    assert len(sink2.raw["PO_DISTRIB"]) == 17  # nothing doubled by the overlap


async def test_an_inactive_service_operation_names_it_and_what_the_admin_must_do(
    sim: PeopleSoftSimulator,
) -> None:
    sim.inactive.add("BUDGETS")
    adapter = make(sim)
    with pytest.raises(ResponseError, match=r"TIEOUT_BUDGETS\.v1 .*not active on node PSFT_EP.*activate"):
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()


async def test_an_operation_missing_from_the_permission_list_is_a_sentence(sim: PeopleSoftSimulator) -> None:
    sim.faults.add(
        Fault(
            "status",
            path="TIEOUT_LEDGER",
            status=403,
            body=b'{"errorCode":"158,536","errorMessage":"User TIEOUT_IB not authorized"}',
        )
    )
    adapter = make(sim)
    with pytest.raises(PermissionDenied, match=r"TIEOUT_LEDGER\.v1.*permission list"):
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()


async def test_faults_mid_pull_are_retried_and_the_pull_completes(sim: PeopleSoftSimulator) -> None:
    sim.faults.add(
        Fault("status", path="TIEOUT_PO_DISTRIB", after=2, status=503, headers={"Retry-After": "0"})
    )
    sim.faults.add(Fault("drop", path="TIEOUT_PO_DISTRIB", after=4))
    sim.faults.add(Fault("malformed", path="TIEOUT_LEDGER"))
    sim.faults.add(Fault("status", path="TIEOUT_PROJECTS", status=429, headers={"Retry-After": "0"}))
    adapter = make(sim)
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()
    assert len(sink.raw["PO_DISTRIB"]) == 16 and len(sink.raw["LEDGER"]) == 4


async def test_an_ib_error_answer_is_one_sentence_with_its_code(sim: PeopleSoftSimulator) -> None:
    sim.faults.add(
        Fault(
            "status",
            path="TIEOUT_VENDORS",
            status=500,
            body=b'{"errorCode":"158,10623","errorMessage":"SQL error in handler TIEOUT_VENDORS_HDLR"}',
        )
    )
    adapter = make(sim)
    with pytest.raises(ResponseError, match=r"HTTP 500 on TIEOUT_VENDORS\.v1 page 1 \(158,10623: SQL error"):
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()


async def test_lasting_outage_fails_as_unreachable(sim: PeopleSoftSimulator) -> None:
    sim.faults.add(Fault("status", path="TIEOUT_VENDORS", status=503, times=-1, headers={"Retry-After": "0"}))
    adapter = make(sim)
    with pytest.raises(UnreachableError, match="kept failing"):
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()


async def test_a_broken_record_names_the_operation_row_and_field(sim: PeopleSoftSimulator) -> None:
    sim.rows["LEDGER"][0]["FISCAL_YEAR"] = "twenty"
    adapter = make(sim)
    with pytest.raises(ResponseError, match=r"TIEOUT_LEDGER\.v1 row 1 .*FISCAL_YEAR"):
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()


async def test_more_y_with_no_rows_stops_with_a_sentence(sim: PeopleSoftSimulator) -> None:
    sim.faults.add(
        Fault("malformed", path="TIEOUT_VENDORS", body=b'{"TIEOUT_VENDORS_RESP":{"ROWS":[],"MORE":"Y"}}')
    )
    adapter = make(sim)
    with pytest.raises(ResponseError, match="MORE = Y with no rows"):
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()


async def test_a_single_row_object_and_null_rows_are_read(sim: PeopleSoftSimulator) -> None:
    one = b'{"TIEOUT_VENDORS_RESP":{"ROWS":{"SETID":"SHARE","VENDOR_ID":"ONE","NAME1":"Solo","LASTUPDDTTM":""},"MORE":"N"}}'
    sim.faults.add(Fault("malformed", path="TIEOUT_VENDORS", body=one))
    sim.faults.add(
        Fault("malformed", path="TIEOUT_PROJECTS", body=b'{"TIEOUT_PROJECTS_RESP":{"ROWS":null,"MORE":"N"}}')
    )
    adapter = make(sim)
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()
    assert list(sink.raw["VENDORS"]) == ["SHARE/ONE"] and sink.raw["PROJECTS"] == {}


async def test_cancel_stops_between_pages(sim: PeopleSoftSimulator) -> None:
    adapter = make(sim)
    sink = MemorySink()
    sink.stop = True
    with pytest.raises(Cancelled):
        await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()


async def test_a_resumed_pull_keeps_the_previous_window_end(sim: PeopleSoftSimulator) -> None:
    prev = PreviousPull(high_water={WINDOW_END: T0.isoformat()})
    sink = MemorySink()
    sink.done.add(("VENDORS", "operation"))
    adapter = make(sim)
    high = await adapter.pull(sink, full=False, previous=prev)
    await adapter.aclose()
    assert high == {WINDOW_END: T0.isoformat()}


def test_base_url_must_reach_the_node() -> None:
    with pytest.raises(ValueError, match="up to the Integration Broker node"):
        PeopleSoftSettings(
            base_url="https://ps.example.com:8443/PSIGW", username="X", business_unit=BU, setid=SETID
        )
    with pytest.raises(ValueError, match="token_url"):
        PeopleSoftSettings(
            base_url="https://h/PSIGW/RESTListeningConnector/N", auth="oauth2", business_unit=BU, setid=SETID
        )


async def test_journal_post_and_lookup_by_line_reference(sim: PeopleSoftSimulator) -> None:
    client = PeopleSoftClient(ps_settings(sim.base_url), lambda: PASSWORD, backoff=0.001, timeout=5)
    lines = [
        {
            "LINE_REF": "EXC123",
            "ACCOUNT": "510000",
            "DEPTID": "100",
            "PROJECT_ID": "PRJ1",
            "MONETARY_AMOUNT": Decimal("10.01"),
            "CURRENCY_CD": "USD",
        },
        {
            "LINE_REF": "EXC123",
            "ACCOUNT": "210000",
            "DEPTID": "",
            "PROJECT_ID": "",
            "MONETARY_AMOUNT": Decimal("-10.01"),
            "CURRENCY_CD": "USD",
        },
    ]
    body = {
        "TIEOUT_JOURNAL_REQ": {
            "BUSINESS_UNIT": BU,
            "LEDGER": "ACTUALS",
            "JOURNAL_DATE": "2026-11-30",
            "LINES": lines,
        }
    }
    answer = await client.post("JOURNAL", body)
    jid = answer["TIEOUT_JOURNAL_RESP"]["JOURNAL_ID"]
    found = await client.get("JOURNAL", {"LINE_REF": "EXC123"})
    await client.aclose()
    rows = found["TIEOUT_JOURNAL_RESP"]["ROWS"]
    assert {r["JOURNAL_ID"] for r in rows} == {jid} and len(rows) == 2
    assert rows[0]["MONETARY_AMOUNT"] == Decimal("10.01")


def test_ib_error_body_shape() -> None:
    resp = ib_error(404, "158,1", "x")
    assert resp.status == 404 and b'"errorCode"' in resp.body


def test_a_client_resetting_its_connection_prints_no_traceback(
    sim: PeopleSoftSimulator, capfd: pytest.CaptureFixture[str]
) -> None:
    import socket
    import struct
    from urllib.parse import urlsplit

    parts = urlsplit(sim.root)
    with socket.create_connection((parts.hostname, parts.port)) as s:
        s.sendall(b"GET /PSIGW/RESTListeningConnector/PSFT_EP/TIEOUT_VENDORS.v1/US001 HTTP/1.1\r\n")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
    # The server thread has handled (or dropped) the connection once it answers the next request.
    client = PeopleSoftClient(ps_settings(sim.base_url), lambda: PASSWORD, backoff=0.001, timeout=5)
    import anyio

    async def one() -> None:
        await client.get("JOURNAL", {"LINE_REF": "X"})
        await client.aclose()

    anyio.run(one)
    assert "Traceback" not in capfd.readouterr().err
