"""Pydantic wire models of the Okta records Tieout reads (groups, users).

Unknown fields are allowed (orgs add custom profile attributes); what the people diff needs
is checked, and a failure names the endpoint and the record.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.base import ResponseError

#: Okta's user statuses; SUSPENDED and DEPROVISIONED are the disabled ones (contract section 6).
DISABLED = frozenset({"SUSPENDED", "DEPROVISIONED"})


class Wire(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class GroupProfile(Wire):
    name: str


class Group(Wire):
    id: str
    profile: GroupProfile


class UserProfile(Wire):
    email: str | None = None
    login: str | None = None
    firstName: str | None = None  # noqa: N815 - Okta's field name
    lastName: str | None = None  # noqa: N815
    title: str | None = None
    department: str | None = None


class User(Wire):
    id: str
    status: str
    profile: UserProfile


W = TypeVar("W", bound=Wire)


def parse_list(model: type[W], payload: Any, *, endpoint: str) -> list[W]:
    """A JSON array of records, each validated; anything else is a ``ResponseError``."""
    if not isinstance(payload, list):
        raise ResponseError(f"Okta's answer from {endpoint} is not a list (got {type(payload).__name__}).")
    out = []
    for i, rec in enumerate(payload):
        try:
            out.append(model.model_validate(rec))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(record)"
            rid = rec.get("id") if isinstance(rec, dict) else None
            which = f"record id {rid}" if rid else f"record #{i}"
            raise ResponseError(
                f"Okta's answer from {endpoint} has an unexpected value in {which}, field `{field}`: {first['msg']}."
            ) from None
    return out
