"""The Okta people source: the members of the profile's groups, into a ``PullSink``.

Units of work: one per profile group (``group:<display name>``, resource ``idp_users``), each
read in full every time (Okta's group member list has no change filter, and a removal is only
visible as absence). Record keys are ``<group>/<user id>``, unique within the resource even
when one user is in several groups; ``canonicalize`` folds them into one row per user.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import polars as pl

from adapters.base import Cancelled, Progress, PullSink, RawReader
from adapters.okta import models as m
from adapters.okta.client import OktaClient
from adapters.people_schema import people_frame
from adapters.people_settings import PeopleSettings
from adapters.secret import Secret

RESOURCE = "idp_users"


class OktaAdapter:
    """Reads the profile's Okta groups; ``canonicalize`` gives the ``idp_users`` frame."""

    source = "identity"
    resources = (RESOURCE,)

    def __init__(
        self,
        settings: PeopleSettings,
        secret: Secret,
        *,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 300.0,
    ) -> None:
        self.settings = settings
        self.client = OktaClient(settings, secret, sleep=sleep, clock=clock, max_wait=max_wait)

    def __repr__(self) -> str:
        return f"OktaAdapter({self.settings.base_url!r})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def pull(self, sink: PullSink, *, full: bool = True, previous: Any = None) -> dict[str, Any]:
        """Read every profile group's members (always in full); returns the request count."""
        self.client.io.cancelled = sink.cancelled
        records = 0
        for name in self.settings.groups:
            scope = f"group:{name}"
            if sink.is_done(RESOURCE, scope):
                continue
            if sink.cancelled():
                raise Cancelled("The Okta read was cancelled; `tieout pull --resume` continues it.")
            group = await self.client.group(name)
            sink.replace_scope(RESOURCE, scope)
            requests_before, count, pages = self.client.io.requests, 0, 0
            async for page in self.client.members(group.id):
                path = f"/api/v1/groups/{group.id}/users"
                users = m.parse_list(m.User, page, endpoint=path)
                sink.page(
                    RESOURCE, scope, [(f"{name}/{u.id}", raw) for u, raw in zip(users, page, strict=True)]
                )
                count, pages = count + len(users), pages + 1
                sink.progress(
                    Progress(
                        RESOURCE,
                        requests=self.client.io.requests,
                        pages=pages,
                        records=records + count,
                        wait_seconds=self.client.io.wait_seconds,
                    )
                )
            records += count
            sink.unit_done(RESOURCE, scope, self.client.io.requests - requests_before, count)
        return {"requests": {RESOURCE: self.client.io.requests}, "wait_seconds": self.client.io.wait_seconds}

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        return {"idp_users": canonicalize(raw(RESOURCE))}


def canonicalize(raw: list[tuple[str, dict[str, Any]]]) -> pl.DataFrame:
    """One ``idp_users`` row per Okta user; ``groups`` lists the profile groups that reach them."""
    users: dict[str, dict[str, Any]] = {}
    for scope, payload in raw:
        u = m.User.model_validate(payload)
        group = scope.removeprefix("group:")
        row = users.get(u.id)
        if row is None:
            p = u.profile
            email = (p.email or p.login or "").strip().lower()
            users[u.id] = row = {
                "idp_id": u.id,
                "email": email or None,
                "given_name": p.firstName,
                "family_name": p.lastName,
                "job_title": p.title,
                "department": p.department,
                "status": u.status,
                "enabled": u.status not in m.DISABLED,
                "groups": [],
            }
        if group not in row["groups"]:
            row["groups"].append(group)
    return people_frame("idp_users", [users[k] for k in sorted(users)])
