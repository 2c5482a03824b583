"""The Procore writes ``reconcile.push`` makes (issue 5), and the look-ups that make them safe.

Every create carries ``origin_id`` (the ERP key), so a push that crashed or timed out
is resolved by looking the record up by ``origin_id`` before trying again, never by
re-sending blindly; ``ProcoreClient.request`` does not retry writes Procore may have
acted on. Sync endpoints answer 200 even when records fail, so their ``errors`` come
back to the caller as data for the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.base import ResponseError
from adapters.procore.client import ProcoreClient

V = "/rest/v1.0"


@dataclass
class SyncResult:
    """What a ``…/sync`` call did: the records written and the ones Procore refused."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


class ProcoreWrites:
    """Writes and read-before-write look-ups against one company."""

    def __init__(self, client: ProcoreClient) -> None:
        self.client = client
        self.company_id = client.settings.company_id

    def __repr__(self) -> str:
        return f"ProcoreWrites(company_id={self.company_id})"

    async def _json(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        resp = await self.client.request(method, path, resource="push", params=params, json=body)
        return self.client.decode(resp, path)

    async def _object(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        out = await self._json(method, path, **kw)
        if not isinstance(out, dict):
            raise ResponseError(f"Procore's answer from {path} is not a record.")
        return out

    async def _sync(self, path: str, *, params: dict[str, Any] | None = None, body: Any) -> SyncResult:
        out = await self._object("PATCH", path, params=params, body=body)
        entities, errors = out.get("entities", []), out.get("errors", [])
        if not isinstance(entities, list) or not isinstance(errors, list):
            raise ResponseError(f"Procore's answer from {path} has no entities/errors lists.")
        return SyncResult(entities, errors)

    async def _all(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        async for page, _ in self.client.pages(path, resource="push", params=params):
            out += [r for r in page if isinstance(r, dict)]
        return out

    # -- vendors ------------------------------------------------------------------------
    async def get_vendor(self, vendor_id: int) -> dict[str, Any]:
        return await self._object("GET", f"{V}/vendors/{vendor_id}", params={"company_id": self.company_id})

    async def find_vendors(self, origin_id: str) -> list[dict[str, Any]]:
        """Vendors whose ``origin_id`` is the ERP supplier number (at most one, Procore keeps it unique)."""
        params = {"company_id": self.company_id, "filters[origin_id]": origin_id}
        return await self._all(f"{V}/vendors", params)

    async def create_vendor(self, fields: dict[str, Any]) -> dict[str, Any]:
        body = {"company_id": self.company_id, "vendor": fields}
        return await self._object("POST", f"{V}/vendors", body=body)

    async def update_vendor(self, vendor_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        body = {"company_id": self.company_id, "vendor": fields}
        return await self._object("PATCH", f"{V}/vendors/{vendor_id}", body=body)

    async def sync_vendors(self, updates: list[dict[str, Any]]) -> SyncResult:
        """Upsert by ``id`` or ``origin_id``; sending both links an existing vendor to its ERP key."""
        return await self._sync(f"{V}/vendors/sync", body={"company_id": self.company_id, "updates": updates})

    # -- purchase order contracts ---------------------------------------------------------
    async def get_purchase_order_contract(self, project_id: int, contract_id: int) -> dict[str, Any]:
        return await self._object(
            "GET", f"{V}/purchase_order_contracts/{contract_id}", params={"project_id": project_id}
        )

    async def find_purchase_order_contracts(self, project_id: int, origin_id: str) -> list[dict[str, Any]]:
        params = {"project_id": project_id, "filters[origin_id]": origin_id}
        return await self._all(f"{V}/purchase_order_contracts", params)

    async def create_purchase_order_contract(
        self, project_id: int, fields: dict[str, Any], line_items: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], SyncResult]:
        """Create the contract, then its lines in one sync (Procore's create takes no lines)."""
        body = {"project_id": project_id, "purchase_order_contract": fields}
        contract = await self._object("POST", f"{V}/purchase_order_contracts", body=body)
        lines = (
            await self.sync_line_items(project_id, int(contract["id"]), line_items)
            if line_items
            else SyncResult()
        )
        return contract, lines

    async def line_items(self, project_id: int, contract_id: int) -> list[dict[str, Any]]:
        return await self._all(
            f"{V}/purchase_order_contracts/{contract_id}/line_items", {"project_id": project_id}
        )

    async def update_line_item(
        self, project_id: int, contract_id: int, line_id: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        path = f"{V}/purchase_order_contracts/{contract_id}/line_items/{line_id}"
        return await self._object("PATCH", path, body={"project_id": project_id, "line_item": fields})

    async def sync_line_items(
        self, project_id: int, contract_id: int, updates: list[dict[str, Any]]
    ) -> SyncResult:
        path = f"{V}/purchase_order_contracts/{contract_id}/line_items/sync"
        return await self._sync(path, params={"project_id": project_id}, body={"updates": updates})
