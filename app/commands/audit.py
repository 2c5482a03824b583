"""`tieout audit`: check the hash chain of the audit log, or show it.

`verify` prints the chain's head (entry count and last hash): a reviewer who keeps it can
later pass it back (`--expect-count N --expect-head HASH`) and learn whether entries were
deleted from the end or the log rewritten, which the chain alone cannot show.
"""

from __future__ import annotations

import argparse
import re

from app.commands.common import BAD_INPUT, FAILED, OK, CommandError, add_profile_arg, open_profile, say, warn
from app.commands.push import plain

_HASH = re.compile(r"[0-9a-f]{64}")


def _head_hash(text: str) -> str:
    value = text.strip().lower()
    if not _HASH.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a chain head (64 hexadecimal characters)")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an entry count (a whole number, 0 or more)")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="verify or show the append-only audit log")
    verbs = p.add_subparsers(dest="audit_verb", required=True, metavar="VERB")
    v = verbs.add_parser(
        "verify",
        help="report any break in the hash chain or the tables it covers (exit 1 if broken); print its head",
    )
    add_profile_arg(v)
    v.add_argument(
        "--expect-head",
        metavar="HASH",
        type=_head_hash,
        help="the head hash a reviewer held (with --expect-count)",
    )
    v.add_argument(
        "--expect-count",
        metavar="N",
        type=_count,
        help="the entry count held with that head (with --expect-head)",
    )
    v.set_defaults(handler=handle_verify)
    s = verbs.add_parser("show", help="print the log (optionally of one exception)")
    add_profile_arg(s)
    s.add_argument("--exception", "-e", metavar="ID")
    s.set_defaults(handler=handle_show)


def handle_verify(args: argparse.Namespace) -> int:
    from reconcile import audit

    if (args.expect_head is None) != (args.expect_count is None):
        raise CommandError("Give --expect-head and --expect-count together: a held head is both.", BAD_INPUT)
    held = None if args.expect_head is None else audit.ChainHead(args.expect_count, args.expect_head)
    _, store = open_profile(args, read_only=True)
    try:
        problems = audit.verify(store, expect=held)
        head = audit.chain_head(store)
    finally:
        store.close()
    if problems:
        for p in problems:
            warn(p)
        warn(
            f"The audit log of {args.profile} is broken: {len(problems)} problem(s) in {head.count} entries."
        )
        return FAILED
    if held is None:
        say(f"The audit log is intact: {head.count} entries, every link and covered row verified.")
        say("It cannot show entries deleted from its end without a head held elsewhere; hold this one:")
    else:
        added = head.count - held.count
        say(
            f"The audit log is intact and still holds the held head (entry {held.count}): "
            f"every link and covered row verified."
        )
        if added:
            say(
                f"{added} entries were added after the held head (entries {held.count + 1} to {head.count}): "
                "review them with `tieout audit show`."
            )
        say("The head now:")
    say(f"  --expect-count {head.count} --expect-head {head.head_hash}")
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
