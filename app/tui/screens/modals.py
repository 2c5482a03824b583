"""Keyboard-first dialogs: confirm (ModalScreen[bool]), pull plan, explain, assign, fix mapping, export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Select, Static

from app.tui.safe import plain, text
from reconcile.export import Format
from reconcile.sources import Lookup


def _last_field(row: str) -> str:
    return row.rsplit(",", 1)[-1].strip()


class RowSuggester(Suggester):
    """Completes the field being typed (after the last comma) with a Procore number or code."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.lookups: list[Lookup] = []

    async def get_suggestion(self, value: str) -> str | None:
        typed = _last_field(value)
        if not typed:
            return None
        low = typed.lower()
        for item in self.lookups:
            if item.value.lower().startswith(low) and item.value != typed:
                return value + item.value[len(typed) :]
        return None


def matches(lookups: list[Lookup], typed: str, *, limit: int = 5) -> list[Lookup]:
    """Lookups whose number starts with, or whose name contains, what is typed."""
    low = typed.strip().lower()
    if not low:
        return []
    first = [x for x in lookups if x.value.lower().startswith(low)]
    named = [x for x in lookups if low in x.label.lower() and x not in first]
    return (first + named)[:limit]


_CANCEL: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="tieout.modal.cancel", tooltip="Close without changes")
]


#: Under the title of a dialog that decides several exceptions. The dialog is the one
#: confirmation: a second question after it would race the keys typed ahead (``* x 1 enter``
#: arrives in one read, and a ``y`` for the question reached the grid before the question did).
BULK_HINT = "All {count:,} marked: each is recorded and audited as its own decision."


