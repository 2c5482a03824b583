"""The people side of ``tieout pull``: which sources a profile pulls, and their adapters.

A profile with ``[people]`` adds two sources to the store, each with its own snapshots,
checkpoints and ``--resume`` exactly like the money side's (``reconcile.pull`` runs them):

- ``identity``: the IdP's group members (Okta or Entra; a roster CSV is read at diff time,
  like a mapping table, so it has no snapshot);
- ``directory``: the Procore company directory (users, templates, project members).

Their canonical frames are not written to store tables: they are rebuilt from the snapshot's
raw payloads when read (``reconcile.people.snapshot``). A directory is thousands of rows, so
the rebuild is cheap, and the store needs no tables of its own for it. The pull still runs
``canonicalize`` once, so a payload the diff could not read fails the pull, not the diff.
"""

from __future__ import annotations

from typing import Any, cast

import polars as pl

from adapters.base import PlanRow, PreviousPull, PullSink, RawReader, SourceAdapter
from reconcile.profile import Profile, ProfileError
from reconcile.secrets import get_secret
from reconcile.store import Store

#: The store sources of the people side, in the order a pull table lists them.
PEOPLE_SOURCES = ("identity", "directory")
#: Every source a pull may name (``tieout pull --source``).
ALL_SOURCES = ("procore", "erp", *PEOPLE_SOURCES)


def profile_sources(profile: Profile) -> tuple[str, ...]:
    """The sources a plain ``tieout pull`` of this profile reads: money, people, or both."""
    out: list[str] = []
    if profile.erp_section is not None:
        out += ["procore", "erp"]
    if profile.people is not None:
        if profile.people.idp != "csv":
            out.append("identity")
        out.append("directory")
    return tuple(out)


class _RawOnly:
    """A people adapter as the store sees it: raw payloads and checkpoints, no canonical tables.

    ``high_water`` records which IdP wrote the snapshot, so a profile switched from Okta to
    Entra never reads an Okta snapshot with Entra's model.
    """

    def __init__(self, inner: Any, idp: str | None = None) -> None:
        self.inner = inner
        self.source: str = inner.source
        self.resources: tuple[str, ...] = tuple(inner.resources)
        self.always_full = True
        self.idp = idp

    def __repr__(self) -> str:
        return repr(self.inner)

    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        stamp: dict[str, Any] = dict(await self.inner.pull(sink, full=True, previous=None) or {})
        if self.idp is not None:
            stamp["idp"] = self.idp
        return stamp

    async def plan(self, previous: PreviousPull | None) -> list[PlanRow]:
        """What a pull of this source costs (``tieout pull --plan``), as the inner adapter says."""
        return list(await self.inner.plan(previous))

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        self.inner.canonicalize(raw)  # refuses a payload the diff could not read
        return {}

    async def aclose(self) -> None:
        await self.inner.aclose()


def people_adapter(profile: Profile, source: str) -> SourceAdapter:
    """The adapter of one people source, with its secret from the keyring or the environment."""
    people = profile.people
    if people is None:
        where = profile.source_path or profile.name
        raise ProfileError(f"Profile {where} has no [people] section, so it has no {source} to pull.")
    if source == "directory":
        from adapters.procore.users import DirectoryAdapter

        return cast(
            SourceAdapter, _RawOnly(DirectoryAdapter(profile.procore, get_secret(profile.name, "procore")))
        )
    if source != "identity":
        raise ValueError(f"unknown people source {source!r}")
    if people.idp == "csv":
        raise ProfileError(
            f'Profile {profile.source_path or profile.name} reads a roster (idp = "csv"), which is read '
            "at diff time: there is no identity provider to pull."
        )
    from reconcile.people.sources import idp_adapter

    return cast(SourceAdapter, _RawOnly(idp_adapter(profile), people.idp))


def people_pulled_since(store: Store, ran_at: object) -> bool:
    """True when a people snapshot became current after the diff run made at ``ran_at``.

    The diff run records only the money side's snapshot ids, so a newer ``identity`` or
    ``directory`` snapshot is told by its finish time.
    """
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT count(*) FROM current_snapshots c JOIN snapshots s ON s.id = c.snapshot_id "
            "WHERE c.source IN ('identity', 'directory') AND s.finished_at > ?",
            [ran_at],
        ).fetchone()
    finally:
        cur.close()
    return bool(row and row[0])
