"""The people diff against the store: what ``tieout diff`` adds for a profile with ``[people]``.

The people exceptions are persisted in the same diff run as the money side's (one run closes
whatever it no longer finds, so the two halves must be one run), with object ``user``.
"""

from __future__ import annotations

import polars as pl

from reconcile.people.snapshot import load_people
from reconcile.people.sources import run_people_diff
from reconcile.profile import Profile
from reconcile.store import Store


def people_exceptions(store: Store, profile: Profile) -> pl.DataFrame:
    """The ``user`` exceptions of the current people snapshots (``EXCEPTION_SCHEMA``).

    Raises ``NoPeopleSnapshot`` before the first pull and ``MappingError`` for a broken
    ``access.csv`` (a project number Procore lacks, two templates for one user and place).
    """
    snap = load_people(store, profile)
    return run_people_diff(
        profile, snap.idp_users, snap.directory, snap.project_numbers, known_projects=snap.known_projects
    )
