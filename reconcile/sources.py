"""Why this number: the source records behind each side's amount of one exception.

An exception's two values are sums or fields of records in the current snapshots; the
analyst must find each of them in SAP or Procore in one step. So each group of records
comes with the side's own identifiers (PO number and item, WBS element and GL account,
Procore ids), and a Procore record with the address of its page in Procore's web app.

Budget and actual amounts are totals over ERP rows mapped to a (project, cost code): the
rows are found by the engine's own mapping resolution (``mappings.resolve``), not a copy of
it. Pure reads of the store and the mapping folder; no UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl

from mappings.load import Mappings
from mappings.resolve import cost_code_lookup, project_lookup
from reconcile.store import Store

#: Records listed per group; the rest are counted (the amount is still the full sum).
ROW_LIMIT = 50


@dataclass
class RecordGroup:
    """One kind of source record on one side, e.g. the SAP WBS budget rows of a total."""

    side: str  # "erp" | "procore"
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0
    amount: Decimal | None = None


def _current(store: Store) -> dict[str, int]:
    cur = store.cursor()
    try:
        got = cur.execute("SELECT source, snapshot_id FROM current_snapshots").fetchall()
    finally:
        cur.close()
    return {str(s): int(i) for s, i in got}


def _frame(store: Store, sql: str, params: list[Any]) -> pl.DataFrame:
    cur = store.cursor()
    try:
        frame = pl.from_arrow(cur.sql(sql, params=params).to_arrow_table())
    finally:
        cur.close()
    assert isinstance(frame, pl.DataFrame)
    return frame


def _group(side: str, title: str, frame: pl.DataFrame, amount: str | None = "amount") -> RecordGroup:
    total = None
    if amount is not None and amount in frame.columns and frame.height:
        summed = frame[amount].sum()
        total = Decimal(str(summed)) if summed is not None else None
    return RecordGroup(side, title, frame.head(ROW_LIMIT).to_dicts(), frame.height, total)


def _split_key(key: str) -> tuple[str, str] | None:
    project, sep, code = key.partition("/")
    return (project, code) if sep and project and code else None


def _mapped_erp(
    store: Store, table: str, snapshot: int, mappings: Mappings, project: str, code: str
) -> pl.DataFrame:
    """ERP rows of ``table`` that the mapping tables place on (``project``, ``code``).

    Why the project keys first: the detail needs one project's rows, and a large ERP snapshot
    holds millions; only the distinct project keys are mapped, then that project's rows read.
    """
    shape = mappings.shape
    dims = list(shape.columns)
    key = shape.project.column
    hierarchy = _frame(
        store, "SELECT * EXCLUDE (snapshot_id) FROM erp_hierarchy WHERE snapshot_id = ?", [snapshot]
    )
    keys = _frame(store, f'SELECT DISTINCT "{key}" FROM {table} WHERE snapshot_id = ?', [snapshot])
    if keys.is_empty():
        return _frame(store, f"SELECT * EXCLUDE (snapshot_id) FROM {table} WHERE false", [])
    projects = project_lookup(keys[key], mappings, hierarchy if hierarchy.height else None)
    wanted = projects.filter(pl.col("project_number") == project)[key].to_list()
    frame = _frame(
        store,
        f'SELECT * EXCLUDE (snapshot_id) FROM {table} WHERE snapshot_id = ? AND list_contains(?, CAST("{key}" AS VARCHAR))',
        [snapshot, wanted],
    )
    if frame.is_empty():
        return frame
    # A snapshot written before a dimension was declared lacks its column: null, as the diff reads it.
    frame = frame.with_columns(pl.lit(None, pl.String).alias(c) for c in dims if c not in frame.columns)
    codes = cost_code_lookup(frame.select(dims), mappings, hierarchy if hierarchy.height else None)
    placed = frame.join(projects.select(key, "project_number"), on=key, how="left").join(
        codes.select(*dims, "procore_cost_code"), on=dims, how="left", nulls_equal=True
    )
    return placed.filter((pl.col("project_number") == project) & (pl.col("procore_cost_code") == code)).drop(
        "project_number", "procore_cost_code"
    )


def _procore_ids(detail: dict[str, Any]) -> list[int]:
    out: list[int] = []
    for name in ("procore_id", "procore_ids"):
        value = detail.get(name)
        values = value if isinstance(value, list) else str(value).split(",") if value is not None else []
        for v in values:
            try:
                out.append(int(v))
            except (TypeError, ValueError):
                continue
    return out


def source_records(store: Store, row: dict[str, Any], mappings: Callable[[], Mappings]) -> list[RecordGroup]:
    """The record groups behind ``row``'s two values, ERP side first; empty where none apply.

    ``mappings`` loads the profile's mapping tables (only budgets and actuals need them).
    """
    current = _current(store)
    erp, pc = current.get("erp"), current.get("procore")
    obj, key = str(row.get("object") or ""), str(row.get("key") or "")
    detail = row.get("detail") or {}
    ids = _procore_ids(detail)
    out: list[RecordGroup] = []
    if obj in ("budget", "actual") and (pk := _split_key(key)) is not None:
        project, code = pk
        erp_table, erp_title = (
            ("erp_budgets", "SAP WBS budget rows")
            if obj == "budget"
            else ("erp_actuals", "SAP journal entries")
        )
        if erp is not None:
            rows = _mapped_erp(store, erp_table, erp, mappings(), project, code)
            out.append(_group("erp", erp_title, rows))
        if pc is not None:
            table, amount, title = (
                ("procore_budget_lines", "original_budget_amount", "Procore budget lines")
                if obj == "budget"
                else ("procore_actual_lines", "amount", "Procore direct cost and invoice lines")
            )
            lines = _frame(
                store,
                f"SELECT l.* EXCLUDE (snapshot_id) FROM {table} l JOIN procore_projects p "
                "ON p.id = l.project_id AND p.snapshot_id = l.snapshot_id "
                "WHERE l.snapshot_id = ? AND p.project_number = ? AND l.cost_code = ?",
                [pc, project, code],
            )
            out.append(_group("procore", title, lines, amount))
    elif obj in ("commitment", "commitment_line"):
        po, _, item = (str(detail.get("erp_key") or key)).partition("/")
        if erp is not None:
            if obj == "commitment":
                head = _frame(
                    store,
                    "SELECT * EXCLUDE (snapshot_id) FROM erp_commitments WHERE snapshot_id = ? AND po_number = ?",
                    [erp, po],
                )
                out.append(_group("erp", "SAP purchase order", head, None))
            where = "po_number = ?" + (" AND item = ?" if item else "")
            items = _frame(
                store,
                f"SELECT * EXCLUDE (snapshot_id) FROM erp_commitment_lines WHERE snapshot_id = ? AND {where} "
                "ORDER BY item, wbs_element",
                [erp, po, *([item] if item else [])],
            )
            out.append(_group("erp", "SAP PO items and account assignments", items))
        if pc is not None:
            if obj == "commitment":
                head = _frame(
                    store,
                    "SELECT * EXCLUDE (snapshot_id) FROM procore_commitments WHERE snapshot_id = ? "
                    "AND (list_contains(?, id) OR number = ?)",
                    [pc, ids, po],
                )
                out.append(_group("procore", "Procore commitment", head, "grand_total"))
                lines = _frame(
                    store,
                    "SELECT * EXCLUDE (snapshot_id) FROM procore_commitment_lines WHERE snapshot_id = ? "
                    "AND list_contains(?, contract_id) ORDER BY position",
                    [pc, [int(i) for i in head["id"].to_list()] if head.height else []],
                )
            else:
                lines = _frame(
                    store,
                    "SELECT * EXCLUDE (snapshot_id) FROM procore_commitment_lines WHERE snapshot_id = ? "
                    "AND list_contains(?, id)",
                    [pc, ids],
                )
            out.append(_group("procore", "Procore commitment lines", lines))
    elif obj == "vendor":
        supplier = str(detail.get("erp_key") or key)
        if erp is not None:
            v = _frame(
                store,
                "SELECT * EXCLUDE (snapshot_id) FROM erp_vendors WHERE snapshot_id = ? AND supplier = ?",
                [erp, supplier],
            )
            out.append(_group("erp", "SAP supplier", v, None))
        if pc is not None:
            v = _frame(
                store,
                "SELECT * EXCLUDE (snapshot_id) FROM procore_vendors WHERE snapshot_id = ? "
                "AND (list_contains(?, id) OR origin_id = ?)",
                [pc, ids, supplier],
            )
            out.append(_group("procore", "Procore vendor", v, None))
    return out


def web_base(api_base_url: str) -> str:
    """Procore's web app for an API base: ``api.procore.com`` → ``app.procore.com``.

    The sandbox (and a simulator) serve web and API from one host, so any other host is kept.
    """
    parts = urlsplit(api_base_url)
    host = parts.netloc
    if host.startswith("api."):
        host = "app." + host.removeprefix("api.")
    return urlunsplit((parts.scheme, host, "", "", "")).rstrip("/")


def procore_url(api_base_url: str, company_id: int, groups: list[RecordGroup], obj: str) -> str | None:
    """The Procore web page of an exception's Procore record, or None when it has none.

    Commitments open their contract page (``/<project>/project/commitments/...``), vendors
    the company directory, budget and actual lines their project's budget or direct costs.
    """
    base = web_base(api_base_url)
    for g in groups:
        if g.side != "procore" or not g.rows:
            continue
        r = g.rows[0]
        if obj == "commitment" and "contract_type" in r:
            kind = (
                "work_order_contracts"
                if r.get("contract_type") == "work_order"
                else "purchase_order_contracts"
            )
            return f"{base}/{r['project_id']}/project/commitments/{kind}/{r['id']}"
        if obj == "commitment_line" and "contract_id" in r:
            return f"{base}/{r['project_id']}/project/commitments/purchase_order_contracts/{r['contract_id']}"
        if obj == "vendor" and "id" in r:
            return f"{base}/{company_id}/company/directory/vendors/{r['id']}"
        if obj == "budget" and "project_id" in r:
            return f"{base}/{r['project_id']}/project/budgets"
        if obj == "actual" and "project_id" in r:
            return f"{base}/{r['project_id']}/project/direct_costs"
    return None


@dataclass(frozen=True)
class Lookup:
    """A Procore value a mapping row may name: a project number, a cost code or a vendor id."""

    kind: str  # "project" | "cost_code" | "vendor"
    value: str
    label: str


def lookups(store: Store, *, limit: int = 20_000) -> list[Lookup]:
    """Projects, cost codes and vendors of the current Procore snapshot, for the mapping dialog."""
    pc = _current(store).get("procore")
    if pc is None:
        return []
    queries = (
        (
            "project",
            "SELECT DISTINCT project_number, name FROM procore_projects WHERE snapshot_id = ? AND project_number IS NOT NULL",
        ),
        (
            "cost_code",
            "SELECT DISTINCT full_code, name FROM procore_cost_codes WHERE snapshot_id = ? AND full_code IS NOT NULL",
        ),
        ("vendor", "SELECT CAST(id AS VARCHAR), name FROM procore_vendors WHERE snapshot_id = ?"),
    )
    out: list[Lookup] = []
    cur = store.cursor()
    try:
        for kind, sql in queries:
            for value, label in cur.execute(f"{sql} ORDER BY 1 LIMIT {int(limit)}", [pc]).fetchall():
                out.append(Lookup(kind, str(value), str(label or "")))
    finally:
        cur.close()
    return out
