"""The Procore ``SourceAdapter``: which endpoints are read, and what an incremental pull re-reads.

Units of work (checkpoint scopes): ``company`` for projects and vendors, ``project:<id>``
for every per-project list, ``contract:<id>`` for a contract's line items and
``requisition:<id>`` for a subcontractor invoice's items.

Incremental rules (issue 6): contracts, vendors, direct costs and their lines, and
requisitions are asked only for what changed (``filters[updated_at]=<since>...<now>``);
a contract's line items are re-read only when the contract is new or its header's
``updated_at`` moved; cost codes, commitment change orders (no ``updated_at`` filter on
the v1.0 list) and budget rows are re-read in full every time.

Requisition amounts per cost code: Procore's list of requisitions carries no amounts
by cost code, and the sub-lists (``contract_items``, ``contract_detail_items``) split
them by item kind. We read ``GET /rest/v1.1/requisitions/{id}?view=items``, the
documented detail view whose ``items`` each carry ``cost_code_id`` and the period's
``work_completed_this_period`` and ``materials_presently_stored``: one request per
new or changed requisition, and every amount in one answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import polars as pl

from adapters.base import AdapterError, PlanRow, PreviousPull, PullSink, RawReader
from adapters.procore import models as m
from adapters.procore.client import FROM_PROFILE, FromProfile, ProcoreClient
from adapters.procore.reads import CONTRACT_KINDS, Pull, V, selected
from adapters.procore.writes import ProcoreWrites
from adapters.secret import Secret
from adapters.settings import ProcoreSettings

RESOURCES = (
    "projects",
    "vendors",
    "cost_codes",
    "purchase_order_contracts",
    "work_order_contracts",
    "commitment_line_items",
    "commitment_change_orders",
    "budget_views",
    "budget_detail_rows",
    "direct_costs",
    "direct_cost_line_items",
    "requisitions",
    "requisition_items",
)
#: Overlap of incremental windows: clock skew between us and Procore must not lose a change.
OVERLAP = timedelta(minutes=5)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ProcoreAdapter:
    """Reads one Procore company into a ``PullSink``."""

    source = "procore"
    resources = RESOURCES

    def __init__(
        self,
        settings: ProcoreSettings,
        secret: Secret,
        *,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        hourly_limit: int | None = None,
        max_wait: float | None | FromProfile = FROM_PROFILE,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.client = ProcoreClient(
            settings, secret, sleep=sleep, clock=clock, hourly_limit=hourly_limit, max_wait=max_wait
        )
        #: The writes and look-ups ``reconcile.push`` uses (same client: same pacing and errors).
        self.writes = ProcoreWrites(self.client)

    def __repr__(self) -> str:
        return f"ProcoreAdapter(company_id={self.settings.company_id})"

    @property
    def stats(self) -> dict[str, int]:
        """Requests made per resource."""
        return dict(self.client.stats)

    async def aclose(self) -> None:
        await self.client.aclose()

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        from adapters.procore.canonical import canonicalize

        return canonicalize(raw)

    # -- pull ---------------------------------------------------------------------------
    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        """Read everything (``full``) or what changed since ``previous``; return the new stamps."""
        hw = dict(previous.high_water) if previous and not full else {}
        since: str | None = hw.get("since")
        if previous and previous.high_water.get("rate_limit_hourly") and not self.client.pacer.hourly_limit:
            self.client.pacer.hourly_limit = int(previous.high_water["rate_limit_hourly"])
        started = datetime.fromtimestamp(self.clock(), UTC)
        window = None
        if since and not full:
            lo = datetime.fromisoformat(since.replace("Z", "+00:00")) - OVERLAP
            window = f"{_iso(lo)}...{_iso(started + OVERLAP)}"
        prev_contracts = self._previous_stamps(previous, full)
        pull = Pull(self.client, self.settings, sink, window, prev_contracts)
        self.client.on_wait = pull.on_wait
        self.client.pacer.cancelled = sink.cancelled  # every wait looks at it: Ctrl-C never waits out an hour
        try:
            projects = await pull.projects()
            await pull.vendors()
            async with anyio.create_task_group() as tg:
                for p in projects:
                    tg.start_soon(pull.project, p)
        except BaseExceptionGroup as group:
            # Concurrent units fail as a group; the person needs the first real reason, once.
            first = _first_adapter_error(group)
            if first is None:
                raise
            raise first from None
        return {
            "since": _iso(started),
            **rate_stamps(self.client),
            "requests": dict(self.client.stats),
        }

    @staticmethod
    def _previous_stamps(previous: PreviousPull | None, full: bool) -> dict[int, str | None]:
        if full or previous is None or previous.raw is None:
            return {}
        out: dict[int, str | None] = {}
        for kind in CONTRACT_KINDS:
            for _scope, rec in previous.raw(kind):
                if isinstance(rec.get("id"), int):
                    out[rec["id"]] = rec.get("updated_at")
        return out

    # -- plan ---------------------------------------------------------------------------
    def _rate_per_second(self, previous: PreviousPull | None) -> float | None:
        return sustainable_rate(self.client, self.settings, previous)

    async def plan(self, previous: PreviousPull | None) -> list[PlanRow]:
        """Requests per resource for a full and an incremental pull, from the last snapshot.

        Without a snapshot the counts come from one ``per_page=1`` probe per list (its
        ``Total`` header), which the plan itself costs.
        """
        counts: dict[str, dict[str, int]] = {r: {} for r in RESOURCES}
        if previous is not None and previous.raw is not None:
            for r in RESOURCES:
                for scope, _rec in previous.raw(r):
                    counts[r][scope] = counts[r].get(scope, 0) + 1
        else:
            counts = await _probe_counts(self)
        served = self.client.per_page_served or (
            previous.high_water.get("per_page_served") if previous else None
        )
        per_page = min(self.settings.per_page, int(served or self.settings.per_page))
        projects = max(1, len(counts["cost_codes"]) or len(counts["budget_views"]) or 1)

        def pages(r: str) -> int:
            return sum(max(1, -(-n // per_page)) for n in counts[r].values()) or 1

        rows: list[PlanRow] = []
        rate = self._rate_per_second(previous)
        for r in RESOURCES:
            if r in ("projects", "vendors"):
                full_n, inc_n = pages(r), 1
            elif r == "commitment_line_items":
                full_n, inc_n = sum(sum(counts[k].values()) for k in CONTRACT_KINDS), 0
            elif r == "requisition_items":
                full_n, inc_n = sum(counts["requisitions"].values()), 0
            elif r in ("cost_codes", "commitment_change_orders", "budget_views", "budget_detail_rows"):
                full_n = inc_n = max(pages(r), projects)
            else:
                full_n, inc_n = max(pages(r), projects), projects
            note = "plus one per new or changed record" if inc_n == 0 else ""
            row = PlanRow(r, full_n, inc_n, note)
            if rate:
                row.seconds_full, row.seconds_incremental = full_n / rate, inc_n / rate
            rows.append(row)
        return rows


def rate_stamps(client: ProcoreClient) -> dict[str, Any]:
    """What a pull records of Procore's rate limits and page size, for the next plan and pull."""
    return {
        "rate_limit_hourly": client.pacer.hourly_limit,
        "rate_limit_last": client.pacer.last_limit,
        "rate_limit_window": client.pacer.bucket.window if client.pacer.bucket else None,
        "per_page_served": client.per_page_served,
    }


