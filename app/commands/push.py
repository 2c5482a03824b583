"""`tieout push`: show the planned write for one exception; `--yes` performs it, exactly once.

The same ``plan_push`` / ``execute_push`` the workstation's confirm modal calls.
"""

from __future__ import annotations

import argparse
import re

from app.commands.common import BAD_INPUT, FAILED, OK, CommandError, add_profile_arg, open_profile, say

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def plain(text: str) -> str:
    """Text from the APIs made safe for a terminal: control and escape characters shown as '?'."""
    return _CONTROL.sub("?", text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("push", help="show the planned write for one exception; --yes performs it")
    add_profile_arg(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--exception", "-e", metavar="ID", help="the exception to fix")
    what.add_argument("--failed", action="store_true", help="list the failed pushes waiting for a retry")
    what.add_argument("--retry", metavar="PUSH_ID", help="retry one failed push (re-planned, re-read first)")
    p.add_argument(
        "--direction",
        choices=["erp_to_procore", "procore_to_erp", "idp_to_procore"],
        help="which side to correct",
    )
    p.add_argument("--yes", "-y", action="store_true", help="perform the push (default: only show it)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from reconcile.decisions import default_actor
    from reconcile.push import PushError, execute_push, failed_pushes, plan_push, retry_push

    profile, store = open_profile(args)
    try:
        if args.failed:
            queue = failed_pushes(store)
            if queue.is_empty():
                say("No failed pushes.")
            for row in queue.iter_rows(named=True):
                say(
                    plain(
                        f"{row['push_id']}  {row['exception_id']}  {row['direction']}  {row['state']}: {row['reason']}"
                    )
                )
            return OK
        if args.retry:
            if not args.yes:
                raise CommandError("A retry writes; add --yes to perform it.", BAD_INPUT)
            result = retry_push(store, profile, args.retry, actor=default_actor())
        else:
            plan = plan_push(store, profile, args.exception, direction=args.direction)
            for line in plan.render():
                say(plain(line))
            if not args.yes:
                if plan.can_push:
                    say("Nothing was written. Run again with --yes to perform this push.")
                    return OK
                return FAILED
            result = execute_push(store, profile, plan, actor=default_actor())
    except PushError as exc:
        raise CommandError(
            str(exc),
            BAD_INPUT if "no exception" in str(exc).lower() or "no push" in str(exc).lower() else FAILED,
        ) from None
    finally:
        store.close()
    if not result.ok:  # refused or failed: the sentence is an error (stderr), exit 1
        raise CommandError(plain(f"Push {result.push_id}: {result.state}. {result.message}"), FAILED)
    say(plain(f"Push {result.push_id}: {result.state}. {result.message}"))
    return OK
