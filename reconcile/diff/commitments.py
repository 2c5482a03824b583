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

import numpy as np
import polars as pl

from mappings import Mappings
from mappings.resolve import cost_code_lookup, project_lookup
from reconcile.canonical import MONEY
from reconcile.diff.frame import detail, exceed, id_list, money_text, rows
from reconcile.diff.linekeys import ITEM_BASE, erp_key, key_text, origin_key, position_key
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
    # A PO group key for the commitment rules: an integer when the line keys are (cheap to group).
    po_group = (pl.col("_k") // ITEM_BASE) if numeric else pl.col("po_number")
    return lines.join(lookup, on=DIMS, how="left", nulls_equal=True).with_columns(po_group.alias("_po"))


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


def _match_sorted(p_keys: pl.Series, e_keys: pl.Series) -> tuple[pl.Series, pl.Series]:
    """For integer keys: each Procore row's ERP row number and whether it matched.

    A binary search over the sorted (unique) ERP keys: about five times cheaper than a hash
    join of a million rows, which is what keeps the line path near a bare join.
    """
    order = e_keys.arg_sort().cast(pl.Int64)
    ordered = e_keys.gather(order)
    at = ordered.search_sorted(p_keys.fill_null(-1)).cast(pl.Int64).clip(0, e_keys.len() - 1)
    hit = (ordered.gather(at) == p_keys).fill_null(False)
    return order.gather(at), hit


def link_lines(
    procore: pl.DataFrame, items: pl.DataFrame, links: pl.DataFrame, numeric: bool
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """Row-number pairs ``_pi, _ei, link`` of linked lines, and the unlinked rows of each side.

    The match runs on (row number, key) only; columns are gathered afterwards for the rows
    that need them, which keeps the million-line path close to a bare join.
    """
    p_rows = pl.int_range(procore.height, dtype=pl.Int64, eager=True).alias("_pi")
    e_rows = pl.int_range(items.height, dtype=pl.Int64, eager=True).alias("_ei")
    if numeric and items.height and procore.height:
        ei, hit = _match_sorted(procore["_k"], items["_k"])
        by_origin = pl.DataFrame([p_rows.filter(hit), ei.filter(hit).alias("_ei")]).with_columns(
            pl.lit("origin_id").alias("link")
        )
        p_only = p_rows.filter(~hit)
        claimed = np.zeros(items.height, dtype=bool)
        claimed[by_origin["_ei"].to_numpy()] = True
        e_only = e_rows.filter(pl.Series(~claimed))
    else:
        joined = pl.DataFrame([p_rows, procore["_k"]]).join(
            pl.DataFrame([e_rows, items["_k"]]), on="_k", how="full", coalesce=False
        )
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
    procore = pc_lines.select(*PROCORE_COLS[:-1], origin_key(numeric)).filter(
        pl.col("project_id").is_in(ctx.active_projects["project_id"].implode())
    )
    items = ctx.drop_inactive(items)
    mapped = items.select(pl.col("project_number").is_not_null() & pl.col("procore_cost_code").is_not_null())
    ok = mapped.to_series()
    pairs, p_only, e_only = link_lines(procore, items, links, numeric)
    pair_ok = ok.gather(pairs["_ei"])
    if pairs.height and np.bincount(pairs["_ei"].to_numpy()).max() > 1:  # cheap test first
        dup = pairs["_ei"].is_duplicated()
    else:
        dup = pl.Series("dup", [False] * pairs.height, pl.Boolean)
    compare = pairs.filter(pair_ok & ~dup)
    amount_p = procore["amount"].gather(compare["_pi"])
    amount_e = items["amount"].gather(compare["_ei"])
    money = pl.DataFrame({"p": amount_p, "e": amount_e})
    amount_off = money.select(exceed((pl.col("e") - pl.col("p")), ctx.tolerance)).to_series()
    code_e = items["procore_cost_code"].gather(compare["_ei"])
    code_p = procore["cost_code"].gather(compare["_pi"])
    code_off = (code_e != code_p).fill_null(True)
    diff = (pl.col("amount_erp") - pl.col("amount")).cast(MONEY)
    refs = {
        "procore_id": pl.col("id"),
        "erp_key": key_text(),
        "link": pl.col("link"),
        "project_rule": ctx.rule_ref("projects.csv", "project_line"),
        "cost_code_rule": ctx.rule_ref("cost_codes.csv", "cost_code_line"),
    }
    line = {"object": "commitment_line", "key": key_text(), "project": pl.col("project_number")}
    out = [
        rows(
            _gather(procore, items, compare.filter(amount_off)).lazy(),
            **line,  # type: ignore[arg-type]
            kind="value_mismatch",
            field="amount",
            erp_value=money_text(pl.col("amount_erp")),
            procore_value=money_text(pl.col("amount")),
            difference=diff,
            rule="commitment_line.amount",
            detail=detail(**refs),
        ),
        rows(
            _gather(procore, items, compare.filter(code_off)).lazy(),
            **line,  # type: ignore[arg-type]
            kind="value_mismatch",
            field="cost_code",
            erp_value=pl.col("procore_cost_code"),
            procore_value=pl.col("cost_code"),
            rule="commitment_line.cost_code",
            detail=detail(**refs),
        ),
    ]
    if dup.any():
        dups = (
            _gather(procore, items, pairs.filter(pair_ok & dup))
            .group_by("_ei")
            .agg(pl.exclude("id", "_ei").first(), pl.col("id").sort().alias("procore_id"))
            .lazy()
        )
        out.append(
            rows(
                dups,
                **line,  # type: ignore[arg-type]
                kind="duplicate",
                procore_value=id_list(),
                rule="commitment_line.duplicate",
                detail=detail(procore_ids=pl.col("procore_id"), erp_key=key_text()),
            )
        )
    projects = ctx.active_projects.lazy().rename({"project_number": "pc_project"})
    out.append(
        rows(
            procore[p_only].lazy().join(projects, on="project_id", how="left"),
            object="commitment_line",
            kind="missing_in_erp",
            key=procore_key(),
            project=pl.col("pc_project"),
            procore_value=money_text(pl.col("amount")),
            difference=-pl.col("amount"),
            rule="commitment_line.missing_in_erp",
            detail=detail(
                procore_id=pl.col("id"), origin_id=pl.col("origin_id"), contract_id=pl.col("contract_id")
            ),
        )
    )
    missing = items[e_only].filter(ok.gather(e_only))
    out.append(
        rows(
            missing.lazy(),
            **line,  # type: ignore[arg-type]
            kind="missing_in_procore",
            erp_value=money_text(pl.col("amount")),
            difference=pl.col("amount"),
            rule="commitment_line.missing_in_procore",
            detail=detail(
                erp_key=key_text(),
                project_rule=ctx.rule_ref("projects.csv", "project_line"),
                cost_code_rule=ctx.rule_ref("cost_codes.csv", "cost_code_line"),
            ),
        )
    )
    out.append(_unmapped(procore, items, ok, pairs, projects))
    return out


def _unmapped(
    procore: pl.DataFrame, items: pl.DataFrame, ok: pl.Series, pairs: pl.DataFrame, projects: pl.LazyFrame
) -> pl.LazyFrame:
    """ERP items no mapping row places: reported, never compared; project from a linked line if any."""
    idx = pl.Series("_ei", range(items.height), pl.Int64).filter(~ok)
    bad = items[idx].with_columns(idx)
    linked = (
        pairs.filter(pl.col("_ei").is_in(idx.implode()))
        .with_columns(procore["project_id"].gather(pairs.filter(pl.col("_ei").is_in(idx.implode()))["_pi"]))
        .lazy()
        .join(projects, on="project_id")
        .group_by("_ei")
        .agg(pl.col("pc_project").first())
    )
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
    return rows(
        bad.lazy().join(linked, on="_ei", how="left"),
        object="commitment_line",
        kind="unmapped",
        key=key_text(),
        project=pl.coalesce(pl.col("project_number"), pl.col("pc_project")),
        erp_value=money_text(pl.col("amount")),
        rule=pl.when(pl.col("project_number").is_null())
        .then(pl.lit("mapping.project"))
        .otherwise(pl.lit("mapping.cost_code")),
        detail=detail(erp_key=key_text(), reason=reason, dimensions=dims),
    )
