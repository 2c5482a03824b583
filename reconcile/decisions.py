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
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

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


def summary(decision: dict[str, Any] | None) -> dict[str, Any]:
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
    check_decision(status, reason_code=reason_code, assigned_to=assigned_to, allowed=allowed_reason_codes)
    # a push started before the lock still records how it ended
    before = _decidable(cur, exception_id, lock=status not in PUSH_OUTCOMES)
    before_status = before["status"] if before else "open"
    if status in PUSH_OUTCOMES and before_status not in PUSH_OUTCOMES[status]:
        raise DecisionError(
            f"Exception {exception_id} is {before_status}; only an approved exception can become {status}."
        )
    new = status_change(before, status, reason_code=reason_code, note=note, assigned_to=assigned_to)
    return _insert(cur, exception_id, *new, actor, before, f"decision:{status}", detail)


class Planned(NamedTuple):
    """A decision's row before it is written: the whole state the exception will be in."""

    status: str
    reason_code: str | None
    assigned_to: str | None
    note: str | None


def status_change(
    before: dict[str, Any] | None,
    status: str,
    *,
    reason_code: str | None,
    note: str | None,
    assigned_to: str | None = None,
) -> Planned:
    """The row a status decision writes: a status change keeps the assignment."""
    if assigned_to is None and before is not None:
        assigned_to = before["assigned_to"]
    return Planned(status, reason_code, assigned_to, note)


def assignment(before: dict[str, Any] | None, assigned_to: str, *, note: str | None = None) -> Planned:
    """The row an assignment writes: status, reason code and note stay (a note given replaces it)."""
    keep = before or {"status": "open", "reason_code": None, "note": None}
    return Planned(
        keep["status"], keep["reason_code"], assigned_to, note if note is not None else keep["note"]
    )


def check_decision(
    status: str,
    *,
    reason_code: str | None = None,
    assigned_to: str | None = None,
    allowed: Sequence[str] | None = None,
) -> None:
    """Refuse a decision its own arguments rule out (nothing read): the status, the reason code
    against the profile's list, the assignee. One copy of these rules for one decision and many."""
    if status not in STATUSES:
        raise DecisionError(f"Status {status!r} is not one of {', '.join(STATUSES)}.")
    check_reason_code(reason_code, allowed)
    check_assignee(assigned_to)
    if status == "explained" and not reason_code:
        raise DecisionError("An explanation needs a reason code.")


def check_reason_code(reason_code: str | None, allowed: Sequence[str] | None) -> None:
    """A reason code must be in the profile's list when one is given."""
    if reason_code is not None and allowed is not None and reason_code not in allowed:
        raise DecisionError(
            f"Reason code {reason_code!r} is not in the profile's list ({', '.join(allowed)})."
        )


def check_assignee(assigned_to: str | None, *, required: bool = False) -> None:
    """An assignment names one of the teams (``required``: an assignment, not a status change)."""
    if (required or assigned_to is not None) and assigned_to not in ASSIGNEES:
        raise DecisionError(f"Assignee {assigned_to!r} is not one of {', '.join(ASSIGNEES)}.")


def refuse_undecidable(exception_id: str, *, locked: str | None, exists: bool) -> None:
    """The refusals a decision's reads can find, in the order one decision finds them: the
    period locked (``locked`` is ``close.state.refusal``'s sentence), then the exception not
    in the store."""
    if locked is not None:
        raise PeriodLocked(locked)
    if not exists:
        raise DecisionError(f"There is no exception {exception_id} in this store.")


def _decidable(
    cur: duckdb.DuckDBPyConnection, exception_id: str, *, lock: bool = True
) -> dict[str, Any] | None:
    """The latest decision of an exception a new one may follow (None: undecided); refused
    when the period is locked (unless ``lock`` is off) or the exception is not in the store."""
    locked = close_state.refusal(cur) if lock else None
    sql = "SELECT 1 FROM exceptions WHERE exception_id = ?"
    exists = locked is not None or cur.execute(sql, [exception_id]).fetchone() is not None
    refuse_undecidable(exception_id, locked=locked, exists=exists)
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
        before=summary(before),
        after={**summary(after), **({"detail": detail} if detail else {})},
        covers=("decisions", str(after["id"])),
    )
    return after


