"""The text that structured documents (DOCX, PPTX, XLSX, EPUB, OpenDocument) become, and where each part
of it came from.

Their structure is written as Markdown-style text, the form the chunker, the fact finder and the
grounding checks already read in Markdown sources (a "|" line is a table row, "- " a list item, "#" a
heading):

- a heading: "#" times its level, then its title, a paragraph of its own;
- a paragraph: its own block; a line break inside it stays a line break;
- a list: one line an item, "- " (or "1. " when numbered), two spaces of indent a level, the whole
  list one block;
- a table: pipe rows, the header row first with a "| --- |" line under it, one row a line; a merged
  cell's text is repeated in each column it spans, so every row is complete under its header;
- footnotes and endnotes: at the end, under "Notes", each as "[n] text" (the reference stays in the
  text as "[n]");
- a spreadsheet: a table a sheet, its first row with values taken as the header.

`TextBuilder` joins the blocks (each normalized, a paragraph break between two) and records the
characters of each page (a slide) and section (a heading, a chapter, a sheet), for provenance.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from ..normalize import normalize
from ..records import PageSpan, SectionSpan

if TYPE_CHECKING:
    from lxml.etree import _Element

# A table wider than this many columns is cut (and said so): the rest is a layout grid or a data dump,
# and one row of 50 cells is already more than a chunk's sentence can hold.
TABLE_MAX_COLUMNS = 50
# Spreadsheets are tables, some of them huge. A sheet keeps its first SHEET_MAX_ROWS rows with values: the
# knowledge sheets of a knowledge base (price lists, contacts, specifications, schedules) have tens to a few
# hundred rows, and 1,000 short rows are about 40 chunks of 512 tokens, the teacher time of a long article;
# a sheet of 100,000 rows is data, not an article. Empty rows are passed over, but only SHEET_MAX_SCAN_ROWS
# of them (a sheet formatted down to row 1,048,576 has a million). A workbook stops after WORKBOOK_MAX_CELLS
# cells with values (five full sheets of 1,000 rows by 40 columns). Each cut is a warning on the Document.
SHEET_MAX_ROWS = 1_000
SHEET_MAX_SCAN_ROWS = 20_000
WORKBOOK_MAX_CELLS = 200_000
# The header row is written again every SHEET_HEADER_EVERY rows of a long sheet: a 512-token chunk holds 15
# to 40 short rows, so that nearly every chunk of a long sheet has the column names its values belong to
# (it costs two lines in 25, about 8 % more text).
SHEET_HEADER_EVERY = 25

_SPACES = re.compile(r"\s+")


@dataclass
class _Open:
    label: str | int
    start: int | None = None
    end: int | None = None


@dataclass
class TextBuilder:
    """Blocks of text in reading order, joined by paragraph breaks, with the character ranges of pages
    and sections. Open a page or section, add its blocks; the next one closes it."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    pages: list[PageSpan] = field(default_factory=list)
    sections: list[SectionSpan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # footnotes and endnotes, written at the end
    _page: _Open | None = None
    _section: _Open | None = None

    def add(self, block: str) -> None:
        block = normalize(block)
        if not block:
            return
        if self.parts:
            self.length += 2
        start = self.length
        self.parts.append(block)
        self.length += len(block)
        for span in (self._page, self._section):
            if span is not None:
                if span.start is None:
                    span.start = start
                span.end = self.length

    def heading(self, level: int, title: str) -> None:
        self.add("#" * max(1, min(level, 6)) + " " + _SPACES.sub(" ", title).strip())

    def lines(self, lines: Iterable[str]) -> None:
        self.add("\n".join(line for line in lines if line.strip()))

    def page(self, number: int) -> None:
        self._close_page()
        self._page = _Open(number)

    def section(self, label: str) -> None:
        self._close_section()
        label = _SPACES.sub(" ", label).strip()
        self._section = _Open(label) if label else None

    def _close_page(self) -> None:
        if self._page is not None and self._page.start is not None:
            self.pages.append(PageSpan(start=self._page.start, end=self._page.end, page=int(self._page.label)))
        self._page = None

    def _close_section(self) -> None:
        if self._section is not None and self._section.start is not None:
            self.sections.append(SectionSpan(start=self._section.start, end=self._section.end, label=str(self._section.label)))
        self._section = None

    def text(self) -> str:
        """The whole text (notes last), the open page and section closed."""
        self._close_page()
        if self.notes:
            self.section("Notes")
            self.add("Notes")
            self.lines(self.notes)
            self.notes = []
        self._close_section()
        return "\n\n".join(self.parts)


class Headings:
    """Section labels from headings: "Chapter 2 > Installing", one section a heading."""

    def __init__(self, builder: TextBuilder, prefix: str | None = None):
        self.builder = builder
        self.prefix = prefix
        self.path: list[tuple[int, str]] = []

    def heading(self, level: int, title: str) -> None:
        title = _SPACES.sub(" ", title).strip()
        if not title:
            return
        self.path = [(lvl, t) for lvl, t in self.path if lvl < level] + [(level, title)]
        labels = [t for _, t in self.path]
        if self.prefix and (not labels or labels[0] != self.prefix):
            labels.insert(0, self.prefix)
        self.builder.section(" > ".join(labels))
        self.builder.heading(level, title)


def cell(text: str) -> str:
    """A table cell's text on one line, its "|" escaped."""
    return _SPACES.sub(" ", text).strip().replace("|", "\\|")


def table_lines(rows: list[list[str]], header_every: int | None = None) -> tuple[list[str], bool]:
    """Pipe rows of a table, header first (see the module docstring), and whether columns were cut.
    A table of one column is its cells, a line each (a layout table, a text box)."""
    rows = [[cell(c) for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return [], False
    width = max(len(row) for row in rows)
    while width > 1 and not any(len(row) >= width and row[width - 1] for row in rows):
        width -= 1  # trailing empty columns
    cut = width > TABLE_MAX_COLUMNS
    width = min(width, TABLE_MAX_COLUMNS)
    if width == 1:
        return [row[0] for row in rows if row[0]], cut
    rows = [(row + [""] * width)[:width] for row in rows]
    header, body = rows[0], rows[1:]
    head = ["| " + " | ".join(header) + " |", "|" + " --- |" * width]
    lines = list(head)
    for i, row in enumerate(body):
        if header_every and i and i % header_every == 0:
            lines += head
        lines.append("| " + " | ".join(row) + " |")
    return lines, cut


def cell_value(value: object) -> str:
    """A spreadsheet value as text: whole floats without ".0", dates in ISO form, booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


@dataclass
class SheetBudget:
    """What is left of WORKBOOK_MAX_CELLS, and the warnings of the cuts made."""

    cells: int = WORKBOOK_MAX_CELLS
    warnings: list[str] = field(default_factory=list)


def add_sheet(builder: TextBuilder, name: str, rows: Iterator[list[str]], budget: SheetBudget) -> None:
    """One sheet: its name as a heading and a section, its rows with values as a table (at most
    SHEET_MAX_ROWS, the workbook at most WORKBOOK_MAX_CELLS cells), the cuts in `budget.warnings`."""
    kept: list[list[str]] = []
    scanned = 0
    more = False
    for row in rows:
        scanned += 1
        if any(row):
            if len(kept) >= SHEET_MAX_ROWS or budget.cells <= 0:
                more = True
                break
            while row and not row[-1]:
                row.pop()
            kept.append(row)
            budget.cells -= sum(1 for v in row if v)
        elif scanned > SHEET_MAX_SCAN_ROWS:
            more = True
            break
    lines, cut = table_lines(kept, header_every=SHEET_HEADER_EVERY)
    if not lines:
        return
    builder.section(name)
    builder.heading(2, name)
    builder.lines(lines)
    if more:
        why = (
            f"the first {len(kept):,} rows with values are read (SHEET_MAX_ROWS = {SHEET_MAX_ROWS:,}: a sheet this long is data, not an article)"
            if len(kept) >= SHEET_MAX_ROWS
            else f"reading stopped after {len(kept):,} rows (WORKBOOK_MAX_CELLS = {WORKBOOK_MAX_CELLS:,} cells a workbook, or {SHEET_MAX_SCAN_ROWS:,} empty rows)"
        )
        budget.warnings.append(f"sheet {name!r} was cut: {why}")
    if cut:
        budget.warnings.append(f"sheet {name!r} has more than {TABLE_MAX_COLUMNS} columns: only the first {TABLE_MAX_COLUMNS} are read (TABLE_MAX_COLUMNS)")


# --- HTML (EPUB chapters) --------------------------------------------------------------------------------

_SKIP = frozenset("head script style template noscript svg math nav iframe object button select".split())
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset(
    "address article aside blockquote body center dd details div dl dt fieldset figcaption figure footer form header "
    "hgroup hr html li main ol p pre section summary table ul".split()
) | frozenset(_HEADINGS)


def _tag(el: _Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    return tag.rsplit("}", 1)[-1].lower() if "}" in tag or not tag.islower() else tag


# Inside these, text is not a plain run of words: inline_text walks the element itself instead of
# joining lxml's itertext (which is what it does, in C, for the plain paragraphs that are most of a book).
_NOT_PLAIN = tuple(_SKIP | _BLOCKS | {"br"})


def inline_text(el: _Element) -> str:
    """The text of an element and its descendants, <br> as a line break, blocks inside as a space."""
    if len(el) == 0:
        return _SPACES.sub(" ", el.text or "").strip()
    if "}" not in str(el.tag) and next(el.iterdescendants(*_NOT_PLAIN), None) is None:
        return _SPACES.sub(" ", "".join(el.itertext())).strip()
    out: list[str] = []

    def walk(node: _Element) -> None:
        tag = _tag(node)
        if tag in _SKIP:
            return
        if tag == "br":
            out.append("\n")
        elif node.text:
            out.append(node.text)
        for child in node:
            walk(child)
            if _tag(child) in _BLOCKS:
                out.append(" ")
            if child.tail:
                out.append(child.tail)

    walk(el)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in "".join(out).split("\n")).strip()


class HtmlBlocks:
    """The blocks of an (X)HTML body into a TextBuilder: headings, paragraphs, lists, tables, quotes, code.
    `on_heading` (a Headings) turns headings into sections."""

    def __init__(self, builder: TextBuilder, headings: Headings | None = None):
        self.builder = builder
        self.headings = headings
        self.cut_tables = 0

    def add(self, el: _Element) -> None:
        inline: list[str] = []

        def flush() -> None:
            text = "".join(inline)
            inline.clear()
            if text.strip():
                self.builder.add("\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")))

        if el.text:
            inline.append(el.text)
        for child in el:
            tag = _tag(child)
            if tag in _SKIP:
                pass
            elif tag == "br":
                inline.append("\n")
            elif tag in _BLOCKS:
                flush()
                self._block(child, tag)
            else:
                inline.append(inline_text(child))
            if child.tail:
                inline.append(child.tail)
        flush()

    def _block(self, el: _Element, tag: str) -> None:
        if tag in _HEADINGS:
            title = inline_text(el).replace("\n", " ")
            if self.headings is not None:
                self.headings.heading(_HEADINGS[tag], title)
            elif title:
                self.builder.heading(_HEADINGS[tag], title)
        elif tag == "p" or tag in ("dt", "dd", "figcaption", "summary", "address"):
            if any(_tag(c) in _BLOCKS for c in el):
                self.add(el)
            else:
                self.builder.add(inline_text(el))
        elif tag in ("ul", "ol"):
            lines: list[str] = []
            self._list(el, 0, lines)
            self.builder.lines(lines)
        elif tag == "table":
            lines, cut = table_lines(self._rows(el))
            self.cut_tables += cut
            self.builder.lines(lines)
        elif tag == "pre":
            self.builder.add("".join(el.itertext()))
        elif tag == "blockquote":
            inner = TextBuilder()
            HtmlBlocks(inner).add(el)
            quoted = inner.text()
            if quoted:
                self.builder.add("\n".join("> " + line if line else ">" for line in quoted.split("\n")))
        elif tag == "hr":
            pass
        else:
            self.add(el)  # div, section, article, figure, li outside a list: their own blocks

    def _list(self, el: _Element, depth: int, lines: list[str]) -> None:
        ordered = _tag(el) == "ol"
        try:
            number = int(el.get("start") or 1)
        except ValueError:
            number = 1
        for item in el:
            if _tag(item) != "li":
                if _tag(item) in ("ul", "ol"):
                    self._list(item, depth + 1, lines)
                continue
            nested = [c for c in item if _tag(c) in ("ul", "ol")]
            for sub in nested:
                item.remove(sub)  # the item's own text first, its sub-list after
            text = inline_text(item).replace("\n", " ")
            marker = f"{number}." if ordered else "-"
            if text:
                lines.append("  " * depth + f"{marker} {text}")
                number += 1
            for sub in nested:
                self._list(sub, depth + 1, lines)

    def _rows(self, table: _Element) -> list[list[str]]:
        rows: list[list[str]] = []
        for tr in table.iter():
            if _tag(tr) != "tr" or _owner_table(tr) is not table:
                continue
            row: list[str] = []
            for td in tr:
                if _tag(td) not in ("td", "th"):
                    continue
                text = inline_text(td)
                try:
                    span = max(1, min(int(td.get("colspan") or 1), TABLE_MAX_COLUMNS))
                except ValueError:
                    span = 1
                row += [text] * span
            rows.append(row)
        return rows


def _owner_table(el: _Element) -> _Element | None:
    parent = el.getparent()
    while parent is not None and _tag(parent) != "table":
        parent = parent.getparent()
    return parent
