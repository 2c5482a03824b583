"""The ``[erp]`` section for ``kind = "peoplesoft"`` (shared/interfaces.md section 6).

PeopleSoft is self-hosted: every customer has its own host, port and Integration Broker
node, so ``base_url`` has no default and must reach up to the node.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from adapters.settings import ErpBase

CONNECTOR = "/PSIGW/RESTListeningConnector/"


class PeopleSoftSettings(ErpBase):
    """Where the node is, how to authenticate, and which business unit, SETID and ledger count."""

    kind: Literal["peoplesoft"] = "peoplesoft"
    #: ``https://host:port/PSIGW/RESTListeningConnector/<NODE>``
    base_url: str
    #: PeopleTools 8.58+ can verify OAuth2 tokens; older releases take Basic (OPRID + password).
    auth: Literal["basic", "oauth2"] = "basic"
    username: str | None = None  # the OPRID, for basic
    token_url: str | None = None  # for oauth2
    client_id: str | None = None  # for oauth2
    business_unit: str
    setid: str
    ledger: str = "ACTUALS"
    #: LIMIT per request; the handler may answer fewer rows and says MORE = Y.
    page_size: int = Field(default=500, ge=1, le=5000)
    #: The next incremental window starts this many minutes before the last one ended, so a
    #: row committed late with an earlier LASTUPDDTTM is still read.
    overlap_minutes: int = Field(default=5, ge=0, le=24 * 60)
    #: The account (and optionally department) that balances a journal Tieout posts for a
    #: Procore cost PeopleSoft lacks, e.g. an accrued-liabilities clearing account. Without it
    #: no journal is pushed: the plan says to set it.
    journal_offset_account: str | None = None
    journal_offset_deptid: str | None = None

    @field_validator("base_url")
    @classmethod
    def _up_to_the_node(cls, value: str) -> str:
        value = value.rstrip("/")
        head, sep, node = value.partition(CONNECTOR)
        if not sep or not node or "/" in node:
            raise ValueError(
                "must reach up to the Integration Broker node: "
                "https://host:port/PSIGW/RESTListeningConnector/<NODE>"
            )
        return value

    @model_validator(mode="after")
    def _auth_keys(self) -> PeopleSoftSettings:
        if self.auth == "basic" and not self.username:
            raise ValueError('auth = "basic" needs `username` (the OPRID)')
        if self.auth == "oauth2" and not (self.token_url and self.client_id):
            raise ValueError('auth = "oauth2" needs `token_url` and `client_id`')
        return self

    @property
    def node(self) -> str:
        """The Integration Broker node the URL names (for messages to the admin)."""
        return self.base_url.rsplit("/", 1)[-1]

    @property
    def principal(self) -> str:
        """Who Tieout authenticates as, for error sentences."""
        return (self.username if self.auth == "basic" else self.client_id) or "?"
