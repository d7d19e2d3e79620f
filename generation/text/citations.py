"""Citations and wiki markup in a sentence: what fact selection never asks about, and what an answer leaves out.

A citation inside a sentence ("[@Ramsay:1998]", "<ref>...</ref>", "{{cite ...}}", "[3]") is no span to ask
for; a reference list's entry ("Fourth edition, Prentice Hall, 1995, ISBN 0-13-326224-3.") is no fact at all;
MediaWiki markup is taken out of a published answer.
"""

from __future__ import annotations

import re

# A citation inside a sentence; a "<ref>" the sentence's end cuts before its "</ref>" runs to the end.
_CITATION = re.compile(r"\[[^\]\n]*@[^\]\n]*\]|<ref[^>]*/>|<ref[^>]*>.*?(?:</ref>|$)|\{\{[^{}]*\}\}|\[\d+(?:[,–-]\d+)*\]", re.S)
# A reference list's entry ("Fourth edition, Prentice Hall, 1995, ISBN 0-13-326224-3."): a book's dates, no
# facts of the text (34 of the embedded teacher's 279 questions on the development pool, none right).
_REFERENCE_ENTRY = re.compile(
    r"\bISBN(?:-1[03])?:?\s?[\dX][\dX -]{8,}|\bISSN:?\s?\d{4}-\d{3}[\dX]|\bdoi:|doi\.org/|\bpp\.(?:\s|&nbsp;)?\d|\bVol\.\s?\d|\bSeiten?\s\d"
    r"|\bRetrieved\s+(?:on\s+)?(?:\d|[A-Z][a-z]+\s\d|from\s)"
)  # the numbers of a book or the date of a link, not the words: "The ISBN system was introduced in 1970" is a fact


def citations(sentence: str) -> list[tuple[int, int]]:
    """The (start, end) of each citation inside the sentence."""
    if "[" not in sentence and "<ref" not in sentence and "{{" not in sentence:
        return []
    return [(m.start(), m.end()) for m in _CITATION.finditer(sentence)]


def is_reference_entry(sentence: str) -> bool:
    """The sentence is an entry of a reference list (a citation inside a sentence, "[@doi:10/dvvg2h]", is not one)."""
    return _REFERENCE_ENTRY.search(sentence) is not None and _REFERENCE_ENTRY.search(_CITATION.sub("", sentence)) is not None


_WIKI_REF = re.compile(r"<ref[^>/]*/>|<ref[^>]*>.*?</ref>|<ref[^>]*>.*\Z", re.S)  # the last: cut by the sentence's end
_WIKI_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_WIKI_LINK = re.compile(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]")
_WIKI_EMPHASIS = re.compile(r"'{2,}")


def wiki(text: str) -> str:
    """MediaWiki markup out of an answer: references, templates, [[links]] (their text kept), bold and italics."""
    text = _WIKI_REF.sub("", text)
    text = _WIKI_TEMPLATE.sub("", text)
    text = _WIKI_LINK.sub(r"\1", text)
    return _WIKI_EMPHASIS.sub("", text)
