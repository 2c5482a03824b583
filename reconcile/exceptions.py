"""Exceptions in the store: persist a diff run, read the report, run a diff, preview a mapping change.

Why an upsert keyed by the stable exception id: an analyst's decision (approved, explained…)
is attached to the id, so the same (object, key, kind, field) found again next month keeps
its history; ``first_seen`` says how long it has been open.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from mappings import MappingError, Mappings, load_mappings
from reconcile.canonical import ERP_TABLES, PROCORE_TABLES
from reconcile.diff import EXCEPTION_SCHEMA, diff
from reconcile.profile import Profile
from reconcile.query import REPORT_COLUMNS as REPORT_COLUMNS  # the report's columns, defined once
from reconcile.query import ExceptionFilter, report_frame
from reconcile.store import Store, now

_COLS = [c for c in EXCEPTION_SCHEMA]


@dataclass(frozen=True)
class DiffResult:
    """What ``run_diff`` did: the run id, the exceptions, and counts by (object, kind)."""

    run_id: int
    frame: pl.DataFrame
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many exceptions the run found."""
        return self.frame.height

    def summary_lines(self) -> list[str]:
        """``object  kind  count`` lines, for ``tieout diff``."""
        if not self.counts:
            return ["No exceptions."]
        width = max(len(o) for o, _ in self.counts)
        lines = [f"{o:<{width}}  {k:<18}  {n:>7}" for (o, k), n in sorted(self.counts.items())]
        return [*lines, f"{'total':<{width}}  {'':<18}  {self.total:>7}"]


def persist(
    store: Store,
    frame: pl.DataFrame,
    procore_snapshot_id: int | None,
    erp_snapshot_id: int | None,
    *,
    mappings_fingerprint: str = "",
) -> int:
    """Record a diff run and upsert its exceptions; ids the run did not produce are closed."""
    ran_at = now()
    frame = frame.select(_COLS).unique("exception_id", keep="first")
    with store.transaction() as tx:
        row = tx.execute(
            "INSERT INTO diff_runs (ran_at, procore_snapshot_id, erp_snapshot_id, exceptions, mappings_fingerprint) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [ran_at, procore_snapshot_id, erp_snapshot_id, frame.height, mappings_fingerprint],
        ).fetchone()
        assert row is not None
        run_id = int(row[0])
        if frame.height:
            tx.register("_exc", frame.to_arrow())
            tx.execute(
                """INSERT INTO exceptions (exception_id, object, kind, key, project, field, erp_value,
                       procore_value, difference, rule, detail, first_seen, last_seen, last_diff_run_id, is_open)
                   SELECT exception_id, object, kind, key, project, field, erp_value, procore_value,
                       difference, rule, CAST(detail AS JSON), ?, ?, ?, true FROM _exc
                   ON CONFLICT (exception_id) DO UPDATE SET
                       project = excluded.project, erp_value = excluded.erp_value,
                       procore_value = excluded.procore_value, difference = excluded.difference,
                       rule = excluded.rule, detail = excluded.detail, last_seen = excluded.last_seen,
                       last_diff_run_id = excluded.last_diff_run_id, is_open = true""",
                [ran_at, ran_at, run_id],
            )
            tx.unregister("_exc")
        tx.execute(
            "UPDATE exceptions SET is_open = false WHERE is_open AND last_diff_run_id <> ?",
            [run_id],
        )
    return run_id


def report(
    store: Store,
    *,
    open_only: bool = True,
    object: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    project: str | None = None,
) -> pl.DataFrame:
    """The contract's report columns, one row per exception, by object, key, kind and field.

    ``query.report_frame`` with these filters: one query, one definition of the latest decision.
    """
    f = ExceptionFilter(object=object, kind=kind, project=project, status=status, open_only=open_only)
    return report_frame(store, f, grid_order=False)


