"""Commitments (PO / contract level): vendor and amount (the sum of lines) on both sides."""

from __future__ import annotations

import polars as pl

from reconcile.canonical import MONEY
from reconcile.diff.commitments import Context, commitment_links
from reconcile.diff.frame import detail, exceed, money_text, rows
from reconcile.diff.vendors import procore_key


def diff_commitments(
    pc_commitments: pl.DataFrame,
    pc_lines: pl.DataFrame,
    erp_commitments: pl.DataFrame,
    items: pl.DataFrame,
    vendor_links: pl.DataFrame,
    ctx: Context,
) -> tuple[list[pl.LazyFrame], pl.DataFrame]:
    """Commitment exceptions, and the contract → PO links the line rules build on."""
    # ERP side: a PO's amount is the sum of its items, its project that of its largest item.
    erp_sums = items.group_by("po_number").agg(
        pl.col("amount").sum().cast(MONEY).alias("erp_amount"),
        pl.col("project_number").get(pl.col("amount").arg_max()).alias("erp_project"),
    )
    erp = erp_commitments.select("po_number", "supplier").join(erp_sums, on="po_number", how="left")
    erp = erp.with_columns(pl.col("erp_amount").fill_null(pl.lit(0, MONEY)))
    erp = ctx.drop_inactive(erp, "erp_project")
    # Procore side: contracts of active projects, amount = sum of their lines.
    pc_sums = pc_lines.group_by("contract_id").agg(pl.col("amount").sum().cast(MONEY).alias("procore_amount"))
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
    links = commitment_links(pc, erp["po_number"])
    pc = pc.join(links, left_on="id", right_on="contract_id", how="left")
    dup = pl.col("po_number").is_not_null() & pl.col("po_number").is_duplicated()
    pc = pc.with_columns(
        dup.alias("_dup"), (dup & (pl.col("id") != pl.col("id").min().over("po_number"))).alias("_extra")
    )
    primary = pc.filter(pl.col("po_number").is_not_null() & ~pl.col("_extra"))
    joined = primary.lazy().join(erp.lazy(), on="po_number", how="inner")
    diff = (pl.col("erp_amount") - pl.col("procore_amount")).cast(MONEY)
    refs = dict(procore_id=pl.col("id"), erp_key=pl.col("po_number"), link=pl.col("link"))
    procore_vendor = pl.coalesce(
        pl.col("procore_supplier"), pl.lit("procore:") + pl.col("vendor_id").cast(pl.String)
    )
    out = [
        rows(
            joined.filter(exceed(diff, ctx.tolerance)),
            object="commitment",
            kind="value_mismatch",
            key=pl.col("po_number"),
            project=pl.col("project_number"),
            field="amount",
            erp_value=money_text(pl.col("erp_amount")),
            procore_value=money_text(pl.col("procore_amount")),
            difference=diff,
            rule="commitment.amount",
            detail=detail(**refs),
        ),
        rows(
            joined.filter(pl.col("supplier").ne_missing(pl.col("procore_supplier"))),
            object="commitment",
            kind="value_mismatch",
            key=pl.col("po_number"),
            project=pl.col("project_number"),
            field="vendor",
            erp_value=pl.col("supplier"),
            procore_value=procore_vendor,
            rule="commitment.vendor",
            detail=detail(**refs, procore_vendor_id=pl.col("vendor_id")),
        ),
        rows(
            pc.filter(pl.col("_dup"))
            .group_by("po_number")
            .agg(
                pl.col("id").sort(),
                pl.col("project_number").first(),
                pl.col("procore_amount").filter(pl.col("_extra")).sum().cast(MONEY).alias("extra"),
            )
            .lazy(),
            object="commitment",
            kind="duplicate",
            key=pl.col("po_number"),
            project=pl.col("project_number"),
            procore_value=pl.lit("procore ids ") + pl.col("id").cast(pl.List(pl.String)).list.join(", "),
            difference=-pl.col("extra"),
            rule="commitment.duplicate",
            detail=detail(procore_ids=pl.col("id"), erp_key=pl.col("po_number")),
        ),
        rows(
            pc.lazy().filter(pl.col("po_number").is_null()),
            object="commitment",
            kind="missing_in_erp",
            key=procore_key(),
            project=pl.col("project_number"),
            procore_value=money_text(pl.col("procore_amount")),
            difference=-pl.col("procore_amount"),
            rule="commitment.missing_in_erp",
            detail=detail(procore_id=pl.col("id"), origin_id=pl.col("origin_id"), number=pl.col("number")),
        ),
        rows(
            erp.lazy().join(primary.lazy().select("po_number"), on="po_number", how="anti"),
            object="commitment",
            kind="missing_in_procore",
            key=pl.col("po_number"),
            project=pl.col("erp_project"),
            erp_value=money_text(pl.col("erp_amount")),
            difference=pl.col("erp_amount"),
            rule="commitment.missing_in_procore",
            detail=detail(erp_key=pl.col("po_number"), supplier=pl.col("supplier")),
        ),
    ]
    return out, links
