"""Export the exception report as CSV, XLSX or Parquet: the same columns, exact money, safe text.

Why neutralise: a vendor called ``=HYPERLINK("http://x","click")`` must stay a name when a
controller opens the file in Excel. Every free-text cell starting with ``= + - @``, tab or CR
gets a leading ``'``; plain numbers such as ``-12.50`` are numbers, not formulas, and are left
alone. XLSX money cells carry the exact decimal text (xlsxwriter formats the value it is given,
so a ``Decimal`` is written digit for digit, never through float).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from reconcile.canonical import MONEY
from reconcile.diff.frame import OBJECTS
from reconcile.exceptions import REPORT_COLUMNS

Format = Literal["csv", "xlsx", "parquet"]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"
#: C0 controls other than tab, newline and CR: invalid in XLSX XML, and useless in a report.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

REPORT_SCHEMA: dict[str, pl.DataType] = {
    "exception_id": pl.String(),
    "object": pl.String(),
    "kind": pl.String(),
    "key": pl.String(),
    "project": pl.String(),
    "field": pl.String(),
    "erp_value": pl.String(),
    "procore_value": pl.String(),
    "difference": MONEY,
    "status": pl.String(),
    "rule": pl.String(),
    "first_seen": pl.Datetime("us", "UTC"),
    "decided_by": pl.String(),
    "decided_at": pl.Datetime("us", "UTC"),
    "note": pl.String(),
}


def neutralise(expr: pl.Expr) -> pl.Expr:
    """Prefix ``'`` to text a spreadsheet would run as a formula (not to plain numbers)."""
    risky = pl.any_horizontal([expr.str.starts_with(c) for c in _DANGEROUS]) & ~expr.str.contains(_NUMBER)
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr)


def neutralise_text(value: str) -> str:
    """The same rule for one Python string."""
    if value.startswith(_DANGEROUS) and not re.fullmatch(_NUMBER, value):
        return "'" + value
    return value


def report_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The report columns in order (missing ones null; status defaults to ``open``), text neutralised."""
    cols = []
    for name, dtype in REPORT_SCHEMA.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype))
        elif name == "status":
            cols.append(pl.lit("open").alias(name))
        else:
            cols.append(pl.lit(None, dtype).alias(name))
    out = frame.select(cols)
    return out.with_columns(
        neutralise(pl.col(c)).alias(c) for c, t in REPORT_SCHEMA.items() if t == pl.String()
    )


def _safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Any frame (the audit log) with its text columns neutralised."""
    return frame.with_columns(
        neutralise(pl.col(c)).alias(c) for c, t in frame.schema.items() if t == pl.String()
    )


def export(
    frame: pl.DataFrame,
    path: str | Path,
    fmt: Format,
    *,
    audit: pl.DataFrame | None = None,
    profile_name: str = "",
) -> Path:
    """Write the report to ``path`` in ``fmt``; returns the path written."""
    path = Path(path)
    data = report_frame(frame)
    if fmt == "csv":
        data.write_csv(path)
    elif fmt == "parquet":
        data.write_parquet(path)
    elif fmt == "xlsx":
        _write_xlsx(data, path, _safe_frame(audit) if audit is not None else None, profile_name)
    else:
        raise ValueError(f"unknown export format {fmt!r}; use csv, xlsx or parquet")
    return path


# -- XLSX --------------------------------------------------------------------------------


class _Book:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(
            str(path),
            {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
        )
        self.header = self.wb.add_format({"bold": True, "bg_color": "#DDE3EA", "border": 1})
        self.money = self.wb.add_format({"num_format": "#,##0.00##;[Red]-#,##0.00##"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})

    def cell(self, ws: Worksheet, r: int, c: int, value: Any) -> int:
        """Write one value the way its type deserves; returns its display width."""
        if value is None:
            ws.write_blank(r, c, None)
            return 0
        if isinstance(value, Decimal):
            ws.write_number(r, c, value, self.money)  # a Decimal: exact text, see module doc
            return len(f"{value:,.2f}")
        if isinstance(value, datetime):
            naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
            ws.write_datetime(r, c, naive, self.date)
            return 16
        if isinstance(value, bool):
            ws.write_boolean(r, c, value)
            return 5
        if isinstance(value, int | float):
            ws.write_number(r, c, value)
            return len(str(value))
        text = _CONTROL.sub("", str(value))
        ws.write_string(r, c, text)
        return len(text)

    def table(self, ws: Worksheet, frame: pl.DataFrame, top: int = 0) -> None:
        """A header row, the rows, a frozen header, an autofilter and fitted column widths."""
        widths = [len(c) for c in frame.columns]
        for c, name in enumerate(frame.columns):
            ws.write_string(top, c, name, self.header)
        for r, row in enumerate(frame.iter_rows(), start=top + 1):
            for c, value in enumerate(row):
                widths[c] = max(widths[c], self.cell(ws, r, c, value))
        for c, w in enumerate(widths):
            ws.set_column(c, c, min(max(w + 2, 8), 60))
        ws.freeze_panes(top + 1, 0)
        ws.autofilter(top, 0, top + max(frame.height, 1), max(len(frame.columns) - 1, 0))


def _summary(data: pl.DataFrame) -> pl.DataFrame:
    return (
        data.group_by("object", "kind")
        .agg(pl.len().alias("count"), pl.col("difference").sum().cast(MONEY).alias("total_difference"))
        .sort("object", "kind")
    )


def _object_order(objects: Sequence[str]) -> list[str]:
    known = [o for o in OBJECTS if o in objects]
    return known + sorted(o for o in set(objects) if o not in OBJECTS)


def _write_xlsx(data: pl.DataFrame, path: Path, audit: pl.DataFrame | None, profile_name: str) -> None:
    book = _Book(path)
    try:
        ws = book.wb.add_worksheet("Summary")
        ws.write_string(
            0, 0, _CONTROL.sub("", neutralise_text(f"Tieout exceptions {profile_name}".strip())), book.title
        )
        ws.write_string(1, 0, f"Exported {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {data.height} exceptions")
        book.table(ws, _summary(data), top=3)
        for obj in _object_order(data["object"].drop_nulls().unique().to_list()):
            sheet = book.wb.add_worksheet(obj[:31])
            book.table(sheet, data.filter(pl.col("object") == obj))
        if audit is not None:
            book.table(book.wb.add_worksheet("Audit"), audit)
    finally:
        book.wb.close()


__all__ = ["REPORT_COLUMNS", "REPORT_SCHEMA", "export", "neutralise", "neutralise_text", "report_frame"]


# -- stub: cli-input's branch replaces this with the real rules at merge ------------------------


class ExportError(Exception):
    """An export target that must not or cannot be written (one sentence)."""


class ExportTargetExists(ExportError):
    """The target exists: overwrite only when the user says so."""


def check_target(path: str | Path, profile: Any, *, overwrite: bool) -> Path:
    """The path to write, or ``ExportError`` (the store) / ``ExportTargetExists`` (any file)."""
    path = Path(path)
    if path.resolve() == Path(profile.store_path).resolve():
        raise ExportError(f"{path} is the store; an export never overwrites it.")
    if path.exists() and not overwrite:
        raise ExportTargetExists(f"{path} exists.")
    return path
