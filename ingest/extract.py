"""Bytes -> Document: type a source by its content and name, then extract its text.

PDF goes through pymupdf, HTML through trafilatura, plain text and Markdown through an encoding
detector; every text ends in `normalize`. A source that cannot be read raises `SourceError`
with a short kind that the run counts (DESIGN.md, "Bad input"); nothing half-read is returned.

Kinds raised here: unsupported_type, empty, binary, encoding, encrypted, no_text_layer,
corrupt, no_main_text, too_deep; anything else a library raises becomes extract_error.

Decisions worth knowing:

- PDF text is taken in the order of the page's content stream, block by block (what MuPDF
  calls blocks: paragraphs, roughly). That is the reading order of nearly every born-digital
  PDF, and unlike sorting blocks by position it keeps the columns of a two-column page apart.
- Lines inside a PDF block are joined with spaces (`unwrap_lines`): a PDF line break is only
  where the line was full. Blocks are paragraphs ("\\n\\n"); list items keep their own lines.
- Words hyphenated across a line end are joined (`join_hyphenated`), within a page only: a word
  split across two pages stays split, so that each page's character range stays its own.
- Running headers, footers and page numbers are dropped; see `_drop_running_lines`.
- HTML keeps the main text only, one paragraph per block element; Markdown is kept as written
  (its markup is text a reader understands), with the first "# " heading as the title.
"""

from __future__ import annotations

import codecs
import logging
import math
import re
from collections import Counter
from typing import TYPE_CHECKING, Iterator

from .normalize import hyphenated_words, join_hyphenated, normalize, unwrap_lines
from .records import Document, PageSpan, Source, SourceError, SourceKind, sha256_hex

if TYPE_CHECKING:
    from lxml.etree import _Element

logger = logging.getLogger(__name__)

EXTENSIONS: dict[str, SourceKind] = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
}
PDF_MAGIC = b"%PDF-"
# The PDF header may follow some junk; readers accept it within the first kilobyte.
PDF_HEADER_WINDOW = 1024
# A complete PDF ends with %%EOF, possibly followed by a little junk (the spec allows 1 KB).
PDF_TRAILER_WINDOW = 1024

# How much of a file the text/binary sniffing reads.
SNIFF_BYTES = 8192
# Share of control bytes (other than tab, line feed, CR, form feed, ESC) above which a file is
# binary. Text in any 8-bit encoding has next to none; random or compressed bytes have 11 %.
BINARY_CONTROL_SHARE = 0.05
# BOM-less UTF-16: the share of NUL bytes at odd (LE) or even (BE) offsets. Latin-script
# UTF-16 has a NUL in nearly every high byte; 0.3 still accepts text that is two-thirds CJK-free
# letters, and the other half must be nearly NUL-free (binary has NULs everywhere).
UTF16_NUL_SHARE = 0.3
UTF16_OTHER_NUL_SHARE = 0.02

