"""The XLSX reader (ingest/readers/xlsx.py)."""

import datetime as dt
import io
import time
import zipfile
from pathlib import Path

import openpyxl

from ingest.readers.markup import SHEET_HEADER_EVERY, SHEET_MAX_ROWS
from tests.ingest.readers.support import read

DATA = Path(__file__).resolve().parents[2] / "data" / "office"


def make_xlsx(rows: int = 3) -> bytes:
    book = openpyxl.Workbook()
    prices = book.active
    prices.title = "Fares"
    prices.append(["Ticket", "Price", "Since"])
    for n in range(rows):
        prices.append([f"Ticket {n}", 12.0 + n, dt.date(2024, 4, 1)])
    staff = book.create_sheet("Crew")
    staff.append(["Name", "Role"])
    staff.append(["Morwenna Tregear", "Skipper"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_sheet_names_and_column_names_are_kept():
    doc = read("fares.xlsx", make_xlsx())
    lines = doc.text.split("\n")
    assert "## Fares" in lines and "## Crew" in lines
    header = lines.index("| Ticket | Price | Since |")
    assert lines[header + 2] == "| Ticket 0 | 12 | 2024-04-01 |"  # whole numbers without ".0", dates as ISO
    assert "| Morwenna Tregear | Skipper |" in lines
    assert [s.label for s in doc.sections] == ["Fares", "Crew"]
    where = doc.text.index("Skipper")
    assert doc.sections_for(where, where + 7) == ["Crew"]
    assert doc.warnings == []


def test_long_sheet_is_cut_with_a_warning_and_repeats_its_header():
    doc = read("long.xlsx", make_xlsx(rows=SHEET_MAX_ROWS + 200))
    assert f"| Ticket {SHEET_MAX_ROWS - 2} |" in doc.text and f"| Ticket {SHEET_MAX_ROWS} |" not in doc.text
    assert any("'Fares' was cut" in w and "SHEET_MAX_ROWS" in w for w in doc.warnings)
    assert doc.text.count("| Ticket | Price | Since |") == -(-(SHEET_MAX_ROWS - 1) // SHEET_HEADER_EVERY)


def million_cell_xlsx(rows: int = 50_000, columns: int = 20) -> bytes:
    """A workbook of a million numeric cells, written as its XML (openpyxl would take a minute)."""
    letters = [chr(ord("A") + i) for i in range(columns)]
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in letters) + "</row>" for r in range(1, rows + 1)
    )
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{body}</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_xlsx())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    return out.getvalue()


def test_million_cell_sheet_reads_only_its_first_rows_quickly():
    data = million_cell_xlsx()
    started = time.monotonic()
    doc = read("huge.xlsx", data)
    assert time.monotonic() - started < 20
    assert len([line for line in doc.text.split("\n") if line.startswith("| ")]) < SHEET_MAX_ROWS * 1.2
    assert any("SHEET_MAX_ROWS" in w for w in doc.warnings)


def test_real_excel_workbook():
    doc = read("sheets.xlsx", (DATA / "sheets.xlsx").read_bytes())
    assert [s.label for s in doc.sections] == ["Реестр", "Вариант использования"]
    assert "| № | URL | Название | Вер. | Сост. | Аналитик | Заказчик |" in doc.text.split("\n")
