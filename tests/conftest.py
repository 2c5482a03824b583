"""Shared test setup."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the log file of CLI runs in a temporary folder, never the user's state directory."""
    saved = os.environ.get("TIEOUT_STATE_DIR")
    os.environ["TIEOUT_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))
    yield
    if saved is None:
        os.environ.pop("TIEOUT_STATE_DIR", None)
    else:
        os.environ["TIEOUT_STATE_DIR"] = saved
