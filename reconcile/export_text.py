"""Text from the APIs made safe for a report: no terminal escapes, no spreadsheet formulas.

Why: a vendor called ``=HYPERLINK("http://x","click")`` must stay a name when a controller
opens the file in Excel, and a name carrying ``ESC[31m`` or an OSC 8 link must not drive the
reader's terminal when the CSV is printed. Cleaning applies to every export format;
neutralising (a leading ``'``) only to the spreadsheet formats, CSV and XLSX.
"""

from __future__ import annotations

import re

import polars as pl

_DANGEROUS = ("=", "+", "-", "@")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
#: Terminal escape sequences as a whole (CSI such as colours, OSC such as OSC 8 hyperlinks,
#: and the two-character escapes), so no fragment of one is left behind in the text.
_ESCAPES = (
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[@-Z\\-_]"
)
#: Control characters other than tab and newline (C0, DEL, C1), and the bidirectional
#: overrides that make a terminal show text in another order than it is stored.
_CONTROLS = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
_UNSAFE = re.compile(f"{_ESCAPES}|{_CONTROLS}")


def clean_text(value: str) -> str:
    """Text without control characters or terminal escapes (tab and newline stay; CRLF -> LF)."""
    return _UNSAFE.sub("", value.replace("\r\n", "\n"))


def _risky(value: str) -> bool:
    if value.startswith(("\t", "\r")):
        return True
    stripped = value.lstrip(" \t\r\n")
    return stripped.startswith(_DANGEROUS) and not _NUMBER.fullmatch(stripped)


def neutralise_text(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (not to plain numbers).

    The first non-blank character decides: spreadsheets skip leading spaces and line breaks
    before ``=``, so ``"  =1+1"`` is a formula too.
    """
    return "'" + value if _risky(value) else value


def neutralise(expr: pl.Expr) -> pl.Expr:
    """``neutralise_text`` for a column, in Polars (a million-row report stays fast)."""
    stripped = expr.str.strip_chars_start(" \t\r\n")
    risky = expr.str.contains(r"^[\t\r]") | (
        stripped.str.contains(r"^[=+\-@]") & ~stripped.str.contains(r"^[+-]?[0-9]+(\.[0-9]+)?$")
    )
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr)


def clean(expr: pl.Expr) -> pl.Expr:
    """``clean_text`` for a column."""
    return expr.str.replace_all("\r\n", "\n", literal=True).str.replace_all(_UNSAFE.pattern, "")


def _text_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c, t in frame.schema.items() if t == pl.String()]


def safe(frame: pl.DataFrame, *, spreadsheet: bool) -> pl.DataFrame:
    """Every text column cleaned; neutralised too when a spreadsheet will open the file."""
    cols = _text_columns(frame)
    out = frame.with_columns(clean(pl.col(c)).alias(c) for c in cols)
    if spreadsheet:
        out = out.with_columns(neutralise(pl.col(c)).alias(c) for c in cols)
    return out
