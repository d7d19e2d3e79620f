"""The run's generation stage: every live chunk that has no generation under the current signature is
given to the strategy, as many at once as the teacher has slots; each chunk's candidates are checked as
they come (a fact-first strategy tries again until one passes) and committed with their verdicts, so a
run killed at any moment loses only the chunks in flight."""

from __future__ import annotations

from generation.errors import RunError
from generation.grounding import GroundingChecker
from generation.records import Candidate, Verdict
from generation.strategies import GenerationResult, title_for_check
from generation.teachers.base import Teacher

from .state import Progress, RunState
from .store import Store, StoredChunk
from .workers import run_each


def generate(state: RunState, chunks: list[tuple[StoredChunk, str]], gen_sig: str) -> None:
    """Generate the chunks that need it (at most --limit-chunks new ones)."""
    store = state.store
    assert store is not None
    after = 0 if state.options.retry_invalid else state.cfg.generation.retry_invalid_after
    done = store.generated(gen_sig, retry_failed_up_to_run=state.run_id - max(after, 1))
    todo: dict[str, StoredChunk] = {}
    for chunk, text_hash in chunks:
        if text_hash in done or text_hash in todo:
            state.counts["chunks"]["reused"] += 1
        else:
            todo[text_hash] = chunk
    items = list(todo.items())
    if state.options.limit_chunks is not None:
        items = items[: state.options.limit_chunks]
    state.counts["chunks"]["generated"] = 0
    if not items:
        return
    teacher = state.spec.load()
    titles = store.titles()
    check_budget(state, teacher, [chunk for _, chunk in items], titles)
    checker = GroundingChecker(state.grounding_config, teacher=teacher)
    grounding_sig = state.grounding_config.signature()
    progress = Progress(total=len(items))

    def work(text_hash: str, chunk: StoredChunk) -> tuple[str, StoredChunk, GenerationResult, dict[str, tuple[str, Verdict]]]:
        verdicts: dict[str, tuple[str, Verdict]] = {}
        title = Store.subject(titles, chunk.source_id)

        def accept(c: Candidate) -> bool:
            verdicts[c.pair_id] = (grounding_sig, checker.check(chunk.text, c.question, c.answer, c.quotes, target=c.target, title=title_for_check(c.teacher_id, c.target, title, chunk.text)))
            return verdicts[c.pair_id][1].grounded

        result = state.strategy.generate(teacher, chunk.text, key=text_hash, gen_sig=gen_sig, title=title, accept=accept)
        for c in result.candidates:
            if c.pair_id not in verdicts:
                accept(c)
        return text_hash, chunk, result, verdicts

    run_each(
        work, items, workers=max(1, teacher.slots), cancel=teacher.cancel,
        on_result=lambda finished: save_chunk(state, *finished, gen_sig=gen_sig, progress=progress),
    )


def save_chunk(
    state: RunState, text_hash: str, chunk: StoredChunk, result: GenerationResult, verdicts: dict, *, gen_sig: str, progress: Progress
) -> None:
    """Commit one chunk's generation and verdicts (a teacher error is not stored: the chunk is asked again
    next run) and count it."""
    assert state.store is not None
    teacher = state.counts["teacher"]
    teacher["calls"] += result.calls
    teacher["prompt_tokens"] += result.usage.prompt_tokens
    teacher["cached_tokens"] += result.usage.cached_tokens
    teacher["completion_tokens"] += result.usage.completion_tokens
    teacher["seconds"] += result.seconds
    if result.status == "teacher_error":
        state.fail(chunk.source_id, "generate", "teacher_error", result.error or "")
    else:
        state.store.save_generation(
            text_hash, gen_sig, status=result.status, candidates=result.candidates, raw_reply=result.raw_reply,
            error=result.error, teacher_id=state.spec.identity, prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens, seconds=result.seconds, run_id=state.run_id, verdicts=verdicts,
        )
        state.counts["chunks"]["generated"] += 1
        state.counts["pairs"]["generated"] += len(result.candidates)
    progress.done += 1
    progress.pairs += len(result.candidates)
    progress.completion_tokens += result.usage.completion_tokens
    if state.options.on_progress:
        state.options.on_progress(progress)


def check_budget(state: RunState, teacher: Teacher, chunks: list[StoredChunk], titles: dict[str, str | None]) -> None:
    """The largest prompt (as it will be sent) plus the reply's bound must fit the teacher's context."""
    largest = state.strategy.largest_prompt([(c.text, Store.subject(titles, c.source_id), c.token_count) for c in chunks])
    if largest is None:
        return
    reply, setting = largest.reply_tokens, largest.setting
    needed = teacher.count_tokens(largest.messages) + reply
    if needed > teacher.n_ctx:
        raise RunError(
            f"the largest prompt ({needed - reply} tokens) plus {setting} ({reply}) is {needed} tokens, more than the "
            f"teacher's context n_ctx = {teacher.n_ctx}: raise [teacher] n_ctx, or lower [chunking] tokens or [teacher] max_tokens"
        )
