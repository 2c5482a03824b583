"""The ERP seam: the same diff, mapping tables and store, driven by each kind's declaration."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from adapters.erp_shape import SAP_ECC, SAP_S4, ErpShape, oracle_ebs, peoplesoft, shape_for
from mappings import MappingError, Mappings, load_mappings
from reconcile.canonical import conform, erp_tables
from reconcile.diff import diff
from reconcile.store import Store

TOL = D("0.01")
PS = peoplesoft("US001")
EBS = oracle_ebs(
    {"SEGMENT4": "department", "SEGMENT2": "account", "SEGMENT1": "project", "SEGMENT3": "cost_center"}
)


def frame(table: str, rows: list[dict[str, Any]], shape: ErpShape | None = None) -> pl.DataFrame:
    if not rows:
        return conform(table, pl.DataFrame(), shape)
    cols = {k for r in rows for k in r}
    data = pl.DataFrame([{c: r.get(c) for c in cols} for r in rows], infer_schema_length=None)
    return conform(table, data, shape)


def procore(**tables: list[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    base: dict[str, list[dict[str, Any]]] = {
        "projects": [{"id": 1, "project_number": "100", "active": True}],
    }
    base.update(tables)
    return {f"procore_{k}": frame(f"procore_{k}", v) for k, v in base.items()}


def test_declarations_give_each_kind_its_own_columns() -> None:
    assert SAP_S4.cost_code_columns == ("gl_account", "cost_center", "wbs_element", "procore_cost_code")
    assert SAP_S4.project_columns == ("wbs_element", "procore_project_number")
    assert SAP_S4.project_is_hierarchical and SAP_ECC.columns == SAP_S4.columns
    assert PS.cost_code_keys == ("account", "deptid", "project_id", "activity_id")
    assert PS.columns == ("project_id", "account", "deptid", "activity_id") and not PS.project_is_hierarchical
    # EBS: the profile's segments in segment order, without the project segment, plus task.
    assert EBS.cost_code_keys == ("account", "cost_center", "department", "task")
    assert EBS.project.column == "erp_project" and EBS.is_hierarchical("task")
    assert shape_for("sap-s4") is SAP_S4
    with pytest.raises(ValueError, match="segments"):
        shape_for("oracle-ebs", object())
    with pytest.raises(ValueError, match="a column Tieout uses itself"):
        oracle_ebs({"SEGMENT1": "amount"})
    with pytest.raises(ValueError, match="lower-case"):
        oracle_ebs({"SEGMENT1": "Cost Center"})


def test_canonical_tables_keep_the_erps_own_names() -> None:
    sap = erp_tables(SAP_S4)["erp_commitment_lines"]
    assert {"wbs_element", "gl_account", "cost_center", "currency"} <= set(sap)
    ps = erp_tables(PS)["erp_actuals"]
    assert {"project_id", "account", "deptid", "activity_id", "currency"} <= set(ps)
    assert "wbs_element" not in ps


def test_describe_gives_a_records_place_with_labels() -> None:
    row = {"wbs_element": "P-1-01", "gl_account": "51000000", "cost_center": None, "amount": 3}
    assert SAP_S4.describe(row) == [
        ("wbs_element", "WBS element", "P-1-01"),
        ("gl_account", "GL account", "51000000"),
        ("cost_center", "cost center", None),
    ]
    assert SAP_S4.summary(row) == "WBS P-1-01, GL 51000000, cost center -"


def test_a_wrong_header_names_the_file_and_the_expected_columns(tmp_path: Path) -> None:
    d = tmp_path / "mappings"
    d.mkdir()
    (d / "projects.csv").write_text("wbs_element,procore_project_number\nP-1,100\n", encoding="utf-8")
    (d / "cost_codes.csv").write_text(",,,\n", encoding="utf-8")
    with pytest.raises(MappingError) as exc:
        load_mappings(d, shape=PS)
    assert str(exc.value) == (
        "mappings/projects.csv line 1: unknown column 'wbs_element'; "
        "the header must be project_id,procore_project_number."
    )


def test_peoplesoft_keys_link_within_the_business_unit_and_match_exactly(tmp_path: Path) -> None:
    d = tmp_path / "mappings"
    d.mkdir()
    (d / "projects.csv").write_text("project_id,procore_project_number\nPRJ1,100\n", encoding="utf-8")
    (d / "cost_codes.csv").write_text(
        "account,deptid,project_id,activity_id,procore_cost_code\n"
        ",,PRJ1,,01-100\n"
        "51000,,PRJ1,,02-200\n"
        ",,PRJ1,ACT9,03-300\n",
        encoding="utf-8",
    )
    m = load_mappings(d, shape=PS)
    po = "US001/0000012345"

    def line(item: str, amount: str, **dims: str) -> dict[str, Any]:
        return {"po_number": po, "item": item, "amount": D(amount), "project_id": "PRJ1", **dims}

    erp = {
        "erp_vendors": frame("erp_vendors", [{"supplier": "V1", "name": "Acme"}], PS),
        "erp_commitments": frame(
            "erp_commitments", [{"po_number": po, "supplier": "V1", "currency": "USD"}], PS
        ),
        "erp_commitment_lines": frame(
            "erp_commitment_lines",
            [
                line("1", "100", account="51000"),
                line("2", "50", account="60000"),
                line("3", "7", activity_id="ACT9"),
                {**line("4", "1"), "project_id": "PRJ1-SUB"},  # exact: not below PRJ1
            ],
            PS,
        ),
    }
    pc = procore(
        vendors=[{"id": 5, "name": "Acme", "origin_id": "V1"}],
        commitments=[{"id": 10, "project_id": 1, "number": "0000012345", "vendor_id": 5}],
        commitment_lines=[
            {
                "id": 1,
                "contract_id": 10,
                "project_id": 1,
                "position": 1,
                "amount": D("100"),
                "cost_code": "02-200",
            },
            {
                "id": 2,
                "contract_id": 10,
                "project_id": 1,
                "position": 2,
                "amount": D("50"),
                "cost_code": "01-100",
            },
            {
                "id": 3,
                "contract_id": 10,
                "project_id": 1,
                "position": 3,
                "amount": D("7"),
                "cost_code": "01-100",
            },
        ],
    )
    found = diff(pc, erp, m, TOL)
    facts = set(found.select("object", "kind", "key", "field").iter_rows())
    assert facts == {
        # ACT9's row is as specific as the project-only row plus one cell: it wins.
        ("commitment_line", "value_mismatch", f"{po}/3", "cost_code"),
        ("commitment_line", "unmapped", f"{po}/4", ""),
        # An item in no Procore project leaves its PO in no single one.
        ("commitment", "unmapped", po, ""),
    }
    unmapped = json.loads(
        found.filter(pl.col("kind") == "unmapped", pl.col("object") == "commitment_line")["detail"][0]
    )
    assert unmapped["reason"] == "no row of projects.csv matches the project"
    assert unmapped["dimensions"] == "project PRJ1-SUB, account -, department -, activity -"


def test_ebs_tasks_match_the_tasks_below_them_within_their_project() -> None:
    m = Mappings.from_rows(
        [("PA-1", "100")],
        [(None, None, None, "1", "01-100"), ("5100", None, None, "1.2", "02-200")],
        shape=EBS,
    )
    tree = frame(
        "erp_hierarchy",
        [
            {"node": "1", "parent": None, "project": "PA-1"},
            {"node": "1.2", "parent": "1", "project": "PA-1"},
            {"node": "1.2.7", "parent": "1.2", "project": "PA-1"},
            # The same task number in another project: its own tree.
            {"node": "1.2.7", "parent": None, "project": "PA-2"},
        ],
        EBS,
    )

    def actual(task: str, account: str | None = None, project: str = "PA-1") -> dict[str, Any]:
        return {
            "erp_project": project,
            "task": task,
            "account": account,
            "amount": D("10"),
            "currency": "USD",
        }

    erp = {
        "erp_hierarchy": tree,
        "erp_actuals": frame(
            "erp_actuals", [actual("1.2.7"), actual("1.2.7", "5100"), actual("1.2.7", project="PA-2")], EBS
        ),
    }
    found = diff(procore(), erp, m, TOL)
    assert set(found.select("object", "kind", "key").iter_rows()) == {
        ("actual", "missing_in_procore", "100/01-100"),
        ("actual", "missing_in_procore", "100/02-200"),
        # PA-2 is in no row of projects.csv: unmapped, keyed by its dimensions in declared order.
        ("actual", "unmapped", "PA-2////1.2.7"),
    }


def _vendors(origins: dict[int, str | None]) -> dict[str, pl.DataFrame]:
    return procore(vendors=[{"id": i, "name": f"V{i}", "origin_id": o} for i, o in origins.items()])


def test_fixing_an_unrelated_origin_id_clash_keeps_the_other_exception_ids() -> None:
    """Vendors 1 and 2 share origin_id 9999, which no ERP supplier has; fixing vendor 2's must
    not re-key vendor 1's exception (a new id would detach its decision)."""
    m = Mappings.from_rows([], [])
    erp = {"erp_vendors": frame("erp_vendors", [{"supplier": "1000", "name": "Acme"}])}
    before = diff(_vendors({1: "9999", 2: "9999", 3: None}), erp, m, TOL)
    after = diff(_vendors({1: "9999", 2: "7777", 3: None}), erp, m, TOL)
    assert set(before["exception_id"]) <= set(after["exception_id"])
    shared = before.filter(pl.col("key") == "9999")
    assert shared.height == 1 and json.loads(shared["detail"][0])["procore_ids"] == [1, 2]


