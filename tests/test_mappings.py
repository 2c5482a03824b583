"""Mapping tables: loading, the errors an analyst can act on, and the resolution rules."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.erp_shape import SAP_S4
from mappings import (
    MappingError,
    Mappings,
    ancestors,
    load_mappings,
    resolve_cost_codes,
    resolve_projects,
)

PROJECTS = "wbs_element,procore_project_number\nP-1001,1001\nP-1001-02,1002\n"
CODES = "gl_account,cost_center,wbs_element,procore_cost_code\n,,P-1001,01-100\n51000000,,P-1001,02-200\n"


def write(tmp: Path, projects: str = PROJECTS, codes: str = CODES, vendors: str | None = None) -> Path:
    d = tmp / "mappings"
    d.mkdir(exist_ok=True)
    (d / "projects.csv").write_text(projects, encoding="utf-8")
    (d / "cost_codes.csv").write_text(codes, encoding="utf-8")
    if vendors is not None:
        (d / "vendors.csv").write_text(vendors, encoding="utf-8")
    return d


def error(tmp: Path, **kw: str) -> str:
    with pytest.raises(MappingError) as exc:
        load_mappings(write(tmp, **kw))
    return str(exc.value)


def test_loads_tables_with_line_numbers(tmp_path: Path) -> None:
    m = load_mappings(write(tmp_path, vendors="erp_vendor,procore_vendor_id\n1000,42\n"))
    assert m.projects["line"].to_list() == [2, 3]
    assert m.cost_codes.row(1) == ("51000000", None, "P-1001", "02-200", 3)
    assert m.vendors.row(0) == ("1000", 42, 2)
    assert m.fingerprint


def test_vendors_csv_is_optional(tmp_path: Path) -> None:
    assert load_mappings(write(tmp_path)).vendors.height == 0


def test_unknown_column(tmp_path: Path) -> None:
    msg = error(tmp_path, codes="gl_account,cost_centre,wbs_element,procore_cost_code\n")
    assert msg.startswith("mappings/cost_codes.csv line 1: unknown column 'cost_centre'")


def test_missing_column(tmp_path: Path) -> None:
    assert (
        error(tmp_path, projects="wbs_element\nP-1\n")
        == "mappings/projects.csv line 1: missing column 'procore_project_number'; "
        "the header must be wbs_element,procore_project_number."
    )


def test_duplicate_row(tmp_path: Path) -> None:
    msg = error(tmp_path, codes=CODES + ",,P-1001,01-100\n")
    assert msg == "mappings/cost_codes.csv line 4: duplicate row (same as line 2)."


def test_two_equally_specific_rows_name_both_lines(tmp_path: Path) -> None:
    msg = error(tmp_path, codes=CODES + "\n\n,,P-1001,09-900\n")
    assert msg.startswith("mappings/cost_codes.csv line 6: two equally specific rows")
    assert "(lines 2 and 6)" in msg


def test_equally_specific_rows_found_at_resolution(tmp_path: Path) -> None:
    m = load_mappings(
        write(tmp_path, codes="gl_account,cost_center,wbs_element,procore_cost_code\n5000,,,A\n,CC1,,B\n")
    )
    records = pl.DataFrame({"gl_account": ["5000"], "cost_center": ["CC1"], "wbs_element": ["P-1001"]})
    with pytest.raises(MappingError, match=r"line 2: two equally specific rows match .*\(lines 2 and 3\)"):
        resolve_cost_codes(records, m)


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    d = write(tmp_path)
    (d / "projects.csv").write_bytes(b"wbs_element,procore_project_number\nP-1,1\nP-\xe9,2\n")
    with pytest.raises(MappingError, match=r"projects.csv line 3: is not UTF-8"):
        load_mappings(d)


def test_empty_file(tmp_path: Path) -> None:
    assert "is empty" in error(tmp_path, projects="")


def test_missing_file(tmp_path: Path) -> None:
    d = tmp_path / "nothing"
    d.mkdir()
    with pytest.raises(MappingError, match="projects.csv: does not exist"):
        load_mappings(d)


def test_ragged_row(tmp_path: Path) -> None:
    assert error(tmp_path, projects="wbs_element,procore_project_number\nP-1,1,extra\n").startswith(
        "mappings/projects.csv line 2: has 3 cells"
    )


def test_vendor_id_must_be_a_number(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"vendors.csv line 2: procore_vendor_id 'abc' is not a number"):
        load_mappings(write(tmp_path, vendors="erp_vendor,procore_vendor_id\n1000,abc\n"))


def test_cost_code_must_exist_in_the_procore_project(tmp_path: Path) -> None:
    codes = pl.DataFrame({"id": [1, 2], "project_id": [11, 12], "full_code": ["01-100", "02-200"]})
    projects = pl.DataFrame({"id": [11, 12], "project_number": ["1001", "1002"]})
    d = write(tmp_path)
    load_mappings(d, codes.with_columns(pl.lit("02-200").alias("full_code")).vstack(codes), projects)
    with pytest.raises(
        MappingError, match=r"cost_codes.csv line 3: cost code 02-200 does not exist in Procore project 1001"
    ):
        load_mappings(d, codes, projects)


def test_nearest_listed_ancestor_wins() -> None:
    m = Mappings.from_rows([("P-1", "A"), ("P-1-02", "B")], [])
    frame = pl.DataFrame({"wbs_element": ["P-1-02-03", "P-1-03", "P-1", "P-2", None]})
    assert resolve_projects(frame, m)["project_number"].to_list() == ["B", "A", "A", None, None]


def test_parent_table_beats_prefix_guessing() -> None:
    tree = pl.DataFrame({"node": ["X.01", "X.01.7"], "parent": [None, "X.01"], "project": ["PRJ", "PRJ"]})
    assert SAP_S4.hierarchy is not None
    anc = ancestors([(None, "X.01.7"), (None, "Q-1-2")], SAP_S4.hierarchy, tree)
    assert anc.filter(pl.col("node") == "X.01.7")["ancestor"].to_list() == ["X.01.7", "X.01", "PRJ"]
    assert anc.filter(pl.col("node") == "Q-1-2")["ancestor"].to_list() == ["Q-1-2", "Q-1", "Q"]


# -- the cost-code rule against a brute-force reference ---------------------------------------

GLS = ["5000", "6000", None]
CCS = ["C1", "C2", None]
WBS = ["P", "P-1", "P-1-1", "P-1-2", "P-2", None]


def reference(
    rules: list[tuple[str | None, str | None, str | None, str]], rec: tuple[str | None, ...]
) -> str | None:
    """The contract's rule, spelled out: most non-blank cells, then the deeper wbs_element."""
    gl, cc, wbs = rec
    ancestors = ["-".join(wbs.split("-")[:k]) for k in range(1, len(wbs.split("-")) + 1)] if wbs else []
    best: tuple[int, int] | None = None
    winners: set[str] = set()
    for rgl, rcc, rwbs, code in rules:
        if (rgl and rgl != gl) or (rcc and rcc != cc) or (rwbs and rwbs not in ancestors):
            continue
        score = (sum(x is not None for x in (rgl, rcc, rwbs)), len(rwbs.split("-")) if rwbs else 0)
        if best is None or score > best:
            best, winners = score, {code}
        elif score == best:
            winners.add(code)
    if len(winners) > 1:
        raise MappingError("x", 0, "tie")
    return winners.pop() if winners else None


