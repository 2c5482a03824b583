"""OData V2 wire conventions shared by the SAP client and its simulator.

SAP Gateway speaks a JSON dialect older than ISO 8601 and JSON numbers: dates are
``/Date(ms)/`` (Edm.DateTime) or ``/Date(ms+0000)/`` (Edm.DateTimeOffset, offset in
minutes), decimals are strings, filter literals carry their type as a prefix
(``datetimeoffset'2024-01-01T00:00:00Z'``), and errors are a nested JSON object. These
helpers live in one place so the client and the simulator cannot drift apart.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_RE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")

#: Service paths under the Gateway root.
ODATA_ROOT = "/sap/opu/odata/sap"
TOKEN_PATH = "/sap/bc/sec/oauth2/token"


def parse_date(value: Any) -> datetime | None:
    """``/Date(ms)/`` or ``/Date(ms+0000)/`` to an aware UTC datetime; ISO 8601 is accepted too.

    The milliseconds are UTC in both forms; the optional offset (minutes) only says
    which zone the value was entered in, so it does not move the instant.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an OData date")
    m = _DATE_RE.match(value)
    if m:
        return _EPOCH + timedelta(milliseconds=int(m.group(1)))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an OData date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_day(value: Any) -> date | None:
    """An Edm.DateTime that holds a calendar day (``PurchaseOrderDate``) as a date."""
    parsed = parse_date(value)
    return parsed.date() if parsed else None


def format_date(value: datetime, *, offset: bool = False) -> str:
    """An aware datetime as ``/Date(ms)/`` (or ``/Date(ms+0000)/`` for DateTimeOffset)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    ms = (value - _EPOCH) // timedelta(milliseconds=1)
    return f"/Date({ms}+0000)/" if offset else f"/Date({ms})/"


def date_ms(value: Any) -> int | None:
    """Milliseconds since the epoch of a wire date, for comparisons in the simulator."""
    parsed = parse_date(value)
    return None if parsed is None else (parsed - _EPOCH) // timedelta(milliseconds=1)


def datetimeoffset_literal(value: datetime) -> str:
    """The exact V2 filter literal: ``datetimeoffset'2024-01-01T00:00:00Z'`` (UTC, ``Z``)."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return f"datetimeoffset'{text}Z'"


def string_literal(value: str) -> str:
    """A V2 string literal; a quote inside is doubled."""
    return "'" + value.replace("'", "''") + "'"


def key_predicate(key: dict[str, str]) -> str:
    """``(PurchaseOrder='4500000001',PurchaseOrderItem='00010')`` for string keys."""
    if len(key) == 1:
        return "(" + string_literal(next(iter(key.values()))) + ")"
    return "(" + ",".join(f"{k}={string_literal(v)}" for k, v in key.items()) + ")"


def parse_decimal(value: Any) -> Decimal | None:
    """Edm.Decimal (a JSON string) to Decimal without ever passing through float."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{value!r} is not a decimal string")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal") from None


def error_sentence(body: Any) -> str | None:
    """SAP's error JSON as one sentence: the message, its code, and the detail messages.

    ``{"error": {"code": "...", "message": {"value": "..."}, "innererror": {"errordetails": [...]}}}``
    """
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    err = body["error"]
    msg = err.get("message")
    text = msg.get("value") if isinstance(msg, dict) else msg
    text = str(text or "").strip().rstrip(".")
    code = str(err.get("code") or "").strip()
    details: list[str] = []
    inner = err.get("innererror")
    if isinstance(inner, dict) and isinstance(inner.get("errordetails"), list):
        for d in inner["errordetails"]:
            if not isinstance(d, dict):
                continue
            dm = str(d.get("message") or "").strip().rstrip(".")
            if dm and dm != text and dm not in details:
                details.append(dm)
    sentence = text or "SAP reported an error"
    if code:
        sentence += f" ({code})"
    if details:
        sentence += ": " + "; ".join(details)
    return _printable(sentence) + "."


def _printable(text: str) -> str:
    """Drop control characters (terminal escapes, newlines) so the sentence stays one safe line."""
    return "".join(ch if ch >= " " and ch != "\x7f" else " " for ch in text).strip()


def error_body(code: str, message: str, details: list[str] | None = None) -> dict[str, Any]:
    """SAP's error JSON, for the simulator."""
    return {
        "error": {
            "code": code,
            "message": {"lang": "en", "value": message},
            "innererror": {
                "application": {"component_id": "", "service_namespace": "/SAP/", "service_version": "0001"},
                "transactionid": "0" * 32,
                "timestamp": "",
                "errordetails": [
                    {"code": code, "message": d, "propertyref": "", "severity": "error", "target": ""}
                    for d in (details or [])
                ],
            },
        }
    }
