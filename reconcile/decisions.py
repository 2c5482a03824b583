"""Decisions on exceptions: explain, assign, approve, and the push outcomes.

Decisions are history, never updated in place: the latest row per exception is its
state (status ``open`` when there is none). Every row carries the whole state, so the
latest one alone answers "where is this exception": a status decision keeps the current
assignment, and an assignment (``assign``) keeps the status, its reason code and note;
assigning never reopens an explained or approved exception. Every decision writes an
audit entry with the state before and after, in the same transaction.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from typing import Any

import duckdb

from reconcile import audit
from reconcile.close import state as close_state
from reconcile.store import Store, now

STATUSES = ("open", "approved", "pushed", "failed", "explained")
ASSIGNEES = ("project_team", "erp_team")
#: Statuses only a push may set, and the status they must come from.
PUSH_OUTCOMES = {"pushed": ("approved",), "failed": ("approved",)}


class DecisionError(Exception):
    """A decision that cannot be recorded; the message says why in one sentence."""


class PeriodLocked(DecisionError):
    """The store's working period is locked by a reviewer; the message names it and who."""


def default_actor() -> str:
    """The OS user: who sat at the keyboard."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): still record something honest
        return "unknown"


#: The latest decision of each exception: the one definition every reader joins. Latest by
#: ``id``, the order decisions were recorded in (``decided_at`` can tie, or step back with the
#: clock). Not ``arg_max`` per column: it skips NULLs, so a cleared note would show an old one.
LATEST_DECISIONS = (
    "SELECT exception_id, status, reason_code, assigned_to, note, decided_by, decided_at FROM decisions "
    "QUALIFY row_number() OVER (PARTITION BY exception_id ORDER BY id DESC) = 1"
)

#: The id of one exception's latest decision: ``max(id)`` over its rows, which the index finds
#: (``ORDER BY id DESC LIMIT 1`` makes DuckDB scan the table instead).
_LATEST_ID = "SELECT max(id) FROM decisions WHERE exception_id = ?"

#: The latest decision of one exception (bound as the one parameter): ``LATEST_DECISIONS``
#: narrowed before it is ranked, so the ``decisions_exception`` index answers it in a few rows
#: however many decisions the store holds. Same columns, same "latest by id" rule.
LATEST_DECISION_OF = (
    "SELECT exception_id, status, reason_code, assigned_to, note, decided_by, decided_at FROM decisions "
    f"WHERE id = ({_LATEST_ID})"
)

_COLS = ("id", "exception_id", "status", "reason_code", "assigned_to", "note", "decided_by", "decided_at")
#: decided_at as epoch microseconds: fetching TIMESTAMPTZ into Python would need pytz.
_SELECT = ", ".join(_COLS[:-1]) + ", epoch_us(decided_at)"


def _row(values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(_COLS, values, strict=True))
    row["decided_at"] = audit.from_epoch_us(row["decided_at"])
    return row


def _latest(cur: duckdb.DuckDBPyConnection, exception_id: str) -> dict[str, Any] | None:
    row = cur.execute(
        f"SELECT {_SELECT} FROM decisions WHERE id = ({_LATEST_ID})",
        [exception_id],
    ).fetchone()
    return _row(row) if row else None


def status_in(cur: duckdb.DuckDBPyConnection, exception_id: str) -> str:
    """The status of an exception on the caller's cursor (``open`` when undecided)."""
    latest = _latest(cur, exception_id)
    return str(latest["status"]) if latest else "open"


def _summary(decision: dict[str, Any] | None) -> dict[str, Any]:
    """What the audit log keeps of a decision (no ids, no timestamps: those are the entry's own)."""
    if decision is None:
        return {"status": "open"}
    return {
        k: decision[k] for k in ("status", "reason_code", "assigned_to", "note") if decision[k] is not None
    }