_HTML_SNIFF = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html)", re.I | re.S
)
_HTML_ANYWHERE = re.compile(rb"<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"


def detect_kind(name: str, data: bytes) -> SourceKind:
    """The kind of a source, from its bytes first and its name second.

    A "%PDF-" header makes a PDF whatever the name says; otherwise the extension decides
    (.pdf .html .htm .xhtml .txt .md .markdown). With no extension, or an unknown one (a URL
    such as /page.php), HTML is recognised by its opening tags, and a name with no extension
    whose bytes are text is plain text."""
    if not data:
        raise SourceError("empty", "the file is empty (0 bytes)")
    if _is_pdf(data):
        return "pdf"
    ext = _extension(name)
    kind = EXTENSIONS.get(ext)
    if kind == "pdf":
        return "pdf"  # extraction says what is wrong with it
    if kind is None:
        if _HTML_SNIFF.match(data[:SNIFF_BYTES]) or (not ext and _HTML_ANYWHERE.search(data[:SNIFF_BYTES])):
            kind = "html"
        elif ext:
            raise SourceError(
                "unsupported_type",
                f"{ext} files are not read (supported: PDF, HTML, plain text and Markdown: "
                f"{' '.join(sorted(EXTENSIONS))})",
            )
        else:
            kind = "text"
    if looks_binary(data):
        raise SourceError("binary", f"binary data, not {kind} (it has NUL or control bytes)")
    return kind


def extract(source: Source, data: bytes) -> Document:
    """The normalized text of one source, with its title and (for PDF) page spans."""
    if not data:
        raise SourceError("empty", "the file is empty (0 bytes)")
    try:
        if source.kind == "pdf":
            fields = _extract_pdf(data)
        elif source.kind == "html":
            fields = _extract_html(data, source.source_id)
        else:
            fields = _extract_text(data, markdown=source.kind == "markdown")
    except SourceError:
        raise
    except RecursionError as exc:
        raise SourceError("extract_error", f"nested too deeply to read ({exc})") from exc
    except Exception as exc:  # MuPDF's and lxml's own errors: a lying page tree, a loop, a parser limit
        raise SourceError("extract_error", f"{type(exc).__name__}: {str(exc)[:300]}") from exc
    text = fields.pop("text")
    return Document(source_id=source.source_id, kind=source.kind, text_sha256=sha256_hex(text), text=text, **fields)


HTML_MAX_DEPTH = 255  # libxml2's limit without XML_PARSE_HUGE: deeper elements are dropped
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr p li option td th tr dt dd".split())


def _nesting_depth(html: str) -> int:
    """How deep the page's elements nest (void and self-closing elements, and those HTML closes by
    itself, not counted): only asked when no text was found, to say why."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if self_closing or name.lower() in _VOID:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _extension(name: str) -> str:
    base = name.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def _is_pdf(data: bytes) -> bool:
    """Starts with the PDF header (after white space at most), whatever the file is called."""
    return data[:PDF_HEADER_WINDOW].lstrip().startswith(PDF_MAGIC)


# --- text encodings ---------------------------------------------------------------------------

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when the NUL bytes fall on one side of each byte pair."""
    sample = data[: SNIFF_BYTES & ~1]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= UTF16_NUL_SHARE * half and even <= UTF16_OTHER_NUL_SHARE * half:
        return "utf-16-le"
    if even >= UTF16_NUL_SHARE * half and odd <= UTF16_OTHER_NUL_SHARE * half:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """NUL bytes (outside UTF-16/32 text) or a high share of control bytes in the first 8 KB."""
    if _bom(data) or _utf16_without_bom(data):
        return False
    sample = data[:SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > BINARY_CONTROL_SHARE * len(sample)


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Bytes -> str: a byte-order mark wins, then BOM-less UTF-16, then UTF-8 (bytes that are
    valid UTF-8 are nearly never anything else), then the `declared` charset (an HTML meta tag),
    then cp1252, then Latin-1 (which cannot fail)."""
    found = _bom(data)
    if found:
        encoding, skip = found
        try:
            return data[skip:].decode(encoding)
        except UnicodeDecodeError as exc:
            name = encoding.upper()
            where = f"{exc.reason} at byte {exc.start + skip}"
            raise SourceError("encoding", f"starts with a {name} byte-order mark but is not {name}: {where}") from exc
    utf16 = _utf16_without_bom(data)
    candidates = [utf16] if utf16 else []
    candidates.append("utf-8")
    if declared:
        try:
            # as browsers do: a page that says Latin-1 or ASCII is read as its superset cp1252
            info = codecs.lookup(declared)
            if getattr(info, "_is_text_encoding", True):  # not rot13, base64, hex, zlib: not a charset
                candidates.append("cp1252" if info.name in ("latin-1", "iso8859-1", "ascii") else info.name)
        except LookupError:
            logger.debug("unknown declared charset %r", declared)
    candidates.append("cp1252")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


# --- plain text and Markdown ------------------------------------------------------------------

_MARKDOWN_TITLE = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_MARKDOWN_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def _extract_text(data: bytes, *, markdown: bool) -> dict:
    if looks_binary(data):
        raise SourceError("binary", "binary data, not text (it has NUL or control bytes)")
    text = normalize(decode_text(data))
    if not text:
        raise SourceError("empty", "no text: the file holds only whitespace")
    title = None
    if markdown:
        prose = _MARKDOWN_FENCE.sub("", text) if "```" in text or "~~~" in text else text  # not "# comments" in code
        heading = _MARKDOWN_TITLE.search(prose)
        title = heading.group(1).strip() if heading else None
    return {"text": text, "title": title}


# --- HTML -------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w:.]+)""", re.I)
# Trafilatura settings, chosen by F1 of words against each page's known main text on two sets
# of real pages (python bench/html_recall.py; 30 documentation pages from mdBook, rustdoc,
# Node.js, npm and texinfo, and newspaper4k's 23 news pages in 9 languages):
#
#   setting                     docs P / R / F1        news P / R / F1      ms a page
#   precision + fallbacks  <-   1.000 / .886 / .935    .951 / .985 / .965   32 / 23
#   precision, fast             1.000 / .865 / .919    .951 / .985 / .965   26 / 17
#   balanced + fallbacks        0.978 / .880 / .922    .888 / .995 / .927   28 / 25
#   balanced, fast              0.978 / .880 / .922    .910 / .987 / .937   25 / 19
#   recall (either)             0.985 / .920 / .949    .891 / .987 / .928   25 / 17
#
# favor_precision with the readability/justext fallbacks is the best on both sets together and
# never worse than the fast mode on any page; the fallbacks take back a page whose main text
# the precision heuristics cut to a fragment (texinfo's short list pages). favor_recall reads a
# little more of documentation pages but keeps related-article lists and share bars on news
# pages (F1 .74 instead of .92 on one, .67 instead of .94 on another), and plain
# trafilatura.extract keeps menus and more boilerplate. The fast mode chosen before (on our own
# sample pages) lost 2 points of recall on documentation and gained nothing but 6 ms a page.
# A page's title is kept as the document's title, not in its text.
TRAFILATURA_SETTINGS = {
    "favor_precision": True,
    "fast": False,
    "include_comments": False,
    "include_tables": True,
    "with_metadata": True,
}


def _extract_html(data: bytes, source_id: str) -> dict:
    import trafilatura

    if looks_binary(data):
        raise SourceError("binary", "binary data, not HTML (it has NUL or control bytes)")
    declared = _META_CHARSET.search(data[:SNIFF_BYTES])
    html = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    url = source_id if "://" in source_id else None
    result = trafilatura.bare_extraction(html, url=url, **TRAFILATURA_SETTINGS)
    text = html_main_text(result)
    if not text:
        depth = _nesting_depth(html)
        if depth > HTML_MAX_DEPTH:
            raise SourceError(
                "too_deep",
                f"its tags are nested {depth:,} levels deep; the HTML parser stops at {HTML_MAX_DEPTH}, so the text inside cannot be read",
            )
        raise SourceError("no_main_text", "no main text found: the page holds only navigation, boilerplate or scripts")
    return {
        "text": text,
        "title": _clean(result.title),
        "author": _clean(result.author),
        "date": _clean(result.date),
        "url": _clean(result.url),
    }


def html_main_text(result) -> str:
    """The text of trafilatura's `bare_extraction` result, a block a paragraph ("" for None)."""
    if result is None or result.body is None:
        return ""
    return normalize("\n\n".join(_html_blocks(result.body)))


def _html_blocks(body: _Element) -> Iterator[str]:
    """One string per block element of trafilatura's result tree: paragraphs, headings, lists
    (an item a line), tables (a row a line), quotes, code."""
    from trafilatura.xml import xmltotxt

    for element in body:
        text = xmltotxt(element, False)
        if text.strip():
            yield text


def _clean(value: str | None) -> str | None:
    value = normalize(value) if value else None
    return value or None


# --- PDF ---------------------------------------------------------------------------------------

# Running headers and footers. A line is at the page edge when its block lies within the top or
# bottom EDGE_SHARE of the page (headers sit 30-60 pt from the edge; a body paragraph's block
# reaches well past 12 % of a page). An edge line is dropped when the same line is at the edge of
# at least RUNNING_SHARE of the pages with text, and of 2 pages at least; 0.5 catches headers that
# alternate between even and odd pages. Page numbers alone on a line are also recognised as a
# page's first or last line, wherever they sit.
EDGE_SHARE = 0.12
RUNNING_SHARE = 0.5
# A line that is only a page number: "3", "- 3 -", "Page 3", "p. 3", "3 of 10", "3/10", "iv".
_ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    rf"(?:(?:page|p\.|pg\.?|seite|pagina|página)\s*)?[-–—]?\s*(?:\d{{1,5}}|{_ROMAN})\s*[-–—]?"
    r"(?:\s*(?:of|/|von|de|sur)\s*\d{1,5})?",
    re.I,
)
_DIGITS = re.compile(r"\d+")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?")


