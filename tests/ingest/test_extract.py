import codecs
import gzip
from pathlib import Path

import pymupdf
import pytest
from tests.ingest.samples import AUTHOR, COOKIE_BANNER, FOOTER_TEXT, HEADER, TITLE, make_html, make_pdf, make_scanned_pdf

from ingest.extract import detect_kind, extract
from ingest.normalize import normalize
from ingest.records import Document, Source, SourceError, sha256_hex


def read(name: str, data: bytes, kind: str | None = None) -> Document:
    source = Source(source_id=name, kind=kind or detect_kind(name, data), content_sha256=sha256_hex(data), size=len(data))
    return extract(source, data)


def failure(name: str, data: bytes, kind: str | None = None) -> SourceError:
    with pytest.raises(SourceError) as caught:
        read(name, data, kind)
    return caught.value


# --- detect_kind ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("report.pdf", b"%PDF-1.7\n...", "pdf"),
        ("download.html", b"%PDF-1.4\n...", "pdf"),  # the bytes win over the name
        ("docs/page.htm", b"<p>hello</p>", "html"),
        ("page.xhtml", b"<p>hello</p>", "html"),
        ("notes.txt", b"plain words", "text"),
        ("README.md", b"# Title", "markdown"),
        ("guide.markdown", b"# Title", "markdown"),
        ("https://example.org/about", b"<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("https://example.org/index.php", b"\n  <html lang='en'><body>x</body></html>", "html"),
        ("README", b"just some text", "text"),
        ("utf16.txt", "UTF-16 text".encode("utf-16"), "text"),
    ],
)
def test_detect_kind_by_content_and_name(name, data, kind):
    assert detect_kind(name, data) == kind


def test_detect_kind_refuses_what_it_cannot_read():
    with pytest.raises(SourceError) as caught:
        detect_kind("slides.pptx", b"PK\x03\x04 zip bytes")
    assert caught.value.kind == "unsupported_type" and ".pptx" in caught.value.message
    with pytest.raises(SourceError) as caught:
        detect_kind("notes.txt", b"")
    assert caught.value.kind == "empty"
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(256)) * 4, b"text\x01\x02\x03\x04\x05\x06\x07\x08"):
        with pytest.raises(SourceError) as caught:
            detect_kind("picture.md", data)
        assert caught.value.kind == "binary"


# --- PDF --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> bytes:
    return make_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf", pages=6).read_bytes()


@pytest.fixture(scope="module")
def report(report_pdf) -> Document:
    return read("report.pdf", report_pdf)


def test_pdf_running_header_footer_and_page_numbers_are_dropped(report, report_pdf):
    with pymupdf.open(stream=report_pdf, filetype="pdf") as raw:
        assert HEADER in raw[0].get_text() and "Page 1 of 6" in raw[0].get_text()
    assert HEADER not in report.text
    assert "Page 3 of 6" not in report.text and " of 6" not in report.text
    # body lines are kept, even those that carry the page number
    assert all(f"Section {n}: Lorem ipsum" in report.text for n in range(1, 7))
    assert report.text.count("The lock gates of the inner basin") == 6 * 3


def test_pdf_hyphenated_line_ends_are_joined_and_real_hyphens_kept(report):
    assert "consectetur adipiscing elit" in report.text
    assert "adip-" not in report.text
    assert "the well-known sample text" in report.text


def test_pdf_ligatures_are_folded(report, report_pdf):
    with pymupdf.open(stream=report_pdf, filetype="pdf") as raw:
        assert "\ufb01nal" in raw[0].get_text()  # the ligature code point is really in the PDF
    assert "The final flow of effort by the officers" in report.text
    assert not any(ch in report.text for ch in "\ufb00\ufb01\ufb02\ufb03\ufb04")


def test_pdf_lines_of_a_paragraph_are_joined_with_spaces(report):
    assert "most of it timber and grain for the mills upstream" in report.text
    assert "\n\nThe lock gates of the inner basin" in report.text  # a new block is a new paragraph


def test_pdf_page_spans_cut_the_text_into_its_pages(report):
    assert [span.page for span in report.pages] == [1, 2, 3, 4, 5, 6]
    for span in report.pages:
        page_text = report.text[span.start : span.end]
        assert page_text.startswith(f"Section {span.page}: ")
        assert page_text.endswith(f"recorded on page {span.page}.")
    for before, after in zip(report.pages, report.pages[1:]):
        assert report.text[before.end : after.start] == "\n\n"
    assert report.pages[-1].end == len(report.text)
    where = report.text.index("recorded on page 4.")
    assert report.pages_for(where, where + 10) == [4]


def test_pdf_document_key_metadata_and_normal_form(report):
    assert report.text_sha256 == sha256_hex(report.text)
    assert report.title == TITLE and report.author == AUTHOR
    assert report.warnings == []
    assert normalize(report.text) == report.text


