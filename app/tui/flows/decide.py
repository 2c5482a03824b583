"""Decide fast and in bulk: explain, assign, repeat the last decision, offer it to the group.

A decision moves the analyst on at once (the detail to the next undecided exception of the
grid's filter and order, the grid's cursor likewise), before the worker has written it:
the write is one audited decision per exception (``reconcile.batch``) in a thread worker,
and ``Decided`` brings the statuses back. Many exceptions at once (marked rows, or a cause's
consequences) take one confirmation naming the count; a batch of more than one chunk shows
its progress in the title bar (``DecideProgress``, per committed chunk) and stops between
chunks on ``tieout.stop_decisions`` (esc): what was committed stays.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from textual import on, work
from textual.message import Message
from textual.widget import AwaitMount

from app.tui.actions import by_id
from app.tui.flows.base import Workstation
from app.tui.screens.audit import AuditScreen
from app.tui.screens.modals import AssignModal, ConfirmModal, ExplainModal, Explanation
from reconcile import batch
from reconcile.batch import BatchOutcome

TEAMS = {"project_team": "the project team", "erp_team": "the ERP team"}


@dataclass(frozen=True)
class Decision:
    """One decision as the analyst made it, to record on one or many exceptions, or repeat."""

    kind: Literal["explain", "assign"]
    reason_code: str | None = None
    note: str | None = None
    team: str | None = None

    @property
    def verb(self) -> str:
        return "explained" if self.kind == "explain" else "assigned"

    def describe(self) -> str:
        """``as timing ("PO raised late")`` or ``to the ERP team``."""
        if self.kind == "assign":
            return f"to {TEAMS.get(self.team or '', self.team)}"
        return f"as {self.reason_code}" + (f' ("{self.note}")' if self.note else "")

    def question(self, count: int) -> str:
        """The confirmation's title, naming the count."""
        verb = "Explain" if self.kind == "explain" else "Assign"
        return f"{verb} {count:,} exception{'' if count == 1 else 's'} {self.describe()}?"

    def progress(self, seen: int, total: int, keys: str) -> str:
        """``Explaining 12,500 of 250,000… esc stops``."""
        verb = "Explaining" if self.kind == "explain" else "Assigning"
        return f"{verb} {seen:,} of {total:,}… {keys} stops"


def next_undecided(ids: Sequence[str], statuses: Sequence[str], after: int, skip: set[str]) -> int | None:
    """The first row after ``after`` (wrapping round) that is open and not in ``skip``."""
    n = len(ids)
    for step in range(1, n + 1):
        i = (after + step) % n
        if statuses[i] == "open" and ids[i] not in skip:
            return i
    return None


class DecideProgress(Message):
    """A chunk of a bulk decision was committed: ``seen`` of ``total`` are recorded or refused."""

    def __init__(self, decision: Decision, seen: int, total: int) -> None:
        super().__init__()
        self.decision = decision
        self.seen = seen
        self.total = total


class DecideEnded(Message):
    """A bulk decision's worker is done (recorded, stopped, or failed): its progress line goes."""


class Decided(Message):
    """A batch of decisions was recorded (or refused, or stopped before some of ``ids``)."""

    def __init__(
        self, decision: Decision, ids: list[str], outcome: BatchOutcome, *, offer_group: bool
    ) -> None:
        super().__init__()
        self.decision = decision
        self.ids = ids
        self.outcome = outcome
        self.offer_group = offer_group


class GroupFound(Message):
    """The undecided consequences of an exception just decided: offer them the same decision."""

    def __init__(self, cause: str, decision: Decision, ids: list[str]) -> None:
        super().__init__()
        self.cause = cause
        self.decision = decision
        self.ids = ids


