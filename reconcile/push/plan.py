"""Planning a push: which side is wrong, the exact requests, and the target as it is now.

``plan_push`` never writes. It refuses an exception the latest diff no longer has open,
re-reads both sides over HTTP (the source, whose current values it copies, and the target;
read-before-write starts here), compares them with the snapshot the exception came from, and
either returns the requests to send or a sentence saying why there is no automatic push.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import polars as pl

from reconcile import decisions
from reconcile.close import state as close_state
from reconcile.people.pull import people_pulled_since
from reconcile.people.push_plan import PEOPLE_ROUTES
from reconcile.profile import Profile
from reconcile.push.clients import PushClients
from reconcile.push.erp_ports import planner_keys, port_for
from reconcile.push.model import Direction, PushError, PushPlan
from reconcile.store import Store

#: (object, kind, field) → the directions that can fix it, in order of preference.
#: ERP is the book of record, so Procore is corrected by default; invoices go the other way.
ROUTES: dict[tuple[str, str, str], tuple[Direction, ...]] = {
    ("vendor", "missing_in_procore", ""): ("erp_to_procore",),
    ("vendor", "value_mismatch", "name"): ("erp_to_procore",),
    ("commitment", "missing_in_procore", ""): ("erp_to_procore",),
    ("commitment_line", "missing_in_procore", ""): ("erp_to_procore",),
    ("commitment_line", "value_mismatch", "amount"): ("erp_to_procore", "procore_to_erp"),
    ("commitment_line", "value_mismatch", "cost_code"): ("erp_to_procore", "procore_to_erp"),
    ("actual", "value_mismatch", "amount"): ("procore_to_erp",),
    ("actual", "missing_in_erp", ""): ("procore_to_erp",),
    # A PO made in Procore: offered only where the ERP's push port plans it (SAP ECC:
    # BAPI_PO_CREATE1; PeopleSoft: TIEOUT_PO.v1).
    ("commitment", "missing_in_erp", ""): ("procore_to_erp",),
    **cast(dict[tuple[str, str, str], tuple[Direction, ...]], PEOPLE_ROUTES),  # idp_to_procore
}

NO_PUSH = "There is no automatic push for {what}; explain it or fix the mapping."


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


_WHY = {
    "duplicate": "a duplicate (remove the extra record in Procore by hand)",
    "unmapped": "an unmapped record (add a row to the mapping table)",
}


@dataclass
class PlanContext:
    """What a planner reads: the exception, its detail, the current snapshots, the clients."""

    store: Store
    profile: Profile
    clients: PushClients
    exc: dict[str, Any]
    detail: dict[str, Any]
    plan: PushPlan
    _tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> pl.DataFrame:
        """A canonical table of the current snapshot (read once per plan)."""
        if name not in self._tables:
            self._tables[name] = self.store.canonical(name)
        return self._tables[name]

    def refuse(self, sentence: str) -> None:
        """Nothing will be written; ``sentence`` says why and what to do instead."""
        self.plan.refusal = sentence

    def same_currency(self, erp_currency: str | None, what: str) -> bool:
        """Refuse (False) an amount that would be copied across currencies (contract section 6)."""
        procore = target_currency(self.profile)
        erp = (erp_currency or "").upper()
        if erp and erp != procore:
            self.refuse(
                f"{what} is in {erp} and the Procore project in {procore}; a push never copies an amount "
                "across currencies, so correct it by hand."
            )
            return False
        return True

    def posting_date(self, today: date | None = None) -> date:
        """The date a journal or invoice posts on: today, or the working close's cut-off once
        today is past it. The push fixes an exception of that period, so its amount must land
        in it: posted on today's date after month-end it would fall in the next period and
        leave this period's exception open. A period the ERP has closed refuses the posting,
        and the push fails naming the ERP's message."""
        day = today or datetime.now(UTC).date()
        close = close_state.current(self.store)
        return close.cutoff if close is not None and day > close.cutoff else day


Planner = Callable[[PlanContext], Awaitable[None]]


def routes_for(obj: str, kind: str, field: str | None, erp_kind: str = "sap-s4") -> tuple[Direction, ...]:
    """The directions that can fix an exception of this shape in ERP ``erp_kind`` (empty: no
    automatic push): ``procore_to_erp`` only where that ERP's push port has a planner for it.

    Cheap and offline, so the TUI can show or grey out its push action without a request.
    """
    routes = ROUTES.get((obj, kind, field or ""), ())
    writable = planner_keys(erp_kind)
    return tuple(d for d in routes if d != "procore_to_erp" or f"{d}:{obj}:{kind}" in writable)


def load_exception(store: Store, exception_id: str) -> dict[str, Any]:
    """The exception row with its detail parsed; ``PushError`` when there is none."""
    frame = store.query(
        "SELECT exception_id, object, kind, key, project, field, erp_value, procore_value, "
        "CAST(difference AS VARCHAR) AS difference, rule, CAST(detail AS VARCHAR) AS detail, is_open "
        "FROM exceptions WHERE exception_id = ?",
        [exception_id],
    )
    if frame.is_empty():
        raise PushError(f"There is no exception {exception_id} in the store.")
    row = frame.row(0, named=True)
    try:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
    except ValueError:
        row["detail"] = {}
    return row


