"""Procore test helpers: a small seed in wire shape, a dict-backed sink, a fake clock.

A uniquely named module (not conftest) so tests can import it without clashing with
other conftest files on sys.path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from adapters.base import PreviousPull, Progress
from adapters.procore.simulator import ProcoreSimulator
from reconcile.profile import ProcoreSettings
from reconcile.secrets import Secret

CLIENT_ID = "tieout-test-client"
CLIENT_SECRET = "s3cr3t-Procore-VALUE-never-shown"
COMPANY_ID = 562949953421312
T0 = "2026-01-05T09:00:00Z"


def procore_seed() -> dict[str, Any]:
    """A tiny company in Procore's wire shape: 3 projects (2 active), contracts that need several pages."""
    projects, cost_codes, pocs, wocs, lines, ccos = [], {}, {}, {}, {}, {}
    views, rows, dcs, dc_lines, reqs, req_items = {}, {}, {}, {}, {}, {}
    vendors = [
        {
            "id": 900 + i,
            "name": f"Vendor {i}",
            "is_active": True,
            "origin_id": f"10000{i}",
            "origin_code": None,
            "updated_at": T0,
        }
        for i in range(5)
    ]
    vendors.append(
        {
            "id": 999,
            "name": '=HYPERLINK("x") [bold]\x1b[31m',
            "is_active": False,
            "origin_id": None,
            "origin_code": None,
            "updated_at": T0,
        }
    )
    next_id = 10_000
    for pi in range(3):
        pid = 100 + pi
        projects.append(
            {
                "id": pid,
                "name": f"Project {pi}",
                "project_number": f"P-100{pi}",
                "active": pi < 2,
                "origin_id": f"P-100{pi}",
                "updated_at": T0,
                "company": {"id": COMPANY_ID, "name": "Demo"},
            }
        )
        codes = [
            {
                "id": pid * 10 + k,
                "name": f"Code {k}",
                "full_code": f"0{k}-100",
                "code": "100",
                "parent": None,
                "origin_id": None,
            }
            for k in range(3)
        ]
        cost_codes[str(pid)] = codes
        for kind, store, n in (("PO", pocs, 7), ("SC", wocs, 2)):
            recs = []
            for ci in range(n):
                next_id += 1
                cid = next_id
                recs.append(
                    {
                        "id": cid,
                        "number": f"{kind}-{pid}-{ci}",
                        "title": f"{kind} {ci}",
                        "status": "Approved",
                        "executed": True,
                        "grand_total": "300.00",
                        "vendor": {"id": 900 + ci % 5, "name": "V"},
                        "origin_id": f"45000{pid}{ci}" if kind == "PO" else None,
                        "origin_code": None,
                        "private": False,
                        "updated_at": T0,
                        "deleted_at": None,
                    }
                )
                lines[str(cid)] = [
                    {
                        "id": cid * 10 + li,
                        "position": li + 1,
                        "description": f"line {li}",
                        "amount": "100.00",
                        "quantity": "1.0",
                        "unit_cost": "100.00",
                        "uom": "LS",
                        "cost_code": {
                            "id": codes[li]["id"],
                            "full_code": codes[li]["full_code"],
                            "name": "c",
                        },
                        "line_item_type": {"id": 1, "name": "Materials"},
                        "origin_id": None,
                        "updated_at": T0,
                    }
                    for li in range(3)
                ]
            store[str(pid)] = recs
        ccos[str(pid)] = [
            {
                "id": pid * 100 + 1,
                "contract_id": pocs[str(pid)][0]["id"],
                "number": "1",
                "status": "approved",
                "grand_total": "12.50",
                "updated_at": T0,
            }
        ]
        views[str(pid)] = [{"id": 7, "name": "Forecast"}, {"id": 8, "name": "Procore Standard Budget"}]
        rows[f"8:{pid}"] = [
            {
                "id": pid * 1000 + k,
                "cost_code_id": codes[k]["id"],
                "cost_code": codes[k]["name"],
                "category_id": 1,
                "original_budget_amount": "1000.10",
                "budget_modifications": "0.0",
            }
            for k in range(2)
        ] + [
            {
                "id": None,
                "cost_code_id": codes[2]["id"],
                "cost_code": codes[2]["name"],
                "category_id": 1,
                "original_budget_amount": "0.0",
                "budget_modifications": "0.0",
            }
        ]
        rows[f"7:{pid}"] = [
            {"id": 1, "cost_code_id": codes[0]["id"], "category_id": 1, "original_budget_amount": "5"}
        ]
        dcs[str(pid)] = [
            {
                "id": pid * 10_000 + d,
                "direct_cost_type": "invoice",
                "status": "approved" if d else "pending",
                "direct_cost_date": "2026-01-02",
                "invoice_number": f"INV{d}",
                "vendor_id": 900,
                "grand_total": "50.05",
                "origin_id": None,
                "updated_at": T0,
            }
            for d in range(2)
        ]
        for dc in dcs[str(pid)]:
            dc_lines[str(dc["id"])] = [
                {
                    "id": dc["id"] + 5000,
                    "amount": "50.05",
                    "description": "stuff",
                    "cost_code": {"id": codes[0]["id"], "full_code": codes[0]["full_code"]},
                    "line_item_type": {"id": 1, "name": "Materials"},
                    "origin_id": None,
                    "updated_at": T0,
                }
            ]
        reqs[str(pid)] = [
            {
                "id": pid * 100_000 + 1,
                "commitment_id": wocs[str(pid)][0]["id"],
                "vendor_id": 900,
                "invoice_number": "R1",
                "status": "approved",
                "billing_date": "2026-01-01",
                "period_id": 1,
                "origin_id": None,
                "updated_at": T0,
            }
        ]
        req_items[str(pid * 100_000 + 1)] = [
            {
                "id": 1,
                "cost_code_id": codes[1]["id"],
                "work_completed_this_period": "200.00",
                "materials_presently_stored": "10.00",
                "materials_presently_stored_from_previous_progress": "0.00",
            }
        ]
    return {
        "procore": {
            "company": {"id": COMPANY_ID, "name": "Demo"},
            "projects": projects,
            "vendors": vendors,
            "line_item_types": [
                {"id": 1, "name": "Materials", "code": "M", "base_type": "material", "origin_id": None}
            ],
            "cost_codes": cost_codes,
            "purchase_order_contracts": pocs,
            "work_order_contracts": wocs,
            "commitment_line_items": lines,
            "commitment_change_orders": ccos,
            "budget_views": views,
            "budget_detail_rows": rows,
            "direct_costs": dcs,
            "direct_cost_line_items": dc_lines,
            "requisitions": reqs,
            "requisition_items": req_items,
        }
    }