def canonical_frames(
    store: Store, *, cutoff: date | None = None
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """The current snapshots' canonical frames, cut at ``cutoff`` (default: the working close's).

    Every diff, preview and tie-out reads them here, so a record dated after the close's
    cut-off is in none of them: it belongs to the next period.
    """
    from reconcile.close import state
    from reconcile.close.cutoff import apply_cutoff

    if cutoff is None:
        close = state.current(store)
        cutoff = close.cutoff if close else None
    procore = apply_cutoff({t: store.canonical(t) for t in PROCORE_TABLES}, cutoff)
    erp = apply_cutoff({t: store.canonical(t) for t in ERP_TABLES}, cutoff)
    return procore, erp


def _canonical(store: Store) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    return canonical_frames(store)


def _load(profile: Profile, procore: dict[str, pl.DataFrame], directory: Path | None = None) -> Mappings:
    codes = procore["procore_cost_codes"]
    return load_mappings(
        directory or profile.mappings_dir,
        codes if codes.height else None,
        procore["procore_projects"],
        shape=profile.erp.shape,
    )


def load_mappings_for(profile: Profile, procore: dict[str, pl.DataFrame]) -> Mappings:
    """The profile's mapping tables, validated against the given Procore frames."""
    return _load(profile, procore)


def mappings_for(store: Store, profile: Profile, directory: Path | None = None) -> Mappings:
    """Load a mapping folder (the profile's by default), validated against the current Procore
    snapshot: a cost code the project does not have is an error naming file and line."""
    procore, _erp = _canonical(store)
    return _load(profile, procore, directory)


def _counts(frame: pl.DataFrame) -> dict[tuple[str, str], int]:
    return dict(Counter(zip(frame["object"].to_list(), frame["kind"].to_list(), strict=True)))


def run_diff(store: Store, profile: Profile) -> DiffResult:
    """Diff the current snapshots with the profile's mappings and tolerance, and persist the run.

    Raises ``MappingError`` for a broken mapping table (the CLI exits 2 with its sentence).
    """
    frames, fingerprint = [], ""
    if profile.erp_section is not None:
        procore, erp = _canonical(store)
        mappings = _load(profile, procore)
        frames.append(
            diff(procore, erp, mappings, profile.rules.amount_tolerance, currency=profile.procore.currency)
        )
        fingerprint = mappings.fingerprint
    if profile.people is not None:  # one run: persist closes what the run did not find
        from reconcile.people.run import people_exceptions

        frames.append(people_exceptions(store, profile))
    frame = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    p_snap, e_snap = store.current_snapshot("procore"), store.current_snapshot("erp")
    run_id = persist(
        store,
        frame,
        p_snap.id if p_snap else None,
        e_snap.id if e_snap else None,
        mappings_fingerprint=fingerprint,
    )
    return DiffResult(run_id, frame, _counts(frame))


#: What the mapping preview says of each exception it would add or resolve.
EFFECT_COLUMNS = ["exception_id", "object", "kind", "key", "field"]


def mapping_change_effect(
    store: Store, profile: Profile, mappings_override: Mappings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(exceptions the changed mappings would add, exceptions they would resolve), sorted by id.

    Nothing is written: the analyst sees the effect before keeping the change. The baseline
    is a diff with the mappings on disk, or the store's open exceptions if those do not load.
    """
    procore, erp = _canonical(store)
    tolerance, currency = profile.rules.amount_tolerance, profile.procore.currency
    try:
        before = diff(procore, erp, _load(profile, procore), tolerance, currency=currency).select(
            EFFECT_COLUMNS
        )
    except MappingError:  # the table on disk is the one being fixed; fall back to what is stored
        # Only the money side's rows: the diff compared against never holds user rows.
        before = report(store).filter(pl.col("object") != "user").select(EFFECT_COLUMNS)
    after = diff(procore, erp, mappings_override, tolerance, currency=currency).select(EFFECT_COLUMNS)
    added = after.join(before, on="exception_id", how="anti").sort("exception_id")
    removed = before.join(after, on="exception_id", how="anti").sort("exception_id")
    return added, removed


def preview_mapping_change(
    store: Store, profile: Profile, mappings_override: Mappings
) -> tuple[list[str], list[str]]:
    """(ids the changed mappings would add, ids they would resolve): ``mapping_change_effect``'s ids."""
    added, removed = mapping_change_effect(store, profile, mappings_override)
    return added["exception_id"].to_list(), removed["exception_id"].to_list()


def last_run(store: Store) -> tuple[int, datetime] | None:
    """The latest diff run's id and time, or None before the first diff."""
    row = store.cursor().execute("SELECT id, ran_at FROM diff_runs ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), row[1]) if row else None
