"""Display formats shared by the screens: money, ages, counts."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

#: An amount as text (``erp_value``): the diff writes ``MONEY``'s four places (``3600.5000``),
#: a detail's JSON may carry fewer or more (``1234.5``, ``1234.500000``).
_MONEY_TEXT = re.compile(r"-?\d{1,14}\.\d+")
#: A whole number as text: an amount only where the field says so (it may be a PO number).
_WHOLE_TEXT = re.compile(r"-?\d{1,14}")

CENT = Decimal("0.01")


def money(value: Decimal | None) -> str:
    """An exact amount with thousands separators and exactly two places (banker's rounding).

    Why two and never more: an analyst compares amounts to the cent across both systems, and
    a column of mixed scales (``1,234.5``, ``1,234.5000``) reads as different numbers.
    """
    if value is None:
        return "—"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,.2f}"


def amount_text(value: str, *, whole: bool = False) -> str:
    """A value column's text: an amount (``3600.5000``) to the cent (``3,600.50``), else as it is.

    ``whole``: the value is known to be an amount (its field is ``amount``), so whole numbers
    (``52000``) are money too; otherwise digits alone may be an id and are left as they are.
    """
    if _MONEY_TEXT.fullmatch(value) or (whole and _WHOLE_TEXT.fullmatch(value)):
        return money(Decimal(value))
    return value


#: An amount inside a sentence (a push plan's summary): a number before a currency code
#: (``1234.5 USD``), or any number with places. Not part of a key or a path (``P-1001.2``,
#: ``v1.0``): no letter, dot, dash or slash touches it.
_AMOUNT_IN_TEXT = re.compile(
    r"(?<![\w.\-/])(-?\d{1,14}(?:\.\d+)?)(?= [A-Z]{3}\b)|(?<![\w.\-/])(-?\d{1,14}\.\d+)(?![\w\-/]|\.\d)"
)
#: What precedes a quantity in a summary (``Set the quantity of SAP item 4500/10 to 2.125``).
_QUANTITY_BEFORE = re.compile(r"quantity\b[^.]*\bto $")


def amounts_in(sentence: str) -> str:
    """The amounts in a sentence to the cent (``totals 1234.5`` → ``totals 1,234.50``); a
    quantity (after ``quantity of … to``) keeps its places."""

    def cents(match: re.Match[str]) -> str:
        if _QUANTITY_BEFORE.search(sentence[: match.start()]):
            return match.group(0)
        return money(Decimal(match.group(0)))

    return _AMOUNT_IN_TEXT.sub(cents, sentence)


def quantity(value: Decimal) -> str:
    """A non-money decimal (a quantity, a price unit) with its own places and separators."""
    return f"{value:,f}"


def age(then: datetime | None, now: datetime) -> str:
    """How long ago, in the largest sensible unit."""
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"
