"""Exceptions in the store: upsert by stable id, closing, decisions in the report, run_diff, preview."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from test_diff_model import Side, as_erp, as_procore

from mappings import Mappings
from reconcile.diff import exception_id
from reconcile.exceptions import REPORT_COLUMNS, persist, preview_mapping_change, report, run_diff
from reconcile.profile import Profile
from reconcile.store import Store

PROJECTS = "wbs_element,procore_project_number\nP-1,100\nP-2,200\n"
CODES = "gl_account,cost_center,wbs_element,procore_cost_code\n" + "".join(
    f",,P-{p}-{c[:2]},{c}\n" for p in (1, 2) for c in ("01-100", "02-200", "03-300")
)


def row(key: str, kind: str = "missing_in_procore", diff: str | None = "1.50") -> dict[str, object]:
    return {
        "exception_id": exception_id("vendor", key, kind, ""),
        "object": "vendor",
        "kind": kind,
        "key": key,
        "project": None,
        "field": "",
        "erp_value": "x",
        "procore_value": None,
        "difference": Decimal(diff) if diff else None,
        "rule": "vendor.missing_in_procore",
        "detail": '{"erp_key":"' + key + '"}',
    }


def frame(*keys: str) -> pl.DataFrame:
    from reconcile.diff import EXCEPTION_SCHEMA

    return pl.DataFrame([row(k) for k in keys] or None, schema=EXCEPTION_SCHEMA, orient="row")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


def test_persist_upserts_keeps_first_seen_and_closes_vanished_ids(store: Store) -> None:
    run1 = persist(store, frame("1000", "1001"), 1, 2)
    first = report(store).select("exception_id", "first_seen")
    run2 = persist(store, frame("1001", "1002"), 3, 4)
    assert run2 == run1 + 1
    open_ = report(store)
    assert tuple(open_.columns) == REPORT_COLUMNS
    assert sorted(open_["key"]) == ["1001", "1002"]
    kept = exception_id("vendor", "1001", "missing_in_procore", "")
    assert (
        open_.filter(pl.col("exception_id") == kept)["first_seen"][0]
        == first.filter(pl.col("exception_id") == kept)["first_seen"][0]
    )
    everything = report(store, open_only=False)
    assert sorted(everything["key"]) == ["1000", "1001", "1002"]
    assert open_["difference"][0] == Decimal("1.50")
    assert isinstance(open_.schema["difference"], pl.Decimal)


def test_report_shows_the_latest_decision(store: Store) -> None:
    persist(store, frame("1000", "1001"), 1, 2)
    xid = exception_id("vendor", "1000", "missing_in_procore", "")
    cur = store.cursor()
    for status, at in (("explained", 1), ("approved", 2)):
        cur.execute(
            "INSERT INTO decisions (exception_id, status, note, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)",
            [xid, status, f"=note {at}", "ana", datetime(2026, 1, at, tzinfo=UTC)],
        )
    rep = report(store)
    got = rep.filter(pl.col("exception_id") == xid).select("status", "decided_by", "note").row(0)
    assert got == ("approved", "ana", "=note 2")
    assert rep.filter(pl.col("exception_id") != xid)["status"].to_list() == ["open"]
    assert report(store, status="approved")["exception_id"].to_list() == [xid]
    assert report(store, kind="duplicate").height == 0


def _seed(store: Store, erp: Side, procore: Side) -> None:
    for source, tables in (("procore", as_procore(procore)), ("erp", as_erp(erp))):
        snap = store.begin_snapshot(source, "full")
        store.complete_snapshot(snap, [], tables)


def _profile(tmp_path: Path, codes: str = CODES) -> Profile:
    d = tmp_path / "mappings"
    d.mkdir(exist_ok=True)
    (d / "projects.csv").write_text(PROJECTS)
    (d / "cost_codes.csv").write_text(codes)
    return Profile.model_validate(
        {
            "name": "t",
            "store": str(tmp_path / "t.duckdb"),
            "procore": {"company_id": 1, "client_id": "c"},
            "erp": {"kind": "sap-s4", "base_url": "http://x", "client_id": "c"},
            "mappings": {"dir": str(d)},
            "rules": {"amount_tolerance": "0.01"},
        }
    )


def test_run_diff_persists_and_counts(store: Store, tmp_path: Path) -> None:
    po = "4500000001"
    erp = Side(
        {"1000": "Vendor 1000 a"},
        {po: "1000"},
        {(po, "00010"): (Decimal("10.00"), "01-100")},
        {(1, "01-100"): Decimal("5")},
    )
    procore = Side({"1000": "Vendor 1000 a"}, {po: "1000"}, {(po, "00010"): (Decimal("10.02"), "01-100")})
    _seed(store, erp, procore)
    result = run_diff(store, _profile(tmp_path))
    assert result.counts == {
        ("commitment", "value_mismatch"): 1,
        ("commitment_line", "value_mismatch"): 1,
        ("budget", "missing_in_procore"): 1,
    }
    assert report(store).height == 3
    assert result.summary_lines()[-1].split() == ["total", "3"]
    # The same snapshots diffed again: same ids, still open, nothing new.
    again = run_diff(store, _profile(tmp_path))
    assert again.run_id == result.run_id + 1
    assert set(again.frame["exception_id"]) == set(report(store)["exception_id"])


def test_preview_mapping_change_shows_added_and_removed_ids(store: Store, tmp_path: Path) -> None:
    po = "4500000001"
    side = Side({"1000": "V"}, {po: "1000"}, {(po, "00010"): (Decimal("10"), "01-100")})
    _seed(store, side, side)
    profile = _profile(tmp_path)
    assert run_diff(store, profile).total == 0
    changed = Mappings.from_rows(
        [("P-1", "100"), ("P-2", "200")], [(None, None, "P-2", "02-200"), (None, None, "P-1", "03-300")]
    )
    added, removed = preview_mapping_change(store, profile, changed)
    assert added == [exception_id("commitment_line", f"{po}/00010", "value_mismatch", "cost_code")]
    assert removed == []
    assert report(store).height == 0  # nothing written


def test_one_latest_decision_for_every_reader(store: Store, tmp_path: Path) -> None:
    """Latest by id, whatever the clock said; a cleared note is cleared; both report paths agree."""
    from reconcile import decisions, query
    from reconcile.export import export

    persist(store, frame("1000"), 1, 2)
    xid = exception_id("vendor", "1000", "missing_in_procore", "")
    cur = store.cursor()
    for status, reason, note, day in (("explained", "timing", "old note", 5), ("approved", None, None, 1)):
        cur.execute(
            "INSERT INTO decisions (exception_id, status, reason_code, assigned_to, note, decided_by, decided_at) "
            "VALUES (?, ?, ?, 'erp_team', ?, 'ana', ?)",
            [xid, status, reason, note, datetime(2026, 1, day, tzinfo=UTC)],
        )
    cols = ("status", "reason_code", "assigned_to", "note")
    want = ("approved", None, "erp_team", None)
    assert report(store).select(cols).row(0) == want
    assert query.report_frame(store).select(cols).row(0) == want
    assert tuple((query.exception(store, xid) or {})[c] for c in cols) == want
    assert decisions.status(store, xid) == "approved"
    out = export(report(store), tmp_path / "r.csv", "csv")
    written = pl.read_csv(out, infer_schema=False)
    assert written.columns[-2:] == ["reason_code", "assigned_to"]
    assert written["assigned_to"].to_list() == ["erp_team"]
