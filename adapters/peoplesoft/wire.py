"""PeopleSoft's wire literals: the two DateTime spellings, exact JSON numbers, the window format.

Integration Broker serialises a DateTime field as ISO 8601 or, from a record field with no
JSON format applied, as ``YYYY-MM-DD-HH.MM.SS.ffffff``; both are accepted. The window the
handler filters on (``FROM_DTTM <= LASTUPDDTTM < TO_DTTM``) is sent as ISO 8601 UTC.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

_NUM = "\x00num:"

_PS_DTTM = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(\d{2})\.(\d{2})\.(\d{2})(?:\.(\d{1,6}))?$")


def parse_dttm(value: str | None) -> datetime | None:
    """A PeopleSoft or ISO 8601 DateTime as an aware UTC datetime ("" is NULL).

    A stamp with no offset is taken as UTC: the handler queries in the database's
    time zone converted to UTC (docs/peoplesoft.md), so the window and the rows agree.
    """
    if value is None or value == "":
        return None
    m = _PS_DTTM.match(value)
    if m:
        frac = (m.group(7) or "0").ljust(6, "0")
        y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
        return datetime(y, mo, d, h, mi, sec, int(frac), tzinfo=UTC)
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    stamp = datetime.fromisoformat(text)
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def window_literal(stamp: datetime) -> str:
    """``FROM_DTTM``/``TO_DTTM`` as the handler expects them: ISO 8601 UTC to the microsecond."""
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def loads_exact(content: bytes) -> Any:
    """JSON with every non-integer number as a Decimal, never through float."""
    return json.loads(content, parse_float=Decimal)


def dumps_exact(payload: Any) -> bytes:
    """JSON with Decimals as bare numbers, digit for digit (PeopleSoft reads amounts as numbers)."""

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            return _NUM + format(value, "f")
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not JSON")

    text = json.dumps(payload, default=mark)
    return re.sub(r'"\\u0000num:(-?[0-9.]+)"', r"\1", text).encode()
