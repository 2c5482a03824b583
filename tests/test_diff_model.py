"""One abstract model of a company's books, rendered as either side's canonical tables.

Why: the diff's laws (self-diff is empty, swapping sides swaps the missing kinds, totals tie)
need both sides built from the same facts, so a model can be rendered as ERP or as Procore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from hypothesis import strategies as st

from mappings import Mappings
from reconcile.canonical import conform

PROJECTS = {1: "100", 2: "200"}
CODES = ("01-100", "02-200", "03-300")


def project_of(po: str) -> int:
    """A PO's project is a function of its number, the same on both sides."""
    return 1 + int(po) % 2


@dataclass
class Side:
    vendors: dict[str, str] = field(default_factory=dict)  # supplier -> name
    pos: dict[str, str] = field(default_factory=dict)  # po -> supplier
    lines: dict[tuple[str, str], tuple[Decimal, str]] = field(
        default_factory=dict
    )  # (po, item) -> (amount, code)
    budgets: dict[tuple[int, str], Decimal] = field(default_factory=dict)  # (project, code) -> amount
    actuals: dict[tuple[int, str], Decimal] = field(default_factory=dict)
    #: The ERP currency of a PO (po), a budget ("budget", project, code) or an actual ("actual", ...)
    #: where it is not USD, the Procore projects' currency. Procore has no say: it is in USD.
    fx: dict[object, str] = field(default_factory=dict)


def mappings() -> Mappings:
    projects = [(f"P-{p}", number) for p, number in PROJECTS.items()]
    cost_codes = [(None, None, f"P-{p}-{c[:2]}", c) for p in PROJECTS for c in CODES]
    return Mappings.from_rows(projects, cost_codes)


def wbs(project: int, code: str) -> str:
    return f"P-{project}-{code[:2]}"


def as_erp(s: Side) -> dict[str, pl.DataFrame]:
    lines = [
        {
            "po_number": po,
            "item": item,
            "amount": amt,
            "wbs_element": wbs(project_of(po), code),
            "gl_account": "5000",
            "currency": s.fx.get(po, "USD"),
        }
        for (po, item), (amt, code) in s.lines.items()
    ]
    return {
        "erp_vendors": conform(
            "erp_vendors",
            pl.DataFrame(
                [{"supplier": k, "name": v} for k, v in s.vendors.items()] or None,
                schema={"supplier": pl.String, "name": pl.String},
            ),
        ),
        "erp_commitments": conform(
            "erp_commitments",
            pl.DataFrame(
                [{"po_number": k, "supplier": v, "currency": s.fx.get(k, "USD")} for k, v in s.pos.items()]
                or None,
                schema={"po_number": pl.String, "supplier": pl.String, "currency": pl.String},
            ),
        ),
        "erp_commitment_lines": conform(
            "erp_commitment_lines",
            pl.DataFrame(
                lines or None,
                schema={
                    "po_number": pl.String,
                    "item": pl.String,
                    "amount": pl.Decimal(18, 4),
                    "wbs_element": pl.String,
                    "gl_account": pl.String,
                    "currency": pl.String,
                },
            ),
        ),
        "erp_budgets": conform(
            "erp_budgets",
            pl.DataFrame(
                [
                    {
                        "wbs_element": wbs(p, c),
                        "fiscal_year": "2026",
                        "amount": a,
                        "currency": s.fx.get(("budget", p, c), "USD"),
                    }
                    for (p, c), a in s.budgets.items()
                ]
                or None,
                schema={
                    "wbs_element": pl.String,
                    "fiscal_year": pl.String,
                    "amount": pl.Decimal(18, 4),
                    "currency": pl.String,
                },
            ),
        ),
        "erp_actuals": conform(
            "erp_actuals",
            pl.DataFrame(
                [
                    {
                        "wbs_element": wbs(p, c),
                        "gl_account": "5000",
                        "amount": a,
                        "currency": s.fx.get(("actual", p, c), "USD"),
                    }
                    for (p, c), a in s.actuals.items()
                ]
                or None,
                schema={
                    "wbs_element": pl.String,
                    "gl_account": pl.String,
                    "amount": pl.Decimal(18, 4),
                    "currency": pl.String,
                },
            ),
        ),
    }


