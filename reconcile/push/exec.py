"""Executing a push exactly once, and the queue of failed pushes.

The order is the guarantee:
0. An exception the latest diff closed (or a pull outdated) since the plan is refused.
1. In one transaction: the exception is approved, the push is recorded as ``sending``
   (with its plan) and audited. Only then does anything leave the machine.
2. Both sides are re-read: the source (whose values the plan copies) and the target; either
   one moved since the plan is refused (pull and diff again).
3. The lookup by ``origin_id`` (Procore) or invoice reference (SAP) runs; a hit means an
   earlier attempt already wrote, so the create is skipped and the hit adopted.
4. The requests are sent, each once (no blind retries of writes).
5. In one transaction: the push becomes ``done``/``failed``/``refused``, the decision
   ``pushed``/``failed``, and the audit log gets the request and the answer.

A crash between 4 and 5 leaves ``sending``; the next plan of the exception resumes that
push id and step 3 finds the record, so re-running never writes twice.
"""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from adapters.base import AdapterError, PermissionDenied
from adapters.sap.errors import TargetChanged
from reconcile import audit
from reconcile.decisions import decide_in, default_actor, status_in
from reconcile.profile import Profile
from reconcile.push.clients import PushClients
from reconcile.push.erp_ports import ErpWriter, port_for
from reconcile.push.fresh import applied, stamp_of
from reconcile.push.model import CONTRACT_ID, HttpCall, PushError, PushPlan, PushResult, PushState
from reconcile.push.plan import plan_push_async, stale_reason
from reconcile.push.source import read_stamp
from reconcile.store import Store, now

#: Test hook (documented, inert unless set): exit the process right after the first remote
#: write, before the local record is updated, to prove a re-run writes nothing twice.
CRASH_HOOK = "TIEOUT_TEST_CRASH_AFTER_REMOTE_WRITE"


class _Refused(Exception):
    """The target is not what the plan was made against."""


class _Failed(Exception):
    """The remote side answered, but not with success (e.g. a sync's ``errors``)."""


def _lines(plan: PushPlan) -> list[str]:
    return [c.line(plan.base_urls.get(c.side, "")) for c in plan.requests]


def _requests(plan: PushPlan) -> list[dict[str, Any]]:
    """The requests as the audit keeps them: method and URL, If-Match, body (never a token)."""
    return [
        {
            "request": c.line(plan.base_urls.get(c.side, "")),
            "if_match": c.headers.get("If-Match"),
            "body": c.body,
        }
        for c in plan.requests
    ]


def _record_start(store: Store, plan: PushPlan, actor: str) -> None:
    with store.transaction() as tx:
        status = status_in(tx, plan.exception_id)
        if status == "pushed":
            raise PushError(
                f"Exception {plan.exception_id} was already pushed; pull and diff to see it close."
            )
        if status != "approved":
            decide_in(tx, plan.exception_id, "approved", actor=actor, note=f"push {plan.push_id}")
        ts = now()
        exists = tx.execute("SELECT 1 FROM pushes WHERE push_id = ?", [plan.push_id]).fetchone()
        if exists:
            tx.execute(
                "UPDATE pushes SET state = 'sending', plan = ?, updated_at = ? WHERE push_id = ?",
                [plan.model_dump_json(), ts, plan.push_id],
            )
        else:
            tx.execute(
                "INSERT INTO pushes (push_id, exception_id, direction, state, plan, created_by, created_at, updated_at) "
                "VALUES (?, ?, ?, 'sending', ?, ?, ?, ?)",
                [plan.push_id, plan.exception_id, plan.direction, plan.model_dump_json(), actor, ts, ts],
            )
        audit.append(
            tx,
            actor=actor,
            action="push:sending",
            exception_id=plan.exception_id,
            before={"status": status},
            after={
                "push_id": plan.push_id,
                "direction": plan.direction,
                "action": plan.action,
                "requests": _requests(plan),
                "resumes": plan.resumes,
            },
            covers=("pushes", plan.push_id),
        )


