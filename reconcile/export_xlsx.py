"""The XLSX report: a summary sheet (with the audit head), a sheet per object, the audit log.

Money cells carry the exact decimal text (xlsxwriter formats the value it is given, so a
``Decimal`` is written digit for digit, never through float). Excel keeps at most 32,767
characters in a cell; longer text is cut here, visibly, and counted on the summary sheet,
rather than cut silently by the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from reconcile.canonical import MONEY
from reconcile.diff.frame import OBJECTS
from reconcile.export_text import clean_text, neutralise_text

if TYPE_CHECKING:
    from reconcile.audit import ChainHead

#: Excel's limit on the characters of one cell; longer text is cut with a visible marker.
XLSX_CELL_LIMIT = 32_767


def truncate_cell(text: str) -> tuple[str, bool]:
    """Text that fits one Excel cell; a cut keeps a visible marker saying how much was dropped."""
    if len(text) <= XLSX_CELL_LIMIT:
        return text, False
    marker = f" …[truncated: {len(text):,} characters]"
    return text[: XLSX_CELL_LIMIT - len(marker)] + marker, True


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
        self.truncated = 0

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
        text, cut = truncate_cell(str(value))
        self.truncated += cut
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


#: Summary sheet rows: title, export line, audit head, truncation note, then the table.
_SUMMARY_TOP = 5


@dataclass(frozen=True)
class Evidence:
    """A close period's evidence (``reconcile.close.evidence``): the period replaces the wall
    clock on the summary, its lines follow the audit head, its sheets come before the exceptions."""

    period: str
    lines: list[str] = field(default_factory=list)
    sheets: list[tuple[str, pl.DataFrame]] = field(default_factory=list)


def write_xlsx(
    data: pl.DataFrame,
    path: Path,
    audit: pl.DataFrame | None,
    profile_name: str,
    head: ChainHead | None,
    evidence: Evidence | None = None,
    *,
    sheets: dict[str, pl.DataFrame] | None = None,
) -> int:
    """Write the workbook; returns how many cells were cut to Excel's limit.

    ``sheets`` (name → frame, already made safe) come right after the summary: the access
    review's user list (``reconcile.people.review``).
    """
    book = _Book(path)
    try:
        ws = book.wb.add_worksheet("Summary")
        title = (
            f"Tieout close {evidence.period} {profile_name}"
            if evidence
            else f"Tieout exceptions {profile_name}"
        )
        ws.write_string(0, 0, neutralise_text(clean_text(title.strip())), book.title)
        if evidence is not None:
            ws.write_string(1, 0, f"Period {evidence.period}: {data.height} exceptions, closed ones included")
        else:
            ws.write_string(
                1, 0, f"Exported {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {data.height} exceptions"
            )
        if head is not None:
            ws.write_string(2, 0, f"Audit log: {head.count} entries, head hash {head.head_hash}")
        top = _SUMMARY_TOP
        if evidence is not None:
            for i, line in enumerate(evidence.lines):
                ws.write_string(top + i, 0, neutralise_text(clean_text(line)))
            top += len(evidence.lines) + 1
        book.table(ws, _summary(data), top=top)
        for name, sheet in evidence.sheets if evidence else []:
            book.table(book.wb.add_worksheet(name[:31]), sheet)
        for name, frame in (sheets or {}).items():
            book.table(book.wb.add_worksheet(name[:31]), frame)
        for obj in _object_order(data["object"].drop_nulls().unique().to_list()):
            sheet = book.wb.add_worksheet(obj[:31])
            book.table(sheet, data.filter(pl.col("object") == obj))
        if audit is not None:
            book.table(book.wb.add_worksheet("Audit"), audit)
        if book.truncated:
            ws.write_string(
                3,
                0,
                f"{book.truncated} cell(s) longer than Excel's {XLSX_CELL_LIMIT:,} characters were cut; "
                "each ends with '…[truncated: N characters]'.",
            )
    finally:
        book.wb.close()
    return book.truncated
