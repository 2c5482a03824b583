"""ECC onto the seam: a pull over loopback SOAP, canonicalized into the SAP_ECC tables; `tieout pull`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from ecc_seed import PASSWORD, USER, ecc_full_tables, ecc_settings
from sap_seed import MemorySink

from adapters.canonical_schema import erp_tables
from adapters.erp_shape import SAP_ECC
from adapters.sap_ecc.adapter import EccAdapter
from adapters.sap_ecc.simulator import EccSimulator
from adapters.secret import Secret


@pytest.fixture
def sim() -> Iterator[EccSimulator]:
    s = EccSimulator(ecc_full_tables())
    s.start()
    yield s
    s.stop()


async def _canonical(sim: EccSimulator) -> dict[str, pl.DataFrame]:
    adapter = EccAdapter(ecc_settings(sim), Secret(PASSWORD), backoff=0.001, timeout=5)
    sink = MemorySink()
    await adapter.pull(sink, full=True, previous=None)
    await adapter.aclose()
    return adapter.canonicalize(sink.reader)


def _rows(frame: pl.DataFrame, **where: Any) -> list[dict[str, Any]]:
    return [r for r in frame.iter_rows(named=True) if all(r[k] == v for k, v in where.items())]


async def test_frames_have_the_sap_ecc_schemas(sim: EccSimulator) -> None:
    frames = await _canonical(sim)
    for table, schema in erp_tables(SAP_ECC).items():
        assert dict(frames[table].schema) == dict(schema), table


async def test_vendors_lose_leading_zeros_and_join_their_names(sim: EccSimulator) -> None:
    vendors = (await _canonical(sim))["erp_vendors"]
    assert _rows(vendors, supplier="1") == [
        {"supplier": "1", "name": "Vendor 1 Steel & Co", "blocked": False}
    ]
    assert _rows(vendors, supplier="8")[0]["blocked"] is True


async def test_wbs_parents_follow_the_posid_segments_within_the_project(sim: EccSimulator) -> None:
    tree = (await _canonical(sim))["erp_hierarchy"].sort("node")
    assert tree.select("node", "project", "parent").rows() == [
        ("P-1001", "P-1001", None),
        ("P-1001-01", "P-1001", "P-1001"),
        ("P-1001-02", "P-1001", "P-1001"),
    ]


async def test_po_lines_net_value_largest_assignment_deleted_items_and_shifted_currency(
    sim: EccSimulator,
) -> None:
    frames = await _canonical(sim)
    lines = frames["erp_commitment_lines"]
    split = _rows(lines, po_number="4500000001", item="00010")
    # One line per item: EKPO-NETWR, dimensions of the 60 % assignment (the second EKKN row).
    assert len(split) == 1
    assert split[0]["amount"] == Decimal("12500.00")
    assert (split[0]["wbs_element"], split[0]["gl_account"], split[0]["cost_center"]) == (
        "P-1001-02",
        "510000",
        "4100",
    )
    assert _rows(lines, po_number="4500000001", item="00020")[0]["amount"] == Decimal("-250.50")
    assert _rows(lines, po_number="4500000002", item="00020") == []  # LOEKZ L
    jpy = _rows(lines, po_number="4500000003", item="00010")[0]
    assert (jpy["amount"], jpy["net_price"], jpy["currency"]) == (Decimal(12500), Decimal(12500), "JPY")
    heads = frames["erp_commitments"]
    assert sorted(heads["po_number"]) == ["4500000001", "4500000002", "4500000003", "4500000004"]
    head = _rows(heads, po_number="4500000001")[0]
    assert head["supplier"] == "1" and head["company_code"] == "1000" and head["etag"]


async def test_a_changed_item_changes_its_stamp_and_its_pos(sim: EccSimulator) -> None:
    before = (await _canonical(sim))["erp_commitment_lines"]
    for line in sim.tables["EKPO"]:
        if (line["EBELN"], line["EBELP"]) == ("4500000004", "00010"):
            line["MENGE"] = Decimal(2)
    after = (await _canonical(sim))["erp_commitment_lines"]
    changed = {
        (a["po_number"], a["item"])
        for a, b in zip(
            after.sort("po_number", "item").iter_rows(named=True),
            before.sort("po_number", "item").iter_rows(named=True),
            strict=True,
        )
        if a["etag"] != b["etag"]
    }
    assert changed == {("4500000004", "00010")}


async def test_budgets_are_bpge_41_and_actuals_cosp_04_over_all_periods(sim: EccSimulator) -> None:
    frames = await _canonical(sim)
    budgets = frames["erp_budgets"]
    assert sorted(budgets.select("wbs_element", "amount").rows()) == [
        ("P-1001-01", Decimal("250.00")),
        ("P-1001-01", Decimal("1000.00")),
    ]
    actuals = frames["erp_actuals"]
    assert actuals["cost_center"].null_count() == actuals.height
    # One row per period with a value, dated on the period's last day (special period 16: year end).
    assert sorted(actuals.select("wbs_element", "gl_account", "posting_date", "amount").rows()) == [
        ("P-1001-02", "510000", date(2026, 1, 31), Decimal("100.00")),
        ("P-1001-02", "510000", date(2026, 12, 31), Decimal("-50.25")),
        ("P-1001-02", "510000", date(2026, 12, 31), Decimal("1.00")),
    ]


def _profile(tmp_path: Path, sim: EccSimulator) -> Path:
    (tmp_path / "mappings").mkdir()
    path = tmp_path / "ecc.toml"
    path.write_text(
        f"""name = "ECC test"
store = "ecc.duckdb"

[procore]
base_url = "http://127.0.0.1:9"
login_url = "http://127.0.0.1:9"
company_id = 1
client_id = "unused"

[erp]
kind = "sap-ecc"
base_url = "{sim.base_url}"
wsdl_url = "{sim.wsdl_url}"
username = "{USER}"
sap_client = "100"
company_code = "1000"

[mappings]
dir = "mappings"
""",
        encoding="utf-8",
    )
    return path


def test_tieout_pull_reads_ecc_into_the_store(
    sim: EccSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from reconcile.profile import load_profile
    from reconcile.store import Store

    monkeypatch.setenv("TIEOUT_ERP_CLIENT_SECRET", PASSWORD)
    path = _profile(tmp_path, sim)
    code = main(["pull", "--profile", str(path), "--source", "erp"])
    out = capsys.readouterr()
    assert code == 0, out.err
    with Store(load_profile(path).store_path) as store:
        lines = store.canonical("erp_commitment_lines")
        actuals = store.canonical("erp_actuals")
    assert lines.height == 7 and set(SAP_ECC.columns) <= set(lines.columns)
    assert actuals["amount"].sum() == Decimal("50.75")


def test_tieout_pull_with_a_wrong_password_is_one_sentence_exit_2(
    sim: EccSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    monkeypatch.setenv("TIEOUT_ERP_CLIENT_SECRET", "not-the-password")
    code = main(["pull", "--profile", str(_profile(tmp_path, sim)), "--source", "erp"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "SAP ECC" in err and "Traceback" not in err and "not-the-password" not in err
