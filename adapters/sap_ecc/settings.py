"""The ``[erp]`` section for ``kind = "sap-ecc"`` (shared/interfaces.md section 6)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from adapters.settings import ErpBase


class SapEccSettings(ErpBase):
    """Where the SOAMANAGER binding is, who calls it, and which company code counts."""

    kind: Literal["sap-ecc"] = "sap-ecc"
    base_url: str
    #: The binding's WSDL link as SOAMANAGER shows it; fetched with the same Basic auth.
    wsdl_url: str
    username: str
    sap_client: str = "100"
    company_code: str
    #: ROWCOUNT per RFC_READ_TABLE call: the module returns at most 1,000 rows a call.
    page_size: int = Field(default=1000, ge=1, le=1000)
    #: EKPO-AEDAT is a date: the next incremental pull re-reads this many days before the last one.
    overlap_days: int = Field(default=1, ge=0, le=31)
    #: What a PO Tieout creates (BAPI_PO_CREATE1) takes that Procore does not say: the
    #: purchasing organisation and group (required), and optionally the plant and material group
    #: of its items, e.g. ``{PURCH_ORG = "1000", PUR_GROUP = "001", PLANT = "1000"}``.
    create_defaults: dict[str, str] = Field(default_factory=dict)

    @field_validator("create_defaults")
    @classmethod
    def _known_defaults(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(CREATE_DEFAULTS))
        if unknown:
            raise ValueError(f"create_defaults takes {', '.join(CREATE_DEFAULTS)}; not {', '.join(unknown)}")
        return value


#: BAPI_PO_CREATE1 fields ``create_defaults`` may set: header (POHEADER) then item (POITEM) fields.
CREATE_HEADER_DEFAULTS = ("PURCH_ORG", "PUR_GROUP")
CREATE_DEFAULTS = (*CREATE_HEADER_DEFAULTS, "PLANT", "MATL_GROUP")
