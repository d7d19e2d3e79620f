"""fact_first: code picks the chunk's facts (generation/text/facts.py), the teacher
writes one question per fact under a grammar, and the fact sentence is the pair's answer and quote.

This is answer-aware question generation, the task small teachers do well: the embedded
SmolLM2-135M writes usable questions for about half of the facts it is given, where it writes no
usable free-form pair at all.

The published answer is the fact sentence itself (markup stripped). It is grounded by
construction, it states the answer in full with its context ("The track gauge is 597
millimetres, chosen by the engineer Margaret Owain ..."), and it never depends on a small
teacher's wording. The span the question asks for is stored with the pair (`target`), so the
checker can tell a question that gives its own answer away.

Prompt layout for reuse: the fixed few-shot conversation comes first and is the same for every call
of the run, so llama.cpp evaluates it once; each call adds only the fact (about 60 tokens).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from string import Template
from typing import Callable, Iterable, Sequence

from generation import prompts
from generation.teachers.grammar import question_gbnf
from generation.records import Candidate
from generation.teachers.base import Message, Teacher, TeacherError
from generation.text.facts import FACTS_VERSION, MAX_FACTS_PER_CHUNK, Fact, clause_of, select_facts
from ingest.normalize import normalize
from ingest.records import short_hash

from .base import WRITTEN_BY_CODE, Accept, GenerationResult, GenerationSettings, LargestPrompt, Strategy

PROMPT = "fact_first_v1"
# A question is one line of at most MAX_QUESTION_CHARS characters; 48 tokens hold it with room.
MAX_QUESTION_CHARS = 150
QUESTION_MAX_TOKENS = 48
# The first question for a fact is greedy; the next ones sample at this temperature (or the
# [teacher] temperature, whichever is higher) with another seed. On the example corpus a second
# candidate raised the facts with a published pair from 27 of 52 to 33 of 52; a third added 2.
RETRY_TEMPERATURE = 0.5
# The kinds of questions code writes that ask for a span of the sentence (the checks of fact-first questions
# apply), the others asking for the sentence.
TARGETED = frozenset(("date", "person", "count"))
# Facts whose question a small teacher (GenerationSettings.small_teacher: under 1B parameters, or the
# embedded one) is not asked to write: a count or a share needs "How many" with the counted noun after it
# and the sentence's verb around it, which the embedded teacher got right 2 times in 12 on real documents
# nobody here wrote (bench/realdocs, both held-out sets: "How many through entries are ...?", "How many
# include Python distributions ...?"). Code still writes the counts of plain sentences.
NOT_FOR_A_SMALL_TEACHER = frozenset(("count", "percent"))


@dataclass(frozen=True)
class FactPrompt:
    version: str
    system: str
    examples: tuple[tuple[str, str], ...]  # (user, assistant)
    user: Template

    @property
    def signature(self) -> str:
        return short_hash(self.version, self.system, *(x for pair in self.examples for x in pair), self.user.template)


@lru_cache(maxsize=4)
def load_fact_prompt(version: str = PROMPT) -> FactPrompt:
    """generation/prompts/<version>.txt: the system text, then examples ("user\\n===\\nassistant"), then
    the user template, separated by lines of "---"."""
    parts = [p.strip() for p in prompts.load(version).split("\n---\n")]
    examples = []
    for part in parts[1:-1]:
        user, _, assistant = part.partition("\n===\n")
        examples.append((user.strip(), assistant.strip()))
    return FactPrompt(version=version, system=parts[0], examples=tuple(examples), user=Template(parts[-1]))


def build_messages(prompt: FactPrompt, fact: Fact, topic: str) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": prompt.system}]
    for user, assistant in prompt.examples:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    content = prompt.user.safe_substitute(topic=" ".join(topic.split()), fact=clause_of(fact), answer=fact.span)
    messages.append({"role": "user", "content": content})
    return messages


def read_question(text: str) -> str:
    """The question of a reply: its first line, with anything after the first "?" dropped (a server
    that ignored the grammar may go on talking)."""
    line = text.strip().split("\n", 1)[0].strip()
    if "?" in line:
        line = line[: line.index("?") + 1]
    return line.strip().strip('"“”').strip()


def generate_fact_pairs(
    teacher: Teacher,
    chunk_text: str,
    *,
    key: str,
    gen_sig: str,
    settings: GenerationSettings,
    title: str = "a document",
    accept: Accept | None = None,
) -> GenerationResult:
    """One question per fact of the chunk, up to `settings.candidates_per_fact` tries a fact: a fact
    stops at its first candidate that `accept` (the grounding checker) takes. Every candidate is kept,
    so the rejected ones are reported with their reasons.

    Which candidates exist thus depends on the checks of the run that generated them, yet the
    generation signature leaves the grounding signature out, on purpose: a change of the checks
    re-grades the stored candidates (no teacher call) rather than paying for every chunk again. A fact
    whose candidates the new checks all reject gets no new try until its chunk changes."""
    prompt = load_fact_prompt(settings.fact_prompt)
    unwritten = NOT_FOR_A_SMALL_TEACHER if settings.small_teacher else frozenset()
    facts = select_facts(chunk_text, title, settings.facts_per_chunk or MAX_FACTS_PER_CHUNK, unwritten)
    result = GenerationResult(status="ok")
    started = time.perf_counter()
    index = 0
    for fact in facts:
        quotes = [fact.sentence, *([fact.context] if fact.context else [])]
        if fact.question:  # a question code wrote (a definition, a procedure, a date of a plain sentence): no teacher
            result.candidates.append(Candidate(
                pair_id=short_hash(key, gen_sig, index), chunk_id=key, index=index, question=fact.question, answer=fact.said,
                quotes=quotes, target=fact.span if fact.kind in TARGETED else None, teacher_id=WRITTEN_BY_CODE,
            ))
            index += 1
            if accept is not None:
                accept(result.candidates[-1])
            continue
        messages = build_messages(prompt, fact, title)
        grammar = question_gbnf(fact.opening, max_chars=MAX_QUESTION_CHARS)
        for attempt in range(settings.candidates_per_fact):
            temperature = 0.0 if attempt == 0 else max(settings.temperature, RETRY_TEMPERATURE)
            try:
                completion = teacher.complete(
                    messages,
                    grammar=grammar,
                    max_tokens=QUESTION_MAX_TOKENS,
                    temperature=temperature,
                    seed=settings.seed + attempt,
                )
            except TeacherError as exc:
                result.status, result.error = "teacher_error", f"{exc.kind}: {exc}"
                result.candidates = []  # the chunk is tried again, whole, on the next run
                result.seconds = time.perf_counter() - started
                return result
            result.count(completion.usage)
            candidate = Candidate(
                pair_id=short_hash(key, gen_sig, index),
                chunk_id=key,
                index=index,
                question=normalize(read_question(completion.text)),  # cleaned as document text is
                answer=fact.said,
                quotes=quotes,
                target=fact.span,
                teacher_id=teacher.teacher_id,
            )
            index += 1
            result.candidates.append(candidate)
            if accept is None or accept(candidate):
                break
    result.seconds = time.perf_counter() - started
    return result


def facts_asked(candidates: Iterable, grounded: Callable[[object], bool]) -> tuple[int, int]:
    """(facts asked, facts with no grounded question): the run's reject rate for fact-first. A fact
    whose first question failed and whose third passed is one fact answered, not two rejections: counted
    per candidate, the retries alone would put a sound run near [grounding] max_reject_rate."""
    outcome: dict[tuple[str, str, str | None], bool] = {}
    for cand in candidates:
        key = (cand.text_hash, cand.answer, cand.target)
        outcome[key] = outcome.get(key, False) or grounded(cand)
    return len(outcome), sum(1 for ok in outcome.values() if not ok)


class FactFirst(Strategy):
    name = "fact_first"

    def check(self) -> None:
        load_fact_prompt(self.settings.fact_prompt)

    def signature(self, teacher_identity: str) -> str:
        s = self.settings
        return short_hash(
            "generation", "fact_first", FACTS_VERSION, teacher_identity, load_fact_prompt(s.fact_prompt).signature,
            s.facts_per_chunk, s.candidates_per_fact, s.temperature, s.seed, *(["small"] if s.small_teacher else []),
        )

    def largest_prompt(self, chunks: Sequence[tuple[str, str, int]]) -> LargestPrompt | None:
        # The prompt that varies is the fact's clause and span with the source's title: the longest in
        # UTF-8 bytes (a fair stand-in for tokens, in any script) is the one measured.
        facts = [(fact, title) for text, title, _ in chunks for fact in select_facts(text, title, None)]
        if not facts:
            return None
        fact, title = max(facts, key=lambda x: len(f"{clause_of(x[0])}{x[0].span}{x[1]}".encode()))
        messages = build_messages(load_fact_prompt(self.settings.fact_prompt), fact, title)
        return LargestPrompt(messages, QUESTION_MAX_TOKENS, "the question's bound")

    def generate(self, teacher: Teacher, chunk_text: str, *, key: str, gen_sig: str, title: str, accept: Accept | None = None) -> GenerationResult:
        return generate_fact_pairs(teacher, chunk_text, key=key, gen_sig=gen_sig, settings=self.settings, title=title, accept=accept)

    def outcome(self, candidates: Iterable, grounded: Callable[[object], bool]) -> tuple[int, int, str]:
        asked, failed = facts_asked(candidates, grounded)
        return asked, failed, "facts got no grounded question"
