"""Home's tie-out table: per project and object, the ERP total, the Procore total, the difference.

The rows are ``reconcile.close.tieout.ProjectRow`` as the engine orders them (largest gap
first); this widget only shows them: amounts to the cent, a difference that does not tie in
bold red, and the project's undecided of open exceptions on its first line.

Why textual-fastdatatable like the exceptions grid, for a few dozen rows: Textual's own
``DataTable`` brings default CSS scoped to the type name ``DataTable``, which the grid's widget
shares, so mounting one would restyle every grid in the app.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
from rich.text import Text
from textual_fastdatatable import ArrowBackend, DataTable

from app.tui.safe import plain
from reconcile.close.tieout import ProjectRow

_CENT = Decimal("0.01")
#: How a row with no project (ERP rows no ``projects.csv`` row maps) is named, as in the README.
UNMAPPED = "(unmapped)"
#: (header, right-aligned) per column.
COLUMNS: tuple[tuple[str, bool], ...] = (
    ("project", False),
    ("object", False),
    ("ERP", True),
    ("Procore", True),
    ("difference", True),
    ("undecided", True),
)


def cents(value: Decimal) -> str:
    """An amount with thousands separators and exactly two decimals (half a cent rounds away from 0)."""
    return f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"


def cells(row: ProjectRow) -> list[Text]:
    """One table row's cells, in ``COLUMNS`` order."""
    project = Text(plain(row.project)) if row.project is not None else Text(UNMAPPED, style="italic")
    difference = Text(cents(row.difference), style="dim" if row.ties else "bold red")
    if row.open is None:
        counts = Text("")
    elif row.open == 0:
        counts = Text("·", style="dim")
    else:
        counts = Text(f"{row.undecided:,} of {row.open:,}", style="bold" if row.undecided else "")
    out = [
        project,
        Text(row.object),
        Text(cents(row.erp_total)),
        Text(cents(row.procore_total)),
        difference,
        counts,
    ]
    for cell, (_, right) in zip(out, COLUMNS, strict=True):
        cell.justify = "right" if right else "left"
        cell.no_wrap = True
    return out


class _CellsBackend(ArrowBackend):
    """The rows' plain text (to measure and copy) in Arrow, their styled ``Text`` to show."""

    def __init__(self, rows: list[list[Text]]) -> None:
        columns = {
            name: pa.array([r[i].plain for r in rows], pa.string()) for i, (name, _) in enumerate(COLUMNS)
        }
        super().__init__(pa.table(columns))
        self._cells = rows

    def get_cell_at(self, row_index: int, column_index: int) -> Any:
        return self._cells[row_index][column_index]


class TieOutTable(DataTable):
    """Keyboard-navigable; ``enter`` selects the row (home drills into its project)."""

    DEFAULT_CSS = "TieOutTable { height: auto; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            backend=_CellsBackend([]),
            column_labels=[Text(name, justify="right" if right else "left") for name, right in COLUMNS],
            cursor_type="row",
            zebra_stripes=True,
            show_row_labels=False,
            render_markup=False,
            **kwargs,
        )
        self.shown: list[ProjectRow] = []

    def show(self, rows: list[ProjectRow]) -> None:
        """Replace the rows, keeping the cursor on the same project and object where it still is."""
        if rows == self.shown:
            return  # home re-reads after every decision; most do not change a total
        here, before = self.current(), self.cursor_row
        self.shown = list(rows)
        # A new backend in place, as the exceptions grid's ``replace_data`` does: widths are
        # measured afresh, the widget (and its focus) stays.
        self.backend = _CellsBackend([cells(r) for r in rows])
        self._ordered_columns = None
        self._update_count += 1
        self._clear_caches()
        self._require_update_dimensions = True
        self.refresh(layout=True)
        if rows:
            same = [
                i
                for i, r in enumerate(rows)
                if here is not None and (r.project, r.object) == (here.project, here.object)
            ]
            self.move_cursor(row=same[0] if same else max(min(before, len(rows) - 1), 0), animate=False)

    def open_of(self, project: str | None) -> int | None:
        """The project's open exceptions, as its first line shows them (None: not counted)."""
        return next((r.open for r in self.shown if r.project == project and r.open is not None), None)

    def current(self) -> ProjectRow | None:
        """The row under the cursor, if any."""
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row]
