"""Procore → EBS: an approved cost missing in EBS becomes a GL journal, exactly once.

The path is EBS's own open interface, through the XX_TIEOUT_WRITE procedures of
docs/oracle-ebs.md: ``INSERT_GL_INTERFACE`` puts the journal's lines into GL_INTERFACE
(STATUS ``NEW``, one GROUP_ID, the exception id in REFERENCE30, which Journal Import
copies to the journal line's REFERENCE_10, and at the head of REFERENCE10, the line
description); ``SUBMIT_JOURNAL_IMPORT``
submits Journal Import (GLLEZL) for that group through FND_REQUEST.SUBMIT_REQUEST;
``GET_REQUEST_STATUS`` reads FND_CONCURRENT.GET_REQUEST_STATUS until the request
completes; ``FIND_JOURNAL_BY_REFERENCE`` looks the reference up in GL_JE_LINES
(REFERENCE_10) and GL_INTERFACE (REFERENCE30).

Exactly once: every execution starts by looking the reference up, whatever the plan
saw. A journal already imported is adopted and nothing is sent; interface rows left by
an attempt that died after the insert are imported (their request polled if it was
submitted, submitted if not) instead of inserted again; only a reference EBS has never
seen is inserted. The write procedures are never retried blindly (``EbsClient.call_once``).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import anyio

from adapters.base import AdapterError, Cancelled
from adapters.oracle_ebs.client import EbsClient
from adapters.oracle_ebs.settings import OracleEbsSettings
from adapters.oracle_ebs.wire import WRITE_PACKAGE, amount_text, procedure_path, request_body
from adapters.secret import Secret

LookupState = Literal["NONE", "PENDING", "ERROR", "IMPORTED"]
Hook = Callable[[], Awaitable[None] | None]


class JournalImportFailed(AdapterError):
    """Journal Import did not turn the interface rows into a journal; the message says what to fix."""


class StillRunning(AdapterError):
    """The import request did not finish within the wait; it continues in EBS and a retry finds it."""


@dataclass(frozen=True)
class JournalLine:
    """One GL_INTERFACE row: the account by segment column, a debit or a credit, project and task."""

    segments: dict[str, str]  # SEGMENTn → value
    debit: Decimal | None = None
    credit: Decimal | None = None
    description: str = ""
    project: str | None = None  # PA project number → GL_INTERFACE.ATTRIBUTE1
    task: str | None = None  # PA task number → GL_INTERFACE.ATTRIBUTE2

    def wire(self) -> dict[str, str]:
        return {
            **self.segments,
            "ENTERED_DR": amount_text(self.debit) if self.debit is not None else "",
            "ENTERED_CR": amount_text(self.credit) if self.credit is not None else "",
            "DESCRIPTION": self.description[:240],
            "PROJECT_NUMBER": self.project or "",
            "TASK_NUMBER": self.task or "",
        }


@dataclass(frozen=True)
class Journal:
    """A balanced journal keyed by ``reference`` (the exception id: GL_JE_LINES.REFERENCE_10)."""

    reference: str
    accounting_date: date
    currency: str
    description: str
    lines: tuple[JournalLine, ...]

    def check(self) -> None:
        """Refuse, by reference, a journal EBS would reject: unbalanced, empty or with a float."""
        if not self.lines:
            raise JournalImportFailed(f"The journal for {self.reference} has no line.")
        amounts = [a for ln in self.lines for a in (ln.debit, ln.credit) if a is not None]
        if any(not isinstance(a, Decimal) for a in amounts):
            raise TypeError("journal amounts must be Decimal")
        debits = sum((ln.debit or Decimal(0) for ln in self.lines), Decimal(0))
        credits = sum((ln.credit or Decimal(0) for ln in self.lines), Decimal(0))
        if debits != credits:
            raise JournalImportFailed(
                f"The journal for {self.reference} does not balance (debits {debits}, credits {credits})."
            )


def cost_journal(
    settings: OracleEbsSettings,
    *,
    reference: str,
    accounting_date: date,
    currency: str,
    amount: Decimal,
    dimensions: dict[str, str],
    erp_project: str | None,
    task: str | None,
    description: str,
) -> Journal:
    """A cost booked to ``dimensions`` (segment *names* → values) against the profile's offset account."""
    if not settings.offset_segments:
        raise JournalImportFailed(
            "The profile names no offset account for journals: set [erp] offset_segments "
            '(e.g. {SEGMENT2 = "2110"}) before pushing costs to EBS.'
        )
    by_name = {name: column for column, name in settings.segments.items()}
    unknown = [n for n in dimensions if n not in by_name]
    if unknown:
        raise JournalImportFailed(f"{unknown[0]!r} is not one of the profile's segment names.")
    debit_segments = {**settings.fixed_segments, **{by_name[n]: v for n, v in dimensions.items() if v}}
    credit_segments = {**settings.fixed_segments, **settings.offset_segments}
    cost, offset = (amount, None) if amount >= 0 else (None, -amount)
    return Journal(
        reference=reference,
        accounting_date=accounting_date,
        currency=currency,
        description=description,
        lines=(
            JournalLine(debit_segments, cost, offset, description, erp_project, task),
            JournalLine(credit_segments, offset, cost, description),
        ),
    )


