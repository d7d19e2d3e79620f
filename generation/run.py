"""The run orchestrator: sources -> chunks -> generation -> grounding -> dedup -> publish, incremental.

Every stage reads and writes the corpus store, so a second run over an unchanged corpus makes no
teacher call, a changed document costs only its changed chunks, and a killed run resumes.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from generation import EXIT_INTERRUPTED, EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL
from generation.config import ConfigError, Corpus
from generation.formats import write_text_atomic
from generation.fact_first import generate_fact_pairs
from generation.generate import GenerationResult, GenerationSettings, generate_pairs, load_prompt
from generation.records import Candidate, Pair, Rejection, Verdict
from generation.publish import OutputSet
from generation.store import RunLock, Store, StoredCandidate, StoredChunk, now_iso, open_store, store_problem
from generation.teachers.base import Teacher, TeacherError
from ingest.chunking import Chunker
from generation.errors import RetirementRefused, RunError  # noqa: F401 -- re-exported: callers import them from here
from generation.scan import SourceScan
from ingest.records import PageSpan
from ingest.sources import is_url, redact

logger = logging.getLogger(__name__)

@dataclass
class Progress:
    """What the CLI's progress bar shows; the run's `on_progress` gets it after every generated chunk."""

    total: int = 0
    done: int = 0
    pairs: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)


ProgressCallback = Callable[[Progress], None]


@dataclass
class RunOutcome:
    exit_code: int
    manifest: dict[str, Any]
    manifest_path: Path | None = None


# -- teachers ---------------------------------------------------------------------------------------
class TeacherSpec:
    """Which teacher a corpus asks for. `identity` (what the generation signature hashes) is known
    without loading the model, so an unchanged corpus never loads it."""

    def __init__(self, corpus: Corpus, teacher: Teacher | None = None):
        self.corpus = corpus
        self.config = corpus.config.teacher
        self._teacher = teacher
        self._owned = teacher is None  # a teacher passed in belongs to the caller, who closes it
        self._identity: str | None = None
        self.last_server_teacher: Callable[[], str | None] | None = None  # set by the run: asks the store
        self._unreachable: TeacherError | None = None

    @property
    def is_embedded(self) -> bool:
        """The embedded default teacher: no model file, no server, no teacher passed in."""
        return self._teacher is None and not self.config.model and not self.config.urls

    @property
    def identity(self) -> str:
        if self._identity is None:
            if self._teacher is not None:
                self._identity = self._teacher.teacher_id
            elif self.config.urls and self.config.server_model:
                from generation.teachers.http import server_teacher_id

                self._identity = server_teacher_id(self.config.server_model)  # known without asking the server
            elif self.config.urls:
                try:
                    self._identity = self.load().teacher_id
                except TeacherError as exc:
                    # Down at the start of a night with nothing new to generate: the stored work is found
                    # under the server model that generated last, and the run goes on without it.
                    last = self.last_server_teacher() if self.last_server_teacher and exc.kind == "unreachable" else None
                    if last is None:
                        raise
                    logger.warning("%s; going on as %s, the teacher of the last run, for what is already stored", redact(str(exc)), last)
                    self._identity = last
                    self._unreachable = exc
            else:
                from generation.teachers.llama import check_gguf, default_model_path, file_sha256

                path = self.corpus.model_path() or default_model_path()
                check_gguf(path)
                self._identity = f"gguf:{file_sha256(path, self.corpus.state_dir)}"
        return self._identity

    @property
    def label(self) -> str:
        """The teacher as a reader of the dataset card knows it: the model file's name, or the server's model."""
        if self._teacher is not None or self.config.urls:
            return self._teacher.teacher_id if self._teacher is not None else self.identity
        from generation.teachers.llama import default_model_path

        path = self.corpus.model_path() or default_model_path()
        return f"{path.name} ({self.identity[:17]}…)"

    def load(self) -> Teacher:
        if self._unreachable is not None:  # found down once this run: there is work for it now
            error, self._unreachable = self._unreachable, None
            raise error
        if self._teacher is None:
            if self.config.urls:
                from generation.teachers.http import HttpTeacher

                self._teacher = HttpTeacher(
                    self.config.urls,
                    api_key_env=self.config.api_key_env,
                    model=self.config.server_model,
                    slots=self.config.slots,
                    timeout=self.config.timeout,
                    retries=self.config.retries,
                    n_ctx=self.config.n_ctx,
                )
            else:
                from generation.teachers.llama import LlamaCppTeacher

                self._teacher = LlamaCppTeacher(
                    self.corpus.model_path(),
                    n_ctx=self.config.n_ctx,
                    n_threads=self.config.n_threads,
                    n_gpu_layers=self.config.n_gpu_layers,
                    seed=self.config.seed,
                )
        return self._teacher

    def close(self) -> None:
        if self._owned and self._teacher is not None:
            self._teacher.close()
            self._teacher = None


# -- the run ----------------------------------------------------------------------------------------
class Run(SourceScan):
    def __init__(
        self,
        corpus: Corpus,
        *,
        teacher: Teacher | None = None,
        limit_chunks: int | None = None,
        on_progress: ProgressCallback | None = None,
        allow_retire: bool = False,
        retry_invalid: bool = False,
        jobs: int | None = None,
        on_scan: Callable[..., None] | None = None,
    ):
        self.corpus = corpus
        self.jobs = jobs  # extraction worker processes; None: [sources] jobs, or one per core
        self.on_scan = on_scan
        self.allow_retire = allow_retire
        self.retry_invalid = retry_invalid
        self.cfg = corpus.config
        self.spec = TeacherSpec(corpus, teacher)
        self.limit_chunks = limit_chunks
        self.on_progress = on_progress
        try:
            self.chunker = Chunker(self.cfg.chunking.tokens, self.cfg.chunking.overlap, self.cfg.chunking.encoding)
            load_prompt(self.cfg.generation.prompt)
        except ValueError as exc:  # an unknown encoding or prompt name
            raise ConfigError(f"{corpus.config_path or corpus.root}: {exc}") from None
        strategy = self.cfg.generation.strategy
        if strategy == "auto":  # a tiny teacher cannot write whole pairs, but can ask about a given fact
            strategy = "fact_first" if self.spec.is_embedded else "free_form"
        self.settings = GenerationSettings(
            pairs_per_chunk=self.cfg.generation.pairs_per_chunk,
            max_tokens=self.cfg.teacher.max_tokens,
            temperature=self.cfg.teacher.temperature,
            seed=self.cfg.teacher.seed,
            prompt=self.cfg.generation.prompt,
            strategy=strategy,
            facts_per_chunk=self.cfg.generation.facts_per_chunk,
            candidates_per_fact=self.cfg.generation.candidates_per_fact,
        )
        self.grounding_config = self.cfg.grounding.checker_config()
        self.failures: list[dict[str, str]] = []
        self.reasons: Counter = Counter()  # rejections by reason, in the published dataset
        self.counts: dict[str, Counter] = {k: Counter() for k in ("sources", "chunks", "pairs", "teacher")}
        self.started_at = now_iso()
        self.store: Store | None = None
        self.run_id = 0
        self.signatures: dict[str, str] = {"chunking": self.chunker.signature}
        self.coverage: dict[str, float | int] = {}
        self.output: OutputSet | None = None
        self.published: list[Pair] = []  # the set publish() wrote; the store records it once it is shown
        self.interrupted = False

    # The whole pipeline.
    def run(self) -> RunOutcome:
        with self._session() as outcome:
            live = self.scan_sources()
            chunks = self.store.chunks(self.dataset_order(live), self.chunker.signature)
            self.counts["chunks"]["total"] = len(chunks)
            gen_sig = self.generation_signature()
            self.generate(chunks, gen_sig)
            outcome.exit_code = self.publish(chunks, gen_sig)
        return outcome

    def regrade(self) -> RunOutcome:
        """Re-apply the current grounding (and dedup) settings to stored pairs; no generation."""
        with self._session() as outcome:
            limit = self.cfg.sources.retire_failed_after
            live = [  # the sources the last run kept: readable ones, and failing web pages in their grace runs
                s for s, row in self.store.sources().items()
                if row.status == "ok" or (is_url(s) and row.text_sha256 and row.failed_runs < limit)
            ]
            chunks = self.store.chunks(self.dataset_order(live), self.chunker.signature)
            gen_sig = self.generation_signature()
            if self.store.published_ids() and (not chunks or not self.store.generated(gen_sig)):
                raise RunError(
                    "the chunking or generation settings changed since the last run, so there is nothing stored "
                    "to re-grade under them: run 'groundqa run' instead"
                )
            self.counts["chunks"]["total"] = len(chunks)
            outcome.exit_code = self.publish(chunks, gen_sig)
        return outcome

    @contextmanager
    def _session(self) -> Iterator[RunOutcome]:
        """One run of the corpus: the outputs checked writable, the lock held, the store open, the last
        run's leftovers swept, and at the end, also of a run that failed or was interrupted, a set
        published with a manifest of what this run did and what out/ now holds."""
        out_dir = self.corpus.out_dir
        outcome = RunOutcome(EXIT_NOTHING, {}, out_dir / "manifest.json")
        with RunLock(self.corpus.state_dir / "run.lock"):
            check_writable(out_dir)  # under the lock: the sweep of another run cannot take the probe away
            self.store = open_store(self.corpus.state_dir / "state.sqlite", self.corpus.config_path or self.corpus.root)
            try:
                self.run_id = self.store.start_run()
                self.spec.last_server_teacher = self.store.last_server_teacher
                self.output = OutputSet(out_dir, self.run_id)
                self.output.sweep()
                try:
                    yield outcome
                except BaseException as exc:
                    error = self.failed(exc, outcome)
                    self.finish(outcome, failed=True)
                    if error is exc:
                        raise
                    raise error from exc
                self.finish(outcome, failed=False)
            except (sqlite3.Error, OSError) as exc:  # the store or out/ failed before the run began
                raise self.storage_error(exc) from exc
            finally:
                self.spec.close()
                self.store.close()

    def failed(self, exc: BaseException, outcome: RunOutcome) -> BaseException:
        """Record why the run stopped; returns the error to raise (a storage fault as a message)."""
        if self.output is not None:
            self.output.is_complete = False  # the new set is published only by a run that ends well
        if isinstance(exc, KeyboardInterrupt):
            self.interrupted = True
            outcome.exit_code = EXIT_INTERRUPTED
            message = (
                f"stopped by an interrupt; the {self.counts['chunks']['generated']} chunks generated before it are kept in "
                "the store and the published files are unchanged: run again to go on"
            )
            self.failures.append({"source": "", "stage": "run", "kind": "interrupted", "message": message})
            return exc
        if isinstance(exc, (sqlite3.Error, OSError)):
            exc = self.storage_error(exc)
        kind = getattr(exc, "kind", type(exc).__name__)
        self.failures.append({"source": "", "stage": "run", "kind": kind, "message": str(exc)})
        return exc

    def storage_error(self, exc: BaseException) -> BaseException:
        """A store or disk fault as a message that says what happened and what to do."""
        where = Path(getattr(exc, "filename", None) or "/")
        if isinstance(exc, sqlite3.Error) or self.corpus.state_dir in where.parents:
            return store_problem(exc, self.corpus.state_dir / "state.sqlite", self.corpus.config_path or self.corpus.root)
        if self.corpus.out_dir in (where, *where.parents) or getattr(exc, "errno", None) == errno.ENOSPC:
            return output_problem(exc, self.corpus.out_dir)
        return RunError(f"the run stopped on an operating-system error: {exc}")

    def finish(self, outcome: RunOutcome, *, failed: bool) -> None:
        """Publish this run's set with its manifest (the shown data files again, if it did not get as far
        as writing its own), then record the run. A set that cannot be written leaves out/ as it was."""
        assert self.store is not None and self.output is not None
        pairs = self.counts["pairs"]
        if not self.output.is_complete:
            pairs["published"] = self.output.shown_pairs()  # what out/ holds, not what this run would have
            pairs["retired"] = 0
            shown = self.output.shown_manifest().get("signatures")
            if shown:  # the signatures the shown files were made under
                self.signatures = dict(shown)
        outcome.manifest = self.manifest(outcome.exit_code)
        problem: BaseException | None = None
        stopped: BaseException | None = None
        try:
            self.output.commit(json.dumps(outcome.manifest, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            if not self.output.shown_now:
                problem = output_problem(exc, self.corpus.out_dir)
                logger.error("%s", problem)
                self.failures.append({"source": "", "stage": "publish", "kind": "output", "message": str(problem)})
                pairs["published"], pairs["retired"] = self.output.shown_pairs(), 0
                outcome.exit_code = outcome.exit_code if failed else EXIT_NOTHING
                outcome.manifest = self.manifest(outcome.exit_code)
        except BaseException as exc:  # an interrupt while publishing: the store must still learn what is shown
            stopped = exc
        try:
            if self.output.shown_now and self.output.is_complete:
                self.store.set_published(self.published, self.run_id)
            self.store.finish_run(self.run_id, outcome.exit_code, outcome.manifest)
        except sqlite3.Error as exc:
            error = store_problem(exc, self.store.path, self.corpus.config_path or self.corpus.root)
            logger.error("%s", error)
            if problem is None and self.output.shown_now:
                problem = type(error)(f"{error} (the outputs themselves were published: {self.corpus.out_dir} shows this run's set)")
        if stopped is not None:
            raise stopped
        if problem is not None and not failed:
            raise problem

    def dataset_order(self, source_ids: list[str]) -> list[str]:
        """Files by path, then web pages in the order the config lists them: the order of every output."""
        urls = list(self.web_sources())
        rank = {url: i for i, url in enumerate(urls)}
        return sorted((s for s in source_ids if s not in rank), key=str) + sorted(
            (s for s in source_ids if s in rank), key=rank.__getitem__
        )

    def generation_signature(self) -> str:
        sig = self.settings.signature(self.spec.identity)
        self.signatures["generation"] = sig
        self.signatures["grounding"] = self.grounding_config.signature()
        return sig

    # -- generation and grounding -----------------------------------------------------------------
    def generate(self, chunks: list[tuple[StoredChunk, str]], gen_sig: str) -> None:
        assert self.store is not None
        after = 0 if self.retry_invalid else self.cfg.generation.retry_invalid_after
        done = self.store.generated(gen_sig, retry_failed_up_to_run=self.run_id - max(after, 1))
        todo: dict[str, StoredChunk] = {}
        for chunk, text_hash in chunks:
            if text_hash in done or text_hash in todo:
                self.counts["chunks"]["reused"] += 1
            else:
                todo[text_hash] = chunk
        items = list(todo.items())
        if self.limit_chunks is not None:
            items = items[: self.limit_chunks]
        self.counts["chunks"]["generated"] = 0
        if not items:
            return
        teacher = self.spec.load()
        titles = self.store.titles()
        self.check_budget(teacher, [chunk for _, chunk in items], titles)
        from generation.grounding import GroundingChecker

        checker = GroundingChecker(self.grounding_config, teacher=teacher)
        grounding_sig = self.grounding_config.signature()
        progress = Progress(total=len(items))

        def work(text_hash: str, chunk: StoredChunk) -> tuple[str, StoredChunk, GenerationResult, dict[str, tuple[str, Verdict]]]:
            verdicts: dict[str, tuple[str, Verdict]] = {}
            title = titles.get(chunk.source_id, chunk.source_id)

            def accept(c: Candidate) -> bool:
                verdicts[c.pair_id] = (grounding_sig, checker.check(chunk.text, c.question, c.answer, c.quotes, target=c.target, title=title))
                return verdicts[c.pair_id][1].grounded

            if self.settings.strategy == "fact_first":
                result = generate_fact_pairs(teacher, chunk.text, key=text_hash, gen_sig=gen_sig, settings=self.settings, title=title, accept=accept)
            else:
                result = generate_pairs(teacher, chunk.text, key=text_hash, gen_sig=gen_sig, settings=self.settings, title=title)
            for c in result.candidates:
                if c.pair_id not in verdicts:
                    accept(c)
            return text_hash, chunk, result, verdicts

        from generation.workers import run_each

        run_each(
            work, items, workers=max(1, teacher.slots), cancel=teacher.cancel,
            on_result=lambda done: self.save_chunk(*done, gen_sig=gen_sig, progress=progress),
        )

    def save_chunk(self, text_hash: str, chunk: StoredChunk, result: GenerationResult, verdicts: dict, *, gen_sig: str, progress: Progress) -> None:
        assert self.store is not None
        teacher = self.counts["teacher"]
        teacher["calls"] += result.calls
        teacher["prompt_tokens"] += result.usage.prompt_tokens
        teacher["cached_tokens"] += result.usage.cached_tokens
        teacher["completion_tokens"] += result.usage.completion_tokens
        teacher["seconds"] += result.seconds
        if result.status == "teacher_error":
            self.failures.append({"source": chunk.source_id, "stage": "generate", "kind": "teacher_error", "message": result.error or ""})
        else:
            self.store.save_generation(
                text_hash, gen_sig, status=result.status, candidates=result.candidates, raw_reply=result.raw_reply,
                error=result.error, teacher_id=self.spec.identity, prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens, seconds=result.seconds, run_id=self.run_id, verdicts=verdicts,
            )
            self.counts["chunks"]["generated"] += 1
            self.counts["pairs"]["generated"] += len(result.candidates)
        progress.done += 1
        progress.pairs += len(result.candidates)
        progress.completion_tokens += result.usage.completion_tokens
        if self.on_progress:
            self.on_progress(progress)

    def check_budget(self, teacher: Teacher, chunks: list[StoredChunk], titles: dict[str, str]) -> None:
        """The largest prompt (as it will be sent) plus the reply's bound must fit the teacher's context."""
        largest = max(chunks, key=lambda c: c.token_count)
        title = titles.get(largest.source_id, largest.source_id)
        if self.settings.strategy == "fact_first":
            from generation import fact_first
            from generation.text.facts import clause_of, select_facts

            # The prompt that varies is the fact's clause and span with the source's title: the longest
            # in UTF-8 bytes (a fair stand-in for tokens, in any script) is the one measured.
            facts = [(f, c.source_id) for c in chunks for f in select_facts(c.text, titles.get(c.source_id, c.source_id), None)]
            if not facts:
                return
            fact, source_id = max(facts, key=lambda x: len(f"{clause_of(x[0])}{x[0].span}{titles.get(x[1], x[1])}".encode()))
            prompt = fact_first.build_messages(fact_first.load_fact_prompt(self.settings.fact_prompt), fact, titles.get(source_id, source_id))
            reply, setting = fact_first.QUESTION_MAX_TOKENS, "the question's bound"
        else:
            from generation.generate import build_messages

            prompt = build_messages(load_prompt(self.settings.prompt), largest.text, title, self.settings.pairs_per_chunk)
            reply, setting = self.settings.max_tokens, "[teacher] max_tokens"
        needed = teacher.count_tokens(prompt) + reply
        if needed > teacher.n_ctx:
            raise RunError(
                f"the largest prompt ({needed - reply} tokens) plus {setting} ({reply}) is {needed} tokens, more than the "
                f"teacher's context n_ctx = {teacher.n_ctx}: raise [teacher] n_ctx, or lower [chunking] tokens or [teacher] max_tokens"
            )

    # -- publish ----------------------------------------------------------------------------------
    def publish(self, chunks: list[tuple[StoredChunk, str]], gen_sig: str) -> int:
        from generation.dedup import Deduper
        from generation.formats import write_outputs
        from generation.grounding import GroundingChecker
        from generation.report import render_report

        assert self.store is not None
        grounding_sig = self.grounding_config.signature()
        generations = self.store.generation_rows(gen_sig)
        candidates = self.store.candidates(gen_sig)
        verdicts = self.store.verdicts(grounding_sig)

        # Regrade what has no verdict under the current grounding settings (no generation).
        chunk_of: dict[str, StoredChunk] = {}
        for chunk, text_hash in chunks:
            chunk_of.setdefault(text_hash, chunk)
        titles = self.store.titles()
        missing = [c for h in chunk_of for c in candidates.get(h, []) if c.pair_id not in verdicts]
        if missing:
            teacher = self.spec.load() if self.grounding_config.judge or self.grounding_config.teacher_roundtrip else None
            checker = GroundingChecker(self.grounding_config, teacher=teacher)
            fresh = {
                c.pair_id: checker.check(
                    chunk_of[c.text_hash].text, c.question, c.answer, c.quotes, target=c.target,
                    title=titles.get(chunk_of[c.text_hash].source_id),
                )
                for c in missing
            }
            self.store.save_verdicts(grounding_sig, fresh)
            verdicts.update((pair_id, (v.grounded, v.model_dump_json())) for pair_id, v in fresh.items())
            self.counts["pairs"]["regraded"] = len(fresh)

        # Dedup in age order (candidates come oldest first), so that the older pair always wins.
        deduper = Deduper(threshold=self.cfg.dedup.threshold)
        signatures = self.store.dedup_signatures(deduper.scheme)
        grounded = [
            c for h in candidates if h in chunk_of and generations.get(h, ("",))[0] == "ok"
            for c in candidates[h] if verdicts[c.pair_id][0]
        ]
        missing_sigs = [c for c in grounded if c.pair_id not in signatures]
        if missing_sigs:
            fresh_sigs = dict(zip((c.pair_id for c in missing_sigs), deduper.signatures([(c.question, c.answer) for c in missing_sigs])))
            self.store.save_dedup_signatures(deduper.scheme, fresh_sigs)
            signatures.update(fresh_sigs)
        duplicate_of = {}
        for cand in grounded:
            original = deduper.add(cand.pair_id, signatures[cand.pair_id])
            if original is not None:
                duplicate_of[cand.pair_id] = original
        del deduper, signatures, grounded  # free them before the dataset is built: the run's peak memory

        published: list[Pair] = []
        rejected: list[Rejection] = []
        reasons: Counter = Counter()
        pages_cache: dict[str, list[PageSpan]] = {}
        for text_hash, chunk in chunk_of.items():  # the dataset in source and document order
            status, error, raw_reply = generations.get(text_hash, (None, None, None))
            if status is None:
                continue
            if status != "ok":
                reasons[status] += 1
                rejected.append(Rejection(chunk_id=chunk.chunk_id, source_id=chunk.source_id, reasons=[status], raw_reply=raw_reply, error=error))
                continue
            for cand in candidates.get(text_hash, []):
                verdict = Verdict.model_validate_json(verdicts[cand.pair_id][1])
                if not verdict.grounded:
                    reasons.update(r.split(":", 1)[0] for r in verdict.reasons)
                    rejected.append(rejection(cand, chunk, verdict.reasons))
                    continue
                original = duplicate_of.get(cand.pair_id)
                if original is not None:
                    reasons["duplicate"] += 1
                    self.counts["pairs"]["duplicates"] += 1
                    rejected.append(rejection(cand, chunk, ["duplicate"], duplicate_of=original))
                    continue
                if chunk.source_id not in pages_cache:
                    pages_cache[chunk.source_id] = self.store.page_spans(chunk.source_id)
                published.append(to_pair(cand, chunk, verdict, pages_cache[chunk.source_id]))

        pairs = self.counts["pairs"]
        pairs["grounded"] = len(published) + pairs["duplicates"]
        pairs["rejected"] = len(rejected) - pairs["duplicates"]
        pairs["published"] = len(published)
        self.reasons = reasons
        out = self.cfg.output
        assert self.output is not None
        folder = self.output.stage()
        from generation.training import assign_splits

        published = assign_splits(published, out.validation_share)  # each pair's split, by its document
        written = write_outputs(
            folder, published, rejected, out.formats, system_prompt=out.system_prompt, include_context=out.include_context,
            turns=out.turns, answer_style=out.answer_style, titles=titles,
        )
        from generation.coverage import coverage, totals

        per_source = coverage((c for c, _ in chunks), published, titles)
        self.coverage = totals(per_source)
        write_text_atomic(folder / "report.md", render_report(self.corpus.name, published, rejected, per_source))
        self.write_training_files(folder, published, written)
        pairs["retired"] = len(self.store.published_ids() - {p.pair_id for p in published})
        self.published = published
        self.output.complete()  # shown, and recorded in the store, by finish()

        checked, failed, what = pairs["grounded"] + pairs["rejected"], pairs["rejected"], "pairs were rejected"
        if self.settings.strategy == "fact_first":
            from generation.fact_first import facts_asked

            live = [c for h in chunk_of if generations.get(h, ("",))[0] == "ok" for c in candidates.get(h, [])]
            checked, failed = facts_asked(live, lambda c: verdicts[c.pair_id][0])
            what = "facts got no grounded question"
        reject_rate = failed / checked if checked else 0.0
        if reject_rate > self.cfg.grounding.max_reject_rate:
            self.failures.append({
                "source": "", "stage": "ground", "kind": "reject_rate",
                "message": f"{reject_rate:.0%} of {what}, over [grounding] max_reject_rate = {self.cfg.grounding.max_reject_rate:.0%}",
            })
        if not published:
            return EXIT_NOTHING
        return EXIT_PARTIAL if self.failures else EXIT_OK

    def write_training_files(self, folder: Path, published: list[Pair], written: dict[str, Path]) -> None:
        """The dataset card (README.md) and the trainer configs, naming only the files written."""
        from collections import Counter

        from generation.training import VALIDATION, axolotl_snippet, dataset_card, llama_factory_info

        out = self.cfg.output
        splits = Counter(p.split for p in published)
        documents = Counter(split for split in {p.source_id: p.split for p in published}.values())
        formats = [f for f in dict.fromkeys(out.formats) if f in written]
        if not splits.get(VALIDATION):
            splits.pop(VALIDATION, None)
        card = dataset_card(
            name=self.corpus.name, formats=formats, splits=dict(splits),
            manifest_like={"signatures": self.signatures, "strategy": self.settings.strategy, "teacher_id": self.spec.label},
            license=out.license, language=out.language, per_source=dict(Counter(p.source_id for p in published)),
            validation_share=out.validation_share, turns=out.turns, answer_style=out.answer_style, documents=dict(documents),
        )
        write_text_atomic(folder / "README.md", card)
        if out.trainer_configs:
            info = llama_factory_info(self.corpus.name, formats, dict(splits), out.system_prompt)
            write_text_atomic(folder / "dataset_info.json", json.dumps(info, indent=2, ensure_ascii=False) + "\n")
            write_text_atomic(folder / "axolotl.yaml", axolotl_snippet(formats, dict(splits)))

    # -- manifest ---------------------------------------------------------------------------------
    def manifest(self, exit_code: int) -> dict[str, Any]:
        sources = self.counts["sources"]
        chunks = self.counts["chunks"]
        pairs = self.counts["pairs"]
        teacher = self.counts["teacher"]
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": now_iso(),
            "exit_code": exit_code,
            "signatures": {k: self.signatures.get(k) for k in ("chunking", "generation", "grounding")},
            "sources": {k: sources[k] for k in ("seen", "added", "changed", "unchanged", "removed", "failed")},
            "chunks": {k: chunks[k] for k in ("total", "generated", "reused")},
            "pairs": {k: pairs[k] for k in ("generated", "grounded", "rejected", "duplicates", "published", "retired")},
            "rejections": dict(sorted(self.reasons.items())),
            "coverage": self.coverage or {"facts": 0, "covered": 0, "share": 0.0},
            "strategy": self.settings.strategy,
            "teacher": {
                "calls": teacher["calls"],
                "prompt_tokens": teacher["prompt_tokens"],
                "cached_prompt_tokens": teacher["cached_tokens"],  # of prompt_tokens: reused, not evaluated again
                "completion_tokens": teacher["completion_tokens"],
                "seconds": round(float(teacher["seconds"]), 3),
            },
            "failures": self.failures,
            "skipped": getattr(self, "skipped", []),
            "interrupted": self.interrupted,
        }


def rejection(cand: StoredCandidate, chunk: StoredChunk, reasons: list[str], duplicate_of: str | None = None) -> Rejection:
    return Rejection(
        pair_id=cand.pair_id, chunk_id=chunk.chunk_id, source_id=chunk.source_id, question=cand.question,
        answer=cand.answer, quotes=cand.quotes, reasons=reasons, duplicate_of=duplicate_of,
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
        pair_id=cand.pair_id, question=cand.question, answer=cand.answer, quotes=cand.quotes,
        source_id=chunk.source_id, chunk_id=chunk.chunk_id, pages=pages, char_start=char_start, char_end=char_end,
        context=chunk.text, teacher_id=cand.teacher_id, score=verdict.score, support=verdict.support, judge=verdict.judge,
    )


def check_writable(out_dir: Path) -> None:
    """Fail before any teacher call when the outputs could not be written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink(missing_ok=True)
    except OSError as exc:
        raise RunError(f"cannot write to the output folder {out_dir}: {exc.strerror or exc}; set [output] dir to a writable folder") from exc


def output_problem(exc: BaseException, out_dir: Path) -> RunError:
    """An error writing the outputs as a message: the published set is the previous one, whole."""
    what = getattr(exc, "strerror", None) or str(exc)
    where = getattr(exc, "filename", None) or out_dir
    if getattr(exc, "errno", None) == errno.ENOSPC:
        fix = "free some space and run again"
    elif getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "make it writable by this user, or set [output] dir to a folder that is"
    else:
        fix = "fix that and run again"
    return RunError(
        f"cannot write the outputs ({what}: {where}): the published files in {out_dir} are the previous run's, whole and "
        f"unchanged, and the work finished so far is kept in the store; {fix}"
    )
