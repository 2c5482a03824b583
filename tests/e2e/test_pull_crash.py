"""A pull killed outright (SIGKILL, no cleanup) resumes to the snapshot a clean pull makes.

The first pull runs as a real `tieout pull` process against the demo's Procore simulator
and is killed once Procore has answered a set number of requests; `tieout pull --resume`
then finishes it. Nothing half-read becomes current, nothing is doubled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from adapters.procore.adapter import ProcoreAdapter
from app.cli import main
from app.demo import demo_environment
from reconcile.canonical import PROCORE_TABLES
from reconcile.profile import load_profile
from reconcile.pull import FLUSH_UNITS
from reconcile.store import Store

pytestmark = pytest.mark.slow

KILL_AFTER = 900  # Procore requests answered before the kill (a full demo pull makes ~2,300)


class _Watch(list[Any]):
    """The simulator's request log, signalling when it reaches a length."""

    def __init__(self, length: int, reached: threading.Event) -> None:
        super().__init__()
        self.length, self.reached = length, reached

    def append(self, item: Any) -> None:
        super().append(item)
        if len(self) >= self.length:
            self.reached.set()


def tables(store: Store) -> dict[str, Any]:
    out = {}
    for name in PROCORE_TABLES:
        frame = store.canonical(name)
        out[name] = frame.sort(frame.columns)
    return out


def test_killed_pull_resumes_to_the_clean_snapshot(tmp_path: Path) -> None:
    with demo_environment(tmp_path / "clean") as env:
        clean_profile = load_profile(env.profile_path)
        assert main(["pull", "--profile", str(env.profile_path), "--source", "procore"]) == 0
        clean_requests = len(env.procore.server.log)
        store = Store(clean_profile.store_path)
        clean = tables(store)
        store.close()

    with demo_environment(tmp_path / "crash") as env:
        reached = threading.Event()
        env.procore.server.log = _Watch(KILL_AFTER, reached)
        run = [sys.executable, "-c", "from app.cli import main; raise SystemExit(main())"]
        args = ["pull", "--profile", str(env.profile_path), "--source", "procore"]
        proc = subprocess.Popen([*run, *args], env=os.environ.copy(), stdout=subprocess.DEVNULL)
        try:
            assert reached.wait(120), "the pull never got going"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        profile = load_profile(env.profile_path)
        store = Store(profile.store_path)
        assert store.current_snapshot("procore") is None  # the killed pull made nothing current
        store.close()
        assert main([*args, "--resume"]) == 0
        total = len(env.procore.server.log)
        store = Store(profile.store_path)
        got = tables(store)
        snapshots = store.query("SELECT count(*) AS n FROM snapshots WHERE source = 'procore'")["n"][0]
        store.close()
    assert snapshots == 1  # resumed, not started again
    for name, frame in clean.items():
        assert got[name].equals(frame), name
    # Re-read: a page per resource (the lists walked again) and the units the kill caught in
    # the sink's buffer, at most one batch; everything checkpointed is not read again.
    assert total <= clean_requests + len(ProcoreAdapter.resources) + FLUSH_UNITS
