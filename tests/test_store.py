"""The snapshot store: migrations, atomic snapshot switch, carry-forward, decimals."""

import os
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from reconcile.canonical import MONEY
from reconcile.store import MIGRATIONS, ResourceStat, Store, StoreError


def vendors(names: list[str]) -> dict[str, pl.DataFrame]:
    return {"procore_vendors": pl.DataFrame({"id": list(range(1, len(names) + 1)), "name": names})}


def test_fresh_store_is_at_the_latest_schema(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    assert store.schema_version == len(MIGRATIONS)
    store.close()
    assert Store(tmp_path / "s.duckdb").schema_version == len(MIGRATIONS)  # reopening migrates nothing


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (99)")
    con.close()
    with pytest.raises(StoreError, match="schema version 99"):
        Store(path)


def test_current_snapshot_moves_only_on_completion(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    first = store.begin_snapshot("procore", "full")
    store.complete_snapshot(first, [ResourceStat("vendors", 1, 2, 0.1)], vendors(["A", "B"]))
    second = store.begin_snapshot("procore", "incremental", first)
    store.add_raw(second, "vendors", "company", [("1", {"id": 1})])
    store.fail_snapshot(second, "network down", interrupted=True)
    current = store.current_snapshot("procore")
    assert current is not None and current.id == first
    assert store.canonical("procore_vendors")["name"].to_list() == ["A", "B"]
    assert store.latest_snapshot("procore").status == "interrupted"  # type: ignore[union-attr]


def test_money_round_trips_exactly(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    snap = store.begin_snapshot("erp", "full")
    amounts = [Decimal("0.1"), Decimal("0.2"), Decimal("1234567890.125")]
    frame = pl.DataFrame(
        {"wbs_element": ["A", "B", "C"], "amount": amounts}, schema_overrides={"amount": MONEY}
    )
    store.complete_snapshot(snap, [], {"erp_budgets": frame})
    back = store.canonical("erp_budgets")
    assert back["amount"].dtype == MONEY
    assert back["amount"].to_list() == amounts
    assert sum(back["amount"].to_list()) == Decimal("1234567890.425")


def test_carry_forward_skips_rereads_and_replaced_scopes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    base = store.begin_snapshot("procore", "full")
    store.add_raw(base, "lines", "contract:1", [("1", {"v": 1}), ("2", {"v": 2})])
    store.add_raw(base, "lines", "contract:2", [("3", {"v": 3})])
    new = store.begin_snapshot("procore", "incremental", base)
    store.add_raw(new, "lines", "contract:2", [("4", {"v": 4})])  # contract 2 re-read in full: line 3 gone
    carried = store.carry_forward_raw(base, new, [("lines", "contract:2")])
    assert carried == 2
    assert sorted(p["v"] for p in store.raw(new, "lines")) == [1, 2, 4]


def test_a_released_store_lets_a_read_only_command_in_and_reopens_on_next_use(tmp_path: Path) -> None:
    """DuckDB: one writing process or many reading ones. The workstation releases when idle."""
    import subprocess
    import sys

    from app.demo import write_profile
    from reconcile.audit import append

    profile = tmp_path / "demo.toml"
    write_profile(profile, procore_url="http://127.0.0.1:9", sap_url="http://127.0.0.1:9", extras={})
    store = Store(tmp_path / "demo.duckdb")
    append(store, actor="analyst", action="explain", exception_id="X1")
    verify = [sys.executable, "-m", "app.cli", "audit", "verify", "--profile", str(profile)]
    try:
        held = subprocess.run(verify, capture_output=True, text=True, check=False)
        assert held.returncode == 2 and f"in use by process {os.getpid()}" in held.stderr
        store.release()
        free = subprocess.run(verify, capture_output=True, text=True, check=False)
        assert free.returncode == 0, free.stderr
        assert "intact: 1 entries" in free.stdout
        append(store, actor="analyst", action="explain", exception_id="X2")  # reopens the file
        assert store.query("SELECT count(*) AS n FROM audit_log")["n"][0] == 2
    finally:
        store.close()
    with pytest.raises(StoreError, match="closed"):
        store.cursor()
