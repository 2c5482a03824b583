"""Fixtures for the adapter tests (helpers live in procore_fixtures.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from procore_fixtures import make_sim, procore_seed

from adapters.procore.simulator import ProcoreSimulator


@pytest.fixture
def seed() -> dict[str, Any]:
    return procore_seed()


@pytest.fixture
def sim(seed: dict[str, Any]) -> Iterator[ProcoreSimulator]:
    """A simulator that caps pages at 3 records, with limits too high to matter."""
    s = make_sim(seed, per_page_cap=3, rate_limit_hour=1_000_000, rate_limit_spike=100_000)
    s.start()
    yield s
    s.stop()
