"""An idle workstation lets go of the store's file, so read-only commands work beside it."""

from __future__ import annotations

import subprocess
import sys

from tui_fakes import make_app, settle, write_snapshot

from app.tui.services import Services

READ_ONLY = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True).execute('SELECT 1')"


def _reader(path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", READ_ONLY, path], capture_output=True, text=True, check=False
    )


async def test_an_idle_workstation_releases_the_store_and_reopens_it_on_the_next_read(
    tmp_path, store, monkeypatch
):
    import app.tui.app as tui_app

    monkeypatch.setattr(tui_app, "STORE_IDLE_SECONDS", 24 * 3600.0)  # the test releases, not the clock
    write_snapshot(store)
    app = make_app(tmp_path, store)
    app.services = Services(app.profile, store)
    path = str(store.path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("r")
        await settle(pilot)
        assert _reader(path).returncode != 0  # the workstation holds the file
        app._release_store_when_idle()  # used moments ago: a working session keeps its file open
        assert _reader(path).returncode != 0
        monkeypatch.setattr(tui_app, "STORE_IDLE_SECONDS", 0.0)  # as if the analyst had paused
        app._release_store_when_idle()
        assert _reader(path).returncode == 0, "a read-only command is let in while the workstation idles"
        await pilot.press("r")  # the next use reopens the file
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.exceptions is not None and app.exceptions.is_mounted
        assert _reader(path).returncode != 0
