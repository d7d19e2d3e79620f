"""The run's last stages: from the store to a published set.

The published set is derived from the store on every run: the live chunks (those of sources present and
readable) -> their generations -> verdicts under the current grounding signature (`regrade`: missing
ones are computed, no teacher call for the lexical checks) -> `deduplicate` in age order -> `collect` the
dataset's rows -> `write` the set (training files, report, card, trainer configs). Retiring the pairs of
removed or changed sources, re-grading and resuming after a crash all follow from this one rule.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from generation import EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL
from generation.dedup import Deduper
from generation.grounding import GroundingChecker
from generation.outputs.card import axolotl_snippet, dataset_card, llama_factory_info
from generation.outputs.coverage import coverage, totals
from generation.outputs.files import SetWriter
from generation.outputs.report import render_report
from generation.outputs.shards import Layout, shard_count
from generation.outputs.training import VALIDATION, assign_splits, write_outputs
from generation.records import Pair, Rejection, Verdict
from ingest.normalize import normalize
from ingest.records import PageSpan

from . import reviews
from .state import RunState
from .store import Store, StoredCandidate, StoredChunk


@dataclass
class Dataset:
    """What a run publishes, before it is written: pairs in dataset order, and every rejection."""

    published: list[Pair] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    duplicates: int = 0
    carried: int = 0  # published pairs kept from earlier settings, for chunks the current ones have not covered


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
    dataset = decisions.mark(collect(state, stored, duplicate_of))
    write(state, chunks, stored, dataset)
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
        fresh[c.pair_id] = checker.check(chunk.text, c.question, c.answer, c.quotes, target=c.target, title=Store.subject(stored.titles, chunk.source_id))
    assert state.store is not None
    state.store.save_verdicts(config.signature(), fresh)
    stored.verdicts.update((pair_id, (v.grounded, v.model_dump_json())) for pair_id, v in fresh.items())
    state.counts["pairs"]["regraded"] = len(fresh)


def deduplicate(state: RunState, stored: Stored) -> dict[str, str]:
    """Pair id -> the older pair it repeats. In age order (candidates come oldest first), so that the
    older pair always wins; signatures are kept in the store, so each pair is hashed once."""
    assert state.store is not None
    deduper = Deduper(threshold=state.cfg.dedup.threshold)
    signatures = state.store.dedup_signatures(deduper.scheme)
    grounded = [c for c in stored.all_publishable() if stored.verdicts[c.pair_id][0]]
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
    return duplicate_of


def collect(state: RunState, stored: Stored, duplicate_of: dict[str, str]) -> Dataset:
    """The dataset in source and document order: published pairs with their provenance, and the
    rejected ones (failed replies, failed checks, duplicates) with their reasons."""
    assert state.store is not None
    dataset = Dataset()
    pages_cache: dict[str, list[PageSpan]] = {}
    for text_hash, chunk in stored.chunk_of.items():
        status, error, raw_reply = stored.generations.get(text_hash, (None, None, None))
        if status is not None and status != "ok":
            dataset.reasons[status] += 1
            dataset.rejected.append(Rejection(chunk_id=chunk.chunk_id, source_id=chunk.source_id, reasons=[status], raw_reply=raw_reply, error=error))
        carried = status != "ok"
        for cand in stored.publishable(text_hash):
            verdict = Verdict.model_validate_json(stored.verdicts[cand.pair_id][1])
            if not verdict.grounded:
                dataset.reasons.update(r.split(":", 1)[0] for r in verdict.reasons)
                dataset.rejected.append(rejection(cand, chunk, verdict.reasons))
                continue
            original = duplicate_of.get(cand.pair_id)
            if original is not None:
                dataset.reasons["duplicate"] += 1
                dataset.duplicates += 1
                dataset.rejected.append(rejection(cand, chunk, ["duplicate"], duplicate_of=original))
                continue
            if chunk.source_id not in pages_cache:
                pages_cache[chunk.source_id] = state.store.page_spans(chunk.source_id)
            dataset.published.append(to_pair(cand, chunk, verdict, pages_cache[chunk.source_id]))
            dataset.carried += carried
    pairs = state.counts["pairs"]
    pairs["duplicates"] += dataset.duplicates
    pairs["grounded"] = len(dataset.published) + pairs["duplicates"]
    pairs["rejected"] = len(dataset.rejected) - pairs["duplicates"]
    pairs["published"] = len(dataset.published)
    pairs["carried"] = dataset.carried
    state.reasons = dataset.reasons
    return dataset


def write(state: RunState, chunks: list[tuple[StoredChunk, str]], stored: Stored, dataset: Dataset) -> None:
    """The set's files in this run's staging folder (publish.OutputSet), each whole; the set is shown
    when the run finishes. Sharded from `SHARD_FROM_DOCUMENTS` documents, keeping the shown set's shard count
    while it fits; every file whose bytes the shown set already holds is linked from it, not written."""
    assert state.output is not None and state.store is not None
    out = state.cfg.output
    folder = state.output.stage()
    published = assign_splits(dataset.published, out.validation_share)  # each pair's split, by its document
    shown = state.output.shown_manifest().get("files") or {}
    documents = len({chunk.source_id for chunk, _ in chunks})
    layout = Layout(shard_count(documents, (shown.get("shards") or {}).get("count"), out.documents_per_shard))
    writer = SetWriter(folder, state.output.previous())
    written = write_outputs(
        folder, published, dataset.rejected, out.formats, system_prompt=out.system_prompt, include_context=out.include_context,
        turns=out.turns, answer_style=out.answer_style, titles=stored.titles, layout=layout, writer=writer,
    )
    per_source = coverage((c for c, _ in chunks), published, stored.titles)
    state.coverage = totals(per_source)
    writer.put("report.md", render_report(state.corpus.name, published, dataset.rejected, per_source).encode("utf-8"))
    write_training_files(state, writer, published, written, layout)
    writer.close()
    state.files = {"shards": layout.describe(out.documents_per_shard), **writer.figures()}
    state.counts["pairs"]["retired"] = len(state.store.published_ids() - {p.pair_id for p in published})
    state.published = published
    state.output.complete()  # shown, and recorded in the store, when the run finishes


def write_training_files(state: RunState, writer: SetWriter, published: list[Pair], written: dict[str, Path], layout: Layout) -> None:
    """The dataset card (README.md) and the trainer configs, naming only the files written."""
    out = state.cfg.output
    splits = Counter(p.split for p in published)
    documents = Counter(split for split in {p.source_id: p.split for p in published}.values())
    names = [f for f in dict.fromkeys(out.formats) if f in written]
    if not splits.get(VALIDATION):
        splits.pop(VALIDATION, None)
    card = dataset_card(
        name=state.corpus.name, names=names, splits=dict(splits),
        manifest_like={"signatures": state.signatures, "strategy": state.settings.strategy, "teacher_id": state.spec.label},
        license=out.license, language=out.language, per_source=dict(Counter(p.source_id for p in published)),
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
