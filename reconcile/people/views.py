"""What the workstation's People tab reads: the grid, one user's detail, the home counts.

The grid is the shared exceptions grid filtered to ``object = "user"``
(``reconcile.query.grid_page(store, ExceptionFilter(object="user", ...))``); this module adds
what only the people side has: a user seen from both sides, and the counts with orphaned
accounts first (the question an IT team asks before any other). Pure reads, no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from reconcile.people.review import access_review
from reconcile.people.snapshot import load_people
from reconcile.profile import Profile
from reconcile.query import ExceptionFilter, report_frame
from reconcile.store import Store

#: The order the home screen lists people kinds in: who still has access after leaving, first.
KIND_ORDER = ("orphaned", "missing_in_procore", "access_mismatch", "value_mismatch")


@dataclass(frozen=True)
class UserDetail:
    """One user from both sides: the access review's row, their memberships, their exceptions."""

    email: str
    #: The ``reconcile.people.review.REVIEW_COLUMNS`` row (empty when the user is out of scope).
    review: dict[str, Any]
    #: (project number, template) the user holds in Procore now (the directory snapshot).
    memberships: list[tuple[str, str | None]] = field(default_factory=list)
    #: The user's open exceptions, report columns (status, decided_by… included).
    exceptions: pl.DataFrame = field(default_factory=pl.DataFrame)


def user_detail(store: Store, profile: Profile, email: str) -> UserDetail:
    """Everything the detail pane shows for ``email`` (the exception's ``key``)."""
    email = email.strip().lower()
    review = access_review(store, profile).filter(pl.col("email") == email)
    snap = load_people(store, profile)
    users = snap.directory["procore_users"].filter(pl.col("email") == email)
    ids = users["id"].to_list()
    held = (
        snap.directory["procore_memberships"]
        .filter(pl.col("user_id").is_in(ids))
        .sort("project_number")
        .select("project_number", "template")
    )
    open_rows = report_frame(store, ExceptionFilter(object="user", search=email), grid_order=False)
    open_rows = open_rows.filter(pl.col("key") == email)
    return UserDetail(
        email,
        review.row(0, named=True) if review.height else {},
        [(str(n), t) for n, t in held.iter_rows()],
        open_rows,
    )


def people_counts(store: Store) -> list[tuple[str, int]]:
    """Open ``user`` exceptions per kind, orphaned first (``KIND_ORDER``); kinds with none left out."""
    found = store.query(
        "SELECT kind, CAST(count(*) AS BIGINT) AS n FROM exceptions WHERE object = 'user' AND is_open GROUP BY kind"
    )
    counts = {str(k): int(n) for k, n in found.iter_rows()}
    order = [k for k in KIND_ORDER if k in counts] + sorted(k for k in counts if k not in KIND_ORDER)
    return [(k, counts[k]) for k in order]
