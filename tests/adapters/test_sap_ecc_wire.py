"""The ECC client against EccSimulator over loopback SOAP: WSDL, RFC_READ_TABLE, BAPIs, commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from ecc_seed import COMPANY, PASSWORD, ecc_settings, ecc_tables

from adapters.base import AuthError, ResponseError, UnreachableError
from adapters.sap_ecc.client import EccClient, option_rows
from adapters.sap_ecc.ddic import DDIC
from adapters.sap_ecc.reads import read_table
from adapters.sap_ecc.simulator import EccSimulator, parse_where
from adapters.sap_ecc.values import amount, dats, number, quote
from adapters.sap_ecc.writes import BapiError, ItemChange, change_po, create_po
from adapters.simkit import Fault


@pytest.fixture
def sim() -> Iterator[EccSimulator]:
    s = EccSimulator(ecc_tables())
    s.start()
    yield s
    s.stop()


def make(sim: EccSimulator, secret: str = PASSWORD, **over: Any) -> EccClient:
    return EccClient(ecc_settings(sim, **over), lambda: secret, backoff=0.001, timeout=5)


@pytest.fixture
async def client(sim: EccSimulator) -> AsyncIterator[EccClient]:
    c = make(sim)
    yield c
    await c.aclose()


def soap_calls(sim: EccSimulator) -> list[Any]:
    return sim.server.requests("/sap/bc/srt/rfc/", method="POST")


async def test_read_table_pages_with_rowskips_and_trims_fixed_width_values(
    sim: EccSimulator, client: EccClient
) -> None:
    rows = await read_table(
        client,
        "EKPO",
        keys=["EBELN", "EBELP"],
        fields=["NETWR", "TXZ01", "AEDAT"],
        where=[f"BUKRS = {quote(COMPANY)}"],
        page_size=3,
    )
    assert len(rows) == 8
    first = next(r for r in rows if r["EBELN"] == "4500000001" and r["EBELP"] == "00020")
    assert first["TXZ01"] == "Item 2" and amount(first["NETWR"]) == Decimal("-250.50")
    assert dats(first["AEDAT"]) is not None
    # 8 rows at ROWCOUNT 3: pages of 3, 3, 2 after one NO_DATA call for the layout.
    assert len(soap_calls(sim)) == 4


async def test_a_row_wider_than_512_characters_is_read_in_parts_and_joined_by_key(
    sim: EccSimulator, client: EccClient
) -> None:
    every = [f for f, _, _ in DDIC["LFA1"] if f != "LIFNR"]
    assert sum(n for _, _, n in DDIC["LFA1"]) > 512
    rows = await read_table(client, "LFA1", keys=["LIFNR"], fields=every, where=[])
    assert len(rows) == 7
    one = next(r for r in rows if number(r["LIFNR"]) == "1")
    assert one["NAME1"] == "Vendor 1" and one["NAME2"] == "Steel & Co" and one["STRAS"] == "1 Main St"
    assert set(one) == {"LIFNR", *every}


async def test_a_trailing_blank_key_joins_across_parts(sim: EccSimulator, client: EccClient) -> None:
    # A narrow row forces one part per field; POSID is padded to 24 and SOAP drops the padding.
    sim.row_width = 24 + 40
    rows = await read_table(client, "PRPS", keys=["POSID"], fields=["POST1", "PSPNR", "PBUKR"], where=[])
    assert sorted(r["POSID"] for r in rows) == ["P-1001", "P-1001-01", "P-1001-02"]
    assert all(r["POST1"] == f"Element {r['POSID']}" and r["PBUKR"] == COMPANY for r in rows)


async def test_a_field_too_wide_even_alone_is_one_sentence(sim: EccSimulator, client: EccClient) -> None:
    sim.row_width = 20
    with pytest.raises(ResponseError, match="512-character row"):
        await read_table(client, "PRPS", keys=["POSID"], fields=["POST1"], where=[])


async def test_the_wsdls_internal_host_never_gets_the_credentials() -> None:
    with EccSimulator(ecc_tables(), wsdl_host="http://10.255.255.1:8000") as sim:
        c = make(sim)
        rows = await read_table(
            c, "EKKO", keys=["EBELN"], fields=["BUKRS"], where=[f"BUKRS = {quote(COMPANY)}"]
        )
        await c.aclose()
        assert len(rows) == 4


async def test_wrong_password_is_an_auth_error_without_the_secret() -> None:
    with EccSimulator(ecc_tables()) as sim:
        c = make(sim, secret="wrong-password")
        with pytest.raises(AuthError, match="TIEOUT_RFC") as info:
            await read_table(c, "EKKO", keys=["EBELN"], fields=[], where=[])
        await c.aclose()
        assert "wrong-password" not in str(info.value)


async def test_transient_faults_are_retried_and_a_lasting_one_is_unreachable(
    sim: EccSimulator, client: EccClient
) -> None:
    sim.faults.add(Fault("status", path="/sap/bc/srt/rfc/", status=503, after=1))
    sim.faults.add(Fault("drop", path="/sap/bc/srt/rfc/", after=2))
    rows = await read_table(client, "EKKO", keys=["EBELN"], fields=["LIFNR"], where=[])
    assert len(rows) == 5
    sim.faults.add(Fault("status", path="/sap/bc/srt/rfc/", status=503, times=-1))
    with pytest.raises(UnreachableError, match="kept failing"):
        await read_table(client, "LFA1", keys=["LIFNR"], fields=[], where=[])


async def test_an_unknown_table_is_a_sentence(sim: EccSimulator, client: EccClient) -> None:
    with pytest.raises(ResponseError, match="no table ZZTOP"):
        await read_table(client, "ZZTOP", keys=["X"], fields=[], where=[])


async def test_po_change_commits_in_the_same_session(sim: EccSimulator, client: EccClient) -> None:
    await change_po(client, "4500000001", [ItemChange("00010", net_price=Decimal("10000.00"))])
    line = next(r for r in sim.tables["EKPO"] if r["EBELN"] == "4500000001" and r["EBELP"] == "00010")
    assert line["NETPR"] == Decimal("10000.00") and line["NETWR"] == Decimal("10000.00")
    assert sim.commits == 1


async def test_a_bapi_that_returns_e_after_a_partial_success_commits_nothing(
    sim: EccSimulator, client: EccClient
) -> None:
    sim.fail_items.add(("4500000001", "00020"))
    before = sim.snapshot()
    with pytest.raises(BapiError, match="net price cannot be changed.*Nothing was committed"):
        await change_po(
            client,
            "4500000001",
            [ItemChange("00010", net_price=Decimal("1.00")), ItemChange("00020", net_price=Decimal("2.00"))],
        )
    assert sim.commits == 0 and sim.snapshot() == before
    assert not [r for r in soap_calls(sim) if "COMMIT" in r.query]


async def test_a_commit_that_fails_is_a_failure(sim: EccSimulator, client: EccClient) -> None:
    sim.commit_error = "Update was terminated"
    with pytest.raises(BapiError, match="could not commit.*Update was terminated"):
        await change_po(client, "4500000001", [ItemChange("00010", quantity=Decimal("2"))])


async def test_a_commit_in_another_session_commits_nothing(sim: EccSimulator) -> None:
    a, b = make(sim), make(sim)
    await a.call(
        "BAPI_PO_CHANGE",
        idempotent=False,
        PURCHASEORDER="4500000002",
        POITEM={"item": [{"PO_ITEM": "00010", "NET_PRICE": Decimal("1.00")}]},
        POITEMX={"item": [{"PO_ITEM": "00010", "PO_ITEMX": "X", "NET_PRICE": "X"}]},
        RETURN={"item": []},
    )
    await b.call("BAPI_TRANSACTION_COMMIT", idempotent=False, WAIT="X")
    await a.aclose()
    await b.aclose()
    line = next(r for r in sim.tables["EKPO"] if r["EBELN"] == "4500000002" and r["EBELP"] == "00010")
    assert line["NETPR"] == Decimal("12500.00")


async def test_po_create_returns_the_number_and_commits(sim: EccSimulator, client: EccClient) -> None:
    po = await create_po(
        client,
        {
            "COMP_CODE": COMPANY,
            "DOC_TYPE": "NB",
            "VENDOR": "0000000003",
            "CURRENCY": "USD",
            "OUR_REF": "TIE-ABC123",
        },
        [
            {
                "PO_ITEM": "00010",
                "SHORT_TEXT": "Rebar",
                "QUANTITY": Decimal("1"),
                "NET_PRICE": Decimal("99.99"),
                "ACCTASSCAT": "P",
            }
        ],
        [{"PO_ITEM": "00010", "SERIAL_NO": "01", "WBS_ELEMENT": "P-1001-01", "GL_ACCOUNT": "0000510000"}],
    )
    rows = await read_table(
        client, "EKKO", keys=["EBELN"], fields=["UNSEZ"], where=[f"UNSEZ = {quote('TIE-ABC123')}"]
    )
    assert [r["EBELN"] for r in rows] == [po]


def test_option_rows_never_split_a_token_and_stay_within_72_characters() -> None:
    conds = [f"EBELN IN ( {' , '.join(quote(f'45000000{i:02d}') for i in range(30))} )", "BUKRS = 'O''HARE'"]
    rows = option_rows(conds)
    assert all(len(r["TEXT"]) <= 72 for r in rows)
    parsed = parse_where(" ".join(r["TEXT"] for r in rows))
    assert parsed[0][0] == "EBELN" and len(parsed[0][2]) == 30 and parsed[1] == ("BUKRS", "=", "O'HARE")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("  12500.00", Decimal("12500.00")),
        ("250.50-", Decimal("-250.50")),
        ("", Decimal(0)),
        (".5", Decimal("0.5")),
    ],
)
def test_amounts_are_exact_with_a_trailing_minus(raw: str, value: Decimal) -> None:
    assert amount(raw) == value


def test_leading_zeros_are_stripped_from_numbers() -> None:
    assert number("0000100010") == "100010" and number("0000000000") == "0" and number("") == ""


async def test_adapter_pull_reads_po_trees_and_an_incremental_pull_reads_only_changed_pos(
    sim: EccSimulator,
) -> None:
    from datetime import date

    from sap_seed import MemorySink

    from adapters.base import PreviousPull
    from adapters.sap_ecc.adapter import LAST_DAY, EccAdapter

    sim.tables["EKKN"] = [
        {
            "EBELN": "4500000001",
            "EBELP": "00010",
            "ZEKKN": z,
            "PS_PSP_PNR": "00000002",
            "SAKTO": "0000510000",
            "MENGE": Decimal("0.5"),
            "VPROZ": Decimal("50.0"),
            "NETWR": Decimal("6250.00"),
        }
        for z in ("01", "02")
    ]
    adapter = EccAdapter(
        ecc_settings(sim), lambda: PASSWORD, today=lambda: date(2026, 11, 20), backoff=0.001, timeout=5
    )
    sink = MemorySink()
    high = await adapter.pull(sink, full=True, previous=None)
    assert high == {LAST_DAY: "2026-11-20"}
    tree = sink.raw["EKKO"]["4500000001"]
    assert [i["EBELP"] for i in tree["items"]] == ["00010", "00020"]
    assert [a["ZEKKN"] for a in tree["items"][0]["accounts"]] == ["01", "02"]
    assert "4500000099" not in sink.raw["EKKO"]  # another company code
    # Each resource ticks before its first call, so its bar and its clock start with it (the
    # pull's per-resource seconds read 0.00 for every ECC table when the only tick came last).
    assert sink.first and all(p.requests == 0 for p in sink.first.values()), sink.first
    # Only PO 2 changes after the first pull: the next pull reads its tree and nothing else.
    for line in sim.tables["EKPO"]:
        if line["EBELN"] == "4500000002":
            line["AEDAT"] = "20261125"
    sink2 = MemorySink(base=sink.raw)
    await adapter.pull(sink2, full=False, previous=PreviousPull(high_water=high))
    await adapter.aclose()
    changed = {k for k, v in sink2.raw["EKKO"].items() if v is not sink.raw["EKKO"].get(k)}
    assert changed == {"4500000002"}
