"""End to end over loopback: pull → diff → export of the demo company reproduces its answer key.

Both simulators run as real HTTP servers; the adapters, the store, the engine and the
exports are exactly what `tieout` runs against a customer's Procore and SAP.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from app.cli import main
from app.demo import demo_environment
from reconcile.exceptions import report, run_diff
from reconcile.profile import load_profile
from reconcile.pull import run_pull
from reconcile.store import Store

pytestmark = pytest.mark.slow


def _key_rows(answer_key: list[dict]) -> dict[tuple[str, str, str, str], Decimal | None]:
    out: dict[tuple[str, str, str, str], Decimal | None] = {}
    for row in answer_key:
        diff = row.get("difference")
        out[(row["object"], row["kind"], str(row["key"]), row.get("field") or "")] = (
            Decimal(str(diff)) if diff not in (None, "") else None
        )
    return out


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("demo")
    with demo_environment(directory) as env:
        profile = load_profile(env.profile_path)
        store = Store(profile.store_path)
        outcome = run_pull(profile, store)
        assert outcome.ok, outcome.error
        yield env, profile, store
        store.close()


def test_diff_reproduces_the_answer_key_exactly(pulled) -> None:
    env, profile, store = pulled
    run_diff(store, profile)
    got = report(store).filter(pl.col("object") != "user")  # the people key: tests/e2e/test_people_demo.py
    found = {
        (r["object"], r["kind"], r["key"], r["field"] or ""): r["difference"]
        for r in got.iter_rows(named=True)
    }
    expected = _key_rows(env.company.answer_key)
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert not missing, f"planted mismatches not found: {missing[:10]}"
    assert not extra, f"reported but not planted: {extra[:10]}"
    for k, diff in expected.items():
        if diff is not None:
            assert found[k] == diff, k


def test_cli_export_writes_the_same_rows_in_every_format(pulled, tmp_path: Path) -> None:
    env, profile, store = pulled
    store.close()  # the CLI opens the file itself
    assert main(["diff", "--profile", str(env.profile_path)]) == 0
    n = len(env.company.answer_key) + len(env.workforce.answer_keys["okta"])  # money and people
    for fmt in ("csv", "parquet", "xlsx"):
        out = tmp_path / f"report.{fmt}"
        assert main(["export", "--profile", str(env.profile_path), "--format", fmt, "--out", str(out)]) == 0
        if fmt == "csv":
            assert pl.read_csv(out, infer_schema=False).height == n
        elif fmt == "parquet":
            assert pl.read_parquet(out).height == n
        else:
            wb = openpyxl.load_workbook(out, read_only=True)
            assert "Summary" in wb.sheetnames


def test_second_pull_with_nothing_changed_is_incremental_and_identical(pulled) -> None:
    env, profile, _ = pulled
    store = Store(profile.store_path)
    before = {t: store.canonical(t) for t in ("procore_commitment_lines", "erp_commitment_lines")}
    outcome = run_pull(profile, store)
    assert outcome.ok, outcome.error
    for t, frame in before.items():
        after = store.canonical(t)
        assert after.sort(after.columns).equals(frame.sort(frame.columns)), t
    store.close()


def test_cli_plan_estimates_the_full_pull_within_ten_percent(pulled, capsys) -> None:
    env, profile, _ = pulled
    store = Store(profile.store_path)
    made = {}
    for source in ("procore", "erp"):
        first_full = store.query(
            "SELECT min(id) AS id FROM snapshots WHERE source = ? AND kind = 'full' AND status = 'complete'",
            [source],
        )["id"][0]
        made[source] = sum(s.requests for s in store.snapshot_stats(int(first_full)))
    store.close()
    capsys.readouterr()
    assert main(["pull", "--plan", "--profile", str(env.profile_path)]) == 0
    totals = {
        line.split()[0]: int(line.split()[3])
        for line in capsys.readouterr().out.splitlines()
        if "= total" in line
    }
    for source, n in made.items():
        assert abs(totals[source] - n) <= 0.1 * n, (source, totals[source], n)


@pytest.mark.parametrize("side", ["procore", "erp"])
def test_wrong_credentials_say_which_side_and_exit_2(
    side: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_environment(tmp_path) as env:
        monkeypatch.setenv(f"TIEOUT_{side.upper()}_CLIENT_SECRET", "not-the-secret-at-all")
        code = main(["pull", "--profile", str(env.profile_path), "--source", side])
    err = capsys.readouterr().err
    assert code == 2, err
    assert ("Procore" if side == "procore" else "SAP") in err
    assert "Traceback" not in err and "not-the-secret-at-all" not in err


def test_secrets_reach_neither_the_store_nor_exports_nor_output(pulled, tmp_path: Path, capsys) -> None:
    from app.demo import SIM_ERP_SECRET, SIM_OKTA_TOKEN, SIM_PROCORE_SECRET

    env, profile, _ = pulled
    assert main(["diff", "--profile", str(env.profile_path)]) == 0
    texts = []
    for fmt in ("csv", "xlsx", "parquet"):
        out = tmp_path / f"r.{fmt}"
        assert main(["export", "--profile", str(env.profile_path), "--format", fmt, "--out", str(out)]) == 0
        if fmt == "csv":
            texts.append(out.read_text(encoding="utf-8"))
        elif fmt == "parquet":
            texts.append(pl.read_parquet(out).write_csv())
        else:  # compressed: read every cell of every sheet
            wb = openpyxl.load_workbook(out, read_only=True)
            texts += [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    printed = capsys.readouterr()
    texts += [printed.out, printed.err]
    store = Store(profile.store_path)  # compressed on disk too: ask every text column
    columns = store.query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema = 'main'"
    )
    for secret in (SIM_PROCORE_SECRET, SIM_ERP_SECRET, SIM_OKTA_TOKEN):
        assert all(secret not in t for t in texts)
        for table, column in columns.iter_rows():
            hits = store.query(
                f'SELECT count(*) AS n FROM "{table}" WHERE "{column}" LIKE ?', [f"%{secret}%"]
            )
            assert hits["n"][0] == 0, (table, column)
    store.close()
