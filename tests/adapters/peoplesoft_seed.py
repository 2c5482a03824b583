"""A small PeopleSoft company for the adapter tests: one business unit, its SETID, two ledgers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

BU = "US001"
SETID = "SHARE"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OPRID = "TIEOUT_IB"
PASSWORD = "sim-password"  # a simulator's, not a real secret


def ps_stamp(t: datetime) -> str:
    """PeopleSoft's own DateTime spelling."""
    return t.strftime("%Y-%m-%d-%H.%M.%S.%f")


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def peoplesoft_rows() -> dict[str, list[dict[str, Any]]]:
    vendors = [
        {
            "SETID": SETID,
            "VENDOR_ID": f"{i:010d}",
            "NAME1": f"Vendor {i}",
            "VENDOR_STATUS": "A",
            "LASTUPDDTTM": ps_stamp(T0 + timedelta(minutes=i)),
        }
        for i in range(1, 8)
    ]
    vendors.append(
        {
            "SETID": "OTHER",
            "VENDOR_ID": "0000000099",
            "NAME1": "Other SETID",
            "VENDOR_STATUS": "A",
            "LASTUPDDTTM": ps_stamp(T0),
        }
    )
    po: list[dict[str, Any]] = []
    for n in range(1, 5):
        for line in (1, 2):
            for dist in (1, 2):
                po.append(
                    {
                        "BUSINESS_UNIT": BU,
                        "PO_ID": f"PO{n:08d}",
                        "LINE_NBR": line,
                        "SCHED_NBR": 1,
                        "DISTRIB_LINE_NUM": dist,
                        "VENDOR_ID": f"{n:010d}",
                        "CURRENCY_CD": "USD",
                        "PO_STATUS": "D",
                        "DESCR254_MIXED": f"Line {line}",
                        "MERCHANDISE_AMT": Decimal("1234567.89") + n + Decimal(dist) / 100,
                        "ACCOUNT": "510000",
                        "DEPTID": "100",
                        "PROJECT_ID": f"PRJ{n}",
                        "ACTIVITY_ID": "A01",
                        "LASTUPDDTTM": iso(T0 + timedelta(hours=n)),
                    }
                )
    po.append({**po[0], "BUSINESS_UNIT": "CA001", "PO_ID": "POOTHERBU"})
    projects = [
        {
            "BUSINESS_UNIT": BU,
            "PROJECT_ID": f"PRJ{n}",
            "DESCR": f"Project {n}",
            "ACTIVITY_ID": "A01",
            "LASTUPDDTTM": ps_stamp(T0),
        }
        for n in range(1, 5)
    ]
    budgets = [
        {
            "BUSINESS_UNIT": BU,
            "PROJECT_ID": f"PRJ{n}",
            "ACTIVITY_ID": "A01",
            "ACCOUNT": "510000",
            "DEPTID": "100",
            "BUDGET_AMOUNT": Decimal("500000.10") * n,
            "CURRENCY_CD": "USD",
            "LASTUPDDTTM": ps_stamp(T0),
        }
        for n in range(1, 5)
    ]
    ledger = [
        {
            "BUSINESS_UNIT": BU,
            "LEDGER": led,
            "ACCOUNT": "510000",
            "DEPTID": "100",
            "PROJECT_ID": f"PRJ{n}",
            "ACTIVITY_ID": "A01",
            "FISCAL_YEAR": 2026,
            "ACCOUNTING_PERIOD": 10,
            "CURRENCY_CD": "USD",
            "MONETARY_AMOUNT": Decimal("0.10") + Decimal("0.20") + n,
            "LASTUPDDTTM": ps_stamp(T0),
        }
        for n in range(1, 5)
        for led in ("ACTUALS", "BUDGET_KK")
    ]
    return {"VENDORS": vendors, "PO_DISTRIB": po, "PROJECTS": projects, "BUDGETS": budgets, "LEDGER": ledger}


def ps_settings(base_url: str, **over: Any) -> Any:
    from adapters.peoplesoft.settings import PeopleSoftSettings

    values: dict[str, Any] = {
        "base_url": base_url,
        "auth": "basic",
        "username": OPRID,
        "business_unit": BU,
        "setid": SETID,
        "ledger": "ACTUALS",
        "page_size": 3,
    }
    values.update(over)
    return PeopleSoftSettings(**values)
