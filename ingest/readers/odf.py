"""OpenDocument (LibreOffice, OpenOffice, Google Docs' export): text documents (ODT), presentations (ODP)
and spreadsheets (ODS), read from their content.xml with lxml into the same Markdown-style text as
their Office Open XML twins (ingest/readers/markup.py): headings, lists, tables as pipe rows under their
header row, footnotes under "Notes"; a slide's title, text and speaker notes; a sheet's name and table.
Provenance as for DOCX, PPTX and XLSX: sections by heading, slides as pages, sheets as sections.

Typed by content: a zip whose `mimetype` entry names the OpenDocument type (ingest/readers/zipped.py).
A document saved with a password is `encrypted` (its manifest lists encryption data).

Library, measured on 19 real ODT, 5 ODP and 22 ODS files (`python bench/office.py --candidates`: the
Debian Live manual in five languages, LibreOffice's own example document and templates, odfpy's test
documents, eight documentation pages and xlsx2csv's workbooks saved by LibreOffice). Reference:
LibreOffice's text export (ODT; CSV, cells as shown, for ODS), the XML's text elements (ODP); docs/s on
this two-core machine:

    reader                     ODT P / R / docs/s     ODP P / R / docs/s    ODS P / R / docs/s    installs
    lxml text join (bare)      0.998 / 0.995 / 284    1.000 / 1.000 / 3030  0.988 / 0.958 / 2888  none new
    lxml walk (this one)  <-   1.000 / 0.995 /  96    1.000 / 1.000 / 1877  0.854 / 0.988 /  842  none new
    odfpy (teletype)           0.734 / 0.732 /  11    0.925 / 1.000 /   46  0.830 / 0.958 /   97  2 MB

odfpy builds its own DOM in Python (ten times slower) and failed on 5 of the 19 text documents; the format
is one XML file whose elements say what they are (text:h with its outline level, text:list, table:table),
so lxml, which groundqa already has, reads it directly. The walk that keeps the structure costs 3 times
lxml's bare text join (in C); an ODS's extra words are its sheet names, written as headings.
"""

from __future__ import annotations

from ..records import SourceError
from .base import Extracted, ReadOptions, Reader, clean_field
from .markup import SHEET_MAX_ROWS, TABLE_MAX_COLUMNS, Headings, SheetBudget, TextBuilder, add_sheet, table_lines
from .zipped import open_zip, parse_xml, read_part, zip_kind

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC = "http://purl.org/dc/elements/1.1/"
_T, _TB, _D, _O, _P = (f"{{{ns}}}" for ns in (TEXT, TABLE, DRAW, OFFICE, PRESENTATION))
# Elements whose text is not the document's: tables of contents and indexes (they repeat the headings),
# tracked deletions, comments, and the sequence and bookmark machinery.
_SKIP = frozenset(
    {_T + "table-of-content", _T + "alphabetical-index", _T + "illustration-index", _T + "bibliography",
     _T + "tracked-changes", _O + "annotation", _O + "annotation-end", _T + "note-citation", _P + "notes",
     _T + "index-title", _T + "user-index", _T + "object-index", _T + "table-index"}
)
# A cell or row repeated more than this many times is empty formatting to the sheet's edge (LibreOffice
# writes the last row repeated 1,048,000 times): it is read once.
REPEAT_CAP = TABLE_MAX_COLUMNS


class _OdfReader(Reader):
    text_based = False
    what = "OpenDocument file"

    def sniff(self, data: bytes) -> bool:
        return zip_kind(data) == self.kind

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        with open_zip(data, self.what) as archive:
            names = set(archive.namelist())
            if "META-INF/manifest.xml" in names and b"encryption-data" in read_part(archive, "META-INF/manifest.xml", self.what):
                raise SourceError("encrypted", f"a password-protected {self.what}: open it and save it without a password")
            content = parse_xml(read_part(archive, "content.xml", self.what), "content.xml", self.what)
            meta = parse_xml(read_part(archive, "meta.xml", self.what), "meta.xml", self.what) if "meta.xml" in names else None
        body = content.find(f"{_O}body")
        if body is None:
            raise SourceError("corrupt", f"corrupt {self.what}: content.xml has no office:body")
        builder = TextBuilder()
        budget = SheetBudget()
        first_heading = self.read(body, builder, budget)
        text = builder.text()
        if not text:
            raise SourceError("empty", f"the {self.what} has no text")
        title = author = date = None
        if meta is not None:
            title = _meta(meta, DC + "title")
            author = _meta(meta, DC + "creator") or _meta(meta, f"{{{META}}}initial-creator")
            date = (_meta(meta, f"{{{META}}}creation-date") or "")[:10] or None
        return Extracted(
            text=text, title=clean_field(title) or clean_field(first_heading), author=clean_field(author), date=date,
            pages=builder.pages, sections=builder.sections, warnings=budget.warnings,
        )

    def read(self, body, builder: TextBuilder, budget: SheetBudget) -> str | None:
        raise NotImplementedError


