"""The per-system settings models (the ``[procore]`` and ``[erp]`` sections of a profile).

They live under ``adapters`` because the adapters take them as constructor arguments; the
profile (``reconcile.profile``) composes them. So adapters import nothing from ``reconcile``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters.erp_shape import ErpShape, shape_for


class Section(BaseModel):
    """A profile section: unknown keys are refused (a typo must not fall back to a default)."""

    model_config = ConfigDict(extra="forbid")


class ProcoreSettings(Section):
    base_url: str = "https://api.procore.com"
    login_url: str = "https://login.procore.com"
    company_id: int
    client_id: str
    projects: Literal["active"] | list[str] = "active"
    budget_view: str = "Procore Standard Budget"
    per_page: int = Field(default=1000, ge=1, le=2000)
    max_concurrency: int = Field(default=4, ge=1, le=16)
    #: Share of the hourly rate-limit budget left to the company's other integrations.
    reserve_share: Decimal = Field(default=Decimal("0.20"), ge=0, lt=1)
    #: The Procore projects' currency (ISO 4217): ERP amounts in another are not compared.
    currency: str = "USD"

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        import pycountry

        found = pycountry.currencies.get(alpha_3=value)
        if found is None:
            raise ValueError(f'{value!r} is not an ISO 4217 currency code (e.g. "USD")')
        return str(found.alpha_3)  # upper case, as every ERP writes it


class ErpSettings(Section):
    kind: Literal["sap-s4", "sap-ecc", "oracle-ebs", "peoplesoft"]
    base_url: str
    token_url: str | None = None
    auth: Literal["oauth2", "basic"] = "oauth2"
    client_id: str
    sap_client: str | None = None
    company_code: str | None = None
    page_size: int = Field(default=1000, ge=1, le=5000)
    fiscal_year: str | None = None

    @property
    def shape(self) -> ErpShape:
        """The ERP kind's declaration: its project key, dimensions and keys (``adapters.erp_shape``)."""
        return shape_for(self.kind, self)
