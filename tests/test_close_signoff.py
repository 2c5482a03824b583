"""Sign-off and lock: the analyst signs, a different reviewer locks, a locked period refuses
decisions, mapping changes and pushes (engine and CLI); carry-over across closes; the evidence."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from test_diff_model import Side, as_erp, as_procore
from test_exceptions import CODES, PROJECTS

from app.cli import main
from app.demo import write_profile
from reconcile import audit, decisions
from reconcile.close import api, signoff
from reconcile.close.mapping_changes import MappingChangeError
from reconcile.close.state import CloseError
from reconcile.decisions import PeriodLocked
from reconcile.exceptions import run_diff
from reconcile.profile import Profile, load_profile
from reconcile.query import ExceptionFilter, GridCache, progress, report_frame
from reconcile.store import Store

PO = "4500000001"
#: Two exceptions: the PO's amount (and its line) differ, and a budget Procore lacks.
ERP = Side(
    {"1000": "a"}, {PO: "1000"}, {(PO, "00010"): (Decimal("10.00"), "01-100")}, {(1, "01-100"): Decimal("5")}
)
PROCORE = Side({"1000": "a"}, {PO: "1000"}, {(PO, "00010"): (Decimal("10.02"), "01-100")})


def _seed(store: Store, erp: Side, procore: Side) -> None:
    for source, tables in (("procore", as_procore(procore)), ("erp", as_erp(erp))):
        snap = store.begin_snapshot(source, "full")
        store.complete_snapshot(snap, [], tables)


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    path = tmp_path / "demo.toml"
    write_profile(
        path, procore_url="http://127.0.0.1:9", sap_url="http://127.0.0.1:9", extras={"company_id": 1}
    )
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "projects.csv").write_text(PROJECTS)
    (tmp_path / "mappings" / "cost_codes.csv").write_text(CODES)
    with Store(tmp_path / "demo.duckdb") as store:
        _seed(store, ERP, PROCORE)
    return path


@pytest.fixture
def profile(profile_path: Path) -> Profile:
    return load_profile(profile_path)


def _open(store: Store, profile: Profile, period: str = "2026-11") -> list[str]:
    api.open_close(store, period, actor="ana")
    run_diff(store, profile)
    return sorted(report_frame(store)["exception_id"].to_list())


def test_sign_needs_every_exception_decided_then_a_second_user_locks(profile: Profile) -> None:
    with Store(profile.store_path) as store:
        ids = _open(store, profile)
        assert len(ids) == 3
        with pytest.raises(CloseError, match="3 of 3 open exceptions are undecided"):
            api.sign(store, profile, "2026-11", actor="ana")
        decisions.decide(store, ids[0], "explained", reason_code="timing", actor="ana")
        decisions.assign(store, ids[1], "erp_team", actor="ana")  # assigned, no reason: still undecided
        with pytest.raises(CloseError, match="2 of 3"):
            api.sign(store, profile, "2026-11", actor="ana")
        decisions.carry_forward(store, ids[1], "SAP fixes the PO in December", actor="ana")
        decisions.decide(store, ids[2], "approved", actor="ana")
        head = audit.chain_head(store)
        signed = api.sign(store, profile, "2026-11", actor="ana")
        assert (signed["audit_count"], signed["audit_head"]) == (head.count, head.head_hash)
        assert signed["procore_snapshot_id"] == store.current_snapshot("procore").id  # type: ignore[union-attr]
        totals = json.loads(store.query("SELECT CAST(totals AS VARCHAR) AS t FROM close_signoffs")["t"][0])
        assert {"project": "200", "object": "commitment", "erp_total": "10.0000", "procore_total": "10.0200",
                "difference": "-0.0200"} in totals  # fmt: skip
        with pytest.raises(CloseError, match="different user"):
            api.lock(store, "2026-11", actor="ana")
        api.lock(store, "2026-11", actor="bob")
        with pytest.raises(
            PeriodLocked, match=r"Period 2026-11 was locked by bob on .*\(tieout close --period 2026-12\)"
        ):
            decisions.decide(store, ids[0], "open", actor="ana")
        with pytest.raises(PeriodLocked, match="locked by bob"):
            decisions.assign(store, ids[0], "project_team", actor="ana")
        with pytest.raises(CloseError, match="locked by bob"):
            api.apply_mapping_change(store, profile, "vendors.csv", None, "1000,1000", actor="ana")
        # A push approved before the lock still records how it ended.
        assert decisions.decide(store, ids[2], "pushed", actor="ana", note="push p1")["status"] == "pushed"
        assert audit.verify(store) == []
        # The next period takes decisions again; the locked one keeps what it signed.
        api.open_close(store, "2026-12", actor="ana")
        decisions.decide(store, ids[0], "open", actor="ana")
        signed_items = store.query("SELECT exception_id, status FROM close_items WHERE period = '2026-11'")
        assert dict(signed_items.iter_rows())[ids[0]] == "explained"


def test_a_review_after_new_decisions_is_refused_until_signed_again(profile: Profile) -> None:
    with Store(profile.store_path) as store:
        ids = _open(store, profile)
        for i in ids:
            decisions.decide(store, i, "explained", reason_code="timing", actor="ana")
        api.sign(store, profile, "2026-11", actor="ana")
        decisions.decide(store, ids[0], "explained", reason_code="other", actor="ana")
        with pytest.raises(CloseError, match="1 decision.* after ana signed period 2026-11"):
            api.lock(store, "2026-11", actor="bob")
        api.sign(store, profile, "2026-11", actor="ana")
        api.lock(store, "2026-11", actor="bob")


def test_an_edited_signoff_breaks_the_audit(profile: Profile) -> None:
    with Store(profile.store_path) as store:
        for i in _open(store, profile):
            decisions.decide(store, i, "explained", reason_code="timing", actor="ana")
        api.sign(store, profile, "2026-11", actor="ana")
        store.cursor().execute("UPDATE close_signoffs SET exceptions = 0")
        assert any("close_signoffs row 1 differs" in p for p in audit.verify(store))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_cli_signs_locks_and_then_refuses_a_push(
    profile_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(profile_path)
    code, out, _ = run(capsys, "close", "-p", p, "--period", "2026-11")
    assert code == 0
    assert "undecided 3 of 3" in out and "Diffed with cut-off 2026-11-30: 3 exceptions." in out
    code, _, err = run(capsys, "close", "-p", p, "--period", "2026-11", "--sign", "--user", "ana")
    assert code == 1 and err.strip().endswith(
        "are undecided (neither explained, approved or pushed, nor carried forward with a reason)."
    )
    with Store(profile_path.parent / "demo.duckdb") as store:
        ids = report_frame(store)["exception_id"].to_list()
        for i in ids:
            decisions.decide(store, i, "explained", reason_code="timing", actor="ana")
    code, out, _ = run(capsys, "close", "-p", p, "--period", "2026-11", "--sign", "--user", "ana")
    assert code == 0 and "Signed period 2026-11 as ana: 3 exceptions" in out
    code, _, err = run(capsys, "close", "-p", p, "--period", "2026-11", "--review", "--user", "ana")
    assert code == 1 and "must come from a different user" in err
    code, out, _ = run(capsys, "close", "-p", p, "--period", "2026-11", "--review", "--user", "bob")
    assert code == 0 and "Locked period 2026-11 as bob" in out
    code, out, _ = run(capsys, "push", "-p", p, "--exception", ids[0])
    assert code == 1
    assert "Period 2026-11 was locked by bob" in out
    code, _, err = run(capsys, "close", "-p", p, "--period", "2026-13")
    assert code == 2 and "YYYY-MM" in err


def test_carry_over_across_two_closes(profile: Profile) -> None:
    with Store(profile.store_path) as store:
        nov = _open(store, profile, "2026-11")
        for i in nov:
            decisions.decide(store, i, "explained", reason_code="timing", actor="ana")
        api.sign(store, profile, "2026-11", actor="ana")
        api.lock(store, "2026-11", actor="bob")
        # December: Procore gets the budget (resolved) and a new PO line appears in the ERP only.
        dec_erp = Side(
            ERP.vendors, ERP.pos, {**ERP.lines, (PO, "00020"): (Decimal("3"), "02-200")}, ERP.budgets
        )
        dec_procore = Side(PROCORE.vendors, PROCORE.pos, PROCORE.lines, ERP.budgets)
        _seed(store, dec_erp, dec_procore)
        _open(store, profile, "2026-12")
        dec = api.against_last(store)
        change = {r["exception_id"]: (r["change"], r["age"]) for r in dec.iter_rows(named=True)}
        budget = [i for i in nov if dec.filter(pl.col("exception_id") == i)["object"].to_list() == ["budget"]]
        assert change[budget[0]] == ("resolved", 1)
        carried = {i for i, (c, _) in change.items() if c == "carried"}
        assert carried == set(nov) - set(budget) and all(change[i][1] == 1 for i in carried)
        new = [i for i, (c, _) in change.items() if c == "new"]
        assert len(new) == 1 and change[new[0]][1] == 0
        # Carried items keep their decisions: only the new one is undecided.
        assert signoff.readiness(store, "2026-12").undecided == 1
        decisions.decide(store, new[0], "explained", reason_code="timing", actor="ana")
        api.sign(store, profile, "2026-12", actor="ana")
        api.lock(store, "2026-12", actor="bob")
        api.open_close(store, "2027-01", actor="ana")
        jan = {
            r["exception_id"]: (r["change"], r["age"]) for r in api.against_last(store).iter_rows(named=True)
        }
        assert {jan[i] for i in carried} == {("carried", 2)}
        assert jan[new[0]] == ("carried", 1)


def test_the_period_evidence_carries_every_sheet_and_the_head(profile: Profile, tmp_path: Path) -> None:
    with Store(profile.store_path) as store:
        ids = _open(store, profile)
        change = api.apply_mapping_change(store, profile, "vendors.csv", None, "1000,1000", actor="ana")
        assert change.added == () and change.id == 1
        decisions.decide(store, ids[0], "explained", reason_code="timing", note="=cmd()", actor="ana")
        decisions.assign(store, ids[1], "erp_team", actor="ana")
        decisions.carry_forward(store, ids[1], "waiting on SAP", actor="ana")
        decisions.decide(store, ids[2], "approved", actor="ana")
        api.sign(store, profile, "2026-11", actor="ana")
        api.lock(store, "2026-11", actor="bob")
        close = api.close_status(store).close
        assert close is not None
        out = tmp_path / api.report_name(profile.name, close.period, "xlsx")
        assert out.name == "demo-gc-sap-2026-11.xlsx"
        result = api.export_evidence(store, profile, close, out, overwrite=False)
        head = audit.chain_head(store)
        expected = api.tie_out(store, profile, close.cutoff)
    assert result.rows == 3
    wb = openpyxl.load_workbook(out)
    assert {"Summary", "Close", "Sign-offs", "Against last", "Mapping changes", "Audit"} <= set(wb.sheetnames)
    summary = [r[0] for r in wb["Summary"].iter_rows(values_only=True) if r[0]]
    assert summary[0] == "Tieout close 2026-11 Demo GC / SAP"
    assert f"Audit log: {head.count} entries, head hash {head.head_hash}" in summary
    assert any(str(s).startswith("Locked by bob") for s in summary)
    assert not any("Exported" in str(s) for s in summary)  # the period, not the wall clock
    rows = list(wb["commitment_line"].iter_rows(values_only=True)) + list(
        wb["commitment"].iter_rows(values_only=True)
    )
    header = rows[0]
    for column in ("reason_code", "assigned_to", "decided_by", "decided_at", "note", "status"):
        assert column in header
    mapping = list(wb["Mapping changes"].iter_rows(values_only=True))
    assert mapping[1][1:5] == ("ana", "vendors.csv", None, None) and mapping[1][5] == "1000,1000"
    close_sheet = list(wb["Close"].iter_rows(values_only=True))
    assert close_sheet[0][:5] == ("project", "object", "erp_total", "procore_total", "difference")
    # The signed totals, to the cent (they were once written as empty cells).
    got = {(r[0], r[1]): tuple(Decimal(str(v)) for v in r[2:5]) for r in close_sheet[1:]}
    want = {
        (r["project"], r["object"]): (r["erp_total"], r["procore_total"], r["difference"])
        for r in expected.iter_rows(named=True)
    }
    assert got == want and any(any(v) for v in got.values())
    assert len(list(wb["Audit"].iter_rows())) == head.count + 1


def test_mapping_changes_are_audited_and_refuse_an_empty_row(profile: Profile) -> None:
    with Store(profile.store_path) as store:
        _open(store, profile)
        with pytest.raises(MappingChangeError, match="empty"):
            api.apply_mapping_change(store, profile, "cost_codes.csv", 2, " , , ", actor="ana")
        with pytest.raises(MappingChangeError, match="no data row at line 99"):
            api.apply_mapping_change(store, profile, "cost_codes.csv", 99, ",,P-1-01,01-100", actor="ana")
        # Point the budget's WBS element at another cost code: the budget exception moves.
        change = api.apply_mapping_change(store, profile, "cost_codes.csv", 2, ",,P-1-01,02-200", actor="ana")
        assert change.before_row == ",,P-1-01,01-100" and change.resolved and change.added
        entry = audit.entries(store).row(-1, named=True)
        assert entry["action"] == "mapping:changed" and entry["actor"] == "ana"
        assert json.loads(entry["after"])["resolved"] == list(change.resolved)
        assert (profile.mappings_dir / "cost_codes.csv").read_text().splitlines()[1] == ",,P-1-01,02-200"
        assert audit.verify(store) == []


def test_status_filters_and_progress(profile: Profile) -> None:
    with Store(profile.store_path) as store:
        ids = _open(store, profile)
        decisions.decide(store, ids[0], "explained", reason_code="timing", actor="ana")
        decisions.assign(store, ids[1], "erp_team", actor="ana")
        got = {
            s: report_frame(store, ExceptionFilter(state=s))["exception_id"].to_list()
            for s in ("undecided", "explained", "assigned")
        }
        assert got == {
            "undecided": [ids[1], ids[2]] if ids[1] < ids[2] else sorted(ids[1:]),
            "explained": [ids[0]],
            "assigned": [ids[1]],
        }
        assert progress(store).sentence() == "undecided 2 of 3"
        cache = GridCache.load(store)
        assert cache.progress() == (2, 3)
        page = cache.page(ExceptionFilter(state="assigned"))
        assert page.matching == 1
        cache.set_status(ids[2], "approved")
        assert cache.progress() == (1, 3)
        # A diff that no longer finds the budget closes it: "closed" shows it, the period's export keeps it.
        _seed(store, ERP, Side(PROCORE.vendors, PROCORE.pos, PROCORE.lines, ERP.budgets))
        run_diff(store, profile)
        closed = report_frame(store, ExceptionFilter(state="closed", open_only=False))
        assert closed.height == 1
        close = api.close_status(store).close
        assert close is not None
        from reconcile.close.evidence import period_report

        assert period_report(store, close).height == 3


def test_the_export_defaults_to_the_period_closed_ones_included(
    profile_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(profile_path)
    assert run(capsys, "close", "-p", p, "--period", "2026-11")[0] == 0
    with Store(profile_path.parent / "demo.duckdb") as store:
        _seed(
            store, ERP, Side(PROCORE.vendors, PROCORE.pos, PROCORE.lines, ERP.budgets)
        )  # the budget arrives
    assert run(capsys, "diff", "-p", p)[0] == 0
    out = profile_path.parent / "report.csv"
    code, said, _ = run(capsys, "export", "-p", p, "-f", "csv", "-o", str(out))
    assert code == 0 and "Wrote 3 exceptions" in said
    manifest = json.loads((profile_path.parent / "report.csv.manifest.json").read_text())
    assert manifest["period"] == "2026-11" and "exported_at" not in manifest
    code, said, _ = run(capsys, "export", "-p", p, "-f", "csv", "-o", str(out), "--open-only", "--force")
    assert code == 0 and "Wrote 2 exceptions" in said


def test_the_working_close_cuts_a_late_actual_out_of_the_diff(profile: Profile) -> None:
    side = Side(actuals={(1, "01-100"): Decimal("100")})
    procore = as_procore(side)
    late = procore["procore_actual_lines"].with_columns(
        pl.lit("direct_cost:late").alias("id"),
        pl.lit(Decimal("40")).cast(pl.Decimal(18, 4)).alias("amount"),
        pl.lit(date(2026, 12, 2)).alias("document_date"),
    )
    procore["procore_actual_lines"] = pl.concat([procore["procore_actual_lines"], late])
    with Store(profile.store_path) as store:
        for source, tables in (("procore", procore), ("erp", as_erp(side))):
            snap = store.begin_snapshot(source, "full")
            store.complete_snapshot(snap, [], tables)
        assert run_diff(store, profile).counts == {("actual", "value_mismatch"): 1}  # no close: no cut-off
        api.open_close(store, "2026-11", actor="ana")
        assert run_diff(store, profile).total == 0  # the December cost belongs to December
        assert api.close_status(store).late_rows == {"procore_actual_lines": 1, "erp_actuals": 0}
        api.open_close(store, "2026-12", actor="ana")
        assert run_diff(store, profile).counts == {("actual", "value_mismatch"): 1}


def test_the_working_close_cuts_a_late_erp_actual_out_of_the_diff(profile: Profile) -> None:
    """Symmetric with Procore's: an ERP balance of December is not an exception of November."""
    side = Side(actuals={(1, "01-100"): Decimal("100")})
    erp = as_erp(side)
    november = erp["erp_actuals"].with_columns(pl.lit(date(2026, 11, 30)).alias("posting_date"))
    late = november.with_columns(
        pl.lit(Decimal("40")).cast(pl.Decimal(18, 4)).alias("amount"),
        pl.lit(date(2026, 12, 31)).alias("posting_date"),
    )
    erp["erp_actuals"] = pl.concat([november, late])
    with Store(profile.store_path) as store:
        for source, tables in (("procore", as_procore(side)), ("erp", erp)):
            snap = store.begin_snapshot(source, "full")
            store.complete_snapshot(snap, [], tables)
        assert store.canonical("erp_actuals")["posting_date"].to_list() == [
            date(2026, 11, 30),
            date(2026, 12, 31),
        ]
        assert run_diff(store, profile).counts == {("actual", "value_mismatch"): 1}  # no close: no cut-off
        api.open_close(store, "2026-11", actor="ana")
        assert run_diff(store, profile).total == 0  # December's balance belongs to December
        assert api.close_status(store).late_rows == {"procore_actual_lines": 0, "erp_actuals": 1}
        erp_total = api.tie_out(store, profile).filter(pl.col("object") == "actual")["erp_total"].sum()
        assert erp_total == Decimal("100")
        api.open_close(store, "2026-12", actor="ana")
        assert run_diff(store, profile).counts == {("actual", "value_mismatch"): 1}
