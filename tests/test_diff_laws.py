"""The diff engine's laws, over generated books rendered as either side."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diff_model import (
    PROJECTS,
    Side,
    as_erp,
    as_procore,
    foreign,
    mappings,
    pairs,
    project_of,
    sides,
)

from reconcile.diff import diff

M = mappings()
FAST = settings(max_examples=60, deadline=None)


def run(
    erp: Side, procore: Side, tolerance: Decimal = Decimal("0.01"), currency: str = "USD"
) -> pl.DataFrame:
    return diff(as_procore(procore), as_erp(erp), M, tolerance, currency=currency)


@FAST
@given(sides())
def test_a_snapshot_diffed_against_itself_yields_nothing(side: Side) -> None:
    assert run(side, side).height == 0


@FAST
@given(sides(), st.data())
def test_a_snapshot_in_mixed_currencies_diffed_against_itself_yields_only_the_currency_rows(
    side: Side, data: st.DataObject
) -> None:
    """Each PO, budget key and actual key in another currency is one ``currency`` mismatch, and
    nothing else is reported: no amount compared across currencies, no false difference."""
    side = replace(side, fx=data.draw(foreign(side)))
    found = run(side, side)
    expected = set()
    for k, cur in side.fx.items():
        if isinstance(k, str):
            expected.add(("commitment", k, cur))
        else:
            obj, project, code = k  # type: ignore[misc]
            expected.add((obj, f"{PROJECTS[project]}/{code}", cur))
    assert set(found["field"]) <= {"currency"}
    assert set(found["kind"]) <= {"value_mismatch"}
    assert set(found.select("object", "key", "erp_value").iter_rows()) == expected
    assert found.height == len(expected)
    assert set(found["procore_value"]) <= {"USD"}


@FAST
@given(sides())
def test_a_snapshot_in_the_profile_currency_diffed_against_itself_yields_nothing(side: Side) -> None:
    every = {**dict.fromkeys(side.pos, "EUR")}
    every |= {("budget", *k): "EUR" for k in side.budgets} | {("actual", *k): "EUR" for k in side.actuals}
    assert run(replace(side, fx=every), side, currency="EUR").height == 0


@FAST
@given(pairs(), st.data())
def test_a_foreign_currency_po_never_yields_an_amount_mismatch(
    pair: tuple[Side, Side], data: st.DataObject
) -> None:
    erp, procore = pair
    erp = replace(erp, fx=data.draw(foreign(erp)))
    found = run(erp, procore, Decimal(0))
    pos = {k for k in erp.fx if isinstance(k, str)}
    keys = {(k[0], f"{PROJECTS[k[1]]}/{k[2]}") for k in erp.fx if not isinstance(k, str)}  # type: ignore[index]
    amounts = found.filter(pl.col("field") == "amount")
    for obj, key in amounts.select("object", "key").iter_rows():
        po = key.split("/")[0]
        assert not (obj in ("commitment", "commitment_line") and po in pos), (obj, key)
        assert (obj, key) not in keys, (obj, key)
    # Missing rows in another currency carry no difference: it would be in another currency.
    missing = found.filter(pl.col("kind") == "missing_in_procore", pl.col("object") == "commitment")
    for key, difference in missing.select("key", "difference").iter_rows():
        assert (difference is None) == (key in pos)


def _facts(frame: pl.DataFrame) -> set[tuple[str, str, str, str]]:
    swap = {"missing_in_erp": "missing_in_procore", "missing_in_procore": "missing_in_erp"}
    return {
        (o, k, swap.get(kd, kd), f)
        for o, k, kd, f in frame.select("object", "key", "kind", "field").iter_rows()
    }


@FAST
@given(pairs())
def test_swapping_the_sides_swaps_the_missing_kinds(pair: tuple[Side, Side]) -> None:
    a, b = pair
    forward = run(a, b)
    backward = run(b, a)
    missing = pl.col("kind").is_in(["missing_in_erp", "missing_in_procore"])
    fwd = forward.filter(missing)
    assert _facts(fwd) == {
        (o, k, kd, f)
        for o, k, kd, f in backward.filter(missing).select("object", "key", "kind", "field").iter_rows()
    }
    # Amount mismatches are the same facts with the opposite sign.
    amounts = pl.col("field") == "amount"
    f = dict(forward.filter(amounts).select("exception_id", "difference").iter_rows())
    b_ = dict(backward.filter(amounts).select("exception_id", "difference").iter_rows())
    assert f == {k: -v for k, v in b_.items()}


def _totals(side: Side) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (po, _item), (amount, _code) in side.lines.items():
        out["commitment_line", PROJECTS[project_of(po)]] += amount
    for po in side.pos:
        out["commitment", PROJECTS[project_of(po)]] += sum(
            (a for (p, _), (a, _c) in side.lines.items() if p == po), Decimal(0)
        )
    for (project, _code), amount in side.budgets.items():
        out["budget", PROJECTS[project]] += amount
    for (project, _code), amount in side.actuals.items():
        out["actual", PROJECTS[project]] += amount
    return out


@FAST
@given(pairs())
def test_per_project_totals_differ_by_exactly_the_reported_differences(pair: tuple[Side, Side]) -> None:
    erp, procore = pair
    found = run(erp, procore, Decimal(0))
    reported: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for obj, project, difference in (
        found.filter(pl.col("difference").is_not_null()).select("object", "project", "difference").iter_rows()
    ):
        reported[obj, project] += difference
    e, p = _totals(erp), _totals(procore)
    for key in set(e) | set(p) | set(reported):
        assert e.get(key, Decimal(0)) - p.get(key, Decimal(0)) == reported.get(key, Decimal(0)), key


@settings(max_examples=40, deadline=None)
@given(
    st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2),
    st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("0.005"), Decimal("1"), Decimal("2.50")]),
    st.booleans(),
)
def test_a_difference_of_exactly_the_tolerance_is_not_reported_and_a_tenth_of_a_cent_more_is(
    amount: Decimal, tolerance: Decimal, negative: bool
) -> None:
    sign = -1 if negative else 1
    po, item = "4500000001", "00010"
    erp = Side(pos={po: "1000"}, lines={(po, item): (amount, "01-100")}, budgets={(1, "01-100"): amount})
    at = Side(
        pos={po: "1000"},
        lines={(po, item): (amount + sign * tolerance, "01-100")},
        budgets={(1, "01-100"): amount + sign * tolerance},
    )
    over_amount = amount + sign * (tolerance + Decimal("0.001"))
    over = Side(
        pos={po: "1000"}, lines={(po, item): (over_amount, "01-100")}, budgets={(1, "01-100"): over_amount}
    )
    assert run(erp, at, tolerance).filter(pl.col("field") == "amount").height == 0
    found = run(erp, over, tolerance).filter(pl.col("field") == "amount")
    assert sorted(found["object"]) == ["budget", "commitment", "commitment_line"]
    assert set(found["difference"]) == {-sign * (tolerance + Decimal("0.001"))}
