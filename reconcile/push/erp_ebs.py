"""Oracle EBS's push port (``erp_ports.ERP_PUSH["oracle-ebs"]``): live reads, the journal planner, writes.

EBS → Procore uses the shared ``erp_to_procore`` planners; ``SOURCE`` reads what they copy
live through XX_TIEOUT_READ and canonicalises it with the adapter's own functions. The
read procedures take no key (docs/oracle-ebs.md), so a live read pages the procedure and
keeps the record asked for: slower than a keyed read, never staler.

Procore → EBS: an approved direct cost or subcontractor invoice EBS is missing becomes a GL
journal (``EbsJournalPush``: GL_INTERFACE rows, a Journal Import request, its status polled).
The journal's reference is the exception id, so a retry after a crash finds the journal, or
the interface rows the dead attempt inserted, instead of posting twice. A plan posts only an
amount that closes the exception exactly, in the Procore projects' currency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from adapters.oracle_ebs import canonical
from adapters.oracle_ebs.push import (
    EbsJournalPush,
    Journal,
    JournalImportFailed,
    JournalLine,
    JournalLookup,
    JournalPlan,
    cost_journal,
)
from adapters.oracle_ebs.settings import OracleEbsSettings
from adapters.oracle_ebs.wire import WRITE_PACKAGE, procedure_path, request_body
from mappings import MappingError, load_mappings
from reconcile.profile import Profile
from reconcile.push.clients import PushClients, V, stamp
from reconcile.push.erp_ports import SourceObject
from reconcile.push.exec import crash_point
from reconcile.push.fresh import check_fresh
from reconcile.push.model import HttpCall, PushError
from reconcile.push.plan import PlanContext, Planner, target_currency
from reconcile.secrets import get_secret

__all__ = ["PLANNERS", "SOURCE", "WRITER"]

APPROVED = {"direct_cost": ("approved",), "requisition": ("approved", "approved_as_noted")}
INSERT = "INSERT_GL_INTERFACE"


def _ebs(clients: PushClients) -> EbsJournalPush:
    erp = clients.erp
    assert isinstance(erp, EbsJournalPush)
    return erp


def _settings(clients: PushClients) -> OracleEbsSettings:
    return _ebs(clients).settings


async def _read(clients: PushClients, *procedures: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``procedures`` now (all pages)."""
    client = _ebs(clients).client
    out: dict[str, list[dict[str, Any]]] = {}
    for proc in procedures:
        rows: list[dict[str, Any]] = []
        async for page in client.pages(proc, since=None):
            rows += page.rows
        out[proc] = rows
    return out


def _reader(raw: dict[str, list[dict[str, Any]]]) -> Any:
    return lambda procedure: [(str(i), r) for i, r in enumerate(raw.get(procedure, []))]


