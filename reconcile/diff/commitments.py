"""Commitment lines: the high-volume path, vectorised end to end.

ERP lines are SAP account assignments; an item with several is one line whose amount is
their sum and whose WBS/GL/cost center (hence project and cost code) are those of the
largest assignment. Procore lines link by ``origin_id`` = ``PO/item``; failing that, by
position p → item p × 10 of the PO their contract links to, among the ERP items no
``origin_id`` claimed. Unmapped ERP lines are reported as ``unmapped`` instead of
``missing_in_procore`` (we cannot say where in Procore they belong) but are still compared
when a Procore line links to them.

Cost: one full join of the two sides on the line key, plus work on the few unmatched and
reported rows; the key is an integer when the ERP's keys allow (see ``linekeys``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from mappings import Mappings
from mappings.resolve import cost_code_lookup, project_lookup
from reconcile.canonical import MONEY
from reconcile.diff.frame import detail, exceed, money_text, rows
from reconcile.diff.linekeys import erp_key, key_text, origin_key, position_key
from reconcile.diff.vendors import procore_key

DIMS = ["wbs_element", "gl_account", "cost_center"]
PROCORE_COLS = ["id", "contract_id", "project_id", "position", "cost_code", "amount", "origin_id", "_k"]


@dataclass(frozen=True)
class Context:
    """What every object's rules share: mappings, active projects, tolerance."""

    mappings: Mappings
    tolerance: Decimal
    active_projects: pl.DataFrame  # project_id, project_number
    inactive_numbers: pl.Series
    erp_wbs: pl.DataFrame | None

    def rule_ref(self, file: str, line_column: str) -> pl.Expr:
        """``mappings/x.csv line N`` for a row's mapping line (null when none was used)."""
        return pl.when(pl.col(line_column).is_not_null()).then(
            pl.lit(self.mappings.file(file) + " line ") + pl.col(line_column).cast(pl.String)
        )

    def drop_inactive(self, frame: pl.DataFrame, column: str = "project_number") -> pl.DataFrame:
        """Leave out ERP rows mapped to a Procore project that is not active."""
        if self.inactive_numbers.len() == 0:
            return frame
        return frame.filter(~pl.col(column).is_in(self.inactive_numbers.implode()).fill_null(False))


