"""FB2 (FictionBook 2, the common e-book format of Russian-language libraries): one XML file, read with lxml
like the other structured formats (ingest/readers/markup.py): section titles as headings (a section inside
a section one level down, the body's title level 1), paragraphs, poems a stanza a block, tables as pipe rows, the notes body under
"Notes"; sections for provenance, labelled with the title path. Typed by content: a <FictionBook> root in
the first kilobytes. Parsed without DTDs or entities (an entity bomb is not expanded).

Not measured against other libraries: lxml is groundqa's already (PyMuPDF opens FB2 too, but lays it out
in pages and keeps no structure), and the format is rare in a knowledge base.
"""

from __future__ import annotations

import re

from ..decode import SNIFF_BYTES, looks_binary
from ..records import SourceError
from .base import Extracted, ReadOptions, Reader, clean_field
from .markup import Headings, TextBuilder, table_lines
from .zipped import parse_xml

_FB2_SNIFF = re.compile(rb"<(?:\w+:)?FictionBook[\s>]")


class Fb2Reader(Reader):
    kind = "fb2"
    extensions = (".fb2",)

    def sniff(self, data: bytes) -> bool:
        return _FB2_SNIFF.search(data[:SNIFF_BYTES]) is not None and not looks_binary(data)

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        root = parse_xml(data, "the book", "FB2")
        if root.tag.rsplit("}", 1)[-1] != "FictionBook":
            raise SourceError("corrupt", "not an FB2 book: its root element is not <FictionBook>")
        ns = root.tag[: -len("FictionBook")]
        builder = TextBuilder()
        headings = Headings(builder)
        notes = []
        for body in root.iterchildren(ns + "body"):
            if body.get("name") in ("notes", "comments"):
                notes.append(body)
                continue
            _section(builder, headings, body, ns, 0)
        for body in notes:
            for section in body.iter(ns + "section"):
                text = " ".join(_text(p) for p in section.iterchildren(ns + "p"))
                if text:
                    builder.notes.append(f"[{len(builder.notes) + 1}] {text}")
        text = builder.text()
        if not text:
            raise SourceError("empty", "the FB2 book has no text")
        info = root.find(f"{ns}description/{ns}title-info")
        title = author = date = None
        if info is not None:
            title = _text(info.find(ns + "book-title"))
            person = info.find(ns + "author")
            if person is not None:
                author = " ".join(_text(person.find(ns + part)) for part in ("first-name", "middle-name", "last-name")).strip()
            date_el = info.find(ns + "date")
            date = (date_el.get("value") or _text(date_el)) if date_el is not None else None
        return Extracted(text=text, title=clean_field(title), author=clean_field(author), date=clean_field(date),
                         sections=builder.sections)


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _section(builder: TextBuilder, headings: Headings, section, ns: str, depth: int) -> None:
    for child in section.iterchildren():
        tag = child.tag
        if tag == ns + "title":
            title = " ".join(_text(p) for p in child.iter(ns + "p")) or _text(child)
            if title:
                headings.heading(min(depth + 1, 6), title)  # the body's title (the book's) is level 1
        elif tag == ns + "section":
            _section(builder, headings, child, ns, depth + 1)
        elif tag in (ns + "p", ns + "subtitle", ns + "text-author"):
            builder.add(_text(child))
        elif tag in (ns + "poem", ns + "cite", ns + "epigraph"):
            for stanza in child.iter(ns + "stanza", ns + "p"):
                lines = [_text(v) for v in stanza.iter(ns + "v")] if stanza.tag == ns + "stanza" else [_text(stanza)]
                builder.lines(lines)
        elif tag == ns + "table":
            rows = [[_text(c) for c in tr if c.tag in (ns + "td", ns + "th")] for tr in child.iter(ns + "tr")]
            builder.lines(table_lines(rows)[0])
