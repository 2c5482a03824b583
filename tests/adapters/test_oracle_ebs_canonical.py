"""EBS raw rows → canonical frames: segments from the profile, cancelled lines, split lines, exact money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from ebs_seed import ebs_seed, ebs_settings
from pydantic import ValidationError

from adapters.base import ResponseError
from adapters.oracle_ebs import canonical as c
from adapters.oracle_ebs.settings import OracleEbsSettings


def reader(seed: dict[str, Any]) -> Any:
    data = seed["oracle_ebs"]
    return lambda procedure: [("procedure", dict(r)) for r in data.get(procedure, [])]


SETTINGS = ebs_settings("http://ebs.invalid")


def test_a_split_line_is_one_line_with_the_exact_sum_and_its_largest_distribution() -> None:
    lines = c.commitments(reader(ebs_seed()), SETTINGS)[1]
    assert lines.columns == [
        "po_number", "item", "description", "quantity", "net_price", "price_unit", "amount", "currency",
        "account", "cost_center", "department", "erp_project", "task",
    ]  # fmt: skip
    row = lines.filter(po_number="4500", item="2").row(0, named=True)
    # 1.5 × 99.99 + 2.25 × 99.99 = 149.985 + 224.9775 = 374.9625, to the last digit.
    assert row["amount"] == Decimal("374.9625") and row["quantity"] == Decimal("3.75")
    # The second distribution is the larger: its code combination and task win.
    assert (row["account"], row["cost_center"], row["department"], row["task"]) == ("5200", "120", "20", "2")
    assert row["erp_project"] == "PRJ-1001"
    one = lines.filter(po_number="4500", item="1").row(0, named=True)
    assert one["amount"] == Decimal("248.9140") and (one["account"], one["task"]) == ("5100", "1")


def test_cancelled_lines_and_other_operating_units_are_skipped() -> None:
    heads, lines = c.commitments(reader(ebs_seed()), SETTINGS)
    assert lines.filter(item="3").height == 0  # CANCEL_FLAG Y
    assert "4599" not in heads["po_number"].to_list()  # ORG_ID 999
    assert heads.height == 6 and lines.height == 12
    head = heads.filter(po_number="4501").row(0, named=True)
    assert head["supplier"] == "50001" and head["currency"] == "USD"  # the supplier number, not VENDOR_ID


def test_equal_distributions_take_the_lowest_distribution_number() -> None:
    seed = ebs_seed(pos=1)
    for d in seed["oracle_ebs"]["GET_PO_DISTRIBUTIONS"]:
        if d["LINE_NUM"] == "2":
            d["QUANTITY_ORDERED"] = "1"
    seed["oracle_ebs"]["GET_PO_DISTRIBUTIONS"].reverse()  # order on the wire must not matter
    row = c.commitments(reader(seed), SETTINGS)[1].filter(item="2").row(0, named=True)
    assert row["account"] == "5100" and row["amount"] == Decimal("199.9800")


def test_segments_come_from_the_profile_only() -> None:
    other = ebs_settings("http://ebs.invalid", segments={"SEGMENT4": "dept", "SEGMENT2": "natural_account"})
    lines = c.commitments(reader(ebs_seed()), other)[1]
    assert [col for col in lines.columns if col in ("dept", "natural_account", "account")] == [
        "dept",
        "natural_account",
    ]
    assert lines.filter(po_number="4500", item="1")["natural_account"].to_list() == ["5100"]


def test_erp_project_falls_back_to_the_segment_named_project() -> None:
    seed = ebs_seed(pos=1)
    for d in seed["oracle_ebs"]["GET_PO_DISTRIBUTIONS"]:
        d["PROJECT_ID"] = d["TASK_ID"] = ""
    settings = ebs_settings("http://ebs.invalid", segments={"SEGMENT2": "account", "SEGMENT3": "project"})
    lines = c.commitments(reader(seed), settings)[1]
    assert set(lines["erp_project"].to_list()) == set(lines["project"].to_list()) == {"110", "120"}
    assert lines["task"].null_count() == lines.height


def test_projects_budgets_and_actuals() -> None:
    raw = reader(ebs_seed())
    projects = c.projects(raw, SETTINGS)
    assert projects.filter(node="1.1").row(0, named=True) == {
        "node": "1.1", "parent": "1", "project": "PRJ-1001", "level": 3, "description": "Task 1.1",
    }  # fmt: skip
    assert projects.filter(node="PRJ-1002")["level"].to_list() == [1]
    assert "PRJ-9" not in projects["project"].to_list()
    budgets = c.budgets(raw, SETTINGS)
    assert budgets.height == 2 and budgets["amount"].sum() == Decimal("230000.5000")
    actuals = c.actuals(raw, SETTINGS)
    # One row per period, dated on the period's last day; the disabled combination 12002 still maps.
    first = actuals.filter(task="1").sort("posting_date")
    assert first.select("posting_date", "amount").rows() == [
        (date(2025, 1, 31), Decimal("1000.1000")),
        (date(2025, 2, 28), Decimal("250.0150")),
    ]
    assert first["account"].to_list() == ["5100", "5100"]
    assert actuals.filter(task="2")["account"].to_list() == ["5300"]


def test_vendors_blocked_when_disabled() -> None:
    vendors = c.vendors(reader(ebs_seed()), SETTINGS)
    assert vendors.filter(blocked=True)["supplier"].to_list() == ["50002"]


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("UNIT_PRICE", "12,5", "column UNIT_PRICE: '12,5' is not a decimal"),
        ("QUANTITY_ORDERED", 3.5, "column QUANTITY_ORDERED: 3.5 is not a decimal string"),
        ("CANCEL_FLAG", "X", "column CANCEL_FLAG: 'X' is not a Y/N flag"),
        (
            "LAST_UPDATE_DATE",
            "03-MAR-25",
            "column LAST_UPDATE_DATE: '03-MAR-25' is not a YYYY-MM-DDTHH:MM:SS",
        ),
    ],
)
def test_a_bad_value_names_procedure_row_and_column(column: str, value: Any, says: str) -> None:
    seed = ebs_seed(pos=1)
    seed["oracle_ebs"]["GET_PO_DISTRIBUTIONS"][0][column] = value
    with pytest.raises(ResponseError) as err:
        c.commitments(reader(seed), SETTINGS)
    assert str(err.value).startswith("Oracle EBS GET_PO_DISTRIBUTIONS row 70001: " + says)


def test_empty_strings_are_null() -> None:
    seed = ebs_seed(pos=1)
    row = seed["oracle_ebs"]["GET_PO_DISTRIBUTIONS"][0]
    row.update(CODE_COMBINATION_ID="", TASK_ID="", ITEM_DESCRIPTION="")
    line = c.commitments(reader(seed), SETTINGS)[1].filter(item="1").row(0, named=True)
    assert line["account"] is None and line["task"] is None and line["description"] is None


@pytest.mark.parametrize(
    ("over", "says"),
    [
        ({"segments": {}}, "name at least one segment"),
        ({"segments": {"ACCOUNT": "account"}}, "not a GL_CODE_COMBINATIONS column"),
        ({"segments": {"SEGMENT2": "account", "SEGMENT3": "account"}}, "given twice"),
        ({"segments": {"SEGMENT2": "amount"}}, "taken by a canonical column"),
        ({"fixed_segments": {"SEGMENT2": "01"}}, "segments already names"),
        ({"unknown_key": 1}, "Extra inputs are not permitted"),
    ],
)
def test_settings_refuse_what_cannot_work(over: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError) as err:
        ebs_settings("http://ebs.invalid", **over)
    assert says in str(err.value)


def test_settings_accept_numeric_ids_from_toml() -> None:
    s = ebs_settings("http://ebs.invalid", org_id=204, ledger_id=2021)
    assert (s.org_id, s.ledger_id, s.alias) == ("204", "2021", "xx_tieout")
    assert isinstance(s, OracleEbsSettings) and s.segment_names == ["account", "cost_center", "department"]


def test_canonicalize_fills_the_seam_tables_of_the_profile_shape() -> None:
    from adapters.canonical_schema import erp_tables
    from adapters.erp_shape import shape_for

    frames = c.canonicalize(reader(ebs_seed()), SETTINGS)
    tables = erp_tables(shape_for("oracle-ebs", SETTINGS))
    assert set(frames) == set(tables)
    for name, frame in frames.items():
        assert dict(frame.schema) == dict(tables[name]), name
    lines = frames["erp_commitment_lines"]
    assert lines.filter(po_number="4500", item="2").row(0, named=True)["net_price"] == Decimal("99.9900")
    # Tasks only, per project; a top task has no parent (a project is not a task).
    tree = frames["erp_hierarchy"]
    assert tree.filter(node="1.1", project="PRJ-1001").row(0, named=True) == {
        "node": "1.1", "project": "PRJ-1001", "parent": "1", "level": 2, "description": "Task 1.1",
    }  # fmt: skip
    assert tree.filter(node="1", project="PRJ-1001")["parent"].to_list() == [None]
    assert "PRJ-1002" not in tree["node"].to_list()
    heads = frames["erp_commitments"]
    assert set(heads["company_code"].to_list()) == {"204"}
    budgets = frames["erp_budgets"]
    assert (
        budgets["account"].null_count() == budgets.height
        and budgets["fiscal_year"].null_count() == budgets.height
    )


def test_a_top_task_numbered_like_its_project_is_still_the_parent_of_its_subtasks() -> None:
    seed = ebs_seed(pos=1)
    for row in seed["oracle_ebs"]["GET_PROJECTS"]:
        if row["SEGMENT1"] == "PRJ-1001" and row["TASK_NUMBER"] == "1":
            row["TASK_NUMBER"] = "PRJ-1001"  # the WBS-style numbering the demo uses
    tree = c.canonicalize(reader(seed), SETTINGS)["erp_hierarchy"]
    assert tree.filter(node="1.1", project="PRJ-1001")["parent"].to_list() == ["PRJ-1001"]
    assert tree.filter(node="PRJ-1001")["parent"].to_list() == [None]
