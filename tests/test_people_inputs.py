"""People inputs: the [people] profile section, the idp secret, the roster and access.csv (errors name file and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappings.access import check_projects, load_access
from mappings.errors import MappingError
from reconcile.people.roster import load_roster
from reconcile.profile import ProfileError, load_profile
from reconcile.secrets import get_secret

PEOPLE_ONLY = """
name = "Acme IT"
store = "it.duckdb"

[procore]
company_id = 1
client_id = "abc"

[people]
idp = "entra"
base_url = "https://graph.microsoft.com/"
tenant = "contoso.onmicrosoft.com"
client_id = "app-id"
groups = ["Procore Users"]
sso_domains = ["Acme.com", "@acme.co.uk"]
exclude = ["Svc-Procore@acme.com"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_people_only_profile_loads_and_has_no_erp(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "p.toml", PEOPLE_ONLY))
    assert profile.people is not None and profile.people.base_url == "https://graph.microsoft.com"
    assert profile.people.sso_domains == ["acme.com", "acme.co.uk"]
    assert profile.people.exclude == ["svc-procore@acme.com"]
    with pytest.raises(ProfileError, match=r"p.toml has no \[erp\] section"):
        _ = profile.erp


def test_neither_erp_nor_people_is_one_sentence(tmp_path: Path) -> None:
    text = PEOPLE_ONLY.split("[people]")[0]
    with pytest.raises(
        ProfileError, match=r"p.toml: the profile needs an \[erp\] section, a \[people\] section, or both\.$"
    ):
        load_profile(write(tmp_path, "p.toml", text))


def test_what_each_idp_needs(tmp_path: Path) -> None:
    text = PEOPLE_ONLY.replace('tenant = "contoso.onmicrosoft.com"\n', "")
    with pytest.raises(ProfileError, match=r"key `people`: .*`tenant` is required when idp = \"entra\""):
        load_profile(write(tmp_path, "p.toml", text))


def test_the_idp_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIEOUT_IDP_SECRET", "okta-token")
    secret = get_secret("Acme IT", "idp")
    assert secret.reveal() == "okta-token" and "okta-token" not in repr(secret)


ROSTER = (
    "employee_id,email,first_name,last_name,job_title,department,status,groups,cost_center\n"
    "E1,Ann.Lee@Acme.com,Ann,Lee,PM,Ops,Active,Procore Users; Field ;,100\n"
    "E2,bob@acme.com,Bob,Ray,,Ops,Terminated,Procore Users,200\n"
    "E3,cy@acme.com,Cy,Dee,Super,Field,ACTIVE,,300\n"
)


def test_the_roster_ignores_extra_columns_and_splits_groups(tmp_path: Path) -> None:
    frame = load_roster(write(tmp_path, "roster.csv", ROSTER))
    rows = {r["idp_id"]: r for r in frame.iter_rows(named=True)}
    assert rows["E1"]["email"] == "ann.lee@acme.com" and rows["E1"]["groups"] == ["Procore Users", "Field"]
    assert rows["E2"]["enabled"] is False and rows["E3"]["enabled"] is True and rows["E3"]["groups"] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ROSTER.replace("E2,", "E1,"), r"roster.csv line 3: employee_id E1 appears twice \(lines 2 and 3\)"),
        (
            ROSTER.replace("cy@acme.com", "ann.lee@acme.com"),
            r"roster.csv line 4: email ann.lee@acme.com appears twice",
        ),
        (ROSTER.replace("bob@acme.com", "bob"), r"roster.csv line 3: email 'bob' is not an e-mail address"),
        (ROSTER.replace(",Terminated,", ",,"), r"roster.csv line 3: status is empty"),
        (ROSTER.replace("department,", ""), r"roster.csv line 1: missing column 'department'"),
    ],
)
def test_roster_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        load_roster(write(tmp_path, "roster.csv", text))


ACCESS = (
    "idp_group,procore_project_number,permission_template\n"
    "Procore Users,,Company Standard\n"
    "Procore Users,P-1,Project Manager\n"
    "Field,P-1,Field\n"
)


def test_access_loads_with_lines_and_blank_project_as_company(tmp_path: Path) -> None:
    table = load_access(write(tmp_path, "access.csv", ACCESS), "mappings/access.csv")
    assert table.rows.rows() == [
        ("Procore Users", None, "Company Standard", 2),
        ("Procore Users", "P-1", "Project Manager", 3),
        ("Field", "P-1", "Field", 4),
    ]
    with pytest.raises(
        MappingError, match=r"mappings/access.csv line 3: procore_project_number 'P-1' is not a project"
    ):
        check_projects(table, {"P-2"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ACCESS + "Field,P-1,Field\n", r"access.csv line 5: duplicate row \(same as line 4\)"),
        (
            ACCESS + "Procore Users,,Company Admin\n",
            r"line 5: group 'Procore Users' grants two templates for the company template",
        ),
        (ACCESS + "Field,P-2,\n", r"line 5: idp_group and permission_template must both be filled in"),
        (ACCESS.replace("permission_template", "template"), r"line 1: unknown column 'template'"),
    ],
)
def test_access_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        load_access(write(tmp_path, "access.csv", text))


def test_push_allow_accepts_idp_to_procore(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "p.toml", PEOPLE_ONLY + '\n[push]\nallow = ["idp_to_procore"]\n'))
    assert profile.push.allow == ["idp_to_procore"]
