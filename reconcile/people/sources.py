"""From a profile to the people diff's inputs: which IdP adapter, the roster, access.csv.

The seams the next wave wires into ``tieout pull``/``diff`` (the store's snapshots, the CLI):
``idp_adapter`` for Okta and Entra (a ``SourceAdapter``-shaped reader, source ``identity``),
``roster_users`` for ``idp = "csv"``, ``load_people_access`` and ``run_people_diff``.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from adapters.entra.adapter import EntraAdapter
from adapters.okta.adapter import OktaAdapter
from mappings.access import AccessTable, check_projects, load_access
from reconcile.people.diff import diff_people
from reconcile.people.roster import load_roster
from reconcile.people.settings import PeopleSettings
from reconcile.profile import Profile, ProfileError
from reconcile.secrets import Secret, get_secret


def _people(profile: Profile) -> PeopleSettings:
    if profile.people is None:
        raise ProfileError(f"Profile {profile.source_path or profile.name} has no [people] section.")
    return profile.people


def idp_adapter(profile: Profile, secret: Secret | None = None) -> OktaAdapter | EntraAdapter:
    """The reader of the profile's identity provider; the secret from the keyring or TIEOUT_IDP_SECRET."""
    people = _people(profile)
    if people.idp == "csv":
        raise ProfileError('A roster (idp = "csv") is read with roster_users, not pulled over HTTP.')
    secret = secret or get_secret(profile.name, "idp")
    return OktaAdapter(people, secret) if people.idp == "okta" else EntraAdapter(people, secret)


def roster_users(profile: Profile) -> pl.DataFrame:
    """The HR roster of a ``csv`` profile as the ``idp_users`` table (path relative to the profile)."""
    people = _people(profile)
    assert people.roster is not None, "PeopleSettings requires roster for csv"
    path = people.roster
    if not path.is_absolute() and profile.source_path is not None:
        path = profile.source_path.parent / path
    return load_roster(path, str(people.roster))


def load_people_access(profile: Profile) -> AccessTable | None:
    """``access.csv`` of the profile's mapping folder, or None when the company keeps none."""
    path = profile.mappings_dir / "access.csv"
    if not path.exists():
        return None
    return load_access(path, f"{profile.mappings.dir}/access.csv")


def run_people_diff(
    profile: Profile,
    idp_users: pl.DataFrame,
    directory: dict[str, pl.DataFrame],
    project_numbers: Collection[str],
    *,
    known_projects: Collection[str] | None = None,
    access_dir: Path | None = None,
) -> pl.DataFrame:
    """The people exceptions of a profile: its settings, its access.csv (checked against
    ``known_projects``, every Procore project number) and the canonical frames."""
    people = _people(profile)
    access = (
        load_access(access_dir / "access.csv", f"{access_dir.name}/access.csv")
        if access_dir is not None
        else load_people_access(profile)
    )
    if access is not None and known_projects is not None:
        check_projects(access, set(known_projects))
    return diff_people(
        idp_users,
        directory["procore_users"],
        directory["procore_memberships"],
        access,
        people,
        project_numbers,
    )
