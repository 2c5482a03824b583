"""Help (F1 / ?): every binding by screen, read from the action registry and the live keymap."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from app.tui.actions import SCOPE_TITLES, actions_for, bindings

#: Each exception kind in one sentence, in the order an analyst works them.
KIND_HELP: dict[str, str] = {
    "missing_in_erp": "Procore has a record (vendor, PO, line, budget or cost) the ERP does not.",
    "missing_in_procore": "The ERP has a record Procore does not: usually one not yet synced or entered.",
    "value_mismatch": "Both sides have the record but a field or amount differs beyond the tolerance.",
    "duplicate": "One side holds the same record twice, so its total counts it twice.",
    "unmapped": "An ERP record no row of the mapping tables places on a Procore project or cost code.",
}


def help_table(keymap: dict[str, str]) -> Table:
    """A table of scope, keys, action and what it does."""
    t = Table(box=None, padding=(0, 1), expand=True)
    t.add_column("keys", style="bold", no_wrap=True)
    t.add_column("action", no_wrap=True)
    t.add_column("what it does")
    for scope, title in SCOPE_TITLES.items():
        acts = actions_for(scope)
        if not acts:
            continue
        t.add_row(Text(title, style="bold underline"), "", "")
        for a in acts:
            keys = (
                keymap.get(a.id, a.keys)
                .replace("question_mark", "?")
                .replace("slash", "/")
                .replace("full_stop", ".")
                .replace("asterisk", "*")
            )
            t.add_row(keys, a.description, a.tooltip)
    t.add_row(Text("Dialogs", style="bold underline"), "", "")
    t.add_row(
        "1-9", "Reason code", "Explain: pick a reason code by its number, then Enter (a note is optional)"
    )
    t.add_row("y / n", "Yes / No", "Confirm or decline (keep or discard a mapping change, push)")
    t.add_row("1 / 2", "Assign", "Project team / ERP team")
    t.add_row("e / s", "Side", "Push: correct Procore (the ERP is right) / correct the ERP")
    t.add_row("i / f / r", "Pull plan", "Pull what changed / everything / resume the stopped pull")
    t.add_row("enter", "Save", "Save an explanation, preview a mapping edit, export")
    t.add_row("escape", "Cancel", "Close a dialog without changes")
    t.add_row(Text("Anywhere", style="bold underline"), "", "")
    t.add_row("ctrl+p", "Palette", "Search every action by name")
    t.add_row("enter", "Open", "In the grid: open the exception")
    t.add_row("tab", "Focus", "Move between filters, search and grid")
    t.add_row("shift+↑/↓", "Mark", "In the grid: mark rows while moving; decisions apply to the marked rows")
    t.add_row(Text("Exception kinds", style="bold underline"), "", "")
    for kind, sentence in KIND_HELP.items():
        t.add_row(kind, "", sentence)
    return t


class HelpScreen(ModalScreen[None]):
    """What every key does, on every screen."""

    BINDINGS = bindings("help")
    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Help · escape to close"
            yield Static(help_table(self.keymap))
