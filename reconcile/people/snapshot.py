"""The people side's current picture, read back from the store's ``identity`` and ``directory``
snapshots (or, for ``idp = "csv"``, the roster file).

The frames are rebuilt from the snapshots' raw payloads with the adapters' own
``canonicalize`` (``reconcile.people.pull`` says why there are no store tables for them), so
the diff, the push planner and the access review all read the same thing the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from adapters.procore import models as m
from adapters.procore.reads import selected
from adapters.procore.users import canonicalize_directory
from reconcile.people.sources import roster_users
from reconcile.profile import Profile, ProfileError
from reconcile.store import Snapshot, Store


class NoPeopleSnapshot(ProfileError):
    """A people source has never been pulled; the sentence says to run ``tieout pull``."""


@dataclass(frozen=True)
class PeopleSnapshot:
    """The inputs of the people diff, and the snapshots they came from."""

    idp_users: pl.DataFrame
    #: ``procore_users``, ``procore_memberships``, ``procore_permission_templates``.
    directory: dict[str, pl.DataFrame]
    #: The company's Procore projects: id, project_number, name, active, selected (by the profile).
    projects: pl.DataFrame
    identity: Snapshot | None
    directory_snapshot: Snapshot

    @property
    def project_numbers(self) -> list[str]:
        """The profile's projects (``[procore].projects``): only these are reviewed."""
        return self.projects.filter(pl.col("selected"))["project_number"].drop_nulls().to_list()

    @property
    def known_projects(self) -> set[str]:
        """Every project number of the company: what ``access.csv`` may name."""
        return set(self.projects["project_number"].drop_nulls().to_list())


def _current(store: Store, profile: Profile, source: str) -> Snapshot:
    snap = store.current_snapshot(source)
    if snap is None:
        what = "identity provider" if source == "identity" else "Procore directory"
        raise NoPeopleSnapshot(f"No {what} snapshot in {profile.store_path} yet; run `tieout pull` first.")
    return snap


def _reader(store: Store, snapshot_id: int) -> Any:
    return lambda resource: store.raw_with_scope(snapshot_id, resource)


def idp_frame(store: Store, profile: Profile) -> tuple[pl.DataFrame, Snapshot | None]:
    """The ``idp_users`` table: the roster file, or the current ``identity`` snapshot."""
    people = profile.people
    assert people is not None, "callers check for [people]"
    if people.idp == "csv":
        return roster_users(profile), None
    snap = _current(store, profile, "identity")
    idp = str(snap.high_water.get("idp") or people.idp)
    if idp != people.idp:
        raise NoPeopleSnapshot(
            f"The identity snapshot in {profile.store_path} was read from {idp}, and the profile now "
            f"names {people.idp}; run `tieout pull --source identity` first."
        )
    raw = store.raw_with_scope(snap.id, "idp_users")
    if idp == "okta":
        from adapters.okta.adapter import canonicalize as okta

        return okta(raw), snap
    from adapters.entra.adapter import canonicalize as entra

    return entra(raw), snap


def _projects(raw: list[tuple[str, dict[str, Any]]], profile: Profile) -> pl.DataFrame:
    projects = [m.parse(m.Project, payload, endpoint="projects") for _scope, payload in raw]
    chosen = {p.id for p in selected(profile.procore, projects)}
    rows = [
        {
            "id": p.id,
            "project_number": p.project_number,
            "name": p.name,
            "active": p.active,
            "selected": p.id in chosen,
        }
        for p in projects
    ]
    schema = {
        "id": pl.Int64,
        "project_number": pl.String,
        "name": pl.String,
        "active": pl.Boolean,
        "selected": pl.Boolean,
    }
    return pl.DataFrame(rows or None, schema=schema)


def load_people(store: Store, profile: Profile) -> PeopleSnapshot:
    """The current people picture of a profile; ``NoPeopleSnapshot`` when a source was never pulled."""
    if profile.people is None:
        raise ProfileError(f"Profile {profile.source_path or profile.name} has no [people] section.")
    idp, identity = idp_frame(store, profile)
    snap = _current(store, profile, "directory")
    directory = canonicalize_directory(_reader(store, snap.id))
    projects = _projects(store.raw_with_scope(snap.id, "projects"), profile)
    return PeopleSnapshot(idp, directory, projects, identity, snap)


def raw_record(store: Store, snapshot_id: int, resource: str, key: str) -> dict[str, Any] | None:
    """One payload of a snapshot as the API sent it (the push's read-before-write compares it)."""
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT payload FROM raw_records WHERE snapshot_id = ? AND resource = ? AND record_key = ? LIMIT 1",
            [snapshot_id, resource, key],
        ).fetchone()
    finally:
        cur.close()
    if row is None:
        return None
    payload = json.loads(row[0])
    return payload if isinstance(payload, dict) else None