def test_a_clash_on_commitment_lines_is_one_finding_with_both_amounts() -> None:
    m = Mappings.from_rows([], [])
    lines = [
        {"id": i, "contract_id": 10, "project_id": 1, "position": i, "amount": D(a), "origin_id": "X/1"}
        for i, a in ((1, "3"), (2, "4"))
    ]
    found = diff(procore(commitment_lines=lines), {}, m, TOL)
    row = found.filter(pl.col("object") == "commitment_line").row(0, named=True)
    assert (row["key"], row["kind"], row["difference"]) == ("X/1", "missing_in_erp", D("-7"))


def test_the_store_keeps_each_kinds_dimension_columns(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    snap = store.begin_snapshot("erp", "full")
    lines = frame(
        "erp_commitment_lines",
        [{"po_number": "US001/1", "item": "1", "amount": D("5"), "project_id": "PRJ1", "deptid": "D1"}],
        PS,
    )
    store.complete_snapshot(snap, [], {"erp_commitment_lines": lines})
    back = store.canonical("erp_commitment_lines")
    assert back.select("po_number", "project_id", "deptid", "amount").row(0) == (
        "US001/1",
        "PRJ1",
        "D1",
        D("5"),
    )
    assert conform("erp_commitment_lines", back, PS).equals(lines)
    store.close()


def test_the_seam_migration_keeps_the_wbs_rows(tmp_path: Path) -> None:
    """A store from before the seam: its erp_wbs rows become erp_hierarchy rows."""
    import duckdb

    from reconcile import store as store_module

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, steps in enumerate(store_module.MIGRATIONS[:2], start=1):
        for sql in steps:
            con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?)", [number])
    con.execute("INSERT INTO erp_wbs VALUES (1, 'P-1-01', 'P-1', 'P-1', 2, 'Site')")
    con.close()
    store = Store(path)
    rows = store.query("SELECT node, project, parent, level, description FROM erp_hierarchy").rows()
    assert rows == [("P-1-01", "P-1", "P-1", 2, "Site")]
    store.close()


def test_the_procore_currency_is_an_iso_4217_code(tmp_path: Path) -> None:
    from reconcile.profile import ProfileError, load_profile

    base = (
        'name = "A"\nstore = "a.duckdb"\n[procore]\ncompany_id = 1\nclient_id = "c"\n{currency}'
        '[erp]\nkind = "sap-s4"\nbase_url = "https://s4.example.com"\nclient_id = "u"\n'
    )
    path = tmp_path / "p.toml"
    path.write_text(base.format(currency=""), encoding="utf-8")
    assert load_profile(path).procore.currency == "USD"
    path.write_text(base.format(currency='currency = "cad"\n'), encoding="utf-8")
    assert load_profile(path).procore.currency == "CAD"
    path.write_text(base.format(currency='currency = "EURO"\n'), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"`procore.currency`: .*'EURO' is not an ISO 4217 currency code"):
        load_profile(path)
