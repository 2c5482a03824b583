"""`tieout close`: the month-end close of one period: status, sign-off, lock, evidence.

Without flags it opens the period (default: last month until the 10th, else this month;
``--cutoff`` defaults to the period's last day), re-diffs when the cut-off or the snapshots
changed since the last diff, and prints the tie-out, this close against the last and
``undecided N of M``. ``--sign`` records the analyst's sign-off, ``--review`` a second
user's, which locks the period; ``--out`` writes the period's report (XLSX: the evidence).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from app.commands.common import BAD_INPUT, FAILED, OK, CommandError, add_profile_arg, open_store, say, warn


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("close", help="the month-end close of a period: status, --sign, --review, --out")
    add_profile_arg(p)
    p.add_argument(
        "--period", metavar="YYYY-MM", help="the month to close (default: last month until the 10th)"
    )
    p.add_argument(
        "--cutoff", metavar="YYYY-MM-DD", help="later records belong to the next period (default: month end)"
    )
    action = p.add_mutually_exclusive_group()
    action.add_argument("--sign", action="store_true", help="sign the period as the analyst")
    action.add_argument("--review", action="store_true", help="review a signed period; locks it")
    p.add_argument("--user", metavar="NAME", help="who signs (default: the OS login)")
    p.add_argument("--out", "-o", type=Path, help="write the period's report; .xlsx is the evidence")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(handler=handle)


def _stale(store: object) -> bool:
    from reconcile.close.state import first
    from reconcile.store import Store

    assert isinstance(store, Store)
    cur = store.cursor()
    try:
        run = first(
            cur.execute(
                "SELECT procore_snapshot_id, erp_snapshot_id FROM diff_runs ORDER BY id DESC LIMIT 1"
            ).fetchall()
        )
        snaps = dict(cur.execute("SELECT source, snapshot_id FROM current_snapshots").fetchall())
    finally:
        cur.close()
    return run is None or (run[0], run[1]) != (snaps.get("procore"), snaps.get("erp"))


def handle(args: argparse.Namespace) -> int:
    from reconcile.close import api, state
    from reconcile.close.period import ClosePeriod, PeriodError, default_period
    from reconcile.close.state import CloseError
    from reconcile.decisions import default_actor
    from reconcile.exceptions import run_diff

    actor = (args.user or "").strip() or default_actor()
    try:
        period = args.period or default_period(datetime.now().date())
        wanted = ClosePeriod.of(period, args.cutoff)
    except PeriodError as exc:
        raise CommandError(str(exc), BAD_INPUT) from None
    with open_store(args) as (profile, store):
        for source in ("procore", "erp"):
            if store.current_snapshot(source) is None:
                raise CommandError(
                    f"No {source} snapshot in {profile.store_path} yet; run `tieout pull` first."
                )
        try:
            before = state.current(store)
            if args.review:
                close = wanted
            else:
                known = store.query(
                    "SELECT strftime(cutoff, '%Y-%m-%d') AS c FROM closes WHERE period = ?", [period]
                )
                cutoff = args.cutoff or (known["c"][0] if known.height else None)
                close = api.open_close(store, period, cutoff, actor=actor)
                if before != state.current(store) or _stale(store):
                    result = run_diff(store, profile)
                    say(f"Diffed with cut-off {close.cutoff}: {result.total} exceptions.")
            _print_status(store, profile, close)
            if args.sign:
                done = api.sign(store, profile, close.period, actor=actor)
                say(
                    f"Signed period {close.period} as {actor}: {done['exceptions']} exceptions, "
                    f"audit head {done['audit_count']} {done['audit_head']}, Procore snapshot "
                    f"{done['procore_snapshot_id']}, ERP snapshot {done['erp_snapshot_id']}."
                )
            if args.review:
                done = api.lock(store, close.period, actor=actor)
                say(f"Locked period {close.period} as {actor}; its decisions are final.")
        except CloseError as exc:
            raise CommandError(str(exc), FAILED) from None
        if args.out is not None:
            fmt = args.out.suffix.lower().lstrip(".")
            if fmt not in ("csv", "xlsx", "parquet"):
                raise CommandError(f"{args.out} must end in .xlsx, .csv or .parquet.", BAD_INPUT)
            written = api.export_evidence(store, profile, close, args.out, fmt, overwrite=bool(args.force))
            say(f"Wrote period {close.period}'s {written.rows} exceptions to {written.path}.")
            if written.head is not None:
                warn(f"Audit log head: {written.head.count} entries, hash {written.head.head_hash}.")
    return OK


def _print_status(store: object, profile: object, close: object) -> None:
    from reconcile.close import api
    from reconcile.close.period import ClosePeriod
    from reconcile.profile import Profile
    from reconcile.store import Store

    assert isinstance(store, Store) and isinstance(profile, Profile) and isinstance(close, ClosePeriod)
    status = api.close_status(store)
    say(f"Period {close.period}, cut-off {close.cutoff}.")
    for table, n in status.late_rows.items():
        if n:
            say(f"  {n} row(s) of {table} are dated after the cut-off: they belong to the next period.")
    totals = api.tie_out(store, profile, close.cutoff)
    say(f"{'project':<14} {'object':<11} {'ERP':>18} {'Procore':>18} {'difference':>16}")
    for r in totals.iter_rows(named=True):
        project = r["project"] if r["project"] is not None else "(unmapped)"
        say(
            f"{project:<14} {r['object']:<11} {r['erp_total']:>18,.2f} {r['procore_total']:>18,.2f} "
            f"{r['difference']:>16,.2f}"
        )
    changes = status.changes
    say(
        f"Against the last sign-off: {changes.get('new', 0)} new, {changes.get('carried', 0)} carried, "
        f"{changes.get('resolved', 0)} resolved."
    )
    if status.readiness is not None and status.readiness.period == close.period:
        say(status.readiness.sentence())
    else:
        say(f"Period {close.period}: {status.progress.sentence()}.")
