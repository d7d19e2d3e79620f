"""Plain text and Markdown: decoded (ingest/decode.py) and normalized. Markdown is kept as written (its
markup is text a reader understands), with its front matter's title or its first "# " heading as the title,
and the front matter (a static site's metadata) left out."""

from __future__ import annotations

import html
import re

from ..decode import decode_text, looks_binary
from ..normalize import join_typeset_hyphens, normalize
from ..records import SourceError
from .base import Extracted, ReadOptions, Reader

_MARKDOWN_TITLE = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_MARKDOWN_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
# A static site's front matter (Jekyll, Hugo): "---" YAML or "+++" TOML lines before the text, one of them its title.
_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(?=[A-Za-z_][\w-]*[ \t]*[:=])(.*?)\n\1[ \t]*(?:\n|\Z)", re.S)  # opens with "key: value"
_FRONT_TITLE = re.compile(r"^title[ \t]*[:=][ \t]*(?P<q>[\"']?)(?P<title>.+?)(?P=q)[ \t]*$", re.M)


def _text(data: bytes) -> str:
    if looks_binary(data):
        raise SourceError("binary", "binary data, not text (it has NUL or control bytes)")
    text = join_typeset_hyphens(normalize(decode_text(data)))  # a man page rendered to text: "pro\u2010\n    cesses"
    if not text:
        raise SourceError("empty", "no text: the file holds only whitespace")
    return text


class TextReader(Reader):
    kind = "text"
    extensions = (".txt",)

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        return Extracted(text=_text(data))


class MarkdownReader(Reader):
    kind = "markdown"
    extensions = (".md", ".markdown")

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        text = _text(data)
        title = None
        if (front := _FRONT_MATTER.match(text)) is not None:  # metadata, not the document's text: "layout: post" is no title
            text = text[front.end() :].lstrip("\n")
            if (named := _FRONT_TITLE.search(front.group(2))) is not None:
                title = html.unescape(named["title"].strip().strip("\"'")) or None  # "NOAA&#8217;s Release Mako App"
            if not text.strip():
                raise SourceError("empty", "no text: the file holds only its front matter")
        prose = _MARKDOWN_FENCE.sub("", text) if "```" in text or "~~~" in text else text  # not "# comments" in code
        heading = _MARKDOWN_TITLE.search(prose)
        return Extracted(text=text, title=title or (heading.group(1).strip() if heading else None))
