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

import re
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


# A document's title, when the format names none (plain text, a PDF whose metadata holds "Untitled" or
# "Microsoft Word - report.docx"): its first line when that line reads as a title, else its file name
# made readable when its words are words ("Packet_switching.txt"), else none: "scan_0413.pdf" names no
# subject, and a question or prompt that names it by its file name is wrong.
TITLE_MAX_CHARS = 100
TITLE_MAX_WORDS = 14
_SENTENCE_END = re.compile(r"[.,;:!?]$|[.!?]\s+[A-Z]")
_JUNK_TITLE = re.compile(r"^(?:untitled|document\d*|microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pptx?|xlsx?|pdf|txt|md|html?|odt|tex|indd))$", re.I)
_MARKUP_EDGES = re.compile(r"^[\s#=*_>`\-]+|[\s#=*_`]+$")
# A man page's first line, "FUSER(1)   User Commands   FUSER(1)": the page is about the command "fuser".
MAN_COMMAND_SECTIONS = "168"
_MAN_HEADER = re.compile(r"^([A-Za-z_][\w.+-]*)\((\d\w*)\)(?:\s.*\s\1\(\2\))?$")
_ID_PART = re.compile(r"^(?:[a-z]{0,3}\d[\w.]*|v\d+|final|draft|copy|new|old|img|dsc|scan|doc|file|page|untitled)$", re.I)


def usable_title(title: str | None) -> str | None:
    """`title`, or None when it is empty or a placeholder an editor wrote ("Untitled", a file name)."""
    if not title or _JUNK_TITLE.match(title.strip()):
        return None
    return title


def fallback_title(text: str, source_id: str) -> str | None:
    """The first line of `text` when it reads as a title (short, no sentence end, not markup), else the
    file name made readable ("Packet_switching.txt" -> "Packet switching", "2023-annual-report-final.pdf"
    -> "Annual report"); None where the name is only numbers and codes ("IMG_0413.pdf")."""
    for line in text.split("\n", 3)[:3]:
        line = _MARKUP_EDGES.sub("", line.strip())
        if (man := _MAN_HEADER.match(line)) is not None:
            name = man.group(1).lower() if man.group(1).isupper() else man.group(1)
            # Sections 1, 6 and 8 document commands; the others a function, a file format or conventions
            # ("term(7)": terminal names' suffixes, which are no options of a command "term").
            return name if man.group(2)[0] in MAN_COMMAND_SECTIONS else f"{name}({man.group(2).lower()})"
        if line and len(line) <= TITLE_MAX_CHARS and len(line.split()) <= TITLE_MAX_WORDS and not _SENTENCE_END.search(line) and not line.startswith(("{", "<", "[", "|")):
            if any(c.isalpha() for c in line) and not _JUNK_TITLE.match(line):
                return line
        if line:
            break
    stem = source_id.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    stem = stem.rsplit(".", 1)[0] if "." in stem[1:] else stem
    words = [w for w in re.split(r"[\s_\-+.]+", stem) if w]
    while words and _ID_PART.match(words[0]):
        words.pop(0)
    while words and _ID_PART.match(words[-1]):
        words.pop()
    if not any(len(w) >= 3 and w.isalpha() for w in words):
        return None
    readable = " ".join(words)
    return readable[:1].upper() + readable[1:]
