"""What the home screen reads: the summary cards, each source's snapshot, the tie-out per project.

The numbers come from ``reconcile`` (``query.home_summary``, ``close.tieout``); this module only
decides which sources a profile shows and gathers one ``Home`` for the screen. Every function
blocks on DuckDB (and the tie-out on Polars): the screen calls them from a thread worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from reconcile import query
from reconcile.close.tieout import ProjectRow, TieOutMemo, project_rows
from reconcile.people.pull import profile_sources
from reconcile.profile import Profile
from reconcile.store import Store

#: A source's name on the Snapshots card; the identity line adds the IdP's.
SOURCE_LABELS: dict[str, str] = {
    "procore": "Procore",
    "erp": "ERP",
    "identity": "Identity",
    "directory": "Directory",
}
#: The IdP as the profile names it (``[people].idp``) -> as the card names it.
IDP_NAMES: dict[str, str] = {"okta": "okta", "entra": "entra", "csv": "roster"}


@dataclass(frozen=True)
class SnapshotLine:
    """One line of the Snapshots card: a source, its label, and what the store holds for it."""

    source: str
    label: str
    info: dict[str, Any] | None  # ``query.home_summary``'s entry; None: never pulled
    read_at_diff: str | None = None  # a roster file, read at each diff (it has no snapshot)


@dataclass(frozen=True)
class Home:
    """Everything the home screen shows, read in one worker."""

    summary: query.HomeSummary
    snapshots: list[SnapshotLine]
    #: The tie-out table; empty with ``tieout_shown`` False on a people-only profile.
    rows: list[ProjectRow] = field(default_factory=list)
    tieout_shown: bool = True
    #: Why the table is empty (a mapping error, an unexpected failure), one sentence.
    tieout_note: str | None = None


def _shown_sources(profile: Profile) -> tuple[str, ...]:
    """The sources the profile pulls; a people-only profile has no Procore/ERP money side."""
    sources = profile_sources(profile)
    if profile.people is not None and profile.people.idp == "csv":
        # A roster has no snapshot (it is read at each diff) but still belongs on the card.
        sources = tuple(s for s in sources if s != "directory") + ("identity", "directory")
    return sources


def _label(source: str, info: dict[str, Any] | None, profile: Profile) -> str:
    label = SOURCE_LABELS.get(source, source)
    if source != "identity":
        return label
    # The IdP that wrote the snapshot where the store says so, else the profile's.
    idp = (info or {}).get("idp") or (profile.people.idp if profile.people is not None else None)
    return f"{label} ({IDP_NAMES.get(str(idp), str(idp))})" if idp else label


def load_home(
    store: Store,
    profile: Profile,
    memo: TieOutMemo,
    failure: Callable[[str, BaseException], str],
) -> Home:
    """The home screen's data. ``failure`` turns a tie-out error into the card's sentence (and
    logs a defect's traceback): the other cards still load when the mapping tables are broken."""
    frame: pl.DataFrame | None = None
    rows: list[ProjectRow] = []
    note = None
    money = profile.erp_section is not None
    if money:
        try:
            frame = memo.get(store, profile)
            rows = project_rows(frame, query.project_progress(store))
        except Exception as exc:  # the card shows the sentence; the rest of home still loads
            frame, note = None, failure("the tie-out", exc)
    sources = _shown_sources(profile)
    pulled = tuple(s for s in sources if not _is_roster(s, profile))
    summary = query.home_summary(store, sources=pulled, tieout=frame)
    lines = []
    for source in sources:
        if _is_roster(source, profile):
            roster = profile.people.roster if profile.people is not None else None
            lines.append(
                SnapshotLine(
                    source, _label(source, None, profile), None, roster.name if roster else "the roster"
                )
            )
            continue
        info = summary.snapshots.get(source)
        lines.append(SnapshotLine(source, _label(source, info, profile), info))
    return Home(summary, lines, rows, tieout_shown=money, tieout_note=note)


def _is_roster(source: str, profile: Profile) -> bool:
    return source == "identity" and profile.people is not None and profile.people.idp == "csv"
