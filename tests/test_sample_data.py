"""The demo company: deterministic, the promised size, wire-shaped, and an answer key that is right.

The key is computed by ``sample_data.rules`` from the seeds; these tests check it against what
the plants intended and, independently of ``rules``, that per-project totals of both sides
differ by exactly what the key reports (plus the planted sub-tolerance differences), to the cent.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sample_data.generate import KEY_COLUMNS, MAPPING_HEADERS, DemoCompany, generate, main

OBJECTS = ("vendor", "commitment", "commitment_line", "budget", "actual")
KINDS = ("missing_in_procore", "missing_in_erp", "value_mismatch", "duplicate", "unmapped")
MONEY_FIELDS = {
    "grand_total", "amount", "unit_cost", "total_amount", "original_budget_amount", "budget_modifications",
    "work_completed_this_period", "materials_presently_stored", "scheduled_value", "total_claimed_amount",
    "NetPriceAmount", "PurgDocNetAmount", "AmountInCompanyCodeCurrency", "AmountInTransactionCurrency",
    "BudgetAmount", "OrderQuantity", "Quantity",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo() -> DemoCompany:
    return generate(7)


def test_generation_is_deterministic(demo: DemoCompany) -> None:
    again = generate(7)
    assert json.dumps(again.procore) == json.dumps(demo.procore)
    assert json.dumps(again.sap) == json.dumps(demo.sap)
    assert again.mappings == demo.mappings and again.answer_key == demo.answer_key


def test_another_seed_changes_the_data_but_not_the_planted_keys(demo: DemoCompany) -> None:
    other = generate(8)
    assert json.dumps(other.sap) != json.dumps(demo.sap)
    keys = {(r["object"], r["kind"], r["key"], r["field"]) for r in demo.answer_key}
    assert {(r["object"], r["kind"], r["key"], r["field"]) for r in other.answer_key} == keys


def test_sizes(demo: DemoCompany) -> None:
    pc, sap = demo.procore, demo.sap
    assert sum(p["active"] for p in pc["projects"]) == 15
    assert sum(not p["active"] for p in pc["projects"]) == 2
    assert 195 <= len(sap["A_Supplier"]) <= 205  # ~200
    assert 1900 <= len(sap["A_PurchaseOrder"]) <= 2100
    assert 9000 <= len(sap["A_PurchaseOrderItem"]) <= 11000
    assert len(sap["A_PurOrdAccountAssignment"]) > len(sap["A_PurchaseOrderItem"])  # some items are split
    levels = {e["ProjectElement"].count("-") for e in sap["A_EnterpriseProjectElement"]}
    assert levels == {1, 2, 3}
    postings = defaultdict(int)
    for je in sap["A_JournalEntryItemBasic"]:
        postings[(je["WBSElement"], je["GLAccount"], je["CostCenter"])] += 1
    assert min(postings.values()) >= 2  # posting level: several rows per WBS/GL/cost center
    statuses = {dc["status"] for dcs in pc["direct_costs"].values() for dc in dcs}
    assert {"approved", "draft", "pending"} <= statuses
    assert {"approved", "approved_as_noted", "draft", "under_review"} <= {
        r["status"] for rs in pc["requisitions"].values() for r in rs
    }


def test_every_object_and_kind_is_planted(demo: DemoCompany) -> None:
    pairs = {(r["object"], r["kind"]) for r in demo.answer_key}
    assert pairs == {(o, k) for o in OBJECTS for k in KINDS}


def test_key_is_exactly_what_was_planted(demo: DemoCompany) -> None:
    got = sorted((r["object"], r["kind"], r["key"], r["project"], r["field"]) for r in demo.answer_key)
    meant = sorted((r["object"], r["kind"], r["key"], r["project"], r["field"]) for r in demo.expected)
    assert got == meant
    assert len(set(got)) == len(got)
    for row in demo.answer_key:
        assert list(row) == KEY_COLUMNS
        if row["difference"]:
            Decimal(row["difference"])
        if row["field"] in ("name", "vendor", "cost_code"):
            assert row["erp_value"] != row["procore_value"] and not row["difference"]


def test_tolerance_edges(demo: DemoCompany) -> None:
    keys = {r["key"]: r for r in demo.answer_key}
    for po in ("4500000004", "4500000005"):  # exactly 0.01 apart: not reported
        assert not any(k.startswith(po) for k in keys)
    assert keys["4500000006/00010"]["difference"] == "0.0110"
    assert keys["4500000006"]["difference"] == "0.0110"
    assert not any(r["key"] in ("1002/03-300", "1002/02-200") for r in demo.answer_key)


def test_procore_keys_name_real_records(demo: DemoCompany) -> None:
    ids = {v["id"] for v in demo.procore["vendors"]}
    ids |= {
        c["id"]
        for k in ("purchase_order_contracts", "work_order_contracts")
        for cs in demo.procore[k].values()
        for c in cs
    }
    ids |= {ln["id"] for lines in demo.procore["commitment_line_items"].values() for ln in lines}
    for row in demo.answer_key:
        if row["key"].startswith("procore:"):
            assert int(row["key"].split(":")[1]) in ids


# -- independent per-project totals -----------------------------------------------------------------
def _project_of(wbs: str, projects: dict[str, str]) -> str:
    parts = wbs.split("-")
    for n in range(len(parts), 1, -1):
        if "-".join(parts[:n]) in projects:
            return projects["-".join(parts[:n])]
    return ""


def _expected_gap(demo: DemoCompany, obj: str) -> dict[str, Decimal]:
    """What the key says ERP − Procore is per project: differences, unmapped ERP amounts, silent cases."""
    gap: dict[str, Decimal] = defaultdict(Decimal)
    for r in demo.answer_key:
        if r["object"] == obj:
            if r["kind"] == "unmapped":
                gap[r["project"]] += Decimal(r["erp_value"])
            elif r["difference"]:
                gap[r["project"]] += Decimal(r["difference"])
    for s in demo.silent:
        if s["object"] == obj:
            gap[s["project"]] += s["difference"]
    return {k: v for k, v in gap.items() if v}


def _gap(erp: dict[str, Decimal], pc: dict[str, Decimal]) -> dict[str, Decimal]:
    out = {p: erp.get(p, Decimal(0)) - pc.get(p, Decimal(0)) for p in set(erp) | set(pc)}
    return {k: v for k, v in out.items() if v}


def _setup(demo: DemoCompany) -> tuple[dict[str, str], dict[int, str]]:
    projects = {
        r["wbs_element"]: r["procore_project_number"]
        for r in csv.DictReader(io.StringIO(demo.mappings["projects.csv"]))
    }
    active = {p["id"]: p["project_number"] for p in demo.procore["projects"] if p["active"]}
    return projects, active


def test_budget_totals_tie_to_the_key(demo: DemoCompany) -> None:
    projects, active = _setup(demo)
    erp: dict[str, Decimal] = defaultdict(Decimal)
    for b in demo.sap["WBSBudget"]:
        erp[_project_of(b["WBSElement"], projects)] += Decimal(b["BudgetAmount"])
    pc: dict[str, Decimal] = defaultdict(Decimal)
    for pid, number in active.items():
        view = next(
            v
            for v in demo.procore["budget_views"][str(pid)]
            if v["name"] == demo.profile_extras["budget_view"]
        )
        for row in demo.procore["budget_detail_rows"][f"{view['id']}:{pid}"]:
            pc[number] += Decimal(row["original_budget_amount"])
    assert _gap(erp, pc) == _expected_gap(demo, "budget")


def test_actual_totals_tie_to_the_key(demo: DemoCompany) -> None:
    projects, active = _setup(demo)
    erp: dict[str, Decimal] = defaultdict(Decimal)
    for je in demo.sap["A_JournalEntryItemBasic"]:
        if je["CompanyCode"] == demo.profile_extras["company_code"]:
            erp[_project_of(je["WBSElement"], projects)] += Decimal(je["AmountInCompanyCodeCurrency"])
    pc: dict[str, Decimal] = defaultdict(Decimal)
    for pid, number in active.items():
        for dc in demo.procore["direct_costs"][str(pid)]:
            if dc["status"] == "approved":
                pc[number] += sum(
                    Decimal(x["amount"]) for x in demo.procore["direct_cost_line_items"][str(dc["id"])]
                )
        for req in demo.procore["requisitions"][str(pid)]:
            if req["status"] in ("approved", "approved_as_noted"):
                for it in demo.procore["requisition_items"][str(req["id"])]:
                    pc[number] += Decimal(it["work_completed_this_period"]) + Decimal(
                        it["materials_presently_stored"]
                    )
    assert _gap(erp, pc) == _expected_gap(demo, "actual")


def _commitment_sides(demo: DemoCompany) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    projects, active = _setup(demo)
    biggest: dict[tuple[str, str], tuple[Decimal, str]] = {}
    amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in demo.sap["A_PurOrdAccountAssignment"]:
        k, amount = (a["PurchaseOrder"], a["PurchaseOrderItem"]), Decimal(a["PurgDocNetAmount"])
        amounts[k] += amount
        if k not in biggest or amount > biggest[k][0]:
            biggest[k] = (amount, a["WBSElement"])
    erp: dict[str, Decimal] = defaultdict(Decimal)
    for k, amount in amounts.items():
        erp[_project_of(biggest[k][1], projects)] += amount
    pc: dict[str, Decimal] = defaultdict(Decimal)
    for kind in ("purchase_order_contracts", "work_order_contracts"):
        for pid, contracts in demo.procore[kind].items():
            if int(pid) in active:
                for c in contracts:
                    pc[active[int(pid)]] += sum(
                        Decimal(x["amount"]) for x in demo.procore["commitment_line_items"][str(c["id"])]
                    )
    return erp, pc


def test_commitment_and_line_totals_tie_to_the_key(demo: DemoCompany) -> None:
    erp, pc = _commitment_sides(demo)
    assert _gap(erp, pc) == _expected_gap(demo, "commitment_line")
    # The commitment amount is the sum of all its lines, so the PO level ties out the same way,
    # except that the unmapped line of 4500000011 shows up as the PO's amount mismatch.
    assert _gap(erp, pc) == _expected_gap(demo, "commitment")


# -- wire shape ---------------------------------------------------------------------------------------
def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, node


def test_money_is_always_a_decimal_string(demo: DemoCompany) -> None:
    seen = 0
    for path, value in [*_walk(demo.procore), *_walk(demo.sap)]:
        assert not isinstance(value, float), path
        if path.rsplit(".", 1)[-1] in MONEY_FIELDS:
            assert isinstance(value, str), path
            Decimal(value)
            seen += 1
    assert seen > 40_000


def test_wire_formats(demo: DemoCompany) -> None:
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    sap_date = re.compile(r"^/Date\(\d+\)/$")
    sap_ts = re.compile(r"^/Date\(\d+\+0000\)/$")
    for path, value in _walk(demo.procore):
        if path.endswith("updated_at"):
            assert iso.match(value), path
    for path, value in _walk(demo.sap):
        name = path.rsplit(".", 1)[-1]
        if name in ("CreationDate", "PurchaseOrderDate", "LastChangeDate"):
            assert sap_date.match(value), path
        if name == "LastChangeDateTime":
            assert sap_ts.match(value), path
    assert all(isinstance(k, str) for k in demo.procore["commitment_line_items"])
    assert not any("__metadata" in r for rows in demo.sap.values() for r in rows)
    json.dumps(demo.procore), json.dumps(demo.sap)


def test_hostile_strings_are_on_both_sides(demo: DemoCompany) -> None:
    sap_names = {s["SupplierName"] for s in demo.sap["A_Supplier"]}
    pc_names = {v["name"] for v in demo.procore["vendors"]}
    for s in ("[bold red]x[/] Builders", '=HYPERLINK("http://evil","click")', "+cmd Rentals", "-2+3 Drywall",
              "@SUM(A1) Supply", "\x1b[31mred\x1b[0m Paving"):  # fmt: skip
        assert s in sap_names and s in pc_names
    assert any("🚧" in n for n in sap_names & pc_names)
    assert max(len(n) for n in pc_names) == 300
    assert max(len(n) for n in sap_names) <= 80  # SAP's SupplierName is 80 characters
    assert max(len(i["PurchaseOrderItemText"]) for i in demo.sap["A_PurchaseOrderItem"]) <= 40


# -- mappings and files -----------------------------------------------------------------------------
def test_mapping_csvs_have_the_contract_headers(demo: DemoCompany) -> None:
    assert set(demo.mappings) == set(MAPPING_HEADERS)
    codes = {c["full_code"] for c in next(iter(demo.procore["cost_codes"].values()))}
    for name, text in demo.mappings.items():
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        assert reader.fieldnames == MAPPING_HEADERS[name]
        assert rows and len(rows) == len({tuple(r.values()) for r in rows})
        if name == "cost_codes.csv":
            assert {r["procore_cost_code"] for r in rows} <= codes
            assert any(not r["wbs_element"] for r in rows) and any(r["cost_center"] for r in rows)
    default = Path(__file__).resolve().parent.parent / "mappings" / "default"
    for name, header in MAPPING_HEADERS.items():
        assert (default / name).read_text(encoding="utf-8").splitlines() == [",".join(header)]


def test_write_demo_and_cli(tmp_path: Path, demo: DemoCompany, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    assert f"{len(demo.answer_key)} exceptions" in capsys.readouterr().out
    with (tmp_path / "answer_key.csv").open(encoding="utf-8", newline="") as fh:
        assert list(csv.DictReader(fh)) == demo.answer_key
    assert json.loads((tmp_path / "procore.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(demo.procore)
    )
    assert (
        json.loads((tmp_path / "sap.json").read_text(encoding="utf-8"))["A_Supplier"]
        == demo.sap["A_Supplier"]
    )
    for name in MAPPING_HEADERS:
        assert (tmp_path / "mappings" / name).read_text(encoding="utf-8") == demo.mappings[name]
    extras = json.loads((tmp_path / "profile_extras.json").read_text(encoding="utf-8"))
    assert "secret" not in json.dumps(extras)


def test_committed_summary_matches_the_key(demo: DemoCompany) -> None:
    path = Path(__file__).resolve().parent.parent / "sample_data" / "demo" / "answer_key_summary.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        summary = {(r["object"], r["kind"]): int(r["count"]) for r in csv.DictReader(fh)}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for r in demo.answer_key:
        counts[(r["object"], r["kind"])] += 1
    assert {k: v for k, v in summary.items() if v} == dict(counts)
    assert sum(summary.values()) == 57
