"""The tie-out per project and object: ties to the cent, never mixes objects, counts a PO once."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diff_model import PROJECTS, Side, as_erp, as_procore, mappings, project_of, sides

from reconcile.canonical import MONEY, conform
from reconcile.close.cutoff import apply_cutoff
from reconcile.close.tieout import TIEOUT_SCHEMA, tie_out
from reconcile.diff import diff

M = mappings()
FAST = settings(max_examples=60, deadline=None)


def _model(side: Side) -> dict[tuple[str, str], Decimal]:
    """Per (project number, object) totals of the model: a PO by its lines only."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (po, _item), (amount, _code) in side.lines.items():
        out[PROJECTS[project_of(po)], "commitment"] += amount
    for (project, _code), amount in side.budgets.items():
        out[PROJECTS[project], "budget"] += amount
    for (project, _code), amount in side.actuals.items():
        out[PROJECTS[project], "actual"] += amount
    return out


def _totals(frame: pl.DataFrame, column: str) -> dict[tuple[str, str], Decimal]:
    return {(p, o): v for p, o, v in frame.select("project", "object", column).iter_rows() if v != Decimal(0)}


@FAST
@given(sides(), sides())
def test_totals_tie_to_the_cent_with_the_canonical_frames(erp: Side, procore: Side) -> None:
    frame = tie_out(as_procore(procore), as_erp(erp), M)
    assert frame.schema == pl.Schema(TIEOUT_SCHEMA)
    assert frame.select("project", "object").is_duplicated().sum() == 0  # one row per project and object
    assert _totals(frame, "erp_total") == {k: v for k, v in _model(erp).items() if v != 0}
    assert _totals(frame, "procore_total") == {k: v for k, v in _model(procore).items() if v != 0}
    assert all(r["difference"] == r["erp_total"] - r["procore_total"] for r in frame.iter_rows(named=True))


@FAST
@given(sides())
def test_a_book_against_itself_has_no_difference(side: Side) -> None:
    frame = tie_out(as_procore(side), as_erp(side), M)
    assert set(frame["difference"].to_list()) <= {Decimal(0)}


def test_a_po_and_its_line_are_counted_once_and_objects_are_never_mixed() -> None:
    po = "4500000001"
    erp = Side(
        {"1000": "a"},
        {po: "1000"},
        {(po, "00010"): (Decimal("10.00"), "01-100")},
        {(2, "01-100"): Decimal("7")},
    )
    procore = Side({"1000": "a"}, {po: "1000"}, {(po, "00010"): (Decimal("10.02"), "01-100")})
    frame = tie_out(as_procore(procore), as_erp(erp), M)
    rows = {(r["project"], r["object"]): r["difference"] for r in frame.iter_rows(named=True)}
    # The diff reports the PO and its line, each with -0.02: summing them (the old chart) says -0.04.
    found = diff(as_procore(procore), as_erp(erp), M, Decimal("0.01"))
    summed = found.filter(pl.col("project") == "200")["difference"].drop_nulls().sum()
    assert summed != rows["200", "commitment"]
    assert rows == {("200", "commitment"): Decimal("-0.02"), ("200", "budget"): Decimal("7")}


def test_the_cutoff_leaves_a_late_actual_to_the_next_period() -> None:
    side = Side(actuals={(1, "01-100"): Decimal("100")})
    procore = as_procore(side)
    late = conform(
        "procore_actual_lines",
        pl.DataFrame(
            {
                "id": ["direct_cost:9"],
                "project_id": [1],
                "source": ["direct_cost"],
                "status": ["approved"],
                "cost_code": ["01-100"],
                "amount": [Decimal("40")],
                "document_date": [date(2026, 12, 2)],
            },
            schema_overrides={"amount": MONEY},
        ),
    )
    procore["procore_actual_lines"] = pl.concat([procore["procore_actual_lines"], late])
    erp = as_erp(side)
    assert diff(procore, erp, M, Decimal("0.01")).filter(pl.col("object") == "actual").height == 1
    cut_p, cut_e = apply_cutoff(procore, date(2026, 11, 30)), apply_cutoff(erp, date(2026, 11, 30))
    assert diff(cut_p, cut_e, M, Decimal("0.01")).height == 0
    assert tie_out(cut_p, cut_e, M)["difference"].to_list() == [Decimal(0)]
    # The next period's cut-off counts it.
    assert tie_out(apply_cutoff(procore, date(2026, 12, 31)), erp, M)["difference"].to_list() == [
        Decimal(-40)
    ]


def test_unmapped_erp_rows_count_under_no_project() -> None:
    erp = as_erp(Side(actuals={(1, "01-100"): Decimal("5")}))
    stray = conform(
        "erp_actuals",
        pl.DataFrame({"wbs_element": ["Q-9"], "amount": [Decimal("3")]}, schema_overrides={"amount": MONEY}),
    )
    erp["erp_actuals"] = pl.concat([erp["erp_actuals"], stray])
    frame = tie_out(as_procore(Side()), erp, M)
    assert {(r["project"], r["erp_total"]) for r in frame.iter_rows(named=True)} == {
        ("100", Decimal(5)),
        (None, Decimal(3)),
    }
    assert frame["erp_total"].sum() == Decimal(8)


@given(st.just(None))
def test_empty_books_tie_out_to_nothing(_: None) -> None:
    assert tie_out({}, {}, M).height == 0
