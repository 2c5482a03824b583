"""What every CLI verb shares: the profile flag, the store, and turning errors into sentences."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def open_store(
    args: argparse.Namespace, *, read_only: bool = False, create: bool = False
) -> Iterator[tuple[Profile, Store]]:
    """Load the profile and open its store for the length of a verb; closed on the way out.

    Verbs that only read open it ``read_only`` (no write lock). Only a pull (or the
    workstation, which pulls) may ``create`` a missing store, and only in an existing folder.
    """
    profile = load_profile(args.profile)
    with Store(profile.store_path, read_only=read_only, create=create) as store:
        yield profile, store


def open_profile(
    args: argparse.Namespace, *, read_only: bool = False, create: bool = False
) -> tuple[Profile, Store]:
    """Load the profile and open its store; the caller closes it (prefer ``open_store``)."""
    profile = load_profile(args.profile)
    return profile, Store(profile.store_path, read_only=read_only, create=create)


def say(message: str) -> None:
    """One line on stdout (results)."""
    sys.stdout.write(message + "\n")


def warn(message: str) -> None:
    """One line on stderr (errors)."""
    sys.stderr.write(message + "\n")
