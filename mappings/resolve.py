"""The resolution rules of the mapping tables, vectorised in Polars, for any ERP's declaration.

Records run to millions of lines but carry few distinct dimension values, so each rule is
resolved once per distinct combination into a small lookup frame, which the engine joins
back onto the records. Which columns take part, and which one nests, come from the ERP's
``ErpShape`` (``Mappings.shape``).

Ancestry of the hierarchical dimension (SAP WBS elements, EBS tasks): a node's ancestors
come from the ERP's ``erp_hierarchy`` table when it lists the node, else from its separator
segments (SAP ``P-1001-02`` is below ``P-1001``), else the node is only itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from adapters.erp_shape import ErpShape, Hierarchy
from mappings.errors import MappingError
from mappings.load import Mappings

#: The distance a wildcard cell of the hierarchical column sits at: farther than any ancestor.
WILDCARD_DISTANCE = 1_000_000


def _segments(node: str, separator: str | None) -> list[str]:
    if separator is None:
        return [node]
    parts = node.split(separator)
    return [separator.join(parts[:k]) for k in range(len(parts), 0, -1)]


def ancestors(
    nodes: Iterable[tuple[str | None, str]], h: Hierarchy, hierarchy: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``scope, node, ancestor, distance`` for each (scope, node) and every ancestor (itself at 0).

    ``scope`` is the node's project where node ids are unique only within one (``per_project``),
    else ignored (and returned as given).
    """
    parent: dict[tuple[str | None, str], str | None] = {}
    project: dict[tuple[str | None, str], str | None] = {}
    if hierarchy is not None and hierarchy.height:
        for node, par, proj in hierarchy.select("node", "parent", "project").iter_rows():
            key = (proj if h.per_project else None, node)
            parent[key] = par
            project[key] = proj
    out_s: list[str | None] = []
    out_n: list[str] = []
    out_a: list[str] = []
    out_d: list[int] = []
    for scope, node in nodes:
        if node is None:
            continue
        key = (scope if h.per_project else None, node)
        if key in parent:
            chain: list[str] = []
            cur: str | None = node
            while cur is not None and cur not in chain:  # a cycle in bad data must not hang
                chain.append(cur)
                cur = parent.get((key[0], cur))
            proj = project.get(key)
            if h.reaches_project and proj and proj not in chain:
                chain.append(proj)
        else:
            chain = _segments(node, h.separator)
        out_s.extend([scope] * len(chain))
        out_n.extend([node] * len(chain))
        out_a.extend(chain)
        out_d.extend(range(len(chain)))
    return pl.DataFrame(
        {"scope": out_s, "node": out_n, "ancestor": out_a, "distance": out_d},
        schema={"scope": pl.String, "node": pl.String, "ancestor": pl.String, "distance": pl.Int64},
    )


def _anchor(shape: ErpShape, keys: tuple[str, ...]) -> str:
    """The column the rules are joined on: the nested one when the table has it, else the first."""
    if shape.hierarchy is not None and shape.hierarchy.column in keys:
        return shape.hierarchy.column
    return keys[0]


def _expand(
    frame: pl.DataFrame, column: str, shape: ErpShape, hierarchy: pl.DataFrame | None
) -> pl.DataFrame:
    """``frame`` with ``ancestor`` and ``distance``: one row per value of ``column`` it may match.

    A nested column meets each of its ancestors; any other column only itself. Every row also
    meets the rules whose cell is blank (``ancestor`` null), at the wildcard distance when the
    column nests (so a filled cell beats a blank one of equal count), else at 0 (a tie).
    """
    h = shape.hierarchy
    blank = WILDCARD_DISTANCE if h is not None and h.column == column else 0
    wild = frame.with_columns(
        pl.lit(None, pl.String).alias("ancestor"), pl.lit(blank, pl.Int64).alias("distance")
    )
    if h is None or h.column != column:
        own = frame.with_columns(pl.col(column).alias("ancestor"), pl.lit(0, pl.Int64).alias("distance"))
        return pl.concat([own.filter(pl.col(column).is_not_null()), wild])
    scope_col = shape.project.column if h.per_project and shape.project.column != column else None
    pairs = frame.select(
        (pl.col(scope_col) if scope_col else pl.lit(None, pl.String)).alias("scope"),
        pl.col(column).alias("node"),
    ).unique()
    anc = ancestors(pairs.iter_rows(), h, hierarchy)
    on = [column] if scope_col is None else [scope_col, column]
    anc = anc.rename({"node": column})
    anc = anc.drop("scope") if scope_col is None else anc.rename({"scope": scope_col})
    return pl.concat([frame.join(anc, on=on, how="inner", nulls_equal=True), wild])


