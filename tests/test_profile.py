"""Profiles load through pydantic; every problem is one sentence naming the file and key."""

from decimal import Decimal
from pathlib import Path

import pytest

from reconcile.profile import ProfileError, load_profile

GOOD = """
name = "Acme GC / SAP"
store = "acme.duckdb"

[procore]
company_id = 562949953421312
client_id = "abc"

[erp]
kind = "sap-s4"
base_url = "https://s4.example.com"
token_url = "https://s4.example.com/sap/bc/sec/oauth2/token"
client_id = "TIEOUT_COMM_USER"
sap_client = "100"

[rules]
amount_tolerance = "0.01"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "p.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_profile_resolves_paths_relative_to_the_file(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD))
    assert profile.store_path == tmp_path / "acme.duckdb"
    assert profile.mappings_dir == tmp_path / "mappings"
    assert profile.rules.amount_tolerance == Decimal("0.01")
    assert profile.push.allow == []  # read-only by default


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace('client_id = "abc"\n', ""), "`procore.client_id` is missing"),
        (GOOD.replace('kind = "sap-s4"', 'kind = "sap-r2"'), "`erp.kind`"),
        (GOOD + "\n[extra]\nx = 1\n", "unknown key `extra`"),
        (GOOD.replace('amount_tolerance = "0.01"', "amount_tolerance = 0.01"), "`rules.amount_tolerance`"),
        ("name = [", "not valid TOML"),
    ],
)
def test_bad_profiles_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ProfileError) as err:
        load_profile(write(tmp_path, text))
    assert expected in str(err.value)
    assert str(tmp_path / "p.toml") in str(err.value)


def test_missing_profile(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(tmp_path / "nope.toml")
