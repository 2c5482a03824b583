"""The diff's linking rules, one case each: fallbacks, duplicates, unmapped, filters, ids."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal as D
from typing import Any

import polars as pl
import pytest

from mappings import Mappings
from reconcile.canonical import conform
from reconcile.diff import diff, exception_id

M = Mappings.from_rows(
    [("P-1", "100"), ("P-9", "900")],
    [(None, None, "P-1", "01-100"), ("52000000", None, "P-1", "02-200"), (None, None, "P-9", "09-900")],
    [("2000", 77)],
)
TOL = D("0.01")


def t(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    if not rows:
        return conform(table, pl.DataFrame())
    cols = {k for r in rows for k in r}
    return conform(table, pl.DataFrame([{c: r.get(c) for c in cols} for r in rows], infer_schema_length=None))


def procore(**tables: list[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    base = {
        "procore_projects": [
            {"id": 1, "project_number": "100", "active": True},
            {"id": 9, "project_number": "900", "active": False},
        ]
    }
    base.update(tables)
    return {
        f"procore_{k}" if not k.startswith("procore_") else k: t(
            f"procore_{k}" if not k.startswith("procore_") else k, v
        )
        for k, v in base.items()
    }


def erp(**tables: list[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    return {f"erp_{k}": t(f"erp_{k}", v) for k, v in tables.items()}


def line(po: str, item: str, amount: str, wbs: str = "P-1-01", gl: str = "51000000") -> dict[str, Any]:
    return {"po_number": po, "item": item, "amount": D(amount), "wbs_element": wbs, "gl_account": gl}


def pline(
    id: int,
    position: int,
    amount: str,
    origin: str | None,
    code: str = "01-100",
    contract: int = 10,
    project: int = 1,
) -> dict[str, Any]:
    return {
        "id": id,
        "contract_id": contract,
        "project_id": project,
        "position": position,
        "amount": D(amount),
        "origin_id": origin,
        "cost_code": code,
    }


CONTRACT = {"id": 10, "project_id": 1, "number": "4500000001", "origin_id": None, "vendor_id": 5}
VENDOR = {"id": 5, "name": "Acme", "origin_id": "1000"}


def run(p: dict[str, pl.DataFrame], e: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return diff(p, e, M, TOL)


def facts(frame: pl.DataFrame) -> set[tuple[Any, ...]]:
    return set(frame.select("object", "kind", "key", "field", "difference").iter_rows())


@pytest.mark.parametrize("po", ["4500000001", "PO-A1"])
def test_lines_link_by_origin_then_by_position(po: str) -> None:
    e = erp(
        vendors=[{"supplier": "1000", "name": "Acme"}],
        commitments=[{"po_number": po, "supplier": "1000"}],
        commitment_lines=[line(po, "00010", "100"), line(po, "00020", "50"), line(po, "00030", "7")],
    )
    p = procore(
        vendors=[VENDOR],
        commitments=[{**CONTRACT, "number": po}],
        commitment_lines=[
            pline(1, 1, "100", f"{po}/00010"),
            pline(2, 2, "50.50", None),
            pline(3, 7, "7", "junk"),
        ],
    )
    found = run(p, e)
    assert facts(found) == {
        ("commitment_line", "value_mismatch", f"{po}/00020", "amount", D("-0.5")),
        ("commitment_line", "missing_in_procore", f"{po}/00030", "", D("7")),
        ("commitment_line", "missing_in_erp", "junk", "", D("-7")),
        ("commitment", "value_mismatch", po, "amount", D("-0.5")),
    }
    detail = json.loads(
        found.filter(pl.col("field") == "amount", pl.col("object") == "commitment_line")["detail"][0]
    )
    assert detail["link"] == "position" and detail["procore_id"] == 2
    assert detail["cost_code_rule"] == "mappings/cost_codes.csv line 2"


def test_two_procore_lines_on_one_erp_line_are_a_duplicate() -> None:
    e = erp(
        commitments=[{"po_number": "4500000001", "supplier": "1000"}],
        commitment_lines=[line("4500000001", "00010", "100")],
    )
    p = procore(
        commitments=[CONTRACT],
        commitment_lines=[pline(2, 1, "100", "4500000001/00010"), pline(1, 2, "30", "4500000001/00010")],
    )
    found = run(p, e).filter(pl.col("object") == "commitment_line")
    # One duplicate row, and no further comparison of that ERP line.
    assert facts(found) == {("commitment_line", "duplicate", "4500000001/00010", "", None)}
    assert found["procore_value"][0] == "1,2"


def test_a_split_item_is_one_line_with_the_largest_assignments_code() -> None:
    e = erp(
        commitments=[{"po_number": "4500000001", "supplier": "1000"}],
        commitment_lines=[
            line("4500000001", "00010", "40"),
            line("4500000001", "00010", "60", gl="52000000"),
        ],
    )
    p = procore(
        commitments=[CONTRACT], commitment_lines=[pline(1, 1, "100", "4500000001/00010", code="01-100")]
    )
    assert facts(run(p, e).filter(pl.col("object") == "commitment_line")) == {
        ("commitment_line", "value_mismatch", "4500000001/00010", "cost_code", None)
    }


def test_unmapped_erp_lines_are_reported_not_dropped() -> None:
    e = erp(
        commitments=[{"po_number": "4500000001", "supplier": "1000"}],
        commitment_lines=[line("4500000001", "00010", "5", wbs="Q-7")],
    )
    found = run(procore(), e).filter(pl.col("object") == "commitment_line")
    assert found.select("kind", "rule", "erp_value", "difference").rows() == [
        ("unmapped", "mapping.project", "5.0000", None)
    ]
    assert json.loads(found["detail"][0])["dimensions"] == "WBS Q-7, GL 51000000, cost center -"
    po = run(procore(), e).filter(pl.col("object") == "commitment")
    assert po.select("kind", "key").rows() == [("unmapped", "4500000001")]


def test_inactive_projects_are_left_out_on_both_sides() -> None:
    e = erp(
        commitments=[{"po_number": "4500000009", "supplier": "1000"}],
        commitment_lines=[line("4500000009", "00010", "5", wbs="P-9-1")],
    )
    p = procore(
        commitments=[{**CONTRACT, "id": 11, "project_id": 9, "number": "4500000777"}],
        commitment_lines=[pline(1, 1, "3", None, contract=11, project=9)],
        budget_lines=[{"project_id": 9, "cost_code": "09-900", "original_budget_amount": D("1")}],
    )
    assert run(p, e).height == 0


def test_only_approved_procore_actuals_count() -> None:
    e = erp(actuals=[{"wbs_element": "P-1-01", "gl_account": "51000000", "amount": D("300")}])
    p = procore(
        actual_lines=[
            {
                "id": "direct_cost:1",
                "project_id": 1,
                "source": "direct_cost",
                "status": "approved",
                "cost_code": "01-100",
                "amount": D("100"),
            },
            {
                "id": "direct_cost:2",
                "project_id": 1,
                "source": "direct_cost",
                "status": "pending",
                "cost_code": "01-100",
                "amount": D("999"),
            },
            {
                "id": "requisition:1:1",
                "project_id": 1,
                "source": "requisition",
                "status": "approved_as_noted",
                "cost_code": "01-100",
                "amount": D("150"),
            },
            {
                "id": "requisition:2:1",
                "project_id": 1,
                "source": "requisition",
                "status": "draft",
                "cost_code": "01-100",
                "amount": D("999"),
            },
        ]
    )
    assert facts(run(p, e)) == {("actual", "value_mismatch", "100/01-100", "amount", D("50"))}


def test_budgets_map_through_wbs_only_rows() -> None:
    e = erp(
        budgets=[
            {"wbs_element": "P-1-02", "fiscal_year": "2026", "amount": D("10")},
            {"wbs_element": "P-1", "fiscal_year": "2027", "amount": D("5")},
        ]
    )
    p = procore(budget_lines=[{"project_id": 1, "cost_code": "01-100", "original_budget_amount": D("15")}])
    assert run(p, e).height == 0


def test_vendor_links_explicit_then_origin_then_name() -> None:
    e = erp(
        vendors=[
            {"supplier": "1000", "name": "Acme"},
            {"supplier": "2000", "name": "Beta"},
            {"supplier": "3000", "name": "Gamma"},
        ]
    )
    p = procore(
        vendors=[
            {"id": 77, "name": "Beta Ltd", "origin_id": None},  # vendors.csv: 2000 -> 77
            {"id": 5, "name": "ACME", "origin_id": "1000"},
            {"id": 6, "name": "Gamma", "origin_id": None},
            {"id": 8, "name": "Gamma", "origin_id": "3000"},
            {"id": 9, "name": "Delta", "origin_id": None},
        ]
    )
    found = run(p, e)
    assert facts(found) == {
        ("vendor", "value_mismatch", "2000", "name", None),
        ("vendor", "value_mismatch", "1000", "name", None),
        ("vendor", "duplicate", "3000", "", None),
        ("vendor", "missing_in_erp", "procore:9", "", None),
    }
    mapping = json.loads(found.filter(pl.col("key") == "2000")["detail"][0])["mapping"]
    assert mapping == "mappings/vendors.csv line 2"


def test_commitments_link_by_number_and_compare_vendor() -> None:
    e = erp(
        vendors=[{"supplier": "1000", "name": "Acme"}],
        commitments=[{"po_number": "4500000001", "supplier": "1000"}],
    )
    p = procore(
        vendors=[{"id": 6, "name": "Other", "origin_id": None}], commitments=[{**CONTRACT, "vendor_id": 6}]
    )
    found = run(p, e).filter(pl.col("object") == "commitment")
    assert found.select("kind", "field", "erp_value", "procore_value").rows() == [
        ("value_mismatch", "vendor", "1000", "procore:6")
    ]


def test_exception_ids_are_stable_hashes() -> None:
    expected = "X" + hashlib.sha1(b"vendor|1000|value_mismatch|name").hexdigest()[:12].upper()
    assert exception_id("vendor", "1000", "value_mismatch", "name") == expected
    assert exception_id("vendor", "1000", "missing_in_erp", None) == exception_id(
        "vendor", "1000", "missing_in_erp", ""
    )


def test_procore_side_duplicates_of_budgets_and_actuals() -> None:
    row = {
        "project_id": 1,
        "cost_code_id": 7,
        "cost_code": "01-100",
        "category_id": 3,
        "original_budget_amount": D("10"),
    }
    act = {
        "project_id": 1,
        "source": "direct_cost",
        "status": "approved",
        "cost_code": "01-100",
        "amount": D("4"),
        "origin_id": "5100004711",
    }
    p = procore(
        budget_lines=[row, row, {**row, "category_id": 4}],
        actual_lines=[{**act, "id": "direct_cost:1"}, {**act, "id": "direct_cost:2"}],
    )
    e = erp(
        budgets=[{"wbs_element": "P-1", "amount": D("30")}],
        actuals=[{"wbs_element": "P-1", "amount": D("4")}],
    )
    assert facts(run(p, e)) == {
        ("budget", "duplicate", "100/01-100", "", None),
        ("actual", "duplicate", "100/01-100", "", None),
        ("actual", "value_mismatch", "100/01-100", "amount", D("-4")),
    }


def test_a_stale_vendors_csv_row_makes_its_supplier_unmapped() -> None:
    e = erp(vendors=[{"supplier": "2000", "name": "Beta"}])
    found = run(procore(), e)
    assert found.select("object", "kind", "key", "erp_value").rows() == [
        ("vendor", "unmapped", "2000", "Beta")
    ]


def test_origin_ids_that_only_look_like_a_key_do_not_link() -> None:
    """Integer keys must link exactly the strings equal to ``PO/item``, nothing more."""
    po = "4500000001"
    e = erp(commitments=[{"po_number": po, "supplier": "1000"}], commitment_lines=[line(po, "00010", "1")])
    near_misses = [
        "04500000001/00010",
        "+4500000001/00010",
        "4500000001/+0010",
        "4500000001/0010",
        "4500000001-00010",
    ]
    lines = [pline(i + 1, 99, "1", origin) for i, origin in enumerate(near_misses)]
    found = run(procore(commitments=[CONTRACT], commitment_lines=lines), e).filter(
        pl.col("object") == "commitment_line"
    )
    assert sorted(found.filter(pl.col("kind") == "missing_in_erp")["key"]) == sorted(near_misses)
    assert found.filter(pl.col("kind") == "missing_in_procore")["key"].to_list() == [f"{po}/00010"]


def test_mapping_lookup_by_hash_and_by_strings_agree() -> None:
    """The lookup joins on a hash of the dimensions unless two combos share one; both paths agree."""
    import dataclasses

    from reconcile.diff.commitments import Context, erp_items, key_lines, merge_assignments

    lines = t(
        "erp_commitment_lines",
        [
            line("4500000001", "00010", "10"),
            line("4500000001", "00020", "20", gl="52000000"),
            line("4500000001", "00030", "30", wbs="P-9-01"),
            {**line("4500000001", "00040", "40", wbs="P-7-01"), "cost_center": "CC1"},
        ],
    )
    projects = procore()["procore_projects"]
    ctx = Context(
        mappings=M,
        tolerance=TOL,
        active_projects=projects.filter("active").select(pl.col("id").alias("project_id"), "project_number"),
        inactive_numbers=projects.filter(~pl.col("active"))["project_number"],
        hierarchy=None,
    )
    keyed = key_lines(t("procore_commitment_lines", []), lines, ctx)
    assert keyed.hashed
    merged = merge_assignments(keyed)
    by_hash = erp_items(merged, keyed, ctx)
    by_strings = erp_items(merged, dataclasses.replace(keyed, hashed=False), ctx)
    assert by_hash.equals(by_strings)
    assert by_hash["procore_cost_code"].to_list() == ["01-100", "02-200", "09-900", None]
