"""Coverage: how much of the knowledge base the dataset teaches. A fact (generation/text/facts.py: an English
sentence that states a date, a number, an amount or a name) is covered when a published pair quotes it.
Counted per source, in document offsets, so a sentence in the overlap of two chunks counts once. Every
source with chunks is listed, those with no fact too: fact-first asks nothing of them."""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

from generation.text.facts import select_facts
from generation.text.tokens import fold as _fold
from generation.records import Pair

FactSpan = tuple[int, int, str]  # a fact's chunk-relative start and end, and its sentence folded


def chunk_facts(text: str, title: str) -> list[FactSpan]:
    """The facts coverage counts in a chunk's text (every one: no per-chunk limit)."""
    return [(fact.start, fact.end, _fold(fact.sentence)) for fact in select_facts(text, title, None)]


def coverage(
    chunks: Iterable, published: Iterable[Pair], titles: dict[str, str | None], facts_of: Callable[[object], list[FactSpan]] | None = None
) -> dict[str, tuple[int, int]]:
    """source_id -> (facts, facts covered by a published pair), for every source with a chunk. A pair
    covers a fact when one of its quotes is the fact's sentence (or holds it, or lies in it) and the
    pair's quoted range overlaps the sentence: a free-form pair quoting the first and last sentences of
    a chunk covers those two, not the sentences between them. `facts_of(chunk)` gives a chunk's facts where
    they are kept from an earlier run (pipeline/assemble.py); by default they are selected here."""
    facts: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
    for chunk in chunks:
        facts[chunk.source_id]  # a source with no fact is listed with none
        found = facts_of(chunk) if facts_of is not None else chunk_facts(chunk.text, titles.get(chunk.source_id) or "")
        for start, end, sentence in found:
            facts[chunk.source_id][(chunk.char_start + start, chunk.char_start + end)] = sentence
    quoted: dict[str, list[tuple[int, int, list[str]]]] = defaultdict(list)
    for pair in published:
        if pair.char_start is not None and pair.char_end is not None:
            quoted[pair.source_id].append((pair.char_start, pair.char_end, [f for f in map(_fold, pair.quotes) if f]))
    out: dict[str, tuple[int, int]] = {}
    for source_id, sentences in facts.items():
        pairs = quoted.get(source_id, [])
        covered = sum(
            1
            for (start, end), sentence in sentences.items()
            if any(s < end and e > start and any(q in sentence or sentence in q for q in quotes) for s, e, quotes in pairs)
        )
        out[source_id] = (len(sentences), covered)
    return out


def totals(per_source: dict[str, tuple[int, int]]) -> dict[str, float | int]:
    facts = sum(f for f, _ in per_source.values())
    covered = sum(c for _, c in per_source.values())
    return {"facts": facts, "covered": covered, "share": round(covered / facts, 4) if facts else 0.0}
