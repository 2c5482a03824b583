"""Join keys for commitment lines: integers when the ERP's keys allow it, else the strings.

Why: hashing a million 16-character strings costs about as much as the rest of the line
path together. SAP PO numbers and item numbers are digits (``4500000123``, ``00010``), so
``PO × 100000 + item`` is the same key as ``"PO/item"`` exactly when both parts are in
canonical form; that is checked, and any other ERP falls back to the string key.
"""

from __future__ import annotations

import polars as pl

ITEM_BASE = 100_000


def _canonical_int(col: pl.Expr) -> pl.Expr:
    """The integer a digits-only string without leading zeros or sign spells, else null.

    ``to_integer`` accepts only an optional sign and digits, so ruling out a leading
    ``0``, ``+`` or ``-`` leaves exactly the canonical spellings (cheaper than a round trip).
    """
    value = col.str.to_integer(strict=False)
    odd = col.str.starts_with("0") | col.str.starts_with("+") | col.str.starts_with("-")
    return pl.when(~odd).then(value)


def _item_int(col: pl.Expr) -> pl.Expr:
    value = col.str.to_integer(strict=False)
    return pl.when((col.str.len_bytes() == 5) & (value >= 0) & ~col.str.contains("[+-]", literal=False)).then(
        value
    )


def numeric_keys(lines: pl.DataFrame) -> bool:
    """True when every ERP line's PO and item number can be an exact integer key."""
    if lines.height == 0:
        return False
    po = _canonical_int(pl.col("po_number"))
    ok = lines.select(
        (po.is_not_null() & (pl.col("po_number").str.len_bytes() <= 13)).all().alias("po"),
        _item_int(pl.col("item")).is_not_null().all().alias("item"),
    ).row(0)
    return bool(ok[0] and ok[1])


def erp_key(numeric: bool) -> pl.Expr:
    """The ERP line's join key ``_k``."""
    if numeric:
        return (pl.col("po_number").str.to_integer() * ITEM_BASE + pl.col("item").str.to_integer()).alias(
            "_k"
        )
    return (pl.col("po_number") + "/" + pl.col("item")).alias("_k")


def origin_key(numeric: bool, column: str = "origin_id") -> pl.Expr:
    """A Procore ``origin_id`` as the ERP key it names (null when it cannot name one).

    ``PO/item`` with a five-digit item is ``PO × 100000 + item`` written without the slash,
    so one parse does it; a sign or leading zero would make a different string, so those
    (and anything ``to_integer`` rejects) name no ERP key.
    """
    col = pl.col(column)
    if not numeric:
        return col.alias("_k")
    odd = col.str.starts_with("0") | col.str.starts_with("+") | col.str.starts_with("-")
    ok = (col.str.slice(-6, 1) == "/") & ~odd
    digits = col.str.replace("/", "", literal=True).str.to_integer(strict=False)
    return pl.when(ok).then(digits).alias("_k")


def position_key(numeric: bool) -> pl.Expr:
    """The key of SAP item ``position × 10`` in the contract's linked PO (column ``_po``)."""
    item = pl.col("position") * 10
    if numeric:
        valid = (item > 0) & (item < ITEM_BASE)
        return pl.when(valid).then(pl.col("_po").str.to_integer(strict=False) * ITEM_BASE + item).alias("_k")
    return (pl.col("_po") + "/" + item.cast(pl.String).str.zfill(5)).alias("_k")


def key_text() -> pl.Expr:
    """``PO/item`` for reporting."""
    return pl.col("po_number") + "/" + pl.col("item")
