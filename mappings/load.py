"""Read and validate the mapping CSVs into small Polars frames that keep each row's line number.

Why line numbers travel with the rows: every exception records the mapping rows that
produced it, and every table error names the line the analyst must fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from adapters.erp_shape import SAP_S4, ErpShape
from mappings.errors import MappingError

if TYPE_CHECKING:
    from _csv import Reader

VENDOR_COLUMNS = ("erp_vendor", "procore_vendor_id")
#: The files ``load_mappings`` reads from the mapping folder.
TABLE_FILES = ("projects.csv", "cost_codes.csv", "vendors.csv")
VENDORS_SCHEMA = {"erp_vendor": pl.String, "procore_vendor_id": pl.Int64, "line": pl.Int64}


def projects_schema(shape: ErpShape) -> dict[str, type[pl.DataType]]:
    """``projects.csv`` as a frame: the ERP's project key, the Procore project, the line."""
    return {shape.project.column: pl.String, "procore_project_number": pl.String, "line": pl.Int64}


def cost_codes_schema(shape: ErpShape) -> dict[str, type[pl.DataType]]:
    """``cost_codes.csv`` as a frame: the ERP's dimensions in table order, the code, the line."""
    return {**dict.fromkeys(shape.cost_code_columns, pl.String), "line": pl.Int64}


@dataclass(frozen=True)
class Mappings:
    """The three tables, each with a ``line`` column (the CSV line the row came from), keyed by
    the columns ``shape`` declares for its ERP kind (SAP: ``wbs_element``, ``gl_account``...)."""

    label: str  # how errors and exception details name the folder, e.g. "mappings"
    projects: pl.DataFrame
    cost_codes: pl.DataFrame
    vendors: pl.DataFrame
    fingerprint: str = ""
    shape: ErpShape = SAP_S4

    def file(self, name: str) -> str:
        """The name a message uses for one of the tables, e.g. ``mappings/cost_codes.csv``."""
        return f"{self.label}/{name}"

    @classmethod
    def from_rows(
        cls,
        projects: list[tuple[str, str]],
        cost_codes: list[tuple[str | None, ...]],
        vendors: list[tuple[str, int]] | None = None,
        label: str = "mappings",
        shape: ErpShape = SAP_S4,
    ) -> Mappings:
        """Build tables in memory (tests, previews); line numbers count from 2 like a CSV's.
        ``cost_codes`` rows hold the shape's dimensions in table order, then the cost code."""
        proj = pl.DataFrame(
            [(*r, i + 2) for i, r in enumerate(projects)] or None, schema=projects_schema(shape), orient="row"
        )
        cc = pl.DataFrame(
            [(*r, i + 2) for i, r in enumerate(cost_codes)] or None,
            schema=cost_codes_schema(shape),
            orient="row",
        )
        ven = pl.DataFrame(
            [(*r, i + 2) for i, r in enumerate(vendors or [])] or None, schema=VENDORS_SCHEMA, orient="row"
        )
        m = cls(label, proj, cc, ven, shape=shape)
        _check_projects(m)
        _check_cost_codes(m)
        return m


