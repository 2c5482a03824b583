"""The people loop end to end through the CLI, over loopback, on a small demo workforce.

An IT admin's profile (``[people]``, no ``[erp]``) against the Okta and Procore simulators:
``tieout pull`` snapshots the IdP and the directory, ``tieout diff`` reproduces the planted
answer key, ``tieout push --yes`` applies every kind of people push (create, update each
field, reactivate, deactivate, add to / remove from a project, change a project template),
a second pull and diff see each one closed, and ``tieout export --object user`` writes the
access review with the audit chain's head.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from app.cli import main
from app.demo import DemoEnv, demo_environment
from reconcile import audit, decisions
from reconcile.exceptions import report
from reconcile.profile import load_profile
from reconcile.store import Store

STAFF = 40


def people_only(env: DemoEnv, *, allow: str = '"idp_to_procore"') -> Path:
    """The demo profile without its [erp] section: an IT admin's profile."""
    text = env.profile_path.read_text(encoding="utf-8")
    text = re.sub(r"\n\[erp\]\n(?:[^\[\n][^\n]*\n)*", "\n", text)
    text = text.replace('store = "demo.duckdb"', 'store = "people.duckdb"')
    text = re.sub(r"allow = \[[^\]]*\]", f"allow = [{allow}]", text)
    assert "[erp]" not in text and "[people]" in text
    path = env.dir / "people.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path) -> Iterator[DemoEnv]:
    with demo_environment(tmp_path, idp="okta", staff=STAFF) as env:
        yield env


def key_of(rows: Any) -> set[tuple[str, ...]]:
    return {
        tuple(str(r.get(c) or "") for c in ("kind", "key", "project", "field", "erp_value", "procore_value"))
        for r in rows
    }


def open_report(profile_path: Path) -> pl.DataFrame:
    profile = load_profile(profile_path)
    with Store(profile.store_path) as store:
        return report(store, object="user")


def writes(env: DemoEnv) -> list[Any]:
    """The REST writes the Procore simulator received (the OAuth token POSTs are not writes)."""
    return [r for r in env.procore.server.log if r.method != "GET" and r.path.startswith("/rest/")]


def pick(frame: pl.DataFrame, kind: str, field: str = "", *, erp: bool = True, procore: bool = True) -> str:
    """The id of one open exception of this shape (erp/procore: whether that value is present)."""
    rows = frame.filter(
        (pl.col("kind") == kind)
        & (pl.col("field").fill_null("") == field)
        & (pl.col("erp_value").is_not_null() == erp)
        & (pl.col("procore_value").is_not_null() == procore)
    ).sort("key")
    assert rows.height, f"no {kind} {field} exception"
    return str(rows["exception_id"][0])


