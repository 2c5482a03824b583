"""A Services fake for the workstation tests: no network, but a real Store underneath.

``pull`` writes a small canonical snapshot of both sides through
``begin_snapshot``/``complete_snapshot``; ``diff`` writes exceptions with fixed timestamps.
Decisions, history and audit are the real reconcile functions.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from adapters.base import Progress
from app.tui.app import TieoutApp
from app.tui.services import DiffSummary, ProgressCallback, PullResult, Services
from reconcile.profile import ErpSettings, MappingSettings, ProcoreSettings, Profile
from reconcile.store import ResourceStat, Store

FIXED_NOW = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
PULLED_AT = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
HOSTILE = "[bold red]x\x1b[31m\x1b]0;pwned\x07"
HOSTILE_SHOWN = "[bold red]x"
FORMULA = '=HYPERLINK("http://evil","click")'

D = Decimal


def make_profile(tmp: Path, name: str = "Acme GC / SAP") -> Profile:
    mappings = tmp / "mappings"
    mappings.mkdir(exist_ok=True)
    (mappings / "projects.csv").write_text("wbs_element,procore_project_number\nP-1001,1001\nP-1002,1002\n")
    (mappings / "cost_codes.csv").write_text(
        "gl_account,cost_center,wbs_element,procore_cost_code\n,,P-1001,01-100\n510000,,,02-200\n"
    )
    return Profile(
        name=name,
        store=tmp / "t.duckdb",
        procore=ProcoreSettings(company_id=1, client_id="pc"),
        erp=ErpSettings(kind="sap-s4", base_url="http://127.0.0.1:1", client_id="erp"),
        mappings=MappingSettings(dir=mappings),
    )


def _canonical() -> dict[str, dict[str, pl.DataFrame]]:
    procore = {
        "procore_vendors": pl.DataFrame(
            {"id": [1, 2, 3], "name": ["Apex Steel", HOSTILE, "Cobalt"], "origin_id": ["V1", "V2", None]}
        ),
        "procore_commitment_lines": pl.DataFrame(
            {
                "id": [10, 11],
                "contract_id": [5, 5],
                "project_id": [1, 1],
                "amount": [D("1000.00"), D("2500.50")],
            }
        ),
        "procore_budget_lines": pl.DataFrame(
            {"project_id": [1], "cost_code": ["01-100"], "original_budget_amount": [D("50000")]}
        ),
        "procore_actual_lines": pl.DataFrame(
            {
                "id": ["direct_cost:1"],
                "project_id": [1],
                "status": ["approved"],
                "cost_code": ["01-100"],
                "amount": [D("700")],
            }
        ),
    }
    erp = {
        "erp_vendors": pl.DataFrame({"supplier": ["V1", "V2"], "name": ["Apex Steel", "Bravo"]}),
        "erp_commitment_lines": pl.DataFrame(
            {"po_number": ["4500000001"], "item": ["00010"], "amount": [D("3600.50")]}
        ),
        "erp_budgets": pl.DataFrame({"wbs_element": ["P-1001"], "amount": [D("52000")]}),
        "erp_actuals": pl.DataFrame({"wbs_element": ["P-1001"], "amount": [D("700")]}),
    }
    return {"procore": procore, "erp": erp}


def write_snapshot(store: Store, finished_at: datetime = PULLED_AT) -> None:
    """Both sides' canonical tables, current, finished at a fixed time."""
    for source, tables in _canonical().items():
        sid = store.begin_snapshot(source, "full")
        store.complete_snapshot(sid, [ResourceStat(f"{source}_all", 2, 5, 0.1)], tables)
        store.cursor().execute(
            "UPDATE snapshots SET started_at = ?, finished_at = ? WHERE id = ?",
            [finished_at, finished_at, sid],
        )


def exception_rows() -> list[tuple]:
    """(id, object, kind, key, project, field, erp, procore, difference, rule, detail)."""
    rows = [
        (
            "X000000000001",
            "vendor",
            "value_mismatch",
            "V2",
            None,
            "name",
            "Bravo",
            HOSTILE,
            None,
            "vendor.name",
            '{"procore_id": 2, "erp_key": "V2"}',
        ),
        (
            "X000000000002",
            "vendor",
            "missing_in_erp",
            "procore:3",
            None,
            None,
            None,
            "Cobalt",
            None,
            "vendor.link",
            '{"procore": {"id": 3, "name": "Cobalt"}}',
        ),
        (
            "X000000000003",
            "commitment",
            "value_mismatch",
            "4500000001",
            "1001",
            "amount",
            "3600.50",
            "3500.50",
            D("100.00"),
            "commitment.amount",
            '{"erp": {"po_number": "4500000001", "amount": "3600.50"}, "procore": {"number": "4500000001", "amount": "3500.50"}}',
        ),
        (
            "X000000000004",
            "budget",
            "value_mismatch",
            "1001/01-100",
            "1001",
            "amount",
            "52000",
            "50000",
            D("2000.00"),
            "budget.amount",
            '{"cost_code_rows": ["mappings/cost_codes.csv line 2"], "project_rows": ["mappings/projects.csv line 2"]}',
        ),
        (
            "X000000000005",
            "actual",
            "unmapped",
            "P-1002/510001",
            "1002",
            None,
            "1250.00",
            None,
            D("1250.00"),
            "cost_code.unmapped",
            "{}",
        ),
        (
            "X000000000006",
            "commitment_line",
            "value_mismatch",
            "4500000002/00010",
            "1002",
            "amount",
            "120000",
            "95000",
            D("25000.00"),
            "line.amount",
            "{}",
        ),
        (
            "X000000000007",
            "vendor",
            "missing_in_procore",
            FORMULA,
            None,
            None,
            FORMULA,
            None,
            None,
            "vendor.link",
            "{}",
        ),
    ]
    for i in range(8, 31):
        rows.append(
            (
                f"X{i:012d}",
                "actual",
                "value_mismatch",
                f"100{i % 3}/0{i % 5}-100",
                f"100{i % 3}",
                "amount",
                f"{i * 100}",
                f"{i * 90}",
                D(i * 10),
                "actual.amount",
                "{}",
            )
        )
    return rows


