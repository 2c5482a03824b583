"""The two BAPI writes a push makes, each followed by ``BAPI_TRANSACTION_COMMIT`` in its session.

A BAPI never commits itself: it leaves its changes to the caller's commit. So the rule
here is simple and strict: any ``RETURN`` row of type E or A means nothing is committed
(the session is abandoned and its buffer discarded with it), and a commit whose own
``RETURN`` is E or A is a failure too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.base import AdapterError
from adapters.sap_ecc.client import EccClient


class BapiError(AdapterError):
    """A BAPI answered E or A (or its commit did); nothing was committed."""


@dataclass(frozen=True)
class ItemChange:
    """New values for one PO item; None leaves a value as it is (its X flag stays blank)."""

    item: str  # "00010"
    quantity: Decimal | None = None
    net_price: Decimal | None = None
    price_unit: Decimal | None = None
    #: A new WBS element (POSID) for the item's account assignment ``serial`` (EKKN-ZEKKN).
    wbs_element: str | None = None
    serial: str = "01"


def _rows(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        items = value.get("item")
        if isinstance(items, list):
            return [dict(i) for i in items]
        return [dict(value)] if value.get("TYPE") is not None else []
    if isinstance(value, list):
        return [dict(i) for i in value]
    return []


def failures(returns: list[dict[str, Any]]) -> list[str]:
    """The messages of E and A rows, in order."""
    return [
        f"{(r.get('MESSAGE') or '').strip()} ({(r.get('ID') or '').strip()} {(r.get('NUMBER') or '').strip()})"
        for r in returns
        if str(r.get("TYPE") or "").strip() in ("E", "A")
    ]


async def _commit(client: EccClient, what: str) -> None:
    answer = await client.call("BAPI_TRANSACTION_COMMIT", idempotent=False, WAIT="X")
    bad = failures(_rows(answer.get("RETURN")))
    if bad:
        raise BapiError(f"SAP could not commit {what}: {'; '.join(bad)}.")


def change_parameters(po: str, changes: list[ItemChange]) -> dict[str, Any]:
    """BAPI_PO_CHANGE's parameters with their X structures: only flagged fields change."""
    items, flags, accounts, account_flags = [], [], [], []
    for c in changes:
        if c.wbs_element is not None:
            key = {"PO_ITEM": c.item, "SERIAL_NO": c.serial}
            accounts.append({**key, "WBS_ELEMENT": c.wbs_element})
            account_flags.append({**key, "PO_ITEMX": "X", "SERIAL_NOX": "X", "WBS_ELEMENT": "X"})
        item: dict[str, Any] = {"PO_ITEM": c.item}
        flag: dict[str, Any] = {"PO_ITEM": c.item, "PO_ITEMX": "X"}
        for field, value in (
            ("QUANTITY", c.quantity),
            ("NET_PRICE", c.net_price),
            ("PRICE_UNIT", c.price_unit),
        ):
            if value is not None:
                item[field] = format(value, "f")
                flag[field] = "X"
        items.append(item)
        flags.append(flag)
    return {
        "PURCHASEORDER": po,
        "POITEM": {"item": items},
        "POITEMX": {"item": flags},
        "POACCOUNT": {"item": accounts},
        "POACCOUNTX": {"item": account_flags},
    }


def create_parameters(
    header: dict[str, Any], items: list[dict[str, Any]], accounts: list[dict[str, Any]]
) -> dict[str, Any]:
    """BAPI_PO_CREATE1's parameters with an X structure flagging every field given."""

    def x(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            flag = {k: ("X" if k not in keys else r[k]) for k in r}
            if "PO_ITEM" in r:
                flag["PO_ITEMX"] = "X"
            if "SERIAL_NO" in r:
                flag["SERIAL_NOX"] = "X"
            out.append(flag)
        return out

    return {
        "POHEADER": header,
        "POHEADERX": {k: "X" for k in header},
        "POITEM": {"item": items},
        "POITEMX": {"item": x(items, ("PO_ITEM",))},
        "POACCOUNT": {"item": accounts},
        "POACCOUNTX": {"item": x(accounts, ("PO_ITEM", "SERIAL_NO"))},
    }


async def send_change(client: EccClient, parameters: dict[str, Any]) -> list[str]:
    """BAPI_PO_CHANGE, then the commit in the same session; returns SAP's S/W/I messages."""
    po = str(parameters.get("PURCHASEORDER") or "")
    answer = await client.call("BAPI_PO_CHANGE", idempotent=False, **parameters, RETURN={"item": []})
    returns = _rows(answer.get("RETURN"))
    bad = failures(returns)
    if bad:
        raise BapiError(
            f"SAP refused the change of purchase order {po}: {'; '.join(bad)}. Nothing was committed."
        )
    await _commit(client, f"the change of purchase order {po}")
    return [str(r.get("MESSAGE") or "").strip() for r in returns if r.get("MESSAGE")]


async def send_create(client: EccClient, parameters: dict[str, Any]) -> str:
    """BAPI_PO_CREATE1, then the commit in the same session; returns the new PO number."""
    answer = await client.call("BAPI_PO_CREATE1", idempotent=False, **parameters, RETURN={"item": []})
    bad = failures(_rows(answer.get("RETURN")))
    if bad:
        raise BapiError(f"SAP refused the new purchase order: {'; '.join(bad)}. Nothing was committed.")
    po = str(answer.get("EXPPURCHASEORDER") or "").strip()
    await _commit(client, f"the new purchase order {po}")
    return po


async def change_po(client: EccClient, po: str, changes: list[ItemChange]) -> list[str]:
    """BAPI_PO_CHANGE with its X structure, then the commit; returns SAP's S/W/I messages."""
    return await send_change(client, change_parameters(po, changes))


async def create_po(
    client: EccClient, header: dict[str, Any], items: list[dict[str, Any]], accounts: list[dict[str, Any]]
) -> str:
    """BAPI_PO_CREATE1 with X structures for every field given, then the commit; returns the PO number."""
    return await send_create(client, create_parameters(header, items, accounts))
