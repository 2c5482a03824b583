"""Mapping fixes, audited like decisions: who, when, the row added or changed, what it resolved.

The workstation's mapping dialog edits one row of a mapping CSV; this is the one place that
writes it. The change is previewed (the exceptions it would add and resolve, against the
store's current snapshots and the close's cut-off), then recorded in ``mapping_changes`` with
its audit entry (covering the row) in one transaction, and the file is replaced atomically
inside that transaction, so an unaudited change never reaches the file. Refused while the
store's working period is locked, as decisions are. The caller re-diffs afterwards.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconcile import audit
from reconcile.close import state
from reconcile.close.state import first
from reconcile.store import Store, now

if TYPE_CHECKING:
    from reconcile.profile import Profile


class MappingChangeError(Exception):
    """A mapping change that cannot be made; the message names the file and line."""


@dataclass(frozen=True)
class MappingChange:
    """One recorded change: the file, the line replaced (None: added), the rows, the effect."""

    id: int
    file: str
    line: int | None
    before_row: str | None
    after_row: str
    changed_by: str
    resolved: tuple[str, ...]
    added: tuple[str, ...]


def _files() -> tuple[str, ...]:
    from mappings.load import TABLE_FILES

    return tuple(TABLE_FILES)


def edited_lines(lines: list[str], line: int | None, row: str, file: str) -> tuple[list[str], str | None]:
    """The CSV's lines with ``line`` replaced by ``row`` (None appends), and the row it replaced."""
    if not row.strip() or not row.replace(",", "").strip():
        raise MappingChangeError(f"The new row for {file} is empty; a mapping row needs its cells filled in.")
    if "\n" in row or "\r" in row:
        raise MappingChangeError(f"The new row for {file} spans several lines; give one CSV row.")
    out = list(lines)
    if line is None:
        out.append(row)
        return out, None
    if not 2 <= line <= len(lines):
        raise MappingChangeError(
            f"{file} has no data row at line {line} (its rows are lines 2 to {len(lines)})."
        )
    before = out[line - 1]
    out[line - 1] = row
    return out, before


def preview(
    store: Store, profile: Profile, file: str, line: int | None, row: str
) -> tuple[list[str], list[str]]:
    """(exception ids the change would add, ids it would resolve); nothing is written."""
    from reconcile.exceptions import mappings_for, preview_mapping_change

    folder = profile.mappings_dir
    lines, _ = _read(folder, file)
    new_lines, _ = edited_lines(lines, line, row, file)
    root = Path(tempfile.mkdtemp(prefix="tieout-mapping-"))
    try:
        tmp = root / folder.name  # same folder name: exception details read the same
        shutil.copytree(folder, tmp)
        (tmp / file).write_text("\n".join(new_lines) + "\n", encoding="utf-8")
        added, removed = preview_mapping_change(store, profile, mappings_for(store, profile, tmp))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return added, removed


def _read(folder: Path, file: str) -> tuple[list[str], bool]:
    if file not in _files():
        raise MappingChangeError(f"{file} is not a mapping table (one of {', '.join(_files())}).")
    path = folder / file
    if not path.exists():
        return ([] if file != "vendors.csv" else ["erp_vendor,procore_vendor_id"]), False
    return path.read_text(encoding="utf-8").splitlines(), True


def apply_change(
    store: Store, profile: Profile, file: str, line: int | None, row: str, *, actor: str
) -> MappingChange:
    """Write one mapping row (replace ``line``, or append when None), recorded and audited.

    Returns what was recorded, with the exception ids it resolved and added; raises
    ``MappingChangeError`` (empty row, unknown file or line), ``MappingError`` (the edited
    table does not load) or ``CloseError`` (the working period is locked).
    """
    from reconcile.close.state import CloseError
    from reconcile.export import atomic_file

    folder = profile.mappings_dir
    lines, _ = _read(folder, file)
    new_lines, before = edited_lines(lines, line, row, file)
    added, resolved = preview(store, profile, file, line, row)
    with store.transaction() as tx:
        refusal = state.refusal(tx)
        if refusal is not None:
            raise CloseError(refusal)
        got = first(
            tx.execute(
                "INSERT INTO mapping_changes (file, line, before_row, after_row, changed_by, changed_at, resolved, added) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [file, line, before, row, actor, now(), json.dumps(resolved), json.dumps(added)],
            ).fetchall()
        )
        assert got is not None
        change_id = int(got[0])
        after: dict[str, Any] = {"file": file, "line": line, "row": row, "resolved": resolved, "added": added}
        audit.append(
            tx,
            actor=actor,
            action="mapping:changed" if line is not None else "mapping:added",
            before=None if before is None else {"file": file, "line": line, "row": before},
            after=after,
            covers=("mapping_changes", str(change_id)),
        )
        # Last inside the transaction: if the file cannot be written, nothing is recorded.
        with atomic_file(folder / file) as tmp:
            tmp.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
    return MappingChange(change_id, file, line, before, row, actor, tuple(resolved), tuple(added))


def changes(store: Store) -> list[dict[str, Any]]:
    """Every recorded mapping change, oldest first (the evidence's Mapping changes sheet)."""
    frame = store.query(
        "SELECT id, file, line, before_row, after_row, changed_by, changed_at, "
        "CAST(resolved AS VARCHAR) AS resolved, CAST(added AS VARCHAR) AS added FROM mapping_changes ORDER BY id"
    )
    return frame.to_dicts()
