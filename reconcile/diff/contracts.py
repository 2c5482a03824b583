"""Commitments (PO / contract level): vendor and amount, the amount being the sum of all lines.

A PO's project is the one project its items map to; items in several projects, or none
mapped, make the PO ``unmapped`` (reported instead of compared). A PO with no items at all
takes the project of the contract linked to it. Several Procore contracts on one PO are one
``duplicate``, not compared further. A PO in a currency other than the Procore projects' is
one ``currency`` mismatch, and its amount is not compared (contract section 6).
"""

from __future__ import annotations

import polars as pl

from reconcile.canonical import MONEY
from reconcile.diff.commitments import Context, commitment_links
from reconcile.diff.frame import detail, exceed, id_list, money_text, rows
from reconcile.diff.vendors import procore_only


def diff_commitments(
    pc_commitments: pl.DataFrame,
    pc_sums: pl.DataFrame,
    erp_commitments: pl.DataFrame,
    items: pl.DataFrame,
    vendor_links: pl.DataFrame,
    ctx: Context,
) -> tuple[list[pl.LazyFrame], pl.DataFrame]:
    """Commitment exceptions, and the contract → PO links the line rules build on."""
    # One project, none unmapped (min/max of the project's integer is cheaper than n_unique).
    one_project = (pl.col("_pj").null_count() == 0) & (pl.col("_pj").min() == pl.col("_pj").max())
    erp_sums = items.group_by("_po").agg(
        pl.col("po_number").first(),
        pl.col("amount").sum().cast(MONEY).alias("erp_amount"),
        pl.when(one_project).then(pl.col("project_number").first()).alias("erp_project"),
        pl.lit(True).alias("has_items"),
    )
    erp = erp_commitments.select("po_number", "supplier").join(
        erp_sums.drop("_po"), on="po_number", how="left"
    )
    erp = ctx.drop_inactive(erp.with_columns(pl.col("erp_amount").fill_null(pl.lit(0, MONEY))), "erp_project")
    foreign = (
        ctx.foreign
        if ctx.foreign is not None
        else pl.DataFrame(schema={"po_number": pl.String, "erp_currency": pl.String})
    )
    erp = erp.join(foreign, on="po_number", how="left").with_columns(
        pl.col("erp_currency").is_null().alias("_same")
    )
    pc = (
        pc_commitments.join(ctx.active_projects, on="project_id")
        .join(pc_sums, left_on="id", right_on="contract_id", how="left")
        .with_columns(pl.col("procore_amount").fill_null(pl.lit(0, MONEY)))
        .join(
            vendor_links.select(
                pl.col("procore_id").alias("vendor_id"), pl.col("supplier").alias("procore_supplier")
            ),
            on="vendor_id",
            how="left",
        )
    )
    links = commitment_links(pc, erp["po_number"], ctx.shape.keys.number_prefix)
    pc = pc.join(links, left_on="id", right_on="contract_id", how="left")
    linked = pc.filter(pl.col("po_number").is_not_null()).with_columns(pl.len().over("po_number").alias("_n"))
    # Per PO: how many contracts link to it and the project of the first; the id lists only
    # for the few POs several contracts claim (list aggregation over every PO is the cost).
    first = (
        linked.sort("id")
        .unique("po_number", keep="first")
        .select("po_number", pl.col("project_number").alias("pc_project"), "_n")
    )
    several = (
        linked.filter(pl.col("_n") > 1).group_by("po_number").agg(pl.col("id").sort().alias("procore_id"))
    )
    erp = (
        erp.join(first, on="po_number", how="left")
        .join(several, on="po_number", how="left")
        .with_columns(
            pl.when(pl.col("has_items"))
            .then(pl.col("erp_project"))
            .otherwise(pl.col("pc_project"))
            .alias("project"),
            pl.col("_n").fill_null(0).cast(pl.UInt32),
        )
    )
    mapped = erp.filter(pl.col("project").is_not_null() | (pl.col("_n") == 0) & pl.col("has_items").is_null())
    joined = (
        linked.filter(pl.col("_n") == 1)
        .drop("_n")
        .lazy()
        .join(mapped.filter(pl.col("_n") == 1).lazy().drop("procore_id"), on="po_number", how="inner")
    )
    diff = (pl.col("erp_amount") - pl.col("procore_amount")).cast(MONEY)
    refs = {"procore_id": pl.col("id"), "erp_key": pl.col("po_number"), "link": pl.col("link")}
    procore_vendor = pl.coalesce(
        pl.col("procore_supplier"), pl.lit("procore:") + pl.col("vendor_id").cast(pl.String)
    )
    out = [
        rows(
            joined.filter(pl.col("supplier").ne_missing(pl.col("procore_supplier"))),
            object="commitment",
            kind="value_mismatch",
            key=pl.col("po_number"),
            project=pl.col("project"),
            field="vendor",
            erp_value=pl.col("supplier"),
            procore_value=procore_vendor,
            rule="commitment.vendor",
            detail=detail(**refs, procore_vendor_id=pl.col("vendor_id")),
        ),
        rows(
            joined.filter(~pl.col("_same")),
            object="commitment",
            kind="value_mismatch",
            key=pl.col("po_number"),
            project=pl.col("project"),
            field="currency",
            erp_value=pl.col("erp_currency"),
            procore_value=pl.lit(ctx.currency),
            rule="commitment.currency",
            detail=detail(**refs),
        ),
        rows(
            joined.filter(pl.col("_same") & exceed(diff, ctx.tolerance)),
            object="commitment",
            kind="value_mismatch",
            key=pl.col("po_number"),
            project=pl.col("project"),
            field="amount",
            erp_value=money_text(pl.col("erp_amount")),
            procore_value=money_text(pl.col("procore_amount")),
            difference=diff,
            rule="commitment.amount",
            detail=detail(**refs),
        ),
        rows(
            mapped.lazy().filter(pl.col("_n") > 1),
            object="commitment",
            kind="duplicate",
            key=pl.col("po_number"),
            project=pl.col("project"),
            procore_value=id_list(),
            rule="commitment.duplicate",
            detail=detail(procore_ids=pl.col("procore_id"), erp_key=pl.col("po_number")),
        ),
        rows(
            mapped.lazy().filter(pl.col("_n") == 0),
            object="commitment",
            kind="missing_in_procore",
            key=pl.col("po_number"),
            project=pl.col("project"),
            erp_value=money_text(pl.col("erp_amount")),
            difference=pl.when(pl.col("_same")).then(pl.col("erp_amount")),
            rule="commitment.missing_in_procore",
            detail=detail(erp_key=pl.col("po_number"), supplier=pl.col("supplier")),
        ),
        rows(
            erp.lazy().join(mapped.lazy().select("po_number"), on="po_number", how="anti"),
            object="commitment",
            kind="unmapped",
            key=pl.col("po_number"),
            project=pl.col("pc_project"),
            erp_value=money_text(pl.col("erp_amount")),
            rule="mapping.project",
            detail=detail(
                erp_key=pl.col("po_number"),
                reason=pl.lit("its items map to no single Procore project"),
            ),
        ),
        rows(
            procore_only(pc.lazy().filter(pl.col("po_number").is_null()), "procore_amount"),
            object="commitment",
            kind="missing_in_erp",
            key=pl.col("_key"),
            project=pl.col("project_number"),
            procore_value=money_text(pl.col("procore_amount")),
            difference=-pl.col("procore_amount"),
            rule="commitment.missing_in_erp",
            detail=detail(
                procore_id=pl.col("id"),
                procore_ids=pl.col("procore_ids"),
                origin_id=pl.col("origin_id"),
                number=pl.col("number"),
            ),
        ),
    ]
    return out, links