@dataclass
class DictSink:
    """A PullSink that keeps a snapshot in dicts, carrying forward from a base snapshot."""

    base: dict[str, dict[str, tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    data: dict[str, dict[str, tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    replaced: set[tuple[str, str]] = field(default_factory=set)
    done: set[tuple[str, str]] = field(default_factory=set)
    progress_log: list[Progress] = field(default_factory=list)
    cancel_after_units: int | None = None

    def is_done(self, resource: str, scope: str) -> bool:
        return (resource, scope) in self.done

    def replace_scope(self, resource: str, scope: str) -> None:
        self.replaced.add((resource, scope))
        self.data.setdefault(resource, {})
        for key in [k for k, (s, _) in self.data[resource].items() if s == scope]:
            del self.data[resource][key]

    def page(self, resource: str, scope: str, records: list[tuple[str, dict[str, Any]]]) -> None:
        bucket = self.data.setdefault(resource, {})
        for key, payload in records:
            bucket[key] = (scope, payload)

    def unit_done(self, resource: str, scope: str, requests: int, records: int) -> None:
        self.done.add((resource, scope))

    def progress(self, p: Progress) -> None:
        self.progress_log.append(p)

    def cancelled(self) -> bool:
        return self.cancel_after_units is not None and len(self.done) >= self.cancel_after_units

    def snapshot(self) -> dict[str, dict[str, tuple[str, dict[str, Any]]]]:
        """Base records carried forward unless their scope was replaced, overlaid with this pull's."""
        out: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
        for res, recs in self.base.items():
            out[res] = {k: v for k, v in recs.items() if (res, v[0]) not in self.replaced}
        for res, recs in self.data.items():
            out.setdefault(res, {}).update(recs)
        return out

    def reader(self):  # RawReader over the snapshot
        snap = self.snapshot()
        return lambda resource: list(snap.get(resource, {}).values())

    def previous(self, high_water: dict[str, Any]) -> PreviousPull:
        return PreviousPull(high_water=high_water, raw=self.reader())

    def next_sink(self) -> DictSink:
        return DictSink(base=self.snapshot())


class FakeClock:
    """Wall time that only moves when someone sleeps: paced pulls run instantly."""

    def __init__(self, start: float = 1_767_600_000.0) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        self.slept += max(0.0, seconds)
        await anyio.sleep(0)  # still yield, as a real sleep would


def make_sim(seed: dict[str, Any], **kw: Any) -> ProcoreSimulator:
    return ProcoreSimulator(
        seed, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, company_id=COMPANY_ID, **kw
    )


def settings_for(url: str, **kw: Any) -> ProcoreSettings:
    return ProcoreSettings(base_url=url, login_url=url, company_id=COMPANY_ID, client_id=CLIENT_ID, **kw)


def secret() -> Secret:
    return Secret(CLIENT_SECRET)
