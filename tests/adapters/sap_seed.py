"""A small deterministic SAP seed in wire shape (docs/architecture.md), until sample_data lands.

``sap_seed(pos=..., items=...)`` scales to the demo company's size for the speed test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.sap.wire import format_date

T0 = datetime(2025, 1, 15, 8, 30, tzinfo=UTC)
CLIENT_ID = "TIEOUT_COMM_USER"
CLIENT_SECRET = "s3cret-never-printed"
COMPANY = "1000"


def _guid(n: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, n))


def sap_seed(*, suppliers: int = 12, pos: int = 30, items: int = 3, projects: int = 3) -> dict[str, Any]:
    """Suppliers, POs with items and account assignments, a 3-level WBS, journal rows and budgets."""
    sap: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "A_Supplier",
            "A_SupplierCompany",
            "A_BusinessPartner",
            "A_PurchaseOrder",
            "A_PurchaseOrderItem",
            "A_PurOrdAccountAssignment",
            "A_EnterpriseProject",
            "A_EnterpriseProjectElement",
            "A_JournalEntryItemBasic",
            "WBSBudget",
        )
    }
    for i in range(suppliers):
        sup = f"{17300000 + i}"
        sap["A_Supplier"].append(
            {
                "Supplier": sup,
                "SupplierName": f"Supplier {i} & Sons",
                "SupplierFullName": f"Supplier {i} & Sons LLC",
                "PostingIsBlocked": i == 3,
                "PurchasingIsBlocked": False,
                "DeletionIndicator": False,
                "CreationDate": format_date(T0 - timedelta(days=400 + i)),
            }
        )
        # Supplier 5 is extended only to another company code: it must be filtered out.
        sap["A_SupplierCompany"].append(
            {"Supplier": sup, "CompanyCode": "2000" if i == 5 else COMPANY, "PaymentTerms": "NT30"}
        )
    wbs: list[str] = []
    for p in range(projects):
        proj = f"P-{1001 + p}"
        puuid = _guid(proj)
        sap["A_EnterpriseProject"].append(
            {
                "ProjectUUID": puuid,
                "Project": proj,
                "ProjectDescription": f"Tower {p}",
                "CompanyCode": COMPANY,
                "ProjectCurrency": "USD",
                "LastChangeDateTime": format_date(T0, offset=True),
            }
        )
        for a in range(2):
            l1 = f"{proj}-{a + 1:02d}"
            sap["A_EnterpriseProjectElement"].append(
                {
                    "ProjectElementUUID": _guid(l1),
                    "ProjectUUID": puuid,
                    "ProjectElement": l1,
                    "ParentObjectUUID": None,
                    "ProjectElementDescription": f"Phase {a + 1}",
                    "LastChangeDateTime": format_date(T0, offset=True),
                }
            )
            for b in range(2):
                l2 = f"{l1}-{b + 1:02d}"
                wbs.append(l2)
                sap["A_EnterpriseProjectElement"].append(
                    {
                        "ProjectElementUUID": _guid(l2),
                        "ProjectUUID": puuid,
                        "ProjectElement": l2,
                        "ParentObjectUUID": _guid(l1),
                        "ProjectElementDescription": f"Work package {b + 1}",
                        "LastChangeDateTime": format_date(T0, offset=True),
                    }
                )
                sap["WBSBudget"].append(
                    {
                        "WBSElement": l2,
                        "FiscalYear": "2025",
                        "BudgetAmount": f"{100000 + 1000 * len(wbs)}.000",
                        "Currency": "USD",
                        "LastChangeDateTime": format_date(T0, offset=True),
                    }
                )
    for n in range(pos):
        po = f"{4500000001 + n}"
        sap["A_PurchaseOrder"].append(
            {
                "PurchaseOrder": po,
                "CompanyCode": "2000" if n == 7 else COMPANY,
                "PurchaseOrderType": "NB",
                "Supplier": f"{17300000 + n % suppliers}",
                "PurchaseOrderDate": format_date(T0 - timedelta(days=n)),
                "DocumentCurrency": "USD",
                "PaymentTerms": "NT30",
                "PurchasingProcessingStatus": "05",
                "LastChangeDateTime": format_date(T0 + timedelta(minutes=n), offset=True),
            }
        )
        for k in range(items):
            item = f"{(k + 1) * 10:05d}"
            qty, price = Decimal(k + 2), Decimal("123.457") + n
            sap["A_PurchaseOrderItem"].append(
                {
                    "PurchaseOrder": po,
                    "PurchaseOrderItem": item,
                    "PurchaseOrderItemText": f"Line {k} of {po}",
                    "OrderQuantity": f"{qty:.3f}",
                    "PurchaseOrderQuantityUnit": "EA",
                    "NetPriceAmount": f"{price:.3f}",
                    "NetPriceQuantity": "1",
                    "DocumentCurrency": "USD",
                    "AccountAssignmentCategory": "" if k == 2 else "P",
                    "IsCompletelyDelivered": False,
                    "IsFinallyInvoiced": False,
                }
            )
            if k == 2:  # no account assignment: the amount is quantity × price
                continue
            w = wbs[(n + k) % len(wbs)]
            splits = [Decimal(60), Decimal(40)] if k == 1 else [Decimal(100)]
            for s, pct in enumerate(splits):
                sap["A_PurOrdAccountAssignment"].append(
                    {
                        "PurchaseOrder": po,
                        "PurchaseOrderItem": item,
                        "AccountAssignmentNumber": f"{s + 1:02d}",
                        "WBSElement": w if s == 0 else wbs[(n + k + 1) % len(wbs)],
                        "CostCenter": "",
                        "GLAccount": "51100000",
                        "Quantity": f"{qty * pct / 100:.3f}",
                        "MultipleAcctAssgmtDistrPercent": f"{pct:.1f}" if len(splits) > 1 else "0.0",
                        "PurgDocNetAmount": f"{qty * price * pct / 100:.3f}",
                        "IsDeleted": False,
                    }
                )
    for j in range(max(40, pos * 2)):
        sap["A_JournalEntryItemBasic"].append(
            {
                "ID": f"JE{j:08d}",
                "CompanyCode": COMPANY if j % 10 else "2000",
                "FiscalYear": "2025",
                "FiscalYearPeriod": "2025001",
                "Ledger": "0L" if j % 7 else "2L",
                "GLAccount": "51100000",
                "CostCenter": "",
                "Project": wbs[j % len(wbs)][:6],
                "WBSElement": wbs[j % len(wbs)],
                "AmountInCompanyCodeCurrency": f"{Decimal('10.005') * (j + 1):.3f}",
                "CompanyCodeCurrency": "USD",
                "AmountInTransactionCurrency": f"{Decimal('10.005') * (j + 1):.3f}",
                "TransactionCurrency": "USD",
            }
        )
    return {"sap": sap}


class MemorySink:
    """A ``PullSink`` that keeps pages in memory the way ``reconcile.pull`` keeps them in the store."""

    def __init__(self, base: dict[str, dict[str, dict[str, Any]]] | None = None) -> None:
        self.raw: dict[str, dict[str, dict[str, Any]]] = {k: dict(v) for k, v in (base or {}).items()}
        self.done: set[tuple[str, str]] = set()
        self.replaced: list[tuple[str, str]] = []
        self.units: dict[str, tuple[int, int]] = {}
        self.ticks = 0
        self.first: dict[str, Any] = {}  # each resource's first progress tick
        self.stop = False

    def is_done(self, resource: str, scope: str) -> bool:
        return (resource, scope) in self.done

    def replace_scope(self, resource: str, scope: str) -> None:
        self.replaced.append((resource, scope))
        self.raw[resource] = {}

    def page(self, resource: str, scope: str, records: list[tuple[str, dict[str, Any]]]) -> None:
        self.raw.setdefault(resource, {}).update(records)

    def unit_done(self, resource: str, scope: str, requests: int, records: int) -> None:
        self.done.add((resource, scope))
        self.units[resource] = (requests, records)

    def progress(self, p: Any) -> None:
        self.ticks += 1
        self.first.setdefault(p.resource, p)

    def cancelled(self) -> bool:
        return self.stop

    def reader(self, resource: str) -> list[tuple[str, dict[str, Any]]]:
        return [("entityset", p) for _, p in sorted(self.raw.get(resource, {}).items())]


def erp_settings(base: str, **over: Any) -> Any:
    """An ``ErpSettings`` pointing at a simulator."""
    from reconcile.profile import ErpSettings

    values: dict[str, Any] = {
        "kind": "sap-s4",
        "base_url": base,
        "token_url": base + "/sap/bc/sec/oauth2/token",
        "client_id": CLIENT_ID,
        "sap_client": "100",
        "company_code": COMPANY,
    }
    values.update(over)
    return ErpSettings(**values)
