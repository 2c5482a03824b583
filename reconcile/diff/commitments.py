"""Commitment lines: the high-volume path, vectorised end to end.

ERP lines are account assignments (SAP) or distributions (EBS, PeopleSoft); a line with
several is one line whose amount is their sum and whose dimensions (hence project and cost
code) are those of the largest. Which dimensions a line carries is the ERP's declaration
(``ErpShape``, via ``Mappings.shape``). Procore lines link by ``origin_id`` = ``PO/item``;
failing that, by position p → the item the declaration pairs with p (SAP p × 10) of the PO
their contract links to, among the ERP items no ``origin_id`` claimed. Unmapped ERP lines are reported as ``unmapped`` instead of
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

from adapters.erp_shape import ErpShape, LineKeys
from mappings import Mappings
from mappings.resolve import cost_code_lookup, project_lookup
from reconcile.canonical import MONEY
from reconcile.diff.frame import detail, exceed, id_list, money_text, rows
from reconcile.diff.linekeys import ITEM_BASE, erp_key, key_text, origin_key, position_key
from reconcile.diff.vendors import procore_only


def dims_hash(dims: list[str]) -> pl.Expr:
    """One integer per combination of the ERP's dimensions, for the mapping lookup's join."""
    return pl.struct(dims).hash(seed=0).alias("_dims")


PROCORE_COLS = ["id", "contract_id", "project_id", "position", "cost_code", "amount", "origin_id", "_k"]


@dataclass(frozen=True)
class Context:
    """What every object's rules share: mappings, active projects, tolerance."""

    mappings: Mappings
    tolerance: Decimal
    active_projects: pl.DataFrame  # project_id, project_number
    inactive_numbers: pl.Series
    hierarchy: pl.DataFrame | None  # erp_hierarchy
    currency: str = "USD"  # the Procore projects' currency: amounts in another are not compared
    #: ``po_number, erp_currency``: the POs in a currency other than ``currency``.
    foreign: pl.DataFrame | None = None

    @property
    def shape(self) -> ErpShape:
        """The ERP's declaration: its record columns, keys and labels."""
        return self.mappings.shape

    @property
    def dims(self) -> list[str]:
        """The columns that place an ERP record (project key first)."""
        return list(self.shape.columns)

    def foreign_pos(self) -> pl.Series:
        """PO numbers in another currency (empty when none)."""
        if self.foreign is None:
            return pl.Series("po_number", [], pl.String)
        return self.foreign["po_number"]

    def rule_ref(self, file: str, line_column: str) -> pl.Expr:
        """``mappings/x.csv line N`` for a row's mapping line (null when none was used)."""
        return pl.when(pl.col(line_column).is_not_null()).then(
            pl.lit(self.mappings.file(file) + " line ") + pl.col(line_column).cast(pl.String)
        )

    def _active(self, column: str) -> pl.Expr:
        return ~pl.col(column).is_in(self.inactive_numbers.implode()).fill_null(False)

    def active_rows(self, frame: pl.DataFrame, column: str = "project_number") -> pl.Series:
        """True for rows not mapped to an inactive Procore project (``drop_inactive`` as a mask)."""
        if self.inactive_numbers.len() == 0:
            return pl.repeat(True, frame.height, dtype=pl.Boolean, eager=True).alias("active")
        return frame.select(self._active(column).alias("active")).to_series()

    def drop_inactive(self, frame: pl.DataFrame, column: str = "project_number") -> pl.DataFrame:
        """Leave out ERP rows mapped to a Procore project that is not active."""
        if self.inactive_numbers.len() == 0:
            return frame
        return frame.filter(self._active(column))