def test_two_page_pdf_loses_its_header_too(tmp_path):
    doc = read("short.pdf", make_pdf(tmp_path / "short.pdf", pages=2).read_bytes())
    assert HEADER not in doc.text and "Page 2 of 2" not in doc.text
    assert [span.page for span in doc.pages] == [1, 2]


def test_pdf_without_running_lines_loses_nothing(tmp_path):
    doc = read("plain.pdf", make_pdf(tmp_path / "plain.pdf", pages=4, header=False, footer=False).read_bytes())
    assert all(f"Section {n}: Lorem ipsum" in doc.text and f"recorded on page {n}." in doc.text for n in range(1, 5))


def test_single_page_pdf_keeps_every_line(tmp_path):
    doc = read("one.pdf", make_pdf(tmp_path / "one.pdf", pages=1, metadata=False).read_bytes())
    assert HEADER in doc.text and "Page 1 of 1" in doc.text  # nothing shows that these lines repeat
    assert doc.title is None


def test_pdf_page_without_text_is_named_in_a_warning(tmp_path):
    doc = read("mixed.pdf", make_pdf(tmp_path / "mixed.pdf", pages=5, blank_pages=(3,)).read_bytes())
    assert [span.page for span in doc.pages] == [1, 2, 4, 5]
    assert len(doc.warnings) == 1 and "page 3" in doc.warnings[0] and "no text" in doc.warnings[0]
    assert HEADER not in doc.text


def test_encrypted_pdf_is_refused(tmp_path, report_pdf):
    with pymupdf.open(stream=report_pdf, filetype="pdf") as doc:
        locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
        owner_only = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", permissions=0)
    error = failure("locked.pdf", locked)
    assert (error.kind, error.message) == ("encrypted", "encrypted PDF")
    # a PDF that opens without a password (only its permissions are restricted) is read
    assert "consectetur adipiscing elit" in read("restricted.pdf", owner_only).text


def test_scanned_pdf_has_no_text_layer(tmp_path):
    error = failure("scan.pdf", make_scanned_pdf(tmp_path / "scan.pdf").read_bytes())
    assert error.kind == "no_text_layer"
    assert "no text layer — OCR is not enabled" in error.message


@pytest.mark.parametrize("keep", [0.3, 0.8, 0.99])
def test_truncated_pdf_is_corrupt_not_half_read(report_pdf, keep):
    error = failure("cut.pdf", report_pdf[: int(len(report_pdf) * keep)])
    assert error.kind == "corrupt" and "truncated" in error.message


def test_garbage_behind_a_pdf_name_is_corrupt():
    error = failure("broken.pdf", b"%PDF-1.7\n this is not a PDF body at all")
    assert error.kind == "corrupt"
    error = failure("login.pdf", b"<!DOCTYPE html><html><body>Please log in</body></html>")
    assert error.kind == "corrupt" and "HTML" in error.message


# --- HTML -------------------------------------------------------------------------------------


def test_html_keeps_the_main_text_and_drops_the_boilerplate():
    doc = read("guide.html", make_html(4).encode())
    assert "The ferry to the island of Carrow leaves the north quay at 12:15" in doc.text
    assert "lost property box" in doc.text
    assert COOKIE_BANNER not in doc.text and "cookies" not in doc.text
    assert FOOTER_TEXT not in doc.text and "Copyright" not in doc.text
    assert "Timetables" not in doc.text and "Island walks" not in doc.text
    assert normalize(doc.text) == doc.text


def test_html_paragraphs_stay_paragraphs():
    doc = read("guide.html", make_html(4).encode())
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[0] == "Sailing to Carrow, guide 4"
    assert len(paragraphs) == 7 and all(p.endswith(".") for p in paragraphs[1:])


def test_html_metadata():
    doc = read("https://ferry.example.org/guide?id=4", make_html(4).encode(), kind="html")
    assert doc.title == "Sailing to Carrow, guide 4"
    assert doc.author == "Morwenna Tregear"
    assert doc.date == "2024-03-18"
    assert doc.url == "https://ferry.example.org/guide/4"  # the canonical URL
    assert doc.text_sha256 == sha256_hex(doc.text)


@pytest.mark.parametrize("paragraphs", [1, 2, 3])
def test_short_html_page_is_not_empty(paragraphs):
    doc = read("short.html", make_html(1, paragraphs=paragraphs, metadata=False).encode())
    assert doc.text.count("\n\n") == paragraphs  # the heading, then each paragraph
    assert "cookies" not in doc.text and "Copyright" not in doc.text


