"""The run's last stages: from the store to a published set.

The published set is derived from the store on every run: the live chunks (those of sources present and
readable) -> their generations -> verdicts under the current grounding signature (`regrade`: missing
ones are computed, no teacher call for the lexical checks) -> `deduplicate` in age order -> `write` the
set shard by shard (`collect` one shard's rows, write its files, keep only counters and pair ids), then the
report, card and trainer configs. Retiring the pairs of removed or changed sources, re-grading and resuming
after a crash all follow from this one rule.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generation import EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL
from generation.dedup import Deduper
from generation.grounding import GroundingChecker
from generation.outputs.card import axolotl_snippet, dataset_card, llama_factory_info
from generation.outputs.coverage import FactSpan, chunk_facts, coverage, totals
from generation.outputs.files import SetWriter
from generation.outputs.report import Tally
from generation.outputs.shards import Layout, files_of, shard_count, shard_of
from generation.outputs.training import document_splits, write_empty, write_shard
from generation.records import Pair, Rejection, Verdict
from generation.strategies import title_for_check
from generation.text.facts import FACTS_VERSION
from ingest.normalize import normalize
from ingest.records import PageSpan, short_hash

from . import reviews
from .state import RunState
from .store import Store, StoredCandidate, StoredChunk


PAIRS_A_CHUNK = 1 << 16  # more candidates than any chunk has: a pair's place is its chunk's place * this + its index


@dataclass
class Dataset:
    """What a run publishes, counted while its set is written shard by shard: counters, and each published pair's
    id with its place in dataset order (the store learns the set from them and the written files)."""

    published: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    duplicates: int = 0
    carried: int = 0  # published pairs kept from earlier settings, for chunks the current ones have not covered
    order: dict[str, int] = field(default_factory=dict)  # pair id -> its place in dataset order
    rank: dict[str, int] = field(default_factory=dict)  # chunk text hash -> its place in dataset order


class FactCache:
    """Each chunk text's facts for coverage, kept in the store by text hash, fact selection's version and the source's
    title: selecting them again for every chunk was most of an unchanged night's CPU at 10,000 documents
    (docs/scale.md). Texts whose facts are not kept yet are selected once and saved with the run."""

    def __init__(self, store: Store, titles: dict[str, str | None]):
        self.store, self.titles = store, titles
        self.kept = store.fact_spans(FACTS_VERSION)
        self.new: list[tuple[str, str, str]] = []

    def get(self, chunk: StoredChunk, text_hash: str) -> list[FactSpan]:
        title = self.titles.get(chunk.source_id) or ""
        sig = f"{FACTS_VERSION}:{short_hash(title)}"
        if (saved := self.kept.get((text_hash, sig))) is not None:
            return [tuple(row) for row in json.loads(saved)]  # type: ignore[misc]
        found = chunk_facts(chunk.text, title)
        spans = json.dumps(found, ensure_ascii=False)
        self.kept[(text_hash, sig)] = spans
        self.new.append((text_hash, sig, spans))
        return found

    def save(self) -> None:
        if self.new:
            self.store.save_fact_spans(self.new, FACTS_VERSION)
            self.new = []


@dataclass
class PublishedSet:
    """The pairs a set holds, for the store once the set is shown: read back from its pairs files (whichever
    folder the set ends up in), each with its place in dataset order, so no list of pairs is kept."""

    order: dict[str, int]

    def records(self, folder: Path) -> Iterator[tuple[str, int, str]]:
        """(pair id, place in dataset order, the record's JSON) of every pair in the set at `folder`."""
        for path in files_of(folder, "pairs"):
            with open(path, encoding="utf-8") as lines:
                for line in lines:
                    pair_id = json.loads(line)["pair_id"]
                    yield pair_id, self.order[pair_id], line.rstrip("\n")


@dataclass
class Stored:
    """The store's rows for the live chunks under the current signatures."""

    chunk_of: dict[str, StoredChunk]  # chunk text hash -> the first live chunk with that text
    generations: dict[str, tuple[str, str | None, str | None]]  # text hash -> (status, error, raw reply)
    candidates: dict[str, list[StoredCandidate]]  # text hash -> candidates, oldest first
    verdicts: dict[str, tuple[bool, str]]  # pair id -> (grounded, verdict JSON)
    titles: dict[str, str | None]
    # text hash -> the candidates published under earlier settings, for the live chunks the current settings
    # have not covered yet (not generated this far: --limit-chunks, a teacher down; or an invalid reply)
    carried: dict[str, list[StoredCandidate]] = field(default_factory=dict)

    def live_candidates(self) -> list[StoredCandidate]:
        """The candidates of live chunks whose generation under the current settings succeeded."""
        return [c for h in self.chunk_of if self.generations.get(h, ("",))[0] == "ok" for c in self.candidates.get(h, [])]

    def publishable(self, text_hash: str) -> list[StoredCandidate]:
        """The candidates that may be published for a chunk text: the current generation's when it
        succeeded, else those published under earlier settings."""
        if self.generations.get(text_hash, ("",))[0] == "ok":
            return self.candidates.get(text_hash, [])
        return self.carried.get(text_hash, [])

    def all_publishable(self) -> list[StoredCandidate]:
        """Every publishable candidate of the live chunks, oldest generation first (the older pair wins
        a duplicate): carried ones, then the current generations in their order."""
        current = [c for h in self.candidates if h in self.chunk_of and self.generations.get(h, ("",))[0] == "ok" for c in self.candidates[h]]
        return [c for cands in self.carried.values() for c in cands] + current


def publish(state: RunState, chunks: list[tuple[StoredChunk, str]], gen_sig: str) -> int:
    """Derive the dataset from the store and write it as this run's set; returns the run's exit code."""
    stored = load(state, chunks, gen_sig)
    regrade(state, stored)
    decisions = reviews.apply(state, stored)  # a person's decisions over the checker's, in memory (pipeline/reviews.py)
    duplicate_of = decisions.undup(deduplicate(state, stored))
    dataset = write(state, chunks, stored, duplicate_of, decisions)
    return exit_code(state, stored, dataset)


def load(state: RunState, chunks: list[tuple[StoredChunk, str]], gen_sig: str) -> Stored:
    store = state.store
    assert store is not None
    chunk_of: dict[str, StoredChunk] = {}
    for chunk, text_hash in chunks:
        chunk_of.setdefault(text_hash, chunk)
    generations = store.generation_rows(gen_sig)
    uncovered = {h for h in chunk_of if generations.get(h, ("",))[0] != "ok"}
    return Stored(
        chunk_of=chunk_of,
        generations=generations,
        candidates=store.candidates(gen_sig),
        verdicts=store.verdicts(state.grounding_config.signature()),
        titles=store.titles(),
        carried=store.published_candidates(gen_sig, uncovered) if uncovered else {},
    )


def regrade(state: RunState, stored: Stored) -> None:
    """Check what has no verdict under the current grounding settings (no generation)."""
    missing = [c for h in stored.chunk_of for c in (*stored.candidates.get(h, []), *stored.carried.get(h, [])) if c.pair_id not in stored.verdicts]
    if not missing:
        return
    config = state.grounding_config
    teacher = state.spec.load() if any(check.needs_teacher for check in config.enabled()) else None
    checker = GroundingChecker(config, teacher=teacher)
    fresh = {}
    for c in missing:
        chunk = stored.chunk_of[c.text_hash]
        title = title_for_check(c.teacher_id, c.target, Store.subject(stored.titles, chunk.source_id), chunk.text)
        fresh[c.pair_id] = checker.check(chunk.text, c.question, c.answer, c.quotes, target=c.target, title=title)
    assert state.store is not None
    state.store.save_verdicts(config.signature(), fresh)
    stored.verdicts.update((pair_id, (v.grounded, v.model_dump_json())) for pair_id, v in fresh.items())
    state.counts["pairs"]["regraded"] = len(fresh)


def deduplicate(state: RunState, stored: Stored) -> dict[str, str]:
    """Pair id -> the older pair it repeats. In age order (candidates come oldest first), so that the
    older pair always wins; signatures are kept in the store, so each pair is hashed once."""
    assert state.store is not None
    deduper = Deduper(threshold=state.cfg.dedup.threshold)
    grounded = [c for c in stored.all_publishable() if stored.verdicts[c.pair_id][0]]
    # The same grounded pairs in the same order with the same settings find the same duplicates: an unchanged
    # night reads them back instead of rebuilding the index (half of such a night's CPU at 3,000 documents).
    key = short_hash("dedup", deduper.scheme, state.cfg.dedup.threshold, *(c.pair_id for c in grounded))
    if (kept := state.store.dedup_outcome(key)) is not None:
        return kept
    signatures = state.store.dedup_signatures(deduper.scheme)
    missing = [c for c in grounded if c.pair_id not in signatures]
    if missing:
        fresh = dict(zip((c.pair_id for c in missing), deduper.signatures([(c.question, c.answer) for c in missing])))
        state.store.save_dedup_signatures(deduper.scheme, fresh)
        signatures.update(fresh)
    duplicate_of = {}
    for cand in grounded:
        original = deduper.add(cand.pair_id, signatures[cand.pair_id])
        if original is not None:
            duplicate_of[cand.pair_id] = original
    state.store.save_dedup_outcome(key, duplicate_of)
    return duplicate_of


def collect(
    state: RunState, stored: Stored, duplicate_of: dict[str, str], text_hashes: Iterable[str], dataset: Dataset, pages: PageCache
) -> tuple[list[Pair], list[Rejection]]:
    """The rows of these chunk texts (one shard's, in dataset order): published pairs with their provenance, and
    the rejected ones (failed replies, failed checks, duplicates) with their reasons; counted in `dataset`."""
    published: list[Pair] = []
    rejected: list[Rejection] = []
    for text_hash in text_hashes:
        chunk = stored.chunk_of[text_hash]
        status, error, raw_reply = stored.generations.get(text_hash, (None, None, None))
        if status is not None and status != "ok":
            dataset.reasons[status] += 1
            rejected.append(Rejection(chunk_id=chunk.chunk_id, source_id=chunk.source_id, reasons=[status], raw_reply=raw_reply, error=error))
        carried = status != "ok"
        for index, cand in enumerate(stored.publishable(text_hash)):
            verdict = Verdict.model_validate_json(stored.verdicts[cand.pair_id][1])
            if not verdict.grounded:
                dataset.reasons.update(r.split(":", 1)[0] for r in verdict.reasons)
                rejected.append(rejection(cand, chunk, verdict.reasons))
                continue
            original = duplicate_of.get(cand.pair_id)
            if original is not None:
                dataset.reasons["duplicate"] += 1
                dataset.duplicates += 1
                rejected.append(rejection(cand, chunk, ["duplicate"], duplicate_of=original))
                continue
            published.append(to_pair(cand, chunk, verdict, pages(chunk.source_id)))
            dataset.order[cand.pair_id] = dataset.rank[text_hash] * PAIRS_A_CHUNK + index  # the chunk's place, then the pair's
            dataset.carried += carried
    dataset.published += len(published)
    dataset.rejected += len(rejected)
    return published, rejected


class PageCache:
    """A source's page spans from the store, kept for the source being written (sources come one after another)."""

    def __init__(self, store: Store):
        self.store = store
        self.source: str | None = None
        self.spans: list[PageSpan] = []

    def __call__(self, source_id: str) -> list[PageSpan]:
        if source_id != self.source:
            self.source, self.spans = source_id, self.store.page_spans(source_id)
        return self.spans


def publishing_sources(stored: Stored, duplicate_of: dict[str, str]) -> list[str]:
    """The sources with at least one pair to publish, in dataset order: the documents the split is drawn from."""
    return list(dict.fromkeys(
        chunk.source_id for h, chunk in stored.chunk_of.items()
        for c in stored.publishable(h) if stored.verdicts[c.pair_id][0] and c.pair_id not in duplicate_of
    ))


def write(state: RunState, chunks: list[tuple[StoredChunk, str]], stored: Stored, duplicate_of: dict[str, str], decisions: reviews.Applied) -> Dataset:
    """The set's files in this run's staging folder (publish.OutputSet), shard by shard, each whole; the set is
    shown when the run finishes. Sharded from `SHARD_FROM_DOCUMENTS` documents, keeping the shown set's shard
    count while it fits; every file whose bytes the shown set already holds is linked from it, not written.
    One shard's pairs are in memory at a time; across shards only counters and pair ids are kept."""
    assert state.output is not None and state.store is not None
    out = state.cfg.output
    folder = state.output.stage()
    names = list(dict.fromkeys(out.formats))
    split_of_source = document_splits(publishing_sources(stored, duplicate_of), out.validation_share)  # by document
    shown = state.output.shown_manifest().get("files") or {}
    layout = Layout(shard_count(len({chunk.source_id for chunk, _ in chunks}), (shown.get("shards") or {}).get("count"), out.documents_per_shard))
    texts: dict[int, list[str]] = {}
    for text_hash, chunk in stored.chunk_of.items():  # ids only: each shard's chunk texts, in dataset order
        texts.setdefault(shard_of(chunk.source_id, layout.count), []).append(text_hash)
    every: dict[int, list[StoredChunk]] = {}
    hash_of: dict[str, str] = {}
    for chunk, text_hash in chunks:  # for coverage: every live chunk, repeats of a text included
        every.setdefault(shard_of(chunk.source_id, layout.count), []).append(chunk)
        hash_of[chunk.chunk_id] = text_hash
    facts = FactCache(state.store, stored.titles)
    if not layout.sharded:
        texts.setdefault(0, [])
    writer = SetWriter(folder, state.output.previous())
    style = dict(system_prompt=out.system_prompt, include_context=out.include_context, turns=out.turns, answer_style=out.answer_style, titles=stored.titles)
    dataset, report, pages = Dataset(rank={h: i for i, h in enumerate(stored.chunk_of)}), Tally(), PageCache(state.store)
    per_source: dict[str, tuple[int, int]] = {}
    splits: Counter = Counter()
    documents: dict[str, str] = {}
    written: set[tuple[str, str | None]] = set()
    for shard in sorted(texts):
        published, rejected = decisions.mark(*collect(state, stored, duplicate_of, texts[shard], dataset, pages))
        published = [p.model_copy(update={"split": split_of_source[p.source_id]}) for p in published]
        written |= write_shard(writer, layout, shard, published, rejected, names, **style)
        per_source.update(coverage(every.get(shard, []), published, stored.titles, lambda c: facts.get(c, hash_of[c.chunk_id])))
        for pair in published:
            report.add_pair(pair)
            splits[pair.split] += 1
            documents[pair.source_id] = pair.split
        for row in rejected:
            report.add_rejection(row)
    write_empty(writer, layout, written, names)
    facts.save()
    state.coverage = totals(per_source)
    writer.put("report.md", report.render(state.corpus.name, per_source).encode("utf-8"))
    write_training_files(state, writer, splits, Counter(documents.values()), report.per_source, layout)
    writer.close()
    state.files = {"shards": layout.describe(out.documents_per_shard), **writer.figures()}
    pairs = state.counts["pairs"]
    pairs["duplicates"] += dataset.duplicates
    pairs["grounded"] = dataset.published + pairs["duplicates"]
    pairs["rejected"] = dataset.rejected - pairs["duplicates"]
    pairs["published"] = dataset.published
    pairs["carried"] = dataset.carried
    state.reasons = dataset.reasons
    state.counts["pairs"]["retired"] = len(state.store.published_ids() - dataset.order.keys())
    state.published = PublishedSet(dataset.order)
    state.output.complete()  # shown, and recorded in the store, when the run finishes
    return dataset


def write_training_files(state: RunState, writer: SetWriter, splits: Counter, documents: Counter, per_source: Counter, layout: Layout) -> None:
    """The dataset card (README.md) and the trainer configs, naming the files written."""
    out = state.cfg.output
    names = list(dict.fromkeys(out.formats))
    splits = Counter({split: n for split, n in splits.items() if n})
    card = dataset_card(
        name=state.corpus.name, names=names, splits=dict(splits),
        manifest_like={"signatures": state.signatures, "strategy": state.settings.strategy, "teacher_id": state.spec.label},
        license=out.license, language=out.language, per_source=dict(per_source),
        validation_share=out.validation_share, turns=out.turns, answer_style=out.answer_style, documents=dict(documents), layout=layout,
    )
    writer.put("README.md", card.encode("utf-8"))
    if out.trainer_configs:
        info = llama_factory_info(state.corpus.name, names, dict(splits), out.system_prompt, layout)
        writer.put("dataset_info.json", (json.dumps(info, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        writer.put("axolotl.yaml", axolotl_snippet(names, dict(splits), layout).encode("utf-8"))


def exit_code(state: RunState, stored: Stored, dataset: Dataset) -> int:
    """0 when all went well; 3 when sources failed or too many pairs (or, fact-first, facts) were
    rejected; 1 when nothing is published."""
    pairs = state.counts["pairs"]
    checked, failed, what = pairs["grounded"] + pairs["rejected"], pairs["rejected"], "pairs were rejected"
    outcome = state.strategy.outcome(stored.live_candidates(), lambda c: stored.verdicts[c.pair_id][0])
    if outcome is not None:
        checked, failed, what = outcome
    reject_rate = failed / checked if checked else 0.0
    limit = state.cfg.grounding.max_reject_rate
    if reject_rate > limit:
        state.fail("", "ground", "reject_rate", f"{reject_rate:.0%} of {what}, over [grounding] max_reject_rate = {limit:.0%}")
    if not dataset.published:
        return EXIT_NOTHING
    return EXIT_PARTIAL if state.failures else EXIT_OK


def rejection(cand: StoredCandidate, chunk: StoredChunk, reasons: list[str], duplicate_of: str | None = None) -> Rejection:
    return Rejection(
        pair_id=cand.pair_id, chunk_id=chunk.chunk_id, source_id=chunk.source_id, question=normalize(cand.question),
        answer=normalize(cand.answer), quotes=[normalize(q) for q in cand.quotes], reasons=reasons, duplicate_of=duplicate_of,
    )


def to_pair(cand: StoredCandidate, chunk: StoredChunk, verdict: Verdict, page_spans: list[PageSpan]) -> Pair:
    """The published record, with the aligned quotes' span as document offsets and pages."""
    spans = [(q.start, q.end) for q in verdict.quotes if q.start is not None and q.end is not None]
    char_start = char_end = None
    pages = chunk.pages
    if spans:
        char_start = chunk.char_start + min(s for s, _ in spans)
        char_end = chunk.char_start + max(e for _, e in spans)
        on = [p.page for p in page_spans if p.start < char_end and p.end > char_start]
        pages = on or pages
    return Pair(
        pair_id=cand.pair_id, question=normalize(cand.question), answer=normalize(cand.answer), quotes=[normalize(q) for q in cand.quotes],
        source_id=chunk.source_id, chunk_id=chunk.chunk_id, pages=pages, char_start=char_start, char_end=char_end,
        context=chunk.text, teacher_id=cand.teacher_id, score=verdict.score, support=verdict.support, judge=verdict.judge,
    )
