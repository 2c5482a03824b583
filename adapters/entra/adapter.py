"""The Microsoft Entra ID people source: the transitive user members of the profile's groups.

The loop, units and keys are ``adapters.idp_groups``'s (the same as Okta's); this module says
what is Graph's: the client (client-credentials token, ``ConsistencyLevel: eventual``,
``@odata.nextLink``), the ``transitiveMembers/microsoft.graph.user`` read whose ``$select``
names ``accountEnabled``, and the row one user becomes, keyed by ``mail`` or, when a user has
no mailbox, ``userPrincipalName`` (contract section 6).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import polars as pl

from adapters.entra import models as m
from adapters.entra.client import PAGE_CAP, GraphClient
from adapters.idp_groups import RESOURCE, GroupMembersAdapter, MemberPage, fold

__all__ = ["RESOURCE", "EntraAdapter", "canonicalize"]


class EntraAdapter(GroupMembersAdapter):
    """Reads the profile's Entra groups; ``canonicalize`` gives the ``idp_users`` frame.

    Graph's answers carry no rate-limit figure (it throttles with 429 and ``Retry-After``),
    so the plan gives its request count but no time.
    """

    side = "Microsoft Graph"
    page_cap = PAGE_CAP
    client_class = GraphClient
    client: GraphClient

    def __repr__(self) -> str:
        return f"EntraAdapter(tenant={self.settings.tenant!r})"

    async def member_pages(self, group_id: str) -> AsyncIterator[MemberPage]:
        path = f"/v1.0/groups/{group_id}/transitiveMembers/microsoft.graph.user"
        async for body in self.client.members(group_id):
            users = m.parse_values(m.User, body, endpoint=path)
            yield [(u.id, raw) for u, raw in zip(users, body["value"], strict=True)]

    @staticmethod
    def user_row(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        u = m.User.model_validate(payload)
        email = (u.mail or u.userPrincipalName or "").strip().lower()
        return u.id, {
            "idp_id": u.id,
            "email": email or None,
            "given_name": u.givenName,
            "family_name": u.surname,
            "job_title": u.jobTitle,
            "department": u.department,
            "status": "enabled" if u.accountEnabled else "disabled",
            "enabled": u.accountEnabled,
        }


def canonicalize(raw: list[tuple[str, dict[str, Any]]]) -> pl.DataFrame:
    """One ``idp_users`` row per Entra user; ``groups`` lists the profile groups that reach them."""
    return fold(raw, EntraAdapter.user_row)
