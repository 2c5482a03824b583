"""Bad input gets one sentence on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import re
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


# -- helpers ---------------------------------------------------------------------------------


_SERVER_NOISE = re.compile(r"-{40}\nException occurred during processing of request.*?-{40}\n", re.S)


def one_sentence(err: str) -> bool:
    # A simulator left by an earlier test in this worker may report a dropped connection on
    # stderr from its own thread (socketserver's handle_error); that block is not ours.
    ours = _SERVER_NOISE.sub("", err)
    return len(ours.strip().splitlines()) == 1 and "Traceback" not in ours and "Unexpected error" not in ours


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    """A profile with a store (one audit entry) and a mapping folder; the hosts are never called."""
    from reconcile.audit import append
    from reconcile.store import Store

    path = tmp_path / "demo.toml"
    write_profile(path, procore_url="http://127.0.0.1:9", sap_url="http://127.0.0.1:9", extras={})
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "projects.csv").write_text("wbs_element,procore_project_number\n")
    store = Store(tmp_path / "demo.duckdb")
    append(store, actor="tester", action="explain", exception_id="X1", after={"note": "n"})
    store.close()
    return path


def audit_entries(store_path: Path) -> int:
    from reconcile.audit import entries
    from reconcile.store import Store

    store = Store(store_path)
    try:
        return entries(store).height
    finally:
        store.close()


# -- export targets --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["demo.duckdb", "demo.toml", "mappings/projects.csv"])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_export_never_overwrites_the_store_profile_or_mappings(
    capsys: pytest.CaptureFixture[str], profile: Path, name: str, force: list[str]
) -> None:
    target = profile.parent / name
    before = target.read_bytes()
    code, err = run(capsys, "export", "-p", str(profile), "-f", "csv", "-o", str(target), *force)
    assert code == 2 and one_sentence(err)
    assert "never" in err
    assert target.read_bytes() == before
    assert audit_entries(profile.parent / "demo.duckdb") == 1


def test_export_over_a_file_without_a_terminal_needs_force(
    capsys: pytest.CaptureFixture[str], profile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    old = profile.parent / "last.csv"
    old.write_text("last month")
    code, err = run(capsys, "export", "-p", str(profile), "-f", "csv", "-o", str(old))
    assert code == 2 and one_sentence(err) and "--force" in err
    assert old.read_text() == "last month"
    code, err = run(capsys, "export", "-p", str(profile), "-f", "csv", "-o", str(old), "--force")
    assert code == 0
    assert old.read_text().startswith("exception_id,")


@pytest.mark.parametrize(("answer", "code", "written"), [("n\n", 1, False), ("y\n", 0, True), ("", 1, False)])
def test_export_asks_at_a_terminal(
    capsys: pytest.CaptureFixture[str],
    profile: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
    written: bool,
) -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal(answer))
    old = profile.parent / "last.xlsx"
    old.write_text("last month")
    got, err = run(capsys, "export", "-p", str(profile), "-f", "xlsx", "-o", str(old))
    assert got == code
    assert "Overwrite it? [y/N]" in err
    assert (old.read_bytes() != b"last month") is written


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("{dir}", "is a folder"),
        ("{dir}/demo.toml/r.csv", "is a file, not a folder"),
        ("/dev/full", "not a regular file"),
    ],
)
def test_export_to_what_is_not_a_file(
    capsys: pytest.CaptureFixture[str], profile: Path, target: str, expected: str
) -> None:
    out = target.format(dir=profile.parent)
    code, err = run(capsys, "export", "-p", str(profile), "-f", "csv", "-o", out, "--force")
    assert code == 2 and one_sentence(err) and expected in err


def test_export_prints_the_audit_head_and_writes_the_manifest(
    capsys: pytest.CaptureFixture[str], profile: Path
) -> None:
    out = profile.parent / "reports" / "r.csv"
    code = main(["export", "-p", str(profile), "-f", "csv", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0
    assert "Wrote 0 exceptions" in captured.out
    assert "Audit log head: 1 entries, hash " in captured.err and "r.csv.manifest.json" in captured.err
    assert (profile.parent / "reports" / "r.csv.manifest.json").exists()


# -- the store -------------------------------------------------------------------------------


def test_a_store_in_a_missing_folder_is_refused(capsys: pytest.CaptureFixture[str], profile: Path) -> None:
    text = profile.read_text().replace('store = "demo.duckdb"', 'store = "typo/demo.duckdb"')
    profile.write_text(text)
    for verb in (
        ["diff"],
        ["pull"],
        ["audit", "verify"],
        ["export", "-f", "csv", "-o", str(profile.parent / "r.csv")],
    ):
        argv = (
            [*verb[:2], "-p", str(profile), *verb[2:]]
            if verb[0] == "audit"
            else [verb[0], "-p", str(profile), *verb[1:]]
        )
        code, err = run(capsys, *argv)
        assert code == 2 and one_sentence(err), (verb, err)
        assert "typo does not exist" in err
    assert not (profile.parent / "typo").exists()


@pytest.mark.parametrize("verb", [["audit", "verify"], ["audit", "show"], ["export"], ["diff"]])
def test_verbs_that_need_a_store_refuse_a_missing_one(
    capsys: pytest.CaptureFixture[str], profile: Path, verb: list[str]
) -> None:
    (profile.parent / "demo.duckdb").unlink()
    extra = ["-f", "csv", "-o", str(profile.parent / "r.csv")] if verb == ["export"] else []
    code, err = run(capsys, *verb, "-p", str(profile), *extra)
    assert code == 2 and one_sentence(err)
    assert "does not exist yet; run `tieout pull` first" in err
    assert not (profile.parent / "demo.duckdb").exists()


def test_a_busy_store_names_the_process_holding_it(capsys: pytest.CaptureFixture[str], profile: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys; c=duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
            str(profile.parent / "demo.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        for verb in (["audit", "verify", "-p", str(profile)], ["diff", "-p", str(profile)]):
            code, err = run(capsys, *verb)
            assert code == 2 and one_sentence(err)
            assert f"in use by process {holder.pid}" in err
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()


# -- profiles through the CLI -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('amount_tolerance = "0.01"', 'amount_tolerance = "NaN"'),
        ('amount_tolerance = "0.01"', 'amount_tolerance = "-0.5"'),
        ('kind = "sap-s4"', 'kind = "peoplesoft"'),
        ('base_url = "http://127.0.0.1:9"', 'base_url = "not a url"'),
    ],
)
def test_bad_profile_values_are_one_sentence_through_the_cli(
    capsys: pytest.CaptureFixture[str], profile: Path, old: str, new: str
) -> None:
    profile.write_text(profile.read_text().replace(old, new, 1))
    code, err = run(capsys, "pull", "--profile", str(profile))
    assert code == 2 and one_sentence(err)
    assert "demo.toml line " in err


def test_a_wrong_company_id_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.procore.simulator import ProcoreSimulator

    sim = ProcoreSimulator(
        {"company": {"id": 1, "name": "Sim"}}, client_id="c", client_secret="s", company_id=1
    )
    url = sim.start()
    try:
        monkeypatch.setenv("TIEOUT_PROCORE_CLIENT_SECRET", "s")
        profile = tmp_path / "p.toml"
        write_profile(profile, procore_url=url, sap_url=url, extras={"company_id": 2})
        profile.write_text(profile.read_text().replace('client_id = "tieout-demo-dmsa"', 'client_id = "c"'))
        code, err = run(capsys, "pull", "--profile", str(profile), "--source", "procore")
    finally:
        sim.stop()
    assert code == 2
    assert "company_id 2 is not visible to this client" in err
    assert "permission" not in err


# -- logs ------------------------------------------------------------------------------------


def test_an_unexpected_error_is_logged_with_its_traceback(
    capsys: pytest.CaptureFixture[str], profile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.logs import log_path

    def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug deep inside")

    monkeypatch.setattr("reconcile.export.write_report", bug)
    code, err = run(capsys, "export", "-p", str(profile), "-f", "csv", "-o", str(profile.parent / "r.csv"))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(log_path()) in err
    logged = log_path().read_text()
    assert "Traceback" in logged and "RuntimeError: a bug deep inside" in logged


def test_help_says_where_the_log_is(capsys: pytest.CaptureFixture[str]) -> None:
    from app.logs import log_path

    with pytest.raises(SystemExit):
        main(["--help"])
    assert str(log_path()).replace(" ", "") in capsys.readouterr().out.replace("\n", "").replace(" ", "")