class OdtReader(_OdfReader):
    kind = "odt"
    extensions = (".odt", ".ott")
    what = "ODT"

    def read(self, body, builder: TextBuilder, budget: SheetBudget) -> str | None:
        walker = _Walker(builder, Headings(builder))
        for text in body.iterchildren(_O + "text"):
            walker.blocks(text)
        walker.flush_list()
        return None  # a text document's title is its metadata's; its first heading is often "Contents"


class OdpReader(_OdfReader):
    kind = "odp"
    extensions = (".odp", ".otp")
    what = "ODP"

    def read(self, body, builder: TextBuilder, budget: SheetBudget) -> str | None:
        first = None
        for presentation in body.iterchildren(_O + "presentation"):
            for number, slide in enumerate(presentation.iterchildren(_D + "page"), start=1):
                builder.page(number)
                frames = list(slide.iter(_D + "frame", _D + "custom-shape", _D + "text-box"))
                title = next(
                    (_frame_text(f) for f in slide.iter(_D + "frame") if f.get(_P + "class") == "title" and _in_slide(f, slide)), ""
                ).replace("\n", " ")
                first = first or title
                builder.section(f"Slide {number}: {title}" if title else f"Slide {number}")
                if title:
                    builder.heading(2, title)
                walker = _Walker(builder, None)
                for frame in frames:
                    if frame.get(_P + "class") == "title" or not _in_slide(frame, slide) or frame.tag == _D + "text-box":
                        continue
                    walker.blocks(frame)
                    walker.flush_list()
                notes = slide.find(_P + "notes")
                if notes is not None:
                    text = " ".join(_frame_text(f) for f in notes.iter(_D + "frame") if f.get(_P + "class") == "notes")
                    if text.strip():
                        builder.add("Notes: " + text)
        return first


class OdsReader(_OdfReader):
    kind = "ods"
    extensions = (".ods", ".ots")
    what = "ODS"

    def read(self, body, builder: TextBuilder, budget: SheetBudget) -> str | None:
        for spreadsheet in body.iterchildren(_O + "spreadsheet"):
            for sheet in spreadsheet.iterchildren(_TB + "table"):
                add_sheet(builder, sheet.get(_TB + "name") or "Sheet", _sheet_rows(sheet), budget)
        return None


def _in_slide(el, slide) -> bool:
    """Not inside the slide's speaker notes."""
    parent = el.getparent()
    while parent is not None and parent is not slide:
        if parent.tag == _P + "notes":
            return False
        parent = parent.getparent()
    return True


def _meta(meta, tag: str) -> str | None:
    el = next(meta.iter(tag), None)
    return el.text if el is not None else None


def _repeat(el, attribute: str) -> int:
    try:
        return max(1, int(el.get(attribute) or 1))
    except ValueError:
        return 1


def _sheet_rows(sheet):
    """A sheet's rows as lists of cell texts; a repeated empty row or cell counted, not multiplied."""
    for row in sheet.iter(_TB + "table-row"):
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (_TB + "table-cell", _TB + "covered-table-cell"):
                continue
            text = "\n".join(_plain(p) for p in cell.iterchildren(_T + "p", _T + "h"))
            cells += [text] * min(_repeat(cell, _TB + "number-columns-repeated"), TABLE_MAX_COLUMNS + 1 - len(cells))
            if len(cells) > TABLE_MAX_COLUMNS:
                break
        rows = _repeat(row, _TB + "number-rows-repeated")
        for _ in range(min(rows, SHEET_MAX_ROWS + 1) if any(cells) else 1):
            yield list(cells)


def _frame_text(frame) -> str:
    return "\n".join(t for t in (_plain(p) for p in frame.iter(_T + "p", _T + "h")) if t)


# Inside these, a paragraph's text is not a plain run of words: _inline walks it instead of joining lxml's
# itertext (which is what it does, in C, for the plain paragraphs that are most of a document).
_NOT_PLAIN = (_T + "s", _T + "tab", _T + "line-break", _T + "note", _T + "p", _T + "h", _D + "*", *_SKIP)