def project_lookup(
    values: pl.DataFrame | pl.Series, m: Mappings, hierarchy: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``<project key>, project_number, project_line``: the project ``projects.csv`` gives each key
    (SAP: the nearest listed ancestor; EBS and PeopleSoft: the exact key)."""
    shape = m.shape
    col = shape.project.column
    frame = values.to_frame(col) if isinstance(values, pl.Series) else values
    frame = frame.select(pl.col(col).cast(pl.String)).drop_nulls().unique()
    expanded = _expand(frame, col, shape, hierarchy).filter(pl.col("ancestor").is_not_null())
    rules = m.projects.select(
        pl.col(col).alias("ancestor"),
        pl.col("procore_project_number").alias("project_number"),
        pl.col("line").alias("project_line"),
    )
    return (
        expanded.join(rules, on="ancestor")
        .sort(col, "distance")
        .unique(col, keep="first", maintain_order=True)
        .select(col, "project_number", "project_line")
    )


def resolve_projects(
    frame: pl.DataFrame, m: Mappings, *, hierarchy: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``frame`` with ``project_number`` and ``project_line`` (null where no row matches)."""
    col = m.shape.project.column
    return frame.join(project_lookup(frame[col], m, hierarchy), on=col, how="left", nulls_equal=False)


def cost_code_lookup(
    combos: pl.DataFrame, m: Mappings, hierarchy: pl.DataFrame | None = None
) -> pl.DataFrame:
    """For distinct combinations of the ERP's record columns: the winning ``cost_codes.csv`` row.

    Returns the combos with ``procore_cost_code`` and ``cost_code_line`` (null when no row
    matches). A rule matches when each of its cells is blank or equal (the nested column: equal
    to the record's value or one of its ancestors); the most non-blank cells win, then the
    nearer ancestor. Two equally good rows with different codes raise ``MappingError``.
    """
    shape = m.shape
    cols = list(shape.columns)
    keys = shape.cost_code_keys
    anchor = _anchor(shape, keys)
    combos = combos.select(pl.col(c).cast(pl.String) for c in cols).unique()
    expanded = _expand(combos, anchor, shape, hierarchy)
    others = [k for k in keys if k != anchor]
    rules = m.cost_codes.select(
        *(pl.col(k).alias(f"_r_{k}") for k in others),
        pl.col(anchor).alias("ancestor"),
        "procore_cost_code",
        pl.col("line").alias("cost_code_line"),
        pl.sum_horizontal(pl.col(k).is_not_null().cast(pl.Int64) for k in keys).alias("specificity"),
    )
    cond = pl.lit(True)
    for k in others:
        cond = cond & (pl.col(f"_r_{k}").is_null() | (pl.col(f"_r_{k}") == pl.col(k)))
    matches = expanded.join(rules, on="ancestor", how="inner", nulls_equal=True).filter(cond)
    # One sortable score: more non-blank cells first, then the nearer (deeper) ancestor.
    score = pl.col("specificity") * -(10 * WILDCARD_DISTANCE) + pl.col("distance")
    ranked = matches.with_columns(score.alias("score")).filter(
        pl.col("score") == pl.col("score").min().over(cols)
    )
    _raise_on_ties(ranked, m, cols)
    best = (
        ranked.sort("cost_code_line")
        .unique(cols, keep="first")
        .select(*cols, "procore_cost_code", "cost_code_line")
    )
    return combos.join(best, on=cols, how="left", nulls_equal=True)


def _raise_on_ties(top: pl.DataFrame, m: Mappings, cols: list[str]) -> None:
    clash = (
        top.group_by(cols)
        .agg(
            pl.col("procore_cost_code").n_unique().alias("codes"),
            pl.col("cost_code_line").sort().alias("lines"),
        )
        .filter(pl.col("codes") > 1)
    )
    if clash.height:
        row = clash.sort("lines").row(0, named=True)
        lines = row["lines"]
        record = ", ".join(f"{k}={row[k]}" for k in cols if row[k] is not None)
        raise MappingError(
            m.file("cost_codes.csv"),
            lines[0],
            f"two equally specific rows match {record or 'a record'} with different cost codes "
            f"(lines {lines[0]} and {lines[1]}).",
        )


def resolve_cost_codes(
    frame: pl.DataFrame, m: Mappings, *, hierarchy: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``frame`` (holding the ERP's record columns) with ``procore_cost_code`` and ``cost_code_line``."""
    cols = list(m.shape.columns)
    present = frame.with_columns(pl.lit(None, pl.String).alias(c) for c in cols if c not in frame.columns)
    lookup = cost_code_lookup(present.select(cols), m, hierarchy)
    return present.join(lookup, on=cols, how="left", nulls_equal=True)
