"""The People tab: open it (from its key, or from the home screen's orphans panel), keep it
current after a diff or a decision, walk its rows from a detail opened there, and title the
push confirmation by what it does to a person.

Detail, explain, assign and push are the money side's flows: a user exception is an ordinary
exception row, and its push plan (``reconcile.people.push``) names, before a deactivation or a
removal, the project roles the user still holds, so the confirm dialog shows them.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.screen import Screen

from app.tui import messages as m
from app.tui.flows.decide import Decided
from app.tui.flows.push import PushFlow, PushPlanned
from app.tui.screens.exceptions import ExceptionsScreen
from app.tui.screens.modals import ConfirmModal
from app.tui.screens.people import PeopleScreen
from app.tui.services import PushPreview

#: A people push's action -> what the confirm dialog asks (the body names the project).
_TITLES: dict[str, str] = {
    "create": "Create {key} in Procore?",
    "update": "Update {key} in Procore?",
    "reactivate": "Reactivate {key} in Procore?",
    "deactivate": "Deactivate {key} in Procore?",
    "add_to_project": "Add {key} to a project?",
    "remove_from_project": "Remove {key} from a project?",
    "change_project_template": "Change {key}'s project template?",
}


def push_title(preview: PushPreview) -> str | None:
    """The confirm dialog's question for a people push (None: not a people push)."""
    plan = preview.plan
    if plan is None or getattr(plan, "object", None) != "user":
        return None
    template = _TITLES.get(str(getattr(plan, "action", "") or ""))
    return None if template is None else template.format(key=getattr(plan, "key", ""))


class PeopleFlow(PushFlow):
    """The People tab's place in the app."""

    people: PeopleScreen | None = None

    def _make_people(self) -> Screen[Any]:
        self.people = PeopleScreen(limit=self.grid_limit)
        return self.people

    def action_people_orphans(self) -> None:
        """The People tab narrowed to orphaned accounts (the home screen's ``o``)."""
        self.switch_mode("people")
        self.call_after_refresh(self._show_kind, "orphaned")

    def _show_kind(self, kind: str) -> None:
        if self.people is not None and self.people.is_mounted:
            self.people.show_kind(kind)

    def work_grid(self) -> ExceptionsScreen | None:
        """In the People mode the People grid: a detail opened there walks its rows, not money's."""
        if self.current_mode == "people" and self.people is not None:
            return self.people
        return super().work_grid()

    def reload_screens(self, *, stale: bool = True) -> None:
        super().reload_screens(stale=stale)
        if self.people is not None and self.people.is_mounted:
            self.people.reload(stale=stale)

    @on(PushPlanned)
    def _people_push_planned(self, message: PushPlanned) -> None:
        """A people push is confirmed under a question naming what it does to the person.

        Runs before the push flow's handler (this class comes first in the app's bases);
        ``prevent_default`` keeps that one from asking a second time. The body is the plan
        as the engine renders it: for a deactivation or a removal it says which project
        roles the user still holds.
        """
        title = push_title(message.preview)
        if title is None:
            return
        message.prevent_default()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._execute_push(message.exception_id, message.preview)
            self._next_push()  # answered either way: the next approval may start

        self.push_screen(ConfirmModal(title, message.preview.text, "Push", "Cancel", wide=True), confirmed)

    @on(m.DataChanged)
    def _people_changed(self, message: m.DataChanged) -> None:
        if self.people is not None and self.people.is_mounted:
            self.people.set_status(message.exception_id, message.status)

    @on(Decided)
    def _people_decided(self, message: Decided) -> None:
        """The People grid shows a decision as the money grid does: its row's status patched."""
        if self.people is not None and self.people.is_mounted:
            self.people.set_statuses(message.outcome.done)