def test_html_page_laid_out_with_divs():
    html = """<html><head><title>Club news</title></head><body>
    <div class="topbar"><a href="/">Home</a> | <a href="/news">News</a> | <a href="/join">Join</a></div>
    <div id="cookie-notice">This site uses cookies. By continuing you accept our cookie policy.</div>
    <div class="post"><div>The chess club meets on Thursdays at seven in the village hall.</div>
    <div>New members are welcome; boards and clocks are provided.</div></div>
    <div class="footer">&copy; 2024 Village Chess Club &middot; <a href="/privacy">Privacy</a></div></body></html>"""
    doc = read("club.html", html.encode())
    assert doc.text == (
        "The chess club meets on Thursdays at seven in the village hall.\n\n"
        "New members are welcome; boards and clocks are provided."
    )


def test_html_lists_and_line_breaks():
    html = """<html><body><article><h1>Opening hours</h1>
    <p>The museum opens at nine<br>and closes at five, every day of the week except Mondays.</p>
    <ul><li>Adults: 8 pounds</li><li>Children: free</li></ul>
    <p>Last entry is one hour before closing, and the cafe stays open until six o'clock.</p>
    </article></body></html>"""
    text = read("museum.html", html.encode()).text
    assert "The museum opens at nine\nand closes at five" in text
    assert "\n\n- Adults: 8 pounds\n- Children: free\n\n" in text


def test_html_in_cp1252_is_decoded_by_its_meta_charset():
    html = make_html(2).replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    html = html.replace("The ferry to the island", "The café’s ferry to the island")
    doc = read("old.html", html.encode("cp1252"))
    assert "The café’s ferry to the island" in doc.text


REAL_PAGES = Path(__file__).resolve().parents[2] / "bench" / "htmlrecall" / "pages"


@pytest.mark.parametrize(
    "page, wanted, navigation",
    [
        # texinfo: a short list page that favor_precision alone cut to its first line
        ("libffi-missing-features", ["Variadic closures.", "bit fields in structures", "The Go API is undocumented."], "Previous:"),
        # mdBook: a keyboard-shortcut help box and a theme picker around the chapter
        ("nomicon-races", ["Safe Rust guarantees an absence of data races"], "Press S or / to search"),
        # Node.js: a version picker and a table of contents around the text
        ("node-string-decoder", ["The node:string_decoder module provides an API for decoding"], "Other versions"),
    ],
)
def test_real_documentation_page_keeps_its_text_and_drops_its_navigation(page, wanted, navigation):
    data = gzip.decompress((REAL_PAGES / f"{page}.html.gz").read_bytes())
    doc = read(f"{page}.html", data)
    for text in wanted:
        assert text in doc.text
    assert navigation not in doc.text


def test_html_with_no_main_text():
    html = "<html><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav><script>var x = 1;</script></body></html>"
    error = failure("empty.html", html.encode())
    assert error.kind == "no_main_text"


# --- plain text and Markdown ------------------------------------------------------------------

TEXT = "Café “Zur Post” – open at 7 €\r\nsecond line\r\n\r\n\r\n\r\nnext paragraph\n"
EXPECTED = "Café “Zur Post” – open at 7 €\nsecond line\n\nnext paragraph"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with a byte-order mark
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-16-le"),  # no byte-order mark
        TEXT.encode("utf-16-be"),
        TEXT.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-be-bom", "utf-16-le-no-bom", "utf-16-be-no-bom", "cp1252"],
)
def test_text_encodings_give_the_same_document(data):
    doc = read("notes.txt", data)
    assert doc.text == EXPECTED
    assert doc.text_sha256 == sha256_hex(EXPECTED)  # re-saving in another encoding changes nothing


def test_text_that_is_not_cp1252_falls_back_to_latin1():
    assert read("old.txt", b"caf\xe9 \x81 na\xefve").text == "café naïve"  # 0x81: no cp1252 character; a C1 control


def test_broken_utf16_is_an_encoding_error():
    error = failure("broken.txt", codecs.BOM_UTF16_LE + "text".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    assert error.kind == "encoding" and "UTF-16" in error.message


def test_text_failures():
    assert failure("blank.txt", b" \n\t\r\n ").kind == "empty"
    assert failure("nothing.txt", b"", kind="text").kind == "empty"
    assert failure("data.txt", b"\x00\x01\x02\x03binary" * 50, kind="text").kind == "binary"


def test_markdown_keeps_its_markup_and_takes_the_first_heading_as_title():
    md = "Intro\n\n```sh\n# install it\npip install x\n```\n\n## Not the title\n\n# The  Real Title #\n\n- one\n- two\n"
    doc = read("guide.md", md.encode())
    assert doc.title == "The Real Title"
    assert "- one\n- two" in doc.text and "## Not the title" in doc.text
    assert read("plain.txt", md.encode()).title is None
