"""A small deterministic Oracle EBS company in XX_TIEOUT_READ wire shape (every value a string)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.oracle_ebs.settings import OracleEbsSettings
from adapters.oracle_ebs.wire import format_ts

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
USER = "TIEOUT_INT"
PASSWORD = "sim-ebs-password-never-printed"  # a simulator's, not a real secret
ORG = "204"
SEGMENTS = {"SEGMENT2": "account", "SEGMENT3": "cost_center", "SEGMENT4": "department"}


def ts(minutes: int) -> str:
    return format_ts(T0 + timedelta(minutes=minutes))


def ebs_seed(*, suppliers: int = 7, pos: int = 6) -> dict[str, Any]:
    """Suppliers, code combinations, two projects with tasks (and one of another OU), POs, budgets, actuals."""
    sup = [
        {
            "VENDOR_ID": str(1000 + i),
            "SEGMENT1": str(50000 + i),
            "VENDOR_NAME": f"Vendor {i} & Co",
            "ENABLED_FLAG": "N" if i == 2 else "Y",
            "LAST_UPDATE_DATE": ts(i),
        }
        for i in range(suppliers)
    ]
    ccs = []
    for i, (acct, cc, dept) in enumerate(
        [("5100", "110", "10"), ("5200", "120", "20"), ("5300", "130", "30"), ("2110", "000", "00")]
    ):
        row = {"CODE_COMBINATION_ID": str(12000 + i), "ENABLED_FLAG": "N" if i == 2 else "Y"}
        row.update({f"SEGMENT{n}": "" for n in range(1, 11)})
        row.update({"SEGMENT1": "01", "SEGMENT2": acct, "SEGMENT3": cc, "SEGMENT4": dept})
        ccs.append(row)
    projects = []
    for p, (pid, num, org) in enumerate(
        [("5001", "PRJ-1001", ORG), ("5002", "PRJ-1002", ORG), ("5009", "PRJ-9", "999")]
    ):
        tasks = [("1", ""), ("1.1", "1"), ("2", "")]
        ids = {t: f"{pid}{k}" for k, (t, _) in enumerate(tasks)}
        for t, parent in tasks:
            projects.append(
                {
                    "PROJECT_ID": pid,
                    "SEGMENT1": num,
                    "NAME": f"Tower {p}",
                    "PROJECT_STATUS_CODE": "APPROVED",
                    "TASK_ID": ids[t],
                    "TASK_NUMBER": t,
                    "TASK_NAME": f"Task {t}",
                    "PARENT_TASK_ID": ids[parent] if parent else "",
                    "ORG_ID": org,
                }
            )
    dists: list[dict[str, Any]] = []
    did = 70000

    def dist(po: int, line: int, n: int, qty: str, price: str, ccid: str, task: str, **over: str) -> None:
        nonlocal did
        did += 1
        row = {
            "PO_HEADER_ID": str(3000 + po),
            "SEGMENT1": str(4500 + po),
            "VENDOR_ID": str(1000 + po % suppliers),
            "CURRENCY_CODE": "USD",
            "AUTHORIZATION_STATUS": "APPROVED",
            "CANCEL_FLAG": "N",
            "PO_LINE_ID": str(60000 + po * 10 + line),
            "LINE_NUM": str(line),
            "ITEM_DESCRIPTION": f"PO {po} line {line}",
            "PO_DISTRIBUTION_ID": str(did),
            "DISTRIBUTION_NUM": str(n),
            "QUANTITY_ORDERED": qty,
            "UNIT_PRICE": price,
            "CODE_COMBINATION_ID": ccid,
            "PROJECT_ID": "5001",
            "TASK_ID": task,
            "LAST_UPDATE_DATE": ts(30 + po),
            "ORG_ID": ORG,
        }
        row.update(over)
        dists.append(row)

    for po in range(pos):
        dist(po, 1, 1, "2", "124.457", "12000", "50010")
        # Line 2: split over two distributions, the second (cost center 120, task 2) the larger.
        dist(po, 2, 1, "1.5", "99.99", "12000", "50010")
        dist(po, 2, 2, "2.25", "99.99", "12001", "50012")
        # Line 3: cancelled, never a commitment line.
        dist(po, 3, 1, "10", "5", "12001", "50012", CANCEL_FLAG="Y")
    # A PO of another operating unit.
    dist(99, 1, 1, "1", "1000", "12000", "50010", ORG_ID="999")
    budgets = [
        {"PROJECT_ID": "5001", "TASK_ID": "50010", "BURDENED_COST": "150000.00", "CURRENCY_CODE": "USD"},
        {"PROJECT_ID": "5001", "TASK_ID": "50012", "BURDENED_COST": "80000.5", "CURRENCY_CODE": "USD"},
        {"PROJECT_ID": "5009", "TASK_ID": "50090", "BURDENED_COST": "1.00", "CURRENCY_CODE": "USD"},
    ]
    actuals = [
        {
            "PROJECT_ID": "5001",
            "TASK_ID": "50010",
            "CODE_COMBINATION_ID": "12000",
            "PERIOD_NAME": period,
            "AMOUNT": amount,
            "CURRENCY_CODE": "USD",
        }
        for period, amount in (("JAN-25", "1000.10"), ("FEB-25", "250.015"))
    ] + [
        {
            "PROJECT_ID": "5001",
            "TASK_ID": "50012",
            "CODE_COMBINATION_ID": "12002",  # a disabled combination still maps
            "PERIOD_NAME": "FEB-25",
            "AMOUNT": "-12.5",
            "CURRENCY_CODE": "USD",
        }
    ]
    return {
        "oracle_ebs": {
            "GET_SUPPLIERS": sup,
            "GET_CODE_COMBINATIONS": ccs,
            "GET_PROJECTS": projects,
            "GET_PO_DISTRIBUTIONS": dists,
            "GET_BUDGET_LINES": budgets,
            "GET_ACTUALS": actuals,
        }
    }


def ebs_settings(base_url: str, **over: Any) -> OracleEbsSettings:
    values: dict[str, Any] = {
        "base_url": base_url,
        "username": USER,
        "responsibility": "TIEOUT_READ_ONLY",
        "resp_application": "SQLGL",
        "security_group": "STANDARD",
        "nls_language": "AMERICAN",
        "org_id": ORG,
        "ledger_id": "1",
        "segments": dict(SEGMENTS),
        "offset_segments": {"SEGMENT2": "2110", "SEGMENT3": "000", "SEGMENT4": "00"},
        "fixed_segments": {"SEGMENT1": "01"},
        "poll_seconds": 0,
    }
    values.update(over)
    return OracleEbsSettings.model_validate(values)
