"""Join keys for commitment lines: integers when the ERP's keys allow it, else the strings.

Why: hashing a million 16-character strings costs about as much as the rest of the line
path together. SAP PO numbers and item numbers are digits (``4500000123``, ``00010``), so
``PO × 100000 + item`` is the same key as ``"PO/item"`` exactly when both parts are in
canonical form; that is checked, and any other ERP falls back to the string key.
"""

from __future__ import annotations

import polars as pl

from adapters.erp_shape import LineKeys

ITEM_BASE = 100_000


#: Canonical digit forms: a PO number without sign or leading zero, a five-digit item.
#: One anchored regex pass each is cheaper than the several string tests it replaces.
PO_FORM = r"^[1-9][0-9]{0,12}$"
ITEM_FORM = r"^[0-9]{5}$"
ORIGIN_FORM = r"^[1-9][0-9]{0,12}/[0-9]{5}$"


def erp_key(numeric: bool) -> pl.Expr:
    """The ERP line's join key ``_k``: the exact integer (null where a line's PO or item is
    not in canonical digit form, which makes the whole side fall back to strings), or the text."""
    if numeric:
        po, item = pl.col("po_number"), pl.col("item")
        valid = po.str.contains(PO_FORM) & item.str.contains(ITEM_FORM)
        whole = po.str.to_integer(strict=False) * ITEM_BASE + item.str.to_integer(strict=False)
        return pl.when(valid).then(whole).alias("_k")
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
    digits = col.str.replace("/", "", literal=True).str.to_integer(strict=False)
    return pl.when(col.str.contains(ORIGIN_FORM)).then(digits).alias("_k")


def position_key(numeric: bool, keys: LineKeys) -> pl.Expr:
    """The key of the item the ERP pairs with a Procore ``position`` (SAP ``position × 10``) in
    the contract's linked PO (column ``_po``)."""
    item = pl.col("position") * keys.position_step
    if numeric:
        valid = (item > 0) & (item < ITEM_BASE)
        return pl.when(valid).then(pl.col("_po").str.to_integer(strict=False) * ITEM_BASE + item).alias("_k")
    text = item.cast(pl.String)
    if keys.item_width:
        text = text.str.zfill(keys.item_width)
    return (pl.col("_po") + "/" + text).alias("_k")


def key_text() -> pl.Expr:
    """``PO/item`` for reporting."""
    return pl.col("po_number") + "/" + pl.col("item")
