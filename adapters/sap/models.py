"""Pydantic wire models of the SAP entity sets Tieout reads.

They accept unknown fields (``extra="allow"``: SAP adds properties between releases) and
reject wrong types with a message naming the entity set and record (``parse``). Dates stay
as datetimes decoded from ``/Date(ms)/``; Edm.Decimal (a JSON string) becomes Decimal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import pycountry
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from adapters.base import ResponseError
from adapters.sap.wire import parse_date, parse_day, parse_decimal

SapDateTime = Annotated[datetime | None, BeforeValidator(parse_date)]
SapDay = Annotated[date | None, BeforeValidator(parse_day)]
SapDecimal = Annotated[Decimal | None, BeforeValidator(parse_decimal)]


def _currency(value: Any) -> Any:
    """An ISO 4217 code, or None for an empty one; anything else is refused by name.

    Amounts in a currency nobody knows cannot be compared, so such a record stops the pull
    with a sentence naming it rather than being diffed as if it were the company's currency.
    """
    if value in (None, ""):
        return None
    if not isinstance(value, str) or pycountry.currencies.get(alpha_3=value) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value


SapCurrency = Annotated[str | None, BeforeValidator(_currency)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    metadata: dict[str, Any] | None = Field(default=None, alias="__metadata")

    @property
    def etag(self) -> str | None:
        return (self.metadata or {}).get("etag")


class Supplier(_Wire):
    Supplier: str
    SupplierName: str | None = None
    SupplierFullName: str | None = None
    PostingIsBlocked: bool | None = None
    PurchasingIsBlocked: bool | None = None
    DeletionIndicator: bool | None = None
    CreationDate: SapDateTime = None


class SupplierCompany(_Wire):
    Supplier: str
    CompanyCode: str
    PaymentTerms: str | None = None


class AccountAssignment(_Wire):
    PurchaseOrder: str
    PurchaseOrderItem: str
    AccountAssignmentNumber: str
    WBSElement: str | None = None
    CostCenter: str | None = None
    GLAccount: str | None = None
    Quantity: SapDecimal = None
    MultipleAcctAssgmtDistrPercent: SapDecimal = None
    PurgDocNetAmount: SapDecimal = None
    IsDeleted: bool | None = None


class _Results(BaseModel):
    model_config = ConfigDict(extra="allow")


class AssignmentResults(_Results):
    results: list[AccountAssignment] = Field(default_factory=list)


class PurchaseOrderItem(_Wire):
    PurchaseOrder: str
    PurchaseOrderItem: str
    PurchaseOrderItemText: str | None = None
    OrderQuantity: SapDecimal = None
    PurchaseOrderQuantityUnit: str | None = None
    NetPriceAmount: SapDecimal = None
    NetPriceQuantity: SapDecimal = None
    DocumentCurrency: SapCurrency = None
    AccountAssignmentCategory: str | None = None
    to_AccountAssignment: AssignmentResults | None = None


class ItemResults(_Results):
    results: list[PurchaseOrderItem] = Field(default_factory=list)


class PurchaseOrder(_Wire):
    PurchaseOrder: str
    CompanyCode: str | None = None
    PurchaseOrderType: str | None = None
    Supplier: str | None = None
    PurchaseOrderDate: SapDay = None
    DocumentCurrency: SapCurrency = None
    PaymentTerms: str | None = None
    PurchasingProcessingStatus: str | None = None
    LastChangeDateTime: SapDateTime = None
    to_PurchaseOrderItem: ItemResults | None = None


class EnterpriseProject(_Wire):
    ProjectUUID: str
    Project: str
    ProjectDescription: str | None = None
    CompanyCode: str | None = None
    ProjectCurrency: SapCurrency = None
    LastChangeDateTime: SapDateTime = None


class EnterpriseProjectElement(_Wire):
    ProjectElementUUID: str
    ProjectUUID: str
    ProjectElement: str
    ParentObjectUUID: str | None = None
    ProjectElementDescription: str | None = None
    LastChangeDateTime: SapDateTime = None


class JournalEntryAggregate(_Wire):
    """One aggregated row of ``A_JournalEntryItemBasic`` (grouped by the ``$select``ed dimensions)."""

    WBSElement: str | None = None
    GLAccount: str | None = None
    CostCenter: str | None = None
    FiscalYearPeriod: str | None = None  # YYYYPPP: the journal carries periods, not posting dates
    AmountInCompanyCodeCurrency: SapDecimal = None
    CompanyCodeCurrency: SapCurrency = None


class WBSBudget(_Wire):
    WBSElement: str
    FiscalYear: str | None = None
    BudgetAmount: SapDecimal = None
    Currency: SapCurrency = None
    LastChangeDateTime: SapDateTime = None


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: dict[str, Any], *, entity_set: str, key: str) -> M:
    """Validate one payload; a wrong type becomes a ``ResponseError`` naming the set, record and field."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(record)"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ResponseError(f"SAP {entity_set} record {key}: field {where}: {msg}.") from None
