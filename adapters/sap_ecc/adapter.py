"""``EccAdapter``: which ECC tables a pull reads through RFC_READ_TABLE, and which incrementally.

Incremental rule: the item change date EKPO-AEDAT is ECC's only usable change stamp for
purchase orders, and it is a date. An incremental pull asks for the items of the company
code changed on or after the last pull's date less ``overlap_days``, then reads the whole
tree (EKKO, all of its EKPO items, their EKKN assignments) of every PO they belong to, so
a PO lands in the snapshot whole, keyed by its number. Vendors, projects, WBS elements,
budgets and the CO totals carry no change stamp worth trusting and are read in full.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from adapters.base import Cancelled, PlanRow, PreviousPull, Progress, PullSink, RawReader, ResponseError
from adapters.sap_ecc.client import EccClient
from adapters.sap_ecc.reads import read_table
from adapters.sap_ecc.settings import SapEccSettings
from adapters.sap_ecc.values import dats_literal, quote
from adapters.secret import Secret

SCOPE = "table"
#: high-water key: the day the last complete pull started (UTC), ``YYYY-MM-DD``.
LAST_DAY = "ekpo_aedat"
#: How many PO numbers one ``EBELN IN (...)`` selection carries.
IN_CHUNK = 50

VENDORS, PROJECTS, WBS, POS, BUDGETS, ACTUALS, CURRENCIES = (
    "LFA1",
    "PROJ",
    "PRPS",
    "EKKO",
    "BPGE",
    "COSP",
    "TCURX",
)

EKKO_FIELDS = ["BUKRS", "BSTYP", "BSART", "LOEKZ", "AEDAT", "LIFNR", "WAERS", "UNSEZ"]
EKPO_FIELDS = [
    "LOEKZ",
    "AEDAT",
    "TXZ01",
    "BUKRS",
    "MENGE",
    "MEINS",
    "NETPR",
    "PEINH",
    "NETWR",
    "KNTTP",
    "VRTKZ",
]
EKKN_FIELDS = ["LOEKZ", "SAKTO", "KOSTL", "PS_PSP_PNR", "MENGE", "VPROZ", "NETWR"]
_BPGE_KEY = ["LEDNR", "OBJNR", "POSIT", "TRGKZ", "WRTTP", "GEBER", "VERSN", "VORGA", "TWAER"]
_COSP_KEY = [
    "LEDNR",
    "OBJNR",
    "GJAHR",
    "WRTTP",
    "VERSN",
    "KSTAR",
    "HRKFT",
    "VRGNG",
    "VBUND",
    "PARGB",
    "BEKNZ",
    "TWAER",
    "PERBL",
]
_WTG = [f"WTG{i:03d}" for i in range(1, 17)]


def _key(*fields: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: "/".join(str(row.get(f, "")) for f in fields)


class EccAdapter:
    """The ECC side of a pull (``SourceAdapter`` with ``source="erp"``)."""

    source = "erp"
    resources = (VENDORS, PROJECTS, WBS, POS, BUDGETS, ACTUALS, CURRENCIES)

    def __init__(
        self,
        settings: SapEccSettings,
        secret: Secret | Callable[[], str],
        *,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        **client_options: Any,
    ) -> None:
        self.settings = settings
        # The client asks for the password per request (Basic auth), so it holds a function.
        reveal = secret.reveal if isinstance(secret, Secret) else secret
        self.client = EccClient(settings, reveal, **client_options)
        self._today = today

    def since(self, previous: PreviousPull | None, full: bool) -> date | None:
        """The first EKPO-AEDAT an incremental pull asks for; None on a full pull."""
        if full or previous is None or not previous.high_water.get(LAST_DAY):
            return None
        return date.fromisoformat(str(previous.high_water[LAST_DAY])) - timedelta(
            days=self.settings.overlap_days
        )

    async def _table(
        self, table: str, keys: list[str], fields: list[str], where: list[str]
    ) -> list[dict[str, str]]:
        return await read_table(
            self.client, table, keys=keys, fields=fields, where=where, page_size=self.settings.page_size
        )

    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        """Read every table into ``sink``; return the day this pull started for the next delta."""
        started = self._today()
        since = self.since(previous, full)
        cc = quote(self.settings.company_code)
        steps: list[tuple[str, Callable[[], Any]]] = [
            (
                VENDORS,
                lambda: self._table(
                    "LFA1", ["LIFNR"], ["NAME1", "NAME2", "NAME3", "NAME4", "LOEVM", "SPERR", "SPERM"], []
                ),
            ),
            (
                PROJECTS,
                lambda: self._table("PROJ", ["PSPNR"], ["PSPID", "POST1", "VBUKR"], [f"VBUKR = {cc}"]),
            ),
            (
                WBS,
                lambda: self._table(
                    "PRPS", ["PSPNR"], ["POSID", "POST1", "PSPHI", "STUFE", "PBUKR"], [f"PBUKR = {cc}"]
                ),
            ),
            (
                BUDGETS,
                lambda: self._table("BPGE", _BPGE_KEY, ["WTGES"], ["WRTTP = '41'", "OBJNR LIKE 'PR%'"]),
            ),
            (ACTUALS, lambda: self._table("COSP", _COSP_KEY, _WTG, ["WRTTP = '04'", "OBJNR LIKE 'PR%'"])),
            (CURRENCIES, self._currencies),
        ]
        keys = {
            VENDORS: _key("LIFNR"),
            PROJECTS: _key("PSPNR"),
            WBS: _key("PSPNR"),
            BUDGETS: _key(*_BPGE_KEY),
            ACTUALS: _key(*_COSP_KEY),
            CURRENCIES: _key("CURRKEY"),
        }
        for resource, read in steps[:3]:
            await self._full(sink, resource, read, keys[resource])
        await self._purchase_orders(sink, since)
        for resource, read in steps[3:]:
            await self._full(sink, resource, read, keys[resource])
        return {LAST_DAY: started.isoformat()}

    async def _full(
        self, sink: PullSink, resource: str, read: Callable[[], Any], key: Callable[[dict[str, Any]], str]
    ) -> None:
        if sink.cancelled():
            raise Cancelled("The ERP pull was cancelled.")
        if sink.is_done(resource, SCOPE):
            return
        sink.replace_scope(resource, SCOPE)
        sink.progress(Progress(resource))  # starts the resource's clock and bar before its calls
        before = self.client.requests
        rows = await read()
        sink.page(resource, SCOPE, [(key(r), r) for r in rows])
        sink.progress(Progress(resource, requests=self.client.requests - before, pages=1, records=len(rows)))
        sink.unit_done(resource, SCOPE, self.client.requests - before, len(rows))

    async def _currencies(self) -> list[dict[str, str]]:
        """TCURX (decimal places per currency); a system that hides it leaves amounts as stored."""
        try:
            return await self._table("TCURX", ["CURRKEY"], ["CURRDEC"], [])
        except ResponseError:
            return []

    async def _purchase_orders(self, sink: PullSink, since: date | None) -> None:
        if sink.cancelled():
            raise Cancelled("The ERP pull was cancelled.")
        if sink.is_done(POS, SCOPE):
            return
        sink.progress(Progress(POS))  # starts the resource's clock and bar before its calls
        before = self.client.requests
        cc = quote(self.settings.company_code)
        if since is None:
            sink.replace_scope(POS, SCOPE)
            heads = await self._table("EKKO", ["EBELN"], EKKO_FIELDS, [f"BUKRS = {cc}"])
            items = await self._table("EKPO", ["EBELN", "EBELP"], EKPO_FIELDS, [f"BUKRS = {cc}"])
            numbers = sorted({h["EBELN"] for h in heads})
        else:
            changed = await self._table(
                "EKPO",
                ["EBELN", "EBELP"],
                ["AEDAT"],
                [f"BUKRS = {cc}", f"AEDAT >= {quote(dats_literal(since))}"],
            )
            numbers = sorted({r["EBELN"] for r in changed})
            heads, items = [], []
            for chunk in _chunks(numbers):
                sel = [f"EBELN IN ( {' , '.join(quote(n) for n in chunk)} )"]
                heads += await self._table("EKKO", ["EBELN"], EKKO_FIELDS, sel)
                items += await self._table("EKPO", ["EBELN", "EBELP"], EKPO_FIELDS, sel)
        accounts: list[dict[str, str]] = []
        for chunk in _chunks(numbers):
            sel = [f"EBELN IN ( {' , '.join(quote(n) for n in chunk)} )"]
            accounts += await self._table("EKKN", ["EBELN", "EBELP", "ZEKKN"], EKKN_FIELDS, sel)
        records = list(po_trees(heads, items, accounts).items())
        sink.page(POS, SCOPE, records)
        sink.progress(Progress(POS, requests=self.client.requests - before, pages=1, records=len(records)))
        sink.unit_done(POS, SCOPE, self.client.requests - before, len(records))

    async def plan(self, previous: PreviousPull | None) -> list[PlanRow]:
        since = self.since(previous, False)
        note = (
            f"POs with items changed since {since.isoformat()}" if since else "every PO of the company code"
        )
        return [
            PlanRow(r, 1, 1, note if r == POS else "read in full (no change stamp)") for r in self.resources
        ]

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        from adapters.sap_ecc.canonical import canonicalize

        return canonicalize(raw, self.settings)

    async def aclose(self) -> None:
        await self.client.aclose()


def _chunks(numbers: list[str]) -> list[list[str]]:
    return [numbers[i : i + IN_CHUNK] for i in range(0, len(numbers), IN_CHUNK)]


def po_trees(
    heads: list[dict[str, str]], items: list[dict[str, str]], accounts: list[dict[str, str]]
) -> dict[str, dict[str, Any]]:
    """EKKO rows holding their EKPO items holding their EKKN assignments, by PO number."""
    trees: dict[str, dict[str, Any]] = {h["EBELN"]: {**h, "items": []} for h in heads}
    by_item: dict[tuple[str, str], dict[str, Any]] = {}
    for it in sorted(items, key=lambda r: (r["EBELN"], r["EBELP"])):
        tree = trees.get(it["EBELN"])
        if tree is None:
            continue  # an item of a PO in another company code
        node: dict[str, Any] = {**it, "accounts": []}
        tree["items"].append(node)
        by_item[(it["EBELN"], it["EBELP"])] = node
    for acc in sorted(accounts, key=lambda r: (r["EBELN"], r["EBELP"], r["ZEKKN"])):
        owner = by_item.get((acc["EBELN"], acc["EBELP"]))
        if owner is not None:
            owner["accounts"].append(acc)
    return trees
