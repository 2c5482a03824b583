"""Pydantic wire models of the Procore records Tieout reads.

They accept unknown fields (Procore adds columns per company and per budget view) and
check only what the canonical tables need, so a renamed or re-typed field fails loudly
with the endpoint and the record named, rather than surfacing later as a wrong total.
Money arrives as decimal strings; it becomes ``Decimal`` without passing through float.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from adapters.base import ResponseError


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a money amount cannot be true/false")
    if isinstance(value, float):
        # JSON numbers decode as float; repr is the shortest string that round-trips,
        # so "12.1" stays 12.1 rather than 12.0999999999999996447286321199499070644378662109375.
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value[:40]!r} is not a decimal amount") from None
    raise ValueError(f"a money amount must be a decimal string, not {type(value).__name__}")


Money = Annotated[Decimal | None, BeforeValidator(_money)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Ref(Wire):
    """A nested ``{id, ...}`` reference (vendor, cost code, line item type, holder)."""

    id: int | None = None
    name: str | None = None
    full_code: str | None = None


class Project(Wire):
    id: int
    name: str | None = None
    project_number: str | None = None
    active: bool | None = None
    origin_id: str | None = None
    updated_at: str | None = None


class Vendor(Wire):
    id: int
    name: str | None = None
    is_active: bool | None = None
    origin_id: str | None = None
    updated_at: str | None = None


class CostCode(Wire):
    id: int
    full_code: str | None = None
    name: str | None = None
    origin_id: str | None = None


class Contract(Wire):
    """A purchase order or work order contract header."""

    id: int
    number: str | None = None
    title: str | None = None
    status: str | None = None
    grand_total: Money = None
    vendor: Ref | None = None
    origin_id: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None


class LineItem(Wire):
    """A commitment or direct-cost line item."""

    id: int
    position: int | None = None
    description: str | None = None
    amount: Money = None
    cost_code: Ref | None = None
    line_item_type: Ref | None = None
    holder: Ref | None = None
    origin_id: str | None = None
    updated_at: str | None = None


class ChangeOrder(Wire):
    id: int
    contract_id: int | None = None
    number: str | None = None
    status: str | None = None
    grand_total: Money = None
    updated_at: str | None = None


class BudgetView(Wire):
    id: int
    name: str | None = None


class BudgetDetailRow(Wire):
    """A detail row; ``cost_code`` is a name string in Procore's own answers, an object in older ones."""

    id: int | None = None  # null for unbudgeted rows under budget_row_type=all
    cost_code_id: int | None = None
    cost_code: Ref | str | None = None
    category_id: int | None = None
    original_budget_amount: Money = None


class DirectCost(Wire):
    id: int
    direct_cost_type: str | None = None
    status: str | None = None
    vendor_id: int | None = None
    grand_total: Money = None
    origin_id: str | None = None
    updated_at: str | None = None
    direct_cost_date: str | None = None  # the cost's own date: places it in a close period


class Requisition(Wire):
    id: int
    commitment_id: int | None = None
    status: str | None = None
    billing_date: str | None = None  # the invoice's billing date: places it in a close period
    origin_id: str | None = None
    updated_at: str | None = None


class RequisitionItem(Wire):
    """One item of a requisition's ``view=items`` detail: the amounts billed this period."""

    id: int
    cost_code_id: int | None = None
    cost_code: Ref | None = None
    work_completed_this_period: Money = None
    materials_presently_stored: Money = None
    materials_presently_stored_from_previous_progress: Money = None

    @property
    def period_amount(self) -> Decimal:
        """Billed this period: work completed plus the change in stored materials."""
        zero = Decimal(0)
        return (
            (self.work_completed_this_period or zero)
            + (self.materials_presently_stored or zero)
            - (self.materials_presently_stored_from_previous_progress or zero)
        )


M = TypeVar("M", bound=Wire)


def parse(model: type[M], payload: Any, *, endpoint: str, index: int | None = None) -> M:
    """Validate one record; a failure is a ``ResponseError`` naming the endpoint and the record."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(record)"
        rid = payload.get("id") if isinstance(payload, dict) else None
        which = (
            f"record id {rid}"
            if rid is not None
            else f"record #{index}"
            if index is not None
            else "the record"
        )
        raise ResponseError(
            f"Procore's answer from {endpoint} has an unexpected value in {which}, field `{field}`: {first['msg']}."
        ) from None


def parse_page(model: type[M], payload: Any, *, endpoint: str) -> list[M]:
    """Validate a list page; anything but a JSON array of objects is a ``ResponseError``."""
    if not isinstance(payload, list):
        raise ResponseError(
            f"Procore's answer from {endpoint} is not a list of records (got {type(payload).__name__})."
        )
    return [parse(model, rec, endpoint=endpoint, index=i) for i, rec in enumerate(payload)]
