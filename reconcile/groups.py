"""An exception's consequences: the other open exceptions one cause produces.

Three causes make families the analyst decides as one (issue 14, "decide in bulk"):

- a PO header (``commitment``) and its items (``commitment_line`` keyed ``PO/item``);
- an unmapped WBS element and every unmapped item it leaves unplaced (budget and actual
  rows carry ``wbs_element`` in their detail, PO items name it in ``dimensions``);
- a vendor missing in Procore and the POs of that supplier missing there with it.

Pure reads; the workstation offers the cause's decision for the family after it is made.
"""

from __future__ import annotations

from typing import Any

from reconcile.store import Store


def _wbs(row: dict[str, Any]) -> str | None:
    detail = row.get("detail") or {}
    wbs = detail.get("wbs_element")
    if isinstance(wbs, str) and wbs:
        return wbs
    dims = detail.get("dimensions")
    if isinstance(dims, str) and dims.startswith("WBS "):
        value = dims[4:].split(",", 1)[0].strip()
        return value if value and value != "-" else None
    return None


def consequences(store: Store, row: dict[str, Any]) -> list[str]:
    """The open, undecided exceptions (ids, in key order) that share ``row``'s cause, ``row`` itself excluded."""
    obj, kind, key = row.get("object"), row.get("kind"), row.get("key")
    if not key:
        return []
    sql: str | None = None
    params: list[Any] = []
    if obj == "commitment":
        sql = "object = 'commitment_line' AND starts_with(key, ?)"
        params = [f"{key}/"]
    elif kind == "unmapped" and (wbs := _wbs(row)) is not None:
        sql = (
            "kind = 'unmapped' AND (json_extract_string(detail, '$.wbs_element') = ? "
            "OR starts_with(json_extract_string(detail, '$.dimensions'), ?))"
        )
        params = [wbs, f"WBS {wbs},"]
    elif obj == "vendor" and kind == "missing_in_procore":
        sql = "object = 'commitment' AND kind = 'missing_in_procore' AND json_extract_string(detail, '$.supplier') = ?"
        params = [str(key)]
    if sql is None:
        return []
    cur = store.cursor()
    try:
        rows = cur.execute(
            "SELECT exception_id FROM exceptions WHERE is_open AND exception_id <> ? "
            f"AND exception_id NOT IN (SELECT exception_id FROM decisions) AND {sql} "
            "ORDER BY key, exception_id",
            [row.get("exception_id"), *params],
        ).fetchall()
    finally:
        cur.close()
    return [str(r[0]) for r in rows]
