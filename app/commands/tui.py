"""`tieout tui`: the workstation on a real profile."""

from __future__ import annotations

import argparse

from app.commands.common import add_profile_arg, open_store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tui", help="the workstation")
    add_profile_arg(p)
    p.add_argument(
        "--no-pull", action="store_true", help="do not pull on startup even if the snapshot is old"
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from app.tui.app import run_tui

    # The workstation pulls, so it may start a new store (in an existing folder).
    with open_store(args, create=True) as (profile, store):
        return run_tui(profile, store, pull_on_start=not args.no_pull)
