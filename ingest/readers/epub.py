"""EPUB (2 and 3): the book's chapters in reading order (the package's spine), each an XHTML page read into
headings, paragraphs, lists and tables as the other structured formats are (ingest/readers/markup.py).
Each chapter is a section for provenance, labelled with its title in the book's table of contents (the
EPUB 3 navigation document or the EPUB 2 NCX), else its first heading; headings inside it extend the
label ("Customization > Packages").

Typed by content: a zip whose `mimetype` entry is application/epub+zip, or that has a
META-INF/container.xml naming an OPF package (ingest/readers/zipped.py). A book whose content documents
are encrypted (DRM) is `encrypted` (obfuscated fonts alone are not); one whose package names a file
outside the archive ("../../etc/passwd") is `unsafe_zip`.

Library, measured on 6 real EPUBs (`python bench/office.py --candidates`: the Debian Live manual in five
languages and the Ubuntu Packaging Guide, from Debian's packages). Reference: the manual's own plain-text
edition (SiSU), for the five manuals; docs/s on this two-core machine:

    reader                     precision recall  docs/s  structure kept                       installs  licence
    zip + lxml text (bare)      0.921    0.998   75      none                                 none new
    this reader (zip + lxml) <- 0.924    0.997   15      headings, lists, tables, chapters    none new
    PyMuPDF (EPUB)              0.886    0.997    3.5    none: laid out in pages first        none new  AGPL-3.0
    ebooklib                    failed on 5 of 6 (a spine entry with "#fragment")  43     1 MB      AGPL-3.0

An EPUB is a zip of XHTML pages and one XML index: lxml, which groundqa already has, reads both, and the
same block walker as the other formats keeps headings, lists and tables. The walk costs 5 times lxml's bare
text join (in C, without any structure): 15 books a second, 2.5 million characters a second, far below
what chunking and the teacher take. PyMuPDF lays the book out in pages first; ebooklib only unpacks.
"""

from __future__ import annotations

from functools import lru_cache

from ..records import SourceError
from .base import Extracted, ReadOptions, Reader, clean_field
from .markup import Headings, HtmlBlocks, TextBuilder, inline_text
from .zipped import open_zip, parse_xml, read_part, resolve, zip_kind

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
NCX = "{http://www.daisy.org/z3986/2005/ncx/}"
XENC = "{http://www.w3.org/2001/04/xmlenc#}"
EPUB_NS = "{http://www.idpf.org/2007/ops}"
# Font obfuscation (IDPF and Adobe): fonts scrambled against copying, not the book's text.
FONT_OBFUSCATION = ("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC")
_CONTENT_TYPES = ("application/xhtml+xml", "text/html", "application/x-dtbook+xml")


@lru_cache(maxsize=1)
def _html_parser():
    """lxml's HTML parser (not lxml.html's, whose element classes cost a third of the time). It reads XHTML
    too, and a chapter that is not well-formed XML is still read, as e-readers read it."""
    from lxml import etree

    return etree.HTMLParser(remove_comments=True, no_network=True)


class EpubReader(Reader):
    kind = "epub"
    extensions = (".epub",)
    text_based = False

    def sniff(self, data: bytes) -> bool:
        return zip_kind(data) == "epub"

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        with open_zip(data, "EPUB") as archive:
            return _Book(archive).read()


