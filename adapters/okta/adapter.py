"""The Okta people source: the members of the profile's groups, into a ``PullSink``.

The loop, units and keys are ``adapters.idp_groups``'s; this module says what is Okta's: the
client (SSWS or OAuth, ``Link`` cursors, ``X-Rate-Limit-Reset`` waits), the member list that
keeps SUSPENDED and DEPROVISIONED users with their status, and the row one user becomes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import polars as pl

from adapters.idp_groups import RESOURCE, GroupMembersAdapter, MemberPage, fold
from adapters.okta import models as m
from adapters.okta.client import PAGE_CAP, WINDOW_SECONDS, OktaClient

__all__ = ["RESOURCE", "OktaAdapter", "canonicalize"]


class OktaAdapter(GroupMembersAdapter):
    """Reads the profile's Okta groups; ``canonicalize`` gives the ``idp_users`` frame."""

    side = "Okta"
    page_cap = PAGE_CAP
    client_class = OktaClient
    client: OktaClient

    def __repr__(self) -> str:
        return f"OktaAdapter({self.settings.base_url!r})"

    async def member_pages(self, group_id: str) -> AsyncIterator[MemberPage]:
        path = f"/api/v1/groups/{group_id}/users"
        async for page in self.client.members(group_id):
            users = m.parse_list(m.User, page, endpoint=path)
            yield [(u.id, raw) for u, raw in zip(users, page, strict=True)]

    @staticmethod
    def user_row(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        u = m.User.model_validate(payload)
        p = u.profile
        email = (p.email or p.login or "").strip().lower()
        return u.id, {
            "idp_id": u.id,
            "email": email or None,
            "given_name": p.firstName,
            "family_name": p.lastName,
            "job_title": p.title,
            "department": p.department,
            "status": u.status,
            "enabled": u.status not in m.DISABLED,
        }

    def stamp(self) -> dict[str, Any]:
        return {"rate_limit": self.client.io.reported_limit, "rate_limit_window": WINDOW_SECONDS}

    def rate_per_second(self, previous: Any) -> float | None:
        """The per-minute limit Okta reported (this run, else the last pull's answer)."""
        limit = self.client.io.reported_limit
        if limit is None and previous is not None:
            limit = previous.high_water.get("rate_limit")
        return int(limit) / WINDOW_SECONDS if limit else None


def canonicalize(raw: list[tuple[str, dict[str, Any]]]) -> pl.DataFrame:
    """One ``idp_users`` row per Okta user; ``groups`` lists the profile groups that reach them."""
    return fold(raw, OktaAdapter.user_row)
