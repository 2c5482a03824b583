"""Exports: the same columns in CSV, XLSX and Parquet, exact money, hostile text made safe."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from reconcile.canonical import MONEY
from reconcile.exceptions import REPORT_COLUMNS
from reconcile.export import clean_text, export, neutralise_text

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
