"""Approve a push: which side is wrong (when either could be), the plan, confirm, the write.

The plan is re-read from the target by the engine and shown in full before anything is
written; the write itself runs once, in the ``push`` group, and is audited by the engine.
Many exceptions (marked rows) stay one approval per write: their dialogs come one after the
other, each answered with one key. One push is in hand at a time, so a fast ``y y y`` opens
one dialog, not three.
"""

from __future__ import annotations

from textual import on, work
from textual.message import Message

from app.tui import messages as m
from app.tui.flows.base import Workstation
from app.tui.format import amounts_in
from app.tui.screens.modals import ConfirmModal, DirectionModal
from app.tui.services import PushPreview


class DirectionsKnown(Message):
    """The directions the profile allows for an exception (asked when there are two)."""

    def __init__(self, exception_id: str, directions: list[str]) -> None:
        super().__init__()
        self.exception_id = exception_id
        self.directions = directions


def plan_text(preview: PushPreview) -> str:
    """The plan as the dialog shows it: the summary's amounts to the cent. The requests and the
    target as read stay exactly as the wire carries them: that is what the analyst approves."""
    summary = getattr(preview.plan, "summary", None)
    if not isinstance(summary, str) or not summary:
        return preview.text
    return preview.text.replace(summary, amounts_in(summary), 1)


class PushPlanned(Message):
    """A push plan that can be performed, for the confirm dialog."""

    def __init__(self, exception_id: str, preview: PushPreview) -> None:
        super().__init__()
        self.exception_id = exception_id
        self.preview = preview


class PushIdle(Message):
    """The push in hand was answered, refused or failed: the next one in the queue may start."""


class PushFlow(Workstation):
    """Plan, confirm and perform pushes, one at a time."""

    #: The exception whose push is in hand (planning or in its dialog), if any.
    push_busy: str | None
    #: Exceptions waiting for their own approval dialog, in order.
    push_queue: list[str]

    def approve_pushes(self, ids: list[str]) -> None:
        """Approve a push for each of ``ids``, one dialog after the other; ignored while one is in hand."""
        if self.push_busy is not None:
            return
        self.push_queue = list(ids)
        self._next_push()

    def approve_push(self, exception_id: str) -> None:
        self.approve_pushes([exception_id])

    def _next_push(self) -> None:
        self.push_busy = None
        if self.push_queue:
            self.push_busy = self.push_queue.pop(0)
            self._choose_direction(self.push_busy)

    @on(PushIdle)
    def _push_idle(self) -> None:
        self._next_push()

    def _refused(self, error: str) -> None:
        """A push that will not happen: say why (from a worker) and free the queue."""
        self.post_message(m.WorkFailed("push", error))
        self.post_message(PushIdle())

    @work(thread=True, exclusive=True, group="push-plan", exit_on_error=False)
    def _choose_direction(self, exception_id: str) -> None:
        try:
            directions = self.services.push_directions(exception_id)
        except Exception as exc:  # noqa: BLE001 - PushError: one sentence
            self._refused(self.failure("push", exc))
            return
        self.post_message(DirectionsKnown(exception_id, directions))

    @on(DirectionsKnown)
    def _directions_known(self, message: DirectionsKnown) -> None:
        """Ask which side is wrong when the profile lets a push correct either; then plan."""
        exception_id = message.exception_id
        if len(message.directions) < 2:
            self._plan_push(exception_id, None)
            return

        def chosen(direction: object) -> None:
            if isinstance(direction, str):
                self._plan_push(exception_id, direction)
            else:
                self._next_push()

        self.push_screen(DirectionModal(exception_id), chosen)

    @work(thread=True, exclusive=True, group="push-plan", exit_on_error=False)
    def _plan_push(self, exception_id: str, direction: str | None) -> None:
        try:
            preview = self.services.plan_push(exception_id, direction)
        except Exception as exc:  # noqa: BLE001 - PushError and friends: one sentence
            self._refused(self.failure("push", exc))
            return
        if not preview.can_push:
            reason = preview.refusal or "this exception cannot be pushed"
            self._refused(f"Push refused: {reason}")
            return
        self.post_message(PushPlanned(exception_id, preview))

    @on(PushPlanned)
    def _push_planned(self, message: PushPlanned) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self._execute_push(message.exception_id, message.preview)
            self._next_push()

        left = len(self.push_queue)
        title = f"Approve and push {message.exception_id}?" + (f" ({left:,} more after this)" if left else "")
        self.push_screen(
            ConfirmModal(title, plan_text(message.preview), "Push", "Skip" if left else "Cancel", wide=True),
            confirmed,
        )

    @work(thread=True, exclusive=True, group="push", exit_on_error=False)
    def _execute_push(self, exception_id: str, preview: PushPreview) -> None:
        try:
            outcome = self.services.execute_push(preview, actor=self.settings.actor)
            status = self.services.status(exception_id)
        except Exception as exc:  # noqa: BLE001
            self.post_message(m.WorkFailed("push", self.failure("push", exc)))
            return
        self.post_message(m.WorkDone(outcome))
        self.post_message(m.DataChanged(exception_id, status))