class _Book:
    def __init__(self, archive):
        self.archive = archive
        self.names = set(archive.namelist())

    def part(self, name: str) -> bytes:
        return read_part(self.archive, name, "EPUB")

    def read(self) -> Extracted:
        opf_path = self._package_path()
        opf = parse_xml(self.part(opf_path), opf_path, "EPUB")
        manifest: dict[str, tuple[str, str, str]] = {}
        for item in opf.iter(OPF + "item"):
            href = item.get("href") or ""
            path = resolve(opf_path, href)
            if path is None:
                raise SourceError("unsafe_zip", f"the EPUB's package names a file outside the archive: {href[:200]!r}")
            manifest[item.get("id") or ""] = (path, item.get("media-type") or "", item.get("properties") or "")
        spine_el = opf.find(OPF + "spine")
        if spine_el is None:
            raise SourceError("corrupt", "corrupt EPUB: its package has no spine (no reading order)")
        self._refuse_drm(manifest)
        titles = self._toc(opf, manifest, spine_el)
        builder = TextBuilder()
        seen: set[str] = set()
        for ref in spine_el.iter(OPF + "itemref"):
            entry = manifest.get(ref.get("idref") or "")
            if entry is None:
                continue
            path, media_type, properties = entry
            if path in seen or media_type not in _CONTENT_TYPES or "nav" in properties.split() or path not in self.names:
                continue
            seen.add(path)
            self._chapter(builder, path, titles.get(path))
        text = builder.text()
        if not text:
            raise SourceError("empty", "the EPUB has no text in its chapters")
        metadata = opf.find(OPF + "metadata")
        def first(tag: str) -> str | None:
            el = metadata.find(DC + tag) if metadata is not None else None
            return el.text if el is not None else None
        date = first("date")
        return Extracted(
            text=text,
            title=clean_field(first("title")),
            author=clean_field(first("creator")),
            date=clean_field(date[:10]) if date else None,
            sections=builder.sections,
        )

    def _package_path(self) -> str:
        if "META-INF/container.xml" not in self.names:
            raise SourceError("corrupt", "corrupt EPUB: it has no META-INF/container.xml")
        container = parse_xml(self.part("META-INF/container.xml"), "META-INF/container.xml", "EPUB")
        for rootfile in container.iter(CONTAINER + "rootfile"):
            path = rootfile.get("full-path") or ""
            if resolve("", path) is None:
                raise SourceError("unsafe_zip", f"the EPUB's container names a package outside the archive: {path[:200]!r}")
            if path in self.names:
                return path
        raise SourceError("corrupt", "corrupt EPUB: the package its container names is not in the archive")

    def _refuse_drm(self, manifest: dict[str, tuple[str, str, str]]) -> None:
        if "META-INF/encryption.xml" not in self.names:
            return
        root = parse_xml(self.part("META-INF/encryption.xml"), "META-INF/encryption.xml", "EPUB")
        content = {path for path, media_type, _ in manifest.values() if media_type in _CONTENT_TYPES}
        for data in root.iter(XENC + "EncryptedData"):
            method = data.find(XENC + "EncryptionMethod")
            if method is not None and method.get("Algorithm") in FONT_OBFUSCATION:
                continue
            ref = data.find(f"{XENC}CipherData/{XENC}CipherReference")
            uri = resolve("", ref.get("URI") or "") if ref is not None else None
            if uri is None or uri in content:
                raise SourceError("encrypted", "an EPUB with encrypted chapters (DRM): it cannot be read without its key")

    def _toc(self, opf, manifest: dict[str, tuple[str, str, str]], spine) -> dict[str, str]:
        from lxml import etree

        """Chapter file -> its title in the table of contents (the first entry that points into it)."""
        titles: dict[str, str] = {}
        nav = next((path for path, _, props in manifest.values() if "nav" in props.split()), None)
        if nav and nav in self.names:
            root = etree.fromstring(self.part(nav), _html_parser())
            for nav_el in root.iter("nav") if root is not None else ():
                if nav_el.get("epub:type", nav_el.get(EPUB_NS + "type", "toc")) != "toc":
                    continue
                for a in nav_el.iter("a"):
                    target = resolve(nav, a.get("href") or "")
                    title = inline_text(a).replace("\n", " ")
                    if target and title:
                        titles.setdefault(target, title)
                break
        ncx_id = spine.get("toc")
        if not titles and ncx_id in manifest and manifest[ncx_id][0] in self.names:
            path = manifest[ncx_id][0]
            root = parse_xml(self.part(path), path, "EPUB")
            for point in root.iter(NCX + "navPoint"):
                label = point.find(f"{NCX}navLabel/{NCX}text")
                content = point.find(NCX + "content")
                if label is None or content is None:
                    continue
                target = resolve(path, content.get("src") or "")
                title = " ".join((label.text or "").split())
                if target and title:
                    titles.setdefault(target, title)
        return titles

    def _chapter(self, builder: TextBuilder, path: str, title: str | None) -> None:
        from lxml import etree

        data = self.part(path)
        if not data.strip():
            return
        root = etree.fromstring(data, _html_parser())
        if root is None:
            return
        body = root.find("body")
        if body is None:
            body = root
        if title is None:
            heading = next((el for el in body.iter("h1", "h2", "h3") if inline_text(el)), None)
            title = inline_text(heading).replace("\n", " ") if heading is not None else None
        builder.section(title or path.rsplit("/", 1)[-1])
        HtmlBlocks(builder, Headings(builder, prefix=title)).add(body)