def decide_in(
    cur: duckdb.DuckDBPyConnection,
    exception_id: str,
    status: str,
    *,
    actor: str,
    reason_code: str | None = None,
    note: str | None = None,
    assigned_to: str | None = None,
    allowed_reason_codes: Sequence[str] | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``decide`` on the caller's transaction cursor (the push writes its record in the same one).

    Every refusal is raised before anything is written, so a batch's transaction survives it.
    """
    if status not in STATUSES:
        raise DecisionError(f"Status {status!r} is not one of {', '.join(STATUSES)}.")
    if (
        reason_code is not None
        and allowed_reason_codes is not None
        and reason_code not in allowed_reason_codes
    ):
        raise DecisionError(
            f"Reason code {reason_code!r} is not in the profile's list ({', '.join(allowed_reason_codes)})."
        )
    if assigned_to is not None and assigned_to not in ASSIGNEES:
        raise DecisionError(f"Assignee {assigned_to!r} is not one of {', '.join(ASSIGNEES)}.")
    if status == "explained" and not reason_code:
        raise DecisionError("An explanation needs a reason code.")
    if status not in PUSH_OUTCOMES:  # a push started before the lock still records how it ended
        _refuse_if_locked(cur)
    exists = cur.execute("SELECT 1 FROM exceptions WHERE exception_id = ?", [exception_id]).fetchone()
    if not exists:
        raise DecisionError(f"There is no exception {exception_id} in this store.")
    before = _latest(cur, exception_id)
    before_status = before["status"] if before else "open"
    if status in PUSH_OUTCOMES and before_status not in PUSH_OUTCOMES[status]:
        raise DecisionError(
            f"Exception {exception_id} is {before_status}; only an approved exception can become {status}."
        )
    if assigned_to is None and before is not None:
        assigned_to = before["assigned_to"]  # a status change keeps the assignment
    return _insert(
        cur, exception_id, status, reason_code, assigned_to, note, actor, before, f"decision:{status}", detail
    )


def _refuse_if_locked(cur: duckdb.DuckDBPyConnection) -> None:
    """A locked period's decisions are final: refuse naming the period and who locked it."""
    sentence = close_state.refusal(cur)
    if sentence is not None:
        raise PeriodLocked(sentence)


def _decidable(cur: duckdb.DuckDBPyConnection, exception_id: str) -> dict[str, Any] | None:
    """The latest decision of an exception a new one may follow (None: undecided); refused
    when the period is locked or the exception is not in the store."""
    _refuse_if_locked(cur)
    exists = cur.execute("SELECT 1 FROM exceptions WHERE exception_id = ?", [exception_id]).fetchone()
    if not exists:
        raise DecisionError(f"There is no exception {exception_id} in this store.")
    return _latest(cur, exception_id)


def _insert(
    cur: duckdb.DuckDBPyConnection,
    exception_id: str,
    status: str,
    reason_code: str | None,
    assigned_to: str | None,
    note: str | None,
    actor: str,
    before: dict[str, Any] | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    row = cur.execute(
        "INSERT INTO decisions (exception_id, status, reason_code, assigned_to, note, decided_by, decided_at) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_SELECT}",
        [exception_id, status, reason_code, assigned_to, note, actor, now()],
    ).fetchone()
    assert row is not None
    after = _row(row)
    audit.append(
        cur,
        actor=actor,
        action=action,
        exception_id=exception_id,
        before=_summary(before),
        after={**_summary(after), **({"detail": detail} if detail else {})},
        covers=("decisions", str(after["id"])),
    )
    return after


def assign(
    store: Store, exception_id: str, assigned_to: str, *, actor: str | None = None, note: str | None = None
) -> dict[str, Any]:
    """Assign an exception to a team; its status, reason code and note stay as they are.

    Recorded (and audited as ``decision:assigned``) like any decision, so the history shows
    who handed it to whom; returns the new decision row.
    """
    with store.transaction() as tx:
        return assign_in(tx, exception_id, assigned_to, actor=actor or default_actor(), note=note)


def assign_in(
    cur: duckdb.DuckDBPyConnection,
    exception_id: str,
    assigned_to: str,
    *,
    actor: str,
    note: str | None = None,
) -> dict[str, Any]:
    """``assign`` on the caller's transaction cursor; a refusal is raised before any write."""
    if assigned_to not in ASSIGNEES:
        raise DecisionError(f"Assignee {assigned_to!r} is not one of {', '.join(ASSIGNEES)}.")
    before = _decidable(cur, exception_id)
    keep = before or {"status": "open", "reason_code": None, "note": None}
    return _insert(
        cur,
        exception_id,
        keep["status"],
        keep["reason_code"],
        assigned_to,
        note if note is not None else keep["note"],
        actor,
        before,
        "decision:assigned",
    )


def carry_forward(
    store: Store,
    exception_id: str,
    note: str,
    *,
    actor: str | None = None,
    reason_code: str | None = None,
    allowed_reason_codes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Carry an open exception into the next period with a reason (a note, optionally a code).

    The month-end sign-off accepts an exception that is decided (explained, approved, pushed)
    or carried forward with a reason; this records the reason and keeps status and assignee.
    """
    if not (note or "").strip():
        raise DecisionError("Carrying an exception forward needs a reason; write one in the note.")
    if (
        reason_code is not None
        and allowed_reason_codes is not None
        and reason_code not in allowed_reason_codes
    ):
        raise DecisionError(
            f"Reason code {reason_code!r} is not in the profile's list ({', '.join(allowed_reason_codes)})."
        )
    with store.transaction() as tx:
        before = _decidable(tx, exception_id)
        keep = before or {"status": "open", "reason_code": None, "assigned_to": None}
        return _insert(
            tx,
            exception_id,
            keep["status"],
            reason_code if reason_code is not None else keep["reason_code"],
            keep["assigned_to"],
            note.strip(),
            actor or default_actor(),
            before,
            "decision:carried",
        )


def decide(
    store: Store,
    exception_id: str,
    status: str,
    *,
    actor: str | None = None,
    reason_code: str | None = None,
    note: str | None = None,
    assigned_to: str | None = None,
    allowed_reason_codes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Record a decision and its audit entry in one transaction; returns the new decision row.

    Pass ``allowed_reason_codes=profile.rules.reason_codes`` to hold explanations to the
    profile's list. ``pushed`` and ``failed`` may only follow ``approved``.
    """
    with store.transaction() as tx:
        return decide_in(
            tx,
            exception_id,
            status,
            actor=actor or default_actor(),
            reason_code=reason_code,
            note=note,
            assigned_to=assigned_to,
            allowed_reason_codes=allowed_reason_codes,
        )


def current(store: Store, exception_id: str) -> dict[str, Any]:
    """The latest decision of an exception, or ``{"status": "open"}`` when there is none."""
    cur = store.cursor()
    try:
        latest = _latest(cur, exception_id)
    finally:
        cur.close()
    return latest if latest is not None else {"exception_id": exception_id, "status": "open"}


def status(store: Store, exception_id: str) -> str:
    """The status of an exception (``open`` when undecided)."""
    return str(current(store, exception_id)["status"])


def history(store: Store, exception_id: str) -> list[dict[str, Any]]:
    """Every decision on an exception, oldest first."""
    cur = store.cursor()
    try:
        rows = cur.execute(
            f"SELECT {_SELECT} FROM decisions WHERE exception_id = ? ORDER BY id", [exception_id]
        ).fetchall()
    finally:
        cur.close()
    return [_row(r) for r in rows]
