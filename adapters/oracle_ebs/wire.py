"""Integrated SOA Gateway REST conventions shared by the EBS client and its simulator.

A PL/SQL procedure deployed as REST is ``POST /webservices/rest/<alias>/<procedure>/``
with ``{"<PROCEDURE>_Input": {"RESTHeader": {...}, "InputParameters": {...}}}``; it answers
``{"OutputParameters": {...}}`` or, when ISG itself refuses, ``{"ISGServiceFault": {"Code",
"Message", "Resolution"}}``. Values are strings. A PL/SQL table OUT parameter ``X_ROWS``
arrives as ``{"X_ROWS_ITEM": [...]}``, but as one object when it holds one row and as
``null`` when it holds none (the XML-to-JSON mapping ISG uses has no notion of a list).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

REST_ROOT = "/webservices/rest"
LOGIN_PATH = f"{REST_ROOT}/login"
LOGOUT_PATH = f"{REST_ROOT}/logout"
READ_PACKAGE = "XX_TIEOUT_READ"
WRITE_PACKAGE = "XX_TIEOUT_WRITE"
#: Dates on the wire: ``YYYY-MM-DDTHH:MM:SS`` (UTC, converted by the procedures; no zone suffix).
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def procedure_path(alias: str, procedure: str) -> str:
    """``/webservices/rest/xx_tieout/get_suppliers/`` (ISG lower-cases the method in the URL)."""
    return f"{REST_ROOT}/{alias}/{procedure.lower()}/"


def request_body(procedure: str, header: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of one procedure call (the procedure name in upper case)."""
    return {f"{procedure.upper()}_Input": {"RESTHeader": dict(header), "InputParameters": dict(params)}}


def unwrap_input(procedure: str, body: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(RESTHeader, InputParameters) of a request body, or None when it is not shaped as ISG wants."""
    if not isinstance(body, dict):
        return None
    inner = body.get(f"{procedure.upper()}_Input")
    if not isinstance(inner, dict):
        return None
    header = inner.get("RESTHeader") or {}
    params = inner.get("InputParameters") or {}
    if not isinstance(header, dict) or not isinstance(params, dict):
        return None
    return header, params


def table_rows(value: Any, item: str) -> list[dict[str, Any]]:
    """A PL/SQL table OUT parameter as a list: ``null`` is empty, one object is a list of one.

    Raises ``ValueError`` for anything else, so the client can name the procedure.
    """
    if value is None or value == "":
        return []
    if not isinstance(value, dict):
        raise ValueError(f"expected an object holding {item}")
    rows = value.get(item)
    if rows is None:
        return []
    if isinstance(rows, dict):
        return [rows]
    if isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
        return rows
    raise ValueError(f"{item} is neither a row nor a list of rows")


def table_value(rows: list[dict[str, Any]], item: str) -> dict[str, Any] | None:
    """The simulator's side of ``table_rows``: the same quirks, produced on purpose."""
    if not rows:
        return None
    return {item: rows[0] if len(rows) == 1 else rows}


def format_ts(value: datetime) -> str:
    """An aware datetime as the procedures' UTC text (``2025-01-15T08:30:00``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(DATE_FORMAT)


def parse_ts(value: Any) -> datetime | None:
    """``YYYY-MM-DDTHH:MM:SS`` (UTC) to an aware datetime; ``""`` is NULL."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a YYYY-MM-DDTHH:MM:SS date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_amount(value: Any) -> Decimal | None:
    """A decimal string to Decimal, never through float; ``""`` is NULL."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a decimal string")
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal")
    return amount


def amount_text(value: Decimal) -> str:
    """A Decimal as the wire's plain decimal string (no exponent)."""
    return format(value, "f")


def printable(text: str) -> str:
    """One safe line: control characters (terminal escapes, newlines) become spaces."""
    return " ".join("".join(ch if ch >= " " and ch != "\x7f" else " " for ch in text).split())


def fault_body(code: str, message: str, resolution: str = "") -> dict[str, Any]:
    """ISG's own refusal, for the simulator."""
    return {"ISGServiceFault": {"Code": code, "Message": message, "Resolution": resolution}}


def fault_of(body: Any) -> tuple[str, str, str] | None:
    """(Code, Message, Resolution) of an ``ISGServiceFault`` answer, else None."""
    if not isinstance(body, dict) or not isinstance(body.get("ISGServiceFault"), dict):
        return None
    f = body["ISGServiceFault"]
    return (
        printable(str(f.get("Code") or "")),
        printable(str(f.get("Message") or "")),
        printable(str(f.get("Resolution") or "")),
    )
