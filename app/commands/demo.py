"""`tieout demo`: the workstation on the bundled demo company, with no setup."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from app.commands.common import FAILED, OK, CommandError, say, warn
from reconcile.profile import Profile, load_profile
from reconcile.store import Store
from sample_data.erps import DEFAULT_ERP, DEMO_ERPS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="the workstation on the bundled demo company (simulators + fresh store)")
    p.add_argument(
        "--dir",
        type=Path,
        help="keep the demo's profile, mappings and store here (a rerun starts it fresh)",
    )
    p.add_argument("--headless", action="store_true", help="pull and diff, print the result, no workstation")
    p.add_argument(
        "--allow-push",
        action="store_true",
        help="(the default) let the demo profile push to its simulators in every direction",
    )
    p.add_argument("--no-push", action="store_true", help="a read-only demo profile: no push direction")
    p.add_argument(
        "--erp",
        default=DEFAULT_ERP,
        choices=sorted(DEMO_ERPS),
        help=f"the ERP the demo company is seen from (default {DEFAULT_ERP})",
    )
    p.add_argument(
        "--idp",
        choices=["okta", "entra", "none"],
        default="okta",
        help="the demo workforce's identity provider simulator (default okta; none: money only)",
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from app.demo import DemoFolderError, demo_environment, start_fresh

    if args.dir is not None:
        try:
            if start_fresh(args.dir):
                say(
                    f"Starting fresh: removed the earlier demo's store in {args.dir} (its snapshots and decisions)."
                )
        except DemoFolderError as exc:
            raise CommandError(str(exc)) from None
    # The demo writes only to its own simulators, so approving a push works on the first try.
    allow = [] if args.no_push else ["erp_to_procore", "procore_to_erp", "idp_to_procore"]
    with (
        _exit_on_hangup(),
        demo_environment(
            args.dir, push_allow=allow, erp=args.erp, idp=None if args.idp == "none" else args.idp
        ) as env,
    ):
        profile = load_profile(env.profile_path)
        say(f"Demo company in {env.dir} (profile {env.profile_path.name}).")
        with Store(profile.store_path) as store:
            if not args.headless:
                from app.tui.app import run_tui

                return run_tui(profile, store, pull_on_start=True)
            people_key = env.workforce.answer_keys[args.idp] if env.workforce is not None else []
            return _headless(profile, store, len(env.answer_key or ()) + len(people_key))


@contextmanager
def _exit_on_hangup() -> Iterator[None]:
    """A closed terminal (SIGHUP) or a ``kill`` (SIGTERM) ends the demo through its cleanup.

    Python's default for both signals ends the process on the spot, skipping the ``finally``
    that stops the simulators and removes the demo's temporary folder; raising ``SystemExit``
    from the handler unwinds through it instead.
    """

    def leave(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (a test's worker thread)
        return
    wanted = [s for s in (getattr(signal, "SIGHUP", None), signal.SIGTERM) if s is not None]
    saved = {s: signal.signal(s, leave) for s in wanted}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _headless(profile: Profile, store: Store, planted: int) -> int:
    """Pull and diff the demo company and print what was found."""
    from app.commands.pull import format_outcome
    from reconcile.exceptions import run_diff
    from reconcile.pull import run_pull

    outcome = run_pull(profile, store)
    for line in format_outcome(outcome):
        say(line)
    if not outcome.ok:
        warn(f"Pull failed: {outcome.error}")
        return FAILED
    result = run_diff(store, profile)
    for (obj, kind), n in sorted(result.counts.items()):
        say(f"{obj:<16} {kind:<20} {n:>7}")
    say(f"{sum(result.counts.values())} exceptions; planted in the demo: {planted}.")
    return OK
