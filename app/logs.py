"""The log file: errors a user cannot act on keep their traceback here, not on screen.

The screen (or stderr) shows one sentence and this file's path; the traceback, with
secrets already masked by ``Secret``'s repr, goes to a rotating file under the user's
state directory (``TIEOUT_STATE_DIR`` overrides it, for tests and CI).
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

from platformdirs import user_state_dir

LOGGER = "tieout"
_MAX_BYTES = 2_000_000
_BACKUPS = 5


def state_dir() -> Path:
    """Where Tieout keeps its own state (logs): ``TIEOUT_STATE_DIR`` or the OS's user state dir."""
    override = os.environ.get("TIEOUT_STATE_DIR")
    return Path(override) if override else Path(user_state_dir("tieout", appauthor=False))


def log_path() -> Path:
    """The current log file."""
    return state_dir() / "logs" / "tieout.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Attach the rotating file handler to the ``tieout`` logger once; return its path.

    Returns None when the state directory cannot be written: logging must never be the
    reason a command fails.
    """
    logger = logging.getLogger(LOGGER)
    path = log_path()
    for handler in logger.handlers:
        if isinstance(handler, RotatingFileHandler):
            return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(process)d: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return path


def get_logger(name: str) -> logging.Logger:
    """A child of the ``tieout`` logger (``tieout.<name>``)."""
    return logging.getLogger(f"{LOGGER}.{name}")
