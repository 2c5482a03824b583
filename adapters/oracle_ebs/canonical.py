"""EBS raw rows → canonical ERP frames (pure: rows in, frames out).

``canonicalize`` returns the seam's tables (``adapters.canonical_schema.erp_tables``) for
the profile's EBS shape (``adapters.erp_shape.oracle_ebs(segments)``): project key
``erp_project``, dimensions the profile's segment names plus ``task``, line key
``PO number/line``. It builds them from one function per EBS object, each returning the
frame below (money ``pl.Decimal(18, 4)``), then ``conform``s each to its table:

=================  ============================  ==============================================
function           canonical table               columns before ``conform``
=================  ============================  ==============================================
vendors            erp_vendors                   supplier (AP_SUPPLIERS.SEGMENT1), name, blocked
projects           (PA projects and tasks)       node (project or task number), parent, project,
                                                 level (project 1), description
hierarchy          erp_hierarchy                 node (task number), project, parent (task
                                                 number), level (top task 1), description
commitments        erp_commitments,              po_number, supplier, currency, last_change;
                   erp_commitment_lines          po_number, item (LINE_NUM), description,
                                                 quantity, net_price, price_unit, amount,
                                                 currency, <segment names…>, erp_project, task
budgets            erp_budgets                   erp_project, task, amount, currency
actuals            erp_actuals                   erp_project, task, <segment names…>, amount,
                                                 currency, posting_date (the period's last day)
=================  ============================  ==============================================

Rules (contract section 6): code combinations resolve through the profile's ``segments``
only (a disabled combination still maps the rows that use it); cancelled lines
(CANCEL_FLAG ``Y``) are skipped; a PO line is one commitment line whatever its number of
distributions: its amount is the sum of QUANTITY_ORDERED × UNIT_PRICE over them, its
dimensions those of its largest distribution (ties: the lowest DISTRIBUTION_NUM); rows
of another operating unit than the profile's ``org_id`` are dropped (the procedures
already filter by the RESTHeader's Org_Id; this is the second lock). ``erp_project`` is
the PA project number, or failing that the segment the profile names ``project``.
The hierarchy is the tasks' (task numbers repeat across projects, so each node carries its
project); a top task has no parent, since a project is not a task. EBS budgets at project
and task level, so a budget row's segments are null (``cost_codes.csv`` rows keyed on
``task`` alone map them), and ``fiscal_year`` is null (the baselined budget is the
project's, not a year's). A commitment's ``company_code`` is the operating unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from adapters.base import RawReader
from adapters.canonical_schema import conform
from adapters.erp_shape import ErpShape, oracle_ebs
from adapters.fiscal_period import ebs_period_end
from adapters.oracle_ebs import models as m
from adapters.oracle_ebs.settings import OracleEbsSettings

SUPPLIERS = "GET_SUPPLIERS"
CODE_COMBINATIONS = "GET_CODE_COMBINATIONS"
PROJECTS = "GET_PROJECTS"
PO_DISTRIBUTIONS = "GET_PO_DISTRIBUTIONS"
BUDGET_LINES = "GET_BUDGET_LINES"
ACTUALS = "GET_ACTUALS"

MONEY = pl.Decimal(18, 4)
QUANTITY = pl.Decimal(18, 4)
TS = pl.Datetime("us", "UTC")
_CENT4 = Decimal("0.0001")


def _money(value: Decimal) -> Decimal:
    """Four places, as the canonical MONEY type keeps them (half up, after summing exact products)."""
    return value.quantize(_CENT4, rounding=ROUND_HALF_UP)


def _frame(schema: dict[str, pl.DataType], rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows to a frame. Decimals travel as their exact text and are cast by polars: building a
    Decimal column from Python Decimal objects is ~100 times slower for the same exact result."""
    text = {k: pl.String() if isinstance(t, pl.Decimal) else t for k, t in schema.items()}
    cols = {
        k: [None if (v := r.get(k)) is None else format(v, "f") for r in rows]
        if isinstance(schema[k], pl.Decimal)
        else [r.get(k) for r in rows]
        for k in schema
    }
    frame = pl.DataFrame(cols, schema=text)
    return frame.with_columns(
        pl.col(k).cast(t, strict=True) for k, t in schema.items() if isinstance(t, pl.Decimal)
    )


