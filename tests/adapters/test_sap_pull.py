"""SapAdapter against SapSimulator over loopback: paging, deltas, decoding, errors, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest
from sap_seed import CLIENT_ID, CLIENT_SECRET, T0, MemorySink, erp_settings, sap_seed

from adapters.base import (
    AuthError,
    Cancelled,
    PermissionDenied,
    PreviousPull,
    ResponseError,
    UnreachableError,
)
from adapters.oauth import ClientCredentialsAuth
from adapters.sap.adapter import PO, SapAdapter
from adapters.sap.errors import ServerFailure
from adapters.sap.simulator import SapSimulator
from adapters.sap.wire import ODATA_ROOT, format_date
from adapters.simkit import Fault
from reconcile.secrets import Secret

PAGE = 7


@pytest.fixture
def sim() -> Iterator[SapSimulator]:
    s = SapSimulator(sap_seed(), client_id=CLIENT_ID, client_secret=CLIENT_SECRET, page_size=PAGE)
    s.start()
    yield s
    s.stop()


def make(sim: SapSimulator, secret: str = CLIENT_SECRET, **over: Any) -> SapAdapter:
    return SapAdapter(erp_settings(sim.base_url, **over), Secret(secret), backoff=0.001, timeout=5)


@pytest.fixture
async def adapter(sim: SapSimulator) -> AsyncIterator[SapAdapter]:
    a = make(sim)
    yield a
    await a.aclose()


def odata(sim: SapSimulator, entity_set: str = "") -> list[Any]:
    return [r for r in sim.server.requests(ODATA_ROOT + ".*" + entity_set) if "$count" not in r.path]


async def test_full_pull_follows_every_next_page(sim: SapSimulator, adapter: SapAdapter) -> None:
    sink = MemorySink()
    high = await adapter.pull(sink, full=True, previous=None)

    pos_1000 = [p for p in sim.data["A_PurchaseOrder"] if p["CompanyCode"] == "1000"]
    assert sorted(sink.raw["A_PurchaseOrder"]) == sorted(p["PurchaseOrder"] for p in pos_1000)
    # Exactly the pages the records need: no extra request at the end.
    pages = -(-len(pos_1000) // PAGE)
    assert len(odata(sim, "A_PurchaseOrder")) == pages > 1
    assert sink.units["A_PurchaseOrder"] == (pages, len(pos_1000))
    assert all("sap-client=100" in r.query for r in odata(sim))
    assert high["A_PurchaseOrder"] == max(T0 + timedelta(minutes=n) for n in range(30) if n != 7).isoformat()
    assert high["page_sizes"]["A_PurchaseOrder"] == 7  # as the server cut it, for the plan
    # Supplier 5 is only extended to company code 2000.
    frames = adapter.canonicalize(sink.reader)
    assert "17300005" not in frames["erp_vendors"]["supplier"].to_list()
    assert frames["erp_vendors"].height == 11


async def test_decoding_is_exact(adapter: SapAdapter) -> None:
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    frames = adapter.canonicalize(sink.reader)
    head = frames["erp_commitments"].filter(po_number="4500000002").row(0, named=True)
    assert head["po_date"] == date(2025, 1, 14)
    assert head["last_change"] == datetime(2025, 1, 15, 8, 31, tzinfo=UTC)
    assert head["etag"].startswith('W/"')
    lines = frames["erp_commitment_lines"].filter(po_number="4500000002")
    by_key = {(r["item"], r["wbs_element"]): r for r in lines.iter_rows(named=True)}
    # 00010: one assignment, amount = PurgDocNetAmount exactly (2 × 124.457).
    assert by_key[("00010", "P-1001-01-02")]["amount"] == Decimal("248.914")
    # 00020: split 60/40 over two WBS elements, one row each.
    split = lines.filter(item="00020")["amount"].to_list()
    assert sorted(split) == [Decimal("149.348"), Decimal("224.023")]
    # 00030: no account assignment, amount = quantity × price / price unit.
    (row,) = lines.filter(item="00030").iter_rows(named=True)
    assert row["amount"] == Decimal("497.828") and row["wbs_element"] is None and row["etag"]
    wbs = frames["erp_hierarchy"].filter(node="P-1002-02-01").row(0, named=True)
    assert (wbs["project"], wbs["parent"], wbs["level"]) == ("P-1002", "P-1002-02", 2)
    actuals = frames["erp_actuals"]
    # Aggregated by the selected dimensions, filtered to company code 1000 and ledger 0L.
    expected = sum(
        (
            Decimal(j["AmountInCompanyCodeCurrency"])
            for j in adapter_seed()["A_JournalEntryItemBasic"]
            if j["CompanyCode"] == "1000" and j["Ledger"] == "0L"
        ),
        Decimal(0),
    )
    assert actuals["amount"].sum() == expected
    assert actuals.height == actuals.select("wbs_element", "gl_account", "cost_center").unique().height


def adapter_seed() -> dict[str, list[dict[str, Any]]]:
    return sap_seed()["sap"]


async def test_incremental_with_nothing_changed_stays_within_bound(
    sim: SapSimulator, adapter: SapAdapter
) -> None:
    first = MemorySink()
    high = await adapter.pull(first, full=True, previous=None)
    sim.server.log.clear()

    second = MemorySink(first.raw)
    high2 = await adapter.pull(second, full=False, previous=PreviousPull(high_water=high))
    assert high2 == high
    po_requests = odata(sim, "A_PurchaseOrder")
    assert len(po_requests) == 1
    sent = unquote(parse_qs(po_requests[0].query)["$filter"][0])
    # Five minutes of overlap before the newest stamp seen (a late commit is still read).
    reach = datetime.fromisoformat(high["A_PurchaseOrder"]) - timedelta(minutes=5)
    stamp = reach.strftime("%Y-%m-%dT%H:%M:%S")
    assert sent == f"CompanyCode eq '1000' and LastChangeDateTime gt datetimeoffset'{stamp}Z'"
    # One request for the delta, plus the pages of the full re-reads.
    full_rereads = sum(req for res, (req, _) in first.units.items() if res != "A_PurchaseOrder")
    assert len(odata(sim)) == 1 + full_rereads
    assert ("A_PurchaseOrder", "entityset") not in second.replaced
    plan = {r.resource: r for r in await adapter.plan(PreviousPull(high_water=high))}
    assert plan["A_PurchaseOrder"].incremental_requests == 1
    # Nothing changed, but the overlap re-reads the POs stamped T0+25..T0+29 minutes.
    assert plan["A_PurchaseOrder"].note.startswith("5 of 29 changed since")
    assert second.raw == first.raw

    # A changed PO comes back alone, with its whole item tree.
    sim.data["A_PurchaseOrder"][3]["LastChangeDateTime"] = format_date(datetime.now(UTC), offset=True)
    sim.data["A_PurchaseOrderItem"][9]["PurchaseOrderItemText"] = "changed"
    sim._etags.clear()
    third = MemorySink(second.raw)
    high3 = await adapter.pull(third, full=False, previous=PreviousPull(high_water=high2))
    assert high3["A_PurchaseOrder"] > high2["A_PurchaseOrder"]
    changed = third.raw["A_PurchaseOrder"]["4500000004"]["to_PurchaseOrderItem"]["results"]
    assert changed[0]["PurchaseOrderItemText"] == "changed"


async def test_plan_counts_requests(adapter: SapAdapter) -> None:
    rows = {r.resource: r for r in await adapter.plan(None)}
    assert rows["A_PurchaseOrder"].full_requests == 1  # 29 POs fit the default page_size of 1000
    assert set(rows) == set(adapter.resources)


async def test_sap_error_json_becomes_one_sentence(adapter: SapAdapter) -> None:
    with pytest.raises(ResponseError) as err:
        async for _ in adapter.client.pages(PO, "A_PurchaseOrder", filter="substringof('x', Supplier)"):
            pass
    msg = str(err.value)
    assert "\n" not in msg and msg.endswith(".")
    assert "HTTP 400 on API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder" in msg
    assert "Function 'substringof' is not supported" in msg and "/IWBEP/CM_MGW_RT/022" in msg


async def test_wrong_secret_names_the_erp_side(sim: SapSimulator) -> None:
    for auth in ("oauth2", "basic"):
        a = make(sim, secret="wrong", auth=auth)
        with pytest.raises(AuthError, match=r"ERP \(SAP\)") as err:
            await a.pull(MemorySink(), full=True, previous=None)
        assert "wrong" not in str(err.value)
        await a.aclose()


async def test_basic_auth_pulls(sim: SapSimulator) -> None:
    a = make(sim, auth="basic")
    sink = MemorySink()
    await a.pull(sink, full=True, previous=None)
    assert len(sink.raw["A_PurchaseOrder"]) == 29
    assert not sim.server.requests("oauth2")
    await a.aclose()


async def test_wrong_sap_client_is_refused(sim: SapSimulator) -> None:
    a = make(sim, sap_client="999")
    with pytest.raises(AuthError):
        await a.pull(MemorySink(), full=True, previous=None)
    await a.aclose()


async def test_unreachable_host() -> None:
    a = SapAdapter(erp_settings("http://127.0.0.1:9", auth="basic"), Secret("x"), backoff=0.001)
    with pytest.raises(UnreachableError, match="Cannot reach the ERP"):
        await a.pull(MemorySink(), full=True, previous=None)
    await a.aclose()


async def test_token_expiry_mid_pull_recovers(sim: SapSimulator, adapter: SapAdapter) -> None:
    clean = MemorySink()
    await adapter.pull(clean, full=True, previous=None)
    sim.faults.add(Fault("expire_tokens", path="A_PurchaseOrder", after=2))
    again = MemorySink()
    await adapter.pull(again, full=True, previous=None)
    assert again.raw == clean.raw
    assert isinstance(adapter.client.auth, ClientCredentialsAuth) and adapter.client.auth.tokens_fetched == 2
    assert [r.status for r in sim.server.requests("A_PurchaseOrder")].count(401) == 1
    assert all("sap-client=100" in r.query for r in sim.server.requests("oauth2"))


async def test_cancel_stops_the_pull(adapter: SapAdapter) -> None:
    sink = MemorySink()
    sink.stop = True
    with pytest.raises(Cancelled):
        await adapter.pull(sink, full=True, previous=None)
    assert not sink.raw


async def test_next_link_to_another_host_stays_on_ours(sim: SapSimulator, adapter: SapAdapter) -> None:
    rel = adapter.client._next("https://internal-gw:44300/sap/opu/odata/sap/X/Y?$skiptoken=5", "X/Y")
    assert rel == "/sap/opu/odata/sap/X/Y?$skiptoken=5&sap-client=100&$format=json"
    with pytest.raises(ResponseError):
        adapter.client._next("https://evil.example/steal", "X/Y")


FAULTS = {
    "503_retry_after": Fault(
        "status", path="A_PurchaseOrder", after=1, times=2, status=503, headers={"Retry-After": "0"}
    ),
    "502": Fault("status", path="A_Supplier$", times=1, status=502),
    "drop": Fault("drop", path="A_PurchaseOrder", after=2, times=1),
    "slow": Fault("slow", path="A_PurchaseOrder", after=1, times=1, seconds=0.05),
    "malformed": Fault("malformed", path="A_PurchaseOrder", after=1, times=1),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
async def test_fault_gives_same_records(name: str, sim: SapSimulator, adapter: SapAdapter) -> None:
    clean = MemorySink()
    await adapter.pull(clean, full=True, previous=None)
    f = FAULTS[name]
    sim.faults.add(
        Fault(
            f.kind,
            path=f.path,
            after=f.after,
            times=f.times,
            status=f.status,
            headers=dict(f.headers),
            seconds=f.seconds,
        )
    )
    again = MemorySink()
    await adapter.pull(again, full=True, previous=None)
    assert again.raw == clean.raw
    assert sim.faults._faults[0].fired == f.times


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (
            Fault("status", path="A_PurchaseOrder", times=-1, status=503, headers={"Retry-After": "0"}),
            ServerFailure,
            "kept failing on API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder page 1 (HTTP 503)",
        ),
        (Fault("drop", path="A_PurchaseOrder", times=-1), ServerFailure, "connection dropped"),
        (
            Fault("malformed", path="A_PurchaseOrder", after=1, times=-1),
            ResponseError,
            "A_PurchaseOrder page 2 is not an OData collection",
        ),
        (Fault("status", path="A_PurchaseOrder", times=-1, status=500), ServerFailure, "(HTTP 500) after 4"),
        (
            Fault(
                "status",
                path="A_Supplier$",
                times=-1,
                status=403,
                body=b'{"error":{"code":"/IWFND/CM_CONSUMER/100","message":{"value":"No authorization"}}}',
            ),
            PermissionDenied,
            "may not use API_BUSINESS_PARTNER/A_Supplier page 1: No authorization (/IWFND/CM_CONSUMER/100)",
        ),
    ],
)
async def test_persistent_fault_is_a_clean_error(
    fault: Fault, error: type[Exception], words: str, sim: SapSimulator, adapter: SapAdapter
) -> None:
    sim.faults.add(fault)
    with pytest.raises(error) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    assert words in str(err.value)
    assert "\n" not in str(err.value) and CLIENT_SECRET not in str(err.value)


async def test_slow_beyond_timeout_is_retried(sim: SapSimulator) -> None:
    a = make(sim)
    a.client._http.timeout = __import__("httpx").Timeout(0.5)
    clean = MemorySink()
    await a.pull(clean, full=True, previous=None)
    sim.faults.add(Fault("slow", path="A_PurchaseOrder", after=1, times=1, seconds=1.0))
    again = MemorySink()
    await a.pull(again, full=True, previous=None)
    assert again.raw == clean.raw
    await a.aclose()


async def test_resume_skips_done_units(sim: SapSimulator, adapter: SapAdapter) -> None:
    sink = MemorySink()
    sink.done.add(("A_PurchaseOrder", "entityset"))
    await adapter.pull(sink, full=True, previous=None)
    assert not odata(sim, "A_PurchaseOrder")
    assert "A_Supplier" in sink.raw