def _extract_pdf(data: bytes) -> dict:
    import pymupdf

    if PDF_MAGIC not in data[:PDF_HEADER_WINDOW]:
        looks = " (it looks like an HTML page)" if _HTML_SNIFF.match(data[:SNIFF_BYTES]) else ""
        raise SourceError("corrupt", f"not a PDF: no %PDF- header{looks}")
    truncated = b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises FileDataError, RuntimeError and MuPDF's own types
        raise SourceError("corrupt", f"corrupt PDF: {exc}") from exc
    with doc:
        if doc.needs_pass and not doc.authenticate(""):
            raise SourceError("encrypted", "encrypted PDF")
        warnings = []
        if doc.is_repaired:
            if truncated:
                raise SourceError(
                    "corrupt", "truncated PDF: the file ends before its end-of-file marker (an interrupted download or copy?)"
                )
            warnings.append("the PDF was damaged and has been repaired; some text may be missing")
        pages = _pdf_pages(doc, pymupdf)
        metadata = doc.metadata or {}
        blank = [number for number, page in enumerate(pages, start=1) if not page]
        if len(blank) == len(pages):
            drawn = any(page.get_images() or page.get_drawings() for page in doc)
            what = "its pages are images" if drawn else "its pages are blank"
            raise SourceError(
                "no_text_layer", f"no text layer — OCR is not enabled ({what}; run OCR on it first, e.g. with ocrmypdf)"
            )
    texts = _drop_running_lines(pages)
    if any("-\n" in t or "\u2010\n" in t or "\u00ad\n" in t for t in texts):
        compounds = hyphenated_words("\n".join(texts))
        texts = [join_hyphenated(t, compounds) for t in texts]
    text, spans = _join_pages([normalize(unwrap_lines(t)) for t in texts])
    if not text:
        raise SourceError(
            "no_text_layer", "no text layer — OCR is not enabled (only running headers and page numbers have text)"
        )
    if blank:
        listed = ", ".join(map(str, blank[:20])) + (", ..." if len(blank) > 20 else "")
        warnings.append(
            f"{len(blank)} of {len(pages)} pages have no text (no text layer — OCR is not enabled): page {listed}"
        )
    return {
        "text": text,
        "pages": spans,
        "title": _clean(metadata.get("title")),
        "author": _clean(metadata.get("author")),
        "date": _pdf_date(metadata.get("creationDate")),
        "warnings": warnings,
    }


