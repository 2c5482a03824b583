"""The ``[erp]`` section for ``kind = "sap-ecc"`` (shared/interfaces.md section 6)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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
