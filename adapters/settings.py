"""The per-system settings models (the ``[procore]`` and ``[erp]`` sections of a profile).

They live under ``adapters`` because the adapters take them as constructor arguments; the
profile (``reconcile.profile``) composes them. So adapters import nothing from ``reconcile``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters.erp_shape import ErpShape, shape_for

#: The ERP kinds this build can pull, each with the adapter class that reads it
#: (``module:Class``). A new adapter adds its line here; the profile accepts exactly these.
ERP_ADAPTERS: dict[str, str] = {
    "sap-s4": "adapters.sap.adapter:SapAdapter",
    "peoplesoft": "adapters.peoplesoft.adapter:PeopleSoftAdapter",
    "sap-ecc": "adapters.sap_ecc.adapter:EccAdapter",
    "oracle-ebs": "adapters.oracle_ebs.adapter:OracleEbsAdapter",
}
#: Kinds the contract names (shared/interfaces.md section 6) that may not be built yet.
ERP_KINDS_PLANNED = ("sap-s4", "sap-ecc", "oracle-ebs", "peoplesoft")


class Section(BaseModel):
    """A profile section: unknown keys are refused (a typo must not fall back to a default)."""

    model_config = ConfigDict(extra="forbid")


def check_url(value: object) -> object:
    """An absolute http(s) URL with a host, or a ValueError naming what is wrong with it.

    Checked here so a typo is a profile error at load, not "connection dropped" at pull.
    """
    if not isinstance(value, str):
        return value
    example = "e.g. https://host.example.com"
    if not value.strip():
        raise ValueError(f"the value is empty; give an http(s) URL, {example}")
    if any(c.isspace() for c in value):
        raise ValueError(f"{value!r} contains a space; give an http(s) URL, {example}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise ValueError(f"{value!r} is not a valid URL; give an http(s) URL, {example}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} is not an http(s) URL, {example}")
    if not parts.hostname:
        raise ValueError(f"{value!r} has no host name, {example}")
    return value


class ProcoreSettings(Section):
    base_url: str = "https://api.procore.com"
    login_url: str = "https://login.procore.com"
    company_id: int
    client_id: str
    projects: Literal["active"] | list[str] = "active"
    budget_view: str = "Procore Standard Budget"
    per_page: int = Field(default=1000, ge=1, le=2000)
    max_concurrency: int = Field(default=4, ge=1, le=16)
    #: The longest one rate-limit wait may last; a longer one stops the pull resumably
    #: (`tieout pull --resume`). A quarter of an hour rides out most of an hour's tail.
    max_wait_minutes: float = Field(default=15, ge=0, le=24 * 60)
    #: Share of the hourly rate-limit budget left to the company's other integrations.
    reserve_share: Decimal = Field(default=Decimal("0.20"), ge=0, lt=1)
    #: The Procore projects' currency (ISO 4217): ERP amounts in another are not compared.
    currency: str = "USD"

    _urls = field_validator("base_url", "login_url", mode="before")(check_url)

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        import pycountry

        found = pycountry.currencies.get(alpha_3=value)
        if found is None:
            raise ValueError(f'{value!r} is not an ISO 4217 currency code (e.g. "USD")')
        return str(found.alpha_3)  # upper case, as every ERP writes it


class ErpBase(Section):
    """What every ``[erp]`` section has, whatever its kind: the kind, where it is, who Tieout is there.

    Each ERP kind's settings model subclasses this (``kind`` as a ``Literal``), so the profile
    picks the model by ``kind`` and the engine asks any of them for its declaration.
    """

    kind: str
    base_url: str

    @property
    def shape(self) -> ErpShape:
        """The ERP kind's declaration: its project key, dimensions and keys (``adapters.erp_shape``)."""
        return shape_for(self.kind, self)

    @property
    def principal(self) -> str:
        """Who Tieout signs in as (a user or client id), for prompts and error sentences."""
        for name in ("client_id", "username"):
            value = getattr(self, name, None)
            if value:
                return str(value)
        return "?"


class ErpSettings(ErpBase):
    """``kind = "sap-s4"``: SAP S/4HANA over OData V2."""

    kind: Literal["sap-s4"]
    base_url: str
    token_url: str | None = None
    auth: Literal["oauth2", "basic"] = "oauth2"
    client_id: str
    sap_client: str | None = None
    company_code: str | None = None
    page_size: int = Field(default=1000, ge=1, le=5000)
    fiscal_year: str | None = None
    #: How far before the newest change stamp an incremental pull reads again (a late commit).
    delta_overlap_minutes: int = Field(default=5, ge=0, le=1440)

    _urls = field_validator("base_url", "token_url", mode="before")(check_url)


def kind_problem(kind: object) -> str | None:
    """Why ``kind`` cannot be pulled by this build, or None when it can."""
    if kind in ERP_ADAPTERS:
        return None
    available = ", ".join(f'"{k}"' for k in ERP_ADAPTERS)
    if kind in ERP_KINDS_PLANNED:
        return f'"{kind}" has no adapter in this build of Tieout yet; available: {available}'
    return f"{kind!r} is not an ERP kind Tieout knows; available: {available}".replace("'", '"')