def _record_end(store: Store, plan: PushPlan, result: PushResult, actor: str, *, started: bool) -> None:
    """Record the outcome. A plan refused before sending is audited only: it is not in the queue."""
    response = {"status": result.status_code, "document": result.document, "answer": result.response}
    with store.transaction() as tx:
        if started:
            tx.execute(
                "UPDATE pushes SET state = ?, response = ?, reason = ?, updated_at = ? WHERE push_id = ?",
                [
                    result.state,
                    audit.canonical_json(response),
                    None if result.ok else result.message,
                    now(),
                    plan.push_id,
                ],
            )
            decide_in(
                tx,
                plan.exception_id,
                "pushed" if result.ok else "failed",
                actor=actor,
                note=result.message[:500],
                detail={"push_id": plan.push_id},
            )
        audit.append(
            tx,
            actor=actor,
            action=f"push:{result.state}",
            exception_id=plan.exception_id,
            before={"push_id": plan.push_id, "state": "sending" if started else "planned"},
            after={
                "push_id": plan.push_id,
                "direction": plan.direction,
                "requests": _lines(plan),
                "status": result.status_code,
                "message": result.message,
                "document": result.document,
            },
            covers=("pushes", plan.push_id) if started else None,
        )


# -- talking to the two sides ------------------------------------------------------------------
def _writer(c: PushClients) -> ErpWriter:
    writer = port_for(c.profile.erp.kind).writer
    if writer is None:
        raise _Failed(f"Tieout cannot write to an ERP of kind {c.profile.erp.kind!r}.")
    return writer


async def _reread(call: HttpCall, c: PushClients) -> dict[str, Any] | None:
    if call.side == "erp":
        return await _writer(c).reread(call, c)
    if call.list_id is not None:
        return await c.procore_record_in_list(call.path, call.params, call.list_id)
    body = await c.procore_get(call.path, call.params)
    return body if isinstance(body, dict) else None


async def _lookup(call: HttpCall, c: PushClients) -> str | None:
    """The id / document number of the record an earlier attempt wrote, if any."""
    if call.side == "erp":
        return await _writer(c).lookup(call, c)
    params = dict(call.params)
    origin = params.pop("filters[origin_id]")
    rec = await c.procore_find(call.path, params, origin)
    return None if rec is None else str(rec.get("id"))


async def _send(call: HttpCall, values: dict[str, str], c: PushClients) -> tuple[int, str | None, Any]:
    """Send one write; (status, new id or document, answer)."""
    path = call.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    if CONTRACT_ID in path:
        raise _Failed("The contract id for the line items is unknown (the contract was not created).")
    if call.side == "erp":
        return await _writer(c).send(call, values, c)
    resp = await c.procore.request(call.method, path, resource="push", params=call.params, json=call.body)
    # A DELETE (remove from a project) answers 204 with no body: nothing to decode.
    body = c.procore.decode(resp, path) if resp.status_code != 204 and resp.content else None
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        errs = first.get("errors") if isinstance(first, dict) else first
        raise _Failed(f"Procore refused {call.method} {path}: {str(errs)[:200]}.")
    if isinstance(body, dict) and isinstance(body.get("entities"), list):
        ids = [str(e.get("id")) for e in body["entities"] if isinstance(e, dict)]
        return resp.status_code, ",".join(ids) or None, {"entities": ids}
    new_id = str(body.get("id")) if isinstance(body, dict) and body.get("id") is not None else None
    return resp.status_code, new_id, {"id": new_id}


def crash_point() -> None:
    """Where a push's first remote write has landed and the local record has not: the test hook
    (``CRASH_HOOK``) ends the process here. Ports whose write takes several calls (EBS: the
    GL_INTERFACE insert, then Journal Import) call it right after the first one."""
    if os.environ.get(CRASH_HOOK) == "1":
        os._exit(86)


_crash_hook = crash_point


async def _perform(plan: PushPlan, c: PushClients) -> PushResult:
    def result(state: PushState, message: str, **kw: Any) -> PushResult:
        return PushResult(
            push_id=plan.push_id, exception_id=plan.exception_id, state=state, message=message, **kw
        )

    if plan.source is not None:
        now = await read_stamp(plan.source.call, c)
        if now != plan.source.stamp:
            raise _Refused(
                f"{plan.source.what} changed since the plan, so nothing was written; pull and diff again."
            )
    if plan.reread is not None:
        target = await _reread(plan.reread, c)
        if target is None:
            raise _Refused("The target no longer exists; pull and diff again.")
        if applied(target, plan.desired):
            return result("done", "The target already shows the wanted values; nothing was sent.")
        current = stamp_of(target, plan.stamp_fields)
        if current != plan.current_stamp:
            raise _Refused(
                f"The target changed since the plan ({plan.current_stamp} → {current}); pull and diff again."
            )
    found = await _lookup(plan.lookup, c) if plan.lookup is not None else None
    values = {"contract_id": found} if found else {}
    status: int | None = None
    document: str | None = found
    answers: list[Any] = []
    for call in plan.requests:
        if call.skip_if_found and found is not None:
            continue
        status, new_id, answer = await _send(call, values, c)
        _crash_hook()
        answers.append(answer)
        if call.method == "POST" and new_id:
            values.setdefault("contract_id", new_id)
            document = new_id
        elif document is None:
            document = new_id
    if found and status is None:
        return result(
            "done",
            f"Already written by an earlier attempt ({found}); nothing was sent twice.",
            document=found,
        )
    message = f"Pushed {plan.action.replace('_', ' ')}" + (f": {document}." if document else ".")
    return result("done", message, status_code=status, document=document, response=answers)


