"""Exports: the same columns in CSV, XLSX and Parquet, exact money, hostile text made safe."""

from __future__ import annotations

import hashlib
import os
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pyarrow.parquet as pq
import pytest

from reconcile.canonical import MONEY
from reconcile.exceptions import REPORT_COLUMNS
from reconcile.export import (
    XLSX_CELL_LIMIT,
    ExportError,
    ExportTargetExists,
    check_target,
    clean_text,
    export,
    export_store,
    neutralise_text,
    write_report,
)
from reconcile.profile import Profile, load_profile

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rReturn",
    "[bold red]Rich markup[/]",
    "\x1b[31mred terminal\x1b[0m",
    "Émoji 🏗️ builders",
    "x" * 300,
]


def frame() -> pl.DataFrame:
    n = len(HOSTILE)
    return pl.DataFrame(
        {
            "exception_id": [f"X{i:012X}" for i in range(n)],
            "object": ["vendor", "commitment_line"] * (n // 2),
            "kind": ["value_mismatch"] * n,
            "key": [f"4500000001/000{i}0" for i in range(n)],
            "project": ["P-1001"] * n,
            "field": ["name"] * n,
            "erp_value": HOSTILE,
            "procore_value": ["-12.50", "12.5", "+3", "-", "ok", "=1", "a", "b", "c", "d"],
            "difference": [
                Decimal("-12.50"),
                Decimal("0.0010"),
                Decimal("123456789.1234"),
                None,
                Decimal("0.01"),
            ]
            * 2,
            "status": ["open"] * n,
            "rule": ["vendor.name"] * n,
            "first_seen": [datetime(2026, 1, 31, 12, 0, tzinfo=UTC)] * n,
            "decided_by": [None] * n,
            "decided_at": [None] * n,
            "note": ["-note starting with minus", *[None] * (n - 1)],
        },
        schema_overrides={
            "difference": MONEY,
            "decided_at": pl.Datetime("us", "UTC"),
            "decided_by": pl.String,
            "note": pl.String,
        },
    )


def test_neutralise_text_leaves_numbers_and_plain_text_alone() -> None:
    assert neutralise_text("-12.50") == "-12.50"
    assert neutralise_text("+3") == "+3"
    assert neutralise_text("=1") == "'=1"
    assert neutralise_text("-") == "'-"
    assert neutralise_text("Acme") == "Acme"
    assert neutralise_text("@x") == "'@x"


def _expected_text(value: str) -> str:
    return neutralise_text(clean_text(value))


def test_csv_round_trip(tmp_path: Path) -> None:
    out = export(frame(), tmp_path / "x.csv", "csv")
    back = pl.read_csv(out, infer_schema=False)
    assert tuple(back.columns) == REPORT_COLUMNS
    assert back["erp_value"].to_list() == [_expected_text(v) for v in HOSTILE]
    assert back["procore_value"].to_list()[:4] == ["-12.50", "12.5", "+3", "'-"]
    assert [Decimal(d) if d else None for d in back["difference"]] == frame()["difference"].to_list()
    assert back["note"][0] == "'-note starting with minus"


def test_parquet_round_trip_keeps_decimal_type(tmp_path: Path) -> None:
    out = export(frame(), tmp_path / "x.parquet", "parquet")
    back = pl.read_parquet(out)
    assert tuple(back.columns) == REPORT_COLUMNS
    assert isinstance(back.schema["difference"], pl.Decimal)
    assert back["difference"].to_list() == frame()["difference"].to_list()
    assert back["erp_value"][0].startswith("=HYPERLINK")  # no spreadsheet opens Parquet: no guard


def test_xlsx_sheets_formats_and_exact_money(tmp_path: Path) -> None:
    audit = pl.DataFrame({"seq": [1], "actor": ["=evil()"], "action": ["approve"]})
    out = export(frame(), tmp_path / "x.xlsx", "xlsx", audit=audit, profile_name="Acme GC / SAP")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "vendor", "commitment_line", "Audit"]
    ws = wb["vendor"]
    header = [c.value for c in ws[1]]
    assert tuple(header) == REPORT_COLUMNS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None
    diff_col = header.index("difference") + 1
    cell = ws.cell(row=2, column=diff_col)
    assert cell.data_type == "n" and "0.00" in cell.number_format
    erp_col = header.index("erp_value") + 1
    values = [ws.cell(row=r, column=erp_col).value for r in range(2, ws.max_row + 1)]
    assert values[0] == "'" + HOSTILE[0]
    assert all(v is None or not v.startswith(("=", "+", "@", "\t", "\r")) for v in values)
    # The terminal escape sequences are stripped whole; the text between them stays verbatim.
    all_text = [c.value for row in wb["commitment_line"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "red terminal" in all_text
    assert wb["Audit"]["B2"].value == "'=evil()"
    # Money is written digit for digit into the sheet XML, not through float.
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet3.xml").decode()
    assert "<v>123456789.1234</v>" in xml
    summary = [[c.value for c in row] for row in wb["Summary"].iter_rows(min_row=6)]
    assert summary[0] == ["object", "kind", "count", "total_difference"]
    assert {tuple(r[:3]) for r in summary[1:]} == {
        ("commitment_line", "value_mismatch", 5),
        ("vendor", "value_mismatch", 5),
    }


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export(frame(), tmp_path / "x.txt", "txt")  # type: ignore[arg-type]


def test_raw_diff_frame_gets_default_status(tmp_path: Path) -> None:
    raw = frame().drop("status", "first_seen", "decided_by", "decided_at", "note")
    back = pl.read_csv(export(raw, tmp_path / "r.csv", "csv"), infer_schema=False)
    assert tuple(back.columns) == REPORT_COLUMNS
    assert set(back["status"]) == {"open"}


# -- where an export may go, and how it is written ---------------------------------------


@pytest.fixture
def demo_profile(tmp_path: Path) -> Profile:
    """A profile on disk with its store (one audit entry) and mapping tables."""
    from app.demo import write_profile
    from reconcile.audit import append
    from reconcile.store import Store

    path = tmp_path / "demo.toml"
    write_profile(path, procore_url="http://127.0.0.1:9", sap_url="http://127.0.0.1:9", extras={})
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "projects.csv").write_text("wbs_element,procore_project_number\n")
    (tmp_path / "mappings" / "extra.csv").write_text("a,b\n")
    profile = load_profile(path)
    with Store(profile.store_path) as store:
        append(store, actor="tester", action="explain", exception_id="X1", after={"note": "n"})
    return profile


def test_check_target_refuses_the_profiles_own_files_under_any_flag(demo_profile: Profile) -> None:
    base = demo_profile.store_path.parent
    (base / "link.csv").symlink_to(demo_profile.store_path)
    os.link(demo_profile.store_path, base / "hard.csv")
    for target, what in [
        (demo_profile.store_path, "is the store"),
        (base / "sub" / ".." / "demo.duckdb", "is the store"),
        (base / "link.csv", "is the store"),
        (base / "hard.csv", "is the store"),
        (base / "demo.duckdb.wal", "write-ahead log"),
        (base / "demo.toml", "is the profile"),
        (base / "mappings" / "projects.csv", "a mapping table"),
        (base / "mappings" / "vendors.csv", "a mapping table"),
        (base / "mappings" / "extra.csv", "a mapping table"),
    ]:
        for overwrite in (False, True):
            with pytest.raises(ExportError, match=what) as err:
                check_target(target, demo_profile, overwrite=overwrite)
            assert not isinstance(err.value, ExportTargetExists)


def test_check_target_asks_before_overwriting_another_file(demo_profile: Profile, tmp_path: Path) -> None:
    old = tmp_path / "last-month.csv"
    old.write_text("keep me")
    with pytest.raises(ExportTargetExists):
        check_target(old, demo_profile, overwrite=False)
    assert check_target(old, demo_profile, overwrite=True) == old
    assert (
        check_target(tmp_path / "new" / "r.csv", demo_profile, overwrite=False) == tmp_path / "new" / "r.csv"
    )


def test_mapping_tables_beside_the_profile_protect_only_themselves(demo_profile: Profile) -> None:
    beside = demo_profile.model_copy(
        update={"mappings": demo_profile.mappings.model_copy(update={"dir": Path(".")})}
    )
    folder = demo_profile.store_path.parent
    (folder / "cost_codes.csv").write_text("gl_account,cost_center,wbs_element,procore_cost_code\n")
    with pytest.raises(ExportError, match="a mapping table"):
        check_target(folder / "cost_codes.csv", beside, overwrite=True)
    with pytest.raises(ExportError, match="a mapping table"):
        check_target(folder / "projects.csv", beside, overwrite=True)  # read by the loader once it exists
    assert check_target(folder / "report.csv", beside, overwrite=False) == folder / "report.csv"
    assert check_target(folder / "report.xlsx", beside, overwrite=False) == folder / "report.xlsx"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("{tmp}", "is a folder"),
        ("{tmp}/demo.toml/r.csv", "is a file, not a folder"),
        ("{tmp}/demo.toml/deeper/r.csv", "is a file, not a folder"),
        ("/dev/null", "not a regular file"),
        ("", "empty"),
    ],
)
def test_check_target_refuses_what_is_not_a_file(
    demo_profile: Profile, tmp_path: Path, target: str, expected: str
) -> None:
    with pytest.raises(ExportError, match=expected):
        check_target(target.format(tmp=tmp_path), demo_profile, overwrite=True)


