"""OracleEbsAdapter against EbsSimulator over loopback: session, context, paging quirks, E status, faults, deltas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from ebs_seed import PASSWORD, T0, USER, ebs_seed, ebs_settings, ts
from sap_seed import MemorySink

from adapters.base import (
    AuthError,
    PermissionDenied,
    PreviousPull,
    ResponseError,
    SourceAdapter,
    UnreachableError,
)
from adapters.oracle_ebs.adapter import OracleEbsAdapter
from adapters.oracle_ebs.client import ProcedureError
from adapters.oracle_ebs.simulator import EbsSimulator
from adapters.simkit import Fault, SimResponse
from reconcile.secrets import Secret

CAP = 2  # the server cuts every page at 2 rows, whatever P_LIMIT asks


def make_sim(seed: dict[str, Any] | None = None, **kw: Any) -> EbsSimulator:
    return EbsSimulator(seed or ebs_seed(), username=USER, password=PASSWORD, page_cap=CAP, **kw)


@pytest.fixture
def sim() -> Iterator[EbsSimulator]:
    s = make_sim()
    s.start()
    yield s
    s.stop()


def make(sim: EbsSimulator, password: str = PASSWORD, **over: Any) -> OracleEbsAdapter:
    return OracleEbsAdapter(ebs_settings(sim.base_url, **over), Secret(password), backoff=0.001, timeout=5)


@pytest.fixture
async def adapter(sim: EbsSimulator) -> AsyncIterator[OracleEbsAdapter]:
    a = make(sim)
    yield a
    await a.aclose()


def calls(sim: EbsSimulator, procedure: str = "") -> list[Any]:
    return sim.server.requests(f"/webservices/rest/xx_tieout/{procedure.lower()}", "POST")


async def test_full_pull_pages_short_server_pages_until_has_more_is_n(sim: EbsSimulator) -> None:
    adapter: SourceAdapter = make(sim)  # the orchestrator's Protocol, checked by mypy
    sink = MemorySink()
    high = await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()

    suppliers = sim.data["GET_SUPPLIERS"]
    assert sorted(sink.raw["GET_SUPPLIERS"]) == sorted(s["VENDOR_ID"] for s in suppliers)
    # 7 rows at 2 a page although P_LIMIT is 500: exactly 4 calls, none after X_HAS_MORE = N.
    assert len(calls(sim, "GET_SUPPLIERS")) == 4 == sink.units["GET_SUPPLIERS"][0]
    # The PO of operating unit 999 never leaves the server.
    assert all(r["ORG_ID"] == "204" for r in sink.raw["GET_PO_DISTRIBUTIONS"].values())
    assert high["GET_SUPPLIERS"] == (T0 + timedelta(minutes=6)).isoformat()
    assert "GET_CODE_COMBINATIONS" not in high  # read in full every time
    # One login for the whole pull, the session cookie on every call, logout at the end.
    assert sim.logins == 1
    assert [r.status for r in sim.server.requests("/logout")] == [200]
    assert sim.server.requests("/login")[0].status == 200


async def test_single_row_object_and_null_rows_are_lists(
    sim: EbsSimulator, adapter: OracleEbsAdapter
) -> None:
    # 3 budget lines for OU 204 … cut at 2: the last page holds one row, sent as an object.
    sim.data["GET_BUDGET_LINES"] = sim.data["GET_BUDGET_LINES"][:3]
    sim.data["GET_ACTUALS"] = []  # X_ROWS: null
    page = sim._read("GET_BUDGET_LINES", {"P_OFFSET": "2", "P_LIMIT": "500"}, "204")
    assert isinstance(page["X_ROWS"]["X_ROWS_ITEM"], dict)
    assert sim._read("GET_ACTUALS", {"P_OFFSET": "0", "P_LIMIT": "500"}, "204")["X_ROWS"] is None

    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    assert len(sink.raw["GET_BUDGET_LINES"]) == 3
    assert sink.raw["GET_ACTUALS"] == {} and sink.units["GET_ACTUALS"] == (1, 0)
    frames = adapter.canonicalize(sink.reader)
    assert frames["erp_actuals"].height == 0


async def test_session_expiry_mid_pull_logs_in_once_more_and_continues(sim: EbsSimulator) -> None:
    sim.faults.add(Fault("expire_session", path="get_po_distributions", after=2))
    adapter = make(sim)
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()

    assert sim.logins == 2 and adapter.client.auth.logins == 2
    refused = [r for r in calls(sim) if r.status == 401]
    assert len(refused) == 1  # the call the expiry hit, repeated once after the new login
    ours = [d for d in sim.data["GET_PO_DISTRIBUTIONS"] if d["ORG_ID"] == "204"]
    assert len(sink.raw["GET_PO_DISTRIBUTIONS"]) == len(ours)


async def test_idle_timeout_of_the_session_is_a_fresh_login() -> None:
    now = [0.0]
    sim = make_sim(idle_timeout=1800, clock=lambda: now[0])
    original = sim._read

    def read_then_idle(proc: str, p: dict[str, Any], org: str) -> dict[str, Any]:
        if proc == "GET_PROJECTS" and p["P_OFFSET"] == "0":
            now[0] += 1801  # the analyst's laptop slept for just over the idle timeout
        return original(proc, p, org)

    sim._read = read_then_idle  # type: ignore[method-assign]
    with sim:
        adapter = make(sim)
        await adapter.pull(MemorySink(), full=True, previous=None)
        await adapter.aclose()
    assert sim.logins == 2 and [r.status for r in calls(sim, "GET_PROJECTS")] == [200, 401, 200, 200]


async def test_second_401_right_after_relogin_is_one_sentence(
    sim: EbsSimulator, adapter: OracleEbsAdapter
) -> None:
    sim.faults.add(Fault("expire_session", path="get_suppliers", times=-1))
    with pytest.raises(AuthError) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    msg = str(err.value)
    assert "again right after a fresh login" in msg and "XX_TIEOUT_READ.GET_SUPPLIERS" in msg
    assert msg.count(".") <= 2 and "\n" not in msg and PASSWORD not in msg
    assert sim.logins == 2  # once, then once more: never a loop


async def test_wrong_password_names_the_user(sim: EbsSimulator) -> None:
    adapter = make(sim, password="wrong")
    with pytest.raises(AuthError) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()
    assert f"user {USER!r}" in str(err.value) and "tieout login" in str(err.value)
    assert "wrong" not in str(err.value)


@pytest.mark.parametrize(
    ("setting", "value", "named", "not_named"),
    [
        ("responsibility", "GL_SUPERUSER", "responsibility = 'GL_SUPERUSER'", "resp_application"),
        ("resp_application", "PA", "resp_application = 'PA'", "responsibility ="),
        ("security_group", "X", "security_group = 'X'", "nls_language"),
        ("nls_language", "FRENCH", "nls_language = 'FRENCH'", "security_group"),
    ],
)
async def test_wrong_context_is_a_403_naming_the_setting(
    sim: EbsSimulator, setting: str, value: str, named: str, not_named: str
) -> None:
    adapter = make(sim, **{setting: value})
    with pytest.raises(PermissionDenied) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()
    msg = str(err.value)
    assert named in msg and not_named not in msg and "XX_TIEOUT_READ.GET_SUPPLIERS" in msg
    assert [r.status for r in calls(sim)] == [403]  # a refusal is not retried


async def test_org_the_responsibility_lacks_is_e_status(sim: EbsSimulator) -> None:
    adapter = make(sim, org_id=999)
    with pytest.raises(ProcedureError) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    await adapter.aclose()
    msg = str(err.value)
    assert msg.startswith("XX_TIEOUT_READ.GET_SUPPLIERS failed in Oracle EBS")
    assert "Operating unit 999 is not in the security profile" in msg and msg.endswith(".")


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", path="get_projects", status=500, times=2),
        Fault("status", path="get_projects", status=429, headers={"Retry-After": "0"}),
        Fault("drop", path="get_projects"),
        Fault("malformed", path="get_projects"),
    ],
    ids=["500", "429", "drop", "malformed"],
)
async def test_transient_faults_are_retried(
    sim: EbsSimulator, adapter: OracleEbsAdapter, fault: Fault
) -> None:
    sim.faults.add(fault)
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    assert fault.fired == fault.times
    ours = [p for p in sim.data["GET_PROJECTS"] if p["ORG_ID"] == "204"]
    assert len(sink.raw["GET_PROJECTS"]) == len(ours)


async def test_persistent_outage_fails_with_one_sentence(
    sim: EbsSimulator, adapter: OracleEbsAdapter
) -> None:
    sim.faults.add(Fault("status", path="get_suppliers", status=503, times=-1))
    with pytest.raises(UnreachableError) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    assert "kept failing on XX_TIEOUT_READ.GET_SUPPLIERS (HTTP 503) after 4 attempts" in str(err.value)


async def test_a_page_that_repeats_stops_the_pull(sim: EbsSimulator, adapter: OracleEbsAdapter) -> None:
    original = sim._read

    def ignores_offset(proc: str, p: dict[str, Any], org: str) -> dict[str, Any]:
        return original(proc, {**p, "P_OFFSET": "0"}, org)

    sim._read = ignores_offset  # type: ignore[method-assign]
    with pytest.raises(ResponseError) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    assert "sent the same page again at offset 2" in str(err.value)
    assert len(calls(sim, "GET_SUPPLIERS")) == 2


async def test_more_promised_but_no_row_stops_the_pull(sim: EbsSimulator, adapter: OracleEbsAdapter) -> None:
    sim.server._routes.insert(  # a procedure that always says "more" with nothing in it
        0,
        (
            "POST",
            __import__("re").compile(r"/webservices/rest/xx_tieout/get_suppliers/\Z"),
            lambda req: SimResponse.json(
                {
                    "OutputParameters": {
                        "X_RETURN_STATUS": "S",
                        "X_MSG_DATA": "",
                        "X_HAS_MORE": "Y",
                        "X_ROWS": None,
                    }
                }
            ),
        ),
    )
    with pytest.raises(ResponseError) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    assert "X_HAS_MORE = Y but sent no row" in str(err.value)


async def test_incremental_reads_the_overlap_and_doubles_nothing(
    sim: EbsSimulator, adapter: OracleEbsAdapter
) -> None:
    first = MemorySink()
    high = await adapter.pull(first, full=True, previous=None)
    assert high["GET_SUPPLIERS"] == (T0 + timedelta(minutes=6)).isoformat()
    sups = {s["VENDOR_ID"]: s for s in sim.data["GET_SUPPLIERS"]}
    # Committed late: stamped 3 minutes before the last high-water mark, inside the 5-minute overlap.
    sups["1003"].update(VENDOR_NAME="Renamed late", LAST_UPDATE_DATE=ts(3))
    sups["1004"].update(VENDOR_NAME="Renamed now", LAST_UPDATE_DATE=ts(20))
    sim.server.log.clear()

    second = MemorySink(first.raw)
    high2 = await adapter.pull(second, full=False, previous=PreviousPull(high_water=high))
    # P_CHANGED_SINCE = 09:06 − 5 min = 09:01: suppliers stamped 09:01..09:06 and the two changed ones.
    assert second.units["GET_SUPPLIERS"][1] == 6
    assert ("GET_SUPPLIERS", "procedure") not in second.replaced
    assert ("GET_PROJECTS", "procedure") in second.replaced  # no stamp: read in full
    assert len(second.raw["GET_SUPPLIERS"]) == len(sups)  # keyed by VENDOR_ID: nothing doubled
    assert second.raw["GET_SUPPLIERS"]["1003"]["VENDOR_NAME"] == "Renamed late"
    assert high2["GET_SUPPLIERS"] == (T0 + timedelta(minutes=20)).isoformat()
    names = adapter.canonicalize(second.reader)["erp_vendors"].filter(supplier="50003")["name"].to_list()
    assert names == ["Renamed late"]


async def test_a_missing_grant_names_every_context_setting_and_the_grant() -> None:
    with make_sim(granted={"GET_SUPPLIERS"}) as sim:
        adapter = make(sim)
        with pytest.raises(PermissionDenied) as err:
            await adapter.pull(MemorySink(), full=True, previous=None)
        await adapter.aclose()
    msg = str(err.value)
    assert "XX_TIEOUT_READ.GET_CODE_COMBINATIONS (ISG_SERVICE_AUTH_FAILURE: User not authorized" in msg
    assert "responsibility = 'TIEOUT_READ_ONLY', resp_application = 'SQLGL'" in msg
    assert msg.endswith("and that the service is granted to the user or that responsibility.")


async def test_x_msg_data_is_made_one_safe_line(sim: EbsSimulator, adapter: OracleEbsAdapter) -> None:
    from adapters.oracle_ebs.sim_journal import ProcedureFailed

    def fails(proc: str, p: dict[str, Any], org: str) -> dict[str, Any]:
        raise ProcedureFailed("ORA-01476: divisor is equal to zero\n\x1b[2J at line 42")

    sim._read = fails  # type: ignore[method-assign]
    with pytest.raises(ProcedureError) as err:
        await adapter.pull(MemorySink(), full=True, previous=None)
    assert str(err.value) == (
        "XX_TIEOUT_READ.GET_SUPPLIERS failed in Oracle EBS (X_RETURN_STATUS E): "
        "ORA-01476: divisor is equal to zero [2J at line 42."
    )