def stale_reason(store: Store, exception_id: str) -> str | None:
    """Why the store's view of this exception is too old to push from, or None.

    A push must act on what the latest diff says: an exception that diff closed is fixed
    already (pushing would write a stale value), and a pull finished since the diff means
    the exception's values may no longer be the snapshot's.
    """
    cur = store.cursor()
    try:
        row = cur.execute("SELECT is_open FROM exceptions WHERE exception_id = ?", [exception_id]).fetchone()
        run = cur.execute(
            "SELECT procore_snapshot_id, erp_snapshot_id, ran_at FROM diff_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        current = dict(cur.execute("SELECT source, snapshot_id FROM current_snapshots").fetchall())
        locked = close_state.refusal(cur)  # a push records a decision: a locked period refuses it
    finally:
        cur.close()
    if row is None:
        raise PushError(f"There is no exception {exception_id} in the store.")
    if locked is not None:
        return locked
    if not row[0]:
        return (
            f"Exception {exception_id} is no longer open in the latest diff, so there is nothing to push; "
            "pull and diff again to see what is left."
        )
    if run is not None and (run[0], run[1]) != (current.get("procore"), current.get("erp")):
        return f"A pull finished after the last diff; diff again before pushing exception {exception_id}."
    if run is not None and people_pulled_since(store, run[2]):
        return f"A pull finished after the last diff; diff again before pushing exception {exception_id}."
    return None


def target_currency(profile: Profile) -> str:
    """The Procore projects' currency (profile ``[procore].currency``, USD when the profile has none)."""
    return str(getattr(profile.procore, "currency", None) or "USD").upper()


def open_push(store: Store, exception_id: str) -> tuple[str, str] | None:
    """(push_id, state) of the latest unfinished push of this exception, if any.

    ``sending`` means the process died mid-push (its id is resumed); ``failed`` may hide a
    write that landed before a timeout. Either way the next plan treats a record found by
    its lookup as the earlier attempt's work rather than someone else's.
    """
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT push_id, state FROM pushes WHERE exception_id = ? ORDER BY updated_at DESC LIMIT 1",
            [exception_id],
        ).fetchone()
    finally:
        cur.close()
    return (str(row[0]), str(row[1])) if row and row[1] in ("sending", "failed") else None


def choose_direction(
    profile: Profile, routes: tuple[Direction, ...], wanted: Direction | None
) -> tuple[Direction | None, str | None]:
    """The direction to plan and, when it may not write, the refusal sentence."""
    if wanted is not None and wanted not in routes:
        return None, f"This exception cannot be fixed {wanted}; possible: {', '.join(routes)}."
    allowed = profile.push.allow
    direction = wanted or next((d for d in routes if d in allowed), routes[0])
    if direction not in allowed:
        side = "the ERP" if direction == "procore_to_erp" else "Procore"
        return direction, (
            f'Profile {profile.name!r} may not write to {side}: add "{direction}" to [push].allow '
            "in the profile to allow it (profiles are read-only by default)."
        )
    return direction, None


async def plan_push_async(
    store: Store,
    profile: Profile,
    exception_id: str,
    *,
    direction: Direction | None = None,
    clients: PushClients | None = None,
) -> PushPlan:
    """Plan the push that fixes one exception (see ``plan_push``)."""
    from reconcile.people import push as plan_people
    from reconcile.push import plan_procore  # imports this module: imported here, not at the top

    exc = load_exception(store, exception_id)
    interrupted = open_push(store, exception_id)
    plan = PushPlan(
        push_id=interrupted[0]
        if interrupted and interrupted[1] == "sending"
        else "P" + uuid.uuid4().hex[:15].upper(),
        exception_id=exception_id,
        object=exc["object"],
        kind=exc["kind"],
        key=exc["key"],
        field=exc["field"] or None,
        resumes=interrupted is not None,
    )
    if decisions.status(store, exception_id) == "pushed":
        plan.refusal = f"Exception {exception_id} was already pushed; pull and diff to see it close."
        return plan
    stale = stale_reason(store, exception_id)
    if stale is not None:
        plan.refusal = stale
        return plan
    route_key = (exc["object"], exc["kind"], exc["field"] or "")
    erp_kind = profile.erp_section.kind if profile.erp_section is not None else ""
    routes = routes_for(*route_key, erp_kind=erp_kind) or None
    if routes is None:
        obj = exc["object"].replace("_", " ")
        kind = exc["kind"].replace("_", " ").replace("procore", "Procore").replace("erp", "the ERP")
        what = _WHY.get(exc["kind"], f"{_a(obj)} {obj} {kind}")
        if exc["kind"] == "value_mismatch":
            what = f"{_a(obj)} {obj} {exc['field'] or 'value'} difference"
        if exc["object"] == "commitment" and exc["field"] == "amount":
            what += " (push its lines' differences instead)"
        plan.refusal = NO_PUSH.format(what=what)
        return plan
    chosen, refusal = choose_direction(profile, routes, direction)
    plan.direction = chosen
    if chosen is None:
        plan.refusal = refusal
        return plan
    own = clients is None
    clients = clients or PushClients(profile)
    plan.base_urls = clients.base_urls()
    ctx = PlanContext(store, profile, clients, exc, exc["detail"], plan)
    # A people push needs no ERP port (a people-only profile has no ERP at all).
    erp_planners = port_for(erp_kind).planners if route_key[0] != "user" else {}
    planners: dict[str, Planner] = {**plan_procore.PLANNERS, **erp_planners, **plan_people.PLANNERS}
    planner = planners[f"{chosen}:{route_key[0]}:{route_key[1]}"]
    try:
        await planner(ctx)
    finally:
        if own:
            await clients.aclose()
    if refusal and plan.refusal is None:
        plan.refusal = refusal
    return plan


def plan_push(
    store: Store, profile: Profile, exception_id: str, *, direction: Direction | None = None
) -> PushPlan:
    """The push that fixes ``exception_id``: direction, exact requests, target as it is now.

    Blocking (runs its own event loop): call it from a worker thread or the CLI, never from
    inside a running event loop (use ``plan_push_async`` there).
    """
    import anyio

    return anyio.run(lambda: plan_push_async(store, profile, exception_id, direction=direction))