def test_a_failed_export_leaves_the_old_file_and_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reconcile.export as export_module

    target = tmp_path / "report.xlsx"
    target.write_bytes(b"last month's report")

    def broken(data: pl.DataFrame, path: Path, *args: object, **kwargs: object) -> int:
        path.write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "write_xlsx", broken)
    with pytest.raises(OSError, match="disk full"):
        export(frame(), target, "xlsx")
    assert target.read_bytes() == b"last month's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_the_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    out = export(frame(), tmp_path / "r.csv", "csv")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


# -- text ----------------------------------------------------------------------------------

ESCAPES = [
    "NUL\x00inside",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil.example\x1b\\click me\x1b]8;;\x1b\\",
    "bell\x07 and DEL\x7f and CSI\x9b2J",
    "right-to-left \u202eevil",
    "keeps\ttab and\nnewline",
]


def _one_column(values: list[str]) -> pl.DataFrame:
    n = len(values)
    return (
        frame()
        .head(1)
        .select(pl.all().repeat_by(n).explode())
        .with_columns(pl.Series("erp_value", values), pl.Series("note", values))
    )


def test_csv_drops_control_characters_and_terminal_escapes(tmp_path: Path) -> None:
    out = export(_one_column(ESCAPES), tmp_path / "r.csv", "csv")
    raw = out.read_bytes()
    assert b"\x00" not in raw and b"\x1b" not in raw and b"\x07" not in raw and b"\x7f" not in raw
    assert "\u202e".encode() not in raw and "\x9b".encode() not in raw
    back = pl.read_csv(out, infer_schema=False)["erp_value"].to_list()
    assert back == ["NULinside", "red", "click me", "bell and DEL and CSI", "right-to-left evil", ESCAPES[5]]


