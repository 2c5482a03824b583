"""The resolution rules of the mapping tables, vectorised in Polars.

Records run to millions of lines but carry few distinct (WBS, GL, cost center) values, so
each rule is resolved once per distinct value into a small lookup frame, which the engine
joins back onto the records. Ancestry: a WBS element's ancestors come from the ERP's parent
table when it lists the element, else from its ``-`` segments (``P-1001-02`` is below
``P-1001``).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from mappings.errors import MappingError
from mappings.load import Mappings

#: The distance a wildcard wbs_element cell sits at: farther than any real ancestor.
WILDCARD_DISTANCE = 1_000_000


def _prefix_chain(element: str) -> list[str]:
    parts = element.split("-")
    return ["-".join(parts[:k]) for k in range(len(parts), 0, -1)]


def wbs_ancestors(elements: Iterable[str], erp_wbs: pl.DataFrame | None = None) -> pl.DataFrame:
    """``wbs_element, ancestor, distance`` for each element and every ancestor (itself at 0)."""
    parent: dict[str, str | None] = {}
    project: dict[str, str | None] = {}
    if erp_wbs is not None and erp_wbs.height:
        for wbs, par, proj in erp_wbs.select("wbs_element", "parent_wbs", "project").iter_rows():
            parent[wbs] = par
            project[wbs] = proj
    out_e: list[str] = []
    out_a: list[str] = []
    out_d: list[int] = []
    for element in elements:
        if element is None:
            continue
        if element in parent:
            chain: list[str] = []
            node: str | None = element
            while node is not None and node not in chain:
                chain.append(node)
                node = parent.get(node)
            proj = project.get(element)
            if proj and proj not in chain:
                chain.append(proj)
        else:
            chain = _prefix_chain(element)
        out_e.extend([element] * len(chain))
        out_a.extend(chain)
        out_d.extend(range(len(chain)))
    return pl.DataFrame(
        {"wbs_element": out_e, "ancestor": out_a, "distance": out_d},
        schema={"wbs_element": pl.String, "ancestor": pl.String, "distance": pl.Int64},
    )


def project_lookup(elements: pl.Series, m: Mappings, erp_wbs: pl.DataFrame | None = None) -> pl.DataFrame:
    """``wbs_element, project_number, project_line``: the nearest listed ancestor's project."""
    anc = wbs_ancestors(elements.drop_nulls().unique().to_list(), erp_wbs)
    rules = m.projects.select(
        pl.col("wbs_element").alias("ancestor"),
        pl.col("procore_project_number").alias("project_number"),
        pl.col("line").alias("project_line"),
    )
    return (
        anc.join(rules, on="ancestor")
        .sort("wbs_element", "distance")
        .unique("wbs_element", keep="first", maintain_order=True)
        .select("wbs_element", "project_number", "project_line")
    )


def resolve_projects(
    frame: pl.DataFrame, m: Mappings, *, wbs_column: str = "wbs_element", erp_wbs: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``frame`` with ``project_number`` and ``project_line`` (null where no row matches)."""
    lookup = project_lookup(frame[wbs_column], m, erp_wbs).rename({"wbs_element": wbs_column})
    return frame.join(lookup, on=wbs_column, how="left")


KEYS = ("gl_account", "cost_center", "wbs_element")


def cost_code_lookup(combos: pl.DataFrame, m: Mappings, erp_wbs: pl.DataFrame | None = None) -> pl.DataFrame:
    """For distinct ``gl_account, cost_center, wbs_element`` combos: the winning cost-code row.

    Returns the combos with ``procore_cost_code`` and ``cost_code_line`` (null when no row
    matches). Two equally specific matching rows with different codes raise ``MappingError``.
    """
    combos = combos.select(pl.col(k).cast(pl.String) for k in KEYS).unique()
    anc = wbs_ancestors(combos["wbs_element"].drop_nulls().unique().to_list(), erp_wbs)
    # Every combo also meets the rows whose wbs_element is blank, at the wildcard distance.
    expanded = pl.concat(
        [
            combos.join(anc, on="wbs_element", how="inner"),
            combos.with_columns(
                pl.lit(None, pl.String).alias("ancestor"),
                pl.lit(WILDCARD_DISTANCE, pl.Int64).alias("distance"),
            ),
        ]
    )
    rules = m.cost_codes.select(
        pl.col("gl_account").alias("r_gl"),
        pl.col("cost_center").alias("r_cc"),
        pl.col("wbs_element").alias("ancestor"),
        "procore_cost_code",
        pl.col("line").alias("cost_code_line"),
        (
            pl.col("gl_account").is_not_null().cast(pl.Int64)
            + pl.col("cost_center").is_not_null().cast(pl.Int64)
            + pl.col("wbs_element").is_not_null().cast(pl.Int64)
        ).alias("specificity"),
    )
    matches = expanded.join(rules, on="ancestor", how="inner", nulls_equal=True).filter(
        (pl.col("r_gl").is_null() | (pl.col("r_gl") == pl.col("gl_account")))
        & (pl.col("r_cc").is_null() | (pl.col("r_cc") == pl.col("cost_center")))
    )
    # One sortable score: more non-blank cells first, then the nearer (deeper) wbs_element.
    score = pl.col("specificity") * -(10 * WILDCARD_DISTANCE) + pl.col("distance")
    ranked = matches.with_columns(score.alias("score")).filter(
        pl.col("score") == pl.col("score").min().over(KEYS)
    )
    _raise_on_ties(ranked, m)
    best = (
        ranked.sort("cost_code_line")
        .unique(KEYS, keep="first")
        .select(*KEYS, "procore_cost_code", "cost_code_line")
    )
    return combos.join(best, on=list(KEYS), how="left", nulls_equal=True)


def _raise_on_ties(top: pl.DataFrame, m: Mappings) -> None:
    clash = (
        top.group_by(KEYS)
        .agg(
            pl.col("procore_cost_code").n_unique().alias("codes"),
            pl.col("cost_code_line").sort().alias("lines"),
        )
        .filter(pl.col("codes") > 1)
    )
    if clash.height:
        gl, cc, wbs, _codes, lines = clash.sort("lines").row(0)
        record = ", ".join(f"{k}={v}" for k, v in zip(KEYS, (gl, cc, wbs), strict=True) if v is not None)
        raise MappingError(
            m.file("cost_codes.csv"),
            lines[0],
            f"two equally specific rows match {record or 'a record'} with different cost codes "
            f"(lines {lines[0]} and {lines[1]}).",
        )


def resolve_cost_codes(
    frame: pl.DataFrame,
    m: Mappings,
    *,
    gl_column: str = "gl_account",
    cost_center_column: str = "cost_center",
    wbs_column: str = "wbs_element",
    erp_wbs: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``frame`` with ``procore_cost_code`` and ``cost_code_line`` from ``cost_codes.csv``."""
    names = {gl_column: "gl_account", cost_center_column: "cost_center", wbs_column: "wbs_element"}
    combos = frame.select([pl.col(src).alias(dst) for src, dst in names.items()])
    lookup = cost_code_lookup(combos, m, erp_wbs).rename({v: k for k, v in names.items()})
    return frame.join(lookup, on=list(names), how="left", nulls_equal=True)
