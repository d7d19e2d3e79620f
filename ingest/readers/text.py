"""Plain text and Markdown: decoded (ingest/decode.py) and normalized. Markdown is kept as written (its
markup is text a reader understands), with its first "# " heading as the title."""

from __future__ import annotations

import re

from ..decode import decode_text, looks_binary
from ..normalize import join_typeset_hyphens, normalize
from ..records import SourceError
from .base import Extracted, ReadOptions, Reader

_MARKDOWN_TITLE = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_MARKDOWN_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


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
        prose = _MARKDOWN_FENCE.sub("", text) if "```" in text or "~~~" in text else text  # not "# comments" in code
        heading = _MARKDOWN_TITLE.search(prose)
        return Extracted(text=text, title=heading.group(1).strip() if heading else None)
