"""The DOCX reader (ingest/readers/docx.py)."""

import io
import zipfile
from pathlib import Path

import docx
import pytest

from ingest.readers import detect_kind
from tests.ingest.readers.support import failure, read

DATA = Path(__file__).resolve().parents[2] / "data" / "office"


def make_docx() -> bytes:
    document = docx.Document()
    document.core_properties.title = "Carrow ferry handbook"
    document.core_properties.author = "Morwenna Tregear"
    document.add_heading("Sailing to Carrow", level=1)
    document.add_paragraph("The ferry leaves the north quay every day from April to October.")
    document.add_heading("Fares", level=2)
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(table.rows, [("Ticket", "Price", "Valid"), ("Adult return", "12 pounds", "one day"), ("Child return", "6 pounds", "one day")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_heading("What to bring", level=2)
    for item in ("Food and water", "A waterproof coat"):
        document.add_paragraph(item, style="List Bullet")
    for item in ("Buy a ticket at the kiosk", "Board at the north quay"):
        document.add_paragraph(item, style="List Number")
    document.add_paragraph("Bicycles travel free on every sailing.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def handbook():
    return read("handbook.docx", make_docx())


def test_docx_heading_stays_a_heading_line(handbook):
    lines = handbook.text.split("\n")
    assert "# Sailing to Carrow" in lines and "## Fares" in lines
    assert handbook.title == "Carrow ferry handbook" and handbook.author == "Morwenna Tregear"


def test_docx_table_row_stays_a_row_under_its_header(handbook):
    lines = handbook.text.split("\n")
    header = lines.index("| Ticket | Price | Valid |")
    assert lines[header + 1] == "| --- | --- | --- |"
    assert lines[header + 2] == "| Adult return | 12 pounds | one day |"
    assert lines[header + 3] == "| Child return | 6 pounds | one day |"


def test_docx_lists_stay_lists(handbook):
    assert "- Food and water\n- A waterproof coat" in handbook.text
    assert "1. Buy a ticket at the kiosk\n2. Board at the north quay" in handbook.text
    assert "\n\nBicycles travel free on every sailing." in handbook.text


def test_docx_sections_give_each_heading_its_characters(handbook):
    labels = [s.label for s in handbook.sections]
    assert labels == ["Sailing to Carrow", "Sailing to Carrow > Fares", "Sailing to Carrow > What to bring"]
    where = handbook.text.index("12 pounds")
    assert handbook.sections_for(where, where + 9) == ["Sailing to Carrow > Fares"]
    fares = handbook.sections[1]
    assert handbook.text[fares.start : fares.end].startswith("## Fares")


def _with_parts(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.pop(info.filename, None) or src.read(info))
        for name, body in replace.items():
            dst.writestr(name, body)
    return out.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_docx_footnotes_and_merged_cells():
    base = make_docx()
    body = (
        f'<w:document {W}><w:body>'
        '<w:p><w:r><w:t>The crossing takes forty minutes.</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r></w:p>'
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Quay</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Sailing</w:t></w:r></w:p></w:tc></w:tr>'
        '<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>North</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>08:15</w:t></w:r></w:p></w:tc></w:tr>'
        '<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>12:15</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
        '<w:p><w:r><w:delText>deleted words</w:delText></w:r></w:p>'
        '</w:body></w:document>'
    ).encode()
    notes = (
        f'<w:footnotes {W}><w:footnote w:type="separator" w:id="0"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:id="2"><w:p><w:r><w:t>In calm weather; add ten minutes in a westerly.</w:t></w:r></w:p></w:footnote></w:footnotes>'
    ).encode()
    data = _with_parts(base, {"word/document.xml": body, "word/footnotes.xml": notes})
    data = _with_parts(data, {
        "word/_rels/document.xml.rels": zipfile.ZipFile(io.BytesIO(data)).read("word/_rels/document.xml.rels").replace(
            b"</Relationships>",
            b'<Relationship Id="rIdF" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>',
        ),
        "[Content_Types].xml": zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").replace(
            b"</Types>",
            b'<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
        ),
    })
    doc = read("notes.docx", data)
    assert "The crossing takes forty minutes.[1]" in doc.text
    assert doc.text.endswith("Notes\n\n[1] In calm weather; add ten minutes in a westerly.")
    assert "| North | 12:15 |" in doc.text.split("\n")  # the merged cell's text in every row it spans
    assert "deleted words" not in doc.text
    assert doc.sections[-1].label == "Notes"


def test_real_word_document():
    doc = read("blk-paras-and-tables.docx", (DATA / "blk-paras-and-tables.docx").read_bytes())
    assert doc.text.startswith("Lorem ipsum dolor sit amet, consectetur adipiscing elit.")
    assert doc.text.endswith("Donec semper facilisis metus finibus malesuada.")


def test_docx_is_typed_by_content_not_name():
    data = make_docx()
    assert detect_kind("handbook.docx", data) == "docx"
    assert detect_kind("download.bin", data) == "docx"
    assert detect_kind("https://example.org/files/1234", data) == "docx"


def test_docx_that_is_not_a_zip_is_corrupt():
    error = failure("report.docx", b"This is a plain text file that someone named .docx by mistake.")
    assert error.kind == "corrupt" and "not a zip" in error.message
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 600
    error = failure("secret.docx", ole)
    assert error.kind == "encrypted" and "password" in error.message
    error = failure("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1200)
    assert error.kind == "corrupt" and "97-2003" in error.message


def test_docx_truncated_is_corrupt():
    data = make_docx()
    error = failure("cut.docx", data[: len(data) // 2])
    assert error.kind == "corrupt"
