"""Fix a mapping: edit one row of a mapping CSV, preview what it changes, keep or discard.

The preview runs the diff against a copy of the mapping folder, so nothing is written
until the analyst keeps the change; keeping writes the file and re-diffs.
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
from reconcile import sources

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

    def __init__(self, edit: MappingEdit, lines: list[str], body: str) -> None:
        super().__init__()
        self.edit = edit
        self.lines = lines
        self.body = body


class MappingKept(Message):
    """A mapping file was written: re-diff."""

    def __init__(self, edit: MappingEdit) -> None:
        super().__init__()
        self.edit = edit


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
        self.post_message(MappingPreviewed(edit, new_lines, preview_text(edit, added, removed)))

    @on(MappingPreviewed)
    def _mapping_previewed(self, message: MappingPreviewed) -> None:
        def keep(yes: bool | None) -> None:
            if yes:
                self._keep_mapping(message.edit, message.lines)

        self.push_screen(
            ConfirmModal("Keep this mapping change?", message.body, "Keep", "Discard", wide=True), keep
        )

    @work(thread=True, exclusive=True, group="mapping", exit_on_error=False)
    def _keep_mapping(self, edit: MappingEdit, lines: list[str]) -> None:
        path = self.profile.mappings_dir / edit.file
        try:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - a read-only folder: one sentence
            self.post_message(m.WorkFailed("mapping", self.failure("mapping", exc)))
            return
        self.post_message(MappingKept(edit))

    @on(MappingKept)
    def _mapping_kept(self, message: MappingKept) -> None:
        self.write_log(f"Mapping {message.edit.file} changed; re-diffing.")
        self.post_message(m.DiffRequested())
