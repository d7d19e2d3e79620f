"""The source readers, and how a source is typed and read.

`READERS` is the list of formats, in the order their `sniff` is asked. A source's kind comes from its
bytes first (a reader that recognises them whatever the name says: "%PDF-"), then from its extension,
then, for a name with an unknown or no extension, from a reader that `guess`es it (HTML tags in
`/page.php`); a name with no extension whose bytes are text is plain text. Anything else is a counted
`unsupported_type`, and so is a zip archive that no reader recognises (a .zip, a .jar; a DOCX is typed by
its content types, not its name). A text-based kind whose bytes are not text is `binary`.

To add a format: one module here with a `Reader` subclass, and one line in READERS (docs/architecture.md).
"""

from __future__ import annotations

from ..decode import looks_binary
from ..records import Document, Source, SourceError, sha256_hex
from ..sources import Raw
from .base import Extracted, ReadOptions, Reader, fallback_title, usable_title
from .docx import DocxReader
from .epub import EpubReader
from .fb2 import Fb2Reader
from .html import HtmlReader
from .odf import OdpReader, OdsReader, OdtReader
from .pdf import PdfReader
from .pptx import PptxReader
from .text import MarkdownReader, TextReader
from .xlsx import XlsxReader
from .zipped import is_unknown_zip

READERS: list[Reader] = [
    PdfReader(),
    DocxReader(),
    PptxReader(),
    XlsxReader(),
    EpubReader(),
    OdtReader(),
    OdpReader(),
    OdsReader(),
    Fb2Reader(),
    HtmlReader(),
    MarkdownReader(),
    TextReader(),
]

BY_KIND: dict[str, Reader] = {reader.kind: reader for reader in READERS}
EXTENSIONS: dict[str, str] = {ext: reader.kind for reader in READERS for ext in reader.extensions}
_TEXT = BY_KIND["text"]

__all__ = ["BY_KIND", "EXTENSIONS", "READERS", "Extracted", "ReadOptions", "Reader", "detect_kind", "extension", "extract", "read_document", "to_source"]


def extension(name: str) -> str:
    """".pdf" of "docs/a.PDF", "" of "README" or "https://host/"; query and fragment ignored."""
    base = name.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


# A Git LFS pointer: the small text file git leaves in place of a large file that was not fetched.
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
LFS_POINTER_MAX_BYTES = 1024


def detect_kind(name: str, data: bytes) -> str:
    """The kind of a source, from its bytes first and its name second (see the module's docstring)."""
    if not data:
        raise SourceError("empty", "the file is empty (0 bytes)")
    if data.startswith(LFS_POINTER) and len(data) <= LFS_POINTER_MAX_BYTES:
        raise SourceError(
            "lfs_pointer",
            "a Git LFS pointer, not the document it stands for: run 'git lfs pull' in its repository (git-lfs installed) "
            "so that the file holds its content",
        )
    for reader in READERS:
        if reader.sniff(data):
            return reader.kind
    ext = extension(name)
    if is_unknown_zip(data):
        raise SourceError(
            "unsupported_type",
            f"a zip archive{f' named {ext}' if ext else ''} that holds none of the formats read "
            "(DOCX, PPTX and XLSX are typed by their [Content_Types].xml, OpenDocument and EPUB by their mimetype entry)",
        )
    reader = BY_KIND.get(EXTENSIONS.get(ext, ""))
    if reader is None:
        reader = next((r for r in READERS if r.guess(data, ext)), None)
        if reader is None and ext:
            raise SourceError(
                "unsupported_type",
                f"{ext} files are not read (supported: {', '.join(r.kind for r in READERS)}: {' '.join(sorted(EXTENSIONS))})",
            )
        reader = reader or _TEXT
    if reader.text_based and looks_binary(data):
        raise SourceError("binary", f"binary data, not {reader.kind} (it has NUL or control bytes)")
    return reader.kind


def extract(source: Source, data: bytes, options: ReadOptions = ReadOptions()) -> Document:
    """The normalized text of one source, with its title and provenance. Raises SourceError with a
    countable kind; what a library raises is `extract_error`, never a crash of the run."""
    if not data:
        raise SourceError("empty", "the file is empty (0 bytes)")
    reader = BY_KIND.get(source.kind)
    if reader is None:
        raise SourceError("unsupported_type", f"no reader for sources of kind {source.kind!r}")
    try:
        found = reader.extract(data, source.source_id, options)
    except SourceError:
        raise
    except RecursionError as exc:
        raise SourceError("extract_error", f"nested too deeply to read ({exc})") from exc
    except MemoryError:
        raise  # the worker's memory ceiling: ingest.pool names it
    except Exception as exc:  # MuPDF's, lxml's and the Office libraries' own errors: a lying page tree, a loop, a parser limit
        raise SourceError("extract_error", f"{type(exc).__name__}: {str(exc)[:300]}") from exc
    title = usable_title(found.title) or fallback_title(found.text, source.source_id)
    return Document(
        source_id=source.source_id, kind=source.kind, text_sha256=sha256_hex(found.text), text=found.text,
        title=title, author=found.author, date=found.date, url=found.url, pages=found.pages, sections=found.sections,
        warnings=found.warnings,
    )


def to_source(raw: Raw) -> Source:
    """The Source record of bytes just read: kind typed by content and name, content hash."""
    name = raw.name
    if raw.content_type and "html" in raw.content_type.lower() and not name.lower().endswith((".pdf", ".txt", ".md")):
        name = name.rstrip("/") + ".html"
    kind = detect_kind(name, raw.data)
    return Source(
        source_id=raw.source_id,
        kind=kind,
        content_sha256=sha256_hex(raw.data),
        size=len(raw.data),
        mtime=raw.mtime,
        etag=raw.etag,
        last_modified=raw.last_modified,
    )


def read_document(raw: Raw, options: ReadOptions = ReadOptions()) -> tuple[Source, Document]:
    """Type, hash and extract one source. Raises SourceError with a countable kind."""
    source = to_source(raw)
    return source, extract(source, raw.data, options)
