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
import re
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
    from adapters.erp_shape import ErpShape
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


# -- one row for many exceptions (the workstation's bulk mapping fix) -------------------------

_ROW_REF = re.compile(r"([^\s/]+\.csv) line (\d+)")


@dataclass(frozen=True)
class MappingNeed:
    """The mapping row an exception needs: which table, and what one row must name.

    ``key`` is set where one row fixes one key only (a vendors.csv row links one supplier),
    None where one row may place several (a WBS element's row maps its children too; a cost
    code row may leave dimensions blank). ``line`` is the row to change, when the exception
    names the row it used; ``suggestion`` starts the dialog's row.
    """

    file: str
    key: str | None = None
    line: int | None = None
    suggestion: str = ""

    def describe(self) -> str:
        """``projects.csv`` or ``vendors.csv for V2`` or ``cost_codes.csv line 3``."""
        where = f" line {self.line}" if self.line is not None else ""
        return f"{self.file}{where}" + (f" for {self.key}" if self.key else "")


def _dimensions(row: dict[str, Any], shape: ErpShape) -> dict[str, str | None]:
    """An unmapped item's ERP dimensions: from its detail's columns, or its ``dimensions`` text."""
    detail = row.get("detail") or {}
    found: dict[str, str | None] = {}
    for column in shape.columns:
        value = detail.get(column)
        if isinstance(value, str) and value:
            found[column] = value
    text = detail.get("dimensions")
    if not found and isinstance(text, str):  # ``WBS P-1, GL 51000000, cost center -``
        shorts = {shape.dimension(c).short: c for c in shape.columns}
        for part in text.split(", "):
            short, _, value = part.rpartition(" ")
            if short in shorts and value and value != "-":
                found[shorts[short]] = value
    return found


def need(row: dict[str, Any], shape: ErpShape) -> MappingNeed | None:
    """The mapping row that would fix ``row`` (an exception with its parsed detail), if any.

    Unmapped items need a ``projects.csv`` or ``cost_codes.csv`` row, a stale vendor link its
    ``vendors.csv`` row, a vendor one side lacks a link row; any other exception needs the
    one mapping row it names, when it names exactly one. None: no mapping row is to blame.
    """
    kind, rule, key = row.get("kind"), row.get("rule"), str(row.get("key") or "")
    if kind == "unmapped" and rule == "mapping.project":
        project = _dimensions(row, shape).get(shape.project.column)
        return MappingNeed("projects.csv", suggestion=f"{project}," if project else "")
    if kind == "unmapped" and rule == "mapping.cost_code":
        dims = _dimensions(row, shape)
        cells = [dims.get(c) or "" for c in shape.cost_code_keys]
        return MappingNeed("cost_codes.csv", suggestion=",".join(cells) + ",")
    if row.get("object") == "vendor" and (kind in ("missing_in_procore", "missing_in_erp", "unmapped")):
        refs = _refs(row)
        line = refs[0][1] if refs and refs[0][0] == "vendors.csv" else None
        return MappingNeed("vendors.csv", key=key, line=line)
    refs = _refs(row)
    if len(refs) == 1:
        return MappingNeed(refs[0][0], line=refs[0][1])
    return None


def _refs(row: dict[str, Any]) -> list[tuple[str, int]]:
    """The distinct mapping rows an exception's detail names (``mappings/x.csv line 5``)."""
    found: list[tuple[str, int]] = []
    for value in (row.get("detail") or {}).values():
        for v in value if isinstance(value, list) else [value]:
            match = _ROW_REF.search(v) if isinstance(v, str) else None
            if match and (ref := (match.group(1), int(match.group(2)))) not in found:
                found.append(ref)
    return found