def _read_bytes(path: Path, label: str) -> bytes:
    if path.is_dir():
        raise MappingError(label, None, "is a folder, not a CSV file.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MappingError(label, None, f"cannot be read ({exc.strerror}).") from None


def _read_rows(data: bytes, label: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str | None]]]:
    """(line, row) pairs of one CSV; blank cells become None; any malformation is a MappingError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MappingError(label, line, "is not UTF-8 text (save the file as CSV UTF-8).") from None
    if not text.strip():
        raise MappingError(label, None, f"is empty; it needs a header row: {','.join(columns)}.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse(reader, label, columns)
    except csv.Error as exc:
        # The csv module's own complaints (a cell over its field size limit, a NUL byte)
        # carry no file name; the reader knows the line it stopped on.
        raise MappingError(label, reader.line_num or None, f"is not a readable CSV row ({exc}).") from None


def _parse(reader: Reader, label: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str | None]]]:
    header = [h.strip() for h in next(reader)]
    expected = ",".join(columns)
    for name in header:
        if name not in columns:
            raise MappingError(label, 1, f"unknown column {name!r}; the header must be {expected}.")
    for name in columns:
        if name not in header:
            raise MappingError(label, 1, f"missing column {name!r}; the header must be {expected}.")
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
        rows.append((start, {h: (c.strip() or None) for h, c in zip(header, cells, strict=True)}))
    return rows


def _check_projects(m: Mappings) -> None:
    label = m.file("projects.csv")
    key = m.shape.project.column
    seen: dict[str, tuple[int, str]] = {}
    for project, number, line in m.projects.select(key, "procore_project_number", "line").iter_rows():
        if project is None or number is None:
            raise MappingError(label, line, f"{key} and procore_project_number must both be filled in.")
        if project in seen:
            first, other = seen[project]
            if other == number:
                raise MappingError(label, line, f"duplicate row (same as line {first}).")
            raise MappingError(
                label,
                line,
                f"two equally specific rows map {project} to different projects (lines {first} and {line}).",
            )
        seen[project] = (line, number)


def _check_cost_codes(m: Mappings) -> None:
    """Static checks: a filled cost code, and no two rows with the same key cells."""
    label = m.file("cost_codes.csv")
    seen: dict[tuple[str | None, ...], tuple[int, str]] = {}
    keys = m.shape.cost_code_keys
    for row in m.cost_codes.iter_rows(named=True):
        code, line = row["procore_cost_code"], row["line"]
        if code is None:
            raise MappingError(label, line, "procore_cost_code is empty.")
        key = tuple(row[k] for k in keys)
        if key in seen:
            first, other = seen[key]
            if other == code:
                raise MappingError(label, line, f"duplicate row (same as line {first}).")
            raise MappingError(
                label,
                line,
                f"two equally specific rows match the same records with different cost codes "
                f"(lines {first} and {line}).",
            )
        seen[key] = (line, code)


def _check_vendors(m: Mappings) -> None:
    label = m.file("vendors.csv")
    seen: dict[str, int] = {}
    for vendor, _pid, line in m.vendors.iter_rows():
        if vendor in seen:
            raise MappingError(
                label, line, f"ERP vendor {vendor} is listed twice (lines {seen[vendor]} and {line})."
            )
        seen[vendor] = line


def _check_codes_exist(
    m: Mappings, procore_cost_codes: pl.DataFrame, procore_projects: pl.DataFrame | None
) -> None:
    """Every mapped cost code must exist in the Procore project its row's project key maps to
    (any Procore project when the row names none, or the table has no project column)."""
    from mappings.resolve import resolve_projects

    label = m.file("cost_codes.csv")
    codes = procore_cost_codes.select("project_id", "full_code")
    any_project = set(codes["full_code"].to_list())
    by_number: dict[str, set[str]] = {}
    if procore_projects is not None:
        joined = codes.join(
            procore_projects.select(pl.col("id").alias("project_id"), "project_number"), on="project_id"
        )
        for number, code in joined.select("project_number", "full_code").iter_rows():
            by_number.setdefault(number, set()).add(code)
    key = m.shape.project.column
    rows = (
        resolve_projects(m.cost_codes, m)
        if key in m.shape.cost_code_keys
        else m.cost_codes.with_columns(
            pl.lit(None, pl.String).alias(key), pl.lit(None, pl.String).alias("project_number")
        )
    )
    for code, project, number, line in rows.select(
        "procore_cost_code", key, "project_number", "line"
    ).iter_rows():
        if project is not None and number is not None and number in by_number:
            if code not in by_number[number]:
                raise MappingError(
                    label, line, f"cost code {code} does not exist in Procore project {number}."
                )
        elif code not in any_project:
            raise MappingError(label, line, f"cost code {code} does not exist in any Procore project.")


def load_mappings(
    dir: Path,
    procore_cost_codes: pl.DataFrame | None = None,
    procore_projects: pl.DataFrame | None = None,
    *,
    shape: ErpShape = SAP_S4,
) -> Mappings:
    """Load and validate ``projects.csv``, ``cost_codes.csv`` and the optional ``vendors.csv``,
    with the columns ``shape`` declares for the profile's ERP kind.

    With ``procore_cost_codes`` (and ``procore_projects`` to map project ids to numbers), every
    mapped cost code is checked against the Procore project its row maps to.
    """
    dir = Path(dir)
    label = dir.name or str(dir)
    if dir.exists() and not dir.is_dir():
        raise MappingError(
            str(dir), None, "is a file; [mappings].dir must name the folder of the mapping CSVs."
        )
    digest = hashlib.sha1()
    tables: dict[str, pl.DataFrame] = {}
    specs = (
        ("projects.csv", shape.project_columns, projects_schema(shape), True),
        ("cost_codes.csv", shape.cost_code_columns, cost_codes_schema(shape), True),
        ("vendors.csv", VENDOR_COLUMNS, VENDORS_SCHEMA, False),
    )
    for name, columns, schema, required in specs:
        path = dir / name
        if not path.exists():
            if required:
                raise MappingError(f"{label}/{name}", None, "does not exist.")
            tables[name] = pl.DataFrame(schema=schema)
            continue
        data = _read_bytes(path, f"{label}/{name}")
        digest.update(data)
        rows = _read_rows(data, f"{label}/{name}", columns)
        records: list[tuple[object, ...]] = []
        for line, row in rows:
            values: list[object] = [row[c] for c in columns]
            if name == "vendors.csv":
                if row["erp_vendor"] is None or row["procore_vendor_id"] is None:
                    raise MappingError(
                        f"{label}/{name}", line, "erp_vendor and procore_vendor_id must both be filled in."
                    )
                try:
                    values[1] = int(str(row["procore_vendor_id"]))
                except ValueError:
                    raise MappingError(
                        f"{label}/{name}",
                        line,
                        f"procore_vendor_id {row['procore_vendor_id']!r} is not a number.",
                    ) from None
            records.append((*values, line))
        tables[name] = pl.DataFrame(records or None, schema=schema, orient="row")
    m = Mappings(
        label,
        tables["projects.csv"],
        tables["cost_codes.csv"],
        tables["vendors.csv"],
        digest.hexdigest(),
        shape,
    )
    _check_projects(m)
    _check_cost_codes(m)
    _check_vendors(m)
    if procore_cost_codes is not None:
        _check_codes_exist(m, procore_cost_codes, procore_projects)
    return m
