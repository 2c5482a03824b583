"""The exceptions grid: textual-fastdatatable on an Arrow page, with fixed column widths.

Why fixed widths: measuring every cell of a large page costs more than the query; the widths
below fit the data the diff writes, and a long key is cut, never wrapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.coordinate import Coordinate
from textual_fastdatatable import ArrowBackend, DataTable

from app.tui.format import amount_text, money
from app.tui.safe import sanitise_column

#: Text columns that carry an amount when the exception is about one (shown to the cent).
VALUE_COLUMNS = frozenset({"erp_value", "procore_value"})

WIDTHS: dict[str, int] = {
    "exception_id": 13,
    "object": 15,
    "kind": 18,
    "key": 20,
    "project": 10,
    "field": 10,
    "difference": 13,
    "status": 9,
    "assigned_to": 12,
    "erp_value": 18,
    "procore_value": 18,
    "rule": 18,
    # the People tab (app.tui.people_services.COLUMNS)
    "email": 36,
    "idp_value": 20,
    # the audit log
    "when": 19,
    "who": 10,
    "what": 20,
    "before": 32,
    "after": 48,
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
    """Every text column made safe to show (``app.tui.safe``'s rules, vectorised)."""
    cols = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = sanitise_column(column)
        cols.append(column)
    return pa.Table.from_arrays(cols, names=table.column_names)


class ExceptionGrid(DataTable):
    """A read-only, row-cursor grid; Rich markup in cells is never interpreted.

    ``marked_rows`` (row numbers) are drawn bold with a ``●`` in the first column: the rows a
    bulk decision will apply to.
    """

    def __init__(self, table: pa.Table, **kwargs: object) -> None:
        widths = [WIDTHS.get(name, 14) for name in table.column_names]
        self._widths = widths
        self._value_columns = frozenset(i for i, n in enumerate(table.column_names) if n in VALUE_COLUMNS)
        names = table.column_names
        #: The ``field`` column: a whole number in a value column is money when the field is ``amount``.
        self._field_column = names.index("field") if "field" in names else None
        #: ``status`` and ``assigned_to``: an open row with an assignee shows ``assigned``, not
        #: ``open``, so an assigned row never looks untouched.
        self._status_column = names.index("status") if "status" in names else None
        self._assignee_column = names.index("assigned_to") if "assigned_to" in names else None
        self.marked_rows: frozenset[int] = frozenset()
        super().__init__(
            backend=FixedWidthBackend(sanitise(table), widths),
            column_widths=list(widths),
            cursor_type="row",
            render_markup=False,
            zebra_stripes=True,
            show_row_labels=False,
            **kwargs,  # type: ignore[arg-type]
        )

    def replace_data(self, table: pa.Table, *, keep_row: bool = False) -> None:
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
        column = min(self.cursor_column, len(self._widths) - 1)
        if keep_row:  # more rows of the same filter: stay where the analyst is
            self.cursor_coordinate = Coordinate(self.cursor_row, column)
        else:
            self.cursor_coordinate = Coordinate(0, column)
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def _is_amount(self, row_index: int) -> bool:
        """Whether the row's values are amounts (its ``field`` is ``amount``)."""
        if self._field_column is None or self.backend is None:
            return False
        return bool(self.backend.get_cell_at(row_index, self._field_column) == "amount")

    def _is_assigned(self, row_index: int) -> bool:
        if self._assignee_column is None or self.backend is None:
            return False
        return self.backend.get_cell_at(row_index, self._assignee_column) is not None

    def set_marked(self, rows: frozenset[int]) -> None:
        """Draw ``rows`` as marked (a repaint, no reload)."""
        if rows != self.marked_rows:
            self.marked_rows = rows
            self._update_count += 1  # the cell cache keys on it
            self._clear_caches()
            self.refresh()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
        in_range: bool = False,
    ) -> Any:
        """A fast path for one-line text and number cells: one Segment, no Rich layout.

        Why: at 160 columns the library renders ~450 cells per screen through Rich
        Padding/wrap, which is most of a page-down. Headers and anything unusual
        (multi-line, nested values) still take the library's path.
        """
        if row_index < 0 or column_index < 0 or self.backend is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover, in_range)
        key = (
            row_index,
            column_index,
            base_style,
            cursor,
            hover,
            in_range,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(key)
        if cached is not None:
            return cached
        datum = self.backend.get_cell_at(row_index, column_index)
        if datum == "open" and column_index == self._status_column and self._is_assigned(row_index):
            datum = "assigned"
        inner = max(width - 2, 0)
        if datum is None:
            shown = " " * inner
        elif isinstance(datum, Decimal | int):
            shown = format_number(datum)
            shown = set_cell_size(shown, inner) if cell_len(shown) > inner else shown.rjust(inner)
        elif isinstance(datum, str) and "\n" not in datum:
            if (
                column_index in self._value_columns
                and (as_amount := amount_text(datum, whole=self._is_amount(row_index))) is not datum
            ):
                shown = (
                    set_cell_size(as_amount, inner) if cell_len(as_amount) > inner else as_amount.rjust(inner)
                )
            else:
                shown = set_cell_size(datum, inner)
        else:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover, in_range)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            in_range,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_type == "range",
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        style = (
            base_style
            + Style.from_meta({"row": row_index, "column": column_index})
            + component_style
            + post_style
        )
        if row_index in self.marked_rows:
            style += Style(bold=True)
            lines = [[Segment(("●" if column_index == 0 else " ") + shown + " ", style)]]
        else:
            lines = [[Segment(" " + shown + " ", style)]]
        self._cell_render_cache[key] = lines
        return lines


def format_number(value: Decimal | int) -> str:
    """Thousands separators; a decimal (the grid's only one is ``difference``) to the cent."""
    if isinstance(value, int):
        return f"{value:,}"
    return money(value)
