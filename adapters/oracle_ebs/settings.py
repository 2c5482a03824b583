"""``OracleEbsSettings``: the ``[erp]`` keys of a profile with ``kind = "oracle-ebs"``.

The contract (shared/interfaces.md section 6) names them. ``reconcile/profile.py``
still types ``[erp]`` as SAP-shaped; the seam wave will make it a union that includes
this model. Segment columns, their names and the alias come from the profile only:
no code default guesses a customer's chart of accounts.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from adapters.settings import ErpBase

_SEGMENT = re.compile(r"^SEGMENT([1-9]|[12][0-9]|30)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Column names the canonical ERP tables already use; a segment may not shadow them.
_RESERVED = {"erp_project", "task", "amount", "currency", "po_number", "item", "quantity", "description"}


class OracleEbsSettings(ErpBase):
    """Where the EBS instance is, whom Tieout logs in as, and in which application context."""

    kind: Literal["oracle-ebs"] = "oracle-ebs"
    #: The OAFM web entry point, e.g. ``https://ebs.example.com:4443`` (ISG REST lives under /webservices/rest).
    base_url: str
    #: The EBS user (FND_USER.USER_NAME); the secret is its password.
    username: str
    #: RESTHeader ``Responsibility``: the responsibility *key* (FND_RESPONSIBILITY.RESPONSIBILITY_KEY).
    responsibility: str
    #: RESTHeader ``RespApplication``: the application short name of that responsibility.
    resp_application: str
    #: RESTHeader ``SecurityGroup``: the security group key, usually ``STANDARD``.
    security_group: str
    #: RESTHeader ``NLSLanguage``, e.g. ``AMERICAN``.
    nls_language: str
    #: RESTHeader ``Org_Id``: the operating unit pulled (HR_OPERATING_UNITS.ORGANIZATION_ID).
    org_id: str
    #: The ledger the journal push writes to (GL_LEDGERS.LEDGER_ID).
    ledger_id: str
    #: The ISG alias the XX_TIEOUT_READ package is deployed under.
    alias: str = "xx_tieout"
    #: The ISG alias of XX_TIEOUT_WRITE (one alias per deployed package).
    write_alias: str = "xx_tieout_write"
    #: GL_CODE_COMBINATIONS column → dimension name, in the order the profile lists them.
    segments: dict[str, str]
    #: P_LIMIT asked per call; the server may answer fewer rows.
    page_size: int = Field(default=500, ge=1, le=5000)
    #: Incremental reads start this many minutes before the last high-water stamp.
    overlap_minutes: int = Field(default=5, ge=0, le=24 * 60)
    #: GL_JE_SOURCES.USER_JE_SOURCE_NAME and GL_JE_CATEGORIES.USER_JE_CATEGORY_NAME of pushed journals.
    journal_source: str = "Tieout"
    journal_category: str = "Adjustment"
    #: The credit side of a pushed cost journal (column → value), e.g. an accrual clearing account.
    offset_segments: dict[str, str] = Field(default_factory=dict)
    #: Journal values for chart-of-accounts columns the profile does not name (e.g. {SEGMENT1 = "01"}).
    fixed_segments: dict[str, str] = Field(default_factory=dict)
    #: Journal Import status polls: seconds between polls and the most seconds to wait in all.
    poll_seconds: float = Field(default=10.0, ge=0)
    poll_max_seconds: float = Field(default=900.0, gt=0)

    @field_validator("org_id", "ledger_id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> object:
        # TOML users write ids as numbers; the wire carries every value as a string.
        if isinstance(value, bool):
            raise ValueError("expected an id such as 204")
        return str(value) if isinstance(value, int) else value

    @field_validator("segments")
    @classmethod
    def _segments(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError('name at least one segment, e.g. {SEGMENT2 = "account"}')
        seen: set[str] = set()
        for column, name in value.items():
            if not _SEGMENT.match(column):
                raise ValueError(f"{column!r} is not a GL_CODE_COMBINATIONS column (SEGMENT1 to SEGMENT30)")
            if not _NAME.match(name):
                raise ValueError(f"segment name {name!r} must be lower case letters, digits and _")
            if name in _RESERVED:
                raise ValueError(f"segment name {name!r} is taken by a canonical column")
            if name in seen:
                raise ValueError(f"segment name {name!r} is given twice")
            seen.add(name)
        return value

    @model_validator(mode="after")
    def _journal_columns(self) -> OracleEbsSettings:
        for key, columns in (
            ("offset_segments", self.offset_segments),
            ("fixed_segments", self.fixed_segments),
        ):
            bad = [c for c in columns if not _SEGMENT.match(c)]
            if bad:
                raise ValueError(f"{key} names {bad[0]!r}, which is not a column SEGMENT1 to SEGMENT30")
        named = [c for c in self.fixed_segments if c in self.segments]
        if named:
            raise ValueError(
                f"fixed_segments names {named[0]!r}, which segments already names; a journal takes it from the mapping"
            )
        return self

    @property
    def segment_names(self) -> list[str]:
        """The dimension names in profile order (the columns of ``cost_codes.csv`` before ``task``)."""
        return list(self.segments.values())

    @property
    def project_segment(self) -> str | None:
        """The segment column the profile names ``project``, if any (the fallback for ``erp_project``)."""
        for column, name in self.segments.items():
            if name == "project":
                return column
        return None
