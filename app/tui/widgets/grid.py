"""The exceptions grid: textual-fastdatatable on an Arrow page, with fixed column widths.

Why fixed widths: measuring every cell of a large page costs more than the query; the widths
below fit the data the diff writes, and a long key is cut, never wrapped.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
from textual.coordinate import Coordinate
from textual_fastdatatable import ArrowBackend, DataTable

from app.tui.safe import CONTROL_PATTERN

WIDTHS: dict[str, int] = {
    "exception_id": 13,
    "object": 15,
    "kind": 18,
    "key": 20,
    "project": 10,
    "field": 10,
    "difference": 13,
    "status": 9,
    "erp_value": 18,
    "procore_value": 18,
    "rule": 18,
}


class FixedWidthBackend(ArrowBackend):
    """An ArrowBackend that reports preset content widths instead of measuring every cell."""

    def __init__(self, data: pa.Table, widths: Sequence[int]) -> None:
        super().__init__(data)
        self._fixed = list(widths)

    @property
    def column_content_widths(self) -> list[int]:
        return self._fixed


def sanitise(table: pa.Table) -> pa.Table:
    """Strip terminal control sequences from every text column (Arrow compute, no Python loop)."""
    cols = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = pc.replace_substring_regex(column, CONTROL_PATTERN, "")
        cols.append(column)
    return pa.Table.from_arrays(cols, names=table.column_names)


class ExceptionGrid(DataTable):
    """A read-only, row-cursor grid; Rich markup in cells is never interpreted."""

    def __init__(self, table: pa.Table, **kwargs: object) -> None:
        widths = [WIDTHS.get(name, 14) for name in table.column_names]
        self._widths = widths
        super().__init__(
            backend=FixedWidthBackend(sanitise(table), widths),
            column_widths=list(widths),
            cursor_type="row",
            render_markup=False,
            zebra_stripes=True,
            show_row_labels=False,
            **kwargs,  # type: ignore[arg-type]
        )

    def replace_data(self, table: pa.Table) -> None:
        """Show a new page in place: re-mounting costs a full restyle, this only a repaint.

        The columns must be the same as the first page's (they are: the query fixes them).
        """
        backend = FixedWidthBackend(sanitise(table), self._widths)
        backend.render_markup = False
        self.backend = backend
        self._ordered_columns = None
        self._update_count += 1
        self._clear_caches()
        self._require_update_dimensions = True
        self.cursor_coordinate = Coordinate(0, min(self.cursor_column, len(self._widths) - 1))
        self.scroll_to(y=0, animate=False)
        self.refresh()
