"""Pydantic wire models of the XX_TIEOUT_READ rows.

ISG sends every value as a string: ``""`` is NULL, amounts are decimal strings (parsed
to Decimal, never through float), dates are ``YYYY-MM-DDTHH:MM:SS`` in UTC. Unknown
columns are kept (``extra="allow"``: an EBS team may add columns to a query); a wrong
value is a ``ResponseError`` naming the procedure, the row and the column (``parse``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from adapters.base import ResponseError
from adapters.oracle_ebs.wire import parse_amount, parse_ts


def _text(value: Any) -> Any:
    """A string column: ``""`` (and a missing value) is NULL; anything but a string is refused."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string (ISG sends every value as one)")
    return value


def _flag(value: Any) -> Any:
    text = _text(value)
    if text is not None and text not in ("Y", "N"):
        raise ValueError(f"{text!r} is not a Y/N flag")
    return text


Text = Annotated[str | None, BeforeValidator(_text)]
Flag = Annotated[str | None, BeforeValidator(_flag)]
Amount = Annotated[Decimal | None, BeforeValidator(parse_amount)]
Stamp = Annotated[datetime | None, BeforeValidator(parse_ts)]
Id = Annotated[str, BeforeValidator(_text)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Supplier(_Row):
    """GET_SUPPLIERS: AP_SUPPLIERS."""

    VENDOR_ID: Id
    SEGMENT1: Id  # the supplier number
    VENDOR_NAME: Text = None
    ENABLED_FLAG: Flag = None
    LAST_UPDATE_DATE: Stamp = None


class CodeCombination(_Row):
    """GET_CODE_COMBINATIONS: GL_CODE_COMBINATIONS (segments read by name through ``segment``)."""

    CODE_COMBINATION_ID: Id
    ENABLED_FLAG: Flag = None

    def segment(self, column: str) -> str | None:
        value = (self.model_extra or {}).get(column)
        return value if isinstance(value, str) and value != "" else None


class ProjectTask(_Row):
    """GET_PROJECTS: PA_PROJECTS_ALL outer-joined to PA_TASKS (TASK_ID empty for a project without tasks)."""

    PROJECT_ID: Id
    SEGMENT1: Id  # the project number
    NAME: Text = None
    PROJECT_STATUS_CODE: Text = None
    TASK_ID: Text = None
    TASK_NUMBER: Text = None
    TASK_NAME: Text = None
    PARENT_TASK_ID: Text = None
    ORG_ID: Text = None


class PoDistribution(_Row):
    """GET_PO_DISTRIBUTIONS: one row per PO distribution, with its header and line."""

    PO_HEADER_ID: Id
    SEGMENT1: Id  # the PO number
    VENDOR_ID: Text = None
    CURRENCY_CODE: Text = None
    AUTHORIZATION_STATUS: Text = None
    CANCEL_FLAG: Flag = None
    PO_LINE_ID: Id
    LINE_NUM: Id
    ITEM_DESCRIPTION: Text = None
    PO_DISTRIBUTION_ID: Id
    DISTRIBUTION_NUM: Text = None
    QUANTITY_ORDERED: Amount = None
    UNIT_PRICE: Amount = None
    CODE_COMBINATION_ID: Text = None
    PROJECT_ID: Text = None
    TASK_ID: Text = None
    LAST_UPDATE_DATE: Stamp = None
    ORG_ID: Text = None


class BudgetLine(_Row):
    """GET_BUDGET_LINES: the current baselined cost budget by project and task."""

    PROJECT_ID: Id
    TASK_ID: Text = None
    BURDENED_COST: Amount = None
    CURRENCY_CODE: Text = None


class Actual(_Row):
    """GET_ACTUALS: cost by project, task, code combination and period."""

    PROJECT_ID: Text = None
    TASK_ID: Text = None
    CODE_COMBINATION_ID: Text = None
    PERIOD_NAME: Text = None
    AMOUNT: Amount = None
    CURRENCY_CODE: Text = None


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: dict[str, Any], *, procedure: str, key: str) -> M:
    """Validate one row; a wrong value becomes a ``ResponseError`` naming procedure, row and column."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(row)"
        msg = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "missing":
            msg = "missing"
        raise ResponseError(f"Oracle EBS {procedure} row {key}: column {where}: {msg}.") from None