def _pdf_pages(doc, pymupdf) -> list[list[tuple[str, bool]]]:
    """Each page's text blocks in content-stream order, as (text, in the edge band).
    One get_text call a page."""
    flags = pymupdf.TEXT_MEDIABOX_CLIP  # without TEXT_PRESERVE_LIGATURES MuPDF spells ligatures out
    pages: list[list[tuple[str, bool]]] = []
    for number, page in enumerate(doc, start=1):
        try:
            blocks = page.get_text("blocks", flags=flags)
            height = page.rect.height
        except Exception as exc:  # MuPDF's errors on a broken page: report the page
            raise SourceError("corrupt", f"corrupt PDF: page {number} cannot be read ({exc})") from exc
        top, bottom = EDGE_SHARE * height, (1 - EDGE_SHARE) * height
        kept = []
        for _, y0, _, y1, text, _, kind in blocks:
            text = text.strip()
            if kind == 0 and text:
                kept.append((text, y1 <= top or y0 >= bottom))
        pages.append(kept)
    return pages


def _drop_running_lines(pages: list[list[tuple[str, bool]]]) -> list[str]:
    """Each page's text, blocks apart by a paragraph break, without its running headers,
    footers and page numbers.

    A line in the edge band is running when on at least half the pages with text (2 at least)
    the edge band has the same line, or one that differs only by a number that grows with the
    page ("Annual report · page 7"). A page's first or last line is running when it is only a
    page number and at least half the pages have one. Body lines are never touched."""
    with_text = [i for i, blocks in enumerate(pages) if blocks]
    need = max(2, math.ceil(RUNNING_SHARE * len(with_text)))
    if len(with_text) < need:
        return ["\n\n".join(text for text, _ in blocks) for blocks in pages]
    candidates: dict[int, list[tuple[int, int, list[tuple]]]] = {}
    counts: Counter[tuple] = Counter()
    for i in with_text:
        blocks = pages[i]
        found = []
        for b, (text, edge) in enumerate(blocks):
            if edge:
                found += [(b, k, _line_keys(line, i + 1, True)) for k, line in enumerate(text.split("\n"))]
        last = len(blocks) - 1
        if not blocks[0][1]:
            found.append((0, 0, _line_keys(blocks[0][0].split("\n", 1)[0], i + 1, False)))
        if not blocks[last][1]:
            lines = blocks[last][0].split("\n")
            found.append((last, len(lines) - 1, _line_keys(lines[-1], i + 1, False)))
        candidates[i] = found
        counts.update({key for _, _, keys in found for key in keys})
    running = {key for key, count in counts.items() if count >= need}
    texts = []
    for i, blocks in enumerate(pages):
        drop: dict[int, set[int]] = {}
        for b, k, keys in candidates.get(i, ()):
            if running.intersection(keys):
                drop.setdefault(b, set()).add(k)
        if drop:
            blocks = [
                ("\n".join(line for k, line in enumerate(text.split("\n")) if k not in drop[b]) if b in drop else text, edge)
                for b, (text, edge) in enumerate(blocks)
            ]
        texts.append("\n\n".join(text for text, _ in blocks if text))
    return texts


