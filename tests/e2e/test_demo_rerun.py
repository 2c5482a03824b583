"""`tieout demo --dir` on a folder that already holds a demo starts fresh, or says why not.

The simulators start from the seed on every run, so a store kept from an earlier run (its
decisions and snapshots) described a company that no longer exists: the rerun used to show
"undecided 41 of 57". The rerun test drives the CLI over loopback twice on one folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from reconcile.decisions import decide
from reconcile.exceptions import report
from reconcile.query import progress
from reconcile.store import Store
from sample_data.erps import DEFAULT_ERP, demo_module, read_answer_key


def _demo(folder: Path) -> int:
    return main(["demo", "--headless", "--idp", "none", "--dir", str(folder)])


def _found(store: Store) -> set[tuple[str, str, str, str]]:
    return {(r["object"], r["kind"], r["key"], r["field"] or "") for r in report(store).iter_rows(named=True)}


@pytest.mark.slow
def test_a_second_demo_on_the_same_folder_shows_the_whole_answer_key_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = {
        (r["object"], r["kind"], str(r["key"]), r.get("field") or "")
        for r in read_answer_key(demo_module(DEFAULT_ERP).ANSWER_KEY)
    }
    assert _demo(tmp_path) == 0
    with Store(tmp_path / "demo.duckdb") as store:
        first = report(store).get_column("exception_id").to_list()
        decide(store, first[0], "explained", actor="first-run", reason_code="timing")
        assert progress(store).undecided == len(key) - 1
    (tmp_path / "export.csv").write_text("the analyst's own file\n", encoding="utf-8")
    capsys.readouterr()

    assert _demo(tmp_path) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"Starting fresh: removed the earlier demo's store in {tmp_path}")
    assert f"{len(key)} exceptions; planted in the demo: {len(key)}." in out
    with Store(tmp_path / "demo.duckdb", read_only=True) as store:
        assert _found(store) == key
        assert progress(store).sentence() == f"undecided {len(key)} of {len(key)}"
        assert store.cursor().execute("SELECT count(*) FROM decisions").fetchone() == (0,)
    assert (tmp_path / "export.csv").read_text(encoding="utf-8") == "the analyst's own file\n"


def test_a_folder_that_is_not_a_demo_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert _demo(tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"The folder {tmp_path} is not a Tieout demo folder (it has files but no demo profile "
        "demo.toml); give --dir a new or empty folder."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_file_given_as_the_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo.toml"
    target.write_text("x\n", encoding="utf-8")
    assert _demo(target) == 2
    assert (
        capsys.readouterr().err.strip() == f"--dir {target} is a file; give the demo a new or empty folder."
    )


def test_a_demo_store_open_in_another_process_is_not_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.demo import write_profile

    write_profile(
        tmp_path / "demo.toml", procore_url="http://127.0.0.1:1", sap_url="http://127.0.0.1:1", extras={}
    )
    store = tmp_path / "demo.duckdb"
    Store(store).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            str(store),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert _demo(tmp_path) == 2
        assert capsys.readouterr().err.strip() == (
            f"The demo store {store} is in use by process {holder.pid} (a workstation or pull on this "
            "folder); close it, then run the demo again."
        )
        assert store.exists()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()


def test_an_empty_or_new_folder_needs_no_reset(tmp_path: Path) -> None:
    from app.demo import start_fresh

    assert start_fresh(tmp_path / "new") is False
    assert start_fresh(tmp_path) is False
