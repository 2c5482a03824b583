"""Export the exception report as CSV, XLSX or Parquet: the same columns, exact money, safe text.

Text is cleaned and, for the spreadsheet formats, neutralised (``reconcile.export_text``);
the workbook layout lives in ``reconcile.export_xlsx``. This module decides where a report
may be written and writes it there safely.

Why the target checks: ``--out`` is typed by hand and run from cron, so one slip must not
replace the store, the profile or a mapping table; and a failed export must not leave half
a file where last month's report was. The file is written beside its target under a
temporary name and renamed over it only when complete (``os.replace`` is atomic within a
folder). The CLI and the workstation both go through ``check_target`` and ``export_store``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from reconcile.canonical import MONEY
from reconcile.exceptions import REPORT_COLUMNS
from reconcile.export_text import clean_text, neutralise, neutralise_text, safe
from reconcile.export_xlsx import XLSX_CELL_LIMIT, Evidence, truncate_cell, write_xlsx

if TYPE_CHECKING:
    from reconcile.audit import ChainHead
    from reconcile.close.period import ClosePeriod
    from reconcile.profile import Profile
    from reconcile.store import Store

Format = Literal["csv", "xlsx", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "parquet")

#: The CSV's manifest sits beside it: ``report.csv`` -> ``report.csv.manifest.json``.
MANIFEST_SUFFIX = ".manifest.json"


class ExportError(Exception):
    """An export target or write that cannot go ahead; the message is one sentence."""


class ExportTargetExists(ExportError):
    """The target file exists and overwriting was not allowed: ask, or pass ``--force``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; pass --force to overwrite it.")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote, for the summary line and the reviewer's records."""

    path: Path
    fmt: Format
    rows: int
    sha256: str
    head: ChainHead | None = None
    truncated_cells: int = 0
    manifest: Path | None = None


REPORT_SCHEMA: dict[str, pl.DataType] = {
    "exception_id": pl.String(),
    "object": pl.String(),
    "kind": pl.String(),
    "key": pl.String(),
    "project": pl.String(),
    "field": pl.String(),
    "erp_value": pl.String(),
    "procore_value": pl.String(),
    "difference": MONEY,
    "status": pl.String(),
    "rule": pl.String(),
    "first_seen": pl.Datetime("us", "UTC"),
    "decided_by": pl.String(),
    "decided_at": pl.Datetime("us", "UTC"),
    "note": pl.String(),
    "reason_code": pl.String(),
    "assigned_to": pl.String(),
}


# -- where an export may go ----------------------------------------------------------------


def _protected(profile: Profile) -> list[tuple[Path, str]]:
    """The profile's own files, which no export may replace, with how a sentence names them.

    The mapping tables are the three the loader reads (even before they exist: an export
    named ``vendors.csv`` would become a mapping table) and every CSV already in the folder,
    which is often the profile's own folder, so only its tables are protected, not the folder.
    """
    from mappings.load import TABLE_FILES

    store = profile.store_path
    out = [(store, "the store"), (Path(f"{store}.wal"), "the store's write-ahead log")]
    if profile.source_path is not None:
        out.append((profile.source_path, "the profile"))
    folder = profile.mappings_dir
    tables = {folder / name for name in TABLE_FILES}
    if folder.is_dir():
        tables.update(p for p in folder.iterdir() if p.suffix.lower() == ".csv")
    out.extend((p, "a mapping table") for p in sorted(tables))
    return out


def _same(a: Path, b: Path) -> bool:
    """One file under two names: equal resolved paths, or (when both exist) the same inode."""
    if a == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_target(path: str | Path, profile: Profile | None, *, overwrite: bool) -> Path:
    """The resolved file an export may write, or ``ExportError`` saying why not.

    Refused under any flag: the store (and its WAL), the profile, a mapping table, a folder,
    a device or other non-regular file, a path below a file. An existing regular file raises
    ``ExportTargetExists`` unless ``overwrite``.
    """
    given = Path(path)
    if not str(path).strip():
        raise ExportError("The export path is empty.")
    target = given.expanduser().resolve()
    if profile is not None:
        for protected, what in _protected(profile):
            if _same(target, protected):
                raise ExportError(f"{given} is {what} ({protected}); an export never overwrites it.")
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ExportError(f"{given} cannot be written: {ancestor} is a file, not a folder.")
    if target.is_dir():
        raise ExportError(f"{given} is a folder; give a file name, e.g. {given / 'exceptions.csv'}.")
    if target.exists() or target.is_symlink():
        if not target.is_file():
            raise ExportError(f"{given} is not a regular file (a device or pipe); export to a file.")
        if not overwrite:
            raise ExportTargetExists(given)
    return target


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed over it when the block succeeds, else removed.

    The temporary file is created with the mode a new file would get (umask applies), so the
    renamed report has ordinary permissions.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the folder {target.parent}: {exc.strerror}.") from None
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except OSError as exc:
        raise ExportError(f"Cannot write in {target.parent}: {exc.strerror}.") from None
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- the report frame ----------------------------------------------------------------------


def report_frame(frame: pl.DataFrame, *, spreadsheet: bool = True) -> pl.DataFrame:
    """The report columns in order (missing ones null; status defaults to ``open``), text made safe."""
    cols = []
    for name, dtype in REPORT_SCHEMA.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype))
        elif name == "status":
            cols.append(pl.lit("open").alias(name))
        else:
            cols.append(pl.lit(None, dtype).alias(name))
    return safe(frame.select(cols), spreadsheet=spreadsheet)


