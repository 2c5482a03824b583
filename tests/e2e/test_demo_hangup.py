"""A demo ended by its terminal closing (SIGHUP) or by ``kill`` (SIGTERM) still removes its folder.

Python's default for both signals ends the process without unwinding, which left a
``tieout-demo-*`` folder (the store, the profile, the mappings) behind on every closed terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["hangup", "terminate"])
def test_a_signalled_demo_removes_its_temporary_folder(tmp_path: Path, signum: signal.Signals) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--headless", "--idp", "none"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.stdout is not None
        first = demo.stdout.readline()  # printed once the simulators run and the folder is written
        assert first.startswith("Demo company in "), first + (demo.stderr.read() if demo.stderr else "")
        folder = Path(first.removeprefix("Demo company in ").split(" (profile")[0])
        assert folder.parent == tmp_path and (folder / "demo.toml").is_file()
        demo.send_signal(signum)
        assert demo.wait(timeout=60) == 128 + signum
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert not folder.exists()
    assert demo.stderr is not None and "Traceback" not in demo.stderr.read()
