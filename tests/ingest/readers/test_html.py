"""The HTML reader (ingest/readers/html.py)."""

import gzip
from pathlib import Path

import pytest
from tests.ingest.samples import COOKIE_BANNER, FOOTER_TEXT, make_html

from ingest.normalize import normalize
from ingest.records import sha256_hex

from tests.ingest.readers.support import failure, read


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


REAL_PAGES = Path(__file__).resolve().parents[3] / "bench" / "htmlrecall" / "pages"


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
