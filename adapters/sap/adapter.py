"""``SapAdapter``: which S/4HANA entity sets a pull reads, and which of them incrementally.

Incremental rules (why each is what it is):
- ``A_PurchaseOrder`` is the only set with a usable change stamp (``LastChangeDateTime``
  on the header; items and account assignments have none), so POs are read as deltas with
  ``$expand=to_PurchaseOrderItem/to_AccountAssignment``: a changed PO brings its whole tree.
  The delta reaches back ``[erp].delta_overlap_minutes`` (default 5) before the newest
  stamp seen: a PO committed late with an earlier stamp is still read. Records read again
  in the overlap replace their earlier copy (the store keys raw records), never double.
- Suppliers, projects, WBS elements, budgets and the aggregated journal are re-read in full:
  ``A_Supplier`` has no change field, deletions elsewhere are invisible to a delta, and
  the aggregated journal and ``WBSBudget`` are small (one row per WBS/account/cost center
  and fiscal period).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from adapters.base import Cancelled, PlanRow, PreviousPull, Progress, PullSink, RawReader
from adapters.sap import canonical as c
from adapters.sap.client import SapClient
from adapters.sap.wire import datetimeoffset_literal, parse_date, string_literal
from adapters.secret import Secret
from adapters.settings import ErpSettings

SCOPE = "entityset"
#: high-water key: the page size the server cut each entity set into, from the last pull.
PAGE_SIZES = "page_sizes"
BP = "API_BUSINESS_PARTNER"
PO = "API_PURCHASEORDER_PROCESS_SRV"
JE = "API_JOURNALENTRYITEMBASIC_SRV"
PROJ = "API_ENTERPRISE_PROJECT_SRV;v=0002"
BUDGET = "ZTIEOUT_WBS_BUDGET_SRV"
INVOICE = "API_SUPPLIERINVOICE_PROCESS_SRV"

_PO_HEAD = [
    "PurchaseOrder",
    "CompanyCode",
    "PurchaseOrderType",
    "Supplier",
    "PurchaseOrderDate",
    "DocumentCurrency",
    "PaymentTerms",
    "PurchasingProcessingStatus",
    "LastChangeDateTime",
]
_PO_ITEM = [
    "PurchaseOrder",
    "PurchaseOrderItem",
    "PurchaseOrderItemText",
    "OrderQuantity",
    "PurchaseOrderQuantityUnit",
    "NetPriceAmount",
    "NetPriceQuantity",
    "DocumentCurrency",
    "AccountAssignmentCategory",
    "IsCompletelyDelivered",
    "IsFinallyInvoiced",
]
_PO_ACCT = [
    "PurchaseOrder",
    "PurchaseOrderItem",
    "AccountAssignmentNumber",
    "WBSElement",
    "CostCenter",
    "GLAccount",
    "Quantity",
    "MultipleAcctAssgmtDistrPercent",
    "PurgDocNetAmount",
    "IsDeleted",
]
ITEMS = "to_PurchaseOrderItem"
ACCTS = "to_PurchaseOrderItem/to_AccountAssignment"


class _Keyer:
    """The raw-record key of an entity (its key fields joined by ``/``); the fields order the read."""

    def __init__(self, *fields: str) -> None:
        self.fields = fields

    def __call__(self, rec: dict[str, Any]) -> str:
        return "/".join(str(rec.get(f) or "") for f in self.fields)


#: The aggregated journal has no key of its own: its rows are ordered by the grouping dimensions.
_JOURNAL_ORDER = ("WBSElement", "GLAccount", "CostCenter", "FiscalYearPeriod")


@dataclass(frozen=True)
class Endpoint:
    resource: str  # the entity set, also the resource name in the store
    service: str
    select: tuple[str, ...]
    key: Callable[[dict[str, Any]], str]
    expand: tuple[str, ...] = ()
    filter: str | None = None
    incremental: bool = False

    @property
    def order(self) -> list[str]:
        """``$orderby`` for client paging: windows of a stable order neither overlap nor skip."""
        return list(self.key.fields) if isinstance(self.key, _Keyer) else list(_JOURNAL_ORDER)


def _strip(rec: Any) -> Any:
    """Drop ``__deferred`` navigation stubs: they are links, not data."""
    if isinstance(rec, dict):
        return {k: _strip(v) for k, v in rec.items() if not (isinstance(v, dict) and "__deferred" in v)}
    if isinstance(rec, list):
        return [_strip(v) for v in rec]
    return rec


class SapAdapter:
    """The S/4HANA side of a pull (``SourceAdapter`` with ``source="erp"``)."""

    source = "erp"

    def __init__(self, settings: ErpSettings, secret: Secret, **client_options: Any) -> None:
        self.settings = settings
        self.client = SapClient(settings, secret, **client_options)
        self.endpoints = self._endpoints()
        self.resources = tuple(e.resource for e in self.endpoints)

    def _endpoints(self) -> list[Endpoint]:
        cc = self.settings.company_code
        by_cc = f"CompanyCode eq {string_literal(cc)}" if cc else None
        year = self.settings.fiscal_year
        return [
            Endpoint(
                c.SUPPLIERS,
                BP,
                (
                    "Supplier",
                    "SupplierName",
                    "SupplierFullName",
                    "PostingIsBlocked",
                    "PurchasingIsBlocked",
                    "DeletionIndicator",
                    "CreationDate",
                ),
                _Keyer("Supplier"),
            ),
            Endpoint(
                c.SUPPLIER_COMPANIES,
                BP,
                ("Supplier", "CompanyCode", "PaymentTerms"),
                _Keyer("Supplier", "CompanyCode"),
                filter=by_cc,
            ),
            Endpoint(
                c.PURCHASE_ORDERS,
                PO,
                tuple(_PO_HEAD + [f"{ITEMS}/{f}" for f in _PO_ITEM] + [f"{ACCTS}/{f}" for f in _PO_ACCT]),
                _Keyer("PurchaseOrder"),
                expand=(ACCTS,),
                filter=by_cc,
                incremental=True,
            ),
            Endpoint(
                c.PROJECTS,
                PROJ,
                (
                    "ProjectUUID",
                    "Project",
                    "ProjectDescription",
                    "CompanyCode",
                    "ProjectCurrency",
                    "LastChangeDateTime",
                ),
                _Keyer("ProjectUUID"),
                filter=by_cc,
            ),
            Endpoint(
                c.PROJECT_ELEMENTS,
                PROJ,
                (
                    "ProjectElementUUID",
                    "ProjectUUID",
                    "ProjectElement",
                    "ParentObjectUUID",
                    "ProjectElementDescription",
                    "LastChangeDateTime",
                ),
                _Keyer("ProjectElementUUID"),
            ),
            Endpoint(
                c.JOURNAL,
                JE,
                (
                    "WBSElement",
                    "GLAccount",
                    "CostCenter",
                    "FiscalYearPeriod",  # grouped by period, so the close's cut-off can place it
                    "AmountInCompanyCodeCurrency",
                    "CompanyCodeCurrency",
                ),
                c.journal_key,
                filter=" and ".join(f for f in (by_cc, "Ledger eq '0L'") if f),
            ),
            Endpoint(
                c.BUDGETS,
                BUDGET,
                ("WBSElement", "FiscalYear", "BudgetAmount", "Currency", "LastChangeDateTime"),
                _Keyer("WBSElement", "FiscalYear"),
                filter=f"FiscalYear eq {string_literal(year)}" if year else None,
            ),
        ]

    @staticmethod
    def _since(previous: PreviousPull | None, full: bool) -> datetime | None:
        """The newest change stamp the last pull saw (the high-water mark it keeps)."""
        if full or previous is None:
            return None
        stamp = previous.high_water.get(c.PURCHASE_ORDERS)
        return parse_date(stamp) if stamp else None

    def _filter(self, ep: Endpoint, since: datetime | None) -> str | None:
        """The endpoint's filter, and for a delta the change stamp minus the overlap window."""
        if not ep.incremental or since is None:
            return ep.filter
        reach = since - timedelta(minutes=self.settings.delta_overlap_minutes)
        delta = f"LastChangeDateTime gt {datetimeoffset_literal(reach)}"
        return f"{ep.filter} and {delta}" if ep.filter else delta

    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        """Read every endpoint into ``sink``; return ``{"A_PurchaseOrder": <ISO stamp>}`` for the next delta."""
        since = self._since(previous, full)
        high: datetime | None = since
        # SAP may cut our $top window into smaller pages of its own: remember the page size
        # each set was served with, so the plan counts pages as the server will cut them.
        sizes: dict[str, int] = dict(previous.high_water.get(PAGE_SIZES) or {}) if previous else {}
        for ep in self.endpoints:
            if sink.cancelled():
                raise Cancelled("The ERP pull was cancelled.")
            if sink.is_done(ep.resource, SCOPE):
                continue
            incremental = ep.incremental and since is not None
            if not incremental:
                sink.replace_scope(ep.resource, SCOPE)
            prog = Progress(ep.resource)
            before = self.client.requests
            async for page in self.client.pages(
                ep.service,
                ep.resource,
                select=list(ep.select),
                expand=list(ep.expand),
                filter=self._filter(ep, since),
                order_by=ep.order,
            ):
                if sink.cancelled():
                    raise Cancelled("The ERP pull was cancelled.")
                records = [(ep.key(r), _strip(r)) for r in page.records]
                sink.page(ep.resource, SCOPE, records)
                prog.pages += 1
                prog.records += len(records)
                prog.requests = self.client.requests - before
                if page.next_url and page.records:
                    sizes[ep.resource] = len(page.records)
                if page.count is not None and page.records:
                    prog.total_pages = max(1, math.ceil(page.count / len(page.records)))
                sink.progress(prog)
                if ep.incremental:
                    for r in page.records:
                        stamp = parse_date(r.get("LastChangeDateTime"))
                        if stamp and (high is None or stamp > high):
                            high = stamp
            sink.unit_done(ep.resource, SCOPE, self.client.requests - before, prog.records)
        if high is None and previous is not None:
            return {**previous.high_water, PAGE_SIZES: sizes}
        return {c.PURCHASE_ORDERS: high.isoformat(), PAGE_SIZES: sizes} if high else {PAGE_SIZES: sizes}

    async def plan(self, previous: PreviousPull | None) -> list[PlanRow]:
        """What a pull will cost, from ``$count`` (one cheap request per entity set)."""
        since = self._since(previous, False)
        sizes = (previous.high_water.get(PAGE_SIZES) or {}) if previous else {}
        rows = []
        for ep in self.endpoints:
            per_page = int(sizes.get(ep.resource) or self.settings.page_size)
            if ep.resource == c.JOURNAL:
                # An aggregate has no $count of its groups: the last pull's row count is the estimate.
                seen = sum(1 for _ in previous.raw(c.JOURNAL)) if previous and previous.raw else 0
                pages = max(1, math.ceil(seen / per_page))
                note = "aggregated by WBS element, GL account, cost center, fiscal period"
                rows.append(
                    PlanRow(ep.resource, pages, pages, note + (f"; {seen} rows last pull" if seen else ""))
                )
                continue
            total = await self.client.count(ep.service, ep.resource, filter=ep.filter)
            full_req = max(1, math.ceil(total / per_page))
            if ep.incremental and since is not None:
                changed = await self.client.count(ep.service, ep.resource, filter=self._filter(ep, since))
                rows.append(
                    PlanRow(
                        ep.resource,
                        full_req,
                        max(1, math.ceil(changed / per_page)),
                        f"{changed} of {total} changed since {since.isoformat()}",
                    )
                )
            else:
                note = f"{total} records, re-read in full" + ("" if ep.incremental else " (no change stamp)")
                rows.append(PlanRow(ep.resource, full_req, full_req, note))
        return rows

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        return c.canonicalize(raw, self.settings.company_code)

    async def aclose(self) -> None:
        await self.client.aclose()
