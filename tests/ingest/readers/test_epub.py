"""The EPUB reader (ingest/readers/epub.py)."""

import io
import zipfile
from pathlib import Path

from ingest.readers import detect_kind
from tests.ingest.readers.support import failure, read

DATA = Path(__file__).resolve().parents[2] / "data" / "office"

CHAPTER_1 = """<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head>
<body><h1>Getting there</h1><p>The ferry leaves the north quay at 12:15.</p>
<ul><li>Bring food<ul><li>and water</li></ul></li><li>Bring a coat</li></ul></body></html>"""
CHAPTER_2 = """<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body>
<h1>Fares</h1><h2>Returns</h2><table><tr><th>Ticket</th><th>Price</th></tr><tr><td>Adult</td><td>12 pounds</td></tr></table>
<blockquote><p>Dogs on a lead travel free.</p></blockquote></body></html>"""
NAV = """<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>
<nav epub:type="toc"><ol><li><a href="text/one.xhtml">1. Getting there</a></li><li><a href="text/two.xhtml#x">2. Fares</a></li></ol></nav></body></html>"""


def make_epub(manifest_extra: str = "", files: dict[str, str] | None = None, first: str = "text/one.xhtml") -> bytes:
    opf = f"""<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Carrow ferry</dc:title><dc:creator>M. Tregear</dc:creator><dc:date>2024-03-18</dc:date></metadata>
<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="c1" href="{first}" media-type="application/xhtml+xml"/><item id="c2" href="text/two.xhtml" media-type="application/xhtml+xml"/>{manifest_extra}</manifest>
<spine><itemref idref="nav"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>"""
    container = """<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", container)
        z.writestr("OEBPS/content.opf", opf)
        z.writestr("OEBPS/nav.xhtml", NAV)
        z.writestr("OEBPS/text/one.xhtml", CHAPTER_1)
        z.writestr("OEBPS/text/two.xhtml", CHAPTER_2)
        for name, body in (files or {}).items():
            z.writestr(name, body)
    return out.getvalue()


def test_epub_chapters_in_reading_order_with_their_structure():
    doc = read("ferry.epub", make_epub())
    assert doc.title == "The Carrow ferry" and doc.author == "M. Tregear" and doc.date == "2024-03-18"
    assert doc.text.startswith("# Getting there\n\nThe ferry leaves the north quay at 12:15.")
    assert "- Bring food\n  - and water\n- Bring a coat" in doc.text
    assert "| Ticket | Price |\n| --- | --- |\n| Adult | 12 pounds |" in doc.text
    assert "> Dogs on a lead travel free." in doc.text
    assert "1. Getting there" not in doc.text  # the navigation document is not a chapter


def test_epub_sections_are_chapters_named_by_the_table_of_contents():
    doc = read("ferry.epub", make_epub())
    labels = [s.label for s in doc.sections]
    assert labels[0].startswith("1. Getting there")
    assert "2. Fares > Fares > Returns" in labels
    where = doc.text.index("12 pounds")
    assert doc.sections_for(where, where + 9) == ["2. Fares > Fares > Returns"]


def test_real_epub():
    doc = read("live-manual.en.epub", (DATA / "live-manual.en.epub").read_bytes())
    assert doc.title == "Live Systems Manual"
    assert "This manual serves as a single access point to all documentation related to the Live Systems Project" in doc.text
    assert len(doc.sections) > 100


def test_epub_with_a_path_outside_its_zip_is_refused():
    error = failure("evil.epub", make_epub(first="../../../etc/passwd"))
    assert error.kind == "unsafe_zip" and "outside the archive" in error.message


def test_epub_with_drm_is_encrypted():
    encryption = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#">
<enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
<enc:CipherData><enc:CipherReference URI="OEBPS/text/one.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>"""
    error = failure("drm.epub", make_epub(files={"META-INF/encryption.xml": encryption}))
    assert error.kind == "encrypted"
    fonts = encryption.replace("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "http://www.idpf.org/2008/embedding")
    assert "12:15" in read("fonts.epub", make_epub(files={"META-INF/encryption.xml": fonts})).text  # obfuscated fonts only


def test_epub_is_typed_by_its_mimetype():
    assert detect_kind("book.zip", make_epub()) == "epub"
