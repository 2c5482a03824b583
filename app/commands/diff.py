"""`tieout diff`: recompute exceptions from the current snapshots and print counts.

Not read-only: a diff records its run and the exceptions it found in the store.
"""

from __future__ import annotations

import argparse

from app.commands.common import FAILED, OK, CommandError, add_profile_arg, open_store, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("diff", help="recompute exceptions from the current snapshots; prints counts")
    add_profile_arg(p)
    p.add_argument(
        "--fail-on-exceptions", action="store_true", help="exit 1 when any exception is open (for cron)"
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from reconcile.exceptions import run_diff
    from reconcile.people.pull import profile_sources

    with open_store(args) as (profile, store):
        for source in profile_sources(profile):
            if store.current_snapshot(source) is None:
                raise CommandError(
                    f"No {source} snapshot in {profile.store_path} yet; run `tieout pull` first."
                )
        result = run_diff(store, profile)
    counts = result.counts  # {(object, kind): n}
    say(f"{'object':<16} {'kind':<20} {'count':>7}")
    for (obj, kind), n in sorted(counts.items()):
        say(f"{obj:<16} {kind:<20} {n:>7}")
    total = sum(counts.values())
    say(f"{'total':<37} {total:>7}")
    return FAILED if (args.fail_on_exceptions and total) else OK