async def execute_push_async(
    store: Store,
    profile: Profile,
    plan: PushPlan,
    *,
    actor: str | None = None,
    clients: PushClients | None = None,
) -> PushResult:
    """Send a plan once and record the outcome (see ``execute_push``)."""
    actor = actor or default_actor()
    if plan.refusal is None:
        # The plan may be minutes old: a diff since then may have closed the exception.
        plan.refusal = stale_reason(store, plan.exception_id)
    if plan.direction is not None and plan.direction not in profile.push.allow and plan.refusal is None:
        plan.refusal = f"Profile {profile.name!r} does not allow {plan.direction} pushes ([push].allow)."
    if not plan.can_push:
        res = PushResult(
            push_id=plan.push_id,
            exception_id=plan.exception_id,
            state="refused",
            message=plan.refusal or "Nothing to push.",
        )
        _record_end(store, plan, res, actor, started=False)
        return res
    _record_start(store, plan, actor)
    own = clients is None
    clients = clients or PushClients(profile)
    try:
        res = await _perform(plan, clients)
    except PermissionDenied as exc:  # never retried: a person must grant the permission
        res = PushResult(
            push_id=plan.push_id,
            exception_id=plan.exception_id,
            state="failed",
            message=str(exc),
            status_code=403,
        )
    except TargetChanged as exc:
        res = PushResult(
            push_id=plan.push_id,
            exception_id=plan.exception_id,
            state="refused",
            message=f"{exc} The exception needs a fresh pull and diff.",
            status_code=exc.status,
        )
    except _Refused as exc:
        res = PushResult(
            push_id=plan.push_id, exception_id=plan.exception_id, state="refused", message=str(exc)
        )
    except (_Failed, AdapterError) as exc:
        res = PushResult(
            push_id=plan.push_id, exception_id=plan.exception_id, state="failed", message=str(exc)
        )
    finally:
        if own:
            await clients.aclose()
    _record_end(store, plan, res, actor, started=True)
    return res


def execute_push(store: Store, profile: Profile, plan: PushPlan, *, actor: str | None = None) -> PushResult:
    """Perform ``plan`` exactly once and record it (pushes, decision, audit). Blocking."""
    import anyio

    return anyio.run(lambda: execute_push_async(store, profile, plan, actor=actor))


def failed_pushes(store: Store) -> pl.DataFrame:
    """The queue: the latest push of each exception when it failed or was refused, with its reason."""
    return store.query(
        "SELECT push_id, exception_id, direction, state, reason, created_by, "
        "CAST(updated_at AS VARCHAR) AS updated_at FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY exception_id ORDER BY updated_at DESC) AS rn FROM pushes"
        ") WHERE rn = 1 AND state IN ('failed', 'refused') ORDER BY updated_at"
    )


async def retry_push_async(
    store: Store, profile: Profile, push_id: str, *, actor: str | None = None
) -> PushResult:
    """Plan afresh (new re-read) and execute one failed push."""
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT exception_id, direction, state FROM pushes WHERE push_id = ?", [push_id]
        ).fetchone()
    finally:
        cur.close()
    if row is None:
        raise PushError(f"There is no push {push_id}.")
    if row[2] not in ("failed", "refused", "sending"):
        raise PushError(f"Push {push_id} is {row[2]}; only failed or refused pushes are retried.")
    plan = await plan_push_async(store, profile, str(row[0]), direction=row[1])
    return await execute_push_async(store, profile, plan, actor=actor)


def retry_push(store: Store, profile: Profile, push_id: str, *, actor: str | None = None) -> PushResult:
    """Retry one failed push (blocking)."""
    import anyio

    return anyio.run(lambda: retry_push_async(store, profile, push_id, actor=actor))
