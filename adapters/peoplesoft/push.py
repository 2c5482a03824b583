"""Writes to PeopleSoft and the reads a write needs: journals (``TIEOUT_JOURNAL.v1``), POs
(``TIEOUT_PO.v1``), and one PO or vendor read live.

Exactly once: neither POST is ever retried by the client. Every journal line carries
``LINE_REF`` (Tieout's exception id) and every PO its own PO_ID, so the push path looks the
record up (``find_journal``, ``read_po``) before each POST; a retry after a crash finds the
earlier write instead of posting it twice. A journal balances to zero: the expense line tagged
with account, department, project and activity, and one line on the profile's offset account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from adapters.base import ResponseError
from adapters.peoplesoft.client import SIDE, PeopleSoftClient, operation
from adapters.peoplesoft.settings import PeopleSoftSettings
from adapters.secret import Secret

JOURNAL = "JOURNAL"
PO = "PO"


@dataclass(frozen=True)
class ChartFields:
    """Where a journal or PO line sits in PeopleSoft's books."""

    account: str
    deptid: str = ""
    project_id: str = ""
    activity_id: str = ""

    def wire(self) -> dict[str, str]:
        return {
            "ACCOUNT": self.account,
            "DEPTID": self.deptid,
            "PROJECT_ID": self.project_id,
            "ACTIVITY_ID": self.activity_id,
        }


@dataclass(frozen=True)
class PoLine:
    """One line of a PO to create: its amount on one distribution."""

    line_nbr: int
    description: str
    amount: Decimal
    chartfields: ChartFields


def journal_request(
    settings: PeopleSoftSettings,
    *,
    line_ref: str,
    journal_date: date,
    amount: Decimal,
    currency: str,
    expense: ChartFields,
    description: str,
) -> dict[str, Any]:
    """``TIEOUT_JOURNAL_REQ``: the expense line and its offset, balancing to zero, both tagged ``line_ref``."""
    if not settings.journal_offset_account:
        raise ValueError("[erp].journal_offset_account is not set")
    offset = ChartFields(settings.journal_offset_account, settings.journal_offset_deptid or "")
    text = description[:30]  # JRNL_LN.LINE_DESCR is 30 characters
    lines = [
        {
            "LINE_REF": line_ref,
            **expense.wire(),
            "MONETARY_AMOUNT": amount,
            "CURRENCY_CD": currency,
            "LINE_DESCR": text,
        },
        {
            "LINE_REF": line_ref,
            **offset.wire(),
            "MONETARY_AMOUNT": -amount,
            "CURRENCY_CD": currency,
            "LINE_DESCR": text,
        },
    ]
    return {
        "TIEOUT_JOURNAL_REQ": {
            "BUSINESS_UNIT": settings.business_unit,
            "LEDGER": settings.ledger,
            "JOURNAL_DATE": journal_date.isoformat(),
            "LINES": lines,
        }
    }


def po_request(
    settings: PeopleSoftSettings,
    *,
    po_id: str,
    vendor_id: str,
    currency: str,
    po_date: date,
    reference: str,
    lines: list[PoLine],
) -> dict[str, Any]:
    """``TIEOUT_PO_REQ``: a PO with one schedule and one distribution per line."""
    return {
        "TIEOUT_PO_REQ": {
            "BUSINESS_UNIT": settings.business_unit,
            "PO_ID": po_id,
            "VENDOR_ID": vendor_id,
            "CURRENCY_CD": currency,
            "PO_DT": po_date.isoformat(),
            "PO_REF": reference[:30],
            "LINES": [
                {
                    "LINE_NBR": ln.line_nbr,
                    "DESCR254_MIXED": ln.description[:254],
                    "MERCHANDISE_AMT": ln.amount,
                    **ln.chartfields.wire(),
                }
                for ln in lines
            ],
        }
    }


class PeopleSoftPush:
    """The PeopleSoft side of a push: lookups and the two POSTs, through the pull's client."""

    def __init__(
        self, settings: PeopleSoftSettings, secret: Secret | Callable[[], str], **options: Any
    ) -> None:
        self.settings = settings
        reveal = secret.reveal if isinstance(secret, Secret) else secret
        self.client = PeopleSoftClient(settings, reveal, **options)

    async def aclose(self) -> None:
        await self.client.aclose()

    def path(self, name: str, *, by_unit: bool = True) -> str:
        """The path of an operation below ``base_url`` (for the plan's display and the audit)."""
        return f"/{operation(name)}/{self.settings.business_unit}" if by_unit else f"/{operation(name)}"

    async def _rows(self, name: str, extra: dict[str, str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for page in self.client.pages(name, since=None, until=datetime.now(UTC), extra=extra):
            rows += page.rows
        return rows

    async def read_po(self, po_id: str) -> list[dict[str, Any]]:
        """Every distribution of one PO of the business unit, now (``PO_ID=`` on TIEOUT_PO_DISTRIB)."""
        rows = await self._rows("PO_DISTRIB", {"PO_ID": po_id})
        return [r for r in rows if str(r.get("PO_ID")) == po_id]  # a handler that ignores PO_ID

    async def read_vendor(self, vendor_id: str) -> list[dict[str, Any]]:
        """The vendor row of the business unit's SETID, now (``VENDOR_ID=`` on TIEOUT_VENDORS)."""
        rows = await self._rows("VENDORS", {"VENDOR_ID": vendor_id})
        return [r for r in rows if str(r.get("VENDOR_ID")) == vendor_id]

    async def find_journal(self, line_ref: str) -> str | None:
        """The JOURNAL_ID of lines already posted with ``line_ref`` (GET by LINE_REF), if any."""
        body = await self.client.get(JOURNAL, {"LINE_REF": line_ref})
        resp = body.get("TIEOUT_JOURNAL_RESP") if isinstance(body, dict) else None
        rows = resp.get("ROWS") if isinstance(resp, dict) else None
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list):
            raise ResponseError(
                f"The {SIDE} answer on {operation(JOURNAL)} (LINE_REF {line_ref}) has no ROWS."
            )
        ids = sorted(
            {str(r.get("JOURNAL_ID")) for r in rows if isinstance(r, dict) and r.get("LINE_REF") == line_ref}
        )
        return ",".join(ids) or None

    async def post_journal(self, request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """POST the journal once; (JOURNAL_ID, the answer)."""
        return _created(await self.client.post(JOURNAL, request), JOURNAL, "JOURNAL_ID")

    async def post_po(self, request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """POST the PO once; (PO_ID, the answer)."""
        return _created(await self.client.post(PO, request), PO, "PO_ID")


def _created(body: Any, name: str, field: str) -> tuple[str, dict[str, Any]]:
    resp = body.get(f"TIEOUT_{name}_RESP") if isinstance(body, dict) else None
    if not isinstance(resp, dict) or not resp.get(field):
        raise ResponseError(f"The {SIDE} answer on {operation(name)} names no {field}.")
    return str(resp[field]), resp
