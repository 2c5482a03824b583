"""The month-end close in the workstation: the period in the title, sign-off from a key.

With no close open, ``S`` offers to open the default period's (last month until the 10th,
cut-off on its last day) and re-diffs with its cut-off: the workstation holds the store, so
``tieout close`` cannot open one while it runs, and the demo's folder goes when it quits.
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
from reconcile.close.period import default_period, last_day
from reconcile.close.signoff import Readiness
from reconcile.decisions import default_actor


class SignedOff(Message):
    """A sign-off was recorded: the sentence to show."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class CloseOpened(Message):
    """A close was opened (or one already was): the sentence to show; then re-diff."""

    def __init__(self, line: str | None) -> None:
        super().__init__()
        self.line = line


class CloseFlow(Workstation):
    """Sign off the working period."""

    def show_period(self, readiness: Readiness | None) -> None:
        """The title carries the period being closed (home reads it with its summary), and the
        sign-off key remembers who signed and who locked it, so its dialog says what it will do."""
        self.close_readiness = readiness
        name = plain(self.profile.name)
        self.sub_title = f"{name} · close {readiness.period}" if readiness is not None else name

    def action_sign_off(self) -> None:
        if self.close_period is None:
            self._offer_to_open()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._sign_off()

        ready, who = self.close_readiness, self.settings.actor or default_actor()
        assert ready is not None  # a close is open (close_period is its period)
        period, signed_by = ready.period, ready.signed_by
        if ready.locked_by:
            self.say(f"Period {period} is locked by {ready.locked_by}; its decisions are final.")
            return
        if signed_by and signed_by != who:
            title, verb = f"Review and lock {period}?", "Lock"
            body = (
                f"{signed_by} signed {period}. Your sign-off as reviewer locks it: "
                "after it, decisions, assignments, mapping changes and push plans on this period "
                "are refused, and new findings go to the next period."
            )
        elif signed_by:
            title, verb = f"Sign {period} again?", "Sign again"
            body = (
                f"You signed {period} already. Signing again records the decisions and totals as "
                "they are now, beside the first sign-off. A second person's S locks the period."
            )
        else:
            title, verb = f"Sign off {period}?", "Sign"
            body = (
                "The sign-off records every exception's decision, the totals per project, the audit "
                "chain's head and the snapshots used. It is refused while any exception is undecided."
            )
        self.push_screen(ConfirmModal(title, body, verb, "Cancel"), answered)

    def _offer_to_open(self) -> None:
        period = default_period(self.clock().date())

        def answered(yes: bool | None) -> None:
            if yes:
                self._open_close(period)

        body = (
            f"No close is open. The close of {period} has its cut-off on {last_day(period)}: Procore "
            "costs and ERP balances dated later belong to the next period. The exceptions are "
            "re-diffed with it; S then signs once every exception is decided."
        )
        self.push_screen(ConfirmModal(f"Open the close of {period}?", body, "Open", "Cancel"), answered)

    @work(thread=True, exclusive=True, group="signoff", exit_on_error=False)
    def _open_close(self, period: str) -> None:
        try:
            line = self.services.open_close(period, actor=self.settings.actor)
        except Exception as exc:  # noqa: BLE001 - a locked store, a period error: one sentence
            self.post_message(m.WorkFailed("opening the close", self.failure("opening the close", exc)))
            return
        self.post_message(CloseOpened(line))

    @on(CloseOpened)
    def _close_opened(self, message: CloseOpened) -> None:
        if message.line:
            self.write_log(message.line)
            self.say(message.line)
        self.post_message(m.DiffRequested())  # the cut-off changes the exceptions; reloads home

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
