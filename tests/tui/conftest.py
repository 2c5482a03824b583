from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_fakes import write_exceptions, write_snapshot

from reconcile.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


@pytest.fixture
def seeded(store: Store) -> Store:
    write_snapshot(store)
    write_exceptions(store)
    return store
