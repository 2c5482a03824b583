"""Bad input gets one sentence on stderr and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.demo import write_profile


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


def test_missing_profile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(capsys, "pull", "--profile", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "nope.toml does not exist" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_malformed_profile_names_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_text('name = "x"\nstore = "s.duckdb"\n[procore]\ncompany_id = "abc"\nclient_id = "c"\n')
    code, err = run(capsys, "diff", "--profile", str(p))
    assert code == 2
    assert "procore.company_id" in err or "erp" in err
    assert "Traceback" not in err


def test_unreachable_host_is_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEOUT_PROCORE_CLIENT_SECRET", "sim-secret-value-123")
    monkeypatch.setenv("TIEOUT_ERP_CLIENT_SECRET", "sim-secret-value-456")
    profile = tmp_path / "p.toml"
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    write_profile(profile, procore_url="http://127.0.0.1:9", sap_url="http://127.0.0.1:9", extras={})
    code, err = run(capsys, "pull", "--profile", str(profile))
    assert code == 2
    assert "Cannot reach" in err
    assert "Traceback" not in err
    assert "sim-secret-value" not in err
