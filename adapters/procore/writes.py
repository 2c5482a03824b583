"""The Procore writes ``reconcile.push`` makes, and the look-ups that make them safe.

The wire shape of each write (method, path, query, body) is built here once, as a
``PlannedWrite``: a push plan shows it to the analyst and sends exactly it, and
``ProcoreWrites`` sends the same shapes directly.

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
VENDORS = f"{V}/vendors"
PURCHASE_ORDER_CONTRACTS = f"{V}/purchase_order_contracts"


@dataclass(frozen=True)
class PlannedWrite:
    """One write as it will be sent. ``path`` may hold ``{contract_id}`` until a create answers."""

    method: str  # "POST" | "PATCH"
    path: str
    params: dict[str, str]
    body: dict[str, Any]


# -- the wire shape of each write (company-level writes name the company in the query, as
# -- reads do, and in the body, where Procore's create and sync documents require it) ---------
def create_vendor(company_id: int, fields: dict[str, Any]) -> PlannedWrite:
    """Create a vendor (``fields`` carries ``origin_id``, the ERP supplier number)."""
    return PlannedWrite(
        "POST", VENDORS, {"company_id": str(company_id)}, {"company_id": company_id, "vendor": fields}
    )


def update_vendor(company_id: int, vendor_id: int, fields: dict[str, Any]) -> PlannedWrite:
    return PlannedWrite(
        "PATCH",
        f"{VENDORS}/{vendor_id}",
        {"company_id": str(company_id)},
        {"company_id": company_id, "vendor": fields},
    )


def sync_vendors(company_id: int, updates: list[dict[str, Any]]) -> PlannedWrite:
    """Upsert by ``id`` or ``origin_id``; sending both links an existing vendor to its ERP key."""
    return PlannedWrite(
        "PATCH",
        f"{VENDORS}/sync",
        {"company_id": str(company_id)},
        {"company_id": company_id, "updates": updates},
    )


def create_purchase_order_contract(project_id: int, fields: dict[str, Any]) -> PlannedWrite:
    """Create a purchase order contract (Procore's create takes no lines: sync them next)."""
    return PlannedWrite(
        "POST",
        PURCHASE_ORDER_CONTRACTS,
        {"project_id": str(project_id)},
        {"project_id": project_id, "purchase_order_contract": fields},
    )


def line_items_path(contract_id: int | str, kind: str = "purchase_order") -> str:
    """A contract's line items (``kind``: ``purchase_order`` or ``work_order``)."""
    return f"{V}/{kind}_contracts/{contract_id}/line_items"


def update_line_item(
    project_id: int, contract_id: int, line_id: int, fields: dict[str, Any], kind: str = "purchase_order"
) -> PlannedWrite:
    return PlannedWrite(
        "PATCH",
        f"{line_items_path(contract_id, kind)}/{line_id}",
        {"project_id": str(project_id)},
        {"project_id": project_id, "line_item": fields},
    )


def sync_line_items(
    project_id: int, contract_id: int | str, updates: list[dict[str, Any]], kind: str = "purchase_order"
) -> PlannedWrite:
    """Upsert a contract's lines by ``id`` or ``origin_id`` (``contract_id`` may be ``{contract_id}``)."""
    return PlannedWrite(
        "PATCH",
        f"{line_items_path(contract_id, kind)}/sync",
        {"project_id": str(project_id)},
        {"updates": updates},
    )


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

    async def send(self, write: PlannedWrite) -> dict[str, Any]:
        """Send one planned write once; the answer as a record."""
        return await self._object(write.method, write.path, params=write.params, body=write.body)

    async def _sync(self, write: PlannedWrite) -> SyncResult:
        out = await self.send(write)
        entities, errors = out.get("entities", []), out.get("errors", [])
        if not isinstance(entities, list) or not isinstance(errors, list):
            raise ResponseError(f"Procore's answer from {write.path} has no entities/errors lists.")
        return SyncResult(entities, errors)

    async def _all(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        async for page, _ in self.client.pages(path, resource="push", params=params):
            out += [r for r in page if isinstance(r, dict)]
        return out

    # -- vendors ------------------------------------------------------------------------
    async def get_vendor(self, vendor_id: int) -> dict[str, Any]:
        return await self._object("GET", f"{VENDORS}/{vendor_id}", params={"company_id": self.company_id})

    async def find_vendors(self, origin_id: str) -> list[dict[str, Any]]:
        """Vendors whose ``origin_id`` is the ERP supplier number (at most one, Procore keeps it unique)."""
        params = {"company_id": self.company_id, "filters[origin_id]": origin_id}
        return await self._all(VENDORS, params)

    async def create_vendor(self, fields: dict[str, Any]) -> dict[str, Any]:
        return await self.send(create_vendor(self.company_id, fields))

    async def update_vendor(self, vendor_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return await self.send(update_vendor(self.company_id, vendor_id, fields))

    async def sync_vendors(self, updates: list[dict[str, Any]]) -> SyncResult:
        """Upsert by ``id`` or ``origin_id``; sending both links an existing vendor to its ERP key."""
        return await self._sync(sync_vendors(self.company_id, updates))

    # -- purchase order contracts ---------------------------------------------------------
    async def get_purchase_order_contract(self, project_id: int, contract_id: int) -> dict[str, Any]:
        return await self._object(
            "GET", f"{PURCHASE_ORDER_CONTRACTS}/{contract_id}", params={"project_id": project_id}
        )

    async def find_purchase_order_contracts(self, project_id: int, origin_id: str) -> list[dict[str, Any]]:
        params = {"project_id": project_id, "filters[origin_id]": origin_id}
        return await self._all(PURCHASE_ORDER_CONTRACTS, params)

    async def create_purchase_order_contract(
        self, project_id: int, fields: dict[str, Any], line_items: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], SyncResult]:
        """Create the contract, then its lines in one sync (Procore's create takes no lines)."""
        contract = await self.send(create_purchase_order_contract(project_id, fields))
        lines = (
            await self.sync_line_items(project_id, int(contract["id"]), line_items)
            if line_items
            else SyncResult()
        )
        return contract, lines

    async def line_items(self, project_id: int, contract_id: int) -> list[dict[str, Any]]:
        return await self._all(line_items_path(contract_id), {"project_id": project_id})

    async def update_line_item(
        self, project_id: int, contract_id: int, line_id: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.send(update_line_item(project_id, contract_id, line_id, fields))

    async def sync_line_items(
        self, project_id: int, contract_id: int, updates: list[dict[str, Any]]
    ) -> SyncResult:
        return await self._sync(sync_line_items(project_id, contract_id, updates))
