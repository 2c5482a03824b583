"""ECC's stored values as RFC_READ_TABLE hands them over, made into Python values exactly.

``WA`` rows are fixed width: CHAR fields are left-aligned and padded with blanks, numbers
right-aligned; SAP's SOAP runtime may also drop the row's trailing blanks, so a slice
can come out short. Amounts have no thousands separators and a trailing minus; dates are
``YYYYMMDD`` with ``00000000`` for none; account, cost center, cost element and supplier
numbers carry leading zeros that the mapping tables do not.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation


class ValueError_(ValueError):
    """A value that does not parse; the caller names the table, record and field."""


def text(raw: str) -> str:
    """A CHAR value without its padding (a trailing blank is padding, never data)."""
    return raw.rstrip()


def number(raw: str) -> str:
    """An ALPHA-converted number without its leading zeros (``0000100010`` → ``100010``)."""
    value = raw.strip()
    stripped = value.lstrip("0")
    return stripped if stripped or not value else "0"


def amount(raw: str) -> Decimal:
    """A packed amount (``12500.00``, ``12500.00-``, ``.50``) as an exact Decimal."""
    value = raw.strip()
    if not value:
        return Decimal(0)
    negative = value.endswith("-")
    if negative:
        value = value[:-1].strip()
    elif value.startswith("-"):
        negative, value = True, value[1:]
    if "," in value or " " in value:
        raise ValueError_(f"{raw.strip()!r} is not an SAP amount")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError_(f"{raw.strip()!r} is not an SAP amount") from None
    return -result if negative else result


def dats(raw: str) -> date | None:
    """A DATS value (``YYYYMMDD``); blank or ``00000000`` is none."""
    value = raw.strip()
    if not value or value == "00000000":
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise ValueError_(f"{value!r} is not an SAP date (YYYYMMDD)") from None


def dats_literal(day: date) -> str:
    """A date as an OPTIONS literal."""
    return day.strftime("%Y%m%d")


def quote(value: str) -> str:
    """An ABAP string literal for an OPTIONS line (a quote is doubled)."""
    return "'" + value.replace("'", "''") + "'"
