"""The run: a session (the lock, the store, the manifest, one published set even when it fails) around
the stages in order — scan (sources -> chunks), generate (chunks -> candidates and verdicts), and the
assemble stages (store -> published set) — each a module of this package that takes the run's state.

Every stage reads and writes the corpus store, so a second run over an unchanged corpus makes no
teacher call, a changed document costs only its changed chunks, and a killed run resumes.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from generation import EXIT_INTERRUPTED, EXIT_NOTHING
from generation.config import ConfigError, Corpus
from generation.errors import RetirementRefused, RunError
from generation.outputs.publish import OutputFolderTaken, OutputSet, claim
from generation.strategies import AUTO, GenerationSettings, strategy_for
from generation.teachers.base import Teacher
from generation.teachers.factory import TeacherSpec
from ingest.chunking import Chunker

from . import assemble
from .generate import generate
from .scan import scan_sources, web_sources
from .state import Progress, ProgressCallback, RunOptions, RunState
from .lock import RunLock
from .store import now_iso, open_store, store_problem

__all__ = ["Progress", "RetirementRefused", "Run", "RunError", "RunOutcome"]  # the CLI and tests import them from here

logger = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    exit_code: int
    manifest: dict[str, Any]
    manifest_path: Path | None = None


# "auto" runs free-form only for a teacher of at least this many parameters: users of the tools we are
# compared with report free-form pair writing failing with 0.5-1.5B models (loops, invented facts, invalid
# JSON), and the embedded 135M model writes no usable pair at all; from 3B up instruct models write
# whole grounded pairs. Below it, fact-first: code picks the facts, the teacher asks one question each.
FREE_FORM_MIN_PARAMS = 3_000_000_000
# Below this, a fact-first teacher is asked only for dates, times and people (fact_first.NOT_FOR_A_SMALL_TEACHER).
SMALL_TEACHER_PARAMS = 1_000_000_000


def choose_strategy(name: str, spec: TeacherSpec, ask_server: bool = False) -> tuple[str, str]:
    """The strategy to run for [generation] strategy = `name`, and why (the run's output says it)."""
    if name != AUTO:
        return name, f"[generation] strategy = {name!r}"
    params = spec.parameters(ask_server=ask_server)
    if params is not None:
        size = f"{params / 1e9:.1f}B" if params >= 1e9 else f"{params / 1e6:.0f}M"
        if params < FREE_FORM_MIN_PARAMS:
            return "fact_first", f"auto: the teacher has {size} parameters, fewer than {FREE_FORM_MIN_PARAMS / 1e9:.0f}B, so code picks the facts and it writes the questions"
        return "free_form", f"auto: the teacher has {size} parameters, so it writes whole pairs"
    if spec.is_embedded:
        return "fact_first", "auto: the embedded teacher is small, so code picks the facts and it writes the questions"
    return "free_form", "auto: the teacher's size is not known (no size in its GGUF header, or the server does not say), so it writes whole pairs"


def is_small(spec: TeacherSpec, ask_server: bool = False) -> bool:
    """The embedded teacher, or one whose size is known to be under SMALL_TEACHER_PARAMS."""
    if spec.is_embedded:
        return True
    params = spec.parameters(ask_server=ask_server)
    return params is not None and params < SMALL_TEACHER_PARAMS


class Run:
    """One run of a corpus: `run()` the whole pipeline, or `regrade()` the stored pairs."""

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
        verify: bool = False,
    ):
        cfg = corpus.config
        spec = TeacherSpec(corpus, teacher)
        name, why = choose_strategy(cfg.generation.strategy, spec)
        settings = GenerationSettings(
            pairs_per_chunk=cfg.generation.pairs_per_chunk,
            max_tokens=cfg.teacher.max_tokens,
            temperature=cfg.teacher.temperature,
            seed=cfg.teacher.seed,
            prompt=cfg.generation.prompt,
            strategy=name,
            facts_per_chunk=cfg.generation.facts_per_chunk,
            candidates_per_fact=cfg.generation.candidates_per_fact,
            small_teacher=is_small(spec),
        )
        try:
            chunker = Chunker(cfg.chunking.tokens, cfg.chunking.overlap, cfg.chunking.encoding)
            strategy = strategy_for(settings)
            strategy.check()
            strategy_for(GenerationSettings(prompt=cfg.generation.prompt)).check()  # a bad prompt name is named even when unused
        except ValueError as exc:  # an unknown encoding or prompt name
            raise ConfigError(f"{corpus.config_path or corpus.root}: {exc}") from None
        options = RunOptions(
            limit_chunks=limit_chunks, allow_retire=allow_retire, retry_invalid=retry_invalid, jobs=jobs,
            on_progress=on_progress, on_scan=on_scan, verify=verify,
        )
        self.state = RunState(
            corpus=corpus, options=options, spec=spec, chunker=chunker, settings=settings, strategy=strategy,
            grounding_config=cfg.grounding.checker_config(), strategy_reason=why, signatures={"chunking": chunker.signature},
        )
        self.corpus = corpus

    @property
    def settings(self) -> GenerationSettings:
        return self.state.settings

    # The whole pipeline.
    def run(self) -> RunOutcome:
        state = self.state
        with self._session() as outcome:
            live = scan_sources(state)
            chunks = state.store.chunks(self.dataset_order(live), state.chunker.signature)
            state.counts["chunks"]["total"] = len(chunks)
            gen_sig = self.generation_signature()
            generate(state, chunks, gen_sig)
            outcome.exit_code = assemble.publish(state, chunks, gen_sig)
        return outcome

    def regrade(self) -> RunOutcome:
        """Re-apply the current grounding (and dedup) settings to stored pairs; no generation."""
        state = self.state
        with self._session() as outcome:
            store = state.store
            # The sources the last run kept: those with chunks (readable ones, web pages failing within their
            # grace runs, and failing sources whose retirement the guard refused).
            live = [s for s in store.sources() if store.has_chunks(s, state.chunker.signature)]
            chunks = store.chunks(self.dataset_order(live), state.chunker.signature)
            gen_sig = self.generation_signature()
            if store.published_ids() and (not chunks or not store.generated(gen_sig)):
                raise RunError(
                    "the chunking or generation settings changed since the last run, so there is nothing stored "
                    "to re-grade under them: run 'groundqa run' instead"
                )
            state.counts["chunks"]["total"] = len(chunks)
            outcome.exit_code = assemble.publish(state, chunks, gen_sig)
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
            try:
                claim(out_dir, str(self.corpus.config_path or self.corpus.root))
            except OutputFolderTaken as exc:
                raise ConfigError(f"{self.corpus.config_path or self.corpus.root}: [output] dir: {exc}") from None
            self.state.store = open_store(self.corpus.state_dir / "state.sqlite", self.corpus.config_path or self.corpus.root)
            try:
                self.state.run_id = self.state.store.start_run()
                self.state.spec.last_server_teacher = self.state.store.last_server_teacher
                self.state.output = OutputSet(out_dir, self.state.run_id)
                self.state.output.sweep()
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
                self.state.spec.close()
                self.state.store.close()

    def failed(self, exc: BaseException, outcome: RunOutcome) -> BaseException:
        """Record why the run stopped; returns the error to raise (a storage fault as a message)."""
        if self.state.output is not None:
            self.state.output.is_complete = False  # the new set is published only by a run that ends well
        if isinstance(exc, KeyboardInterrupt):
            self.state.interrupted = True
            outcome.exit_code = EXIT_INTERRUPTED
            message = (
                f"stopped by an interrupt; the {self.state.counts['chunks']['generated']} chunks generated before it are kept in "
                "the store and the published files are unchanged: run again to go on"
            )
            self.state.fail("", "run", "interrupted", message)
            return exc
        if isinstance(exc, (sqlite3.Error, OSError)):
            exc = self.storage_error(exc)
        kind = getattr(exc, "kind", type(exc).__name__)
        self.state.fail("", "run", kind, str(exc))
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
        assert self.state.store is not None and self.state.output is not None
        pairs = self.state.counts["pairs"]
        if not self.state.output.is_complete:
            pairs["published"] = self.state.output.shown_pairs()  # what out/ holds, not what this run would have
            pairs["retired"] = 0
            shown_manifest = self.state.output.shown_manifest()
            shown = shown_manifest.get("signatures")
            if shown:  # the signatures the shown files were made under
                self.state.signatures = dict(shown)
            shards = (shown_manifest.get("files") or {}).get("shards")  # the shown files, linked again: nothing written
            self.state.files = {"shards": shards, "files_written": 0, "bytes_written": 0} if shards else {}
        outcome.manifest = self.manifest(outcome.exit_code)
        problem: BaseException | None = None
        stopped: BaseException | None = None
        try:
            self.state.output.commit(json.dumps(outcome.manifest, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            if not self.state.output.shown_now:
                problem = output_problem(exc, self.corpus.out_dir)
                logger.error("%s", problem)
                self.state.fail("", "publish", "output", str(problem))
                pairs["published"], pairs["retired"] = self.state.output.shown_pairs(), 0
                outcome.exit_code = outcome.exit_code if failed else EXIT_NOTHING
                outcome.manifest = self.manifest(outcome.exit_code)
        except BaseException as exc:  # an interrupt while publishing: the store must still learn what is shown
            stopped = exc
        try:
            if self.state.output.shown_now and self.state.output.is_complete:
                self.state.store.set_published(self.state.published.records(self.state.output.shown()), self.state.run_id)
            self.state.store.finish_run(self.state.run_id, outcome.exit_code, outcome.manifest)
        except sqlite3.Error as exc:
            error = store_problem(exc, self.state.store.path, self.corpus.config_path or self.corpus.root)
            logger.error("%s", error)
            if problem is None and self.state.output.shown_now:
                problem = type(error)(f"{error} (the outputs themselves were published: {self.corpus.out_dir} shows this run's set)")
        if stopped is not None:
            raise stopped
        if problem is not None and not failed:
            raise problem

    def dataset_order(self, source_ids: list[str]) -> list[str]:
        """Files by path, then web pages in the order the config lists them: the order of every output."""
        urls = list(web_sources(self.corpus))
        rank = {url: i for i, url in enumerate(urls)}
        return sorted((s for s in source_ids if s not in rank), key=str) + sorted(
            (s for s in source_ids if s in rank), key=rank.__getitem__
        )

    def generation_signature(self) -> str:
        state = self.state
        if self.corpus.config.generation.strategy == AUTO and self.corpus.config.teacher.urls:
            # A server's size is known once it is asked: asked now, as its identity is for the signature.
            name, why = choose_strategy(AUTO, state.spec, ask_server=True)
            small = is_small(state.spec, ask_server=True)
            if (name, small) != (state.settings.strategy, state.settings.small_teacher):
                state.settings.strategy, state.settings.small_teacher = name, small
                state.strategy = strategy_for(state.settings)
            state.strategy_reason = why
        sig = state.strategy.signature(state.spec.identity)
        state.signatures["generation"] = sig
        state.signatures["grounding"] = state.grounding_config.signature()
        return sig

    # -- manifest ---------------------------------------------------------------------------------
    def manifest(self, exit_code: int) -> dict[str, Any]:
        state = self.state
        sources = state.counts["sources"]
        chunks = state.counts["chunks"]
        pairs = state.counts["pairs"]
        teacher = state.counts["teacher"]
        return {
            "run_id": state.run_id,
            "started_at": state.started_at,
            "finished_at": now_iso(),
            "exit_code": exit_code,
            "signatures": {k: state.signatures.get(k) for k in ("chunking", "generation", "grounding")},
            "sources": {k: sources[k] for k in ("seen", "added", "changed", "unchanged", "removed", "failed")},
            "scan": state.scan or {"bytes_read": 0, "read": 0, "trusted": 0, "verified": False},
            "chunks": {k: chunks[k] for k in ("total", "generated", "reused")},
            "pairs": {k: pairs[k] for k in ("generated", "grounded", "rejected", "duplicates", "published", "carried", "retired")},
            "rejections": dict(sorted(state.reasons.items())),
            "coverage": state.coverage or {"facts": 0, "covered": 0, "share": 0.0},
            "strategy": state.settings.strategy,
            "strategy_reason": state.strategy_reason,
            "teacher": {
                "calls": teacher["calls"],
                "prompt_tokens": teacher["prompt_tokens"],
                "cached_prompt_tokens": teacher["cached_tokens"],  # of prompt_tokens: reused, not evaluated again
                "completion_tokens": teacher["completion_tokens"],
                "seconds": round(float(teacher["seconds"]), 3),
                "threads": state.spec.thread_report(),  # the in-process teacher's threads and why; None when not loaded
            },
            "files": state.files,
            "failures": state.failures,
            "skipped": state.skipped,
            "interrupted": state.interrupted,
        }


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
