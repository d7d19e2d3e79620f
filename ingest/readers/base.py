"""What a source reader is: one file a format, listed once in `ingest.readers.READERS`.

A reader turns the bytes of one source into normalized text with its provenance. It says which kind
it reads (`kind`, stored with the source), which file extensions are its own, whether it recognises
its bytes whatever the file is called (`sniff`: a magic number, a zip's content types), and whether it
takes a page whose name says nothing (`guess`: HTML tags in `/page.php`). `extract` raises
`SourceError` with a short, countable kind for what cannot be read; anything else a library raises
becomes `extract_error` in `ingest.readers.extract`. Readers run in the extraction workers
(ingest/pool.py) under a time and memory budget, so a reader may be slow or crash without stopping a run.

docs/architecture.md, "Add a reader", is the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..normalize import normalize
from ..ocr import OCR_PAGE_SECONDS
from ..records import PageSpan, SectionSpan


@dataclass(frozen=True)
class ReadOptions:
    """What a corpus may change about reading ([sources] in corpus.toml), handed to every reader."""

    ocr: bool = True  # read pages without a text layer by OCR ([sources] ocr)
    ocr_page_seconds: float = OCR_PAGE_SECONDS  # one page's OCR budget ([sources] ocr_page_seconds)
    # The whole document's budget (the worker's extract_timeout), so that OCR stops in time to return the
    # pages it read instead of losing them all to the timeout. None: no limit.
    seconds: float | None = None


@dataclass
class Extracted:
    """What a reader found: the document's normalized text, its metadata, and which characters came
    from which page (PDF, slides) and section (headings, chapters, sheets)."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None  # canonical URL, when the page names one
    pages: list[PageSpan] = field(default_factory=list)
    sections: list[SectionSpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Reader:
    """One source format. Subclasses set `kind` and `extensions` and write `extract`."""

    kind: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]] = ()
    # A text format: bytes with NUL or many control bytes are `binary`, not this kind.
    text_based: ClassVar[bool] = True

    def sniff(self, data: bytes) -> bool:
        """These bytes are this format whatever the file is called ("%PDF-" is a PDF)."""
        return False

    def guess(self, data: bytes, extension: str) -> bool:
        """A source whose extension is unknown or missing ("" here) is this format (HTML tags in a
        `/page.php`)."""
        return False

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        raise NotImplementedError


def clean_field(value: str | None) -> str | None:
    """A metadata value (title, author) normalized; None when nothing is left."""
    value = normalize(value) if value else None
    return value or None
