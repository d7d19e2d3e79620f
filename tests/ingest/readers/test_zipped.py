"""Zip containers (ingest/readers/zipped.py): typed by content, and every hostile archive a counted reason,
in the extraction workers too."""

import io
import zipfile

import pytest

from ingest.pool import ExtractPool, Limits
from ingest.readers import detect_kind, zipped
from ingest.readers.zipped import ZIP_BOMB_MIN_BYTES, ZIP_MAX_ENTRIES
from ingest.records import SourceError
from ingest.sources import Raw
from tests.ingest.readers.support import failure
from tests.ingest.readers.test_docx import make_docx
from tests.ingest.readers.test_epub import make_epub
from tests.ingest.readers.test_xlsx import make_xlsx


def with_entry(data: bytes, name: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr(name, body)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A real DOCX with one more part that inflates 2 MB of zeros-compressed bytes into 24 MB (ratio ~1000)."""
    return with_entry(make_docx(), "word/media/bomb.xml", b"\0" * (ZIP_BOMB_MIN_BYTES + 14 * 1024 * 1024))


def test_zip_bomb_inside_a_docx_is_refused_before_inflating():
    error = failure("bomb.docx", zip_bomb_docx())
    assert error.kind == "zip_bomb" and "ZIP_BOMB_RATIO" in error.message


def test_archive_inflating_past_the_total_cap_is_a_bomb(monkeypatch):
    monkeypatch.setattr(zipped, "ZIP_MAX_UNCOMPRESSED_BYTES", 100_000)
    error = failure("big.xlsx", make_xlsx(rows=2_000))
    assert error.kind == "zip_bomb" and "ZIP_MAX_UNCOMPRESSED_BYTES" in error.message


def test_zip_with_thousands_of_entries_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_epub())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        for n in range(ZIP_MAX_ENTRIES + 1):
            dst.writestr(f"OEBPS/junk/{n}.txt", b"")
    error = failure("many.epub", out.getvalue())
    assert error.kind == "zip_bomb" and "ZIP_MAX_ENTRIES" in error.message


def test_entry_path_outside_the_archive_is_refused():
    error = failure("slip.docx", with_entry(make_docx(), "../../evil.sh", b"echo"))
    assert error.kind == "unsafe_zip" and "../../evil.sh" in error.message


def test_unknown_zip_is_unsupported_whatever_its_name():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("photos/beach.jpg", b"\xff\xd8\xff")
    for name in ("holiday.zip", "report.docx", "book.epub"):
        with pytest.raises(SourceError) as caught:
            detect_kind(name, out.getvalue())
        assert caught.value.kind == "unsupported_type"


def test_renamed_formats_are_typed_by_content():
    assert detect_kind("fares.docx", make_xlsx()) == "xlsx"  # the bytes win over the name
    assert detect_kind("handbook.epub", make_docx()) == "docx"


def test_hostile_office_files_are_counted_reasons_in_the_workers():
    items = [
        ("bomb", Raw("bomb.docx", zip_bomb_docx())),
        ("slip", Raw("slip.docx", with_entry(make_docx(), "../evil", b"x"))),
        ("corrupt", Raw("cut.xlsx", make_xlsx()[:900])),
        ("traversal", Raw("evil.epub", make_epub(first="../../etc/passwd"))),
        ("good", Raw("handbook.docx", make_docx())),
    ]
    with ExtractPool((512, 64, "cl100k_base"), jobs=1, limits=Limits(seconds=120)) as pool:
        results = dict(pool.map(items))
    kinds = {key: (r.kind if isinstance(r, SourceError) else "ok") for key, r in results.items()}
    assert kinds == {"bomb": "zip_bomb", "slip": "unsafe_zip", "corrupt": "corrupt", "traversal": "unsafe_zip", "good": "ok"}
    source, doc, chunks = results["good"]
    assert source.kind == "docx" and chunks and doc.sections