@dataclass
class JournalLookup:
    """What EBS holds for one reference (FIND_JOURNAL_BY_REFERENCE)."""

    state: LookupState
    group_id: str | None = None
    request_id: str | None = None
    je_header_id: str | None = None
    journal_name: str | None = None
    interface_status: str | None = None


@dataclass(frozen=True)
class PlannedCall:
    """One procedure call as it will be sent (for the plan the analyst approves)."""

    procedure: str
    path: str
    body: dict[str, Any]

    def line(self, base_url: str) -> str:
        return f"POST {base_url.rstrip('/')}{self.path}"


@dataclass
class JournalPlan:
    journal: Journal
    existing: JournalLookup
    calls: list[PlannedCall]


@dataclass
class JournalResult:
    state: Literal["imported", "already_imported"]
    message: str
    je_header_id: str | None = None
    journal_name: str | None = None
    group_id: str | None = None
    request_id: str | None = None
    sent: list[str] = field(default_factory=list)  # the write procedures actually called


async def _run(hook: Hook | None) -> None:
    if hook is not None:
        result = hook()
        if result is not None:
            await result


class EbsJournalPush:
    """Plans and executes GL journals for ``reconcile.push`` (direction ``procore_to_erp``)."""

    def __init__(self, settings: OracleEbsSettings, secret: Secret, **client_options: Any) -> None:
        self.settings = settings
        self.client = EbsClient(settings, secret, **client_options)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- reads ------------------------------------------------------------------------
    async def find(self, reference: str) -> JournalLookup:
        """The journal or interface rows already carrying ``reference`` (a read: retried when transient)."""
        out = await self.client.call(
            "FIND_JOURNAL_BY_REFERENCE",
            {"P_REFERENCE": reference, "P_LEDGER_ID": self.settings.ledger_id},
            package=WRITE_PACKAGE,
        )
        state = str(out.get("X_STATE") or "NONE").upper()
        if state not in ("NONE", "PENDING", "ERROR", "IMPORTED"):
            raise JournalImportFailed(
                f"{WRITE_PACKAGE}.FIND_JOURNAL_BY_REFERENCE answered X_STATE {state!r} for {reference}."
            )

        def text(name: str) -> str | None:
            value = out.get(name)
            return str(value) if value not in (None, "") else None

        return JournalLookup(
            state=state,  # type: ignore[arg-type]
            group_id=text("X_GROUP_ID"),
            request_id=text("X_REQUEST_ID"),
            je_header_id=text("X_JE_HEADER_ID"),
            journal_name=text("X_JOURNAL_NAME"),
            interface_status=text("X_INTERFACE_STATUS"),
        )

    def insert_params(self, journal: Journal) -> dict[str, Any]:
        return {
            "P_REFERENCE": journal.reference,
            "P_LEDGER_ID": self.settings.ledger_id,
            "P_JE_SOURCE": self.settings.journal_source,
            "P_JE_CATEGORY": self.settings.journal_category,
            "P_ACCOUNTING_DATE": journal.accounting_date.isoformat(),
            "P_CURRENCY_CODE": journal.currency,
            "P_DESCRIPTION": journal.description[:240],
            "P_LINES": {"P_LINES_ITEM": [ln.wire() for ln in journal.lines]},
        }

    def _call(self, procedure: str, params: dict[str, Any]) -> PlannedCall:
        return PlannedCall(
            procedure,
            procedure_path(self.settings.write_alias, procedure),
            request_body(procedure, self.client.header, params),
        )

    async def plan(self, journal: Journal) -> JournalPlan:
        """Read before write: what EBS holds for the reference now, and the calls that would follow."""
        journal.check()
        existing = await self.find(journal.reference)
        calls: list[PlannedCall] = []
        if existing.state == "NONE":
            calls.append(self._call("INSERT_GL_INTERFACE", self.insert_params(journal)))
        if existing.state in ("NONE", "PENDING") and not existing.request_id:
            calls.append(
                self._call(
                    "SUBMIT_JOURNAL_IMPORT",
                    {
                        "P_GROUP_ID": existing.group_id or "<from INSERT_GL_INTERFACE>",
                        "P_LEDGER_ID": self.settings.ledger_id,
                        "P_JE_SOURCE": self.settings.journal_source,
                    },
                )
            )
        return JournalPlan(journal, existing, calls)

    # -- the write ------------------------------------------------------------------------
    async def execute(
        self,
        plan: JournalPlan,
        *,
        after_insert: Hook | None = None,
        after_submit: Hook | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> JournalResult:
        """Post the journal once and wait for Journal Import; adopt what an earlier attempt wrote.

        ``after_insert``/``after_submit`` run right after those writes (the push layer
        records progress there; tests raise there to simulate a crash).
        """
        journal = plan.journal
        journal.check()
        ref = journal.reference
        found = await self.find(ref)  # never trust the plan's copy: an attempt may have run since
        sent: list[str] = []
        if found.state == "IMPORTED":
            return JournalResult(
                "already_imported",
                f"Journal {found.journal_name or found.je_header_id} already carries {ref}; nothing was sent twice.",
                je_header_id=found.je_header_id,
                journal_name=found.journal_name,
            )
        if found.state == "ERROR":
            raise JournalImportFailed(
                f"Journal Import rejected the GL_INTERFACE rows of {ref} (group {found.group_id}, status "
                f"{found.interface_status}); correct or delete them in EBS (Journal Import Execution Report "
                f"of request {found.request_id}) before pushing again."
            )
        group, request = found.group_id, found.request_id
        if found.state == "NONE":
            out = await self.client.call_once("INSERT_GL_INTERFACE", self.insert_params(journal))
            sent.append("INSERT_GL_INTERFACE")
            group = str(out.get("X_GROUP_ID") or "")
            if not group:
                raise JournalImportFailed(
                    f"{WRITE_PACKAGE}.INSERT_GL_INTERFACE returned no X_GROUP_ID for {ref}."
                )
            await _run(after_insert)
        if not request:
            out = await self.client.call_once(
                "SUBMIT_JOURNAL_IMPORT",
                {
                    "P_GROUP_ID": group,
                    "P_LEDGER_ID": self.settings.ledger_id,
                    "P_JE_SOURCE": self.settings.journal_source,
                },
            )
            sent.append("SUBMIT_JOURNAL_IMPORT")
            request = str(out.get("X_REQUEST_ID") or "")
            if not request or request == "0":
                raise JournalImportFailed(
                    f"Journal Import was not submitted for {ref} (FND_REQUEST.SUBMIT_REQUEST returned 0); "
                    "check that the responsibility may run Journal Import."
                )
            await _run(after_submit)
        assert request is not None
        phase, status, message = await self.wait_for_request(request, cancelled=cancelled)
        if status not in ("NORMAL", "WARNING"):
            raise JournalImportFailed(
                f"Journal Import request {request} for {ref} ended {phase} {status}"
                + (f": {message.rstrip('.')}." if message else ".")
            )
        done = await self.find(ref)
        if done.state != "IMPORTED":
            raise JournalImportFailed(
                f"Journal Import request {request} completed {status} but created no journal for {ref} "
                f"(GL_INTERFACE status {done.interface_status or 'gone'}); see its Execution Report in EBS."
            )
        return JournalResult(
            "imported",
            f"Journal {done.journal_name or done.je_header_id} imported for {ref} (request {request}).",
            je_header_id=done.je_header_id,
            journal_name=done.journal_name,
            group_id=group,
            request_id=request,
            sent=sent,
        )

    async def wait_for_request(
        self, request_id: str, *, cancelled: Callable[[], bool] = lambda: False
    ) -> tuple[str, str, str]:
        """Poll GET_REQUEST_STATUS every ``poll_seconds`` until the request is COMPLETE; (phase, status, message).

        Bounded by ``poll_max_seconds`` (``StillRunning`` after it) and cancellable between
        polls (``Cancelled``); the request keeps running in EBS either way, and the next
        attempt finds it by reference instead of submitting another.
        """
        interval = self.settings.poll_seconds
        polls = max(1, math.ceil(self.settings.poll_max_seconds / interval)) if interval > 0 else 1000
        phase = status = message = ""
        for n in range(polls):
            out = await self.client.call(
                "GET_REQUEST_STATUS", {"P_REQUEST_ID": request_id}, package=WRITE_PACKAGE
            )
            phase = str(out.get("X_DEV_PHASE") or "").upper()
            status = str(out.get("X_DEV_STATUS") or "").upper()
            message = str(out.get("X_MESSAGE") or "")
            if phase in ("COMPLETE", "COMPLETED"):
                return "COMPLETE", status, message
            if cancelled():
                raise Cancelled(
                    f"Stopped waiting for Journal Import request {request_id} ({phase} {status}); it continues "
                    "in EBS and the next push finds its journal."
                )
            if n + 1 < polls:
                await anyio.sleep(interval)
        raise StillRunning(
            f"Journal Import request {request_id} is still {phase} {status} after "
            f"{self.settings.poll_max_seconds:g} seconds; it continues in EBS and a retry of the push finds its journal."
        )
