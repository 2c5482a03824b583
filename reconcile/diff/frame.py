"""The exceptions frame: its schema, stable ids, and the helpers every object's rules share."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import polars as pl

from reconcile.canonical import MONEY

EXCEPTION_SCHEMA: dict[str, pl.DataType] = {
    "exception_id": pl.String(),
    "object": pl.String(),
    "kind": pl.String(),
    "key": pl.String(),
    "project": pl.String(),
    "field": pl.String(),
    "erp_value": pl.String(),
    "procore_value": pl.String(),
    "difference": MONEY,
    "rule": pl.String(),
    "detail": pl.String(),
}
OBJECTS = ("vendor", "commitment", "commitment_line", "budget", "actual", "user")
KINDS = (
    "missing_in_procore",
    "missing_in_erp",
    "value_mismatch",
    "duplicate",
    "unmapped",
    "orphaned",  # user: active in Procore, gone from the IdP (reconcile.people)
    "access_mismatch",  # user: a project template access.csv does not grant, or one missing
)


def exception_id(obj: str, key: str, kind: str, field: str | None) -> str:
    """``X`` + 12 upper-case hex of sha1(object|key|kind|field): the same facts keep the same id."""
    return _id_of(f"{obj}|{key}|{kind}|{field or ''}")


def _id_of(facts: str) -> str:
    return "X" + hashlib.sha1(facts.encode()).hexdigest()[:12].upper()


def money_text(expr: pl.Expr) -> pl.Expr:
    """An amount as exact text at the scale of ``MONEY`` (``12.5000``), as the answer key writes it."""
    return expr.cast(MONEY).cast(pl.String)


def exceed(diff: pl.Expr, tolerance: Decimal) -> pl.Expr:
    """True where |diff| is strictly above the tolerance (exact decimal comparison)."""
    return diff.abs() > pl.lit(tolerance, dtype=pl.Decimal(38, 6))


def rows(
    lf: pl.LazyFrame,
    *,
    object: str,
    kind: str,
    key: pl.Expr,
    rule: str | pl.Expr,
    detail: pl.Expr,
    project: pl.Expr | None = None,
    field: str = "",
    erp_value: pl.Expr | None = None,
    procore_value: pl.Expr | None = None,
    difference: pl.Expr | None = None,
) -> pl.LazyFrame:
    """Shape any frame of findings into the exceptions schema (id filled in by ``finish``)."""
    null = pl.lit(None, pl.String)
    return lf.select(
        pl.lit(object).alias("object"),
        pl.lit(kind).alias("kind"),
        key.cast(pl.String).alias("key"),
        (project if project is not None else null).cast(pl.String).alias("project"),
        pl.lit(field).alias("field"),
        (erp_value if erp_value is not None else null).cast(pl.String).alias("erp_value"),
        (procore_value if procore_value is not None else null).cast(pl.String).alias("procore_value"),
        (difference if difference is not None else pl.lit(None, MONEY)).cast(MONEY).alias("difference"),
        (pl.lit(rule) if isinstance(rule, str) else rule).cast(pl.String).alias("rule"),
        detail.alias("detail"),
    )


def detail(**fields: pl.Expr) -> pl.Expr:
    """A JSON object of record references and the mapping rows used."""
    return pl.struct([e.alias(k) for k, e in fields.items()]).struct.json_encode()


def id_list(column: str = "procore_id") -> pl.Expr:
    """A list column of Procore ids as ``"11,12"`` (what a duplicate's procore_value shows)."""
    return pl.col(column).sort().cast(pl.List(pl.String)).list.join(",")


def empty_exceptions() -> pl.DataFrame:
    """An exceptions frame with no rows."""
    return pl.DataFrame(schema=EXCEPTION_SCHEMA)


def finish(parts: list[pl.LazyFrame]) -> pl.DataFrame:
    """Collect the findings, order them, and give each its stable id.

    Ids are hashed in Python over the reported rows only, a small share of the lines.
    """
    if not parts:
        return empty_exceptions()
    frames = pl.collect_all(parts)
    found = (
        pl.concat([f for f in frames if f.height], how="vertical") if any(f.height for f in frames) else None
    )
    if found is None:
        return empty_exceptions()
    # The same text ``exception_id`` hashes, built in one vectorised pass (iterating four
    # Series in Python costs more than the hashing).
    facts = found.select(
        pl.concat_str(
            [
                pl.col("object"),
                pl.col("key").fill_null("None"),
                pl.col("kind"),
                pl.col("field").fill_null(""),
            ],
            separator="|",
            ignore_nulls=False,
        )
    ).to_series()
    ids = [_id_of(f) for f in facts.to_list()]
    out = found.with_columns(pl.Series("exception_id", ids, pl.String))
    return (
        out.select(list(EXCEPTION_SCHEMA))
        .sort("object", "key", "kind", "field")
        .unique("exception_id", keep="first", maintain_order=True)
    )
