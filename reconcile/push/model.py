"""What a push is: the planned requests, the target as re-read, and the outcome.

Why a plan object: the analyst approves *exactly* what will be sent (method, URL, body),
next to the record as it is now. ``execute_push`` sends that plan and nothing else, so the
TUI's confirm modal and ``tieout push`` show and do the same thing.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

Direction = Literal["erp_to_procore", "procore_to_erp", "idp_to_procore"]
Side = Literal["procore", "erp"]
PushState = Literal["planned", "sending", "done", "failed", "refused"]

#: Placeholders a later request may carry, filled from an earlier answer (or the lookup).
CONTRACT_ID = "{contract_id}"


class PushError(Exception):
    """A push that cannot be planned or recorded; the message is one sentence."""


class HttpCall(BaseModel):
    """One HTTP request as it will be sent (the CSRF token is fetched just before sending)."""

    side: Side
    method: str
    path: str  # e.g. /rest/v1.0/vendors or /sap/opu/odata/sap/API_.../A_PurchaseOrderItem(...)
    params: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    purpose: str = ""
    #: SAP writes: service, entity set and key, so the SAP client sends them with CSRF + If-Match.
    service: str | None = None
    entity_set: str | None = None
    key: dict[str, str] = Field(default_factory=dict)
    #: A create the lookup makes unnecessary when it finds the record (exactly once).
    skip_if_found: bool = False
    #: A re-read through a list endpoint: the id of the record to pick from it.
    list_id: int | None = None

    def line(self, base_url: str = "") -> str:
        """``METHOD URL?query`` for display."""
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.method} {base_url}{self.path}{'?' + query if query else ''}"


class SourceRead(BaseModel):
    """The record a push copies from: read when planning, and again just before the write."""

    what: str  # e.g. "SAP item 4500000001/00010", for the refusal sentence
    call: HttpCall
    #: The copied values as read when planning (``source.read_stamp``); None when it was gone.
    stamp: str | None = None


class PushPlan(BaseModel):
    """Everything the analyst confirms, and everything ``execute_push`` needs."""

    push_id: str
    exception_id: str
    object: str
    kind: str
    key: str
    field: str | None = None
    direction: Direction | None = None
    action: str = "none"
    summary: str = ""
    #: Set when nothing will be written: the sentence says why and what to do instead.
    refusal: str | None = None
    #: Run first; when it finds the record, creates marked ``skip_if_found`` are not sent.
    lookup: HttpCall | None = None
    #: The target, re-read just before the write (read-before-write).
    reread: HttpCall | None = None
    #: The source, re-read just before the write: a source that moved since the plan is refused.
    source: SourceRead | None = None
    requests: list[HttpCall] = Field(default_factory=list)
    #: The target record as it is now (None for a create).
    target: dict[str, Any] | None = None
    #: The change stamp in the snapshot, and as just re-read (updated_at, ETag, or the compared values).
    snapshot_stamp: str | None = None
    current_stamp: str | None = None
    #: Field values that mean the change is already there (a crashed run's write landed).
    desired: dict[str, Any] = Field(default_factory=dict)
    #: Which field of the lookup answer is the record's id / document number.
    lookup_found: dict[str, Any] | None = None
    base_urls: dict[str, str] = Field(default_factory=dict)
    #: The target fields whose values make up its change stamp (Procore: updated_at).
    stamp_fields: list[str] = Field(default_factory=lambda: ["updated_at"])
    #: True when an earlier push of this exception was interrupted or failed (its write may have landed).
    resumes: bool = False
    #: True when the target already shows the wanted values (nothing left to send).
    already_applied: bool = False

    @property
    def can_push(self) -> bool:
        """True when the push may go ahead: no refusal, and something to send or to record."""
        return self.refusal is None and (bool(self.requests) or self.already_applied)

    def render(self) -> list[str]:
        """The plan as plain lines for the CLI and the confirm modal (callers escape markup)."""
        out = [f"Exception {self.exception_id}: {self.object} {self.kind} {self.key}"]
        if self.direction:
            out.append(f"Direction: {self.direction}")
        if self.summary:
            out.append(self.summary)
        if self.refusal:
            out.append(f"Not pushable: {self.refusal}")
        if self.target is not None:
            out.append("Target now: " + json.dumps(self.target, sort_keys=True, default=str))
        elif self.lookup is not None:
            found = (
                "found " + json.dumps(self.lookup_found, default=str) if self.lookup_found else "none found"
            )
            out.append(
                f"Lookup first: {self.lookup.line(self.base_urls.get(self.lookup.side, ''))} ({found})"
            )
        if self.source is not None:
            out.append(
                f"Source re-read before the write: {self.source.what} "
                f"({self.source.call.line(self.base_urls.get(self.source.call.side, ''))})"
            )
        if self.already_applied:
            out.append("The target already shows the wanted values: pushing only records it as done.")
        if self.resumes:
            out.append(
                "An earlier push of this exception did not finish; the lookup decides what is left to send."
            )
        for i, call in enumerate(self.requests, start=1):
            out.append(f"Request {i}: {call.line(self.base_urls.get(call.side, ''))}")
            for k, v in call.headers.items():
                out.append(f"  {k}: {v}")
            if call.body is not None:
                out.append("  " + json.dumps(call.body, sort_keys=True, default=str))
        return out


class PushResult(BaseModel):
    """The outcome of one push, as recorded in ``pushes`` and the audit log."""

    push_id: str
    exception_id: str
    state: PushState
    message: str
    status_code: int | None = None
    document: str | None = None  # the new Procore id or SAP document number
    response: Any = None

    @property
    def ok(self) -> bool:
        return self.state == "done"
