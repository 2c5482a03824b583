"""Vendors: link Procore vendors to ERP suppliers, then compare names (exactly, no folding).

Links, per Procore vendor and strongest first: its ``vendors.csv`` row, else ``origin_id`` =
supplier number, else the one ERP supplier with exactly its name. A ``vendors.csv`` row naming
a supplier that does not exist leaves the vendor unlinked (no fallback: the row is the
analyst's word); a row naming a Procore vendor that does not exist makes its supplier
``unmapped`` rather than ``missing_in_procore``, so a stale row never fails the whole diff.
"""

from __future__ import annotations

import polars as pl

from mappings import Mappings
from reconcile.canonical import MONEY
from reconcile.diff.frame import detail, id_list, rows

LINK_RANK = {"vendors_csv": 0, "origin_id": 1, "name": 2}


def vendor_links(procore_vendors: pl.DataFrame, erp_vendors: pl.DataFrame, m: Mappings) -> pl.DataFrame:
    """``procore_id, supplier, link, mapping_line``: each linked Procore vendor's ERP supplier."""
    pv = procore_vendors.select(pl.col("id").alias("procore_id"), "origin_id", "name")
    suppliers = erp_vendors.select("supplier", "name")
    explicit = m.vendors.filter(pl.col("procore_vendor_id").is_in(pv["procore_id"].implode())).select(
        pl.col("procore_vendor_id").alias("procore_id"),
        pl.col("erp_vendor").alias("supplier"),
        pl.lit("vendors_csv").alias("link"),
        pl.col("line").alias("mapping_line"),
    )
    none = pl.lit(None, pl.Int64).alias("mapping_line")
    by_origin = pv.join(suppliers.select("supplier"), left_on="origin_id", right_on="supplier").select(
        "procore_id", pl.col("origin_id").alias("supplier"), pl.lit("origin_id").alias("link"), none
    )
    unique_names = suppliers.filter(pl.col("name").is_unique())
    by_name = pv.join(unique_names, on="name").select(
        "procore_id", "supplier", pl.lit("name").alias("link"), none
    )
    return (
        pl.concat([explicit, by_origin, by_name])
        .with_columns(pl.col("link").replace_strict(LINK_RANK, return_dtype=pl.Int64).alias("_rank"))
        .sort("procore_id", "_rank")
        .unique("procore_id", keep="first", maintain_order=True)
        .drop("_rank")
        .filter(pl.col("supplier").is_in(suppliers["supplier"].implode()))
    )


def diff_vendors(procore_vendors: pl.DataFrame, erp_vendors: pl.DataFrame, m: Mappings) -> list[pl.LazyFrame]:
    """Vendor exceptions: missing on either side, unmapped, duplicates, name mismatches."""
    links = vendor_links(procore_vendors, erp_vendors, m)
    pv = procore_vendors.select(
        pl.col("id").alias("procore_id"), "origin_id", pl.col("name").alias("procore_name")
    )
    linked = (
        links.join(pv, on="procore_id")
        .join(erp_vendors.select("supplier", pl.col("name").alias("erp_name")), on="supplier")
        .with_columns(pl.len().over("supplier").alias("_n"))
    )
    mapping_ref = pl.when(pl.col("mapping_line").is_not_null()).then(
        pl.lit(m.file("vendors.csv") + " line ") + pl.col("mapping_line").cast(pl.String)
    )
    single = linked.filter(pl.col("_n") == 1).lazy()
    out = [
        rows(
            single.filter(pl.col("erp_name") != pl.col("procore_name")),
            object="vendor",
            kind="value_mismatch",
            key=pl.col("supplier"),
            field="name",
            erp_value=pl.col("erp_name"),
            procore_value=pl.col("procore_name"),
            rule="vendor.name",
            detail=detail(
                procore_id=pl.col("procore_id"),
                erp_key=pl.col("supplier"),
                link=pl.col("link"),
                mapping=mapping_ref,
            ),
        )
    ]
    dups = (
        linked.filter(pl.col("_n") > 1)
        .group_by("supplier")
        .agg(pl.col("erp_name").first(), pl.col("procore_id").sort(), pl.col("link").sort_by("procore_id"))
        .lazy()
    )
    out.append(
        rows(
            dups,
            object="vendor",
            kind="duplicate",
            key=pl.col("supplier"),
            erp_value=pl.col("erp_name"),
            procore_value=id_list(),
            rule="vendor.duplicate",
            detail=detail(procore_ids=pl.col("procore_id"), erp_key=pl.col("supplier"), links=pl.col("link")),
        )
    )
    stale = m.vendors.filter(~pl.col("procore_vendor_id").is_in(pv["procore_id"].implode()))
    erp_only = erp_vendors.lazy().join(links.lazy(), on="supplier", how="anti")
    is_stale = pl.col("supplier").is_in(stale["erp_vendor"].implode())
    out.append(
        rows(
            erp_only.filter(~is_stale),
            object="vendor",
            kind="missing_in_procore",
            key=pl.col("supplier"),
            erp_value=pl.col("name"),
            rule="vendor.missing_in_procore",
            detail=detail(erp_key=pl.col("supplier")),
        )
    )
    out.append(
        rows(
            erp_only.filter(is_stale).join(
                stale.lazy().select(pl.col("erp_vendor").alias("supplier"), "line", "procore_vendor_id"),
                on="supplier",
            ),
            object="vendor",
            kind="unmapped",
            key=pl.col("supplier"),
            erp_value=pl.col("name"),
            rule="mapping.vendor",
            detail=detail(
                erp_key=pl.col("supplier"),
                mapping=pl.lit(m.file("vendors.csv") + " line ") + pl.col("line").cast(pl.String),
                reason=pl.lit("the Procore vendor id ")
                + pl.col("procore_vendor_id").cast(pl.String)
                + pl.lit(" does not exist"),
            ),
        )
    )
    unlinked = procore_vendors.lazy().join(links.lazy(), left_on="id", right_on="procore_id", how="anti")
    out.append(
        rows(
            procore_only(unlinked),
            object="vendor",
            kind="missing_in_erp",
            key=pl.col("_key"),
            procore_value=pl.col("name"),
            rule="vendor.missing_in_erp",
            detail=detail(
                procore_id=pl.col("id"), procore_ids=pl.col("procore_ids"), origin_id=pl.col("origin_id")
            ),
        )
    )
    return out


def procore_key(id_column: str = "id") -> pl.Expr:
    """A Procore-only record's key: its origin_id, else ``procore:<id>``.

    A function of the record alone: fixing another record's origin_id never changes this one's
    key, so its exception id and decisions stay put. Records sharing an origin_id are one
    finding (``procore_only``)."""
    origin = pl.col("origin_id")
    return (
        pl.when(origin.is_not_null() & (origin != ""))
        .then(origin)
        .otherwise(pl.lit("procore:") + pl.col(id_column).cast(pl.String))
    )


def procore_only(lf: pl.LazyFrame, amount: str | None = None) -> pl.LazyFrame:
    """Procore-only records grouped by ``procore_key`` (column ``_key``): one row per key with
    every Procore id (``procore_ids``), ``amount`` summed, other columns those of the lowest id."""
    cols = lf.collect_schema().names()
    skip = {"id", "_key", amount}
    aggs = [pl.col("id").min(), pl.col("id").sort().alias("procore_ids")]
    aggs += [pl.col(c).sort_by("id").first() for c in cols if c not in skip]
    if amount is not None:
        aggs.append(pl.col(amount).sum().cast(MONEY))
    return lf.with_columns(procore_key().alias("_key")).group_by("_key").agg(aggs)