class DecideFlow(Workstation):
    """Explain, assign, repeat; one exception or many."""

    #: The last decision made, for ``repeat`` (the ``.`` key).
    last_decision: Decision | None
    #: Exceptions decided in this session, id → status: the grid's page may not show it yet.
    session_status: dict[str, str]
    #: Decisions were recorded while home was hidden: it re-reads when next shown.
    _home_stale: bool = False
    #: The running bulk decision's stop switch (None: none runs); one bulk decision at a time.
    decide_cancel: threading.Event | None = None
    #: The title bar before the progress line was added, and the title with it.
    _titles: tuple[str, str] | None = None

    def grid_rows(self) -> tuple[list[str], list[str]]:
        """The grid's current rows (its filter and order): ids and statuses, as loaded."""
        grid = self.work_grid()
        page = grid.page if grid is not None else None
        if page is None:
            ids = list(self.detail.ids) if self.detail is not None else []
            return [str(i) for i in ids], ["open"] * len(ids)
        table = page.table
        return (
            [str(i) for i in table.column("exception_id").to_pylist()],
            [str(s) for s in table.column("status").to_pylist()],
        )

    def refresh_home(self) -> None:
        """Home re-reads its summary now when it is on screen, else when it is next shown.

        Why: its summary and the close's ``undecided N of M`` read every exception, and a
        hidden home re-reading a million rows after each decision slows the next decision.
        """
        home = self.home
        if home is None or not home.is_mounted:
            return
        if self.screen is home:
            home.reload()
        else:
            self._home_stale = True

    def switch_mode(self, mode: str) -> AwaitMount:
        """Switch as the app does; home shown again re-reads what decisions changed meanwhile."""
        done = super().switch_mode(mode)
        if mode == "home" and self._home_stale and self.home is not None and self.home.is_mounted:
            self._home_stale = False
            self.home.reload()
        return done

    # -- the dialogs ------------------------------------------------------------------------
    def explain(self, ids: list[str], *, group: bool = True) -> None:
        """Ask for a reason code (digits pick one) and a note, then record it on ``ids``."""
        if not ids:
            return

        def done(result: object) -> None:
            if isinstance(result, Explanation):
                decision = Decision("explain", result.reason_code, result.note or None)
                # The dialog named the count (``BULK_HINT``): it was the one confirmation.
                self.apply_decision(ids, decision, confirm=False, group=group)

        codes = list(self.profile.rules.reason_codes)
        self.push_screen(ExplainModal(codes, ids[0], count=len(ids)), done)

    def assign(self, ids: list[str], *, group: bool = True) -> None:
        """Ask which team, then assign ``ids`` to it."""
        if not ids:
            return

        def done(result: object) -> None:
            if isinstance(result, str):
                self.apply_decision(ids, Decision("assign", team=result), confirm=False, group=group)

        self.push_screen(AssignModal(len(ids)), done)

    def repeat(self, ids: list[str]) -> None:
        """The last decision again, on ``ids`` (asked once when there are several)."""
        if self.last_decision is None:
            self.say("No decision to repeat yet: explain or assign one first.")
            return
        if ids:
            self.apply_decision(ids, self.last_decision, confirm=len(ids) > 1, group=False)

    def apply_decision(
        self, ids: list[str], decision: Decision, *, confirm: bool, group: bool = False
    ) -> None:
        """Record ``decision`` on ``ids``: confirm the count first when asked, move on at once."""

        def go() -> None:
            cancel = None
            if len(ids) > batch.CHUNK:  # more than one chunk: progress, and a key stops it
                if self.decide_cancel is not None:
                    self.say(
                        f"A bulk decision is still being recorded; wait for it, or press "
                        f"{self._stop_keys()} to stop it.",
                        severity="warning",
                    )
                    return
                cancel = self.decide_cancel = threading.Event()
                self._show_progress(decision, 0, len(ids))
            self.last_decision = decision
            self._move_past(ids)
            self._record(ids, decision, group and len(ids) == 1, cancel)

        if not confirm:
            go()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                go()

        body = "Each is recorded and audited as its own decision."
        self.push_screen(ConfirmModal(decision.question(len(ids)), body, "Yes", "No"), answered)

    def _move_past(self, ids: list[str]) -> None:
        """The screen showing one of ``ids`` moves to the next undecided exception."""
        from app.tui.screens.detail import DetailScreen
        from app.tui.screens.exceptions import ExceptionsScreen

        for exception_id in ids:
            self.session_status.setdefault(exception_id, "deciding")
        screen = self.screen
        if isinstance(screen, DetailScreen) and screen.exception_id in ids:
            screen.advance()
        elif isinstance(screen, ExceptionsScreen):
            screen.advance()

    # -- the write --------------------------------------------------------------------------
    def _stop_keys(self) -> str:
        keys = self.settings.keymap.get("tieout.stop_decisions", by_id("tieout.stop_decisions").keys)
        return keys.replace("escape", "esc")

    def action_stop_decisions(self) -> None:
        """Stop the running bulk decision after the chunk being written (nothing runs: nothing to do)."""
        if self.decide_cancel is not None and not self.decide_cancel.is_set():
            self.decide_cancel.set()
            self.notify("Stopping after the chunk being written…")

    @work(thread=True, group="decide", exit_on_error=False)
    def _record(
        self, ids: list[str], decision: Decision, offer_group: bool, cancel: threading.Event | None = None
    ) -> None:
        actor = self.settings.actor

        def progress(seen: int, total: int) -> None:
            if seen < total:
                self.post_message(DecideProgress(decision, seen, total))

        tick = progress if cancel is not None else None
        try:
            if decision.kind == "explain":
                assert decision.reason_code is not None
                outcome = self.services.explain_many(
                    ids, decision.reason_code, decision.note, actor=actor, cancel=cancel, progress=tick
                )
            else:
                assert decision.team is not None
                outcome = self.services.assign_many(
                    ids, decision.team, actor=actor, cancel=cancel, progress=tick
                )
        finally:
            if cancel is not None:
                self.post_message(DecideEnded())
        self.post_message(Decided(decision, ids, outcome, offer_group=offer_group))
        if offer_group and outcome.done:
            cause = next(iter(outcome.done))
            family = self.services.consequences(cause)
            if family:
                self.post_message(GroupFound(cause, decision, family))

    @on(DecideProgress)
    def _decide_progress(self, message: DecideProgress) -> None:
        if self.decide_cancel is not None:  # a tick after the end must not bring the line back
            self._show_progress(message.decision, message.seen, message.total)

    def _show_progress(self, decision: Decision, seen: int, total: int) -> None:
        """The progress line rides on the title bar, which every screen shows."""
        base = self.sub_title
        if self._titles is not None and self._titles[1] == base:
            base = self._titles[0]  # ours: replace the line, keep what was there before
        line = decision.progress(seen, total, self._stop_keys())
        shown = f"{base} — {line}" if base else line
        self._titles = (base, shown)
        self.sub_title = shown

    @on(DecideEnded)
    def _decide_ended(self) -> None:
        """The bulk decision is over: the title bar as it was (unless it changed meanwhile)."""
        self.decide_cancel = None
        if self._titles is not None and self.sub_title == self._titles[1]:
            self.sub_title = self._titles[0]
        self._titles = None

    @on(Decided)
    def _decided(self, message: Decided) -> None:
        from app.tui.screens.detail import DetailScreen

        out = message.outcome
        self.session_status.update(out.done)
        for exception_id, _why in out.refused:
            self.session_status.pop(exception_id, None)
        if out.left:  # stopped: the ones not reached are undecided again
            reached = set(out.done) | {exception_id for exception_id, _ in out.refused}
            for exception_id in message.ids:
                if exception_id not in reached and self.session_status.get(exception_id) == "deciding":
                    self.session_status.pop(exception_id, None)
        if self.exceptions is not None and self.exceptions.is_mounted:
            self.exceptions.set_statuses(out.done, assigned=message.decision.team is not None)
        self.refresh_home()
        screen = self.screen
        if (
            isinstance(screen, DetailScreen)
            and screen.exception_id in out.done
            or isinstance(screen, AuditScreen)
        ):
            screen.reload()
        total = len(out.done) + len(out.refused)
        if out.refused:
            line = out.refused[0][1] if total == 1 else out.sentence(message.decision.verb)
            self.write_log(line)
            self.say(line, severity="error", timeout=8)
        elif out.left:
            line = out.sentence(message.decision.verb)
            self.write_log(line)
            self.say(line, severity="warning", timeout=8)
        elif total > 1:
            self.say(out.sentence(message.decision.verb))
        else:
            self.notify("Saved.")

    @on(GroupFound)
    def _group_found(self, message: GroupFound) -> None:
        n = len(message.ids)
        title = f"{n:,} more exception{'' if n == 1 else 's'} share the cause of {message.cause}"
        shown = "\n".join(message.ids[:20]) + (f"\n… and {n - 20:,} more" if n > 20 else "")
        body = f"{message.decision.question(n)}\n\n{shown}"

        def answered(yes: bool | None) -> None:
            if yes:
                self.apply_decision(message.ids, message.decision, confirm=False)

        self.push_screen(ConfirmModal(title, body, "Yes, all", "No"), answered)
