"""The ERP side of the push path: one module per ERP kind, found through ``ERP_PUSH``.

Why a registry: the push path (plan, read-before-write, exactly-once execution, audit, the
failed queue) is the same for every ERP; what differs is how an ERP's records are read live
and how it is written to. Each kind names one module here, and adding an ERP touches no
planner of the shared path. The module exposes:

- ``PLANNERS: dict[str, Planner]``: its ``procore_to_erp`` planners, keyed
  ``"procore_to_erp:<object>:<kind>"`` as ``plan_sap.PLANNERS`` (a direction the ERP cannot
  be written in simply has no planner, and ``routes_for`` offers only what has one);
- ``SOURCE``: an ``ErpSource``, the ERP read live as a pull would canonicalise it: the
  ``erp_to_procore`` planners copy from it, and ``exec`` re-reads it just before the write;
- ``WRITER`` (optional, needed once ``PLANNERS`` is not empty): an ``ErpWriter`` that sends
  the plan's ERP-side requests, re-reads their targets and looks up an earlier attempt's write.

A module may import ``reconcile.push.plan`` (the planners' context); ``erp_ports`` imports
the modules lazily, so the registry itself is import-cycle free.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

import polars as pl

if TYPE_CHECKING:
    from reconcile.profile import Profile
    from reconcile.push.clients import PushClients
    from reconcile.push.model import HttpCall
    from reconcile.push.plan import Planner

#: ERP kind (profile ``[erp].kind``) → the module of its push port.
ERP_PUSH: dict[str, str] = {
    "sap-s4": "reconcile.push.erp_sap",
    "peoplesoft": "reconcile.push.erp_peoplesoft",
    "sap-ecc": "reconcile.push.erp_sap_ecc",
    "oracle-ebs": "reconcile.push.erp_ebs",
}

SourceObject = Literal["po", "supplier"]


class ErpSource(Protocol):
    """An ERP's records read live over HTTP, canonicalised as a pull would (so "the same" means
    exactly what the diff compares)."""

    #: The system's name in sentences ("SAP", "EBS").
    system: str

    def clients(self, profile: Profile) -> Any:
        """The ERP's HTTP client(s) for a push session (``PushClients.erp``); must have ``aclose``."""
        ...

    def po_call(self, clients: PushClients, po: str, item: str | None) -> HttpCall:
        """The read ``purchase_order`` sends, as the plan shows it (``side="erp"``)."""
        ...

    def supplier_call(self, clients: PushClients, supplier: str) -> HttpCall:
        """The read ``supplier_name`` sends, as the plan shows it (``side="erp"``)."""
        ...

    def read_of(self, call: HttpCall) -> tuple[SourceObject, str, str | None] | None:
        """Which record a call made by ``po_call``/``supplier_call`` reads: (object, key, item)."""
        ...

    async def purchase_order(self, clients: PushClients, po: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The PO's canonical ``erp_commitments`` head and ``erp_commitment_lines`` now (empty when absent)."""
        ...

    async def supplier_name(self, clients: PushClients, supplier: str) -> str | None:
        """The supplier's canonical name now (None when the ERP has no such supplier)."""
        ...


class ErpWriter(Protocol):
    """Sends a plan's ``side="erp"`` requests (exactly once: ``exec`` never retries a write)."""

    async def reread(self, call: HttpCall, clients: PushClients) -> dict[str, Any] | None:
        """The ERP target of ``plan.reread`` as it is now."""
        ...

    async def lookup(self, call: HttpCall, clients: PushClients) -> str | None:
        """The document an earlier attempt wrote for ``plan.lookup``, if any."""
        ...

    async def send(
        self, call: HttpCall, values: dict[str, str], clients: PushClients
    ) -> tuple[int, str | None, Any]:
        """Send one write: (status, document or new id, answer for the audit)."""
        ...


@dataclass(frozen=True)
class ErpPort:
    """One kind's push port, as loaded from its module."""

    kind: str
    source: ErpSource
    planners: dict[str, Planner] = field(default_factory=dict)
    writer: ErpWriter | None = None


class NoPushPort(LookupError):
    """The ERP kind has no push port in this build; the message is one sentence."""


@cache
def port_for(kind: str) -> ErpPort:
    """The push port of ERP ``kind`` (``NoPushPort`` when the build has none)."""
    path = ERP_PUSH.get(kind)
    if path is None:
        available = ", ".join(f'"{k}"' for k in ERP_PUSH)
        raise NoPushPort(f'Pushes to an ERP of kind "{kind}" are not available yet; available: {available}.')
    module = importlib.import_module(path)
    return ErpPort(
        kind=kind,
        source=module.SOURCE,
        planners=dict(getattr(module, "PLANNERS", {})),
        writer=getattr(module, "WRITER", None),
    )


def planner_keys(kind: str) -> frozenset[str]:
    """The ``procore_to_erp`` planner keys of ``kind`` (empty when it has no port)."""
    try:
        return frozenset(port_for(kind).planners)
    except NoPushPort:
        return frozenset()
