"""The date an ERP balance reported by fiscal period is placed on: the period's last day.

The ERPs Tieout reads report actual cost as balances per fiscal period (SAP S/4's aggregated
journal, SAP ECC's COSP totals, Oracle EBS's GET_ACTUALS, PeopleSoft's LEDGER), never
per posting. The close's cut-off (``reconcile.close.cutoff``) needs a date on each row, so a
period's balance is dated on the period's last day: with the cut-off on the close month's
last day (the default) or later, that month's balance is counted and the next month's is not.
A cut-off inside a month cannot split that month's balance: its rows fall after the cut-off.

Fiscal periods are taken as calendar months (period 1 is January, the fiscal year the
calendar year: SAP's variant K4, PeopleSoft's and EBS's monthly calendars). Periods after 12
(SAP's special periods 13-16, PeopleSoft's adjustment periods 998/999) are year-end
adjustments and fall on the year's last day; period 0 (PeopleSoft's balance brought forward)
falls on the last day of the year before.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_MONTHS = {m.upper(): n for n, m in enumerate(calendar.month_abbr) if m}
#: EBS period names in the default monthly calendar: ``JUN-26`` (some calendars write ``JUN-2026``).
_EBS_NAME = re.compile(r"^(?P<month>[A-Za-z]{3})-(?P<year>\d{2}|\d{4})$")


def period_end(year: int | str, period: int | str) -> date | None:
    """The last day of fiscal ``period`` of ``year``; None when either is not a number."""
    try:
        y, p = int(str(year).strip()), int(str(period).strip())
    except ValueError:
        return None
    if not 1 <= y <= 9999 or p < 0:
        return None
    if p == 0:
        return date(y - 1, 12, 31) if y > 1 else None
    if p > 12:
        return date(y, 12, 31)
    return date(y, p, calendar.monthrange(y, p)[1])


def sap_period_end(fiscal_year_period: str | None) -> date | None:
    """SAP's ``FiscalYearPeriod`` (``YYYYPPP``, e.g. ``2026011``) as its period's last day."""
    text = (fiscal_year_period or "").strip()
    if len(text) != 7 or not text.isdigit():
        return None
    return period_end(text[:4], text[4:])


def ebs_period_end(period_name: str | None) -> date | None:
    """An EBS ``PERIOD_NAME`` of a monthly calendar (``JUN-26``) as its month's last day.

    Other calendars' names (``Q2-26``, a 4-4-5 ``P06-26``) are not months: None, and the
    row stays in the period (it cannot be shown to be late).
    """
    match = _EBS_NAME.match((period_name or "").strip())
    if match is None or match["month"].upper() not in _MONTHS:
        return None
    year = int(match["year"])
    return period_end(year + 2000 if year < 100 else year, _MONTHS[match["month"].upper()])
