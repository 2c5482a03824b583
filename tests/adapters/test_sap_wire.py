"""The OData V2 wire codecs: dates, decimals, literals, SAP error JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import ResponseError
from adapters.sap import wire
from adapters.sap.models import PurchaseOrderItem, parse


def test_dates_decode_exactly() -> None:
    assert wire.parse_date("/Date(1704067200000)/") == datetime(2024, 1, 1, tzinfo=UTC)
    assert wire.parse_date("/Date(1704067200123+0000)/") == datetime(2024, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    # The offset says where the value was entered; the milliseconds are already UTC.
    assert wire.parse_date("/Date(1704067200000+0060)/") == datetime(2024, 1, 1, tzinfo=UTC)
    assert wire.parse_date("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert wire.parse_day("/Date(1736899200000)/") == date(2025, 1, 15)
    assert wire.parse_date(None) is None
    with pytest.raises(ValueError):
        wire.parse_date("yesterday")


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_date_round_trip_to_the_millisecond(value: datetime) -> None:
    value = value.replace(microsecond=value.microsecond // 1000 * 1000, tzinfo=UTC)
    assert wire.parse_date(wire.format_date(value)) == value
    assert wire.parse_date(wire.format_date(value, offset=True)) == value


def test_datetimeoffset_literal_is_the_exact_v2_form() -> None:
    assert (
        wire.datetimeoffset_literal(datetime(2024, 1, 1, tzinfo=UTC))
        == "datetimeoffset'2024-01-01T00:00:00Z'"
    )
    assert (
        wire.datetimeoffset_literal(datetime(2024, 1, 1, 0, 0, 0, 120000, tzinfo=UTC))
        == "datetimeoffset'2024-01-01T00:00:00.12Z'"
    )


def test_decimals_never_pass_through_float() -> None:
    item = parse(
        PurchaseOrderItem,
        {"PurchaseOrder": "1", "PurchaseOrderItem": "00010", "NetPriceAmount": "0.1", "OrderQuantity": "3"},
        entity_set="A_PurchaseOrderItem",
        key="1/00010",
    )
    assert item.NetPriceAmount == Decimal("0.1")
    assert item.OrderQuantity is not None and item.NetPriceAmount * item.OrderQuantity == Decimal("0.3")
    with pytest.raises(ResponseError, match=r"A_PurchaseOrderItem record 1/00010: field NetPriceAmount"):
        parse(
            PurchaseOrderItem,
            {"PurchaseOrder": "1", "PurchaseOrderItem": "00010", "NetPriceAmount": 0.1},
            entity_set="A_PurchaseOrderItem",
            key="1/00010",
        )


def test_sap_error_json_becomes_one_sentence() -> None:
    body = wire.error_body("ME/006", "Purchase order 4500000001 is locked by user ANNA", ["Try again later."])
    assert wire.error_sentence(body) == (
        "Purchase order 4500000001 is locked by user ANNA (ME/006): Try again later."
    )
    assert wire.error_sentence({"error": {"code": "X/1", "message": {"value": "Bad."}}}) == "Bad (X/1)."
    assert wire.error_sentence({"nope": 1}) is None
    assert wire.error_sentence("html") is None


def test_key_predicate_quotes() -> None:
    assert wire.key_predicate({"PurchaseOrder": "45"}) == "('45')"
    assert wire.key_predicate({"A": "x'y", "B": "2"}) == "(A='x''y',B='2')"


def test_hostile_sap_message_stays_one_line() -> None:
    body = wire.error_body("X/1", "Bad\x1b[31m red\nline [bold]markup[/bold]", ["=cmd|' /C calc'!A0"])
    sentence = wire.error_sentence(body)
    assert sentence is not None and "\x1b" not in sentence and "\n" not in sentence
    assert "[bold]markup[/bold]" in sentence  # kept verbatim; the UI escapes markup when it shows it