def test_people_only_profile_pulls_diffs_pushes_every_kind_and_exports(
    env: DemoEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    path = people_only(env)
    assert main(["pull", "--profile", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"identity\s+= snapshot \d+ complete", out)
    assert re.search(r"directory\s+= snapshot \d+ complete", out)
    assert "erp" not in out.split()  # a people-only profile pulls no money side
    assert main(["diff", "--profile", str(path)]) == 0
    found = open_report(path)
    assert key_of(found.iter_rows(named=True)) == key_of(env.workforce.answer_keys["okta"])

    pushes = {
        "create": pick(found, "missing_in_procore", procore=False),
        "deactivate": pick(found, "orphaned"),
        "reactivate": pick(found, "value_mismatch", "is_active"),
        "name": pick(found, "value_mismatch", "name"),
        "job_title": pick(found, "value_mismatch", "job_title"),
        "template": pick(found, "value_mismatch", "permission_template"),
        "add": pick(found, "access_mismatch", procore=False),
        "remove": pick(found, "access_mismatch", erp=False),
        "change": pick(found, "access_mismatch"),
    }
    # The orphan holding a project role (index 4 of the workforce): the plan names the role.
    holder = env.workforce.people[4].email
    role_id = str(found.filter((pl.col("key") == holder) & (pl.col("kind") == "orphaned"))["exception_id"][0])
    capsys.readouterr()
    assert main(["push", "--profile", str(path), "--exception", role_id]) == 0
    shown = capsys.readouterr().out
    assert "Still holds: Project Manager on project 1002" in shown
    assert "Nothing was written" in shown
    pushes["deactivate"] = role_id

    assert writes(env) == []
    for what, xid in pushes.items():
        assert main(["push", "--profile", str(path), "--exception", xid, "--yes"]) == 0, what
        assert ": done." in capsys.readouterr().out, what
    assert len(writes(env)) == len(pushes)  # one write each, no retries
    hire_email = str(found.filter(pl.col("exception_id") == pushes["create"])["key"][0])
    hire = next(p for p in env.workforce.people if p.email == hire_email)
    created = [u for u in env.procore.data["users"] if u.get("email_address") == hire_email]
    assert [u["origin_id"] for u in created] == [hire.okta_id]  # the IdP's immutable id

    assert main(["pull", "--profile", str(path)]) == 0
    assert main(["diff", "--profile", str(path)]) == 0
    profile = load_profile(path)
    with Store(profile.store_path) as store:
        closed = store.query(
            "SELECT exception_id FROM exceptions WHERE NOT is_open AND exception_id IN "
            f"({', '.join('?' for _ in pushes)})",
            list(pushes.values()),
        )
        assert set(closed["exception_id"]) == set(pushes.values())
        assert {decisions.status(store, x) for x in pushes.values()} == {"pushed"}
        assert audit.verify(store) == []
        head = audit.chain_head(store)

    capsys.readouterr()
    xlsx = env.dir / "access-review.xlsx"
    assert main(["export", "--profile", str(path), "--object", "user", "--format", "xlsx", "--out", str(xlsx), "--all"]) == 0  # fmt: skip
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert book.sheetnames[:2] == ["Summary", "Access review"]
    summary = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    assert any(head.head_hash in str(c) for c in summary)
    review = list(book["Access review"].iter_rows(values_only=True))
    header = review[0]
    rows = {r[header.index("email")]: dict(zip(header, r, strict=True)) for r in review[1:]}
    leaver = rows[holder]
    assert (leaver["idp_status"], leaver["procore_status"]) == ("DEPROVISIONED", "inactive")
    new_hire = rows[hire_email]
    assert new_hire["procore_status"] == "active" and new_hire["company_template"] == "Standard Employee"
    assert rows["svc-procore-sync@keystonebuilders.com"]["excluded"] is True
    assert all(not e.endswith("@steelworks.com") for e in rows)  # collaborators are out of scope
    users = list(book["user"].iter_rows(values_only=True))
    uh = users[0]
    pushed = [
        dict(zip(uh, r, strict=True)) for r in users[1:] if r[uh.index("exception_id")] in pushes.values()
    ]
    assert len(pushed) == len(pushes)
    assert all(r["status"] == "pushed" and r["decided_by"] and r["decided_at"] for r in pushed)


def test_a_people_push_needs_idp_to_procore_in_push_allow(
    env: DemoEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    path = people_only(env, allow="")
    assert main(["pull", "--profile", str(path)]) == 0
    assert main(["diff", "--profile", str(path)]) == 0
    xid = pick(open_report(path), "orphaned")
    capsys.readouterr()
    assert main(["push", "--profile", str(path), "--exception", xid, "--yes"]) == 1
    err = capsys.readouterr().err
    assert 'add "idp_to_procore" to [push].allow' in err
    assert writes(env) == []


def test_a_directory_pulled_after_the_diff_refuses_the_push(
    env: DemoEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    path = people_only(env)
    assert main(["pull", "--profile", str(path)]) == 0
    assert main(["diff", "--profile", str(path)]) == 0
    xid = pick(open_report(path), "orphaned")
    assert main(["pull", "--profile", str(path), "--source", "directory"]) == 0
    capsys.readouterr()
    assert main(["push", "--profile", str(path), "--exception", xid, "--yes"]) == 1
    assert "diff again before pushing" in capsys.readouterr().err
    assert writes(env) == []


def test_login_asks_for_the_idp_secret_of_a_people_only_profile(
    env: DemoEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored: dict[str, str] = {}
    prompts: list[str] = []
    monkeypatch.setattr("app.commands.login.getpass.getpass", lambda p: prompts.append(p) or "s3cret")
    monkeypatch.setattr(
        "app.commands.login.set_secret", lambda name, side, value: stored.__setitem__(side, value)
    )
    assert main(["login", "--profile", str(people_only(env))]) == 0
    assert sorted(stored) == ["idp", "procore"]
    assert any(p.startswith("Okta API token for http://127.0.0.1") for p in prompts)


def test_the_committed_answer_keys_are_the_generated_ones() -> None:
    from sample_data.people import KEY_COLUMNS, workforce

    root = Path(__file__).resolve().parents[1] / "sample_data" / "demo"
    w = workforce(7)
    for idp in ("okta", "entra"):
        committed = pl.read_csv(root / f"people_answer_key_{idp}.csv", infer_schema=False).fill_null("")
        assert committed.columns == KEY_COLUMNS
        assert committed.to_dicts() == w.answer_keys[idp]


def test_a_mapping_preview_never_calls_user_exceptions_resolved(tmp_path: Path) -> None:
    """With the mapping tables on disk broken, the preview's baseline is the stored report:
    the money diff it compares with never has user rows, so they must not count as resolved."""
    from test_exceptions import _profile

    from mappings import Mappings
    from reconcile.diff import EXCEPTION_SCHEMA, exception_id
    from reconcile.exceptions import persist, preview_mapping_change

    profile = _profile(tmp_path)
    xid = exception_id("user", "left@acme.com", "orphaned", "")
    user = {c: None for c in EXCEPTION_SCHEMA} | {
        "exception_id": xid, "object": "user", "kind": "orphaned", "key": "left@acme.com",
        "field": "", "erp_value": "DEPROVISIONED", "procore_value": "active", "rule": "user.orphaned",
    }  # fmt: skip
    with Store(profile.store_path) as store:
        persist(store, pl.DataFrame([user], schema=EXCEPTION_SCHEMA), None, None)
        (profile.mappings_dir / "projects.csv").write_text("not,a,mapping\n")
        changed = Mappings.from_rows([("P-1", "100")], [(None, None, "P-1", "01-100")])
        added, removed = preview_mapping_change(store, profile, changed)
    assert xid not in removed


def test_a_roster_profile_pulls_only_the_directory_and_reproduces_the_key(
    env: DemoEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    """idp = "csv": the HR roster is read at diff time; only the directory is pulled."""
    roster = env.dir / "roster.csv"
    lines = ["employee_id,email,first_name,last_name,job_title,department,status,groups,cost_center"]
    for p in env.workforce.people:
        status = "Active" if p.enabled else "Terminated"
        lines.append(
            f"E{p.index},{p.email},{p.first},{p.last},{p.title},{p.role},{status},{';'.join(p.groups)},CC1"
        )
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = people_only(env)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'idp = "okta"\nbase_url = "[^"]*"\n', 'idp = "csv"\nroster = "roster.csv"\n', text)
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["pull", "--profile", str(path)]) == 0
    out = capsys.readouterr().out
    assert "directory" in out and "identity" not in out
    assert main(["diff", "--profile", str(path)]) == 0
    expected = {
        (*r[:4], "Terminated" if r[4] in ("DEPROVISIONED", "SUSPENDED") else r[4], r[5])
        for r in key_of(env.workforce.answer_keys["okta"])
    }
    assert key_of(open_report(path).iter_rows(named=True)) == expected


def test_a_create_procore_refuses_waits_in_the_failed_queue(
    env: DemoEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone created the hire by hand since the pull (no origin_id): Procore answers 422."""
    path = people_only(env)
    assert main(["pull", "--profile", str(path)]) == 0
    assert main(["diff", "--profile", str(path)]) == 0
    found = open_report(path)
    xid = pick(found, "missing_in_procore", procore=False)
    email = str(found.filter(pl.col("exception_id") == xid)["key"][0])
    env.procore.data["users"].append(
        {"id": 99, "email_address": email, "first_name": "By", "last_name": "Hand", "is_active": True}
    )
    capsys.readouterr()
    assert main(["push", "--profile", str(path), "--exception", xid, "--yes"]) == 1
    assert "already been taken" in capsys.readouterr().err
    assert main(["push", "--profile", str(path), "--failed"]) == 0
    queued = capsys.readouterr().out
    assert xid in queued and "idp_to_procore  failed" in queued


def test_the_people_tab_reads_a_user_from_both_sides_and_orphans_first(env: DemoEnv) -> None:
    from reconcile.people.views import people_counts, user_detail

    path = people_only(env)
    assert main(["pull", "--profile", str(path)]) == 0
    assert main(["diff", "--profile", str(path)]) == 0
    profile = load_profile(path)
    holder = env.workforce.people[4].email
    with Store(profile.store_path) as store:
        counts = people_counts(store)
        detail = user_detail(store, profile, holder.upper())
    assert counts[0] == ("orphaned", 5)
    assert dict(counts) == {"orphaned": 5, "missing_in_procore": 4, "access_mismatch": 6, "value_mismatch": 9}
    assert (detail.review["idp_status"], detail.review["procore_status"]) == ("DEPROVISIONED", "active")
    assert detail.memberships == [("1002", "Project Manager")]
    assert detail.exceptions["kind"].to_list() == ["orphaned"]


def test_an_interrupted_identity_pull_resumes_in_the_same_snapshot(env: DemoEnv) -> None:
    """Cancelled after the first groups, ``--resume`` reads only the groups not checkpointed."""
    import threading

    from reconcile.pull import run_pull

    profile = load_profile(people_only(env))
    cancel = threading.Event()
    seen: list[str] = []

    def progress(source: str, p: object) -> None:
        seen.append(source)
        if len(seen) == 3:
            cancel.set()

    with Store(profile.store_path) as store:
        first = run_pull(profile, store, sources=("identity",), progress=progress, cancel=cancel)
        assert not first.ok and first.sources[0].resumable
        done = len(store.done_units(first.sources[0].snapshot_id))
        assert 0 < done < len(env.workforce.groups)
        before = len(env.idp.server.requests(r"/users$"))
        again = run_pull(profile, store, sources=("identity",), resume=True)
        assert again.ok and again.sources[0].snapshot_id == first.sources[0].snapshot_id
        member_reads = len(env.idp.server.requests(r"/users$")) - before
        assert member_reads == len(env.workforce.groups) - done  # one page each: the rest only
        assert run_pull(profile, store, sources=("directory",)).ok
    assert main(["diff", "--profile", str(profile.source_path)]) == 0
    assert key_of(open_report(profile.source_path).iter_rows(named=True)) == key_of(
        env.workforce.answer_keys["okta"]
    )


def test_a_name_fixed_by_hand_since_the_pull_refuses_the_rename(
    env: DemoEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read-before-write on the compared fields: the target moved, nothing is written."""
    path = people_only(env)
    assert main(["pull", "--profile", str(path)]) == 0
    assert main(["diff", "--profile", str(path)]) == 0
    found = open_report(path)
    xid = pick(found, "value_mismatch", "name")
    email = str(found.filter(pl.col("exception_id") == xid)["key"][0])
    user = next(u for u in env.procore.data["users"] if u["email_address"] == email)
    user["first_name"] = "Fixed-by-hand"
    capsys.readouterr()
    assert main(["push", "--profile", str(path), "--exception", xid, "--yes"]) == 1
    assert "changed in Procore since the snapshot" in capsys.readouterr().err
    assert writes(env) == []