# -- writing ---------------------------------------------------------------------------------


def export(
    frame: pl.DataFrame,
    path: str | Path,
    fmt: Format,
    *,
    audit: pl.DataFrame | None = None,
    profile_name: str = "",
    head: ChainHead | None = None,
) -> Path:
    """Write the report to ``path`` in ``fmt`` (atomically, no target checks); returns the path."""
    return write_report(frame, Path(path), fmt, audit=audit, profile_name=profile_name, head=head).path


def write_report(
    frame: pl.DataFrame,
    path: Path,
    fmt: Format,
    *,
    audit: pl.DataFrame | None = None,
    profile_name: str = "",
    head: ChainHead | None = None,
    evidence: Evidence | None = None,
    sheets: dict[str, pl.DataFrame] | None = None,
) -> ExportResult:
    """Write the report atomically and say what was written.

    The audit head (entry count and last hash) travels with every format: on the XLSX
    summary sheet, in the Parquet file's key-value metadata, and for CSV (which has no place
    for it) in ``PATH.manifest.json`` beside the file with the file's own SHA-256.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use csv, xlsx or parquet")
    data = report_frame(frame, spreadsheet=fmt != "parquet")
    truncated = 0
    with atomic_file(path) as tmp:
        if fmt == "csv":
            data.write_csv(tmp)
        elif fmt == "parquet":
            meta = _parquet_metadata(profile_name, data.height, head)
            if evidence is not None:
                meta["tieout.period"] = evidence.period
            data.write_parquet(tmp, metadata=meta)
        else:
            safe_audit = safe(audit, spreadsheet=True) if audit is not None else None
            if evidence is not None:
                evidence = Evidence(
                    evidence.period,
                    evidence.lines,
                    [(name, safe(sheet, spreadsheet=True)) for name, sheet in evidence.sheets],
                )
            extra = {name: safe(f, spreadsheet=True) for name, f in (sheets or {}).items()}
            truncated = write_xlsx(data, tmp, safe_audit, profile_name, head, evidence, sheets=extra)
    digest = _sha256(path)
    manifest = None
    if fmt == "csv":
        manifest = path.with_name(path.name + MANIFEST_SUFFIX)
        body = {
            "file": path.name,
            "format": fmt,
            "sha256": digest,
            "rows": data.height,
            "profile": profile_name,
            **(
                {"period": evidence.period}
                if evidence is not None
                else {"exported_at": datetime.now(UTC).isoformat(timespec="seconds")}
            ),
            "audit": None if head is None else {"entries": head.count, "head_hash": head.head_hash},
        }
        with atomic_file(manifest) as tmp:
            tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ExportResult(path, fmt, data.height, digest, head, truncated, manifest)


def export_store(
    store: Store,
    profile: Profile,
    path: str | Path,
    fmt: Format,
    *,
    overwrite: bool,
    frame: pl.DataFrame | None = None,
    open_only: bool = True,
    period: ClosePeriod | None = None,
    object: str | None = None,
) -> ExportResult:
    """The one export path of the CLI and the workstation: checked target, report, audit, head.

    ``frame`` is the report to write (the workstation passes its filtered view); by default
    the store's report (open exceptions unless ``open_only`` is False), of one ``object`` when
    given. With ``period`` the default is the period's exceptions with their current status,
    closed ones included; the file carries the period instead of the wall clock, and an XLSX is
    the period's evidence (tie-out per project, sign-offs, this close against the last, mapping
    changes). ``object="user"`` in XLSX is the access review: an "Access review" sheet with every
    in-scope user (``reconcile.people.review``) beside the exceptions and their decisions.
    """
    from reconcile import audit
    from reconcile.exceptions import report

    target = check_target(path, profile, overwrite=overwrite)
    if fmt == "csv":
        check_target(target.with_name(target.name + MANIFEST_SUFFIX), profile, overwrite=True)
    evidence = None
    if period is not None:
        from reconcile.close.evidence import evidence_of, period_report

        data = period_report(store, period) if frame is None else frame
        if object is not None:
            data = data.filter(pl.col("object") == object)
        evidence = evidence_of(store, profile, period, with_sheets=fmt == "xlsx")
    else:
        data = report(store, open_only=open_only, object=object) if frame is None else frame
    log = audit.entries(store) if fmt == "xlsx" else None
    sheets = None
    if object == "user" and fmt == "xlsx" and profile.people is not None:
        from reconcile.people.review import access_review

        sheets = {"Access review": access_review(store, profile)}
    return write_report(
        data,
        target,
        fmt,
        audit=log,
        profile_name=profile.name,
        head=audit.chain_head(store),
        evidence=evidence,
        sheets=sheets,
    )


def _parquet_metadata(profile_name: str, rows: int, head: ChainHead | None) -> dict[str, str]:
    meta = {"tieout.profile": profile_name, "tieout.rows": str(rows)}
    if head is not None:
        meta["tieout.audit_entries"] = str(head.count)
        meta["tieout.audit_head_hash"] = head.head_hash
    return meta


# -- XLSX --------------------------------------------------------------------------------


__all__ = [
    "FORMATS",
    "REPORT_COLUMNS",
    "REPORT_SCHEMA",
    "ExportError",
    "ExportResult",
    "ExportTargetExists",
    "XLSX_CELL_LIMIT",
    "atomic_file",
    "check_target",
    "clean_text",
    "export",
    "export_store",
    "neutralise",
    "neutralise_text",
    "report_frame",
    "truncate_cell",
    "write_report",
]
