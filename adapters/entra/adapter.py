"""The Microsoft Entra ID people source: the transitive user members of the profile's groups.

Same units and keys as the Okta source (``group:<display name>``, ``<group>/<object id>``);
``canonicalize`` gives one ``idp_users`` row per user, keyed by ``mail`` or, when a user has
no mailbox, ``userPrincipalName`` (contract section 6).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import polars as pl

from adapters.base import Cancelled, Progress, PullSink, RawReader
from adapters.entra import models as m
from adapters.entra.client import GraphClient
from adapters.people_schema import people_frame
from adapters.people_settings import PeopleSettings
from adapters.secret import Secret

RESOURCE = "idp_users"


class EntraAdapter:
    """Reads the profile's Entra groups; ``canonicalize`` gives the ``idp_users`` frame."""

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
        self.client = GraphClient(settings, secret, sleep=sleep, clock=clock, max_wait=max_wait)

    def __repr__(self) -> str:
        return f"EntraAdapter(tenant={self.settings.tenant!r})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def pull(self, sink: PullSink, *, full: bool = True, previous: Any = None) -> dict[str, Any]:
        """Read every profile group's transitive user members (always in full)."""
        io = self.client.io
        io.cancelled = sink.cancelled
        records = 0
        for name in self.settings.groups:
            scope = f"group:{name}"
            if sink.is_done(RESOURCE, scope):
                continue
            if sink.cancelled():
                raise Cancelled("The Entra read was cancelled; `tieout pull --resume` continues it.")
            group = await self.client.group(name)
            sink.replace_scope(RESOURCE, scope)
            before, count, pages = io.requests, 0, 0
            path = f"/v1.0/groups/{group.id}/transitiveMembers/microsoft.graph.user"
            async for body in self.client.members(group.id):
                users = m.parse_values(m.User, body, endpoint=path)
                raw = body["value"]
                sink.page(RESOURCE, scope, [(f"{name}/{u.id}", r) for u, r in zip(users, raw, strict=True)])
                count, pages = count + len(users), pages + 1
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
        return {"requests": {RESOURCE: io.requests}, "wait_seconds": io.wait_seconds}

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        return {"idp_users": canonicalize(raw(RESOURCE))}


def canonicalize(raw: list[tuple[str, dict[str, Any]]]) -> pl.DataFrame:
    """One ``idp_users`` row per Entra user; ``groups`` lists the profile groups that reach them."""
    users: dict[str, dict[str, Any]] = {}
    for scope, payload in raw:
        u = m.User.model_validate(payload)
        group = scope.removeprefix("group:")
        row = users.get(u.id)
        if row is None:
            email = (u.mail or u.userPrincipalName or "").strip().lower()
            users[u.id] = row = {
                "idp_id": u.id,
                "email": email or None,
                "given_name": u.givenName,
                "family_name": u.surname,
                "job_title": u.jobTitle,
                "department": u.department,
                "status": "enabled" if u.accountEnabled else "disabled",
                "enabled": u.accountEnabled,
                "groups": [],
            }
        if group not in row["groups"]:
            row["groups"].append(group)
    return people_frame("idp_users", [users[k] for k in sorted(users)])
