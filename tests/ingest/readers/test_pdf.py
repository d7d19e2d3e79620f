"""The PDF reader (ingest/readers/pdf.py)."""

import pymupdf
import pytest
from tests.ingest.samples import AUTHOR, HEADER, TITLE, make_pdf, make_scanned_pdf

from ingest import ocr
from ingest.normalize import normalize
from ingest.readers import ReadOptions
from ingest.records import Document, sha256_hex
from tests.ingest.readers.support import failure, read


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
    assert doc.title == "Harbour Authority of Port Elwin - Annual Operations Review"  # no metadata title: the first line, which reads as one


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
    data = make_scanned_pdf(tmp_path / "scan.pdf").read_bytes()
    error = failure("scan.pdf", data, options=ReadOptions(ocr=False))
    assert error.kind == "no_text_layer"
    assert "no text layer — OCR is off ([sources] ocr = false)" in error.message


needs_ocr = pytest.mark.skipif(ocr.engine_name() is None, reason=ocr.unavailable_reason())


def scan_of(pdf: bytes, dpi: int = 200) -> bytes:
    """The pages of `pdf` as a scanner would give them: each an image, no text layer."""
    with pymupdf.open(stream=pdf, filetype="pdf") as src, pymupdf.open() as out:
        for page in src:
            image = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).tobytes("png")
            scanned = out.new_page(width=page.rect.width, height=page.rect.height)
            scanned.insert_image(scanned.rect, stream=image)
        return out.tobytes()


@needs_ocr
def test_scanned_page_is_read_by_ocr_and_marked(tmp_path):
    pdf = make_pdf(tmp_path / "two.pdf", pages=2, header=False, footer=False).read_bytes()
    with pymupdf.open(stream=pdf, filetype="pdf") as mixed:  # page 1 keeps its text layer, page 2 is a scan
        mixed.insert_pdf(pymupdf.open(stream=scan_of(pdf), filetype="pdf"), from_page=1, to_page=1)
        mixed.delete_page(1)
        data = mixed.tobytes()
    doc = read("mixed.pdf", data)
    assert [(span.page, span.ocr) for span in doc.pages] == [(1, False), (2, True)]
    page2 = doc.text[doc.pages[1].start : doc.pages[1].end]
    assert "Section 2: Lorem ipsum dolor sit amet" in page2
    assert "The lock gates of the inner basin were overhauled" in page2
    assert any("read by OCR: page 2" in w for w in doc.warnings)


@needs_ocr
def test_ocr_page_budget_is_kept(tmp_path):
    pdf = make_pdf(tmp_path / "one.pdf", pages=1).read_bytes()
    error = failure("scan.pdf", scan_of(pdf), options=ReadOptions(ocr_page_seconds=0.01))
    assert error.kind == "no_text_layer" and "ocr_page_seconds" in error.message


@pytest.mark.parametrize("keep", [0.3, 0.8, 0.99])
def test_truncated_pdf_is_corrupt_not_half_read(report_pdf, keep):
    error = failure("cut.pdf", report_pdf[: int(len(report_pdf) * keep)])
    assert error.kind == "corrupt" and "truncated" in error.message


def test_garbage_behind_a_pdf_name_is_corrupt():
    error = failure("broken.pdf", b"%PDF-1.7\n this is not a PDF body at all")
    assert error.kind == "corrupt"
    error = failure("login.pdf", b"<!DOCTYPE html><html><body>Please log in</body></html>")
    assert error.kind == "corrupt" and "HTML" in error.message
