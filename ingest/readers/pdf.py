"""PDF, through pymupdf: the text of each page with its character range (provenance for every pair).

- Text is taken in the order of the page's content stream, block by block (what MuPDF calls blocks:
  paragraphs, roughly). That is the reading order of nearly every born-digital PDF, and unlike sorting
  blocks by position it keeps the columns of a two-column page apart.
- Lines inside a block are joined with spaces (`unwrap_lines`): a PDF line break is only where the line
  was full. Blocks are paragraphs ("\\n\\n"); list items keep their own lines.
- Words hyphenated across a line end are joined (`join_hyphenated`), within a page only: a word split
  across two pages stays split, so that each page's character range stays its own.
- Running headers, footers and page numbers are dropped; see `_drop_running_lines`.
- A page with no text layer (or almost none: OCR_MIN_TEXT_CHARS) that has an image or drawing on it is
  read by OCR (ingest/ocr.py), on by default ([sources] ocr), within a budget a page
  ([sources] ocr_page_seconds) and a share of the document's; its PageSpan says `ocr=True` and a warning
  names the pages so read.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from .. import ocr as ocr_engine
from ..decode import SNIFF_BYTES
from ..normalize import hyphenated_words, join_hyphenated, normalize, unwrap_lines
from ..records import PageSpan, SourceError
from .base import Extracted, ReadOptions, Reader, clean_field
from .html import HTML_SNIFF

PDF_MAGIC = b"%PDF-"
# The PDF header may follow some junk; readers accept it within the first kilobyte.
PDF_HEADER_WINDOW = 1024
# A complete PDF ends with %%EOF, possibly followed by a little junk (the spec allows 1 KB).
PDF_TRAILER_WINDOW = 1024


class PdfReader(Reader):
    kind = "pdf"
    extensions = (".pdf",)
    text_based = False

    def sniff(self, data: bytes) -> bool:
        """Starts with the PDF header (after white space at most), whatever the file is called."""
        return data[:PDF_HEADER_WINDOW].lstrip().startswith(PDF_MAGIC)

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        return _extract_pdf(data, options)


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


def _extract_pdf(data: bytes, options: ReadOptions = ReadOptions()) -> Extracted:
    import pymupdf

    started = ocr_engine.clock()
    if PDF_MAGIC not in data[:PDF_HEADER_WINDOW]:
        looks = " (it looks like an HTML page)" if HTML_SNIFF.match(data[:SNIFF_BYTES]) else ""
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
        scanned = _needs_ocr(doc, pages)
        read_by_ocr: list[int] = []
        if scanned and options.ocr and ocr_engine.engine_name():
            read_by_ocr = _ocr_pages(doc, pages, scanned, options, started, warnings, pymupdf)
        blank = [number for number, page in enumerate(pages, start=1) if not page]
        if len(blank) == len(pages):
            drawn = bool(scanned) or any(page.get_images() or page.get_drawings() for page in doc)
            what = "its pages are images" if drawn else "its pages are blank"
            why = "; ".join(warnings) if read_by_ocr == [] and warnings else ""
            raise SourceError("no_text_layer", f"no text layer — {_ocr_state(options, bool(scanned))} ({what}){'; ' + why if why else ''}")
    texts = _drop_running_lines(pages)
    if any("-\n" in t or "\u2010\n" in t or "\u00ad\n" in t for t in texts):
        compounds = hyphenated_words("\n".join(texts))
        texts = [join_hyphenated(t, compounds) for t in texts]
    text, spans = _join_pages([normalize(unwrap_lines(t)) for t in texts])
    if not text:
        raise SourceError(
            "no_text_layer", f"no text layer — {_ocr_state(options, bool(scanned))} (only running headers and page numbers have text)"
        )
    if read_by_ocr:
        done = set(read_by_ocr)
        spans = [span.model_copy(update={"ocr": True}) if span.page in done else span for span in spans]
        warnings.append(f"{len(read_by_ocr)} of {len(pages)} pages have no text layer and were read by OCR: page {_listed(read_by_ocr)}")
    if blank:
        warnings.append(
            f"{len(blank)} of {len(pages)} pages have no text (no text layer — {_ocr_state(options, bool(set(blank) & set(scanned)))}): page {_listed(blank)}"
        )
    return Extracted(
        text=text,
        pages=spans,
        title=clean_field(metadata.get("title")),
        author=clean_field(metadata.get("author")),
        date=_pdf_date(metadata.get("creationDate")),
        warnings=warnings,
    )


def _listed(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:20])) + (", ..." if len(numbers) > 20 else "")


def _ocr_state(options: ReadOptions, scanned: bool) -> str:
    """Why pages without a text layer are still without text."""
    if not options.ocr:
        return "OCR is off ([sources] ocr = false)"
    if scanned and not ocr_engine.engine_name():
        return f"OCR is not available: {ocr_engine.unavailable_reason()}"
    if scanned:
        return "OCR found no text on them"
    return "nothing on them to read"


def _needs_ocr(doc, pages: list[list[tuple[str, bool]]]) -> list[int]:
    """The pages (0-based) whose text layer is empty or nearly so and that show an image or a drawing."""
    found = []
    for i, blocks in enumerate(pages):
        if sum(len(text) for text, _ in blocks) >= ocr_engine.OCR_MIN_TEXT_CHARS:
            continue
        page = doc[i]
        if page.get_images() or page.get_drawings():
            found.append(i)
    return found


def _ocr_pages(doc, pages, scanned: list[int], options: ReadOptions, started: float, warnings: list[str], pymupdf) -> list[int]:
    """Read the `scanned` pages by OCR, in place of their (near-empty) text layer; the page numbers read.
    A page past its budget, or left when the document's OCR share of its budget is spent, keeps what its
    text layer had, and a warning names it."""
    import numpy as np

    deadline = started + ocr_engine.OCR_DOCUMENT_SHARE * options.seconds if options.seconds else None
    read, slow, failed, left = [], [], [], []
    for i in scanned:
        remaining = deadline - ocr_engine.clock() if deadline is not None else None
        if remaining is not None and remaining <= 1:
            left.append(i + 1)
            continue
        budget = min(options.ocr_page_seconds, remaining) if remaining is not None else options.ocr_page_seconds
        page = doc[i]
        try:
            dpi = _ocr_dpi(page)
            pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
            gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
            lines = ocr_engine.ocr_image(gray, budget)
        except ocr_engine.OcrTimeout:
            slow.append(i + 1)
            continue
        except MemoryError:
            raise
        except Exception as exc:  # the engine's own failure on one page: the page is named, the rest read
            failed.append(f"{i + 1} ({type(exc).__name__}: {str(exc)[:80]})")
            continue
        height = pix.height
        top, bottom = EDGE_SHARE * height, (1 - EDGE_SHARE) * height
        blocks = [(text, y1 <= top or y0 >= bottom) for text, y0, y1 in ocr_engine.blocks(lines) if text.strip()]
        if blocks:
            pages[i] = blocks
            read.append(i + 1)
    if slow:
        warnings.append(f"OCR of page {_listed(slow)} took more than [sources] ocr_page_seconds = {options.ocr_page_seconds:g} s: not read")
    if left:
        warnings.append(f"OCR stopped before page {_listed(left)}: the document's time budget (extract_timeout) was nearly spent")
    if failed:
        warnings.append(f"OCR failed on page {', '.join(failed[:10])}")
    return read


# A page rendered for OCR has at most this many pixels (A4 at 300 dpi has 8.7 million); a poster-sized page
# is rendered at a lower resolution instead of taking gigabytes.
OCR_MAX_PIXELS = 40_000_000


def _ocr_dpi(page) -> int:
    width, height = page.rect.width / 72, page.rect.height / 72
    dpi = ocr_engine.OCR_DPI
    if width * height * dpi * dpi > OCR_MAX_PIXELS:
        dpi = int((OCR_MAX_PIXELS / max(width * height, 1e-6)) ** 0.5)
    return max(dpi, 36)


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
