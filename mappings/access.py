"""``access.csv``: which IdP group grants which Procore project with which permission template.

Columns ``idp_group,procore_project_number,permission_template``; a blank project grants the
company permission template. Checked here, statically: filled cells, no duplicate row, and no
group granting two templates for the same project (or two company templates). Two *different*
groups granting one user different templates is decided per user when the people diff runs
(``reconcile.people.diff``), because only the IdP knows who sits in both groups: a table where
"Estimators" and "Field" grant different templates on one project is fine until someone is in
both, and then the error names that user and both lines.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mappings.errors import MappingError

ACCESS_COLUMNS = ("idp_group", "procore_project_number", "permission_template")
ACCESS_SCHEMA = {"idp_group": pl.String, "project": pl.String, "template": pl.String, "line": pl.Int64}


@dataclass(frozen=True)
class AccessTable:
    """The rows of ``access.csv`` (``project`` null = the company template), each with its line."""

    label: str  # how errors name the file, e.g. "mappings/access.csv"
    rows: pl.DataFrame

    @classmethod
    def from_rows(
        cls, rows: list[tuple[str, str | None, str]], label: str = "mappings/access.csv"
    ) -> AccessTable:
        """Build a table in memory (tests, previews); line numbers count from 2 like a CSV's."""
        frame = pl.DataFrame(
            [(*r, i + 2) for i, r in enumerate(rows)] or None, schema=ACCESS_SCHEMA, orient="row"
        )
        table = cls(label, frame)
        _check(table)
        return table


def read_csv_rows(
    path: Path, label: str, columns: tuple[str, ...], *, extra_ok: bool = False
) -> list[tuple[int, dict[str, str | None]]]:
    """(line, row) pairs of a CSV with a header; blank cells are None; problems name file and line.

    ``extra_ok`` keeps unknown columns out of the rows instead of refusing them (an HR export
    carries many more columns than the roster needs).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MappingError(label, None, f"cannot be read ({exc.strerror}).") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MappingError(
            label, data[: exc.start].count(b"\n") + 1, "is not UTF-8 text (save it as CSV UTF-8)."
        ) from None
    if not text.strip():
        raise MappingError(label, None, f"is empty; it needs a header row: {','.join(columns)}.")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    if not extra_ok:
        for name in header:
            if name not in columns:
                raise MappingError(
                    label, 1, f"unknown column {name!r}; the columns are {', '.join(columns)}."
                )
    for name in columns:
        if name not in header:
            raise MappingError(label, 1, f"missing column {name!r}.")
    if len(set(header)) != len(header):
        raise MappingError(label, 1, "a column appears twice in the header.")
    rows: list[tuple[int, dict[str, str | None]]] = []
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise MappingError(label, start, f"has {len(cells)} cells; the header has {len(header)}.")
        row = {h: (c.strip() or None) for h, c in zip(header, cells, strict=True) if h in columns}
        rows.append((start, row))
    return rows


def load_access(path: Path, label: str | None = None) -> AccessTable:
    """Read and check ``access.csv``; any problem is a ``MappingError`` naming file and line."""
    label = label or path.name
    rows = read_csv_rows(path, label, ACCESS_COLUMNS)
    frame = pl.DataFrame(
        [(r["idp_group"], r["procore_project_number"], r["permission_template"], line) for line, r in rows]
        or None,
        schema=ACCESS_SCHEMA,
        orient="row",
    )
    table = AccessTable(label, frame)
    _check(table)
    return table


def _check(t: AccessTable) -> None:
    seen: dict[tuple[str, str | None], tuple[int, str]] = {}
    for group, project, template, line in t.rows.iter_rows():
        if group is None or template is None:
            raise MappingError(t.label, line, "idp_group and permission_template must both be filled in.")
        key = (group, project)
        if key in seen:
            first, other = seen[key]
            if other == template:
                raise MappingError(t.label, line, f"duplicate row (same as line {first}).")
            what = f"project {project}" if project else "the company template"
            raise MappingError(
                t.label, line, f"group {group!r} grants two templates for {what} (lines {first} and {line})."
            )
        seen[key] = (line, template)


def check_projects(t: AccessTable, known: set[str]) -> None:
    """Every project number the table names must be a Procore project (a typo is an error, not silence)."""
    for _group, project, _template, line in t.rows.iter_rows():
        if project is not None and project not in known:
            raise MappingError(
                t.label, line, f"procore_project_number {project!r} is not a project in Procore."
            )
