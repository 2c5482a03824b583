"""What a push needs of ECC: one PO or supplier read live, the item as the write will find it,
an earlier attempt's PO found by its reference, and the two BAPI writes (``writes.py``).

Live reads go through RFC_READ_TABLE like the pull and are canonicalised by the pull's own
``canonical`` functions, so a live PO compares with the snapshot exactly as the diff does.
One ``EccPush`` is one SOAP session: the BAPI and its ``BAPI_TRANSACTION_COMMIT`` share it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import polars as pl

from adapters.base import RawReader
from adapters.sap_ecc import canonical as c
from adapters.sap_ecc.adapter import (
    CURRENCIES,
    EKKN_FIELDS,
    EKKO_FIELDS,
    EKPO_FIELDS,
    POS,
    PROJECTS,
    VENDORS,
    WBS,
    po_trees,
)
from adapters.sap_ecc.client import EccClient
from adapters.sap_ecc.reads import read_table
from adapters.sap_ecc.settings import SapEccSettings
from adapters.sap_ecc.values import amount, quote
from adapters.sap_ecc.writes import ItemChange, change_po, create_po
from adapters.secret import Secret

#: The LIFNR, SAKTO, KOSTL domains are ALPHA-converted: digits are stored padded to 10.
ALPHA_WIDTH = 10


def alpha(value: str) -> str:
    """A number as SAP stores it (``1000031`` → ``0001000031``); other values unchanged."""
    return value.zfill(ALPHA_WIDTH) if value.isdigit() else value


def _reader(tables: dict[str, list[dict[str, Any]]]) -> RawReader:
    return lambda resource: [("live", row) for row in tables.get(resource, [])]


class EccPush:
    """The ECC side of a push session; close with ``aclose``."""

    def __init__(
        self, settings: SapEccSettings, secret: Secret | Callable[[], str], **client_options: Any
    ) -> None:
        self.settings = settings
        reveal = secret.reveal if isinstance(secret, Secret) else secret
        self.client = EccClient(settings, reveal, **client_options)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _read(
        self, table: str, keys: list[str], fields: list[str], where: list[str]
    ) -> list[dict[str, str]]:
        return await read_table(
            self.client, table, keys=keys, fields=fields, where=where, page_size=self.settings.page_size
        )

    # -- reads ---------------------------------------------------------------------------
    async def po_tree(self, po: str) -> dict[str, Any] | None:
        """EKKO with its EKPO items and their EKKN assignments, of the profile's company code."""
        sel = [f"EBELN = {quote(po)}"]
        heads = await self._read(
            "EKKO", ["EBELN"], EKKO_FIELDS, [*sel, f"BUKRS = {quote(self.settings.company_code)}"]
        )
        if not heads:
            return None
        items = await self._read("EKPO", ["EBELN", "EBELP"], EKPO_FIELDS, sel)
        accounts = await self._read("EKKN", ["EBELN", "EBELP", "ZEKKN"], EKKN_FIELDS, sel)
        return po_trees(heads, items, accounts).get(po)

    async def _context(self, tree: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """The PRPS rows and TCURX row a tree's canonical lines need."""
        numbers = sorted(
            {
                str(a.get("PS_PSP_PNR") or "").strip()
                for i in tree.get("items") or []
                for a in i.get("accounts") or []
                if str(a.get("PS_PSP_PNR") or "").strip().strip("0")
            }
        )
        prps = (
            await self._read(
                "PRPS",
                ["PSPNR"],
                ["POSID", "PSPHI", "STUFE", "PBUKR"],
                [f"PSPNR IN ( {' , '.join(quote(n) for n in numbers)} )"],
            )
            if numbers
            else []
        )
        waers = str(tree.get("WAERS") or "").strip()
        tcurx = await self._currency(waers) if waers else []
        return {WBS: prps, CURRENCIES: tcurx, PROJECTS: []}

    async def _currency(self, waers: str) -> list[dict[str, str]]:
        from adapters.base import ResponseError

        try:
            return await self._read("TCURX", ["CURRKEY"], ["CURRDEC"], [f"CURRKEY = {quote(waers)}"])
        except ResponseError:
            return []

    async def purchase_order(self, po: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The PO's ``erp_commitments`` head and ``erp_commitment_lines`` now (empty when absent)."""
        return await self._frames(await self.po_tree(po))

    async def _frames(self, tree: dict[str, Any] | None) -> tuple[pl.DataFrame, pl.DataFrame]:
        tables = await self._context(tree) if tree is not None else {}
        tables[POS] = [tree] if tree is not None else []
        raw = _reader(tables)
        wbs, money = c.WbsIndex(raw, self.settings.company_code), c.Amounts(raw)
        heads, lines = c.po_frames(tables[POS], wbs, money)
        return c.frame("erp_commitments", heads), c.frame("erp_commitment_lines", lines)

    async def supplier_name(self, supplier: str) -> str | None:
        """The vendor's canonical name now (NAME1–NAME4 joined); None when LFA1 has no such vendor."""
        rows = await self._read(
            "LFA1", ["LIFNR"], ["NAME1", "NAME2", "NAME3", "NAME4", "LOEVM", "SPERR", "SPERM"],
            [f"LIFNR = {quote(alpha(supplier))}"],
        )  # fmt: skip
        frame = c.vendors(_reader({VENDORS: rows}))
        return str(frame["name"][0]) if frame.height and frame["name"][0] is not None else None

    async def item_now(self, po: str, item: str) -> dict[str, Any] | None:
        """One item as a write will find it: its stamp (``canonical.line_stamp``: EKKO-AEDAT, the
        item's change date and values), its values, and the WBS element of its largest share."""
        tree = await self.po_tree(po)
        node = next((i for i in (tree or {}).get("items") or [] if str(i.get("EBELP")) == item), None)
        if tree is None or node is None:
            return None
        _head, lines = await self._frames(tree)
        line = lines.filter(pl.col("item") == item)
        live = [a for a in node.get("accounts") or [] if not str(a.get("LOEKZ") or "").strip()]
        return {
            "stamp": c.line_stamp(tree, node),
            "deleted": str(node.get("LOEKZ") or "").strip() == "L",
            "quantity": amount(str(node.get("MENGE") or "")),
            "net_price": line["net_price"][0] if line.height else None,
            "price_unit": amount(str(node.get("PEINH") or "")) or Decimal(1),
            "amount": line["amount"][0] if line.height else None,
            "currency": str(tree.get("WAERS") or "").strip() or None,
            "wbs_element": line["wbs_element"][0] if line.height else None,
            "assignments": [str(a.get("ZEKKN") or "") for a in live],
        }

    async def find_po(self, reference: str) -> str | None:
        """The PO of the profile's company code whose EKKO-UNSEZ (BAPI ``OUR_REF``) is ``reference``."""
        rows = await self._read(
            "EKKO", ["EBELN"], ["UNSEZ"],
            [f"BUKRS = {quote(self.settings.company_code)}", f"UNSEZ = {quote(reference)}"],
        )  # fmt: skip
        return min((r["EBELN"] for r in rows), default=None)

    # -- writes (each commits in this session, or nothing is committed) -------------------------
    async def change(self, po: str, changes: list[ItemChange]) -> list[str]:
        return await change_po(self.client, po, changes)

    async def create(
        self, header: dict[str, Any], items: list[dict[str, Any]], accounts: list[dict[str, Any]]
    ) -> str:
        return await create_po(self.client, header, items, accounts)