def _rows(raw: RawReader, procedure: str) -> list[dict[str, Any]]:
    return [p for _, p in raw(procedure)]


@dataclass(frozen=True)
class Dims:
    """The dimensions a code combination and a project/task give a row."""

    segments: dict[str, str | None]
    erp_project: str | None
    task: str | None


class Lookups:
    """Id → meaning tables built once per snapshot (suppliers, code combinations, projects, tasks)."""

    def __init__(self, raw: RawReader, settings: OracleEbsSettings) -> None:
        self.settings = settings
        self.suppliers: dict[str, m.Supplier] = {}
        for p in _rows(raw, SUPPLIERS):
            s = m.parse(m.Supplier, p, procedure=SUPPLIERS, key=str(p.get("VENDOR_ID")))
            self.suppliers[s.VENDOR_ID] = s
        self.ccids: dict[str, m.CodeCombination] = {}
        for p in _rows(raw, CODE_COMBINATIONS):
            cc = m.parse(
                m.CodeCombination, p, procedure=CODE_COMBINATIONS, key=str(p.get("CODE_COMBINATION_ID"))
            )
            self.ccids[cc.CODE_COMBINATION_ID] = cc
        self.projects: dict[str, m.ProjectTask] = {}
        self.tasks: dict[str, m.ProjectTask] = {}
        for p in _rows(raw, PROJECTS):
            key = f"{p.get('PROJECT_ID')}/{p.get('TASK_ID')}"
            row = m.parse(m.ProjectTask, p, procedure=PROJECTS, key=key)
            if row.ORG_ID is not None and row.ORG_ID != settings.org_id:
                continue
            self.projects.setdefault(row.PROJECT_ID, row)
            if row.TASK_ID:
                self.tasks[row.TASK_ID] = row

    def dims(self, ccid: str | None, project_id: str | None, task_id: str | None) -> Dims:
        cc = self.ccids.get(ccid or "")
        segments = {name: (cc.segment(col) if cc else None) for col, name in self.settings.segments.items()}
        project = self.projects.get(project_id or "")
        erp_project = project.SEGMENT1 if project else None
        if erp_project is None and (col := self.settings.project_segment) is not None:
            erp_project = segments[self.settings.segments[col]]
        task = self.tasks.get(task_id or "")
        return Dims(segments, erp_project, task.TASK_NUMBER if task else None)


def vendors(raw: RawReader, settings: OracleEbsSettings, look: Lookups | None = None) -> pl.DataFrame:
    """One row per supplier; a supplier whose ENABLED_FLAG is not Y is blocked."""
    rows = [
        {"supplier": s.SEGMENT1, "name": s.VENDOR_NAME, "blocked": s.ENABLED_FLAG != "Y"}
        for s in (look or Lookups(raw, settings)).suppliers.values()
    ]
    return _frame({"supplier": pl.String(), "name": pl.String(), "blocked": pl.Boolean()}, rows)


def projects(raw: RawReader, settings: OracleEbsSettings, look: Lookups | None = None) -> pl.DataFrame:
    """PA projects (level 1) and their tasks below them, each task's parent a task or the project."""
    look = look or Lookups(raw, settings)
    rows: list[dict[str, Any]] = []
    for p in look.projects.values():
        rows.append(
            {"node": p.SEGMENT1, "parent": None, "project": p.SEGMENT1, "level": 1, "description": p.NAME}
        )
    for t in look.tasks.values():
        level, cur, seen = 2, look.tasks.get(t.PARENT_TASK_ID or ""), {t.TASK_ID}
        while cur is not None and cur.TASK_ID not in seen:  # a cycle in bad data must not hang
            seen.add(cur.TASK_ID)
            level += 1
            cur = look.tasks.get(cur.PARENT_TASK_ID or "")
        parent = look.tasks.get(t.PARENT_TASK_ID or "")
        rows.append(
            {
                "node": t.TASK_NUMBER,
                "parent": parent.TASK_NUMBER if parent else t.SEGMENT1,
                "project": t.SEGMENT1,
                "level": level,
                "description": t.TASK_NAME,
            }
        )
    schema = {
        "node": pl.String(),
        "parent": pl.String(),
        "project": pl.String(),
        "level": pl.Int64(),
        "description": pl.String(),
    }
    return _frame(schema, rows)