def common_need(rows: list[dict[str, Any]], shape: ErpShape) -> MappingNeed | str:
    """The one mapping row all of ``rows`` need, or the sentence saying why there is none."""
    needs: dict[str, MappingNeed | None] = {str(r["exception_id"]): need(r, shape) for r in rows}
    lost = [i for i, n in needs.items() if n is None]
    if lost:
        return (
            f"{len(lost):,} of the {len(rows):,} marked exceptions ({', '.join(lost[:3])}"
            f"{', …' if len(lost) > 3 else ''}) {'names' if len(lost) == 1 else 'name'} no mapping "
            f"row to fix: unmark {'it' if len(lost) == 1 else 'them'}, or fix each from its detail."
        )
    kinds = {n.describe(): n for n in needs.values() if n is not None}
    if len(kinds) > 1:
        shown = sorted(kinds)
        return (
            f"The {len(rows):,} marked exceptions need different mapping rows "
            f"({'; '.join(shown[:3])}{'; …' if len(shown) > 3 else ''}): mark the ones one row fixes."
        )
    first = next(iter(kinds.values()))
    hints = {n.suggestion for n in needs.values() if n is not None and n.suggestion}  # a PO header has none
    return first if len(hints) == 1 else MappingNeed(first.file, first.key, first.line)


@dataclass(frozen=True)
class BulkEffect:
    """What one mapping row does to the marked exceptions (and what else it adds or resolves).

    ``moved``: still open, but under another rule: a WBS element's items now placed in a
    project and waiting for a cost code row. ``untouched``: the row does nothing for them.
    """

    added: list[str]
    resolved: list[str]
    moved: list[str]
    untouched: list[str]

    def refusal(self, marked: list[str]) -> str | None:
        """None when the row resolves or moves on every marked exception; else why not, in a sentence."""
        left = self.untouched
        if not left:
            return None
        return (
            f"This row changes {len(marked) - len(left):,} of the {len(marked):,} marked exceptions; "
            f"{', '.join(left[:3])}{', …' if len(left) > 3 else ''} "
            f"{'needs' if len(left) == 1 else 'need'} a different mapping row, so nothing was changed."
        )


def bulk_preview(
    store: Store, profile: Profile, file: str, line: int | None, row: str, marked: list[str]
) -> BulkEffect:
    """Preview one row for the marked exceptions: nothing is written.

    Like ``preview`` (a diff with the tables on disk against one with the edited copy), but
    each marked exception that stays open is compared on its rule and project, so a row that
    moves it on (the project is now known, the cost code is next) counts as its fix.
    """
    import polars as pl

    from mappings import MappingError
    from reconcile.diff import diff
    from reconcile.exceptions import canonical_frames, load_mappings_for, mappings_for, report

    folder = profile.mappings_dir
    lines, _ = _read(folder, file)
    new_lines, _ = edited_lines(lines, line, row, file)
    cols = ["exception_id", "rule", "project"]
    procore, erp = canonical_frames(store)
    tolerance, currency = profile.rules.amount_tolerance, profile.procore.currency
    try:
        before = diff(procore, erp, load_mappings_for(profile, procore), tolerance, currency=currency)
    except MappingError:  # the table on disk is the one being fixed: what is stored instead
        before = report(store).filter(pl.col("object") != "user")
    root = Path(tempfile.mkdtemp(prefix="tieout-mapping-"))
    try:
        tmp = root / folder.name  # same folder name: exception details read the same
        shutil.copytree(folder, tmp)
        (tmp / file).write_text("\n".join(new_lines) + "\n", encoding="utf-8")
        after = diff(procore, erp, mappings_for(store, profile, tmp), tolerance, currency=currency)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    was = {r[0]: r for r in before.select(cols).iter_rows()}
    now_ = {r[0]: r for r in after.select(cols).iter_rows()}
    added = sorted(set(now_) - set(was))
    resolved = sorted(set(was) - set(now_))
    moved = [i for i in marked if i in now_ and i in was and now_[i] != was[i]]
    untouched = [i for i in marked if i not in resolved and i not in moved]
    return BulkEffect(added, resolved, moved, untouched)


def changes(store: Store) -> list[dict[str, Any]]:
    """Every recorded mapping change, oldest first (the evidence's Mapping changes sheet)."""
    frame = store.query(
        "SELECT id, file, line, before_row, after_row, changed_by, changed_at, "
        "CAST(resolved AS VARCHAR) AS resolved, CAST(added AS VARCHAR) AS added FROM mapping_changes ORDER BY id"
    )
    return frame.to_dicts()
