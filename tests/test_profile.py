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


ERP_URL = 'base_url = "https://s4.example.com"'


@pytest.mark.parametrize(
    ("old", "new", "key", "line"),
    [
        ('amount_tolerance = "0.01"', 'amount_tolerance = "-0.5"', "rules.amount_tolerance", 17),
        ('amount_tolerance = "0.01"', 'amount_tolerance = "NaN"', "rules.amount_tolerance", 17),
        ('amount_tolerance = "0.01"', 'amount_tolerance = "Infinity"', "rules.amount_tolerance", 17),
        (ERP_URL, 'base_url = "https://s4 .example.com"', "erp.base_url", 11),
        (ERP_URL, 'base_url = "::::"', "erp.base_url", 11),
        (ERP_URL, 'base_url = "ftp://s4.example.com"', "erp.base_url", 11),
        (ERP_URL, 'base_url = ""', "erp.base_url", 11),
        (ERP_URL, 'base_url = "not a url"', "erp.base_url", 11),
        ("token_url = ", 'token_url = "ftp://x" #', "erp.token_url", 12),
        ("company_id = ", 'base_url = "::::"\ncompany_id = ', "procore.base_url", 6),
        ("company_id = ", 'login_url = "not a url"\ncompany_id = ', "procore.login_url", 6),
    ],
)
def test_bad_values_name_the_key_and_its_line(
    tmp_path: Path, old: str, new: str, key: str, line: int
) -> None:
    assert old in GOOD
    with pytest.raises(ProfileError) as err:
        load_profile(write(tmp_path, GOOD.replace(old, new, 1)))
    message = str(err.value)
    assert f"p.toml line {line}: key `{key}`" in message
    assert message.count(".") >= 1 and "\n" not in message


def test_erp_kind_without_an_adapter_names_the_kinds_available(tmp_path: Path) -> None:
    from adapters.settings import ERP_ADAPTERS, ERP_KINDS_PLANNED

    unbuilt = [k for k in ERP_KINDS_PLANNED if k not in ERP_ADAPTERS]
    if not unbuilt:
        pytest.skip("every kind the contract names has an adapter")
    with pytest.raises(ProfileError) as err:
        load_profile(write(tmp_path, GOOD.replace('kind = "sap-s4"', f'kind = "{unbuilt[0]}"')))
    assert "line 10: key `erp.kind`" in str(err.value)
    assert f'"{unbuilt[0]}" has no adapter' in str(err.value) and 'available: "sap-s4"' in str(err.value)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_profile(p).name == "Acme GC / SAP"


def test_a_missing_key_names_its_table_line(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"`procore.client_id` is missing \(in the table at line 5\)"):
        load_profile(write(tmp_path, GOOD.replace('client_id = "abc"\n', "")))


def test_a_folder_is_not_a_profile(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="is a folder"):
        load_profile(tmp_path)
