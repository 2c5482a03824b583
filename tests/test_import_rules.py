"""The package seam: ``adapters`` and ``mappings`` import nothing from ``reconcile`` or ``app``.

Why: adapters are plugged into the engine, so the engine imports them; an import back would
be a cycle. The ports both sides need (ERP declarations, canonical schema, settings models,
``Secret``) live under ``adapters``. Parsed, not imported, so a lazy import inside a function
counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("reconcile", "app")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


MODULES = sorted(p for package in ("adapters", "mappings") for p in (ROOT / package).rglob("*.py"))


def test_there_are_modules_to_check() -> None:
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_and_mappings_import_nothing_from_the_engine_or_the_app(path: Path) -> None:
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for line, name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert not bad, bad
