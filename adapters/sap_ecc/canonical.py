"""ECC raw rows → canonical ERP frames (wired to the ERP seam in the next step)."""

from __future__ import annotations

import polars as pl

from adapters.base import RawReader
from adapters.sap_ecc.settings import SapEccSettings


def canonicalize(raw: RawReader, settings: SapEccSettings) -> dict[str, pl.DataFrame]:
    """Not yet wired: ECC pulls land raw until the ERP seam's tables exist."""
    raise NotImplementedError("SAP ECC canonical tables arrive with the ERP seam")
