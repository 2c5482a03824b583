"""procore_to_erp plans for PeopleSoft: post a journal for a Procore cost PeopleSoft lacks, and
create a PO that exists only in Procore. And the PeopleSoft source of erp_to_procore pushes.

Exactly once: a journal's lines all carry the exception id as ``LINE_REF``, a PO its own PO_ID;
the plan and the execution look each up (``TIEOUT_JOURNAL.v1?LINE_REF=``,
``TIEOUT_PO_DISTRIB.v1?PO_ID=``) before the POST, so a push re-run after a crash finds the
earlier write and records it instead of posting twice. Never across currencies: a journal or PO
is written in the Procore project's currency only when PeopleSoft keeps that project in it.

Where a record sits in PeopleSoft comes from the mapping tables read backwards: ``projects.csv``
gives the project's PROJECT_ID, ``cost_codes.csv`` the one most specific row for the Procore
cost code that names an ``account`` (its ``deptid`` and ``activity_id`` with it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from adapters.peoplesoft import canonical
from adapters.peoplesoft.push import (
    JOURNAL,
    PO,
    ChartFields,
    PeopleSoftPush,
    PoLine,
    journal_request,
    po_request,
)
from adapters.peoplesoft.settings import PeopleSoftSettings
from mappings import MappingError, load_mappings
from reconcile.profile import Profile
from reconcile.push.clients import PushClients, V
from reconcile.push.erp_ports import SourceObject
from reconcile.push.fresh import norm
from reconcile.push.model import HttpCall, PushError, SourceRead
from reconcile.push.plan import PlanContext, Planner, target_currency
from reconcile.secrets import get_secret

__all__ = ["PLANNERS", "SOURCE", "WRITER"]

#: Procore statuses of a direct cost that counts (the diff's own rule).
APPROVED = ("approved", "approved_as_noted")


def settings_of(ctx: PlanContext) -> PeopleSoftSettings:
    erp = ctx.profile.erp
    assert isinstance(erp, PeopleSoftSettings)
    return erp


def writer(ctx: PlanContext) -> PeopleSoftPush:
    """The PeopleSoft client of this push session (made once, closed with the session's clients)."""
    return _ps(ctx.clients)


# -- the mapping tables read backwards ------------------------------------------------------------
@dataclass(frozen=True)
class Placement:
    """Where a Procore project and cost code sit in PeopleSoft."""

    chartfields: ChartFields
    line: int  # the cost_codes.csv line that decided it


def placement(ctx: PlanContext, number: str, code: str) -> Placement | str:
    """The ChartFields of Procore project ``number``'s cost code ``code``, or a sentence why not."""
    try:
        m = load_mappings(ctx.profile.mappings_dir, shape=ctx.profile.erp.shape)
    except MappingError as exc:
        return str(exc)
    projects = m.projects.filter(pl.col("procore_project_number") == number)["project_id"].unique().to_list()
    if len(projects) != 1:
        return (
            f"Procore project {number} maps back to {len(projects) or 'no'} PeopleSoft projects in "
            f"{m.file('projects.csv')}; post it in PeopleSoft by hand."
        )
    project = str(projects[0])
    rows = m.cost_codes.filter(
        (pl.col("procore_cost_code") == code)
        & pl.col("account").is_not_null()
        & (pl.col("project_id").is_null() | (pl.col("project_id") == project))
    )
    if rows.is_empty():
        return (
            f"No {m.file('cost_codes.csv')} row maps Procore cost code {code} of project {number} back to "
            "an account; add one (account, deptid, project_id, activity_id) or post it by hand."
        )
    cells = pl.sum_horizontal(
        pl.col(c).is_not_null().cast(pl.Int32) for c in ("account", "deptid", "project_id", "activity_id")
    )
    ranked = rows.with_columns(cells.alias("_cells"))
    best = ranked.filter(pl.col("_cells") == ranked["_cells"].max())
    if best.select("account", "deptid", "activity_id").unique().height > 1:
        lines = ", ".join(str(x) for x in best["line"].to_list())
        return (
            f"Procore cost code {code} maps back to several PeopleSoft ChartField sets "
            f"({m.file('cost_codes.csv')} lines {lines}); post it by hand."
        )
    row = best.row(0, named=True)
    return Placement(
        ChartFields(str(row["account"]), row["deptid"] or "", project, row["activity_id"] or ""),
        int(row["line"]),
    )


def _currency(ctx: PlanContext, project: str, what: str) -> str | None:
    """The Procore currency, when PeopleSoft keeps ``project``'s actuals and POs in it (else refused)."""
    want = target_currency(ctx.profile)
    theirs = set(
        ctx.table("erp_actuals").filter(pl.col("project_id") == project)["currency"].drop_nulls().to_list()
    ) | set(
        ctx.table("erp_commitment_lines")
        .filter(pl.col("project_id") == project)["currency"]
        .drop_nulls()
        .to_list()
    )
    for other in sorted(c.upper() for c in theirs if c and c.upper() != want):
        ctx.same_currency(other, what)
        return None
    return want


# -- the source: Procore's approved direct costs at a project and cost code ----------------------
def _direct_costs_call(project_id: int, code: str) -> HttpCall:
    """The source read as the plan shows it: the project's direct costs and their line items."""
    return HttpCall(
        side="procore",
        method="GET",
        path=f"{V}/projects/{project_id}/direct_costs/line_items",
        key={"project_id": str(project_id), "cost_code": code},
        purpose="re-read the source (approved direct cost lines at the cost code)",
    )


def direct_cost_stamp(lines: list[tuple[str, Any]]) -> str | None:
    """The approved direct-cost lines a journal stands on: (line id, amount), sorted; None when none."""
    if not lines:
        return None
    return json.dumps(sorted((str(i), norm(a)) for i, a in lines))


async def procore_direct_costs(c: PushClients, project_id: int, code: str) -> str | None:
    """The approved direct-cost lines of a project at cost code ``code``, now (Procore, live)."""
    statuses: dict[str, str] = {}
    async for page, _ in c.procore.pages(
        f"{V}/projects/{project_id}/direct_costs", resource="push", params={}
    ):
        for dc in page:
            if isinstance(dc, dict):
                statuses[str(dc.get("id"))] = str(dc.get("status") or "")
    lines: list[tuple[str, Any]] = []
    path = f"{V}/projects/{project_id}/direct_costs/line_items"
    async for page, _ in c.procore.pages(path, resource="push", params={}):
        for li in page:
            if not isinstance(li, dict):
                continue
            cc = li.get("cost_code")
            full = cc.get("full_code") if isinstance(cc, dict) else None
            holder = li.get("holder")
            parent = str(holder.get("id")) if isinstance(holder, dict) else ""
            if full == code and statuses.get(parent) in APPROVED:
                lines.append((f"direct_cost:{li.get('id')}", li.get("amount")))
    return direct_cost_stamp(lines)


def _snapshot_direct_costs(ctx: PlanContext, project_id: int, code: str) -> str | None:
    rows = ctx.table("procore_actual_lines").filter(
        (pl.col("project_id") == project_id)
        & (pl.col("source") == "direct_cost")
        & pl.col("status").is_in(APPROVED)
        & (pl.col("cost_code") == code)
    )
    return direct_cost_stamp(list(zip(rows["id"].to_list(), rows["amount"].to_list(), strict=True)))


# -- journals --------------------------------------------------------------------------------------
async def journal(ctx: PlanContext) -> None:
    """Post the Procore cost PeopleSoft lacks at a project and cost code as a balanced journal."""
    plan, exc = ctx.plan, ctx.exc
    settings = settings_of(ctx)
    number, _, code = str(exc["key"]).partition("/")
    if not settings.journal_offset_account:
        ctx.refuse(
            "Set [erp].journal_offset_account in the profile (the account that balances the journals Tieout "
            "posts) to push Procore costs to PeopleSoft."
        )
        return
    procore = Decimal(str(exc["procore_value"])) if exc["procore_value"] not in (None, "") else Decimal(0)
    erp = Decimal(str(exc["erp_value"])) if exc["erp_value"] not in (None, "") else Decimal(0)
    amount = procore - erp
    if amount <= 0:
        ctx.refuse(
            f"PeopleSoft holds {-amount} more than Procore at {exc['key']}; a reversing journal is not "
            "automatic, correct it in PeopleSoft."
        )
        return
    proj = ctx.table("procore_projects").filter(pl.col("project_number") == number)
    if proj.is_empty():
        ctx.refuse(f"Project {number} is not in the current Procore snapshot; pull again.")
        return
    project_id = int(proj["id"][0])
    then = _snapshot_direct_costs(ctx, project_id, code)
    if then is None:
        ctx.refuse(
            f"No approved Procore direct cost at {exc['key']} stands behind this difference; there is no "
            "automatic push for it, explain it or fix the mapping."
        )
        return
    call = _direct_costs_call(project_id, code)
    now = await procore_direct_costs(ctx.clients, project_id, code)
    what = f"The approved direct costs of Procore project {number} at cost code {code}"
    plan.source = SourceRead(what=what, call=call, stamp=now)
    if now != then:
        ctx.refuse(f"{what} changed since the last pull; pull and diff again before pushing.")
        return
    # A journal carries the direct costs, never more: the rest of a difference (a subcontractor
    # invoice) is PeopleSoft AP's, and stays an exception.
    direct = sum((Decimal(str(a)) for _, a in json.loads(then)), Decimal(0))
    amount = min(amount, direct)
    place = placement(ctx, number, code)
    if isinstance(place, str):
        ctx.refuse(place)
        return
    currency = _currency(
        ctx, place.chartfields.project_id, f"PeopleSoft project {place.chartfields.project_id}"
    )
    if currency is None:
        return
    ps = writer(ctx)
    body = journal_request(
        settings,
        line_ref=plan.exception_id,
        journal_date=ctx.posting_date(),
        amount=amount,
        currency=currency,
        expense=place.chartfields,
        description=f"Procore {number} {code}",
    )
    plan.action = "post_journal"
    cf = place.chartfields
    plan.summary = (
        f"Post a journal of {amount} {currency} to PeopleSoft business unit {settings.business_unit}: "
        f"account {cf.account}, department {cf.deptid or '-'}, project {cf.project_id}, activity "
        f"{cf.activity_id or '-'} (cost_codes.csv line {place.line}), balanced on account "
        f"{settings.journal_offset_account}; LINE_REF {plan.exception_id}."
    )
    plan.lookup = HttpCall(
        side="erp",
        method="GET",
        path=ps.path(JOURNAL),
        params={"LINE_REF": plan.exception_id},
        entity_set=JOURNAL,
        key={"LINE_REF": plan.exception_id},
        purpose="find a journal already posted with this LINE_REF",
    )
    found = await ps.find_journal(plan.exception_id)
    plan.lookup_found = {"journal": found} if found else None
    plan.requests = [
        HttpCall(
            side="erp",
            method="POST",
            path=ps.path(JOURNAL, by_unit=False),
            body=body,
            entity_set=JOURNAL,
            key={"LINE_REF": plan.exception_id},
            purpose="post the journal",
            skip_if_found=True,
        )
    ]
    if found:
        if plan.resumes:
            plan.summary += (
                f" The interrupted push already posted it (journal {found}); pushing records that."
            )
        else:
            ctx.refuse(
                f"PeopleSoft already has journal {found} with LINE_REF {plan.exception_id}; pull and diff again."
            )


# -- purchase orders -------------------------------------------------------------------------------
async def purchase_order(ctx: PlanContext) -> None:
    """Create in PeopleSoft the PO that exists only in Procore (a commitment missing_in_erp)."""
    plan, exc = ctx.plan, ctx.exc
    settings = settings_of(ctx)
    key = str(exc["key"])
    po_id = key.removeprefix(f"{settings.business_unit}/")
    contract_id = (ctx.detail or {}).get("procore_id")
    heads = ctx.table("procore_commitments")
    head = (
        heads.filter(pl.col("id") == int(contract_id))
        if contract_id is not None
        else heads.filter(pl.col("number") == po_id)
    )
    if head.height != 1:
        ctx.refuse(f"The Procore contract of {key} is not in the current snapshot; pull and diff again.")
        return
    contract = head.row(0, named=True)
    po_id = str(contract["number"] or po_id)
    if not po_id or len(po_id) > 10 or "/" in po_id:
        ctx.refuse(f"Procore contract number {po_id!r} is not a PeopleSoft PO_ID (at most 10 characters).")
        return
    if str(contract["status"] or "").lower() not in ("approved", "complete"):
        ctx.refuse(
            f"Procore contract {po_id} is {contract['status']}, not approved; approve it in Procore first."
        )
        return
    vendor = ctx.table("procore_vendors").filter(pl.col("id") == contract["vendor_id"])
    supplier = vendor["origin_id"][0] if vendor.height else None
    if not supplier:
        ctx.refuse(
            f"The vendor of Procore contract {po_id} is not linked to a PeopleSoft vendor; push it first."
        )
        return
    lines = (
        ctx.table("procore_commitment_lines")
        .filter(pl.col("contract_id") == int(contract["id"]))
        .sort("position")
    )
    number = str(exc["project"] or "")
    po_lines: list[PoLine] = []
    for i, ln in enumerate(lines.iter_rows(named=True), start=1):
        place = placement(ctx, number, str(ln["cost_code"] or ""))
        if isinstance(place, str):
            ctx.refuse(place)
            return
        po_lines.append(
            PoLine(
                int(ln["position"] or i),
                str(ln["description"] or ""),
                Decimal(str(ln["amount"])),
                place.chartfields,
            )
        )
    if not po_lines:
        ctx.refuse(f"Procore contract {po_id} has no lines to put on a PeopleSoft PO.")
        return
    currency = _currency(
        ctx, po_lines[0].chartfields.project_id, f"PeopleSoft project {po_lines[0].chartfields.project_id}"
    )
    if currency is None:
        return
    ps = writer(ctx)
    body = po_request(
        settings,
        po_id=po_id,
        vendor_id=str(supplier),
        currency=currency,
        po_date=datetime.now(UTC).date(),
        reference=plan.exception_id,
        lines=po_lines,
    )
    total = sum((ln.amount for ln in po_lines), Decimal(0))
    plan.action = "create_po"
    plan.summary = (
        f"Create PO {settings.business_unit}/{po_id} in PeopleSoft for vendor {supplier}: {len(po_lines)} line(s), "
        f"{total} {currency}, from Procore contract {contract['id']}."
    )
    plan.lookup = HttpCall(
        side="erp",
        method="GET",
        path=ps.path("PO_DISTRIB"),
        params={"PO_ID": po_id},
        entity_set=PO,
        key={"PO_ID": po_id},
        purpose="find a PO already there",
    )
    found = await ps.read_po(po_id)
    plan.lookup_found = {"po": f"{settings.business_unit}/{po_id}"} if found else None
    plan.requests = [
        HttpCall(
            side="erp",
            method="POST",
            path=ps.path(PO, by_unit=False),
            body=body,
            entity_set=PO,
            key={"PO_ID": po_id},
            purpose="create the PO",
            skip_if_found=True,
        )
    ]
    if found:
        if plan.resumes:
            plan.summary += " The interrupted push already created it; pushing records that."
        else:
            ctx.refuse(f"PeopleSoft already has PO {settings.business_unit}/{po_id}; pull and diff again.")


# -- the port: the PeopleSoft source and writer -----------------------------------------------------
def _ps(clients: PushClients) -> PeopleSoftPush:
    ps = clients.erp
    assert isinstance(ps, PeopleSoftPush)
    return ps


class PeopleSoftSource:
    """PeopleSoft read live: one PO's distributions, one vendor (canonicalised as a pull would)."""

    system = "PeopleSoft"

    def clients(self, profile: Profile) -> PeopleSoftPush:
        """The PeopleSoft client a push session uses (its secret from keyring or environment)."""
        erp = profile.erp
        if not isinstance(erp, PeopleSoftSettings):
            raise PushError(
                f"Pushing to an ERP of kind {erp.kind!r} goes through its own adapter, not PeopleSoft's."
            )
        return PeopleSoftPush(erp, get_secret(profile.name, "erp"))

    def po_call(self, clients: PushClients, po: str, item: str | None) -> HttpCall:
        ps = _ps(clients)
        po_id = po.removeprefix(f"{ps.settings.business_unit}/")
        return HttpCall(
            side="erp",
            method="GET",
            path=ps.path("PO_DISTRIB"),
            params={"PO_ID": po_id},
            entity_set="PO_DISTRIB",
            key={"po": po, **({"item": item} if item else {})},
            purpose="re-read the source",
        )

    def supplier_call(self, clients: PushClients, supplier: str) -> HttpCall:
        return HttpCall(
            side="erp",
            method="GET",
            path=_ps(clients).path("VENDORS"),
            params={"VENDOR_ID": supplier},
            entity_set="VENDORS",
            key={"supplier": supplier},
            purpose="re-read the source",
        )

    def read_of(self, call: HttpCall) -> tuple[SourceObject, str, str | None] | None:
        if call.entity_set == "PO_DISTRIB":
            return "po", call.key["po"], call.key.get("item")
        if call.entity_set == "VENDORS":
            return "supplier", call.key["supplier"], None
        return None

    async def purchase_order(self, clients: PushClients, po: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        ps = _ps(clients)
        rows = await ps.read_po(po.removeprefix(f"{ps.settings.business_unit}/"))
        return canonical.commitments(
            lambda name: [("", r) for r in rows] if name == "PO_DISTRIB" else [], ps.settings
        )

    async def supplier_name(self, clients: PushClients, supplier: str) -> str | None:
        ps = _ps(clients)
        rows = await ps.read_vendor(supplier)
        frame = canonical.vendors(
            lambda name: [("", r) for r in rows] if name == "VENDORS" else [], ps.settings
        )
        return str(frame["name"][0]) if frame.height and frame["name"][0] is not None else None

    async def read_stamp(self, call: HttpCall, clients: PushClients) -> str | None:
        """A Procore source only PeopleSoft's planners read: the direct costs a journal stands on."""
        if call.side == "procore" and call.key.get("cost_code") is not None:
            return await procore_direct_costs(clients, int(call.key["project_id"]), call.key["cost_code"])
        raise ValueError(f"no source reader for {call.line()}")


class PeopleSoftWriter:
    """Journals and POs through ``PeopleSoftPush``: each POST once, each looked up first."""

    async def reread(self, call: HttpCall, clients: PushClients) -> dict[str, Any] | None:
        raise ValueError(f"PeopleSoft writes are creates; there is no target to re-read ({call.line()}).")

    async def lookup(self, call: HttpCall, clients: PushClients) -> str | None:
        ps = _ps(clients)
        if call.entity_set == JOURNAL:
            return await ps.find_journal(call.key["LINE_REF"])
        if call.entity_set == PO:
            rows = await ps.read_po(call.key["PO_ID"])
            return f"{ps.settings.business_unit}/{call.key['PO_ID']}" if rows else None
        raise ValueError(f"no PeopleSoft lookup for {call.line()}")

    async def send(
        self, call: HttpCall, values: dict[str, str], clients: PushClients
    ) -> tuple[int, str | None, Any]:
        ps = _ps(clients)
        if call.entity_set == JOURNAL:
            jid, answer = await ps.post_journal(call.body)
            return 201, jid, answer
        if call.entity_set == PO:
            po_id, answer = await ps.post_po(call.body)
            return 201, f"{ps.settings.business_unit}/{po_id}", answer
        raise ValueError(f"no PeopleSoft write for {call.line()}")


SOURCE = PeopleSoftSource()
WRITER = PeopleSoftWriter()
PLANNERS: dict[str, Planner] = {
    "procore_to_erp:actual:missing_in_erp": journal,
    "procore_to_erp:actual:value_mismatch": journal,
    "procore_to_erp:commitment:missing_in_erp": purchase_order,
}
