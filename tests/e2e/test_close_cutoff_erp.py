"""End to end over loopback: an ERP actual of the next period is no exception of this close.

The SAP S/4 simulator gets one journal entry posted in December 2026 (fiscal period 012) on
top of the demo company. Without a close it changes the actuals' tie-out; `tieout close
--period 2026-11` (cut-off 30 November) leaves it to December and the diff is the demo's
answer key again, to the cent.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.cli import main
from app.demo import demo_environment
from reconcile.exceptions import report, run_diff
from reconcile.profile import load_profile
from reconcile.pull import run_pull
from reconcile.store import Store

pytestmark = pytest.mark.slow

Keyed = dict[tuple[str, str, str, str], Decimal | None]


def _keyed(rows: list[dict]) -> Keyed:
    return {
        (r["object"], r["kind"], str(r["key"]), r.get("field") or ""): (
            Decimal(str(r["difference"])) if r.get("difference") not in (None, "") else None
        )
        for r in rows
    }


def test_a_december_journal_entry_is_left_to_december(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with demo_environment(tmp_path, idp=None) as env:
        journal = env.erp.data["A_JournalEntryItemBasic"]
        booked = next(j for j in journal if j["FiscalYearPeriod"] == "2026003" and j["WBSElement"])
        journal.append(
            {
                **booked,
                "ID": "1000202651999999990001",
                "FiscalYearPeriod": "2026012",
                "AmountInCompanyCodeCurrency": "500.00",
                "AmountInTransactionCurrency": "500.00",
            }
        )
        expected = _keyed(env.answer_key or [])
        profile = load_profile(env.profile_path)
        with Store(profile.store_path) as store:
            assert run_pull(profile, store).ok
            run_diff(store, profile)
            uncut = _keyed(list(report(store).iter_rows(named=True)))
        assert uncut != expected  # no close, no cut-off: December's 500.00 is counted

        capsys.readouterr()
        assert main(["close", "--profile", str(env.profile_path), "--period", "2026-11"]) == 0
        out = capsys.readouterr().out
        assert "Period 2026-11, cut-off 2026-11-30." in out
        assert "1 row(s) of erp_actuals are dated after the cut-off: they belong to the next period." in out
        with Store(profile.store_path, read_only=True) as store:
            assert _keyed(list(report(store).iter_rows(named=True))) == expected
