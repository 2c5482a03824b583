"""PeopleSoft raw rows → the ``erp_*`` canonical tables (pure: rows in, frames out).

Shape ``peoplesoft(business_unit)``: ChartFields ``account``, ``deptid``, ``project_id``,
``activity_id``, all matched exactly. What the contract fixes (shared/interfaces.md section 6):

- vendors are the SETID's only (the handler serves the business unit's SETID; a row of
  another SETID is not this business unit's);
- a PO line (business unit / PO_ID / LINE_NBR) split over schedules and distributions is
  **one** commitment line: its amount is the sum of MERCHANDISE_AMT, its ChartFields those of
  the largest distribution (the first in key order on a tie); cancelled POs (PO_STATUS ``X``)
  and cancelled lines (CANCEL_STATUS ``X``) are skipped;
- the commitment key is ``BU/PO_ID``, the line's item its LINE_NBR;
- LEDGER rows count only for the profile's ``ledger``; every amount keeps its CURRENCY_CD.

Rows are re-validated here with the wire models (the store keeps them as JSON, amounts as
decimal strings), so an amount is a Decimal from the wire to the frame, never a float.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import polars as pl
from pydantic import ValidationError

from adapters.base import RawReader, ResponseError
from adapters.canonical_schema import conform, schema
from adapters.erp_shape import ErpShape
from adapters.fiscal_period import period_end
from adapters.peoplesoft import models as m
from adapters.peoplesoft.client import operation
from adapters.peoplesoft.settings import PeopleSoftSettings

#: PO_STATUS / CANCEL_STATUS of a cancelled PO or line.
CANCELLED = "X"
#: VENDOR_STATUS of an approved vendor; any other status (inactive, denied, unapproved) blocks it.
APPROVED = "A"

R = TypeVar("R", bound=m._Row)


def _rows(raw: RawReader, name: str, model: type[R]) -> list[R]:
    out = []
    for i, (_, payload) in enumerate(raw(name), start=1):
        try:
            out.append(model.model_validate(payload))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(row)"
            raise ResponseError(
                f"The stored {operation(name)} row {i} does not read as a PeopleSoft row: "
                f"field {field}: {first['msg']}; pull again with --full."
            ) from None
    return out


def _blank(value: str) -> str | None:
    """PeopleSoft sends a blank field as ``""`` (or a single space from a CHAR column): NULL."""
    return value.strip() or None


def _frame(table: str, rows: list[dict[str, Any]], shape: ErpShape) -> pl.DataFrame:
    target = dict(schema(table, shape))
    if not rows:
        return pl.DataFrame(schema=target)
    cols = {name: [r.get(name) for r in rows] for name in target}
    return conform(table, pl.DataFrame(cols, schema=target), shape)


def _dims(row: m.PoDistribRow | m.BudgetRow | m.LedgerRow) -> dict[str, str | None]:
    return {
        "account": _blank(row.ACCOUNT),
        "deptid": _blank(row.DEPTID),
        "project_id": _blank(row.PROJECT_ID),
        "activity_id": _blank(row.ACTIVITY_ID),
    }


def _stamp(stamps: Iterable[datetime | None]) -> datetime | None:
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


def vendors(raw: RawReader, settings: PeopleSoftSettings) -> pl.DataFrame:
    """The SETID's vendors; anything but an approved vendor is blocked for new POs."""
    rows = [
        {
            "supplier": v.VENDOR_ID,
            "name": v.NAME1,
            "blocked": bool(v.VENDOR_STATUS) and v.VENDOR_STATUS != APPROVED,
        }
        for v in _rows(raw, "VENDORS", m.VendorRow)
        if v.SETID in ("", settings.setid)
    ]
    return _frame("erp_vendors", rows, settings.shape)


