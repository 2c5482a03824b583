"""The ``[people]`` section of a profile: which identity provider, which groups, which domains.

The keys are the contract of shared/interfaces.md section 6. Secrets never live here: the
Okta API token or the Entra client secret comes from the keyring (user ``<profile>:idp``)
or ``TIEOUT_IDP_SECRET`` (``reconcile.secrets``). It lives under ``adapters`` because the
identity-provider adapters take it; ``reconcile.people.settings`` re-exports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class PeopleSettings(BaseModel):
    """Where the workforce comes from and which of it Tieout compares with Procore."""

    model_config = ConfigDict(extra="forbid")

    idp: Literal["okta", "entra", "csv"]
    #: The Okta org URL (``https://acme.okta.com``) or the Graph root (``https://graph.microsoft.com``).
    base_url: str | None = None
    #: Entra's authority (``https://login.microsoftonline.com``); the token is at ``{login_url}/{tenant}/oauth2/v2.0/token``.
    login_url: str = "https://login.microsoftonline.com"
    tenant: str | None = None
    client_id: str | None = None
    #: Okta only: ``ssws`` (an API token) or ``oauth`` (a scoped OAuth 2.0 access token, sent as Bearer).
    okta_auth: Literal["ssws", "oauth"] = "ssws"
    #: The HR roster's path (``idp = "csv"``), relative to the profile.
    roster: Path | None = None
    #: IdP group display names; their members (Entra: transitively) are the population.
    groups: list[str] = Field(default_factory=list)
    #: E-mail domains the company's SSO owns; only users in them can be orphaned.
    sso_domains: list[str] = Field(default_factory=list)
    #: E-mails never touched: the service account, break-glass admins.
    exclude: list[str] = Field(default_factory=list)
    #: Members per page asked of the IdP (Okta recommends 200; Graph allows up to 999).
    page_size: int = Field(default=200, ge=1, le=999)

    @field_validator("sso_domains", "exclude")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        # Matching is case-insensitive by contract; normalise once here.
        return [v.strip().lower().lstrip("@") for v in values if v.strip()]

    @field_validator("base_url", "login_url")
    @classmethod
    def _no_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _what_each_idp_needs(self) -> PeopleSettings:
        need: tuple[str, ...] = {
            "okta": ("base_url",),
            "entra": ("base_url", "tenant", "client_id"),
            "csv": ("roster",),
        }[self.idp]
        for key in need:
            if getattr(self, key) in (None, ""):
                raise ValueError(f'`{key}` is required when idp = "{self.idp}"')
        if self.idp != "csv" and not self.groups:
            raise ValueError("`groups` must name at least one IdP group (the population to compare)")
        return self