def _plain(el, notes=None) -> str:
    """An element's text, spaces and tabs as ODF writes them, line breaks kept, notes and comments left out
    (or, with `notes`, each replaced by what it returns)."""
    if len(el) == 0:
        return " ".join((el.text or "").split())
    if next(el.iterdescendants(*_NOT_PLAIN), None) is None:
        return " ".join("".join(el.itertext()).split())
    out: list[str] = []
    _inline(el, out, notes)
    return "\n".join(" ".join(line.split()) for line in "".join(out).split("\n")).strip()


def _inline(el, out: list[str], notes) -> None:
    if el.text:
        out.append(el.text)
    for child in el:
        tag = child.tag
        if tag == _T + "s":
            out.append(" " * min(_repeat(child, _T + "c"), 100))
        elif tag == _T + "tab":
            out.append(" ")
        elif tag == _T + "line-break":
            out.append("\n")
        elif tag == _T + "note":
            if notes is not None:
                out.append(notes(child))
        elif not isinstance(tag, str) or tag in _SKIP or tag.startswith(_D):
            pass  # drawings' text (a text box anchored in a paragraph) is read as blocks of its own
        elif tag in (_T + "p", _T + "h"):
            out.append("\n")
            _inline(child, out, notes)
        else:
            _inline(child, out, notes)
        if child.tail:
            out.append(child.tail)


class _Walker:
    """The blocks of an ODF text container (office:text, a frame, a cell) into a TextBuilder."""

    def __init__(self, builder: TextBuilder, headings: Headings | None):
        self.builder = builder
        self.headings = headings
        self.list_lines: list[str] = []
        self.first_heading: str | None = None

    def text(self, el) -> str:
        return _plain(el, self.note)

    def note(self, note) -> str:
        """A footnote or endnote: its text to the notes at the end, its number here."""
        body = note.find(_T + "note-body")
        self.builder.notes.append(f"[{len(self.builder.notes) + 1}] " + _plain(body if body is not None else note).replace("\n", " "))
        return f"[{len(self.builder.notes)}]"

    def flush_list(self) -> None:
        if self.list_lines:
            self.builder.lines(self.list_lines)
            self.list_lines = []

    def blocks(self, parent) -> None:
        for el in parent.iterchildren():
            tag = el.tag
            if tag == _T + "h":
                self.flush_list()
                title = self.text(el).replace("\n", " ")
                if title:
                    level = _repeat(el, _T + "outline-level")
                    self.first_heading = self.first_heading or title
                    if self.headings is not None:
                        self.headings.heading(level, title)
                    else:
                        self.builder.heading(level, title)
            elif tag == _T + "p":
                self.flush_list()
                self.builder.add(self.text(el))
                for frame in el.iter(_D + "text-box"):  # a text box anchored in the paragraph
                    self.blocks(frame)
            elif tag == _T + "list":
                self._list(el, 0, ordered=False)
            elif tag == _TB + "table":
                self.flush_list()
                self._table(el)
            elif tag in _SKIP:
                continue
            elif tag in (_T + "section", _D + "frame", _D + "text-box", _D + "custom-shape", _D + "g", _T + "soft-page-break") or tag.startswith(_D):
                self.blocks(el)

    def _list(self, el, depth: int, ordered: bool) -> None:
        for item in el.iterchildren(_T + "list-item", _T + "list-header"):
            for child in item.iterchildren():
                if child.tag == _T + "list":
                    self._list(child, depth + 1, ordered)
                elif child.tag in (_T + "p", _T + "h"):
                    text = self.text(child).replace("\n", " ")
                    if text:
                        self.list_lines.append("  " * min(depth, 8) + "- " + text)
                elif child.tag == _TB + "table":
                    self.flush_list()
                    self._table(child)

    def _table(self, table) -> None:
        rows = []
        for row in table.iter(_TB + "table-row"):
            cells: list[str] = []
            for cell in row:
                if cell.tag not in (_TB + "table-cell", _TB + "covered-table-cell"):
                    continue
                if cell.tag == _TB + "covered-table-cell":
                    text = cells[-1] if cells else ""  # merged into the cell before it
                else:
                    text = " ".join(self.text(p) for p in cell.iterchildren(_T + "p", _T + "h", _T + "list"))
                cells += [text] * min(_repeat(cell, _TB + "number-columns-repeated"), REPEAT_CAP)
            rows.append(cells)
        lines, _ = table_lines(rows)
        self.builder.lines(lines)
