"""End to end over loopback: `tieout demo --erp sap-ecc` reproduces the ECC answer key.

The Procore simulator and the ECC SOAP simulator run as real HTTP servers; the ECC adapter
reads the demo company's tables through RFC_READ_TABLE (512-character rows, ROWSKIPS paging,
IN-list selections), and the engine diffs them against Procore exactly as for S/4.
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
from sample_data.sap_ecc_demo import NOTES

pytestmark = pytest.mark.slow


def _keyed(rows: list[dict]) -> dict[tuple[str, str, str, str], Decimal | None]:
    return {
        (r["object"], r["kind"], str(r["key"]), r.get("field") or ""): (
            Decimal(str(r["difference"])) if r.get("difference") not in (None, "") else None
        )
        for r in rows
    }


def test_the_ecc_demo_reproduces_its_answer_key(tmp_path: Path) -> None:
    with demo_environment(tmp_path, erp="sap-ecc") as env:
        profile = load_profile(env.profile_path)
        assert profile.erp.kind == "sap-ecc"
        with Store(profile.store_path) as store:
            outcome = run_pull(profile, store)
            assert outcome.ok, outcome.error
            run_diff(store, profile)
            found = _keyed(list(report(store).iter_rows(named=True)))
            # A second pull is incremental (EKPO-AEDAT with an overlap) and changes nothing.
            before = store.canonical("erp_commitment_lines")
            assert run_pull(profile, store).ok
            after = store.canonical("erp_commitment_lines")
            assert after.sort(after.columns).equals(before.sort(before.columns))
    expected = _keyed(env.answer_key)
    assert sorted(set(expected) - set(found)) == []
    assert sorted(set(found) - set(expected)) == []
    for k, diff in expected.items():
        if diff is not None:
            assert found[k] == diff, k
    assert NOTES  # what ECC cannot hold of the planted facts is written down beside the key


def test_tieout_demo_headless_with_erp_sap_ecc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--erp", "sap-ecc", "--headless", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Demo GC / SAP ECC" in (tmp_path / "demo.toml").read_text(encoding="utf-8")
    assert "86 exceptions" in out, out