def test_parquet_keeps_text_unguarded_but_clean(tmp_path: Path) -> None:
    out = export(_one_column(["=1+1", "-x", "a\x1b[31mb"]), tmp_path / "r.parquet", "parquet")
    assert pl.read_parquet(out)["erp_value"].to_list() == ["=1+1", "-x", "ab"]


@pytest.mark.parametrize("value", ["  =1+1", "\n=1+1", " \n @SUM(A1)", "  -2+3"])
def test_a_formula_after_leading_blanks_is_guarded(value: str) -> None:
    assert neutralise_text(value) == "'" + value


def test_leading_blanks_before_a_number_are_not_guarded() -> None:
    assert neutralise_text(" -12.50") == " -12.50"


def test_csv_guards_a_formula_after_leading_blanks(tmp_path: Path) -> None:
    out = export(_one_column(["  =1+1", "\n=1+1"]), tmp_path / "r.csv", "csv")
    assert pl.read_csv(out, infer_schema=False)["erp_value"].to_list() == ["'  =1+1", "'\n=1+1"]


def test_xlsx_cuts_long_cells_visibly_and_counts_them(tmp_path: Path) -> None:
    long = "x" * 40_000
    result = write_report(_one_column([long, "short"]), tmp_path / "r.xlsx", "xlsx")
    assert result.truncated_cells == 2  # erp_value and note of the first row
    wb = openpyxl.load_workbook(result.path)
    ws = wb["vendor"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("erp_value") + 1).value
    assert len(cell) == XLSX_CELL_LIMIT
    assert cell.endswith("…[truncated: 40,000 characters]")
    notes = [c.value for row in wb["Summary"].iter_rows(max_row=5) for c in row if c.value]
    assert any("2 cell(s) longer than Excel's 32,767 characters were cut" in n for n in notes)


# -- the audit head travels with the report ------------------------------------------------


def test_every_format_carries_the_audit_head(demo_profile: Profile, tmp_path: Path) -> None:
    import json

    from reconcile.audit import chain_head
    from reconcile.store import Store

    with Store(demo_profile.store_path, read_only=True) as store:
        head = chain_head(store)
        assert head.count == 1 and len(head.head_hash) == 64
        csv_result = export_store(store, demo_profile, tmp_path / "out" / "r.csv", "csv", overwrite=False)
        parquet = export_store(
            store, demo_profile, tmp_path / "out" / "r.parquet", "parquet", overwrite=False
        )
        xlsx = export_store(store, demo_profile, tmp_path / "out" / "r.xlsx", "xlsx", overwrite=False)
    manifest = json.loads((tmp_path / "out" / "r.csv.manifest.json").read_text())
    assert csv_result.manifest == tmp_path / "out" / "r.csv.manifest.json"
    assert manifest["sha256"] == hashlib.sha256((tmp_path / "out" / "r.csv").read_bytes()).hexdigest()
    assert manifest["rows"] == 0 and manifest["file"] == "r.csv"
    assert manifest["audit"] == {"entries": 1, "head_hash": head.head_hash}
    meta = pq.read_metadata(parquet.path).metadata
    assert meta[b"tieout.audit_head_hash"] == head.head_hash.encode()
    assert meta[b"tieout.audit_entries"] == b"1"
    summary = [
        c.value for row in openpyxl.load_workbook(xlsx.path)["Summary"].iter_rows(max_row=5) for c in row
    ]
    assert f"Audit log: 1 entries, head hash {head.head_hash}" in summary
