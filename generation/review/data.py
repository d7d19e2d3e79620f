"""What the review page shows, read from the store as the last run left it: the live documents and their
chunks under the last run's signatures, every pair with the checker's verdict, whether it is published
now, its split and the duplicate it repeats, each document's coverage, and the report's figures.

Read only, and never a stage: the page computes nothing a run would (no extraction, no teacher). It is
loaded again when a run has finished since (Snapshot.run_id)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from generation.config import Corpus
from generation.outputs.coverage import coverage
from generation.outputs.shards import files_of
from generation.outputs.report import report_figures
from generation.outputs.training import document_splits
from generation.pipeline.reviews import last_signatures
from generation.pipeline.scan import web_sources
from generation.pipeline.store import Store, StoredChunk
from generation.records import Pair, Rejection, Verdict
from ingest.sources import is_url

logger = logging.getLogger(__name__)


@dataclass
class PairRow:
    """One pair as the last run saw it: the teacher's text, the checker's verdict, what was published."""

    pair_id: str
    source_id: str
    chunk_ord: int  # the chunk's place in its document
    question: str
    answer: str
    quotes: list[str]
    target: str | None  # fact-first: the span the question asks for
    spans: list[tuple[int, int]]  # where the quotes aligned, chunk-relative
    grounded: bool | None  # the checker's verdict; None: not checked under the last run's settings
    reasons: list[str]
    score: float | None
    published: bool  # in the published set now
    duplicate_of: str | None
    split: str


@dataclass
class ChunkRow:
    ord: int
    chunk: StoredChunk
    failed: str | None = None  # the teacher's reply could not be read as pairs ('invalid_reply')
    pairs: list[PairRow] = field(default_factory=list)


@dataclass
class DocumentRow:
    source_id: str
    title: str
    split: str
    text_sha256: str | None = None
    chunks: list[ChunkRow] = field(default_factory=list)
    facts: int = 0
    covered: int = 0

    @property
    def pairs(self) -> list[PairRow]:
        return [p for c in self.chunks for p in c.pairs]


@dataclass
class Snapshot:
    run_id: int | None = None  # the last finished run; None: no run yet
    documents: dict[str, DocumentRow] = field(default_factory=dict)  # in dataset order
    pairs: dict[str, PairRow] = field(default_factory=dict)  # in dataset order
    figures: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # the report's, of the published set


def last_finished_run(store: Store) -> int | None:
    row = store.db.execute("SELECT MAX(run_id) FROM runs WHERE finished_at IS NOT NULL").fetchone()
    return row[0] if row else None


def load_snapshot(corpus: Corpus, store: Store) -> Snapshot:
    run_id = last_finished_run(store)
    sigs = last_signatures(store)
    if run_id is None or sigs is None:
        return Snapshot()
    limit = corpus.config.sources.retire_failed_after
    sources = store.sources()
    live = [  # as a run keeps them: readable ones, and failing web pages in their grace runs
        s for s, row in sources.items() if row.status == "ok" or (is_url(s) and row.text_sha256 and row.failed_runs < limit)
    ]
    rank = {url: i for i, url in enumerate(web_sources(corpus))}
    order = sorted((s for s in live if s not in rank), key=str) + sorted((s for s in live if s in rank), key=rank.__getitem__)
    chunks = store.chunks(order, sigs["chunking"])
    generations = store.generation_rows(sigs["generation"])
    candidates = store.candidates(sigs["generation"])
    verdicts = store.verdicts(sigs["grounding"])
    published_records = [Pair.model_validate_json(r) for r in store.published_records()]
    published_ids = {p.pair_id for p in published_records}
    split = {p.source_id: p.split for p in published_records}
    share = corpus.config.output.validation_share
    titles = store.titles()
    rejected = [r for path in files_of(corpus.out_dir, "rejected") for r in read_rejected(path)]
    duplicate_of = {r.pair_id: r.duplicate_of for r in rejected if r.pair_id and r.duplicate_of}

    rule = document_splits(order, share)  # for the documents with no published pair yet
    snap = Snapshot(run_id=run_id)
    seen: set[str] = set()
    for chunk, text_hash in chunks:
        doc = snap.documents.get(chunk.source_id)
        if doc is None:
            doc_split = split.get(chunk.source_id) or rule[chunk.source_id]
            doc = snap.documents[chunk.source_id] = DocumentRow(
                chunk.source_id, titles.get(chunk.source_id) or chunk.source_id, doc_split, sources[chunk.source_id].text_sha256
            )
        row = ChunkRow(len(doc.chunks), chunk)
        doc.chunks.append(row)
        if text_hash in seen:  # identical text in another chunk: its pairs are the first one's
            continue
        seen.add(text_hash)
        status = generations.get(text_hash, (None,))[0]
        if status is None:
            continue
        if status != "ok":
            row.failed = status
            continue
        for cand in candidates.get(text_hash, []):
            grounded, reasons, score, spans = None, [], None, []
            if cand.pair_id in verdicts:
                verdict = Verdict.model_validate_json(verdicts[cand.pair_id][1])
                grounded, reasons, score = verdict.grounded, verdict.reasons, verdict.score
                spans = [(q.start, q.end) for q in verdict.quotes if q.start is not None and q.end is not None]
            pair = PairRow(
                pair_id=cand.pair_id, source_id=chunk.source_id, chunk_ord=row.ord, question=cand.question, answer=cand.answer,
                quotes=cand.quotes, target=cand.target, spans=spans, grounded=grounded, reasons=reasons, score=score,
                published=cand.pair_id in published_ids, duplicate_of=duplicate_of.get(cand.pair_id), split=doc.split,
            )
            row.pairs.append(pair)
            snap.pairs[pair.pair_id] = pair
    for source_id, (facts, covered) in coverage((c for c, _ in chunks), published_records, titles).items():
        if source_id in snap.documents:
            snap.documents[source_id].facts, snap.documents[source_id].covered = facts, covered
    snap.figures = report_figures(published_records, rejected)
    return snap


def read_rejected(path: Path) -> list[Rejection]:
    """The published set's rejected.jsonl (the duplicates and the reasons of the last run); lines this version
    cannot read are skipped with a warning, so that the page opens whatever wrote them."""
    out: list[Rejection] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            out.append(Rejection.model_validate(json.loads(line)))
        except ValueError as exc:
            logger.warning("%s: a line that is not a rejection is skipped (%s)", path, exc)
    return out


def highlighted(text: str, pairs: list[PairRow]) -> list[tuple[str, tuple[str, ...]]]:
    """The chunk's text cut where the pairs' quotes start and end: (piece, ids of the pairs quoting it)."""
    cuts = {0, len(text)}
    for p in pairs:
        for start, end in p.spans:
            cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    bounds = sorted(cuts)
    pieces = []
    for start, end in zip(bounds, bounds[1:]):
        ids = tuple(p.pair_id for p in pairs if any(s < end and e > start for s, e in p.spans))
        pieces.append((text[start:end], ids))
    return pieces


def reason_codes(pairs: list[PairRow]) -> Counter:
    """Why pairs were not published by the checker, by reason code (what the page's reason filter offers)."""
    codes: Counter = Counter()
    for p in pairs:
        codes.update(r.split(":", 1)[0] for r in p.reasons)
        if p.duplicate_of:
            codes["duplicate"] += 1
    return codes