def mapping_lookup(combos: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Distinct dimension combos with their project and cost code (and the rows used)."""
    combos = combos.select(ctx.dims).unique()
    key = ctx.shape.project.column
    projects = project_lookup(combos[key], ctx.mappings, ctx.hierarchy)
    codes = cost_code_lookup(combos, ctx.mappings, ctx.hierarchy)
    return codes.join(projects, on=key, how="left")


@dataclass(frozen=True)
class KeyedLines:
    """Both sides' commitment lines with their match keys, and what is summed or looked up from them."""

    erp: pl.DataFrame  # po_number, item, amount, dims, _k (one row per account assignment)
    combos: pl.DataFrame  # the distinct dims of the ERP lines
    procore: pl.DataFrame  # PROCORE_COLS, lines of active projects only
    procore_sums: pl.DataFrame  # contract_id, procore_amount (every line)
    numeric: bool  # integer keys (see ``linekeys``)
    hashed: bool  # the dims hash ``_dims`` tells every combo apart
    dims: tuple[str, ...] = ()


def key_lines(pc_lines: pl.DataFrame, erp_lines: pl.DataFrame, ctx: Context) -> KeyedLines:
    """Parse both sides' keys and sum Procore's contracts in one parallel pass.

    Why one ``collect_all``: each key parse is a single-threaded pass over a million
    strings; run as separate queries they use one core each, which is what keeps the
    line path within twice a bare (multi-threaded) join.
    """

    dims = ctx.dims

    def jobs(numeric: bool) -> list[pl.LazyFrame]:
        erp_cols: list[pl.Expr | str] = [
            "po_number",
            "item",
            pl.col("amount").cast(MONEY),
            *dims,
            dims_hash(dims),
            erp_key(numeric),
        ]
        active = ctx.active_projects["project_id"].implode()
        return [
            erp_lines.lazy().select(*erp_cols),
            pc_lines.lazy()
            .select(*PROCORE_COLS[:-1], origin_key(numeric))
            .filter(pl.col("project_id").is_in(active)),
        ]

    # Integer keys only where the ERP declares digit keys of a fixed form (SAP).
    integer = ctx.shape.keys.numeric
    erp, procore, combos, sums = pl.collect_all(
        [
            *jobs(integer),
            erp_lines.lazy().select(dims).unique(),
            pc_lines.lazy()
            .group_by("contract_id")
            .agg(pl.col("amount").sum().cast(MONEY).alias("procore_amount")),
        ]
    )
    numeric = integer and erp.height > 0 and erp["_k"].null_count() == 0
    if integer and not numeric:  # keys that are not all digits: match on the text instead
        erp, procore = pl.collect_all(jobs(False))
    # As many hashes as distinct combos means no two combos share one: the lookup may join
    # on the hash (one integer) instead of three strings. Otherwise it joins on the strings.
    hashed = erp["_dims"].n_unique() == combos.height
    return KeyedLines(erp, combos, procore, sums, numeric, hashed, tuple(dims))


def merge_assignments(keyed: KeyedLines) -> pl.DataFrame:
    """One row per PO item: an item with several account assignments is their sum, with the
    dimensions of the largest."""
    lines = keyed.erp
    if lines["_k"].n_unique() == lines.height:  # n_unique is far cheaper than is_duplicated
        return lines
    split = lines["_k"].is_duplicated()
    biggest = pl.col("amount").arg_max()
    merged = (
        lines.filter(split)
        .group_by("_k")
        .agg(
            pl.col("po_number").first(),
            pl.col("item").first(),
            pl.col("amount").sum().cast(MONEY),
            *(pl.col(c).get(biggest) for c in [*keyed.dims, "_dims"]),
        )
        .select(lines.columns)
    )
    return pl.concat([lines.filter(~split), merged])


def erp_items(lines: pl.DataFrame, keyed: KeyedLines, ctx: Context) -> pl.DataFrame:
    """``merge_assignments``' rows, in the same order, with their project and cost code.

    Items of inactive projects are still here (a PO's project comes from its items); the
    line rules leave them out.
    """
    # ``_pj``: the project as a small integer, so per-PO "one project?" checks compare ints.
    lookup = mapping_lookup(keyed.combos, ctx).with_columns(
        pl.col("project_number").rank("dense").cast(pl.UInt32).alias("_pj")
    )
    # A PO group key for the commitment rules: an integer when the line keys are (cheap to group).
    po_group = (pl.col("_k") // ITEM_BASE) if keyed.numeric else pl.col("po_number")
    dims = list(keyed.dims)
    if keyed.hashed:
        joined = lines.join(
            lookup.with_columns(pl.col(dims).cast(pl.String)).with_columns(dims_hash(dims)).drop(dims),
            on="_dims",
            how="left",
            maintain_order="left",
        )
    else:
        joined = lines.join(lookup, on=dims, how="left", nulls_equal=True, maintain_order="left")
    return joined.drop("_dims").with_columns(po_group.alias("_po"))


def commitment_links(
    commitments: pl.DataFrame, po_numbers: pl.Series, number_prefix: str = ""
) -> pl.DataFrame:
    """``contract_id, po_number, link`` for Procore contracts that link to an ERP PO.

    ``number_prefix``: what the ERP's key carries before a contract's ``number`` (PeopleSoft's
    business unit), so the bare number links within it.
    """
    pos = po_numbers.implode()
    number = pl.lit(number_prefix) + pl.col("number") if number_prefix else pl.col("number")
    return commitments.select(
        pl.col("id").alias("contract_id"),
        pl.when(pl.col("origin_id").is_in(pos))
        .then(pl.col("origin_id"))
        .when(number.is_in(pos))
        .then(number)
        .alias("po_number"),
        pl.when(pl.col("origin_id").is_in(pos))
        .then(pl.lit("origin_id"))
        .when(number.is_in(pos))
        .then(pl.lit("number"))
        .alias("link"),
    ).filter(pl.col("po_number").is_not_null())


def _match_sorted(p_keys: pl.Series, e_keys: pl.Series) -> tuple[pl.Series, pl.Series]:
    """For integer keys: each Procore row's ERP row number and whether it matched.

    A binary search over the sorted (unique) ERP keys: several times cheaper than a hash
    join of a million rows. NumPy's search frees the GIL, so it overlaps the work on the
    main thread (see ``reconcile.diff.diff``). ERP keys are positive: -1 matches nothing.
    """
    order = e_keys.arg_sort().cast(pl.Int64)
    ordered = e_keys.gather(order).to_numpy()
    wanted = p_keys.fill_null(-1).to_numpy()
    at = np.searchsorted(ordered, wanted).clip(0, len(ordered) - 1)
    hit = ordered[at] == wanted
    return order.gather(pl.Series(at, dtype=pl.Int64)), pl.Series(hit)


@dataclass(frozen=True)
class OriginMatch:
    """Lines linked by ``origin_id`` (row numbers ``_pi, _ei, link``) and the rows left over."""

    pairs: pl.DataFrame
    p_only: pl.Series
    e_only: pl.Series


def match_by_origin(p_keys: pl.Series, e_keys: pl.Series, numeric: bool) -> OriginMatch:
    """Link Procore rows to ERP item rows whose key their ``origin_id`` names.

    The match runs on (row number, key) only; columns are gathered afterwards for the rows
    that need them, which keeps the million-line path close to a bare join.
    """
    p_rows = pl.int_range(p_keys.len(), dtype=pl.Int64, eager=True).alias("_pi")
    e_rows = pl.int_range(e_keys.len(), dtype=pl.Int64, eager=True).alias("_ei")
    if numeric and e_keys.len() and p_keys.len():
        ei, hit = _match_sorted(p_keys, e_keys)
        pairs = pl.DataFrame([p_rows.filter(hit), ei.filter(hit).alias("_ei")]).with_columns(
            pl.lit("origin_id").alias("link")
        )
        claimed = np.zeros(e_keys.len(), dtype=bool)
        claimed[pairs["_ei"].to_numpy()] = True
        return OriginMatch(pairs, p_rows.filter(~hit), e_rows.filter(pl.Series(~claimed)))
    joined = pl.DataFrame([p_rows, p_keys.alias("_k")]).join(
        pl.DataFrame([e_rows, e_keys.alias("_k")]), on="_k", how="full", coalesce=False
    )
    has_p, has_e = pl.col("_pi").is_not_null(), pl.col("_ei").is_not_null()
    pairs = joined.filter(has_p & has_e).select("_pi", "_ei", pl.lit("origin_id").alias("link"))
    return OriginMatch(pairs, joined.filter(~has_e)["_pi"], joined.filter(~has_p)["_ei"])


def link_lines(
    procore: pl.DataFrame,
    items: pl.DataFrame,
    links: pl.DataFrame,
    numeric: bool,
    origin: OriginMatch,
    active: pl.Series,
    keys: LineKeys,
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """Row-number pairs ``_pi, _ei, link`` of linked lines, and the unlinked rows of each side.

    ERP items of inactive projects take no part: a Procore line whose ``origin_id`` names
    one is unlinked (and may still link by position), and the item is not reported.
    """
    by_origin, p_only, e_only = origin.pairs, origin.p_only, origin.e_only
    if not active.all():
        keep = active.gather(by_origin["_ei"])
        p_only = pl.concat([p_only, by_origin["_pi"].filter(~keep)]).sort()
        by_origin = by_origin.filter(keep)
        e_only = e_only.filter(active.gather(e_only))
    # Fallback: position p → the item the ERP pairs with p, of the contract's PO, among items
    # no origin_id claimed.
    fallback = (
        procore[p_only]
        .select(pl.Series("_pi", p_only), "contract_id", "position")
        .join(links.select("contract_id", pl.col("po_number").alias("_po")), on="contract_id", how="inner")
        .select("_pi", position_key(numeric, keys))
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
    # An ERP dimension may share a Procore column's name (PeopleSoft's project_id); the rules
    # need only the ERP side's mapped values here, so its raw dimensions give way.
    e = e.drop([c for c in e.columns if c in p.columns])
    return pl.concat([p, e, pairs.select("link", "_ei")], how="horizontal")


def diff_commitment_lines(
    keyed: KeyedLines, items: pl.DataFrame, links: pl.DataFrame, ctx: Context, origin: OriginMatch
) -> list[pl.LazyFrame]:
    """Commitment-line exceptions over ``erp_items``, the contract links and the origin match."""
    procore, numeric = keyed.procore, keyed.numeric
    active = ctx.active_rows(items)
    mapped = items.select(pl.col("project_number").is_not_null() & pl.col("procore_cost_code").is_not_null())
    ok = mapped.to_series()
    pairs, p_only, e_only = link_lines(procore, items, links, numeric, origin, active, ctx.shape.keys)
    pair_ok = ok.gather(pairs["_ei"])
    # Lines of a PO in another currency: compared for their cost code, never for their amount.
    foreign = ctx.foreign_pos()
    same_currency = (
        ~items["po_number"].is_in(foreign.implode())
        if foreign.len()
        else pl.repeat(True, items.height, eager=True)
    )
    if pairs.height and np.bincount(pairs["_ei"].to_numpy()).max() > 1:  # cheap test first
        dup = pairs["_ei"].is_duplicated()
    else:
        dup = pl.repeat(False, pairs.height, dtype=pl.Boolean, eager=True).alias("dup")
    compare = pairs.filter(pair_ok & ~dup)
    # Both comparisons in one query: Polars runs the amount and the cost-code gathers side by side.
    ei, pi = pl.col("_ei"), pl.col("_pi")
    off = exceed(pl.lit(items["amount"]).gather(ei) - pl.lit(procore["amount"]).gather(pi), ctx.tolerance)
    if foreign.len():
        off = off & pl.lit(same_currency).gather(ei)
    amount_off, code_off = (
        compare.lazy()
        .select(
            off.alias("amount_off"),
            pl.lit(items["procore_cost_code"])
            .gather(ei)
            .ne(pl.lit(procore["cost_code"]).gather(pi))
            .fill_null(True)
            .alias("code_off"),
        )
        .collect()
    )
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
            procore_only(procore[p_only].lazy().join(projects, on="project_id", how="left"), "amount"),
            object="commitment_line",
            kind="missing_in_erp",
            key=pl.col("_key"),
            project=pl.col("pc_project"),
            procore_value=money_text(pl.col("amount")),
            difference=-pl.col("amount"),
            rule="commitment_line.missing_in_erp",
            detail=detail(
                procore_id=pl.col("id"),
                procore_ids=pl.col("procore_ids"),
                origin_id=pl.col("origin_id"),
                contract_id=pl.col("contract_id"),
            ),
        )
    )
    missing = (
        items[e_only]
        .filter(ok.gather(e_only))
        .with_columns(same_currency.gather(e_only).filter(ok.gather(e_only)).alias("_same"))
    )
    out.append(
        rows(
            missing.lazy(),
            **line,  # type: ignore[arg-type]
            kind="missing_in_procore",
            erp_value=money_text(pl.col("amount")),
            # A difference only in the Procore currency: the totals tie per currency.
            difference=pl.when(pl.col("_same")).then(pl.col("amount")),
            rule="commitment_line.missing_in_procore",
            detail=detail(
                erp_key=key_text(),
                project_rule=ctx.rule_ref("projects.csv", "project_line"),
                cost_code_rule=ctx.rule_ref("cost_codes.csv", "cost_code_line"),
            ),
        )
    )
    out.append(_unmapped(procore, items, ~ok & active, pairs, projects, ctx.shape))
    return out


def dimension_text(shape: ErpShape) -> pl.Expr:
    """``WBS P-1, GL 51000000, cost center -``: where an ERP record sits, in the ERP's words."""
    parts: list[pl.Expr] = []
    for i, column in enumerate(shape.columns):
        prefix = ("" if i == 0 else ", ") + shape.dimension(column).short + " "
        parts += [pl.lit(prefix), pl.col(column).fill_null("-")]
    return pl.concat_str(parts)


def _unmapped(
    procore: pl.DataFrame,
    items: pl.DataFrame,
    unplaced: pl.Series,
    pairs: pl.DataFrame,
    projects: pl.LazyFrame,
    shape: ErpShape,
) -> pl.LazyFrame:
    """ERP items no mapping row places: reported, never compared; project from a linked line if any."""
    idx = pl.Series("_ei", range(items.height), pl.Int64).filter(unplaced)
    bad = items[idx].with_columns(idx)
    linked = (
        pairs.filter(pl.col("_ei").is_in(idx.implode()))
        .with_columns(procore["project_id"].gather(pairs.filter(pl.col("_ei").is_in(idx.implode()))["_pi"]))
        .lazy()
        .join(projects, on="project_id")
        .group_by("_ei")
        .agg(pl.col("pc_project").first())
    )
    reason = (
        pl.when(pl.col("project_number").is_null())
        .then(pl.lit(f"no row of projects.csv matches the {shape.project.label}"))
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
        detail=detail(erp_key=key_text(), reason=reason, dimensions=dimension_text(shape)),
    )
