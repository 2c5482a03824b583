"""Fix a mapping: edit one row of a mapping CSV, preview what it changes, keep or discard.

The preview runs the diff against a copy of the mapping folder, so nothing is written
until the analyst keeps the change; keeping goes through the audited path
(``reconcile.close.mapping_changes``: who, when, the row, the exceptions it resolved) and
re-diffs. From the grid, one row fixes many marked exceptions at once: their common need
is found first (different needs: one sentence, no dialog), and the row is applied only
when its preview resolves (or moves on to their next rule) every marked exception, after one
confirmation naming the count.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from textual import on, work
from textual.message import Message

from app.tui import messages as m
from app.tui.flows.base import Workstation
from app.tui.screens.modals import ConfirmModal, MappingEdit, MappingModal
from reconcile import query, sources
from reconcile.close.mapping_changes import BulkEffect, MappingChange, MappingNeed
from reconcile.suggest import vendor_suggestions

#: Exceptions listed per side in the preview; the rest are counted.
PREVIEW_LINES = 20


def apply_edit(lines: list[str], edit: MappingEdit) -> list[str]:
    """The CSV lines with one data row replaced (or appended)."""
    out = list(lines)
    if edit.line is None:
        out.append(edit.row)
    else:
        out[edit.line - 1] = edit.row
    return out


def preview_text(edit: MappingEdit, added: list[str], removed: list[str]) -> str:
    """What the confirm dialog says a mapping change would do."""
    body = f"{edit.file}: {'add' if edit.line is None else f'line {edit.line} →'} {edit.row}\n\n"
    plural = "" if len(added) == 1 else "s"
    body += f"{len(added)} exception{plural} would appear, {len(removed)} would be resolved.\n"
    for sign, found in (("+", added), ("-", removed)):
        body += "".join(f"\n{sign} {line}" for line in found[:PREVIEW_LINES])
        if len(found) > PREVIEW_LINES:
            body += f"\n{sign} … and {len(found) - PREVIEW_LINES} more"
    return body


class LookupsLoaded(Message):
    """The values a mapping row may name, for the dialog that asked."""

    def __init__(self, modal: MappingModal, lookups: list[sources.Lookup]) -> None:
        super().__init__()
        self.modal = modal
        self.lookups = lookups


class MappingPreviewed(Message):
    """A mapping change's effect, for the keep-or-discard dialog."""

    def __init__(self, edit: MappingEdit, body: str) -> None:
        super().__init__()
        self.edit = edit
        self.body = body


class MappingKept(Message):
    """A mapping change was recorded (and its file written): re-diff."""

    def __init__(self, edit: MappingEdit, change: MappingChange, count: int = 1) -> None:
        super().__init__()
        self.edit = edit
        self.change = change
        self.count = count  # the marked exceptions it was made for


class OneFix(Message):
    """The grid's ``m`` on one exception: the detail's dialog, with the rows it used."""

    def __init__(self, exception_id: str, used: list[dict[str, Any]], similar: Sequence[Any]) -> None:
        super().__init__()
        self.exception_id = exception_id
        self.used = used
        self.similar = similar


class NeedFound(Message):
    """What the marked exceptions need: one mapping row, or the sentence why not."""

    def __init__(self, ids: list[str], need: MappingNeed | str) -> None:
        super().__init__()
        self.ids = ids
        self.need = need


class BulkPreviewed(Message):
    """One row's effect, checked to resolve every marked exception: ask once."""

    def __init__(self, edit: MappingEdit, ids: list[str], body: str) -> None:
        super().__init__()
        self.edit = edit
        self.ids = ids
        self.body = body


