"""The close period: a calendar month ``YYYY-MM`` and its cut-off date. Pure, no I/O.

Why a rule and not the wall clock: an analyst closing November on the 4th of December is
still closing November, so the default period is the month before today until the 10th,
and the current month from then on. Everything a close writes (the evidence's file name,
its summary, the sign-off) carries the period, never the day it was run.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

#: Until this day of the month the default period is the previous month.
DEFAULT_UNTIL_DAY = 10

_PERIOD = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period or cut-off that cannot be used; the message is one sentence."""


def parse_period(text: str) -> str:
    """``text`` as a period ``YYYY-MM``, or ``PeriodError`` naming what was given."""
    value = str(text).strip()
    if not _PERIOD.match(value):
        raise PeriodError(f"The period {text!r} is not a month written YYYY-MM (for example 2026-11).")
    return value


def _year_month(period: str) -> tuple[int, int]:
    m = _PERIOD.match(parse_period(period))
    assert m is not None
    return int(m["year"]), int(m["month"])


def default_period(today: date, *, until_day: int = DEFAULT_UNTIL_DAY) -> str:
    """The period a close is for by default: last month until the ``until_day``th, else this one."""
    if today.day < until_day:
        return previous_period(f"{today.year:04d}-{today.month:02d}")
    return f"{today.year:04d}-{today.month:02d}"


def first_day(period: str) -> date:
    """The period's first day."""
    year, month = _year_month(period)
    return date(year, month, 1)


def last_day(period: str) -> date:
    """The period's last day: the default cut-off."""
    year, month = _year_month(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def next_period(period: str) -> str:
    """The month after ``period``."""
    year, month = _year_month(period)
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    """The month before ``period``."""
    year, month = _year_month(period)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def period_of(day: date) -> str:
    """The calendar month ``day`` falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_cutoff(text: str, period: str) -> date:
    """A cut-off date ``YYYY-MM-DD`` for ``period``: it must fall in the period or after it."""
    try:
        cutoff = date.fromisoformat(str(text).strip())
    except ValueError:
        raise PeriodError(f"The cut-off {text!r} is not a date written YYYY-MM-DD.") from None
    if cutoff < first_day(period):
        raise PeriodError(f"The cut-off {cutoff} is before the period {period} starts ({first_day(period)}).")
    return cutoff


@dataclass(frozen=True)
class ClosePeriod:
    """A period and its cut-off: records dated after the cut-off belong to the next period."""

    period: str
    cutoff: date

    @classmethod
    def of(cls, period: str, cutoff: date | str | None = None) -> ClosePeriod:
        """``period`` with its cut-off (default: the period's last day)."""
        period = parse_period(period)
        if cutoff is None:
            return cls(period, last_day(period))
        if isinstance(cutoff, str):
            return cls(period, parse_cutoff(cutoff, period))
        if cutoff < first_day(period):
            raise PeriodError(
                f"The cut-off {cutoff} is before the period {period} starts ({first_day(period)})."
            )
        return cls(period, cutoff)

    @property
    def start(self) -> date:
        """The period's first day."""
        return first_day(self.period)
