"""A Procore actual carries its document's date over the wire: the close's cut-off needs it."""

from __future__ import annotations

from datetime import date
from typing import Any

from procore_fixtures import DictSink, secret, settings_for

from adapters.procore.adapter import ProcoreAdapter
from adapters.procore.simulator import ProcoreSimulator


async def test_actual_lines_carry_the_direct_cost_date_and_the_billing_date(
    sim: ProcoreSimulator, seed: dict[str, Any]
) -> None:
    adapter = ProcoreAdapter(settings_for(sim.base_url, per_page=50), secret())
    sink = DictSink()
    try:
        await adapter.pull(sink, full=True, previous=None)
    finally:
        await adapter.aclose()
    actual = adapter.canonicalize(sink.reader())["procore_actual_lines"]
    want = {
        ("direct_cost", dc["id"]): dc.get("direct_cost_date")
        for dcs in seed["procore"]["direct_costs"].values()
        for dc in dcs
    } | {
        ("requisition", r["id"]): r.get("billing_date")
        for rs in seed["procore"]["requisitions"].values()
        for r in rs
    }
    got = {(s, d): day for s, d, day in actual.select("source", "document_id", "document_date").iter_rows()}
    assert any(isinstance(day, date) for day in got.values())
    assert got == {k: date.fromisoformat(want[k][:10]) if want.get(k) else None for k in got}
