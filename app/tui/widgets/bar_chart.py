"""A signed horizontal bar chart of variance by project, in unicode blocks."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from app.tui.format import money
from app.tui.safe import plain

_EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(value: Decimal, scale: Decimal, width: int) -> str:
    """A bar of ``value / scale * width`` cells, with eighth-cell precision."""
    if scale <= 0 or width <= 0:
        return ""
    eighths = int(abs(value) / scale * width * 8)
    full, part = divmod(min(eighths, width * 8), 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def chart(rows: list[tuple[str, Decimal]], width: int) -> Group:
    """One line per project: label, bar (ERP above Procore in green, below in red), amount."""
    if not rows:
        return Group(Text("No open variance.", style="dim"))
    label_w = min(max(len(plain(p)) for p, _ in rows), 18)
    amounts = [money(v) for _, v in rows]
    amount_w = max(len(a) for a in amounts)
    bar_w = max(width - label_w - amount_w - 4, 4)
    scale = max(abs(v) for _, v in rows) or Decimal(1)
    lines = []
    for (project, value), amount in zip(rows, amounts, strict=True):
        line = Text()
        line.append(plain(project)[:label_w].ljust(label_w) + " ")
        b = bar(value, scale, bar_w)
        line.append(b.ljust(bar_w), style="green" if value >= 0 else "red")
        line.append(" " + amount.rjust(amount_w))
        lines.append(line)
    return Group(*lines)


class VarianceChart(Static):
    """Variance (ERP − Procore) of open exceptions by project."""

    DEFAULT_CSS = "VarianceChart { height: auto; }"

    def __init__(self, rows: list[tuple[str, Decimal]] | None = None, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.rows = rows or []

    def set_rows(self, rows: list[tuple[str, Decimal]]) -> None:
        self.rows = rows
        self.refresh(layout=True)

    def render(self) -> Group:
        return chart(self.rows, max(self.size.width, 20))
