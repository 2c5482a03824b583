"""What every CLI verb shares: the profile flag, the store, and turning errors into sentences."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconcile.profile import Profile, load_profile
from reconcile.store import Store

#: Exit codes of the contract (shared/interfaces.md section 2).
OK, FAILED, BAD_INPUT = 0, 1, 2


class CommandError(Exception):
    """A failure to report as one sentence with an exit code."""

    def __init__(self, message: str, code: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def add_profile_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", "-p", required=True, type=Path, help="the profile TOML file")


def open_profile(args: argparse.Namespace) -> tuple[Profile, Store]:
    """Load the profile and open its store."""
    profile = load_profile(args.profile)
    profile.store_path.parent.mkdir(parents=True, exist_ok=True)
    return profile, Store(profile.store_path)


def say(message: str) -> None:
    """One line on stdout (results)."""
    sys.stdout.write(message + "\n")


def warn(message: str) -> None:
    """One line on stderr (errors)."""
    sys.stderr.write(message + "\n")