def mapping_lookup(combos: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Distinct WBS/GL/cost-center combos with their project and cost code (and the rows used)."""
    combos = combos.select(DIMS).unique()
    projects = project_lookup(combos["wbs_element"], ctx.mappings, ctx.erp_wbs)
    codes = cost_code_lookup(combos, ctx.mappings, ctx.erp_wbs)
    return codes.join(projects, on="wbs_element", how="left")


def erp_items(lines: pl.DataFrame, ctx: Context, numeric: bool) -> pl.DataFrame:
    """One row per PO item: key ``_k``, amount, the largest assignment's dimensions, mapping.

    Items of inactive projects are still here (a PO's project comes from its items); the
    line rules drop them.
    """
    lines = lines.select("po_number", "item", pl.col("amount").cast(MONEY), *DIMS, erp_key(numeric))
    if lines["_k"].n_unique() < lines.height:  # n_unique is far cheaper than is_duplicated
        split = lines["_k"].is_duplicated()
        biggest = pl.col("amount").arg_max()
        merged = (
            lines.filter(split)
            .group_by("_k")
            .agg(
                pl.col("po_number").first(),
                pl.col("item").first(),
                pl.col("amount").sum().cast(MONEY),
                *(pl.col(c).get(biggest) for c in DIMS),
            )
            .select(lines.columns)
        )
        lines = pl.concat([lines.filter(~split), merged])
    lookup = mapping_lookup(lines.select(DIMS), ctx)
    return lines.join(lookup, on=DIMS, how="left", nulls_equal=True)


def commitment_links(commitments: pl.DataFrame, po_numbers: pl.Series) -> pl.DataFrame:
    """``contract_id, po_number, link`` for Procore contracts that link to an ERP PO."""
    pos = po_numbers.implode()
    return commitments.select(
        pl.col("id").alias("contract_id"),
        pl.when(pl.col("origin_id").is_in(pos))
        .then(pl.col("origin_id"))
        .when(pl.col("number").is_in(pos))
        .then(pl.col("number"))
        .alias("po_number"),
        pl.when(pl.col("origin_id").is_in(pos))
        .then(pl.lit("origin_id"))
        .when(pl.col("number").is_in(pos))
        .then(pl.lit("number"))
        .alias("link"),
    ).filter(pl.col("po_number").is_not_null())


def link_lines(
    procore: pl.DataFrame, items: pl.DataFrame, links: pl.DataFrame, numeric: bool
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """Row-number pairs ``_pi, _ei, link`` of linked lines, and the unlinked rows of each side.

    The join runs on narrow (row number, key) frames; columns are gathered afterwards only
    for the rows that need them, which keeps the million-line path close to a bare join.
    """
    p_keys = procore.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_pi"), "_k")
    e_keys = items.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_ei"), "_k")
    joined = p_keys.join(e_keys, on="_k", how="full", coalesce=False)
    has_p, has_e = pl.col("_pi").is_not_null(), pl.col("_ei").is_not_null()
    by_origin = joined.filter(has_p & has_e).select("_pi", "_ei", pl.lit("origin_id").alias("link"))
    p_only = joined.filter(~has_e)["_pi"]
    e_only = joined.filter(~has_p)["_ei"]
    # Fallback: position p → item p × 10 of the contract's PO, among items no origin_id claimed.
    fallback = (
        procore[p_only]
        .select(pl.Series("_pi", p_only), "contract_id", "position")
        .join(links.select("contract_id", pl.col("po_number").alias("_po")), on="contract_id", how="inner")
        .select("_pi", position_key(numeric))
        .join(items[e_only].select(pl.Series("_ei", e_only), "_k"), on="_k", how="inner")
        .select("_pi", "_ei", pl.lit("position").alias("link"))
    )
    if fallback.height:
        p_only = p_only.filter(~p_only.is_in(fallback["_pi"].implode()))
        e_only = e_only.filter(~e_only.is_in(fallback["_ei"].implode()))
    return pl.concat([by_origin, fallback]), p_only, e_only


def _gather(procore: pl.DataFrame, items: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Both sides' columns side by side for the given pairs (ERP amount as ``amount_erp``)."""
    p = procore[pairs["_pi"]]
    e = items[pairs["_ei"]].drop("_k").rename({"amount": "amount_erp"})
    return pl.concat([p, e, pairs.select("link", "_ei")], how="horizontal")


def diff_commitment_lines(
    pc_lines: pl.DataFrame, items: pl.DataFrame, links: pl.DataFrame, ctx: Context, numeric: bool
) -> list[pl.LazyFrame]:
    """Commitment-line exceptions over ``erp_items`` and the contract links."""
    procore = pc_lines.filter(pl.col("project_id").is_in(ctx.active_projects["project_id"].implode())).select(
        *PROCORE_COLS[:-1], origin_key(numeric)
    )
    items = ctx.drop_inactive(items)
    pairs, p_only, e_only = link_lines(procore, items, links, numeric)
    extras = pl.DataFrame()
    if pairs["_ei"].n_unique() < pairs.height:
        dup = pairs["_ei"].is_duplicated()
        # Several Procore lines on one ERP item: the lowest Procore id is compared, the rest reported.
        ranked = pairs.filter(dup).with_columns(procore["id"].gather(pairs.filter(dup)["_pi"]).alias("_id"))
        ranked = ranked.with_columns((pl.col("_id") != pl.col("_id").min().over("_ei")).alias("_extra"))
        extras = _gather(procore, items, ranked.drop("_id", "_extra")).with_columns(ranked["_extra"])
        pairs = pl.concat([pairs.filter(~dup), ranked.filter(~pl.col("_extra")).select(pairs.columns)])
    amount_p = procore["amount"].gather(pairs["_pi"])
    amount_e = items["amount"].gather(pairs["_ei"])
    money = pl.DataFrame({"p": amount_p, "e": amount_e})
    amount_off = money.select(exceed((pl.col("e") - pl.col("p")), ctx.tolerance)).to_series()
    code_e = items["procore_cost_code"].gather(pairs["_ei"])
    code_p = procore["cost_code"].gather(pairs["_pi"])
    code_off = (code_e.is_not_null() & (code_e != code_p)).fill_null(True)
    diff = (pl.col("amount_erp") - pl.col("amount")).cast(MONEY)
    projects = ctx.active_projects.lazy()
    refs = dict(
        procore_id=pl.col("id"),
        erp_key=key_text(),
        link=pl.col("link"),
        project_rule=ctx.rule_ref("projects.csv", "project_line"),
        cost_code_rule=ctx.rule_ref("cost_codes.csv", "cost_code_line"),
    )

    def with_project(frame: pl.DataFrame) -> pl.LazyFrame:
        return frame.lazy().join(
            projects.rename({"project_number": "project_number_p"}), on="project_id", how="left"
        )

    out = [
        rows(
            with_project(_gather(procore, items, pairs.filter(amount_off))),
            object="commitment_line",
            key=key_text(),
            project=pl.col("project_number_p"),
            kind="value_mismatch",
            field="amount",
            erp_value=money_text(pl.col("amount_erp")),
            procore_value=money_text(pl.col("amount")),
            difference=diff,
            rule="commitment_line.amount",
            detail=detail(**refs),
        ),
        rows(
            with_project(_gather(procore, items, pairs.filter(code_off))),
            object="commitment_line",
            key=key_text(),
            project=pl.col("project_number_p"),
            kind="value_mismatch",
            field="cost_code",
            erp_value=pl.col("procore_cost_code"),
            procore_value=pl.col("cost_code"),
            rule="commitment_line.cost_code",
            detail=detail(**refs),
        ),
    ]
    if extras.height:
        grouped = (
            with_project(extras)
            .group_by("_ei")
            .agg(
                pl.col("po_number").first(),
                pl.col("item").first(),
                pl.col("project_number_p").first(),
                pl.col("id").sort(),
                pl.col("amount").filter(pl.col("_extra")).sum().cast(MONEY).alias("extra"),
            )
        )
        out.append(
            rows(
                grouped,
                object="commitment_line",
                key=key_text(),
                project=pl.col("project_number_p"),
                kind="duplicate",
                procore_value=pl.lit("procore ids ") + pl.col("id").cast(pl.List(pl.String)).list.join(", "),
                difference=-pl.col("extra"),
                rule="commitment_line.duplicate",
                detail=detail(procore_ids=pl.col("id"), erp_key=key_text()),
            )
        )
    out.append(
        rows(
            with_project(procore[p_only]),
            object="commitment_line",
            kind="missing_in_erp",
            key=procore_key(),
            project=pl.col("project_number_p"),
            procore_value=money_text(pl.col("amount")),
            difference=-pl.col("amount"),
            rule="commitment_line.missing_in_erp",
            detail=detail(
                procore_id=pl.col("id"), origin_id=pl.col("origin_id"), contract_id=pl.col("contract_id")
            ),
        )
    )
    out += _erp_side(items, items[e_only], ctx)
    return out


def _erp_side(items: pl.DataFrame, erp_only: pl.DataFrame, ctx: Context) -> list[pl.LazyFrame]:
    mapped = pl.col("project_number").is_not_null() & pl.col("procore_cost_code").is_not_null()
    dims = pl.concat_str(
        pl.lit("WBS "),
        pl.col("wbs_element").fill_null("-"),
        pl.lit(", GL "),
        pl.col("gl_account").fill_null("-"),
        pl.lit(", cost center "),
        pl.col("cost_center").fill_null("-"),
    )
    reason = (
        pl.when(pl.col("project_number").is_null())
        .then(pl.lit("no row of projects.csv matches the WBS element"))
        .otherwise(pl.lit("no row of cost_codes.csv matches"))
    )
    return [
        rows(
            erp_only.lazy().filter(mapped),
            object="commitment_line",
            kind="missing_in_procore",
            key=key_text(),
            project=pl.col("project_number"),
            erp_value=money_text(pl.col("amount")),
            difference=pl.col("amount"),
            rule="commitment_line.missing_in_procore",
            detail=detail(
                erp_key=key_text(),
                project_rule=ctx.rule_ref("projects.csv", "project_line"),
                cost_code_rule=ctx.rule_ref("cost_codes.csv", "cost_code_line"),
            ),
        ),
        rows(
            items.lazy().filter(~mapped),
            object="commitment_line",
            kind="unmapped",
            key=key_text(),
            project=pl.col("project_number"),
            erp_value=dims,
            rule=pl.when(pl.col("project_number").is_null())
            .then(pl.lit("mapping.project"))
            .otherwise(pl.lit("mapping.cost_code")),
            detail=detail(erp_key=key_text(), reason=reason, amount=money_text(pl.col("amount"))),
        ),
    ]
