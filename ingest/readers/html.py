"""HTML: the main text only, through trafilatura, one paragraph per block element (headings, lists an item
a line, tables a row a line, quotes, code); the page's title, author, date and canonical URL as metadata.
A page is HTML by its extension, or by its opening tags when its name says nothing (`/page.php`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from ..decode import SNIFF_BYTES, decode_text, looks_binary
from ..normalize import normalize
from ..records import SourceError
from .base import Extracted, ReadOptions, Reader, clean_field

if TYPE_CHECKING:
    from lxml.etree import _Element

HTML_SNIFF = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html)", re.I | re.S
)
_HTML_ANYWHERE = re.compile(rb"<html[\s>]|<head[\s>]|<body[\s>]", re.I)
HTML_MAX_DEPTH = 255  # libxml2's limit without XML_PARSE_HUGE: deeper elements are dropped
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr p li option td th tr dt dd".split())


class HtmlReader(Reader):
    kind = "html"
    extensions = (".html", ".htm", ".xhtml")

    def guess(self, data: bytes, extension: str) -> bool:
        head = data[:SNIFF_BYTES]
        return HTML_SNIFF.match(head) is not None or (not extension and _HTML_ANYWHERE.search(head) is not None)

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
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
        return Extracted(
            text=text,
            title=clean_field(result.title),
            author=clean_field(result.author),
            date=clean_field(result.date),
            url=clean_field(result.url),
        )


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
