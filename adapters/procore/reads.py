"""One pull's walk over Procore: the lists per unit of work, checkpoints, progress.

Kept apart from ``adapter.py`` so the adapter reads as the policy (what is full, what
is incremental) and this file as the mechanics (pages into the sink, units done).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import anyio

from adapters.base import Cancelled, Progress, PullSink, ResponseError
from adapters.procore import models as m
from adapters.procore.client import ProcoreClient
from adapters.settings import ProcoreSettings

V = "/rest/v1.0"
CONTRACT_KINDS = ("purchase_order_contracts", "work_order_contracts")


def selected(settings: ProcoreSettings, projects: list[m.Project]) -> list[m.Project]:
    """The projects the profile asks for: the active ones, or those with the listed numbers."""
    if settings.projects == "active":
        return [p for p in projects if p.active]
    wanted = set(settings.projects)
    return [p for p in projects if p.project_number in wanted]


class Pull:
    """The state of one pull: where it writes, what changed, and its counters."""

    def __init__(
        self,
        client: ProcoreClient,
        settings: ProcoreSettings,
        sink: PullSink,
        window: str | None,
        prev_contracts: dict[int, str | None],
    ) -> None:
        self.client = client
        self.settings = settings
        self.sink = sink
        self.window = window  # filters[updated_at] value, None on a full pull
        self.prev_contracts = prev_contracts
        self.pages: Counter[str] = Counter()
        self.records: Counter[str] = Counter()
        self.waits: defaultdict[str, float] = defaultdict(float)

    # -- reporting ----------------------------------------------------------------------
    def on_wait(self, resource: str, seconds: float, note: str) -> None:
        self.waits[resource] += seconds
        self._progress(resource, note=note)

    def _progress(self, resource: str, total_pages: int | None = None, note: str = "") -> None:
        self.sink.progress(
            Progress(
                resource,
                requests=self.client.stats[resource],
                pages=self.pages[resource],
                records=self.records[resource],
                total_pages=total_pages,
                wait_seconds=self.waits[resource],
                note=note,
            )
        )

    def _check_cancel(self) -> None:
        if self.sink.cancelled():
            raise Cancelled("The Procore pull was cancelled; `tieout pull --resume` continues it.")

    # -- one list -----------------------------------------------------------------------
    async def read(
        self,
        resource: str,
        scope: str,
        path: str,
        model: type[m.M],
        params: dict[str, Any],
        *,
        incremental: bool = False,
        key: Any = None,
        store: bool = True,
    ) -> list[m.M]:
        """Read every page of one list into the sink as one unit; returns the parsed records.

        ``incremental`` adds the updated_at window (when this pull has one) and keeps
        what the base snapshot holds for the scope; otherwise the scope is replaced.
        ``store=False`` only re-reads a finished unit a resumed pull needs to walk on.
        """
        self._check_cancel()
        query = dict(params)
        use_window = incremental and self.window is not None
        if use_window:
            query["filters[updated_at]"] = self.window
        if store and not use_window:
            self.sink.replace_scope(resource, scope)
        out: list[m.M] = []
        requests = 0
        async for page, total_pages in self.client.pages(path, resource=resource, params=query):
            requests += 1
            parsed = m.parse_page(model, page, endpoint=path)
            out += parsed
            if store:
                keys = [key(rec) if key else str(rec.id) for rec in parsed]  # type: ignore[attr-defined]
                self.sink.page(resource, scope, list(zip(keys, page, strict=True)))
                self.pages[resource] += 1
                self.records[resource] += len(page)
                self._progress(resource, total_pages)
        if store:
            self.sink.unit_done(resource, scope, requests, len(out))
        return out

    # -- company level ------------------------------------------------------------------
    async def projects(self) -> list[m.Project]:
        done = self.sink.is_done("projects", "company")
        params = {"company_id": self.settings.company_id}
        projects = await self.read("projects", "company", f"{V}/projects", m.Project, params, store=not done)
        return selected(self.settings, projects)

    async def vendors(self) -> None:
        if not self.sink.is_done("vendors", "company"):
            params = {"company_id": self.settings.company_id}
            await self.read("vendors", "company", f"{V}/vendors", m.Vendor, params, incremental=True)

    # -- project level ------------------------------------------------------------------
    async def project(self, p: m.Project) -> None:
        scope, pid = f"project:{p.id}", p.id
        q = {"project_id": pid}

        async def full(
            resource: str, path: str, model: type[m.M], params: dict[str, Any] | None = None
        ) -> None:
            if not self.sink.is_done(resource, scope):
                await self.read(resource, scope, path, model, params or q)

        async def changed(resource: str, path: str, model: type[m.M]) -> None:
            if not self.sink.is_done(resource, scope):
                await self.read(resource, scope, path, model, q, incremental=True)

        await full("cost_codes", f"{V}/cost_codes", m.CostCode)
        for kind in CONTRACT_KINDS:
            await self.contracts(kind, p)
        await full("commitment_change_orders", f"{V}/projects/{pid}/commitment_change_orders", m.ChangeOrder)
        await self.budget(p)
        await changed("direct_costs", f"{V}/projects/{pid}/direct_costs", m.DirectCost)
        await changed("direct_cost_line_items", f"{V}/projects/{pid}/direct_costs/line_items", m.LineItem)
        await self.requisitions(p)

    async def contracts(self, kind: str, p: m.Project) -> None:
        scope = f"project:{p.id}"
        lines_scope = f"{kind}:project:{p.id}"  # all line items of this project's contracts of this kind
        if self.sink.is_done("commitment_line_items", lines_scope):
            return
        done = self.sink.is_done(kind, scope)
        path = f"{V}/{kind}"
        contracts = await self.read(
            kind, scope, path, m.Contract, {"project_id": p.id}, incremental=True, store=not done
        )
        todo = [
            c
            for c in contracts
            if c.deleted_at is None
            and (
                c.id not in self.prev_contracts
                or self.prev_contracts[c.id] != c.updated_at
                or self.window is None
            )
        ]
        async with anyio.create_task_group() as tg:
            for c in todo:
                tg.start_soon(self.line_items, kind, p.id, c.id)
        self.sink.unit_done("commitment_line_items", lines_scope, 0, 0)

    async def line_items(self, kind: str, project_id: int, contract_id: int) -> None:
        scope = f"contract:{contract_id}"
        if self.sink.is_done("commitment_line_items", scope):
            return
        path = f"{V}/{kind}/{contract_id}/line_items"
        await self.read("commitment_line_items", scope, path, m.LineItem, {"project_id": project_id})

    async def budget(self, p: m.Project) -> None:
        scope = f"project:{p.id}"
        if self.sink.is_done("budget_detail_rows", scope):
            return
        done = self.sink.is_done("budget_views", scope)
        # Budget views are company-wide and listed per project: the key carries the project.
        views = await self.read(
            "budget_views",
            scope,
            f"{V}/budget_views",
            m.BudgetView,
            {"project_id": p.id},
            store=not done,
            key=lambda v: f"{p.id}:{v.id}",
        )
        if not views:
            self.sink.replace_scope("budget_detail_rows", scope)
            self.sink.unit_done("budget_detail_rows", scope, 0, 0)
            return
        view = next((v for v in views if v.name == self.settings.budget_view), views[0])

        def row_key(r: m.BudgetDetailRow) -> str:
            return (
                f"{p.id}:{view.id}:{r.id}"
                if r.id is not None
                else f"{p.id}:{view.id}:unbudgeted:{r.cost_code_id}:{r.category_id}"
            )

        params = {"project_id": p.id, "budget_row_type": "all"}
        await self.read(
            "budget_detail_rows",
            scope,
            f"{V}/budget_views/{view.id}/detail_rows",
            m.BudgetDetailRow,
            params,
            key=row_key,
        )

    async def requisitions(self, p: m.Project) -> None:
        scope = f"project:{p.id}"
        if self.sink.is_done("requisition_items", f"requisitions:{scope}"):
            return
        done = self.sink.is_done("requisitions", scope)
        reqs = await self.read(
            "requisitions",
            scope,
            f"{V}/requisitions",
            m.Requisition,
            {"project_id": p.id},
            incremental=True,
            store=not done,
        )
        async with anyio.create_task_group() as tg:
            for r in reqs:
                tg.start_soon(self.requisition_items, p.id, r.id)
        self.sink.unit_done("requisition_items", f"requisitions:{scope}", 0, 0)

    async def requisition_items(self, project_id: int, rid: int) -> None:
        scope = f"requisition:{rid}"
        if self.sink.is_done("requisition_items", scope):
            return
        self._check_cancel()
        path = f"/rest/v1.1/requisitions/{rid}"
        body = await self.client.get_json(
            path, resource="requisition_items", params={"project_id": project_id, "view": "items"}
        )
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise ResponseError(f"Procore's answer from {path} is not a requisition with an items list.")
        items = body.get("items") or []
        parsed = [m.parse(m.RequisitionItem, it, endpoint=path, index=i) for i, it in enumerate(items)]
        self.sink.replace_scope("requisition_items", scope)
        self.sink.page(
            "requisition_items",
            scope,
            [(f"{rid}:{it.id}", raw) for it, raw in zip(parsed, items, strict=True)],
        )
        self.pages["requisition_items"] += 1
        self.records["requisition_items"] += len(items)
        self._progress("requisition_items")
        self.sink.unit_done("requisition_items", scope, 1, len(items))
