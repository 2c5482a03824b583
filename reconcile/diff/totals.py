"""Budgets and actuals: ERP amounts mapped to (Procore project, cost code) and compared as totals.

Key: ``<Procore project number>/<cost code>``. ERP rows no mapping row matches are
``unmapped`` (keyed by their ERP dimensions), never dropped.
"""

from __future__ import annotations

import polars as pl

from mappings.resolve import cost_code_lookup, project_lookup
from reconcile.canonical import MONEY
from reconcile.diff.commitments import Context
from reconcile.diff.frame import detail, exceed, money_text, rows

DIMS = ("wbs_element", "gl_account", "cost_center")
APPROVED = {"direct_cost": ["approved"], "requisition": ["approved", "approved_as_noted"]}


def _map_erp(frame: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """ERP rows with project_number, procore_cost_code and the mapping lines used."""
    frame = frame.select(*DIMS, pl.col("amount").cast(MONEY))
    projects = project_lookup(frame["wbs_element"], ctx.mappings, ctx.erp_wbs)
    codes = cost_code_lookup(frame.select(DIMS), ctx.mappings, ctx.erp_wbs)
    mapped = frame.join(projects, on="wbs_element", how="left").join(
        codes, on=list(DIMS), how="left", nulls_equal=True
    )
    return ctx.drop_inactive(mapped)


def _procore_totals(frame: pl.DataFrame, amount: str, ctx: Context) -> pl.DataFrame:
    return (
        frame.join(ctx.active_projects, on="project_id")
        .group_by("project_number", "cost_code")
        .agg(pl.col(amount).sum().cast(MONEY).alias("procore_amount"), pl.len().alias("procore_rows"))
    )


def _duplicates(obj: str, frame: pl.DataFrame, same: list[str], ctx: Context) -> pl.LazyFrame:
    """Procore rows that say the same thing twice (same ``same`` columns) within a project/cost code.

    Budgets and actuals compare totals, so there is no ERP record to land on; the duplicate
    is Procore-side and its amount still counts in the total (hence also a value mismatch).
    """
    dups = (
        frame.join(ctx.active_projects, on="project_id")
        .group_by("project_number", "cost_code", *same)
        .agg(pl.len().alias("_n"))
        .filter(pl.col("_n") > 1)
        .group_by("project_number", "cost_code")
        .agg(pl.col("_n").sum().alias("rows"))
        .lazy()
    )
    return rows(
        dups,
        object=obj,
        kind="duplicate",
        key=pl.col("project_number") + "/" + pl.col("cost_code"),
        project=pl.col("project_number"),
        rule=f"{obj}.duplicate",
        detail=detail(same=pl.lit(", ".join(same)), procore_rows=pl.col("rows")),
    )


def _compare(obj: str, erp_rows: pl.DataFrame, procore: pl.DataFrame, ctx: Context) -> list[pl.LazyFrame]:
    ok = pl.col("project_number").is_not_null() & pl.col("procore_cost_code").is_not_null()
    erp = (
        erp_rows.filter(ok)
        .group_by("project_number", pl.col("procore_cost_code").alias("cost_code"))
        .agg(
            pl.col("amount").sum().cast(MONEY).alias("erp_amount"),
            pl.col("project_line").unique().sort().alias("project_lines"),
            pl.col("cost_code_line").unique().sort().alias("cost_code_lines"),
        )
    )
    both = erp.join(procore, on=["project_number", "cost_code"], how="full", coalesce=True).with_columns(
        pl.col("erp_amount").fill_null(pl.lit(0, MONEY)).alias("_e"),
        pl.col("procore_amount").fill_null(pl.lit(0, MONEY)).alias("_p"),
    )
    diff = (pl.col("_e") - pl.col("_p")).cast(MONEY)
    key = pl.col("project_number") + "/" + pl.col("cost_code")
    files = ctx.mappings
    refs = dict(
        project_rows=pl.col("project_lines")
        .cast(pl.List(pl.String))
        .list.eval(pl.lit(files.file("projects.csv") + " line ") + pl.element()),
        cost_code_rows=pl.col("cost_code_lines")
        .cast(pl.List(pl.String))
        .list.eval(pl.lit(files.file("cost_codes.csv") + " line ") + pl.element()),
        procore_rows=pl.col("procore_rows"),
    )
    lf = both.lazy()
    out = [
        rows(
            lf.filter(
                pl.col("erp_amount").is_not_null()
                & pl.col("procore_amount").is_not_null()
                & exceed(diff, ctx.tolerance)
            ),
            object=obj,
            kind="value_mismatch",
            key=key,
            project=pl.col("project_number"),
            field="amount",
            erp_value=money_text(pl.col("erp_amount")),
            procore_value=money_text(pl.col("procore_amount")),
            difference=diff,
            rule=f"{obj}.amount",
            detail=detail(**refs),
        ),
        rows(
            lf.filter(pl.col("procore_amount").is_null()),
            object=obj,
            kind="missing_in_procore",
            key=key,
            project=pl.col("project_number"),
            erp_value=money_text(pl.col("erp_amount")),
            difference=diff,
            rule=f"{obj}.missing_in_procore",
            detail=detail(**refs),
        ),
        rows(
            lf.filter(pl.col("erp_amount").is_null()),
            object=obj,
            kind="missing_in_erp",
            key=key,
            project=pl.col("project_number"),
            procore_value=money_text(pl.col("procore_amount")),
            difference=diff,
            rule=f"{obj}.missing_in_erp",
            detail=detail(**refs),
        ),
    ]
    unmapped = (
        erp_rows.filter(~ok)
        .group_by(DIMS)
        .agg(pl.col("amount").sum().cast(MONEY), pl.col("project_number").first())
        .lazy()
    )
    dims = pl.concat_str([pl.col(c).fill_null("") for c in DIMS], separator="/")
    out.append(
        rows(
            unmapped,
            object=obj,
            kind="unmapped",
            key=dims,
            project=pl.col("project_number"),
            erp_value=money_text(pl.col("amount")),
            rule=pl.when(pl.col("project_number").is_null())
            .then(pl.lit("mapping.project"))
            .otherwise(pl.lit("mapping.cost_code")),
            detail=detail(
                wbs_element=pl.col("wbs_element"),
                gl_account=pl.col("gl_account"),
                cost_center=pl.col("cost_center"),
            ),
        )
    )
    return out


def diff_budgets(
    erp_budgets: pl.DataFrame, procore_budget_lines: pl.DataFrame, ctx: Context
) -> list[pl.LazyFrame]:
    """Budget exceptions: ERP WBS budgets (all fiscal years) vs the budget view's original budget."""
    erp = _map_erp(
        erp_budgets.with_columns(
            pl.lit(None, pl.String).alias("gl_account"), pl.lit(None, pl.String).alias("cost_center")
        ),
        ctx,
    )
    out = _compare("budget", erp, _procore_totals(procore_budget_lines, "original_budget_amount", ctx), ctx)
    out.append(_duplicates("budget", procore_budget_lines, ["cost_code_id", "category_id"], ctx))
    return out


def diff_actuals(
    erp_actuals: pl.DataFrame, procore_actual_lines: pl.DataFrame, ctx: Context
) -> list[pl.LazyFrame]:
    """Actual exceptions: ERP journal amounts vs approved direct costs and approved invoices."""
    approved = pl.lit(False)
    for source, statuses in APPROVED.items():
        approved = approved | ((pl.col("source") == source) & pl.col("status").is_in(statuses))
    counted = procore_actual_lines.filter(approved)
    out = _compare("actual", _map_erp(erp_actuals, ctx), _procore_totals(counted, "amount", ctx), ctx)
    with_origin = counted.filter(pl.col("origin_id").is_not_null() & (pl.col("origin_id") != ""))
    out.append(_duplicates("actual", with_origin, ["origin_id"], ctx))
    return out
