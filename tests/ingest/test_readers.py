"""How a source is typed: by its bytes first, then its name (ingest/readers/__init__.py)."""

import pytest

from ingest.readers import detect_kind
from ingest.records import SourceError


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
        detect_kind("slides.key", b"PK\x03\x04 zip bytes")
    assert caught.value.kind == "unsupported_type" and ".key" in caught.value.message
    with pytest.raises(SourceError) as caught:
        detect_kind("notes.txt", b"")
    assert caught.value.kind == "empty"
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(256)) * 4, b"text\x01\x02\x03\x04\x05\x06\x07\x08"):
        with pytest.raises(SourceError) as caught:
            detect_kind("picture.md", data)
        assert caught.value.kind == "binary"