rule_rows = st.lists(
    st.tuples(
        st.sampled_from(GLS),
        st.sampled_from(CCS),
        st.sampled_from(WBS),
        st.sampled_from(["A", "B", "C", "D"]),
    ),
    max_size=8,
    unique_by=lambda r: r[:3],
)
records = st.lists(
    st.tuples(st.sampled_from(GLS), st.sampled_from(CCS), st.sampled_from(WBS)), min_size=1, max_size=6
)


def engine(
    rules: list[tuple[str | None, str | None, str | None, str]], recs: list[tuple[str | None, ...]]
) -> list[str | None]:
    m = Mappings.from_rows([], rules)
    frame = pl.DataFrame(
        recs, schema=dict.fromkeys(["gl_account", "cost_center", "wbs_element"], pl.String), orient="row"
    )
    return resolve_cost_codes(frame, m)["procore_cost_code"].to_list()


@settings(max_examples=150, deadline=None)
@given(rule_rows, records)
def test_resolution_equals_the_brute_force_reference(rules: list, recs: list) -> None:
    try:
        expected = [reference(rules, r) for r in recs]
    except MappingError:
        with pytest.raises(MappingError, match="two equally specific rows"):
            engine(rules, recs)
        return
    assert engine(rules, recs) == expected


@settings(max_examples=80, deadline=None)
@given(rule_rows, records, st.sampled_from(["7777", "8888"]))
def test_an_unrelated_row_never_changes_a_result(rules: list, recs: list, gl: str) -> None:
    try:
        before = engine(rules, recs)
    except MappingError:
        return
    assert engine([*rules, (gl, None, None, "Z")], recs) == before


@settings(max_examples=80, deadline=None)
@given(records)
def test_a_more_specific_row_always_beats_a_wildcard(recs: list) -> None:
    rules = [
        (None, None, None, "WILD"),
        *[(gl, cc, wbs, "EXACT") for gl, cc, wbs in {tuple(r) for r in recs} if gl or cc or wbs],
    ]
    for rec, code in zip(recs, engine(rules, recs), strict=True):
        assert code == ("EXACT" if any(rec) else "WILD")


def test_a_cell_over_the_csv_field_limit_names_file_and_line(tmp_path: Path) -> None:
    huge = "P-" + "9" * 200_000  # over the csv module's 131,072-character field limit
    msg = error(tmp_path, projects=PROJECTS + f"{huge},1003\n")
    assert msg.startswith("mappings/projects.csv line 4:")
    assert "field limit" in msg and "\n" not in msg


def test_a_mapping_file_that_is_a_folder(tmp_path: Path) -> None:
    d = write(tmp_path)
    (d / "vendors.csv").mkdir()
    with pytest.raises(MappingError, match=r"^mappings/vendors.csv: is a folder, not a CSV file\.$"):
        load_mappings(d)


def test_a_mapping_dir_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "mappings"
    f.write_text("not a folder")
    with pytest.raises(MappingError, match="is a file"):
        load_mappings(f)
