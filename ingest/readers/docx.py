"""DOCX (Word 2007 and later, and LibreOffice's Word export), through python-docx: headings as "#" lines,
lists as "- " items, tables as pipe rows under their header row, footnotes and endnotes as "[n]" with
their text under "Notes" at the end (ingest/readers/markup.py). Each heading starts a section
("Installing > Requirements") for provenance. Headers, footers, comments and deleted revisions are left
out; inserted revisions are text.

Typed by content: a zip whose [Content_Types].xml gives the main part a WordprocessingML type is a DOCX
whatever its name (ingest/readers/zipped.py); a password-protected one is `encrypted`, a .docx that is
not a zip `corrupt`.

Library, measured on 23 real DOCX files (`python bench/office.py --candidates`; the files and their
origins: bench/officedocs/collect.py): 10 written by Word, kept by python-docx as its test files, and 13
real documents saved as DOCX by LibreOffice (the Debian Live manual in five languages, eight documentation
pages). Reference: LibreOffice's own text export; word precision and recall, mean over the 20 files that
have text; docs/s on this two-core machine:

    library              precision recall  docs/s  structure kept                          installs      licence
    python-docx (bare)    1.000    0.987   26.3    none: paragraphs and cells              3 MB (+lxml)  MIT
    this reader      <-   1.000    1.000   42.9    headings, lists, table rows, footnotes  (same)
    mammoth               0.884    0.834    2.2    all (as HTML)                           1 MB          BSD-2-Clause
    docx2python           0.901    0.992    2.8    footnotes; tables as nested lists       1 MB + paragraphs  MIT
    markitdown 0.1.9      failed on 23 of 23 ("Could not find the body element")     1.7   199-329 MB    MIT
    docling               not installed: it depends on torch, and fetches its layout models at run time   MIT

This reader uses python-docx for the package (parts, relationships, styles, core properties) and reads
the body's XML itself (a paragraph's style and numbering, the table grid with merged cells, the
footnotes part): 1.6 times the speed of python-docx's own object model, and 20 times mammoth's, which
builds the same structure as HTML. markitdown is mammoth plus markdownify plus a file-type model; docling
needs torch and downloads its models, which the no-network rule forbids.
"""

from __future__ import annotations

import io
import re
import zipfile

from ..records import SourceError
from .base import Extracted, ReadOptions, Reader, clean_field
from .markup import Headings, TextBuilder, table_lines
from .zipped import open_zip, parse_xml, zip_kind

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = "{%s}" % W
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|titolo|encabezado|kop)\s*(\d)$", re.I)
# Subtrees whose text is not the document's: deleted revisions, field instructions, the fallback copy of a
# text box (Word writes a text box twice, as a drawing and as its VML fallback).
_SKIP = frozenset({_W + "del", _W + "instrText", _W + "delText", MC_FALLBACK, _W + "rPr", _W + "pPr"})


