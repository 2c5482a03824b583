"""`tieout export`: the exception report as CSV, XLSX or Parquet for month-end close.

By default the report is one close period's exceptions with their current status, closed
ones included (``--period``, else the store's open close, else last month until the 10th);
an XLSX of a period is its evidence. ``--open-only`` and ``--all`` are the other two scopes.

Where the file may go is decided by ``reconcile.export.check_target`` (the workstation asks
the same question): never over the store, the profile or a mapping table; over another
existing file only after a yes at the terminal, or with ``--force`` (cron has no terminal).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.commands.common import FAILED, OK, CommandError, add_profile_arg, open_store, say, warn

if TYPE_CHECKING:
    from reconcile.close.period import ClosePeriod
    from reconcile.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write the exception report")
    add_profile_arg(p)
    p.add_argument("--format", "-f", choices=["csv", "xlsx", "parquet"], required=True)
    p.add_argument("--out", "-o", type=Path, required=True, help="the file to write")
    p.add_argument(
        "--period",
        metavar="YYYY-MM",
        help="the close period to export (default: the store's open close, else last month until the 10th)",
    )
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--all", action="store_true", help="every exception ever found, not one period's")
    scope.add_argument("--open-only", action="store_true", help="only the exceptions the latest diff found")
    p.add_argument(
        "--object",
        help="only this object's exceptions (e.g. user: with --format xlsx, the access review)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing file without asking (never the store, profile or mapping tables)",
    )
    p.set_defaults(handler=handle)


def _confirm(path: Path) -> bool:
    sys.stderr.write(f"{path} already exists. Overwrite it? [y/N] ")
    sys.stderr.flush()
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _period(args: argparse.Namespace, store: Store) -> ClosePeriod:
    """The period to export: ``--period``, else the store's open close, else the default month."""
    from datetime import datetime

    from reconcile.close import api
    from reconcile.close.period import PeriodError

    try:
        return api.close_of(store, args.period, datetime.now().date())
    except PeriodError as exc:
        raise CommandError(str(exc)) from None


def handle(args: argparse.Namespace) -> int:
    from reconcile.diff.frame import OBJECTS
    from reconcile.export import ExportTargetExists, check_target, export_store
    from reconcile.profile import load_profile

    if args.object is not None and args.object not in OBJECTS:
        raise CommandError(
            f"--object {args.object!r} is not an object Tieout reports; use one of {', '.join(OBJECTS)}."
        )
    profile = load_profile(args.profile)
    overwrite = bool(args.force)
    try:
        check_target(args.out, profile, overwrite=overwrite)
    except ExportTargetExists:
        if not sys.stdin.isatty():
            raise CommandError(
                f"{args.out} already exists; pass --force to overwrite it (there is no terminal to ask)."
            ) from None
        if not _confirm(args.out):
            raise CommandError(f"Nothing written; {args.out} is unchanged.", FAILED) from None
        overwrite = True
    with open_store(args, read_only=True) as (profile, store):
        if args.all or args.open_only:
            result = export_store(
                store,
                profile,
                args.out,
                args.format,
                overwrite=overwrite,
                open_only=bool(args.open_only),
                object=args.object,
            )
        else:
            result = export_store(
                store,
                profile,
                args.out,
                args.format,
                overwrite=overwrite,
                period=_period(args, store),
                object=args.object,
            )
    say(f"Wrote {result.rows} exceptions to {result.path}.")
    if result.head is not None:
        where = f" (also in {result.manifest.name})" if result.manifest else ""
        warn(f"Audit log head: {result.head.count} entries, hash {result.head.head_hash}{where}.")
    if result.truncated_cells:
        warn(
            f"{result.truncated_cells} cell(s) were longer than Excel allows and were cut, "
            "each marked '…[truncated: N characters]'; the CSV and Parquet exports keep them whole."
        )
    return OK