def as_procore(s: Side) -> dict[str, pl.DataFrame]:
    projects = [{"id": i, "project_number": n, "active": True} for i, n in PROJECTS.items()]
    vendors = [{"id": int(k), "name": v, "origin_id": k} for k, v in s.vendors.items()]
    commitments = [
        {"id": int(po), "project_id": project_of(po), "number": po, "vendor_id": int(sup), "origin_id": po}
        for po, sup in s.pos.items()
    ]
    lines = [
        {
            "id": int(po) * 1000 + int(item),
            "contract_id": int(po),
            "project_id": project_of(po),
            "position": int(item) // 10,
            "cost_code": code,
            "amount": amt,
            "origin_id": f"{po}/{item}",
        }
        for (po, item), (amt, code) in s.lines.items()
    ]
    budgets = [
        {"project_id": p, "cost_code": c, "original_budget_amount": a} for (p, c), a in s.budgets.items()
    ]
    actuals = [
        {
            "id": f"direct_cost:{i}",
            "project_id": p,
            "source": "direct_cost",
            "status": "approved",
            "cost_code": c,
            "amount": a,
        }
        for i, ((p, c), a) in enumerate(s.actuals.items())
    ]

    def frame(table: str, data: list[dict[str, object]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
        return conform(table, pl.DataFrame(data or None, schema=schema))

    S, N, D, B = pl.String(), pl.Int64(), pl.Decimal(18, 4), pl.Boolean()
    return {
        "procore_projects": frame("procore_projects", projects, {"id": N, "project_number": S, "active": B}),
        "procore_vendors": frame("procore_vendors", vendors, {"id": N, "name": S, "origin_id": S}),
        "procore_commitments": frame(
            "procore_commitments",
            commitments,
            {"id": N, "project_id": N, "number": S, "vendor_id": N, "origin_id": S},
        ),
        "procore_commitment_lines": frame(
            "procore_commitment_lines",
            lines,
            {
                "id": N,
                "contract_id": N,
                "project_id": N,
                "position": N,
                "cost_code": S,
                "amount": D,
                "origin_id": S,
            },
        ),
        "procore_budget_lines": frame(
            "procore_budget_lines", budgets, {"project_id": N, "cost_code": S, "original_budget_amount": D}
        ),
        "procore_actual_lines": frame(
            "procore_actual_lines",
            actuals,
            {"id": S, "project_id": N, "source": S, "status": S, "cost_code": S, "amount": D},
        ),
    }


amounts = st.decimals(
    min_value=Decimal("-1000"), max_value=Decimal("100000"), places=3, allow_nan=False, allow_infinity=False
)
suppliers = st.sampled_from(["1000", "1001", "1002", "1003"])
po_numbers = st.sampled_from(["4500000001", "4500000002", "4500000003"])
items = st.sampled_from(["00010", "00020", "00030"])
codes = st.sampled_from(CODES)


@st.composite
def sides(draw: st.DrawFn) -> Side:
    pos = draw(st.dictionaries(po_numbers, suppliers, max_size=3))
    # A Procore commitment always names a vendor that exists, so every PO's supplier is a vendor.
    vendors = {s: "a" for s in pos.values()} | draw(
        st.dictionaries(suppliers, st.sampled_from(["a", "b"]), max_size=4)
    )
    lines = (
        draw(
            st.dictionaries(
                st.tuples(st.sampled_from(sorted(pos) or ["4500000001"]), items),
                st.tuples(amounts, codes),
                max_size=6,
            )
        )
        if pos
        else {}
    )
    budgets = draw(st.dictionaries(st.tuples(st.sampled_from(list(PROJECTS)), codes), amounts, max_size=4))
    actuals = draw(st.dictionaries(st.tuples(st.sampled_from(list(PROJECTS)), codes), amounts, max_size=4))
    # Names never collide across suppliers, so the name fallback cannot link two different ones.
    return Side({k: f"Vendor {k} {v}" for k, v in vendors.items()}, pos, lines, budgets, actuals)


@st.composite
def foreign(draw: st.DrawFn, side: Side) -> dict[object, str]:
    """Some of a side's POs, budgets and actuals in another currency than USD."""
    keys: list[object] = [
        *side.pos,
        *(("budget", *k) for k in side.budgets),
        *(("actual", *k) for k in side.actuals),
    ]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    return {k: draw(st.sampled_from(["EUR", "CAD"])) for k in chosen}


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Side, Side]:
    """Two sides that share some facts: the second is the first with edits."""
    a = draw(sides())
    b = draw(sides())
    keep = draw(st.booleans())
    if keep:  # start b from a and keep b's additions, so values overlap often
        b = Side(
            {**a.vendors, **b.vendors},
            {**a.pos, **b.pos},
            {**a.lines, **{k: v for k, v in b.lines.items() if k[0] in {**a.pos, **b.pos}}},
            {**a.budgets, **b.budgets},
            {**a.actuals, **b.actuals},
        )
    return a, b
