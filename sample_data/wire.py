"""Wire formatting shared by the demo generator: money strings, SAP dates, Procore timestamps.

The seeds are exactly what each API returns, so every value is formatted here the way the
API formats it: money as decimal strings (never float), SAP ``/Date(ms)/`` literals, Procore
ISO 8601 timestamps ending in ``Z``.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MILL = Decimal("0.001")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Every generated timestamp falls in 2026, the demo company's fiscal year.
YEAR_START = datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC)


def cents(value: Decimal) -> Decimal:
    """Round half-up to the cent, as both systems round document amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def pc_money(value: Decimal) -> str:
    """Procore money: a decimal string with two places (``"1250.00"``)."""
    return f"{value.quantize(CENT):f}" if value == value.quantize(CENT) else f"{value:f}"


def sap_dec(value: Decimal, scale: int = 3) -> str:
    """SAP ``Edm.Decimal`` in JSON: a string padded to the property's scale."""
    return f"{value.quantize(Decimal(1).scaleb(-scale)):f}"


def key_money(value: Decimal) -> str:
    """Money in the answer key: four places, the scale of ``reconcile.canonical.MONEY``."""
    return f"{value.quantize(Decimal('0.0001')):f}"


def random_amount(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount with cents between ``low`` and ``high`` dollars."""
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def split_amount(rng: random.Random, total: Decimal, parts: int) -> list[Decimal]:
    """Split ``total`` into ``parts`` positive cent amounts that sum to it exactly."""
    units = int(total / CENT)
    if parts <= 1 or units < parts * 100:
        return [total]
    cuts = sorted(rng.sample(range(1, units), parts - 1))
    bounds = [0, *cuts, units]
    out = [Decimal(bounds[i + 1] - bounds[i]) * CENT for i in range(parts)]
    if any(x <= 0 for x in out):  # pragma: no cover - sample() gives distinct cuts
        return [total]
    return out


def moment(rng: random.Random, days: int = 280) -> datetime:
    """A random moment in the demo year, to the second."""
    return YEAR_START + timedelta(seconds=rng.randint(0, days * 86400))


def pc_ts(ts: datetime) -> str:
    """Procore timestamp: ISO 8601 UTC with ``Z``."""
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def pc_date(ts: datetime | date) -> str:
    return ts.strftime("%Y-%m-%d")


def _ms(ts: datetime) -> int:
    return int((ts - EPOCH).total_seconds() * 1000)


def sap_date(d: datetime | date) -> str:
    """SAP ``Edm.DateTime`` (a date): ``/Date(ms)/`` at midnight UTC."""
    day = datetime(d.year, d.month, d.day, tzinfo=UTC)
    return f"/Date({_ms(day)})/"


def sap_ts(ts: datetime) -> str:
    """SAP ``Edm.DateTimeOffset``: ``/Date(ms+0000)/``."""
    return f"/Date({_ms(ts)}+0000)/"


def sap_time(ts: datetime) -> str:
    """SAP ``Edm.Time``: an ISO 8601 duration ``PT10H15M00S``."""
    return f"PT{ts.hour:02d}H{ts.minute:02d}M{ts.second:02d}S"


def guid(rng: random.Random) -> str:
    """A deterministic random ``Edm.Guid``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
