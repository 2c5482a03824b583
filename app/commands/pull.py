"""`tieout pull`: snapshot both sides, incrementally unless --full; --plan shows the cost first."""

from __future__ import annotations

import argparse
import signal
import threading

from adapters.base import AdapterError, AuthError, PlanRow, ResponseError, UnreachableError
from app.commands.common import BAD_INPUT, FAILED, OK, add_profile_arg, open_store, say, warn
from app.logs import setup_logging
from reconcile.people.pull import ALL_SOURCES, profile_sources
from reconcile.profile import Profile
from reconcile.pull import PullOutcome, plan_pull, run_pull
from reconcile.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pull", help="snapshot both sides (incremental unless --full)")
    add_profile_arg(p)
    p.add_argument("--full", action="store_true", help="re-read everything, not just what changed")
    p.add_argument("--resume", action="store_true", help="continue an interrupted pull where it stopped")
    p.add_argument("--plan", action="store_true", help="show the requests a pull will make, then stop")
    p.add_argument(
        "--source",
        choices=ALL_SOURCES,
        action="append",
        help="pull only this source (people: identity = the IdP, directory = the Procore directory)",
    )
    p.add_argument(
        "--max-wait",
        type=_minutes,
        metavar="MINUTES",
        help="longest rate-limit wait before stopping resumably (default: the profile's procore.max_wait_minutes, 15)",
    )
    p.set_defaults(handler=handle)


def _minutes(text: str) -> float:
    """``--max-wait``: a number of minutes from 0 to 1440."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 <= value <= 24 * 60:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1440 minutes")
    return value


def format_outcome(outcome: PullOutcome) -> list[str]:
    """The table a pull ends with: per resource, requests, records, seconds."""
    lines = [f"{'source':<9} {'resource':<34} {'requests':>9} {'records':>9} {'seconds':>8} {'waited':>7}"]
    for src in outcome.sources:
        for s in src.stats:
            lines.append(
                f"{src.source:<9} {s.resource:<34} {s.requests:>9} {s.records:>9} {s.seconds:>8.2f} {s.wait_seconds:>7.1f}"
            )
        total_req = sum(s.requests for s in src.stats)
        total_rec = sum(s.records for s in src.stats)
        state = (
            "complete" if src.ok else ("interrupted (resume with --resume)" if src.resumable else "failed")
        )
        lines.append(
            f"{src.source:<9} {'= snapshot ' + str(src.snapshot_id) + ' ' + state:<34} {total_req:>9} {total_rec:>9}"
        )
    return lines


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02}:{s % 60:02}"


def format_plan(plans: dict[str, list[PlanRow]]) -> list[str]:
    """The plan table: per resource, requests and wall time for a full and an incremental pull.

    Times are at the rate limit the API last reported, less the share left to the
    company's other integrations; "-" where the API reports no limit.
    """
    head = f"{'source':<9} {'resource':<26} {'full':>7} {'time':>9} {'increm.':>8} {'time':>9}  note"
    lines = [head]
    for source, rows in plans.items():
        for r in rows:
            lines.append(
                f"{source:<9} {r.resource:<26} {r.full_requests:>7} {_duration(r.seconds_full):>9} "
                f"{r.incremental_requests:>8} {_duration(r.seconds_incremental):>9}  {r.note}"
            )
        timed = [r for r in rows if r.seconds_full is not None]
        full_s = sum(r.seconds_full or 0.0 for r in timed) if timed else None
        inc_s = sum(r.seconds_incremental or 0.0 for r in timed) if timed else None
        lines.append(
            f"{source:<9} {'= total':<26} {sum(r.full_requests for r in rows):>7} {_duration(full_s):>9} "
            f"{sum(r.incremental_requests for r in rows):>8} {_duration(inc_s):>9}"
        )
    return lines


def handle(args: argparse.Namespace) -> int:
    # A pull may start a new store (in an existing folder): it is how a store begins.
    with open_store(args, create=True) as (profile, store):
        return _pull(args, profile, store)


def _pull(args: argparse.Namespace, profile: Profile, store: Store) -> int:
    sources = tuple(args.source or profile_sources(profile))
    if args.plan:
        for line in format_plan(plan_pull(profile, store, sources)):
            say(line)
        return OK
    log_file = setup_logging()  # before the pull: an unexpected failure logs its traceback there
    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def _interrupt(signum: int, frame: object) -> None:
        # First Ctrl-C stops cleanly at the next page and keeps a resumable checkpoint.
        cancel.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, _interrupt)
    try:
        outcome = run_pull(
            profile,
            store,
            full=args.full,
            resume=args.resume,
            cancel=cancel,
            sources=sources,
            max_wait_minutes=args.max_wait,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    for line in format_outcome(outcome):
        say(line)
    if not outcome.ok:
        unexpected = any(
            s.error_type is not None and not issubclass(s.error_type, AdapterError) for s in outcome.sources
        )
        log_note = f" The log is {log_file}." if unexpected and log_file is not None else ""
        warn(f"Pull failed: {outcome.error} The previous snapshot stays current.{log_note}")
        bad_input = (AuthError, UnreachableError, ResponseError)
        if any(s.error_type is not None and issubclass(s.error_type, bad_input) for s in outcome.sources):
            return BAD_INPUT
        return FAILED
    return OK
