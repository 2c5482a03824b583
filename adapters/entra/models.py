"""Pydantic wire models of the Microsoft Graph records Tieout reads (groups, users).

``accountEnabled`` is required: Graph leaves it out unless ``$select`` names it, and a user
without it would silently count as enabled.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.base import ResponseError

#: What the member read asks for; ``$select`` replaces Graph's default set entirely.
USER_FIELDS = (
    "id",
    "mail",
    "userPrincipalName",
    "givenName",
    "surname",
    "jobTitle",
    "accountEnabled",
    "department",
)


class Wire(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Group(Wire):
    id: str
    displayName: str  # noqa: N815 - Graph's field name


class User(Wire):
    id: str
    accountEnabled: bool  # noqa: N815
    mail: str | None = None
    userPrincipalName: str | None = None  # noqa: N815
    givenName: str | None = None  # noqa: N815
    surname: str | None = None
    jobTitle: str | None = None  # noqa: N815
    department: str | None = None


W = TypeVar("W", bound=Wire)


def parse_values(model: type[W], body: Any, *, endpoint: str) -> list[W]:
    """The ``value`` array of a Graph collection, each record validated."""
    values = body.get("value") if isinstance(body, dict) else None
    if not isinstance(values, list):
        raise ResponseError(f"Microsoft Graph's answer from {endpoint} has no `value` list.")
    out = []
    for i, rec in enumerate(values):
        try:
            out.append(model.model_validate(rec))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(record)"
            rid = rec.get("id") if isinstance(rec, dict) else None
            which = f"record id {rid}" if rid else f"record #{i}"
            hint = " (is it named in $select?)" if first["type"] == "missing" else ""
            raise ResponseError(
                f"Microsoft Graph's answer from {endpoint} has an unexpected value in {which}, "
                f"field `{field}`: {first['msg']}{hint}."
            ) from None
    return out