def commitments(raw: RawReader, settings: PeopleSoftSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """PO headers (``erp_commitments``) and one row per PO line (``erp_commitment_lines``)."""
    bu = settings.business_unit
    pos: dict[str, list[m.PoDistribRow]] = {}
    for d in _rows(raw, "PO_DISTRIB", m.PoDistribRow):
        if d.BUSINESS_UNIT != bu:
            continue
        pos.setdefault(d.PO_ID, []).append(d)
    heads: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for po_id in sorted(pos):
        dists = pos[po_id]
        if any(d.PO_STATUS == CANCELLED for d in dists):
            continue
        key = f"{bu}/{po_id}"
        first = dists[0]
        changed = _stamp(d.LASTUPDDTTM for d in dists)
        heads.append(
            {
                "po_number": key,
                "supplier": _blank(first.VENDOR_ID),
                "company_code": bu,
                "currency": _blank(first.CURRENCY_CD),
                "last_change": changed,
                "etag": changed.isoformat() if changed else None,
            }
        )
        by_line: dict[int, list[m.PoDistribRow]] = {}
        for d in dists:
            if d.CANCEL_STATUS != CANCELLED:
                by_line.setdefault(d.LINE_NBR, []).append(d)
        for line_nbr in sorted(by_line):
            parts = sorted(by_line[line_nbr], key=lambda d: (d.SCHED_NBR, d.DISTRIB_LINE_NUM))
            # The largest distribution decides the ChartFields; max keeps the first on a tie.
            largest = max(parts, key=lambda d: d.MERCHANDISE_AMT)
            stamp = _stamp(d.LASTUPDDTTM for d in parts)
            lines.append(
                {
                    "po_number": key,
                    "item": str(line_nbr),
                    "description": largest.DESCR254_MIXED,
                    "amount": sum((d.MERCHANDISE_AMT for d in parts), Decimal(0)),
                    "currency": _blank(largest.CURRENCY_CD) or heads[-1]["currency"],
                    "etag": stamp.isoformat() if stamp else None,
                    **_dims(largest),
                }
            )
    shape = settings.shape
    return _frame("erp_commitments", heads, shape), _frame("erp_commitment_lines", lines, shape)


def activities(raw: RawReader, settings: PeopleSoftSettings) -> pl.DataFrame:
    """Projects' activities as ``erp_hierarchy`` nodes (flat: PeopleSoft activities do not nest)."""
    rows = [
        {
            "node": p.ACTIVITY_ID,
            "project": p.PROJECT_ID,
            "parent": None,
            "level": 1,
            "description": p.ACTIVITY_DESCR or p.DESCR,
        }
        for p in _rows(raw, "PROJECTS", m.ProjectRow)
        if p.BUSINESS_UNIT == settings.business_unit and _blank(p.ACTIVITY_ID)
    ]
    return _frame("erp_hierarchy", rows, settings.shape)


def budgets(raw: RawReader, settings: PeopleSoftSettings) -> pl.DataFrame:
    """Project budgets by ChartFields; PROJ_RESOURCE budgets carry no fiscal year."""
    rows = [
        {"amount": b.BUDGET_AMOUNT, "currency": _blank(b.CURRENCY_CD), **_dims(b)}
        for b in _rows(raw, "BUDGETS", m.BudgetRow)
        if b.BUSINESS_UNIT == settings.business_unit
    ]
    return _frame("erp_budgets", rows, settings.shape)


def actuals(raw: RawReader, settings: PeopleSoftSettings) -> pl.DataFrame:
    """Posted LEDGER balances of the profile's ledger only (a budget or statistical ledger is not cost).

    LEDGER holds balances per fiscal year and accounting period, not journal lines: each row is
    dated on its period's last day (``posting_date``) so the close's cut-off can place it.
    """
    rows = [
        {
            "amount": g.MONETARY_AMOUNT,
            "currency": _blank(g.CURRENCY_CD),
            "posting_date": period_end(g.FISCAL_YEAR, g.ACCOUNTING_PERIOD),
            **_dims(g),
        }
        for g in _rows(raw, "LEDGER", m.LedgerRow)
        if g.BUSINESS_UNIT == settings.business_unit and g.LEDGER in ("", settings.ledger)
    ]
    return _frame("erp_actuals", rows, settings.shape)


def canonicalize(raw: RawReader, settings: PeopleSoftSettings) -> dict[str, pl.DataFrame]:
    """All ``erp_*`` tables of one snapshot, in the shape ``peoplesoft(business_unit)``."""
    heads, lines = commitments(raw, settings)
    return {
        "erp_hierarchy": activities(raw, settings),
        "erp_vendors": vendors(raw, settings),
        "erp_commitments": heads,
        "erp_commitment_lines": lines,
        "erp_budgets": budgets(raw, settings),
        "erp_actuals": actuals(raw, settings),
    }
