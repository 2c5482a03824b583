"""The close period's rules: the default month, the cut-off, neighbours. Pure."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.close.period import (
    ClosePeriod,
    PeriodError,
    default_period,
    last_day,
    next_period,
    parse_period,
    period_of,
    previous_period,
)


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 12, 1), "2026-11"),
        (date(2026, 12, 9), "2026-11"),
        (date(2026, 12, 10), "2026-12"),
        (date(2026, 12, 31), "2026-12"),
        (date(2027, 1, 4), "2026-12"),  # across the year
        (date(2027, 1, 10), "2027-01"),
    ],
)
def test_the_default_period_is_last_month_until_the_tenth(today: date, period: str) -> None:
    assert default_period(today) == period


def test_the_cutoff_defaults_to_the_last_day_and_may_not_precede_the_period() -> None:
    assert ClosePeriod.of("2026-11").cutoff == date(2026, 11, 30)
    assert ClosePeriod.of("2028-02").cutoff == date(2028, 2, 29)
    assert ClosePeriod.of("2026-11", "2026-11-25").cutoff == date(2026, 11, 25)
    with pytest.raises(PeriodError, match="before the period 2026-11 starts"):
        ClosePeriod.of("2026-11", "2026-10-31")
    with pytest.raises(PeriodError, match="YYYY-MM-DD"):
        ClosePeriod.of("2026-11", "30/11/2026")


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-11", "", "2026-11-01", "november"])
def test_a_malformed_period_is_one_sentence(text: str) -> None:
    with pytest.raises(PeriodError, match="YYYY-MM"):
        parse_period(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9998, 12, 31)))
def test_neighbours_and_bounds_agree(day: date) -> None:
    p = period_of(day)
    assert previous_period(next_period(p)) == p
    assert next_period(previous_period(p)) == p
    assert last_day(p) >= day
    assert period_of(last_day(p)) == p
    assert default_period(day) in (p, previous_period(p))
