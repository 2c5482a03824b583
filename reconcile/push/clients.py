"""The HTTP clients a push uses, made lazily from the profile and its secrets.

Writes go through the adapters' own clients (``ProcoreClient.request``, the ERP port's
client such as ``SapPush``), so a push gets the same auth, company header, CSRF handling,
412/428 mapping and 403 sentences as a pull.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.procore.client import ProcoreClient
from adapters.sap.push import SapPush
from adapters.settings import ErpSettings
from reconcile.profile import Profile
from reconcile.push.erp_ports import port_for
from reconcile.push.model import PushError
from reconcile.secrets import Secret, get_secret

V = "/rest/v1.0"


class PushClients:
    """One Procore client and one ERP client per push session; close with ``aclose``."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._procore: ProcoreClient | None = None
        self._erp: Any = None

    @property
    def procore(self) -> ProcoreClient:
        if self._procore is None:
            secret: Secret = get_secret(self.profile.name, "procore")
            self._procore = ProcoreClient(self.profile.procore, secret, max_retries=2)
        return self._procore

    @property
    def erp(self) -> Any:
        """The ERP's client(s), made by its push port (``erp_ports``): SAP ``SapPush``, EBS ``EbsJournalPush``."""
        if self._erp is None:
            self._erp = port_for(self.profile.erp.kind).source.clients(self.profile)
        return self._erp

    @property
    def sap(self) -> SapPush:
        """The SAP writer (the SAP planners' typed view of ``erp``)."""
        if not isinstance(self.profile.erp, ErpSettings):
            raise PushError(
                f"Pushing to an ERP of kind {self.profile.erp.kind!r} goes through its own adapter, not SAP's."
            )
        client = self.erp
        assert isinstance(client, SapPush)
        return client

    def base_urls(self) -> dict[str, str]:
        return {
            "procore": self.profile.procore.base_url.rstrip("/"),
            # A people-only profile has no ERP (its pushes all go to Procore).
            "erp": self.profile.erp_section.base_url.rstrip("/") if self.profile.erp_section else "",
        }

    async def aclose(self) -> None:
        if self._procore is not None:
            await self._procore.aclose()
        if self._erp is not None:
            await self._erp.aclose()

    # -- Procore reads a push needs ------------------------------------------------------
    @property
    def company(self) -> dict[str, str]:
        return {"company_id": str(self.profile.procore.company_id)}

    async def procore_get(self, path: str, params: dict[str, str]) -> Any:
        return await self.procore.get_json(path, resource="push", params=params)

    async def procore_find(self, path: str, params: dict[str, str], origin_id: str) -> dict[str, Any] | None:
        """The record whose ``origin_id`` is ``origin_id`` (``filters[origin_id]``), if any."""
        query = {**params, "filters[origin_id]": origin_id}
        async for page, _ in self.procore.pages(path, resource="push", params=query):
            for rec in page:
                if isinstance(rec, dict) and str(rec.get("origin_id")) == origin_id:
                    return rec
        return None

    async def procore_record_in_list(
        self, path: str, params: dict[str, str], record_id: int
    ) -> dict[str, Any] | None:
        """A record read from its list endpoint (line items have no reliable single-record read)."""
        async for page, _ in self.procore.pages(path, resource="push", params=params):
            for rec in page:
                if isinstance(rec, dict) and rec.get("id") == record_id:
                    return rec
        return None


def stamp(value: Any) -> str | None:
    """A Procore ``updated_at`` (wire text or datetime) as one comparable UTC text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat()
