"""Display formats shared by the screens: money, ages, counts."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

#: An amount as the diff writes it into a text column (``erp_value``): ``MONEY``'s four places.
_MONEY_TEXT = re.compile(r"-?\d{1,14}\.\d{4}")


def money(value: Decimal | None) -> str:
    """An exact amount with thousands separators and two places (more if it has them)."""
    if value is None:
        return "—"
    if value == value.quantize(Decimal("0.01")):
        return f"{value:,.2f}"
    return f"{value.normalize():,f}"


def amount_text(value: str) -> str:
    """A value column's text: an amount (``3600.5000``) to the cent (``3,600.50``), else as it is."""
    if _MONEY_TEXT.fullmatch(value):
        return money(Decimal(value))
    return value


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
