"""PeopleSoft raw rows → canonical ERP frames (wired to the ERP seam in the next step)."""

from __future__ import annotations

import polars as pl

from adapters.base import RawReader
from adapters.peoplesoft.settings import PeopleSoftSettings


def canonicalize(raw: RawReader, settings: PeopleSoftSettings) -> dict[str, pl.DataFrame]:
    """Not yet wired: PeopleSoft pulls land raw until the ERP seam's tables exist."""
    raise NotImplementedError("PeopleSoft canonical tables arrive with the ERP seam")