def sustainable_rate(
    client: ProcoreClient, settings: ProcoreSettings, previous: PreviousPull | None
) -> float | None:
    """Our sustainable request rate: the reported bucket's share, capped by the hourly share."""
    share = 1 - float(settings.reserve_share)
    pacer = client.pacer
    hourly = pacer.hourly_limit or (previous.high_water.get("rate_limit_hourly") if previous else None)
    rates = []
    if pacer.bucket is not None:
        rates.append(pacer.bucket.limit * share / pacer.bucket.window)
    elif (
        previous
        and previous.high_water.get("rate_limit_last")
        and previous.high_water.get("rate_limit_window")
    ):
        # No request yet in this run: the bucket the last pull's final answer reported.
        last = previous.high_water
        rates.append(int(last["rate_limit_last"]) * share / float(last["rate_limit_window"]))
    if hourly:
        rates.append(int(hourly) * share / 3600.0)
    return min(rates) if rates else None


def _first_adapter_error(group: BaseExceptionGroup[BaseException]) -> AdapterError | None:
    for exc in group.exceptions:
        if isinstance(exc, AdapterError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_adapter_error(exc)
            if found is not None:
                return found
    return None


async def _probe_counts(adapter: ProcoreAdapter) -> dict[str, dict[str, int]]:
    """Record counts per scope from ``Total`` headers, one small request per list."""
    c = adapter.client
    counts: dict[str, dict[str, int]] = {r: {} for r in RESOURCES}

    async def total(path: str, resource: str, params: dict[str, Any]) -> int:
        resp = await c.request("GET", path, resource=resource, params={**params, "page": 1, "per_page": 1})
        try:
            return int(resp.headers.get("Total") or len(c.decode(resp, path)))
        except ValueError:
            return 0

    cid = adapter.settings.company_id
    projects = await _list(c, f"{V}/projects", "projects", {"company_id": cid})
    counts["projects"]["company"] = len(projects)
    counts["vendors"]["company"] = await total(f"{V}/vendors", "vendors", {"company_id": cid})
    for p in selected(adapter.settings, projects):
        scope = f"project:{p.id}"
        for r, path in (
            ("cost_codes", f"{V}/cost_codes"),
            ("purchase_order_contracts", f"{V}/purchase_order_contracts"),
            ("work_order_contracts", f"{V}/work_order_contracts"),
            ("requisitions", f"{V}/requisitions"),
            ("direct_costs", f"{V}/projects/{p.id}/direct_costs"),
        ):
            counts[r][scope] = await total(path, r, {"project_id": p.id})
        for r in ("commitment_change_orders", "budget_views", "budget_detail_rows", "direct_cost_line_items"):
            counts[r][scope] = 1
    return counts


async def _list(c: ProcoreClient, path: str, resource: str, params: dict[str, Any]) -> list[m.Project]:
    out: list[m.Project] = []
    async for page, _ in c.pages(path, resource=resource, params=params):
        out += m.parse_page(m.Project, page, endpoint=path)
    return out
