"""The records of the ingest stages (docs/architecture.md, "Records")."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict

SourceKind = str  # a reader's kind: ingest.readers.READERS


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


# The version of what the readers make of the same bytes (a document's text and title). Bump it when a reader's
# output changes: it is part of the chunker's signature, so a store re-reads and re-chunks every source once, and
# the texts that did not change cost no teacher call. 2: a man page's title is its command, its typeset line-end
# hyphens are joined. 3: a man page of a section that documents no command keeps its section ("term(7)").
# 4: a Markdown file's front matter is left out, its title taken.
TEXT_VERSION = "4"


def short_hash(*parts: object) -> str:
    """A 16-hex-digit key made of the parts' text, for ids and signatures."""
    h = hashlib.sha256()
    for part in parts:
        h.update(str(part).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(Record):
    """One document to read: a file under the corpus folder, or a URL."""

    source_id: str  # path relative to the corpus folder (POSIX), or the URL
    kind: SourceKind
    content_sha256: str
    size: int
    mtime: float | None = None
    etag: str | None = None
    last_modified: str | None = None


class PageSpan(Record):
    """Characters [start, end) of the document text came from page `page` (1-based; a slide's number in a
    presentation)."""

    start: int
    end: int
    page: int
    ocr: bool = False  # the page had no text layer: this text was read from its image by OCR


class SectionSpan(Record):
    """Characters [start, end) of the document text are under `label`: a heading's path ("Installing >
    Requirements"), an e-book's chapter, a spreadsheet's sheet, a slide ("Slide 3: Results")."""

    start: int
    end: int
    label: str


class Document(Record):
    source_id: str
    kind: SourceKind
    text_sha256: str
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None  # canonical URL, when the page names one
    pages: list[PageSpan] = []
    sections: list[SectionSpan] = []
    warnings: list[str] = []

    def pages_for(self, start: int, end: int) -> list[int]:
        """The pages that characters [start, end) came from."""
        return [span.page for span in self.pages if span.start < end and span.end > start]

    def sections_for(self, start: int, end: int) -> list[str]:
        """The labels of the sections that characters [start, end) came from."""
        return [span.label for span in self.sections if span.start < end and span.end > start]


class Chunk(Record):
    chunk_id: str
    source_id: str
    text: str
    token_count: int
    char_start: int
    char_end: int
    pages: list[int] = []


class SourceError(Exception):
    """A source that cannot be read. `kind` is a short, countable reason."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
