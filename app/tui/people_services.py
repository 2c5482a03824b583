"""What the People tab and the home screen's orphans panel read from the store.

People exceptions are ordinary rows of the exceptions table with object ``user`` (kinds in
shared/interfaces.md section 6), so the tab reuses the money grid's query and cache with the
object fixed; this module only adds the people view of those rows: which columns the grid
shows and under which names, and the orphaned accounts the home screen lists first. Every
function blocks on DuckDB; the app calls them from thread workers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from reconcile import query
from reconcile.people.views import people_counts, user_detail
from reconcile.profile import Profile
from reconcile.store import Store

OBJECT = "user"

#: The people kinds in the order an IT admin works them: leavers who can still log in first.
KINDS: tuple[str, ...] = ("orphaned", "missing_in_procore", "value_mismatch", "access_mismatch")

#: Grid column -> header on the People tab. ``erp_value`` holds the IdP's side for user rows
#: (contract section 6), so it is shown as such; ``difference``, ``object`` and ``rule`` say
#: nothing about a person and are left out so an e-mail fits at 80 columns.
COLUMNS: dict[str, str] = {
    "key": "email",
    "kind": "kind",
    "status": "status",
    "project": "project",
    "field": "field",
    "erp_value": "idp_value",
    "procore_value": "procore_value",
    "exception_id": "exception_id",
}

#: Header -> grid column, for sorting by the column under the cursor.
SORT_COLUMN: dict[str, str] = {header: column for column, header in COLUMNS.items()}


def people_table(table: pa.Table) -> pa.Table:
    """A grid page cut to the People tab's columns, renamed to its headers."""
    return table.select(list(COLUMNS)).rename_columns(list(COLUMNS.values()))


def load_cache(store: Store) -> query.GridCache:
    """The open user exceptions, in the grid cache's shape (filter and sort in memory)."""
    return query.GridCache.load(store, object=OBJECT)


@dataclass(frozen=True)
class Orphan:
    """One active Procore account whose owner the IdP no longer has enabled."""

    exception_id: str
    email: str
    idp_status: str | None
    status: str


@dataclass(frozen=True)
class Orphans:
    """The home screen's first panel: how many orphaned accounts are open, and the first few."""

    total: int
    shown: tuple[Orphan, ...]
    #: Open user exceptions per kind, orphaned first (``reconcile.people.views.people_counts``).
    counts: tuple[tuple[str, int], ...] = ()

    @property
    def people(self) -> bool:
        """Whether any people exception is open (else the panel stays hidden)."""
        return bool(self.counts)


def orphans(store: Store, *, limit: int = 8) -> Orphans:
    """Open ``orphaned`` user exceptions, undecided ones first, then by e-mail."""
    frame = query.report_frame(
        store, query.ExceptionFilter(object=OBJECT, kind="orphaned", sort="key", descending=False)
    )
    rows = sorted(frame.iter_rows(named=True), key=lambda r: (r["status"] != "open", str(r["key"])))
    shown = tuple(
        Orphan(str(r["exception_id"]), str(r["key"]), r["erp_value"], str(r["status"])) for r in rows[:limit]
    )
    return Orphans(frame.height, shown, tuple(people_counts(store)))


def user_sides(store: Store, profile: Profile, email: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One user as the IdP and Procore see them, for the detail screen's two side tables.

    Shared field names (``name``, ``active``) line up so the detail highlights where the two
    sides differ; the rest is what an admin checks before acting: the IdP's raw status and
    groups, Procore's company template, projects with their templates and last login.
    """
    if profile.people is None:
        return {}, {}
    detail = user_detail(store, profile, email)
    r = detail.review
    if not r:
        return {}, {}
    idp: dict[str, Any] = {}
    if r.get("idp_id") is not None:
        idp = {
            "name": r.get("idp_name"),
            "active": r.get("idp_enabled"),
            "status": r.get("idp_status"),
            "id": r.get("idp_id"),
            "groups": r.get("idp_groups"),
        }
    procore: dict[str, Any] = {}
    if r.get("procore_id") is not None:
        procore = {
            "name": r.get("procore_name"),
            "active": r.get("procore_status") == "active",
            "id": r.get("procore_id"),
            "company_template": r.get("company_template"),
            "projects": "; ".join(f"{n}: {t or '(no template)'}" for n, t in detail.memberships) or "none",
            "employee": r.get("is_employee"),
            "last_login_at": r.get("last_login_at"),
        }
    return idp, procore
