"""The month-end close in the workstation: the period in the title, sign-off from a key.

The engine (``reconcile.close``) holds the rules: a sign-off is refused while exceptions are
undecided or the diff is stale, a reviewer's second sign-off locks the period, and a locked
period refuses decisions (``PeriodLocked``, shown as its sentence like any refusal).
"""

from __future__ import annotations

from textual import on, work
from textual.message import Message

from app.tui import messages as m
from app.tui.flows.base import Workstation
from app.tui.safe import plain
from app.tui.screens.modals import ConfirmModal


class SignedOff(Message):
    """A sign-off was recorded: the sentence to show."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class CloseFlow(Workstation):
    """Sign off the working period."""

    def show_period(self, period: str | None, readiness: str | None) -> None:
        """The title carries the period being closed (home reads it with its summary)."""
        name = plain(self.profile.name)
        self.sub_title = f"{name} · close {period}" if period else name
        self.close_line = readiness or ""
        self.close_period = period

    def action_sign_off(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._sign_off()

        body = (
            "The sign-off records every exception's decision, the totals per project, the audit "
            "chain's head and the snapshots used. It is refused while any exception is undecided."
        )
        self.push_screen(ConfirmModal("Sign off the period?", body, "Sign", "Cancel"), answered)

    @work(thread=True, exclusive=True, group="signoff", exit_on_error=False)
    def _sign_off(self) -> None:
        try:
            line = self.services.sign_off(actor=self.settings.actor)
        except Exception as exc:  # noqa: BLE001 - CloseError: one sentence
            self.post_message(m.WorkFailed("sign-off", self.failure("sign-off", exc)))
            return
        self.post_message(SignedOff(line))

    @on(SignedOff)
    def _signed_off(self, message: SignedOff) -> None:
        self.write_log(message.line)
        self.say(message.line)
        if self.home is not None and self.home.is_mounted:
            self.home.reload()
