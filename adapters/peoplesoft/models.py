"""Wire models of the ``TIEOUT_<NAME>.v1`` rows: PeopleSoft field names, exact amounts.

Rows keep the field names of PeopleSoft's own records (docs/peoplesoft.md lists the
handler queries). Blank character fields arrive as ``""``; amounts are JSON numbers,
read as Decimal by ``wire.loads_exact``; the integer key fields are integers. Unknown
fields are ignored so a site that adds a chartfield to a handler breaks nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from adapters.peoplesoft.wire import parse_dttm


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    LASTUPDDTTM: datetime | None = None

    @field_validator("LASTUPDDTTM", mode="before")
    @classmethod
    def _dttm(cls, value: Any) -> Any:
        return parse_dttm(value) if isinstance(value, str) or value is None else value

    @field_validator("*", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):  # parse_float=Decimal makes this impossible on the wire
            raise ValueError("an amount came as a binary float")
        return value

    @field_validator("MERCHANDISE_AMT", "BUDGET_AMOUNT", "MONETARY_AMOUNT", mode="before", check_fields=False)
    @classmethod
    def _amount(cls, value: Any) -> Any:
        """A JSON number (an int is exact too); a numeric string is tolerated, a boolean is not."""
        if isinstance(value, bool):
            raise ValueError("a boolean is not an amount")
        if isinstance(value, int):
            return Decimal(value)
        return value


class VendorRow(_Row):
    SETID: str = ""
    VENDOR_ID: str
    NAME1: str = ""
    VENDOR_STATUS: str = ""  # A approved, I inactive, D denied, E unapproved


class PoDistribRow(_Row):
    BUSINESS_UNIT: str
    PO_ID: str
    LINE_NBR: int
    SCHED_NBR: int = 1
    DISTRIB_LINE_NUM: int = 1
    VENDOR_ID: str = ""
    CURRENCY_CD: str = ""
    PO_STATUS: str = ""
    CANCEL_STATUS: str = ""  # the line's cancel flag, where the handler sends it
    DESCR254_MIXED: str = ""
    MERCHANDISE_AMT: Decimal
    ACCOUNT: str = ""
    DEPTID: str = ""
    PROJECT_ID: str = ""
    ACTIVITY_ID: str = ""


class ProjectRow(_Row):
    BUSINESS_UNIT: str
    PROJECT_ID: str
    DESCR: str = ""
    PROJECT_STATUS: str = ""
    ACTIVITY_ID: str = ""
    ACTIVITY_DESCR: str = ""


class BudgetRow(_Row):
    BUSINESS_UNIT: str
    PROJECT_ID: str = ""
    ACTIVITY_ID: str = ""
    ACCOUNT: str = ""
    DEPTID: str = ""
    BUDGET_AMOUNT: Decimal
    CURRENCY_CD: str = ""


class LedgerRow(_Row):
    BUSINESS_UNIT: str
    LEDGER: str = ""
    ACCOUNT: str = ""
    DEPTID: str = ""
    PROJECT_ID: str = ""
    ACTIVITY_ID: str = ""
    FISCAL_YEAR: int
    ACCOUNTING_PERIOD: int
    CURRENCY_CD: str = ""
    MONETARY_AMOUNT: Decimal


#: Operation name (``TIEOUT_<NAME>.v1``) → its row model.
ROW_MODELS: dict[str, type[_Row]] = {
    "VENDORS": VendorRow,
    "PO_DISTRIB": PoDistribRow,
    "PROJECTS": ProjectRow,
    "BUDGETS": BudgetRow,
    "LEDGER": LedgerRow,
}