class EbsSource:
    """EBS read live: PO distributions folded into lines, suppliers."""

    system = "EBS"

    def clients(self, profile: Profile) -> EbsJournalPush:
        erp = profile.erp
        if not isinstance(erp, OracleEbsSettings):
            raise PushError(f"The EBS push port cannot write to an ERP of kind {erp.kind!r}.")
        return EbsJournalPush(erp, get_secret(profile.name, "erp"))

    def _call(self, clients: PushClients, procedure: str, key: dict[str, str]) -> HttpCall:
        return HttpCall(
            side="erp",
            method="POST",
            path=procedure_path(_settings(clients).alias, procedure),
            params={"P_OFFSET": "0", "P_LIMIT": str(_settings(clients).page_size)},
            entity_set=procedure,
            key=key,
            purpose="re-read the source (all pages, keeping this record)",
        )

    def po_call(self, clients: PushClients, po: str, item: str | None) -> HttpCall:
        return self._call(clients, canonical.PO_DISTRIBUTIONS, {"po": po, **({"line": item} if item else {})})

    def supplier_call(self, clients: PushClients, supplier: str) -> HttpCall:
        return self._call(clients, canonical.SUPPLIERS, {"supplier": supplier})

    def read_of(self, call: HttpCall) -> tuple[SourceObject, str, str | None] | None:
        if call.entity_set == canonical.PO_DISTRIBUTIONS:
            return "po", call.key["po"], call.key.get("line")
        if call.entity_set == canonical.SUPPLIERS:
            return "supplier", call.key["supplier"], None
        return None

    async def purchase_order(self, clients: PushClients, po: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        raw = await _read(
            clients,
            canonical.SUPPLIERS,
            canonical.CODE_COMBINATIONS,
            canonical.PROJECTS,
            canonical.PO_DISTRIBUTIONS,
        )
        frames = canonical.canonicalize(_reader(raw), _settings(clients))
        return (
            frames["erp_commitments"].filter(pl.col("po_number") == po),
            frames["erp_commitment_lines"].filter(pl.col("po_number") == po),
        )

    async def supplier_name(self, clients: PushClients, supplier: str) -> str | None:
        raw = await _read(clients, canonical.SUPPLIERS)
        frame = canonical.vendors(_reader(raw), _settings(clients)).filter(pl.col("supplier") == supplier)
        return str(frame["name"][0]) if frame.height and frame["name"][0] is not None else None


# -- Procore → EBS: a cost as a GL journal -------------------------------------------------------
def _journal_of(params: dict[str, Any]) -> Journal:
    """The journal an INSERT_GL_INTERFACE call carries (the plan keeps the call, not the object)."""
    lines = []
    for ln in params["P_LINES"]["P_LINES_ITEM"]:
        lines.append(
            JournalLine(
                segments={k: v for k, v in ln.items() if k.startswith("SEGMENT")},
                debit=Decimal(ln["ENTERED_DR"]) if ln.get("ENTERED_DR") else None,
                credit=Decimal(ln["ENTERED_CR"]) if ln.get("ENTERED_CR") else None,
                description=ln.get("DESCRIPTION") or "",
                project=ln.get("PROJECT_NUMBER") or None,
                task=ln.get("TASK_NUMBER") or None,
            )
        )
    return Journal(
        reference=params["P_REFERENCE"],
        accounting_date=date.fromisoformat(params["P_ACCOUNTING_DATE"]),
        currency=params["P_CURRENCY_CODE"],
        description=params["P_DESCRIPTION"],
        lines=tuple(lines),
    )


def _pending_document(ctx: PlanContext, project_id: int, code: str) -> tuple[str, int, Decimal] | str:
    """(source, document id, amount) of the approved Procore document EBS is missing at this key,
    or a sentence saying why there is none: its amount must close the exception exactly."""
    missing = -Decimal(str(ctx.exc["difference"] or "0"))
    actual = ctx.table("procore_actual_lines").filter(
        (pl.col("project_id") == project_id)
        & (pl.col("cost_code") == code)
        & (pl.col("origin_id").is_null() | (pl.col("origin_id") == ""))
    )
    approved = pl.any_horizontal(
        *((pl.col("source") == s) & pl.col("status").is_in(list(st)) for s, st in APPROVED.items())
    )
    docs = (
        actual.filter(approved)
        .group_by("source", "document_id")
        .agg(pl.col("amount").sum())
        .sort("document_id", descending=True)  # the newest first: the one most likely not yet booked
    )
    for row in docs.iter_rows(named=True):
        if Decimal(str(row["amount"])) == missing:
            return str(row["source"]), int(row["document_id"]), missing
    return (
        f"No approved Procore direct cost or subcontractor invoice at {ctx.exc['key']} carries the {missing} "
        "EBS is missing, so a journal would not close this difference; explain it or fix the mapping."
    )


def _dimensions_from_po(ctx: PlanContext, commitment_id: Any, code: str) -> dict[str, Any] | str | None:
    """The EBS line an invoice's contract line links to (its dimensions and currency), if linked."""
    plines = ctx.table("procore_commitment_lines").filter(
        (pl.col("contract_id") == commitment_id) & (pl.col("cost_code") == code)
    )
    origin = next((o for o in plines["origin_id"].to_list() if o and "/" in o), None)
    if origin is None:
        return None
    po, _, line = str(origin).partition("/")
    rows = ctx.table("erp_commitment_lines").filter((pl.col("po_number") == po) & (pl.col("item") == line))
    if rows.is_empty():
        return f"EBS line {origin} of the invoice's contract is not in the current snapshot; pull and diff again."
    return rows.sort("amount", descending=True).row(0, named=True)


def _dimensions_from_mapping(ctx: PlanContext, number: str, code: str) -> dict[str, Any] | str:
    """The one EBS account/task cost_codes.csv maps back to this project and cost code."""
    shape = ctx.profile.erp.shape
    try:
        m = load_mappings(ctx.profile.mappings_dir, shape=ctx.profile.erp.shape)
    except MappingError as exc:
        return str(exc)
    project_col = shape.project.column
    projects = (
        m.projects.filter(pl.col("procore_project_number") == number)[project_col].drop_nulls().unique()
    )
    if projects.len() != 1:
        return f"Procore project {number} maps back to {projects.len() or 'no'} EBS projects in projects.csv; post it in EBS."
    erp_project = str(projects[0])
    tasks = set(ctx.table("erp_hierarchy").filter(pl.col("project") == erp_project)["node"].to_list())
    rows = m.cost_codes.filter(pl.col("procore_cost_code") == code)
    keys = list(shape.cost_code_keys)
    found = {
        tuple(r[c] for c in keys)
        for r in rows.iter_rows(named=True)
        if r.get("task") in (None, "") or r.get("task") in tasks
    }
    if len(found) != 1:
        return (
            f"Cost code {code} maps back to {len(found) or 'no'} EBS accounts and tasks of project {erp_project} "
            "in cost_codes.csv; post it in EBS."
        )
    return {project_col: erp_project, **dict(zip(keys, next(iter(found)), strict=True))}


async def journal(ctx: PlanContext) -> None:
    """Post the approved Procore cost behind an actuals difference to the EBS GL as a journal."""
    key, plan, c = ctx.exc["key"], ctx.plan, ctx.clients
    settings = _settings(c)
    shape = ctx.profile.erp.shape
    number, _, code = key.partition("/")
    proj = ctx.table("procore_projects").filter(pl.col("project_number") == number)
    if proj.is_empty():
        ctx.refuse(f"Project {number} is not in the current Procore snapshot; pull again.")
        return
    project_id = int(proj["id"][0])
    doc = _pending_document(ctx, project_id, code)
    if isinstance(doc, str):
        ctx.refuse(doc)
        return
    source, doc_id, amount = doc
    params = {"project_id": str(project_id)}
    what = "Subcontractor invoice" if source == "requisition" else "Direct cost"
    lines = ctx.table("procore_actual_lines").filter(
        (pl.col("source") == source) & (pl.col("document_id") == doc_id)
    )
    # Read-before-write: the Procore document as it is now (its amount is what the journal books).
    if source == "requisition":
        plan.reread = HttpCall(side="procore", method="GET", path=f"{V}/requisitions/{doc_id}", params=params)
        target = await c.procore_get(plan.reread.path, params)
    else:
        path = f"{V}/projects/{project_id}/direct_costs"
        plan.reread = HttpCall(side="procore", method="GET", path=path, params={}, list_id=doc_id)
        target = await c.procore_record_in_list(path, {}, doc_id)
    if not isinstance(target, dict):
        ctx.refuse(f"{what} {doc_id} is no longer in Procore; pull and diff again.")
        return
    plan.target = target
    plan.snapshot_stamp = stamp(lines["updated_at"].max())
    plan.current_stamp = stamp(target.get("updated_at"))
    if target.get("status") not in APPROVED[source]:
        ctx.refuse(f"{what} {doc_id} is {target.get('status')}, no longer approved; pull and diff again.")
        return
    dims = _dimensions_from_po(ctx, target.get("commitment_id"), code) if source == "requisition" else None
    if dims is None:
        dims = _dimensions_from_mapping(ctx, number, code)
    if isinstance(dims, str):
        ctx.refuse(dims)
        return
    currency = target_currency(ctx.profile)
    if "currency" in dims:
        if not ctx.same_currency(dims["currency"], f"EBS line {dims['po_number']}/{dims['item']}"):
            return
    else:  # no PO: the project's own books say which currency EBS keeps its cost in
        project_col = shape.project.column
        books = ctx.table("erp_actuals").filter(pl.col(project_col) == dims[project_col])
        foreign = [x for x in books["currency"].drop_nulls().unique().to_list() if x.upper() != currency]
        if foreign and not ctx.same_currency(foreign[0], f"EBS project {dims[project_col]}"):
            return
    where = shape.summary(dims)
    segments = {name: str(dims[name]) for name in settings.segment_names if name in dims and dims[name]}
    if not any(segments.values()):
        ctx.refuse(f"{what} {doc_id} maps to no EBS account ({where}); add the account to cost_codes.csv.")
        return
    ebs = _ebs(c)
    try:
        entry = cost_journal(
            settings,
            reference=ctx.exc["exception_id"],
            accounting_date=ctx.posting_date(),
            currency=currency,
            amount=amount,
            dimensions=segments,
            erp_project=dims.get(shape.project.column),
            task=dims.get("task"),
            description=f"Procore {what.lower()} {doc_id} ({number}/{code})",
        )
        jplan: JournalPlan = await ebs.plan(entry)
    except JournalImportFailed as exc:
        ctx.refuse(str(exc))
        return
    ref = entry.reference
    plan.action = "post_gl_journal"
    plan.summary = (
        f"Post Procore {what.lower()} {doc_id} to the EBS GL as a journal of {amount} {currency} "
        f"({where}, credit the offset account), reference {ref}: GL_INTERFACE rows, then Journal Import, "
        "then its status until it completes."
    )
    plan.lookup = HttpCall(
        side="erp",
        method="POST",
        path=procedure_path(settings.write_alias, "FIND_JOURNAL_BY_REFERENCE"),
        body=request_body(
            "FIND_JOURNAL_BY_REFERENCE",
            ebs.client.header,
            {"P_REFERENCE": ref, "P_LEDGER_ID": settings.ledger_id},
        ),
        entity_set="FIND_JOURNAL_BY_REFERENCE",
        key={"reference": ref},
        purpose="find a journal (or interface rows) already carrying the reference",
    )
    insert = next((call for call in jplan.calls if call.procedure == INSERT), None)
    params_body = ebs.insert_params(entry)
    plan.requests = [
        HttpCall(
            side="erp",
            method="POST",
            path=procedure_path(settings.write_alias, INSERT),
            body=insert.body if insert else request_body(INSERT, ebs.client.header, params_body),
            entity_set=INSERT,
            key={"reference": ref},
            purpose="insert GL_INTERFACE rows, submit Journal Import and wait for it",
            skip_if_found=True,
        )
    ]
    existing: JournalLookup = jplan.existing
    if existing.state == "IMPORTED":
        plan.lookup_found = {"journal": existing.journal_name or existing.je_header_id}
        if plan.resumes:
            plan.summary += f" The interrupted push already imported it ({plan.lookup_found['journal']}); pushing records that."
        else:
            ctx.refuse(
                f"EBS already has journal {plan.lookup_found['journal']} with reference {ref}; pull and diff again."
            )
            return
    elif existing.state == "PENDING":
        plan.summary += f" GL_INTERFACE already holds its rows (group {existing.group_id}): they are imported, not inserted again."
    elif existing.state == "ERROR":
        ctx.refuse(
            f"Journal Import rejected the GL_INTERFACE rows of {ref} (status {existing.interface_status}); "
            "correct or delete them in EBS before pushing again."
        )
        return
    check_fresh(plan, f"{what} {doc_id}", "Procore")


class EbsWriter:
    """GL journals through ``EbsJournalPush`` (never a blind retry of a write)."""

    async def reread(self, call: HttpCall, clients: PushClients) -> dict[str, Any] | None:
        raise PushError(f"An EBS journal push re-reads its Procore document, not {call.line()}.")

    async def lookup(self, call: HttpCall, clients: PushClients) -> str | None:
        found = await _ebs(clients).find(call.key["reference"])
        return (found.journal_name or found.je_header_id) if found.state == "IMPORTED" else None

    async def send(
        self, call: HttpCall, values: dict[str, str], clients: PushClients
    ) -> tuple[int, str | None, Any]:
        ebs = _ebs(clients)
        body = call.body[f"{INSERT}_Input"]["InputParameters"]
        entry = _journal_of(body)
        result = await ebs.execute(JournalPlan(entry, JournalLookup("NONE"), []), after_insert=crash_point)
        answer = {
            "state": result.state,
            "journal": result.journal_name,
            "je_header_id": result.je_header_id,
            "group_id": result.group_id,
            "request_id": result.request_id,
            "sent": result.sent,
            "package": WRITE_PACKAGE,
        }
        return 201, result.journal_name or result.je_header_id, answer


PLANNERS: dict[str, Planner] = {
    "procore_to_erp:actual:missing_in_erp": journal,
    "procore_to_erp:actual:value_mismatch": journal,
}
SOURCE = EbsSource()
WRITER = EbsWriter()