def write_exceptions(store: Store, rows: list[tuple] | None = None) -> int:
    rows = rows if rows is not None else exception_rows()
    cur = store.cursor()
    cur.execute("DELETE FROM exceptions")
    cur.executemany(
        "INSERT INTO exceptions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, true)",
        [(*r, PULLED_AT, PULLED_AT) for r in rows],
    )
    return len(rows)


class FakeServices(Services):
    """Real store, scripted pull and diff."""

    def __init__(self, profile: Profile, store: Store, *, fail_pull: str | None = None) -> None:
        super().__init__(profile, store)
        self.fail_pull = fail_pull
        self.pulls = 0
        self.gate: threading.Event | None = None  # when set by a test, the pull waits on it
        self.previews: list[Path] = []
        self.pull_modes: list[str] = []
        self.interrupted = False  # a test sets it: the last pull stopped part-way

    def pull(
        self, *, full: bool, progress: ProgressCallback, cancel: threading.Event, resume: bool = False
    ) -> PullResult:
        self.pulls += 1
        self.pull_modes.append("resume" if resume else "full" if full else "incremental")
        progress("vendors", Progress("vendors", requests=1, pages=1, records=3, total_pages=2))
        progress(
            "vendors",
            Progress(
                "vendors",
                requests=2,
                pages=2,
                records=5,
                total_pages=2,
                wait_seconds=3,
                note="waited 3s for the rate limit",
            ),
        )
        if self.gate is not None:
            self.gate.wait(10)
        if cancel.is_set():
            return PullResult(ok=False, error="cancelled", cancelled=True, resumable=True)
        if self.fail_pull:
            return PullResult(ok=False, error=self.fail_pull, resumable=True)
        write_snapshot(self.store)
        return PullResult(ok=True)

    def resumable(self) -> bool:
        return self.interrupted

    def plan(self) -> list[str]:
        return [
            "source   resource                      full      time  increm.      time  note",
            "procore  commitment_line_items         2000   2:05:00        0   0:00:00  plus one per change",
        ]

    def diff(self) -> DiffSummary:
        write_exceptions(self.store)
        frame = self.store.query(
            "SELECT object || '/' || kind AS k, count(*) AS n FROM exceptions WHERE is_open GROUP BY 1"
        )
        return DiffSummary({str(k): int(n) for k, n in frame.iter_rows()})

    def preview_mapping_change(self, mappings_dir: Path) -> tuple[list[str], list[str]]:
        self.previews.append(mappings_dir)
        assert (mappings_dir / "cost_codes.csv").exists()
        return ["XNEW00000001"], ["X000000000004"]

    def push_directions(self, exception_id: str) -> list[str]:
        return []

    def plan_push(self, exception_id: str, direction: str | None = None) -> str:
        raise RuntimeError("This profile is read-only: [push].allow names no direction.")


def make_app(tmp_path: Path, store: Store, *, pull_on_start: bool | None = False, **kw) -> TieoutApp:
    profile = make_profile(tmp_path)
    services = FakeServices(profile, store, fail_pull=kw.pop("fail_pull", None))
    settings = kw.pop("settings_path", tmp_path / "no-settings.toml")
    opened: list[str] = []
    kw.setdefault("browse", lambda url: opened.append(url) or True)  # never a real browser
    return TieoutApp(
        profile,
        store,
        services=services,
        settings_path=settings,
        clock=lambda: FIXED_NOW,
        pull_on_start=pull_on_start,
        export_dir=tmp_path,
        **kw,
    )


async def settle(pilot, rounds: int = 6) -> None:
    """Wait until workers and the messages they post have all been handled."""
    app = pilot.app
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return


async def open_grid(pilot):
    """Settle, press ``2`` and return the exceptions grid screen it shows."""
    from app.tui.screens.exceptions import ExceptionsScreen

    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExceptionsScreen)
    return screen


def notes(app) -> list[str]:
    """Every notification message the app has shown."""
    return [str(n.message) for n in app._notifications]