# -- many at once (reconcile.batch): the same rows and entries, a few statements per chunk -------
#: Each id of the registered frame ``_decide_ids``: whether the store holds it, and its latest
#: decision (the ``_SELECT`` columns as a struct; NULL when undecided). ``max_by`` of the whole
#: row by ``id``: "latest by id", and a NULL column of the latest row stays NULL.
_FACTS = (
    "WITH ids AS (SELECT DISTINCT exception_id FROM _decide_ids), "
    "latest AS (SELECT exception_id, max_by({"
    + ", ".join(f"'{c}': {c}" for c in _COLS[:-1])
    + ", 'decided_at': epoch_us(decided_at)}, id) AS latest FROM decisions "
    "WHERE exception_id IN (SELECT exception_id FROM ids) GROUP BY exception_id) "
    "SELECT i.exception_id, e.exception_id IS NOT NULL, l.latest FROM ids i "
    "LEFT JOIN exceptions e ON e.exception_id = i.exception_id "
    "LEFT JOIN latest l ON l.exception_id = i.exception_id"
)


def facts_in(
    cur: duckdb.DuckDBPyConnection, ids: Sequence[str]
) -> dict[str, tuple[bool, dict[str, Any] | None]]:
    """Whether the store holds each of ``ids`` and its latest decision, in one query."""
    cur.register("_decide_ids", pa.table({"exception_id": pa.array(ids, pa.string())}))
    try:
        rows = cur.execute(_FACTS).fetchall()
    finally:
        cur.unregister("_decide_ids")
    return {
        str(eid): (bool(exists), None if latest is None else _row([latest[c] for c in _COLS]))
        for eid, exists, latest in rows
    }


def insert_many(
    cur: duckdb.DuckDBPyConnection,
    rows: Sequence[tuple[str, Planned, dict[str, Any] | None, str]],
    *,
    actor: str,
) -> list[dict[str, Any]]:
    """``_insert`` for many (exception id, planned row, latest before it, audit action), in order.

    One ``INSERT ... SELECT`` from a registered frame (DuckDB's ``executemany`` runs a statement
    per row) and one ``audit.append_many``: each exception still gets its own decision row and
    its own entry, the same ones one decision at a time would write. The ids are taken from the
    sequence first so they follow the order of ``rows`` (a repeated exception's later decision is
    its latest).
    """
    if not rows:
        return []
    ids = sorted(
        int(r[0]) for r in cur.execute("SELECT nextval('decision_ids') FROM range(?)", [len(rows)]).fetchall()
    )
    at = now()
    frame = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "exception_id": pa.array([r[0] for r in rows], pa.string()),
            "status": pa.array([r[1].status for r in rows], pa.string()),
            "reason_code": pa.array([r[1].reason_code for r in rows], pa.string()),
            "assigned_to": pa.array([r[1].assigned_to for r in rows], pa.string()),
            "note": pa.array([r[1].note for r in rows], pa.string()),
            "decided_by": pa.array([actor] * len(rows), pa.string()),
            "decided_at": pa.array([at] * len(rows), pa.timestamp("us", tz="UTC")),
        }
    )
    cols = ", ".join(_COLS)
    cur.register("_decide_rows", frame)
    try:
        written = cur.execute(
            f"INSERT INTO decisions ({cols}) SELECT {cols} FROM _decide_rows RETURNING {_SELECT}"
        ).fetchall()
    finally:
        cur.unregister("_decide_rows")
    by_id = {int(r[0]): _row(r) for r in written}
    after = [by_id[i] for i in ids]
    audit.append_many(
        cur,
        [
            audit.Pending(
                actor=actor,
                action=action,
                exception_id=exception_id,
                before=summary(before),
                after=summary(row),
                covers=("decisions", str(row["id"])),
            )
            for (exception_id, _, before, action), row in zip(rows, after, strict=True)
        ],
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
    check_assignee(assigned_to, required=True)
    before = _decidable(cur, exception_id)
    new = assignment(before, assigned_to, note=note)
    return _insert(cur, exception_id, *new, actor, before, "decision:assigned")


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
    check_reason_code(reason_code, allowed_reason_codes)
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
