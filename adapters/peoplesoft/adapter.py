"""``PeopleSoftAdapter``: the five reads, their record keys and the incremental window.

Incremental rule: PeopleSoft has no webhooks, so every read is a window on LASTUPDDTTM,
``FROM_DTTM <= LASTUPDDTTM < TO_DTTM``. A pull fixes ``TO_DTTM`` once, at its start, for
every operation; the next pull starts at that ``TO_DTTM`` less ``overlap_minutes``, so a
row committed late with an earlier stamp is still read. A row re-read in the overlap
replaces itself (records are keyed), so nothing is doubled; a row stamped exactly at
``TO_DTTM`` is outside this window and inside the next, so it is never lost.
Deletions are invisible to a window (PeopleSoft soft-deletes most rows, and cancelled POs
come back with PO_STATUS ``X``); a periodic ``tieout pull --full`` sees hard deletes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from pydantic import ValidationError

from adapters.base import Cancelled, PlanRow, PreviousPull, Progress, PullSink, RawReader, ResponseError
from adapters.peoplesoft.canonical import canonicalize
from adapters.peoplesoft.client import PeopleSoftClient, operation
from adapters.peoplesoft.models import ROW_MODELS
from adapters.peoplesoft.settings import PeopleSoftSettings
from adapters.secret import Secret

SCOPE = "operation"
#: high-water key: the TO_DTTM of the last complete pull, ISO 8601 UTC.
WINDOW_END = "to_dttm"
#: Fields that are measures or stamps, not part of a balance row's identity.
_MEASURES = frozenset({"MONETARY_AMOUNT", "BUDGET_AMOUNT", "LASTUPDDTTM"})


def _fields(*names: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: "/".join(str(row.get(n, "")) for n in names)


def _identity(row: dict[str, Any]) -> str:
    """A balance row's key: every field but its amount and stamp, so no chartfield a site adds
    to the handler can make two balances collapse into one."""
    return "/".join(f"{k}={row[k]}" for k in sorted(row) if k not in _MEASURES)


#: Operation → its record key in the store.
KEYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "VENDORS": _fields("SETID", "VENDOR_ID"),
    "PO_DISTRIB": _fields("BUSINESS_UNIT", "PO_ID", "LINE_NBR", "SCHED_NBR", "DISTRIB_LINE_NUM"),
    "PROJECTS": _fields("BUSINESS_UNIT", "PROJECT_ID", "ACTIVITY_ID"),
    "BUDGETS": _identity,
    "LEDGER": _identity,
}


class PeopleSoftAdapter:
    """The PeopleSoft side of a pull (``SourceAdapter`` with ``source="erp"``)."""

    source = "erp"
    resources = tuple(KEYS)

    def __init__(
        self,
        settings: PeopleSoftSettings,
        secret: Secret | Callable[[], str],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        **client_options: Any,
    ) -> None:
        self.settings = settings
        reveal = secret.reveal if isinstance(secret, Secret) else secret
        self.client = PeopleSoftClient(settings, reveal, **client_options)
        self._clock = clock

    def window(self, previous: PreviousPull | None, full: bool) -> datetime | None:
        """Where this pull's window starts: None (everything) on a full pull."""
        if full or previous is None:
            return None
        stamp = previous.high_water.get(WINDOW_END)
        if not stamp:
            return None
        return datetime.fromisoformat(str(stamp)) - timedelta(minutes=self.settings.overlap_minutes)

    async def pull(self, sink: PullSink, *, full: bool, previous: PreviousPull | None) -> dict[str, Any]:
        """Read every operation into ``sink``; return ``{"to_dttm": ...}`` for the next window."""
        since = self.window(previous, full)
        until = self._clock()
        resumed = False
        for name in KEYS:
            if sink.cancelled():
                raise Cancelled("The ERP pull was cancelled.")
            if sink.is_done(name, SCOPE):
                resumed = True
                continue
            if since is None:
                sink.replace_scope(name, SCOPE)
            await self._read(sink, name, since, until)
        if resumed and previous is not None:
            # Operations finished before the resume used an earlier TO_DTTM, unknown here:
            # keep the previous window end, so the next pull re-reads rather than skips.
            return dict(previous.high_water)
        if resumed:
            return {}
        return {WINDOW_END: until.isoformat()}

    async def _read(self, sink: PullSink, name: str, since: datetime | None, until: datetime) -> None:
        prog = Progress(name)
        before = self.client.requests
        model = ROW_MODELS[name]
        key = KEYS[name]
        extra = {"LEDGER": self.settings.ledger} if name == "LEDGER" else None
        async for page in self.client.pages(name, since=since, until=until, extra=extra):
            if sink.cancelled():
                raise Cancelled("The ERP pull was cancelled.")
            records = []
            for i, row in enumerate(page.rows):
                try:
                    model.model_validate(row)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    field = ".".join(str(p) for p in first["loc"]) or "(row)"
                    raise ResponseError(
                        f"The ERP (PeopleSoft) answer on {operation(name)} row {page.offset + i + 1} "
                        f"({key(row) or 'no key'}): field {field}: {first['msg']}."
                    ) from None
                if name == "LEDGER" and row.get("LEDGER") not in (None, "", self.settings.ledger):
                    continue  # a handler that ignores the LEDGER parameter: only the profile's ledger counts
                records.append((key(row), row))
            sink.page(name, SCOPE, records)
            prog.pages += 1
            prog.records += len(records)
            prog.requests = self.client.requests - before
            sink.progress(prog)
        sink.unit_done(name, SCOPE, self.client.requests - before, prog.records)

    async def plan(self, previous: PreviousPull | None) -> list[PlanRow]:
        """PeopleSoft reports no counts: the plan says what each read spans."""
        since = self.window(previous, False)
        span = f"changed since {since.isoformat()}" if since else "everything (first pull)"
        return [
            PlanRow(name, 1, 1, f"{operation(name)}: {span}; pages of {self.settings.page_size}")
            for name in KEYS
        ]

    def canonicalize(self, raw: RawReader) -> dict[str, pl.DataFrame]:
        return canonicalize(raw, self.settings)

    async def aclose(self) -> None:
        await self.client.aclose()
