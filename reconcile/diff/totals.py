"""Budgets and actuals: ERP amounts mapped to (Procore project, cost code) and compared as totals.

Key: ``<Procore project number>/<cost code>``. ERP rows no mapping row matches are
``unmapped`` (keyed by their ERP dimensions, in the order ``ErpShape.columns`` gives), never
dropped. A key whose ERP rows are in another currency than the Procore projects' is one
``currency`` mismatch, and its amount is not compared.
"""

from __future__ import annotations

import polars as pl

from mappings.resolve import cost_code_lookup, project_lookup
from reconcile.canonical import MONEY
from reconcile.diff.commitments import Context
from reconcile.diff.frame import detail, exceed, money_text, rows

APPROVED = {"direct_cost": ["approved"], "requisition": ["approved", "approved_as_noted"]}


def _map_erp(frame: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """ERP rows with project_number, procore_cost_code and the mapping lines used."""
    dims, key = ctx.dims, ctx.shape.project.column
    foreign = pl.col("currency").is_not_null() & (pl.col("currency") != ctx.currency)
    frame = frame.select(
        *dims, pl.col("amount").cast(MONEY), pl.when(foreign).then(pl.col("currency")).alias("_fx")
    )
    projects = project_lookup(frame[key], ctx.mappings, ctx.hierarchy)
    codes = cost_code_lookup(frame.select(dims), ctx.mappings, ctx.hierarchy)
    mapped = frame.join(projects, on=key, how="left").join(codes, on=dims, how="left", nulls_equal=True)
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
            pl.col("_fx").drop_nulls().unique().sort().str.join(",").alias("_fx"),
        )
        .with_columns(pl.when(pl.col("_fx") != "").then(pl.col("_fx")).alias("_fx"))
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
    both_sides = pl.col("erp_amount").is_not_null() & pl.col("procore_amount").is_not_null()
    same = pl.col("_fx").is_null()
    out = [
        rows(
            lf.filter(both_sides & ~same),
            object=obj,
            kind="value_mismatch",
            key=key,
            project=pl.col("project_number"),
            field="currency",
            erp_value=pl.col("_fx"),
            procore_value=pl.lit(ctx.currency),
            rule=f"{obj}.currency",
            detail=detail(**refs),
        ),
        rows(
            lf.filter(both_sides & same & exceed(diff, ctx.tolerance)),
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
            difference=pl.when(same).then(diff),
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
    cols = ctx.dims
    unmapped = (
        erp_rows.filter(~ok)
        .group_by(cols)
        .agg(pl.col("amount").sum().cast(MONEY), pl.col("project_number").first())
        .lazy()
    )
    dims = pl.concat_str([pl.col(c).fill_null("") for c in cols], separator="/")
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
            detail=detail(**{c: pl.col(c) for c in cols}),
        )
    )
    return out


def diff_budgets(
    erp_budgets: pl.DataFrame, procore_budget_lines: pl.DataFrame, ctx: Context
) -> list[pl.LazyFrame]:
    """Budget exceptions: ERP budgets (all fiscal years) vs the budget view's original budget."""
    erp = _map_erp(erp_budgets, ctx)
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
