"""Coverage: how much of the knowledge base the dataset teaches. A fact (generation/facts.py: a
sentence that states a date, a number, an amount or a name) is covered when a published pair quotes
it. Counted per source, in document offsets, so a sentence in the overlap of two chunks counts once."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from generation.facts import select_facts
from generation.records import Pair
from generation.store import StoredChunk


def coverage(chunks: Iterable[StoredChunk], published: Iterable[Pair], titles: dict[str, str]) -> dict[str, tuple[int, int]]:
    """source_id -> (facts, facts covered by a published pair), for every source with a fact."""
    facts: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for chunk in chunks:
        for fact in select_facts(chunk.text, titles.get(chunk.source_id, ""), None):
            facts[chunk.source_id].add((chunk.char_start + fact.start, chunk.char_start + fact.end))
    quoted: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for pair in published:
        if pair.char_start is not None and pair.char_end is not None:
            quoted[pair.source_id].append((pair.char_start, pair.char_end))
    out: dict[str, tuple[int, int]] = {}
    for source_id, ranges in facts.items():
        spans = quoted.get(source_id, [])
        covered = sum(1 for start, end in ranges if any(s < end and e > start for s, e in spans))
        out[source_id] = (len(ranges), covered)
    return out


def totals(per_source: dict[str, tuple[int, int]]) -> dict[str, float | int]:
    facts = sum(f for f, _ in per_source.values())
    covered = sum(c for _, c in per_source.values())
    return {"facts": facts, "covered": covered, "share": round(covered / facts, 4) if facts else 0.0}
