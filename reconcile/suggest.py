"""Likely counterparts of a vendor one side lacks: what a link in vendors.csv would fix.

A vendor reported missing or unmapped is often there under a slightly different name
("Northwind Mechanical, Inc." against "Northwind Mechanical Inc"). Showing the closest
names on the other side turns "create it" into "link it" when that is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rapidfuzz import fuzz, process, utils

from reconcile.store import Store

#: Below this score (0-100, rapidfuzz ``ratio`` of the normalised names) nothing is offered.
MIN_SCORE = 75.0
#: Words that say what a company is, not which one: left out before comparing.
LEGAL_WORDS = frozenset(
    {"inc", "llc", "co", "corp", "corporation", "company", "ltd", "lp", "llp", "the", "and"}
)


def normalise(name: str) -> str:
    """Lower case, punctuation and legal-form words gone: ``R and J Plumbing, Inc.`` → ``r j plumbing``."""
    return " ".join(t for t in utils.default_process(name).split() if t not in LEGAL_WORDS)


@dataclass(frozen=True)
class Suggestion:
    """A vendor of the other side, how closely its name matches, and the vendors.csv row."""

    key: str  # ERP supplier number or Procore vendor id
    name: str
    score: float
    mapping_row: str  # erp_vendor,procore_vendor_id


def closest(name: str, candidates: pl.DataFrame, *, limit: int = 3) -> list[tuple[str, str, float]]:
    """(key, name, score) of the best-matching candidates (columns ``key``, ``name``).

    Trade words repeat across a vendor list ("Steel Services", "Electric"), so a candidate
    must also share the leading word, which in construction names is the distinctive one.
    """
    wanted = normalise(name)
    if not wanted or candidates.is_empty():
        return []
    keys, names = candidates["key"].to_list(), candidates["name"].to_list()
    normalised = [normalise(str(n or "")) for n in names]
    found = process.extract(
        wanted, normalised, scorer=fuzz.ratio, processor=None, limit=20, score_cutoff=MIN_SCORE
    )
    lead = wanted.split()[0]
    out = []
    for _, score, i in found:
        other = normalised[i].split()
        if other and fuzz.ratio(lead, other[0]) >= 80:
            out.append((str(keys[i]), str(names[i]), round(float(score), 1)))
    return out[:limit]


def vendor_suggestions(store: Store, row: dict[str, object]) -> list[Suggestion]:
    """For a vendor exception one side lacks, the closest names on the other side.

    Only vendors not already linked are candidates: a Procore vendor whose ``origin_id``
    names an ERP supplier belongs to that supplier, and linking it again would move its
    commitments (the mapping preview would show them all as new exceptions).
    """
    if row.get("object") != "vendor" or row.get("kind") not in ("missing_in_procore", "missing_in_erp"):
        return []
    procore = store.canonical("procore_vendors")
    erp = store.canonical("erp_vendors")
    linked = procore["origin_id"].is_in(erp["supplier"].implode()).fill_null(False)
    if row.get("kind") == "missing_in_procore":
        supplier, name = str(row.get("key")), str(row.get("erp_value") or "")
        free = procore.filter(~linked).select(pl.col("id").cast(pl.String).alias("key"), "name")
        return [Suggestion(k, n, s, f"{supplier},{k}") for k, n, s in closest(name, free)]
    vendor_id, name = str(row.get("key")).removeprefix("procore:"), str(row.get("procore_value") or "")
    taken = procore.filter(linked)["origin_id"].implode()
    free = erp.filter(~pl.col("supplier").is_in(taken)).select(pl.col("supplier").alias("key"), "name")
    return [Suggestion(k, n, s, f"{k},{vendor_id}") for k, n, s in closest(name, free)]
