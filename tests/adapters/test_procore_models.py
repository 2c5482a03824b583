"""Procore wire models: money stays exact, bad values name the endpoint and the record."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.base import ResponseError
from adapters.procore import models as m


@pytest.mark.parametrize(
    "raw,want",
    [("1234.56", Decimal("1234.56")), (12, Decimal(12)), (0.1, Decimal("0.1")), (None, None), ("", None)],
)
def test_money_never_goes_through_binary_float(raw: object, want: Decimal | None) -> None:
    assert m.parse(m.Contract, {"id": 1, "grand_total": raw}, endpoint="/x").grand_total == want


@pytest.mark.parametrize("raw", ["12,50", True, {"amount": 1}, "=1+1"])
def test_bad_money_names_endpoint_record_and_field(raw: object) -> None:
    with pytest.raises(ResponseError) as info:
        m.parse_page(
            m.LineItem, [{"id": 1, "amount": "1"}, {"id": 77, "amount": raw}], endpoint="/rest/v1.0/x"
        )
    msg = str(info.value)
    assert "/rest/v1.0/x" in msg and "record id 77" in msg and "`amount`" in msg


def test_record_without_id_is_named_by_position() -> None:
    with pytest.raises(ResponseError, match=r"record #1, field `id`"):
        m.parse_page(m.Vendor, [{"id": 1}, {"name": "no id"}], endpoint="/rest/v1.0/vendors")


def test_unknown_fields_are_kept() -> None:
    v = m.parse(m.Vendor, {"id": 3, "name": "x", "synced_to_erp": True}, endpoint="/v")
    assert v.model_extra == {"synced_to_erp": True}


def test_requisition_item_period_amount() -> None:
    item = m.parse(
        m.RequisitionItem,
        {
            "id": 1,
            "work_completed_this_period": "100.10",
            "materials_presently_stored": "50",
            "materials_presently_stored_from_previous_progress": "20",
        },
        endpoint="/r",
    )
    assert item.period_amount == Decimal("130.10")
