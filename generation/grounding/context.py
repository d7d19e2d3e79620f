"""What the checks read, built once: the chunk's (cached per chunk text, shared by all its pairs) and the
pair's (built once per pair, shared by all the checks)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Sequence

from generation.records import QuoteSpan
from generation.text import sentences
from generation.text.facts import LINK
from generation.text.lexicon import QUESTION_FRAME, WH_WORDS
from generation.text.tokens import ALNUM_RUN, Token, fold_run, present, segment_vocabularies, text_vocabulary, tokens, vocabulary, word_key

CHUNK_CACHE_SIZE = 512
# A line this short with no closing punctuation is a heading ("History of Vellmark Instruments").
MAX_HEADING_WORDS = 12
# The keys of the question's frame words (lexicon.QUESTION_FRAME).
FRAME_KEYS = frozenset(word_key(w)[1] for w in QUESTION_FRAME)
# Tags around a sentence in Markdown with inline HTML: "<p>HTTP/1.1 was first published ... in 1997.</p>"
_HTML_EDGE_TAGS = re.compile(r"^(?:<[a-zA-Z][^<>]*>\s*)+|(?:\s*</?[a-zA-Z][^<>]*>)+$")


@dataclass(frozen=True, slots=True)
class ChunkContext:
    """What every pair of one chunk needs, computed once: the folded text (with each folded
    character's offset in the chunk), the chunk's vocabulary, and each sentence's vocabulary with
    the weight of each word (1 / the number of sentences that have it)."""

    text: str
    folded: str
    offsets: list[int]  # folded index -> chunk offset
    vocab: frozenset[str]
    sentences: tuple[frozenset[str], ...]
    weight: dict[str, float]
    spans: tuple[tuple[int, int], ...] = ()  # each sentence's (start, end) in the chunk
    segments: tuple[tuple[int, int], ...] = ()  # sentences.segments(text): every sentence, headings too
    segment_vocabs: tuple[frozenset[str], ...] = ()  # the vocabulary of each of `segments`


@lru_cache(maxsize=CHUNK_CACHE_SIZE)
def chunk_context(text: str) -> ChunkContext:
    folded, offsets = fold_with_offsets(text)
    vocab: set[str] = set()
    sentence_vocabs: list[frozenset[str]] = []
    spans: list[tuple[int, int]] = []
    segments: list[tuple[int, int]] = []
    segment_vocabs: list[frozenset[str]] = []
    frequency: Counter[str] = Counter()
    start = 0
    bounds = sentences.bounds(text)
    for (end, next_start), segment_vocab in zip(bounds, segment_vocabularies(text, bounds)):
        segment = text[start:end]
        if segment_vocab or ALNUM_RUN.search(text, start, end):  # a sentence with words
            segments.append((start, end))
            segment_vocabs.append(segment_vocab)
        vocab.update(segment_vocab)
        frequency.update(segment_vocab)  # headings count here: the topic's words weigh less
        if segment_vocab and not is_heading(segment):
            sentence_vocabs.append(segment_vocab)
            spans.append((start, end))
        start = next_start
    weight = {key: 1.0 / n for key, n in frequency.items()}
    return ChunkContext(text, folded, offsets, frozenset(vocab), tuple(sentence_vocabs), weight, tuple(spans), tuple(segments), tuple(segment_vocabs))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """tokens.fold(text) with link targets left out, and each folded character's offset in `text`: per
    character, its NFKC case fold's letters and digits ("É" -> "é", "“" -> "", "ß" -> "ss"), in numpy
    passes (this runs on every chunk a pair is checked against)."""
    import numpy as np

    keep_table, lower_table = _ascii_tables()
    links = link_targets(text)
    if text.isascii():  # one byte a character, each folding to itself lower-cased or to nothing
        data = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        keep = keep_table[data]
        for lo, hi in links:
            keep[lo:hi] = False
        return lower_table[data[keep]].tobytes().decode("ascii"), np.flatnonzero(keep).tolist()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # a lone surrogate folds to nothing
    wide = codes >= 128
    small = np.where(wide, 0, codes)
    unique, inverse = np.unique(codes[wide], return_inverse=True)
    folds = [_fold_char(chr(c)) for c in unique.tolist()]
    if any(len(f) > 1 for f in folds):  # "ß" -> "ss": a character may fold to several
        lengths = keep_table[small].astype(np.intp)
        lengths[wide] = np.array([len(f) for f in folds], dtype=np.intp)[inverse]
        for lo, hi in links:
            lengths[lo:hi] = 0
        table = {**_ascii_translation(), **dict(zip(unique.tolist(), folds))}
        folded = "".join(text[a:b].translate(table) for a, b in (outside(text, links) if links else [(0, len(text))]))
        return folded, np.repeat(np.arange(len(codes)), lengths).tolist()
    folded_codes = lower_table[small].astype(np.uint32)  # each character folds to one or none: code by code
    keep = keep_table[small]
    folded_codes[wide] = np.array([ord(f) if f else 0 for f in folds], dtype=np.uint32)[inverse]
    keep[wide] = np.array([bool(f) for f in folds], dtype=bool)[inverse]
    for lo, hi in links:
        keep[lo:hi] = False
    return folded_codes[keep].tobytes().decode("utf-32-le"), np.flatnonzero(keep).tolist()


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """A character's letters and digits once folded ("É" -> "é", "“" -> "", "ß" -> "ss"), as fold_run folds it."""
    return fold_run(char)[0] if char.isalnum() else ""


@lru_cache(maxsize=1)
def _ascii_translation() -> dict[int, str | None]:
    """str.translate's table of the ASCII characters: a letter or digit to its lowercase, the rest to nothing."""
    return {b: chr(b).lower() if chr(b).isalnum() else None for b in range(128)}


@lru_cache(maxsize=1)
def _ascii_tables():
    """Per byte: is it a letter or digit; and its lowercase."""
    import numpy as np

    keep = np.array([chr(b).isalnum() for b in range(128)], dtype=bool)
    lower = np.array([ord(chr(b).lower()) for b in range(128)], dtype=np.uint8)
    return keep, lower


def link_targets(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each markdown link's target, "(https://...)" of "[the railway](https://...)":
    a quote states the link's text, never its address, so the folded text the quotes align with leaves
    the address out (a fact-first answer is the sentence with its links unwrapped)."""
    if "](" not in text:
        return []
    return [(m.end(1), m.end()) for m in LINK.finditer(text)]


def is_heading(segment: str) -> bool:
    """A title line ("History of Vellmark Instruments", "## Prices"): it names the chunk's topic, which
    makes it match every question about that topic, and it states no facts. Left out of placement."""
    segment = _HTML_EDGE_TAGS.sub("", segment.strip()) if "<" in segment else segment.strip()
    if "\n" in segment or segment.endswith((".", "!", "?", ":", ";", '"', "”", ")")):
        return False
    return len(segment.split()) <= MAX_HEADING_WORDS


def quoted(ranges: Sequence[tuple[int, int]], spans: Sequence[QuoteSpan]) -> list[int]:
    """The indices of the (start, end) ranges (sorted, not overlapping) that an aligned quote overlaps."""
    found: set[int] = set()
    ends = None
    for q in spans:
        if q.start is None or q.end is None:
            continue
        if ends is None:
            ends = [b for _, b in ranges]
        i = bisect_right(ends, q.start)  # the first range that ends after the quote's start
        while i < len(ranges) and ranges[i][0] < q.end:
            if ranges[i][1] > q.start:
                found.add(i)
            i += 1
    return sorted(found)


def outside(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (start, end) pieces of `text` between `ranges` (sorted, not overlapping)."""
    pieces, at = [], 0
    for lo, hi in ranges:
        pieces.append((at, lo))
        at = hi
    return [*pieces, (at, len(text))]


def frame_words(question_tokens: list[Token]) -> set[str]:
    """The question's frame: a frame word right after its question word ("How long", "In what year",
    "Which kind"), which asks for the answer rather than saying what it is about."""
    return {
        token.key for before, token in zip(question_tokens, question_tokens[1:])
        if before.raw.lower() in WH_WORDS and token.key in FRAME_KEYS
    }


@dataclass
class PairContext:
    """One pair as the checks read it, tokenized once. `spans` are the quotes as the quote check aligned
    them (the pair's provenance); the checks after it read them."""

    chunk: ChunkContext
    question: str
    answer: str
    quotes: list[str]  # the non-empty ones
    target: str | None = None  # fact-first: the span of the quote the question asks for
    title: str | None = None
    spans: list[QuoteSpan] = field(default_factory=list)

    @classmethod
    def build(cls, chunk_text: str, question: str, answer: str, quotes: Sequence[str] | None, target: str | None, title: str | None) -> "PairContext":
        return cls(chunk_context(chunk_text), question, answer, [q for q in quotes or () if q and q.strip()], target, title)

    @cached_property
    def question_tokens(self) -> list[Token]:
        return tokens(self.question)

    @cached_property
    def question_vocab(self) -> frozenset[str]:
        return vocabulary(self.question_tokens)

    @cached_property
    def answer_tokens(self) -> list[Token]:
        return tokens(self.answer)

    @cached_property
    def content(self) -> list[Token]:
        """The answer's words that are not stopwords."""
        return [t for t in self.answer_tokens if t.kind != "stop"]

    @cached_property
    def new_content(self) -> list[Token]:
        """What the answer adds to the question."""
        return [t for t in self.content if not present(t, self.question_vocab)]

    @cached_property
    def title_vocab(self) -> frozenset[str]:
        return text_vocabulary(self.title or "")

    @property
    def aligned(self) -> bool:
        """Every quote was found in the chunk (and there is at least one)."""
        return bool(self.spans) and all(q.start is not None for q in self.spans)
