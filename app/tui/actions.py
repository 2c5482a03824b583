"""The one action registry: key bindings, the footer, the help screen and the palette read it.

Each action has a stable id (``tieout.<scope>.<name>``) so a user keymap can rebind it
(``App.set_keymap``) without touching code, and a tooltip the footer and help screen show.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Action:
    """One thing the analyst can do, where, and on which keys."""

    id: str
    scope: str  # "app" or a screen name: home, exceptions, detail, audit, log, help
    keys: str
    action: str  # the Textual action string run on the scope's node
    description: str
    tooltip: str
    show: bool = True


ACTIONS: tuple[Action, ...] = (
    Action("tieout.help", "app", "f1,question_mark", "help", "Help", "Every binding on every screen"),
    Action(
        "tieout.home",
        "app",
        "1",
        "switch_mode('home')",
        "Home",
        "Snapshots, totals, tie-out",
        show=False,
    ),
    Action(
        "tieout.exceptions",
        "app",
        "2",
        "switch_mode('exceptions')",
        "Exceptions",
        "The exceptions grid",
        show=False,
    ),
    Action(
        "tieout.audit",
        "app",
        "3",
        "switch_mode('audit')",
        "Audit",
        "Every decision, who and when",
        show=False,
    ),
    Action("tieout.log", "app", "4", "switch_mode('log')", "Log", "Pull and diff messages", show=False),
    Action(
        "tieout.people",
        "app",
        "5",
        "switch_mode('people')",
        "People",
        "The identity provider against the Procore directory",
        show=False,
    ),
    Action(
        "tieout.home.orphans",
        "home",
        "o",
        "app.people_orphans",
        "Orphans",
        "Open the orphaned accounts in the People tab",
        show=False,
    ),
    Action(
        "tieout.home.drill",
        "home",
        "enter",
        "drill_project",
        "Project",
        "Open the exceptions grid on the tie-out row's project",
        show=False,
    ),
    Action("tieout.pull", "app", "p", "pull", "Pull", "Snapshot Procore and the ERP, then re-diff"),
    Action(
        "tieout.pull_plan",
        "app",
        "P",
        "pull_plan",
        "Pull plan",
        "Requests and time a pull costs; full pull, or resume an interrupted one",
    ),
    Action(
        "tieout.cancel_pull", "app", "c", "cancel_pull", "Cancel pull", "Stop the running pull", show=False
    ),
    Action(
        "tieout.stop_decisions",
        "app",
        "escape",
        "stop_decisions",
        "Stop bulk",
        "Stop a bulk decision between chunks (what was recorded stays)",
        show=False,
    ),
    Action("tieout.diff", "app", "r", "rediff", "Re-diff", "Recompute exceptions from the current snapshots"),
    Action(
        "tieout.export", "app", "e", "export", "Export", "Write the current filter or everything to a file"
    ),
    Action(
        "tieout.signoff",
        "app",
        "S",
        "sign_off",
        "Sign off",
        "Sign the period (every exception decided); a reviewer's second sign-off locks it",
        show=False,
    ),
    Action("tieout.theme", "app", "ctrl+t", "toggle_theme", "Theme", "Switch light/dark", show=False),
    Action("tieout.quit", "app", "ctrl+q", "quit", "Quit", "Leave Tieout", show=False),
    Action("tieout.exceptions.search", "exceptions", "slash", "focus_search", "Search", "Free-text search"),
    Action(
        "tieout.exceptions.filter", "exceptions", "f", "focus_filters", "Filter", "Object, kind, status, band"
    ),
    Action("tieout.exceptions.clear", "exceptions", "X", "clear_filters", "Clear", "Clear every filter"),
    Action(
        "tieout.exceptions.explain",
        "exceptions",
        "x",
        "explain",
        "Explain",
        "Reason code (1-9) for the marked rows, or the row under the cursor",
    ),
    Action(
        "tieout.exceptions.assign",
        "exceptions",
        "a",
        "assign",
        "Assign",
        "Send the marked rows (or the cursor's) to a team",
    ),
    Action(
        "tieout.exceptions.repeat",
        "exceptions",
        "full_stop",
        "repeat",
        "Repeat",
        "The last decision again, on the marked rows or the cursor's",
    ),
    Action(
        "tieout.exceptions.mapping",
        "exceptions",
        "m",
        "fix_mapping",
        "Fix mapping",
        "One mapping row for the marked rows (or the cursor's): previewed, confirmed once, audited",
        show=False,
    ),
    Action(
        "tieout.exceptions.push",
        "exceptions",
        "y",
        "approve_push",
        "Push",
        "Approve pushes: one dialog per write, one after the other",
        show=False,
    ),
    Action(
        "tieout.exceptions.mark",
        "exceptions",
        "space",
        "toggle_mark",
        "Mark",
        "Mark or unmark the row (shift+up/down marks while moving)",
        show=False,
    ),
    Action(
        "tieout.exceptions.mark_all",
        "exceptions",
        "asterisk",
        "mark_all",
        "Mark all",
        "Mark every row of this filter (again: unmark all)",
    ),
    Action(
        "tieout.exceptions.next_kind",
        "exceptions",
        "k",
        "next_kind",
        "Next kind",
        "Show the next kind of exception (after the last: every kind again)",
        show=False,
    ),
    Action(
        "tieout.exceptions.sort",
        "exceptions",
        "s",
        "sort_column",
        "Sort",
        "Sort by the cursor's column (again: reverse)",
    ),
    Action(
        "tieout.exceptions.grid",
        "exceptions",
        "g",
        "focus_grid",
        "Grid",
        "Move focus to the grid",
        show=False,
    ),
    Action(
        "tieout.exceptions.open",
        "exceptions",
        "o",
        "open_detail",
        "Open",
        "Open the exception under the cursor (or Enter)",
    ),
    Action("tieout.detail.next", "detail", "n", "step(1)", "Next", "Next exception in the grid's order"),
    Action("tieout.detail.previous", "detail", "b", "step(-1)", "Prev", "Previous exception"),
    Action("tieout.detail.explain", "detail", "x", "explain", "Explain", "Reason code (1-9) and a note"),
    Action(
        "tieout.detail.repeat",
        "detail",
        "full_stop",
        "repeat",
        "Repeat",
        "The last decision again, on this exception, then the next",
    ),
    Action(
        "tieout.detail.assign", "detail", "a", "assign", "Assign", "Send to the project team or the ERP team"
    ),
    Action(
        "tieout.detail.mapping",
        "detail",
        "m",
        "fix_mapping",
        "Fix mapping",
        "Edit a mapping row, preview, keep or discard",
    ),
    Action(
        "tieout.detail.push",
        "detail",
        "y",
        "approve_push",
        "Approve push",
        "Approve writing the fix to the other side",
    ),
    Action(
        "tieout.detail.full",
        "detail",
        "v",
        "toggle_full",
        "Full text",
        "Show long values in full (cut at 200 characters otherwise)",
        show=False,
    ),
    Action(
        "tieout.detail.browser",
        "detail",
        "w",
        "open_procore",
        "Procore",
        "Open the Procore record in a browser",
        show=False,
    ),
    Action("tieout.detail.close", "detail", "escape", "close", "Back", "Back to the grid"),
    Action(
        "tieout.audit.open", "audit", "enter", "expand", "Expand", "Show the entry under the cursor in full"
    ),
    Action("tieout.help.close", "help", "escape,f1,question_mark", "dismiss", "Close", "Close help"),
)

SCOPE_TITLES: dict[str, str] = {
    "app": "Everywhere",
    "home": "Home",
    "exceptions": "Exceptions",
    "detail": "Detail",
    "audit": "Audit",
    "log": "Log",
    "help": "Help",
}


def actions_for(scope: str) -> list[Action]:
    """The registry's actions of one scope, in declaration order."""
    return [a for a in ACTIONS if a.scope == scope]


def bindings(scope: str) -> list[BindingType]:
    """Textual bindings (with ids and tooltips) for a scope's ``BINDINGS``."""
    return [
        Binding(a.keys, a.action, a.description, show=a.show, id=a.id, tooltip=a.tooltip)
        for a in actions_for(scope)
    ]


def by_id(action_id: str) -> Action:
    """One action by its id."""
    for a in ACTIONS:
        if a.id == action_id:
            return a
    raise KeyError(action_id)