def _line_keys(line: str, page: int, edge: bool) -> list[tuple]:
    text = " ".join(line.split()).casefold()
    keys: list[tuple] = []
    if _PAGE_NUMBER.fullmatch(text):
        keys.append(("page-number",))
    if edge:
        keys.append(("same", text))
        numbers = _DIGITS.findall(text)
        if 0 < len(numbers) <= 3:
            shape = _DIGITS.sub("#", text)
            keys += [("numbered", shape, k, int(n) - page) for k, n in enumerate(numbers) if len(n) <= 5]
    return keys


def _join_pages(texts: list[str]) -> tuple[str, list[PageSpan]]:
    """The document text, pages apart by a paragraph break, and each page's character range."""
    spans: list[PageSpan] = []
    offset = 0
    for number, text in enumerate(texts, start=1):
        if not text:
            continue
        if spans:
            offset += 2
        spans.append(PageSpan(start=offset, end=offset + len(text), page=number))
        offset += len(text)
    return "\n\n".join(t for t in texts if t), spans


def _pdf_date(value: str | None) -> str | None:
    """A PDF date ("D:20240318093000+01'00'") as ISO "2024-03-18", as far as it goes."""
    m = _PDF_DATE.match(value or "")
    return "-".join(p for p in m.groups() if p) if m else None