def _distributions(raw: RawReader, settings: OracleEbsSettings) -> list[m.PoDistribution]:
    out = []
    for p in _rows(raw, PO_DISTRIBUTIONS):
        d = m.parse(m.PoDistribution, p, procedure=PO_DISTRIBUTIONS, key=str(p.get("PO_DISTRIBUTION_ID")))
        if d.ORG_ID is None or d.ORG_ID == settings.org_id:
            out.append(d)
    return out


def _dist_amount(d: m.PoDistribution) -> Decimal:
    return (d.QUANTITY_ORDERED or Decimal(0)) * (d.UNIT_PRICE or Decimal(0))


def _dist_order(d: m.PoDistribution) -> tuple[int, str]:
    num = d.DISTRIBUTION_NUM or ""
    return (int(num), "") if num.isdigit() else (1 << 30, num)


def commitments(
    raw: RawReader, settings: OracleEbsSettings, look: Lookups | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """PO headers and one commitment line per PO line (its distributions folded in)."""
    look = look or Lookups(raw, settings)
    heads: dict[str, dict[str, Any]] = {}
    lines: dict[tuple[str, str], list[m.PoDistribution]] = defaultdict(list)
    for d in _distributions(raw, settings):
        head = heads.setdefault(
            d.SEGMENT1,
            {
                "po_number": d.SEGMENT1,
                "supplier": (s.SEGMENT1 if (s := look.suppliers.get(d.VENDOR_ID or "")) else d.VENDOR_ID),
                "currency": d.CURRENCY_CODE,
                "last_change": d.LAST_UPDATE_DATE,
            },
        )
        stamp: datetime | None = head["last_change"]
        if d.LAST_UPDATE_DATE and (stamp is None or d.LAST_UPDATE_DATE > stamp):
            head["last_change"] = d.LAST_UPDATE_DATE
        if d.CANCEL_FLAG == "Y":
            continue
        lines[(d.SEGMENT1, d.LINE_NUM)].append(d)
    out: list[dict[str, Any]] = []
    for (po, line), dists in lines.items():
        dists.sort(key=_dist_order)
        largest = max(dists, key=_dist_amount)  # max keeps the first of equals: the lowest DISTRIBUTION_NUM
        dims = look.dims(largest.CODE_COMBINATION_ID, largest.PROJECT_ID, largest.TASK_ID)
        out.append(
            {
                "po_number": po,
                "item": line,
                "description": largest.ITEM_DESCRIPTION,
                "quantity": _money(sum((d.QUANTITY_ORDERED or Decimal(0) for d in dists), Decimal(0))),
                "net_price": None if largest.UNIT_PRICE is None else _money(largest.UNIT_PRICE),
                "price_unit": Decimal(1),
                "amount": _money(sum((_dist_amount(d) for d in dists), Decimal(0))),
                "currency": largest.CURRENCY_CODE,
                **dims.segments,
                "erp_project": dims.erp_project,
                "task": dims.task,
            }
        )
    head_schema = {
        "po_number": pl.String(),
        "supplier": pl.String(),
        "currency": pl.String(),
        "last_change": TS,
    }
    line_schema: dict[str, pl.DataType] = {
        "po_number": pl.String(),
        "item": pl.String(),
        "description": pl.String(),
        "quantity": QUANTITY,
        "net_price": MONEY,
        "price_unit": QUANTITY,
        "amount": MONEY,
        "currency": pl.String(),
        **{name: pl.String() for name in settings.segment_names},
        "erp_project": pl.String(),
        "task": pl.String(),
    }
    return _frame(head_schema, list(heads.values())), _frame(line_schema, out)


def budgets(raw: RawReader, settings: OracleEbsSettings, look: Lookups | None = None) -> pl.DataFrame:
    """The baselined cost budget by project and task."""
    look = look or Lookups(raw, settings)
    rows = []
    for p in _rows(raw, BUDGET_LINES):
        b = m.parse(m.BudgetLine, p, procedure=BUDGET_LINES, key=f"{p.get('PROJECT_ID')}/{p.get('TASK_ID')}")
        if b.PROJECT_ID not in look.projects:
            continue  # a project of another operating unit
        dims = look.dims(None, b.PROJECT_ID, b.TASK_ID)
        rows.append(
            {
                "erp_project": dims.erp_project,
                "task": dims.task,
                "amount": _money(b.BURDENED_COST or Decimal(0)),
                "currency": b.CURRENCY_CODE,
            }
        )
    schema = {"erp_project": pl.String(), "task": pl.String(), "amount": MONEY, "currency": pl.String()}
    return _frame(schema, rows)


def actuals(raw: RawReader, settings: OracleEbsSettings, look: Lookups | None = None) -> pl.DataFrame:
    """Actual cost by project, task, the named segments and period (dated on the period's last
    day, ``posting_date``, so the close's cut-off can place it; GET_ACTUALS has no posting date)."""
    look = look or Lookups(raw, settings)
    totals: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    keys: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in _rows(raw, ACTUALS):
        key = "/".join(
            str(p.get(k) or "") for k in ("PROJECT_ID", "TASK_ID", "CODE_COMBINATION_ID", "PERIOD_NAME")
        )
        a = m.parse(m.Actual, p, procedure=ACTUALS, key=key)
        if a.PROJECT_ID and a.PROJECT_ID not in look.projects:
            continue
        dims = look.dims(a.CODE_COMBINATION_ID, a.PROJECT_ID, a.TASK_ID)
        row = {
            "erp_project": dims.erp_project,
            "task": dims.task,
            **dims.segments,
            "currency": a.CURRENCY_CODE,
            "posting_date": ebs_period_end(a.PERIOD_NAME),
        }
        k = tuple(row.values())
        keys[k] = row
        totals[k] += a.AMOUNT or Decimal(0)
    rows = [{**keys[k], "amount": _money(v)} for k, v in totals.items()]
    schema: dict[str, pl.DataType] = {
        "erp_project": pl.String(),
        "task": pl.String(),
        **{name: pl.String() for name in settings.segment_names},
        "amount": MONEY,
        "currency": pl.String(),
        "posting_date": pl.Date(),
    }
    return _frame(schema, rows)


def hierarchy(raw: RawReader, settings: OracleEbsSettings, look: Lookups | None = None) -> pl.DataFrame:
    """The task tree: one row per task with its project; a top task has no parent (a project is
    not a task, and a task may carry its project's number), levels from 1."""
    look = look or Lookups(raw, settings)
    rows: list[dict[str, Any]] = []
    for t in look.tasks.values():
        level, cur, seen = 1, look.tasks.get(t.PARENT_TASK_ID or ""), {t.TASK_ID}
        while cur is not None and cur.TASK_ID not in seen:  # a cycle in bad data must not hang
            seen.add(cur.TASK_ID)
            level += 1
            cur = look.tasks.get(cur.PARENT_TASK_ID or "")
        parent = look.tasks.get(t.PARENT_TASK_ID or "")
        rows.append(
            {
                "node": t.TASK_NUMBER,
                "project": t.SEGMENT1,
                "parent": parent.TASK_NUMBER if parent else None,
                "level": level,
                "description": t.TASK_NAME,
            }
        )
    schema = {
        "node": pl.String(),
        "project": pl.String(),
        "parent": pl.String(),
        "level": pl.Int64(),
        "description": pl.String(),
    }
    return _frame(schema, rows)


def shape_of(settings: OracleEbsSettings) -> ErpShape:
    """The EBS declaration this profile's segments give (``adapters.erp_shape.oracle_ebs``)."""
    return oracle_ebs(settings.segments)


def canonicalize(raw: RawReader, settings: OracleEbsSettings) -> dict[str, pl.DataFrame]:
    """Every canonical ERP table of one snapshot (see the module docstring)."""
    shape = shape_of(settings)
    look = Lookups(raw, settings)  # parsed once for every table
    heads, lines = commitments(raw, settings, look)
    heads = heads.with_columns(pl.lit(settings.org_id, pl.String()).alias("company_code"))
    return {
        "erp_hierarchy": conform("erp_hierarchy", hierarchy(raw, settings, look), shape),
        "erp_vendors": conform("erp_vendors", vendors(raw, settings, look), shape),
        "erp_commitments": conform("erp_commitments", heads, shape),
        "erp_commitment_lines": conform("erp_commitment_lines", lines, shape),
        "erp_budgets": conform("erp_budgets", budgets(raw, settings, look), shape),
        "erp_actuals": conform("erp_actuals", actuals(raw, settings, look), shape),
    }
