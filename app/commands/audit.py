"""`tieout audit`: check the hash chain of the audit log, or show it."""

from __future__ import annotations

import argparse

from app.commands.common import FAILED, OK, add_profile_arg, open_profile, say, warn
from app.commands.push import plain


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="verify or show the append-only audit log")
    verbs = p.add_subparsers(dest="audit_verb", required=True, metavar="VERB")
    v = verbs.add_parser("verify", help="report any break in the hash chain (exit 1 if broken)")
    add_profile_arg(v)
    v.set_defaults(handler=handle_verify)
    s = verbs.add_parser("show", help="print the log (optionally of one exception)")
    add_profile_arg(s)
    s.add_argument("--exception", "-e", metavar="ID")
    s.set_defaults(handler=handle_show)


def handle_verify(args: argparse.Namespace) -> int:
    from reconcile import audit

    _, store = open_profile(args, read_only=True)
    try:
        problems = audit.verify(store)
        count = audit.entries(store).height
    finally:
        store.close()
    if problems:
        for p in problems:
            warn(p)
        warn(f"The audit log of {args.profile} is broken: {len(problems)} problem(s) in {count} entries.")
        return FAILED
    say(f"The audit log is intact: {count} entries, every link verified.")
    return OK


def handle_show(args: argparse.Namespace) -> int:
    from reconcile import audit

    _, store = open_profile(args, read_only=True)
    try:
        frame = audit.entries(store, args.exception)
    finally:
        store.close()
    for r in frame.iter_rows(named=True):
        say(
            plain(
                f"{r['seq']:>6}  {r['logged_at']}  {r['actor']}  {r['action']}  {r['exception_id'] or ''}  "
                f"{r['before'] or ''} -> {r['after'] or ''}"
            )
        )
    return OK