def bulk_text(edit: MappingEdit, ids: list[str], effect: BulkEffect) -> str:
    """What the bulk confirmation says: the row, what it does to the marked, what else it changes."""
    marked = set(ids)
    mine = [i for i in effect.resolved if i in marked]
    others = len(effect.resolved) - len(mine)
    added, resolved = effect.added, effect.resolved
    body = f"{edit.file}: {'add' if edit.line is None else f'line {edit.line} →'} {edit.row}\n\n"
    body += f"It resolves {len(mine):,} of the {len(ids):,} marked exceptions"
    body += f" (and {others:,} more)" if others else ""
    if effect.moved:
        n = len(effect.moved)
        body += f"; {n:,} {'stays' if n == 1 else 'stay'} open under another rule (the next row they need)"
    body += f"; {len(added):,} would appear. Recorded once, with every exception it resolves.\n"
    body += "".join(f"\n→ {i}" for i in effect.moved[:PREVIEW_LINES])
    for sign, found in (("+", added), ("-", resolved)):
        body += "".join(f"\n{sign} {line}" for line in found[:PREVIEW_LINES])
        if len(found) > PREVIEW_LINES:
            body += f"\n{sign} … and {len(found) - PREVIEW_LINES} more"
    return body


class MappingFlow(Workstation):
    """Edit, preview, keep."""

    def fix_mapping(self, exception_id: str, used: list[dict[str, Any]], similar: Sequence[Any] = ()) -> None:
        folder = self.profile.mappings_dir
        files = {p.name: p.read_text(encoding="utf-8").splitlines() for p in sorted(folder.glob("*.csv"))}
        if similar:  # a vendor one side lacks, with a likely counterpart: offer the link row
            files.setdefault("vendors.csv", ["erp_vendor,procore_vendor_id"])
            modal = MappingModal(files, "vendors.csv", None, similar[0].mapping_row)
            self.push_screen(modal, partial(self._mapping_edited, files))
            self._load_lookups(modal)
            return
        if not files:
            self.say(f"No mapping CSVs in {folder}.", severity="error")
            return
        first = used[0] if used else {}
        file = first.get("file") or first.get("table")
        line = first.get("line")
        modal = MappingModal(files, str(file) if file else None, int(line) if isinstance(line, int) else None)
        self.push_screen(modal, partial(self._mapping_edited, files))
        self._load_lookups(modal)

    @work(thread=True, exclusive=True, group="lookups", exit_on_error=False)
    def _load_lookups(self, modal: MappingModal) -> None:
        """Procore's projects, cost codes and vendors for the dialog's as-you-type lookup."""
        self.post_message(LookupsLoaded(modal, sources.lookups(self.store)))

    @on(LookupsLoaded)
    def _lookups_loaded(self, message: LookupsLoaded) -> None:
        message.modal.set_lookups(message.lookups)

    def _mapping_edited(self, files: dict[str, list[str]], edit: object) -> None:
        if isinstance(edit, MappingEdit):
            self._preview_mapping(edit, files)

    @work(thread=True, exclusive=True, group="mapping", exit_on_error=False)
    def _preview_mapping(self, edit: MappingEdit, files: dict[str, list[str]]) -> None:
        root = Path(tempfile.mkdtemp(prefix="tieout-mapping-"))
        tmp = root / self.profile.mappings_dir.name  # same folder name: details read the same
        try:
            shutil.copytree(self.profile.mappings_dir, tmp)
            new_lines = apply_edit(files[edit.file], edit)
            (tmp / edit.file).write_text("\n".join(new_lines) + "\n", encoding="utf-8")
            added, removed = self.services.preview_mapping_change(tmp)
        except Exception as exc:  # noqa: BLE001 - MappingError and friends: one sentence
            self.post_message(m.WorkFailed("mapping preview", self.failure("mapping preview", exc)))
            return
        finally:
            shutil.rmtree(root, ignore_errors=True)
        self.post_message(MappingPreviewed(edit, preview_text(edit, added, removed)))

    @on(MappingPreviewed)
    def _mapping_previewed(self, message: MappingPreviewed) -> None:
        def keep(yes: bool | None) -> None:
            if yes:
                self._keep_mapping(message.edit, [])

        self.push_screen(
            ConfirmModal("Keep this mapping change?", message.body, "Keep", "Discard", wide=True), keep
        )

    @work(thread=True, exclusive=True, group="mapping", exit_on_error=False)
    def _keep_mapping(self, edit: MappingEdit, ids: list[str]) -> None:
        """Record and write the row through the audited path (refused in a locked period)."""
        try:
            change = self.services.apply_mapping_change(
                edit.file, edit.line, edit.row, actor=self.settings.actor
            )
        except Exception as exc:  # noqa: BLE001 - a locked period, a bad row, a read-only folder
            self.post_message(m.WorkFailed("mapping", self.failure("mapping", exc)))
            return
        self.post_message(MappingKept(edit, change, len(ids) or 1))

    @on(MappingKept)
    def _mapping_kept(self, message: MappingKept) -> None:
        change = message.change
        n = len(change.resolved)
        line = (
            f"Mapping {message.edit.file} changed (change {change.id} by {change.changed_by}, "
            f"{n:,} exception{'' if n == 1 else 's'} resolved); re-diffing."
        )
        self.write_log(line)
        if message.count > 1:
            self.say(f"One {message.edit.file} row for {message.count:,} exceptions: {n:,} resolved.")
            if self.exceptions is not None and self.exceptions.is_mounted:
                self.exceptions.clear_marks()
        self.post_message(m.DiffRequested())

    # -- one row for many (the grid's m) ---------------------------------------------------
    def fix_mapping_many(self, ids: list[str]) -> None:
        """The grid's ``m``: one mapping row for the marked exceptions (or the cursor's one)."""
        if ids:
            self._find_need(ids)

    @work(thread=True, exclusive=True, group="mapping", exit_on_error=False)
    def _find_need(self, ids: list[str]) -> None:
        from app.tui.screens.detail import mapping_rows

        try:
            if len(ids) == 1:
                row = query.exception(self.store, ids[0])
                if row is not None:
                    self.post_message(OneFix(ids[0], mapping_rows(row), vendor_suggestions(self.store, row)))
                return
            need = self.services.mapping_need(ids)
        except Exception as exc:  # noqa: BLE001 - a people-only profile has no ERP shape: one sentence
            self.post_message(m.WorkFailed("mapping", self.failure("mapping", exc)))
            return
        self.post_message(NeedFound(ids, need))

    @on(OneFix)
    def _one_fix(self, message: OneFix) -> None:
        self.fix_mapping(message.exception_id, message.used, message.similar)

    @on(NeedFound)
    def _need_found(self, message: NeedFound) -> None:
        need = message.need
        if isinstance(need, str):
            self.write_log(need)
            self.say(need, severity="warning", timeout=8)
            return
        folder = self.profile.mappings_dir
        files = {p.name: p.read_text(encoding="utf-8").splitlines() for p in sorted(folder.glob("*.csv"))}
        if need.file not in files and need.file == "vendors.csv":
            files["vendors.csv"] = ["erp_vendor,procore_vendor_id"]
        if need.file not in files:
            self.say(f"There is no {need.file} in {folder} to add the row to.", severity="error")
            return
        ids = message.ids
        modal = MappingModal(files, need.file, need.line, need.suggestion, count=len(ids))

        def edited(edit: object) -> None:
            if isinstance(edit, MappingEdit):
                self._preview_bulk(edit, ids)

        self.push_screen(modal, edited)
        self._load_lookups(modal)

    @work(thread=True, exclusive=True, group="mapping", exit_on_error=False)
    def _preview_bulk(self, edit: MappingEdit, ids: list[str]) -> None:
        try:
            effect = self.services.preview_mapping_for(ids, edit.file, edit.line, edit.row)
        except Exception as exc:  # noqa: BLE001 - MappingError and friends: one sentence
            self.post_message(m.WorkFailed("mapping preview", self.failure("mapping preview", exc)))
            return
        refusal = effect.refusal(ids)
        if refusal is not None:
            self.post_message(m.WorkFailed("mapping", refusal))
            return
        self.post_message(BulkPreviewed(edit, ids, bulk_text(edit, ids, effect)))

    @on(BulkPreviewed)
    def _bulk_previewed(self, message: BulkPreviewed) -> None:
        n = len(message.ids)

        def apply(yes: bool | None) -> None:
            if yes:
                self._keep_mapping(message.edit, message.ids)

        title = f"Apply this mapping row to {n:,} exception{'' if n == 1 else 's'}?"
        self.push_screen(ConfirmModal(title, message.body, "Apply", "Discard", wide=True), apply)