class _Modal(ModalScreen[object]):
    CSS_PATH = "modals.tcss"
    BINDINGS = _CANCEL

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """Yes or no, from the keyboard (y / n / escape)."""

    CSS_PATH = "modals.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="tieout.confirm.yes", tooltip="Confirm"),
        Binding("n,escape", "answer(False)", "No", id="tieout.confirm.no", tooltip="Decline"),
    ]

    def __init__(
        self, title: str, body: str, yes: str = "Yes", no: str = "No", *, wide: bool = False
    ) -> None:
        super().__init__()
        self._title, self._body, self._yes, self._no = title, body, yes, no
        self._wide = wide

    def compose(self) -> ComposeResult:
        # Wide: a push plan (request, body, target as read) must be readable in full.
        with Vertical(classes="dialog wide tall" if self._wide else "dialog"):
            yield Label(text(self._title), classes="title")
            with VerticalScroll(classes="body"):
                yield Static(text(self._body, limit=None))  # a push plan is read whole
            with Horizontal(classes="buttons"):
                yield Button(f"{self._yes} (y)", id="yes", variant="primary")
                yield Button(f"{self._no} (n)", id="no")

    def on_mount(self) -> None:
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The body scrolls within what the terminal leaves after the title, buttons and border,
        so the buttons stay on screen at 80x24 however long a push plan is."""
        chrome = 10  # border 2, title 2, buttons 4, the screen's margin 2
        self.query_one(".body").styles.max_height = max(3, self.app.size.height - chrome)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class TextModal(_Modal):
    """Read-only text in full (an audit entry), closed with escape or enter."""

    BINDINGS = [
        Binding("escape,enter", "cancel", "Close", id="tieout.text.close", tooltip="Close"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(text(self._title), classes="title")
            with VerticalScroll(classes="body"):
                yield Static(text(self._body, limit=None))

    def on_mount(self) -> None:
        self.query_one(".body").styles.max_height = max(3, self.app.size.height - 8)


class PullModal(_Modal):
    """The pull plan, then the choice: incremental, full, or resume the interrupted pull.

    The plan (requests and wall time per resource at the API's reported limit) is
    computed by a worker after the dialog opens, so the dialog itself never waits.
    """

    BINDINGS = [
        *_CANCEL,
        Binding(
            "i", "choose('incremental')", "Pull", id="tieout.pull_plan.incremental", tooltip="What changed"
        ),
        Binding("f", "choose('full')", "Full pull", id="tieout.pull_plan.full", tooltip="Re-read everything"),
        Binding(
            "r",
            "choose('resume')",
            "Resume",
            id="tieout.pull_plan.resume",
            tooltip="Continue the interrupted pull where it stopped",
        ),
    ]

    def __init__(self, resumable: bool) -> None:
        super().__init__()
        self.resumable = resumable

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide plan"):
            yield Label("Pull plan", classes="title")
            if self.resumable:
                yield Label(
                    "The last pull stopped part-way: r resumes it without re-reading.", classes="hint"
                )
            with ScrollableContainer(classes="body"):
                yield Static("Counting the requests a pull will make…", id="plan-table")
            with Horizontal(classes="buttons"):
                yield Button("Pull (i)", id="incremental", variant="primary")
                yield Button("Full (f)", id="full")
                yield Button("Resume (r)", id="resume", disabled=not self.resumable)
                yield Button("Close (esc)", id="close")

    def show_plan(self, lines: list[str]) -> None:
        """Show the plan table (no wrapping: the columns line up, the body scrolls)."""
        self.query_one("#plan-table", Static).update(Text(plain("\n".join(lines)), no_wrap=True))

    def show_error(self, message: str) -> None:
        self.query_one("#plan-table", Static).update(text(f"No plan: {message}"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "close" else event.button.id)

    def action_choose(self, choice: str) -> None:
        if choice == "resume" and not self.resumable:
            self.notify("There is no interrupted pull to resume.")
            return
        self.dismiss(choice)


class DirectionModal(_Modal):
    """Which side is wrong, when a push could correct either."""

    BINDINGS = [
        *_CANCEL,
        Binding("e", "choose('erp_to_procore')", "Correct Procore", id="tieout.direction.procore"),
        Binding("s", "choose('procore_to_erp')", "Correct the ERP", id="tieout.direction.erp"),
    ]

    def __init__(self, exception_id: str) -> None:
        super().__init__()
        self.exception_id = exception_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(text(f"Push {self.exception_id}: which side is wrong?"), classes="title")
            yield Static("The ERP is right: correct Procore (e). Procore is right: correct the ERP (s).")
            with Horizontal(classes="buttons"):
                yield Button("Correct Procore (e)", id="erp_to_procore", variant="primary")
                yield Button("Correct the ERP (s)", id="procore_to_erp")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_choose(self, direction: str) -> None:
        self.dismiss(direction)


@dataclass
class Explanation:
    reason_code: str
    note: str


class ExplainModal(_Modal):
    """A reason code from the profile's list, plus an optional note.

    The first nine codes have number hotkeys: a digit picks its code and moves to the note,
    so ``x 1 enter`` explains. Digits typed into the note stay text (the Input takes them).
    """

    BINDINGS = [
        *_CANCEL,
        *(
            Binding(str(i), f"pick({i})", f"Reason {i}", show=False, id=f"tieout.explain.reason{i}")
            for i in range(1, 10)
        ),
    ]

    def __init__(self, reason_codes: list[str], exception_id: str, *, count: int = 1) -> None:
        super().__init__()
        self.reason_codes = reason_codes
        self.exception_id = exception_id
        self.count = count

    def compose(self) -> ComposeResult:
        title = f"Explain {self.exception_id}" if self.count == 1 else f"Explain {self.count:,} exceptions"
        with Vertical(classes="dialog"):
            yield Label(text(title), classes="title")
            if self.count > 1:  # this dialog is the one confirmation of the count: nothing asks again
                yield Label(BULK_HINT.format(count=self.count), classes="hint")
            yield Select(
                [(f"{i} {c}" if i <= 9 else c, c) for i, c in enumerate(self.reason_codes, 1)],
                prompt="Reason code",
                id="reason",
                allow_blank=False,
            )
            yield Input(placeholder="Note, optional (Enter saves)", id="note")
            with Horizontal(classes="buttons"):
                yield Button(
                    "Save" if self.count == 1 else f"Explain {self.count:,}", id="save", variant="primary"
                )
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Select).focus()

    def action_pick(self, number: int) -> None:
        """Digit ``number``: that reason code, then the note (Enter saves without one)."""
        if not 1 <= number <= len(self.reason_codes):
            self.notify(f"There is no reason code {number}.", severity="warning")
            return
        self.query_one("#reason", Select).value = self.reason_codes[number - 1]
        # Focus now, not after the queued keys (``focus()`` waits its turn): ``x 1 enter``
        # arrives from a terminal in one read, and the ``enter`` must reach the note.
        self.set_focus(self.query_one("#note", Input))

    def _save(self) -> None:
        reason = self.query_one("#reason", Select).value
        if not isinstance(reason, str):
            self.notify("Pick a reason code.", severity="warning")
            return
        self.dismiss(Explanation(reason, self.query_one("#note", Input).value))

    def on_input_submitted(self) -> None:
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)


class AssignModal(_Modal):
    """Send the exception (or the marked ones) to the side that must fix it."""

    BINDINGS = [
        *_CANCEL,
        Binding("1", "pick('project_team')", "Project team", id="tieout.assign.project"),
        Binding("2", "pick('erp_team')", "ERP team", id="tieout.assign.erp"),
    ]

    def __init__(self, count: int = 1) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                "Assign to" if self.count == 1 else f"Assign {self.count:,} exceptions to", classes="title"
            )
            if self.count > 1:  # picking a team is the one confirmation of the count
                yield Label(BULK_HINT.format(count=self.count), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("1 Project team", id="project_team", variant="primary")
                yield Button("2 ERP team", id="erp_team")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_pick(self, who: str) -> None:
        self.dismiss(who)


@dataclass
class MappingEdit:
    file: str
    line: int | None  # the CSV file's line number to replace (the header is line 1); None appends
    row: str


class MappingModal(_Modal):
    """Edit one row of a mapping CSV (or add one); the app previews it before keeping it."""

    def __init__(
        self,
        files: dict[str, list[str]],
        file: str | None,
        line: int | None,
        new_row: str = "",
        *,
        count: int = 1,
    ) -> None:
        super().__init__()
        self.count = count  # the marked exceptions one row is to fix (the grid's bulk fix)
        self.files = files
        self.file = file if file in files else (next(iter(files)) if files else None)
        self.line = line
        self.new_row = new_row  # a suggested row to add (line None), e.g. a vendors.csv link
        self.suggester = RowSuggester()

    def set_lookups(self, lookups: list[Lookup]) -> None:
        """Procore's projects, cost codes and vendors, read by a worker after the dialog opened."""
        self.suggester.lookups = lookups

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "row" or not self.is_mounted:
            return
        found = matches(self.suggester.lookups, _last_field(event.value))
        shown = " · ".join(f"{x.kind} {x.value} {x.label}".strip() for x in found)
        self.query_one("#matches", Label).update(text(shown))

    def _current(self) -> str:
        if self.file is None:
            return ""
        if self.line is None:
            return self.new_row
        rows = self.files[self.file]
        if self.line is not None and 2 <= self.line <= len(rows):
            return rows[self.line - 1]
        return ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            title = "Fix the mapping" if self.count == 1 else f"Fix the mapping of {self.count:,} exceptions"
            yield Label(title, classes="title")
            yield Select(
                [(f, f) for f in self.files], value=self.file or Select.BLANK, id="file", allow_blank=False
            )
            header = self.files.get(self.file or "", [""])[0] if self.file else ""
            yield Label(text(f"columns: {header}"), id="header")
            yield Input(
                value="" if self.line is None else str(self.line),
                placeholder="file line number (blank: add a row)",
                id="line",
            )
            yield Input(
                value=self._current(), placeholder="row, comma separated", id="row", suggester=self.suggester
            )
            yield Label("", id="matches", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Preview", id="preview", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#row", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.file = event.value
            self.query_one("#header", Label).update(text(f"columns: {self.files[self.file][0]}"))

    def _preview(self) -> None:
        raw_line = self.query_one("#line", Input).value.strip()
        line: int | None = None
        if raw_line:
            if not raw_line.isdigit() or not 2 <= int(raw_line) <= len(self.files.get(self.file or "", [])):
                self.notify(f"Line {raw_line} is not a data row of {self.file}.", severity="error")
                return
            line = int(raw_line)
        if self.file is None:
            return
        row = self.query_one("#row", Input).value
        if not row.replace(",", "").strip():
            header = self.files[self.file][0] if self.files.get(self.file) else "its columns"
            self.notify(
                f"An empty row maps nothing: give {self.file} a value for {header}.", severity="error"
            )
            return
        self.dismiss(MappingEdit(self.file, line, row))

    def on_input_submitted(self) -> None:
        self._preview()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "preview":
            self._preview()
        else:
            self.dismiss(None)


@dataclass
class ExportRequest:
    path: Path
    fmt: Format
    #: ``period``: the period's exceptions, closed included; ``filter``: the grid's view of them;
    #: ``all``: every exception ever found.
    scope: str = "period"


class ExportModal(_Modal):
    """Where, what format, and what: the period (the default), the current filter, or everything."""

    def __init__(self, default_stem: str, folder: Path, period: str = "") -> None:
        super().__init__()
        self.default_stem = default_stem
        self.folder = folder
        self.period = period

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Export exceptions", classes="title")
            yield Select(
                [("CSV", "csv"), ("XLSX", "xlsx"), ("Parquet", "parquet")],
                value="csv",
                id="fmt",
                allow_blank=False,
            )
            yield Select(
                [
                    (f"Period {self.period}, closed included" if self.period else "The period", "period"),
                    ("Current filter", "filter"),
                    ("Everything ever found", "all"),
                ],
                value="period",
                id="scope",
                allow_blank=False,
            )
            yield Input(value=str(self.folder / f"{self.default_stem}.csv"), id="path")
            with Horizontal(classes="buttons"):
                yield Button("Export", id="go", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "fmt" and isinstance(event.value, str):
            box = self.query_one("#path", Input)
            box.value = str(Path(box.value).with_suffix("." + event.value))

    def _go(self) -> None:
        fmt = self.query_one("#fmt", Select).value
        scope = self.query_one("#scope", Select).value
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.notify("Give a file path.", severity="warning")
            return
        self.dismiss(ExportRequest(Path(path).expanduser(), cast(Format, str(fmt)), str(scope)))

    def on_input_submitted(self) -> None:
        self._go()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "go":
            self._go()
        else:
            self.dismiss(None)
