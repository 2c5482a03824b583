"""A workstation error nobody can act on keeps its traceback in the log file, and says where."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
from tui_fakes import make_app, notes, settle

from app.logs import LOGGER


def _drop_file_handlers() -> None:
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, RotatingFileHandler):
            logger.removeHandler(handler)
            handler.close()


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh state directory; the process-wide file handler is re-attached to it."""
    folder = tmp_path / "state"
    monkeypatch.setenv("TIEOUT_STATE_DIR", str(folder))
    _drop_file_handlers()
    yield folder
    _drop_file_handlers()


def _broken(*args: object, **kwargs: object) -> object:
    return {}["no such key"]  # a defect: KeyError, with a traceback through this function


async def test_unexpected_diff_error_is_logged_with_traceback_and_the_toast_names_the_log(
    tmp_path, seeded, state_dir
):
    app = make_app(tmp_path, seeded)
    app.services.diff = _broken
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        log_file = state_dir / "logs" / "tieout.log"
        logged = log_file.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in logged
        assert "_broken" in logged and "KeyError" in logged
        failed = [n for n in notes(app) if "Diff failed" in n]
        assert failed and str(log_file) in failed[-1]
        assert "Traceback" not in failed[-1] and "\n" not in failed[-1]


async def test_a_screen_worker_that_dies_is_logged_and_said_once(tmp_path, seeded, state_dir):
    app = make_app(tmp_path, seeded)
    app.services.audit = _broken
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        log_file = state_dir / "logs" / "tieout.log"
        assert "_broken" in log_file.read_text(encoding="utf-8")
        failed = [n for n in notes(app) if "failed unexpectedly" in n]
        assert len(failed) == 1 and str(log_file) in failed[0]


async def test_an_actionable_error_is_its_own_sentence_and_not_logged(tmp_path, seeded, state_dir):
    from mappings import MappingError

    def bad_mapping(*args: object, **kwargs: object) -> object:
        raise MappingError("mappings/cost_codes.csv", 3, "two rows match equally")

    app = make_app(tmp_path, seeded)
    app.services.diff = bad_mapping
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert any("cost_codes.csv" in n and "log" not in n for n in notes(app) if "Diff failed" in n)
        log_file = state_dir / "logs" / "tieout.log"
        assert not log_file.exists() or "MappingError" not in log_file.read_text(encoding="utf-8")
