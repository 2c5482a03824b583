"""What the Okta and Entra people sources share: the profile's groups read one at a time into a
``PullSink``, one ``idp_users`` row per user, and the cost of a pull (``tieout pull --plan``).

Only the loop is shared. Each IdP keeps its own wire protocol in its client and its subclass:
Okta's SSWS or OAuth header, ``Link`` cursors, members of every status (DEPROVISIONED
included) and ``X-Rate-Limit-Reset`` waits; Graph's client-credentials token,
``transitiveMembers/microsoft.graph.user`` with a ``$select`` naming ``accountEnabled``,
``ConsistencyLevel: eventual`` and ``@odata.nextLink``. A subclass says how to build its client,
how to read one group's member pages, and how one user becomes a row.

Units of work: one per profile group (``group:<display name>``, resource ``idp_users``), each
read in full every time (neither group member list has a change filter, and a removal is only
visible as absence). Record keys are ``<group>/<user id>``, unique within the resource even
when one user is in several groups; ``fold`` makes them one row per user.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, ClassVar, Protocol

import anyio
import polars as pl

from adapters.base import Cancelled, PlanRow, PreviousPull, Progress, PullSink, RawReader
from adapters.idp_http import IdpHttp
from adapters.people_schema import people_frame
from adapters.people_settings import PeopleSettings
from adapters.secret import Secret

RESOURCE = "idp_users"
Sleep = Callable[[float], Awaitable[None]]
#: One page of a group's members: (the IdP's user id, the record as it came).
MemberPage = list[tuple[str, dict[str, Any]]]


class Named(Protocol):
    @property
    def id(self) -> str: ...


class GroupClient(Protocol):
    """What the loop needs of an IdP client."""

    @property
    def io(self) -> IdpHttp: ...

    async def group(self, name: str) -> Named: ...

    async def aclose(self) -> None: ...


def fold(
    raw: Iterable[tuple[str, dict[str, Any]]], row: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
) -> pl.DataFrame:
    """One ``idp_users`` row per user (``row`` reads one record); ``groups`` lists the profile
    groups that reach them, in the order they were read."""
    users: dict[str, dict[str, Any]] = {}
    for scope, payload in raw:
        user_id, fields = row(payload)
        found = users.setdefault(user_id, {**fields, "groups": []})
        group = scope.removeprefix("group:")
        if group not in found["groups"]:
            found["groups"].append(group)
    return people_frame("idp_users", [users[k] for k in sorted(users)])


class GroupMembersAdapter:
    """The members of the profile's groups, from one IdP (subclasses: Okta, Entra)."""

    source = "identity"
    resources = (RESOURCE,)
    #: The IdP's name in messages.
    side: ClassVar[str]
    #: The most members one page may hold (the IdP's documented cap on its page-size parameter).
    page_cap: ClassVar[int]
    #: The IdP's client: ``(settings, secret, *, sleep, clock, max_wait)``.
    client_class: ClassVar[Callable[..., GroupClient]]

    def __init__(
        self,
        settings: PeopleSettings,
        secret: Secret,
        *,
        sleep: Sleep = anyio.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 300.0,
    ) -> None:
        self.settings = settings
        self.client = self.client_class(settings, secret, sleep=sleep, clock=clock, max_wait=max_wait)

    # -- what each IdP says --------------------------------------------------------------
    def member_pages(self, group_id: str) -> AsyncIterator[MemberPage]:
        """Each page of one group's users, validated (a bad record names its endpoint)."""
        raise NotImplementedError

    @staticmethod
    def user_row(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """One member record as (user id, ``idp_users`` fields but ``groups``)."""
        raise NotImplementedError

    def rate_per_second(self, previous: PreviousPull | None) -> float | None:
        """Requests a second the IdP allows, as it last reported (None: it reports none)."""
        return None

    def stamp(self) -> dict[str, Any]:
        """What a pull records for the next plan beyond the request count (a reported limit)."""
        return {}

    # -- the shared loop -----------------------------------------------------------------
    async def aclose(self) -> None:
        await self.client.aclose()

    async def pull(self, sink: PullSink, *, full: bool = True, previous: Any = None) -> dict[str, Any]:
        """Read every profile group's members (always in full); the request count and waits."""
        io = self.client.io
        io.cancelled = sink.cancelled
        records = 0
        for name in self.settings.groups:
            scope = f"group:{name}"
            if sink.is_done(RESOURCE, scope):
                continue
            if sink.cancelled():
                raise Cancelled(f"The {self.side} read was cancelled; `tieout pull --resume` continues it.")
            group = await self.client.group(name)
            sink.replace_scope(RESOURCE, scope)
            before, count, pages = io.requests, 0, 0
            async for page in self.member_pages(group.id):
                sink.page(RESOURCE, scope, [(f"{name}/{user_id}", raw) for user_id, raw in page])
                count, pages = count + len(page), pages + 1
                sink.progress(
                    Progress(
                        RESOURCE,
                        requests=io.requests,
                        pages=pages,
                        records=records + count,
                        wait_seconds=io.wait_seconds,
                    )
                )
            records += count
            sink.unit_done(RESOURCE, scope, io.requests - before, count)
        return {"requests": {RESOURCE: io.requests}, "wait_seconds": io.wait_seconds, **self.stamp()}

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        return {"idp_users": fold(raw(RESOURCE), self.user_row)}

    async def plan(self, previous: PreviousPull | None) -> list[PlanRow]:
        """Requests for a pull: per group, one look-up and a page per ``page size`` members.

        Members per group come from the last snapshot; without one only the floor is known
        (a look-up and one page a group): the IdP's group list gives no member count. The plan itself sends nothing. Full and incremental
        cost the same: every group is read in full every time.
        """
        per_page = min(self.settings.page_size, self.page_cap)
        members: dict[str, int] = {}
        if previous is not None and previous.raw is not None:
            for scope, _payload in previous.raw(RESOURCE):
                members[scope] = members.get(scope, 0) + 1
        groups = self.settings.groups
        requests = sum(1 + max(1, math.ceil(members.get(f"group:{g}", 0) / per_page)) for g in groups)
        if previous is not None and previous.raw is not None:
            note = (
                f"{len(groups)} group(s), {sum(members.values()):,} members at the last pull; "
                f"a look-up and a page per {per_page} members each, always in full"
            )
        else:
            note = f"{len(groups)} group(s), no snapshot yet: at least a look-up and a page each"
        rate = self.rate_per_second(previous)
        seconds = requests / rate if rate else None
        if rate is None:
            note += f"; {self.side} reports no rate limit to time it by"
        return [PlanRow(RESOURCE, requests, requests, note, seconds, seconds)]
