"""The demo company rendered for PeopleSoft: its committed answer key, mappings and wire rows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from adapters.peoplesoft.models import ROW_MODELS
from sample_data.generate import generate
from sample_data.peoplesoft_wire import BUSINESS_UNIT, render


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    company = generate(7)
    return company, render(company)


def test_keys_are_written_the_peoplesoft_way(demo) -> None:  # type: ignore[no-untyped-def]
    company, ps = demo
    assert len(ps.answer_key) == len(company.answer_key)
    lines = [r["key"] for r in ps.answer_key if r["object"] == "commitment_line"]
    erp_keyed = [k for k in lines if not k.startswith("procore:")]
    assert erp_keyed and all(k.startswith(f"{BUSINESS_UNIT}/") and k.count("/") == 2 for k in erp_keyed)
    assert "US001/4500000020/1" in lines


def test_every_row_reads_as_its_operation_row_and_amounts_tie_to_sap(demo) -> None:  # type: ignore[no-untyped-def]
    company, ps = demo
    for name, rows in ps.rows.items():
        for row in rows[:50]:
            ROW_MODELS[name].model_validate(row)
    sap_total = sum(Decimal(a["PurgDocNetAmount"]) for a in company.sap["A_PurOrdAccountAssignment"])
    assert sum(r["MERCHANDISE_AMT"] for r in ps.rows["PO_DISTRIB"]) == sap_total


def test_mapping_tables_have_peoplesoft_headers_and_no_ties(demo) -> None:  # type: ignore[no-untyped-def]
    _, ps = demo
    assert ps.mappings["projects.csv"].splitlines()[0] == "project_id,procore_project_number"
    rows = list(csv.DictReader(io.StringIO(ps.mappings["cost_codes.csv"])))
    assert list(rows[0]) == ["account", "deptid", "project_id", "activity_id", "procore_cost_code"]
    keys = [(r["account"], r["deptid"], r["project_id"], r["activity_id"]) for r in rows]
    assert len(keys) == len(set(keys))
    # The planted deeper override is that activity's own row.
    assert ("", "", "P-1003", "03-02") in keys
    assert {
        r["procore_cost_code"] for r in rows if r["project_id"] == "P-1003" and r["activity_id"] == "03-02"
    } == {"03-310"}