class DocxReader(Reader):
    kind = "docx"
    extensions = (".docx", ".docm", ".dotx", ".dotm")
    text_based = False

    def sniff(self, data: bytes) -> bool:
        return zip_kind(data) == "docx"

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        open_zip(data, "DOCX").close()  # the archive's directory checked before python-docx reads a part
        try:
            document = docx.Document(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise SourceError("corrupt", f"corrupt DOCX: {type(exc).__name__}: {str(exc)[:200]}") from exc
        return _Docx(document).read()


class _Docx:
    def __init__(self, document):
        self.document = document
        self.builder = TextBuilder()
        self.headings = Headings(self.builder)
        self.styles = _styles(document)
        self.formats = _numbering_formats(document)
        self.notes = _notes(document)
        self.note_numbers: dict[tuple[str, str], int] = {}
        self.list_lines: list[str] = []
        self.counters: dict[tuple[str, int], int] = {}
        self.cut_tables = 0
        self.title: str | None = None

    def read(self) -> Extracted:
        self._blocks(self.document.element.body)
        self._flush_list()
        text = self.builder.text()
        if not text:
            raise SourceError("empty", "the DOCX has no text")
        core = self.document.core_properties
        warnings = []
        if self.cut_tables:
            warnings.append(f"{self.cut_tables} table(s) have more than 50 columns: only the first 50 are read")
        return Extracted(
            text=text,
            title=clean_field(core.title) or clean_field(self.title),
            author=clean_field(core.author),
            date=core.created.date().isoformat() if core.created else None,
            sections=self.builder.sections,
            warnings=warnings,
        )

    def _blocks(self, parent) -> None:
        for el in parent.iterchildren():
            tag = el.tag
            if tag == _W + "p":
                self._paragraph(el)
            elif tag == _W + "tbl":
                self._flush_list()
                self._table(el)
            elif tag in (_W + "sdt", _W + "customXml", _W + "sdtContent", _W + "ins"):
                self._blocks(el)

    def _paragraph(self, p) -> None:
        text = self._text(p)
        style_id, num, level = _paragraph_props(p)
        heading, style_num = self.styles.get(style_id, (None, None))
        outline = p.find(f"{_W}pPr/{_W}outlineLvl")
        if outline is not None and heading is None:
            heading = _int(outline.get(_W + "val"), 9) + 1
        if heading is not None and heading <= 6:
            self._flush_list()
            if text.strip():
                if heading == 0:
                    self.title = self.title or text
                self.headings.heading(max(heading, 1), text.replace("\n", " "))
            return
        num = num if num is not None else style_num
        if num and num != "0":
            if text.strip():
                fmt = self.formats.get((num, level), "bullet")
                for key in [k for k in self.counters if k[0] == num and k[1] > level]:
                    del self.counters[key]
                if fmt in ("bullet", "none"):
                    marker = "-"
                else:
                    self.counters[(num, level)] = self.counters.get((num, level), 0) + 1
                    marker = f"{self.counters[(num, level)]}."
                self.list_lines.append("  " * min(level, 8) + f"{marker} " + text.replace("\n", " "))
            return
        self._flush_list()
        self.builder.add(text)

    def _flush_list(self) -> None:
        if self.list_lines:
            self.builder.lines(self.list_lines)
            self.list_lines = []

    def _text(self, el) -> str:
        out: list[str] = []
        stack = [iter([el])]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
                continue
            tag = node.tag
            if tag in _SKIP or not isinstance(tag, str):
                continue
            if tag == _W + "t":
                out.append(node.text or "")
            elif tag in (_W + "tab", _W + "ptab"):
                out.append(" ")
            elif tag in (_W + "br", _W + "cr"):
                if node.get(_W + "type") not in ("page", "column"):
                    out.append("\n")
            elif tag == _W + "noBreakHyphen":
                out.append("-")
            elif tag in (_W + "footnoteReference", _W + "endnoteReference"):
                out.append(self._note_mark("footnote" if tag == _W + "footnoteReference" else "endnote", node.get(_W + "id")))
            elif tag == _W + "p" and node is not el:
                out.append("\n")  # a paragraph inside a text box or cell
                stack.append(iter(node))
            else:
                stack.append(iter(node))
        return "".join(out).strip()

    def _note_mark(self, kind: str, note_id: str | None) -> str:
        key = (kind, note_id or "")
        if key not in self.note_numbers:
            note = self.notes.get(key)
            if note is None:
                return ""
            self.note_numbers[key] = len(self.note_numbers) + 1
            self.builder.notes.append(f"[{self.note_numbers[key]}] " + self._text(note).replace("\n", " "))
        return f"[{self.note_numbers[key]}]"

    def _table(self, tbl) -> None:
        rows: list[list[str]] = []
        above: dict[int, str] = {}  # grid column -> text of the cell above, for vertically merged cells
        for tr in tbl.iterchildren(_W + "tr"):
            row: list[str] = []
            for tc in tr.iterchildren(_W + "tc", _W + "sdt"):
                if tc.tag == _W + "sdt":
                    tc = tc.find(f"{_W}sdtContent/{_W}tc")
                    if tc is None:
                        continue
                span = _int(_prop(tc, "gridSpan"), 1)
                merge = tc.find(f"{_W}tcPr/{_W}vMerge")
                column = len(row)
                if merge is not None and merge.get(_W + "val") in (None, "continue"):
                    text = above.get(column, "")
                else:
                    text = " ".join(self._text(p) for p in tc.iterchildren(_W + "p", _W + "tbl", _W + "sdt"))
                for _ in range(max(1, min(span, 50))):
                    above[len(row)] = text
                    row.append(text)
            rows.append(row)
        lines, cut = table_lines(rows)
        self.cut_tables += cut
        self.builder.lines(lines)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _prop(tc, name: str) -> str | None:
    el = tc.find(f"{_W}tcPr/{_W}{name}")
    return el.get(_W + "val") if el is not None else None


def _paragraph_props(p) -> tuple[str | None, str | None, int]:
    """(style id, numbering id, list level) of a paragraph."""
    ppr = p.find(_W + "pPr")
    if ppr is None:
        return None, None, 0
    style = ppr.find(_W + "pStyle")
    num_pr = ppr.find(_W + "numPr")
    num = level = None
    if num_pr is not None:
        num_id = num_pr.find(_W + "numId")
        ilvl = num_pr.find(_W + "ilvl")
        num = num_id.get(_W + "val") if num_id is not None else None
        level = ilvl.get(_W + "val") if ilvl is not None else None
    return (style.get(_W + "val") if style is not None else None), num, _int(level, 0)


def _styles(document) -> dict[str, tuple[int | None, str | None]]:
    """style id -> (heading level, 0 for "Title"; numbering id of a list style), following based-on styles."""
    try:
        root = document.styles.element
    except (KeyError, ValueError, AttributeError):
        return {}
    raw: dict[str, tuple[str, int | None, str | None, str | None]] = {}
    for style in root.iterchildren(_W + "style"):
        if style.get(_W + "type") not in (None, "paragraph"):
            continue
        sid = style.get(_W + "styleId") or ""
        name_el = style.find(_W + "name")
        name = (name_el.get(_W + "val") if name_el is not None else sid) or ""
        outline = style.find(f"{_W}pPr/{_W}outlineLvl")
        num = style.find(f"{_W}pPr/{_W}numPr/{_W}numId")
        based = style.find(_W + "basedOn")
        level = None
        m = _HEADING_STYLE.match(name.strip()) or _HEADING_STYLE.match(sid)
        if m:
            level = int(m.group(1))
        elif name.strip().lower() == "title":
            level = 0
        elif outline is not None and _int(outline.get(_W + "val"), 9) < 9:
            level = _int(outline.get(_W + "val"), 9) + 1
        raw[sid] = (name, level, num.get(_W + "val") if num is not None else None, based.get(_W + "val") if based is not None else None)
    resolved: dict[str, tuple[int | None, str | None]] = {}
    for sid in raw:
        level = num = None
        seen = set()
        cur: str | None = sid
        while cur in raw and cur not in seen:
            seen.add(cur)
            _, lvl, n, based = raw[cur]
            level = level if level is not None else lvl
            num = num if num is not None else n
            cur = based
        resolved[sid] = (level, num)
    return resolved


def _numbering_formats(document) -> dict[tuple[str, int], str]:
    """(numbering id, level) -> its number format ("bullet", "decimal", ...)."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError, ValueError):
        return {}
    abstract: dict[str, dict[int, str]] = {}
    for an in root.iterchildren(_W + "abstractNum"):
        levels = {}
        for lvl in an.iterchildren(_W + "lvl"):
            fmt = lvl.find(_W + "numFmt")
            levels[_int(lvl.get(_W + "ilvl"), 0)] = fmt.get(_W + "val") if fmt is not None else "bullet"
        abstract[an.get(_W + "abstractNumId") or ""] = levels
    formats = {}
    for num in root.iterchildren(_W + "num"):
        ref = num.find(_W + "abstractNumId")
        levels = abstract.get(ref.get(_W + "val") if ref is not None else "", {})
        for level, fmt in levels.items():
            formats[(num.get(_W + "numId") or "", level)] = fmt
    return formats


def _notes(document) -> dict[tuple[str, str], object]:
    """("footnote" | "endnote", id) -> the note's element, from the footnotes and endnotes parts."""
    notes = {}
    for rel in document.part.rels.values():
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind not in ("footnotes", "endnotes") or rel.is_external:
            continue
        root = parse_xml(rel.target_part.blob, kind, "DOCX")
        for note in root.iterchildren(_W + kind[:-1]):
            if note.get(_W + "type") in (None, "normal"):
                notes[(kind[:-1], note.get(_W + "id") or "")] = note
    return notes
