"""`tieout export`: the exception report as CSV, XLSX or Parquet for month-end close."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.common import OK, add_profile_arg, open_profile, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write the exception report")
    add_profile_arg(p)
    p.add_argument("--format", "-f", choices=["csv", "xlsx", "parquet"], required=True)
    p.add_argument("--out", "-o", type=Path, required=True, help="the file to write")
    p.add_argument("--all", action="store_true", help="include exceptions closed by later pulls")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from reconcile.exceptions import report
    from reconcile.export import export

    profile, store = open_profile(args)
    frame = report(store, open_only=not args.all)
    audit = None
    if args.format == "xlsx":
        from reconcile.audit import entries

        audit = entries(store)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(frame, args.out, args.format, audit=audit, profile_name=profile.name)
    say(f"Wrote {frame.height} exceptions to {args.out}.")
    return OK
