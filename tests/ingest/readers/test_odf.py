"""The OpenDocument readers: ODT, ODP, ODS (ingest/readers/odf.py)."""

import io
import time
import zipfile
from pathlib import Path

from ingest.readers import detect_kind
from ingest.readers.markup import SHEET_MAX_ROWS
from tests.ingest.readers.support import failure, read

DATA = Path(__file__).resolve().parents[2] / "data" / "office"
NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
)


def make_odf(mimetype: str, body: str, manifest: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", f'<?xml version="1.0"?><office:document-content {NS}><office:body>{body}</office:body></office:document-content>')
        z.writestr("META-INF/manifest.xml", manifest or '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


ODT = "application/vnd.oasis.opendocument.text"
TEXT = """<office:text><text:table-of-content><text:index-body><text:p>Fares ..... 2</text:p></text:index-body></text:table-of-content>
<text:h text:outline-level="1">Sailing to Carrow</text:h>
<text:p>The ferry leaves at<text:s text:c="2"/>12:15.<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>
<text:note-body><text:p>In summer only.</text:p></text:note-body></text:note></text:p>
<text:h text:outline-level="2">Fares</text:h>
<text:list><text:list-item><text:p>Adults pay</text:p><text:list><text:list-item><text:p>on board</text:p></text:list-item></text:list></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>Ticket</text:p></table:table-cell><table:table-cell><text:p>Price</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>Adult</text:p></table:table-cell><table:table-cell><text:p>12 pounds</text:p></table:table-cell></table:table-row></table:table>
</office:text>"""


def test_odt_headings_lists_tables_and_notes():
    doc = read("guide.odt", make_odf(ODT, TEXT))
    lines = doc.text.split("\n")
    assert lines[0] == "# Sailing to Carrow" and "## Fares" in lines
    assert "The ferry leaves at 12:15.[1]" in doc.text and doc.text.endswith("Notes\n\n[1] In summer only.")
    assert "- Adults pay\n  - on board" in doc.text
    assert "| Ticket | Price |\n| --- | --- |\n| Adult | 12 pounds |" in doc.text
    assert "....." not in doc.text  # the table of contents repeats the headings: left out
    assert [s.label for s in doc.sections][:2] == ["Sailing to Carrow", "Sailing to Carrow > Fares"]


def test_real_odt():
    doc = read("live-manual.en.odt", (DATA / "live-manual.en.odt").read_bytes())
    assert doc.text.split("\n")[0] == "# Live Systems Manual"
    assert "This manual serves as a single access point to all documentation related to the Live Systems Project" in doc.text
    assert any(s.label.endswith("1.1 For the impatient 「8」") for s in doc.sections)


def test_odp_slides_titles_and_notes():
    body = """<office:presentation>
<draw:page draw:name="p1"><draw:frame presentation:class="title"><draw:text-box><text:p>Timetable</text:p></draw:text-box></draw:frame>
<draw:frame presentation:class="outline"><draw:text-box><text:list><text:list-item><text:p>Daily at 12:15</text:p></text:list-item></text:list></draw:text-box></draw:frame>
<presentation:notes><draw:frame presentation:class="notes"><draw:text-box><text:p>Mention the July change.</text:p></draw:text-box></draw:frame></presentation:notes></draw:page>
<draw:page draw:name="p2"><draw:frame presentation:class="title"><draw:text-box><text:p>Fares</text:p></draw:text-box></draw:frame></draw:page>
</office:presentation>"""
    doc = read("deck.odp", make_odf("application/vnd.oasis.opendocument.presentation", body))
    assert [span.page for span in doc.pages] == [1, 2]
    assert [s.label for s in doc.sections] == ["Slide 1: Timetable", "Slide 2: Fares"]
    assert "## Timetable\n\n- Daily at 12:15\n\nNotes: Mention the July change." in doc.text


def test_ods_sheets_and_a_million_repeated_rows():
    row = "<table:table-row><table:table-cell><text:p>{}</text:p></table:table-cell><table:table-cell><text:p>{}</text:p></table:table-cell></table:table-row>"
    body = f"""<office:spreadsheet><table:table table:name="Fares">{row.format("Ticket", "Price")}{row.format("Adult", "12")}
<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>
<table:table table:name="Repeated"><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="1000"><text:p>x</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet>"""
    started = time.monotonic()
    doc = read("fares.ods", make_odf("application/vnd.oasis.opendocument.spreadsheet", body))
    assert time.monotonic() - started < 10
    assert "## Fares\n\n| Ticket | Price |\n| --- | --- |\n| Adult | 12 |" in doc.text
    assert [s.label for s in doc.sections] == ["Fares", "Repeated"]
    assert doc.text.count("\n| x |") <= SHEET_MAX_ROWS + 50
    assert any("'Repeated' was cut" in w for w in doc.warnings)


def test_odf_with_a_password_is_encrypted():
    manifest = ('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml">'
                "<manifest:encryption-data/></manifest:file-entry></manifest:manifest>")
    assert failure("secret.odt", make_odf(ODT, TEXT, manifest)).kind == "encrypted"


def test_odf_typed_by_mimetype():
    assert detect_kind("guide.zip", make_odf(ODT, TEXT)) == "odt"
    assert detect_kind("x", make_odf("application/vnd.oasis.opendocument.spreadsheet", "")) == "ods"
