"""free_form: the teacher writes whole pairs, evidence first, in one reply per chunk.

The reply is constrained by a JSON schema (reply_model): a list of pairs, each with its quotes first —
chosen from the chunk's own sentences (an enum), so a quote is verbatim by construction — then the
question, then the answer; llama.cpp generates properties in schema order, so the teacher picks its
evidence before it writes. A reply that fails validation is shown back once with what was wrong, then
stored as `invalid_reply` (and asked again [generation] retry_invalid_after runs later). For capable
teachers (7B and up): small ones loop and invent numbers here.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from string import Template
from typing import Annotated, Any, Sequence

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from generation import prompts
from generation.records import Candidate
from generation.teachers.base import Message, Teacher, TeacherError
from generation.text.sentences import quotable
from ingest.normalize import normalize
from ingest.records import short_hash

from .base import Accept, GenerationResult, GenerationSettings, LargestPrompt, Strategy

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
# Every string is bounded so that llama.cpp's grammar closes it: unbounded, the embedded model ran on
# to max_tokens inside one string in 5 of 10 replies. With 240/480/240 one example-corpus reply of
# three pairs still ran past max_tokens = 640 inside its last string; these bounds keep three
# maximal pairs (about 4 characters a token) under the default max_tokens = 768.
MAX_QUESTION_CHARS = 160
MAX_ANSWER_CHARS = 320
MAX_QUOTE_CHARS = 300
MAX_QUOTES = 2
# Quotes are constrained to the chunk's own sentences (an enum in the schema), so a quote is verbatim
# by construction: on the example corpus the embedded teacher's free-text quotes aligned 0 times in
# 19 pairs, the constrained ones always, and 3 of 13 pairs were then grounded instead of 0 of 8.
MAX_QUOTE_CHOICES = 80


class QAPair(BaseModel):
    """One pair, evidence first: llama.cpp generates properties in schema order, so the teacher picks
    its supporting sentence before it writes the question and the answer."""

    model_config = ConfigDict(extra="forbid")
    quotes: list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUOTE_CHARS)]] = Field(
        min_length=1, max_length=MAX_QUOTES
    )
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)


@lru_cache(maxsize=32)
def reply_model(pairs_per_chunk: int) -> type[BaseModel]:
    """The reply's pydantic model: {"pairs": [QAPair, ...]} with `pairs_per_chunk` pairs at most."""
    return create_model(
        "QAReply",
        __config__=ConfigDict(extra="forbid"),
        pairs=(list[QAPair], Field(min_length=1, max_length=pairs_per_chunk)),
    )


def quote_choices(text: str) -> list[str]:
    """The chunk's sentences (long ones cut at clause ends), each a verbatim piece of `text`."""
    return quotable(text, MAX_QUOTE_CHARS, MAX_QUOTE_CHOICES)


def reply_schema(pairs_per_chunk: int, chunk_text: str | None = None) -> dict[str, Any]:
    """The JSON schema the teacher's reply is constrained by; with `chunk_text`, quotes must be its sentences."""
    schema = copy.deepcopy(_base_schema(pairs_per_chunk))
    choices = quote_choices(chunk_text) if chunk_text else []
    if choices:
        schema["$defs"]["QAPair"]["properties"]["quotes"]["items"] = {"enum": choices}
    return schema


@lru_cache(maxsize=32)
def _base_schema(pairs_per_chunk: int) -> dict[str, Any]:
    return reply_model(pairs_per_chunk).model_json_schema()


@dataclass
class Prompt:
    version: str
    system: str
    user: Template

    @property
    def signature(self) -> str:
        return short_hash(self.version, self.system, self.user.template)


@lru_cache(maxsize=8)
def load_prompt(version: str) -> Prompt:
    """generation/prompts/<version>.txt: the system text, a line of "---", then the user template."""
    system, _, user = prompts.load(version).partition("\n---\n")
    return Prompt(version=version, system=system.strip(), user=Template(user.strip()))


def build_messages(prompt: Prompt, chunk_text: str, title: str, n: int) -> list[Message]:
    return [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": prompt.user.safe_substitute(text=chunk_text, title=title, n=n)},
    ]


def parse_reply(text: str, pairs_per_chunk: int) -> list[QAPair]:
    """The pairs of a reply, or ValueError saying what is wrong with it."""
    if not text.strip():
        raise ValueError("the reply was empty")
    try:
        reply = reply_model(pairs_per_chunk).model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "reply"
        raise ValueError(f"{where}: {first['msg']}") from None
    return list(reply.pairs)  # type: ignore[attr-defined]


# An invalid reply is kept for the user to read (rejected.jsonl) and shown to the teacher once more with
# what was wrong; a server that ignores max_tokens can send megabytes, which neither needs.
MAX_STORED_REPLY_CHARS = 20_000
MAX_RESENT_REPLY_CHARS = 8_000
MAX_ERROR_CHARS = 500


def clip(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a note of how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} [... {len(text) - limit:,} more characters cut]"


def generate_pairs(
    teacher: Teacher,
    chunk_text: str,
    *,
    key: str,
    gen_sig: str,
    settings: GenerationSettings,
    title: str = "a document",
) -> GenerationResult:
    """Ask the teacher for pairs about one chunk. `key` (the chunk text hash) and `gen_sig` make the pair ids."""
    prompt = load_prompt(settings.prompt)
    messages = build_messages(prompt, chunk_text, title, settings.pairs_per_chunk)
    schema = reply_schema(settings.pairs_per_chunk, chunk_text)
    result = GenerationResult(status="invalid_reply")
    started = time.perf_counter()
    for attempt in range(2):
        try:
            completion = teacher.complete(
                messages,
                json_schema=schema,
                max_tokens=settings.max_tokens,
                temperature=settings.temperature,
                seed=settings.seed + attempt,
            )
        except TeacherError as exc:
            result.status, result.error = "teacher_error", f"{exc.kind}: {exc}"
            break
        result.count(completion.usage)
        result.raw_reply = clip(completion.text, MAX_STORED_REPLY_CHARS)
        try:
            pairs = parse_reply(completion.text, settings.pairs_per_chunk)
        except ValueError as exc:
            truncated = " (cut off at max_tokens)" if completion.finish_reason == "length" else ""
            result.error = f"{clip(str(exc), MAX_ERROR_CHARS)}{truncated}"
            logger.debug("invalid reply (attempt %d): %s", attempt + 1, result.error)
            messages = messages + [
                {"role": "assistant", "content": clip(completion.text, MAX_RESENT_REPLY_CHARS)},
                {"role": "user", "content": f"That reply is not valid: {result.error}. Reply again with JSON only, "
                 'an object whose "pairs" list holds pairs, each with "quotes" (a list of sentences of the text), "question" and "answer".'},
            ]
            continue
        result.status, result.error = "ok", None
        result.candidates = [
            Candidate(
                pair_id=short_hash(key, gen_sig, i),
                chunk_id=key,
                index=i,
                question=normalize(p.question),  # teacher text is cleaned as document text is: no NUL, bidi or control characters
                answer=normalize(p.answer),
                quotes=[normalize(q) for q in p.quotes if normalize(q)],
                teacher_id=teacher.teacher_id,
            )
            for i, p in enumerate(pairs)
        ]
        break
    result.seconds = time.perf_counter() - started
    return result


class FreeForm(Strategy):
    name = "free_form"

    def check(self) -> None:
        load_prompt(self.settings.prompt)

    def signature(self, teacher_identity: str) -> str:
        s = self.settings
        return short_hash(
            "generation", SCHEMA_VERSION, teacher_identity, load_prompt(s.prompt).signature,
            s.pairs_per_chunk, s.max_tokens, s.temperature, s.seed,
        )

    def largest_prompt(self, chunks: Sequence[tuple[str, str, int]]) -> LargestPrompt | None:
        if not chunks:
            return None
        text, title, _ = max(chunks, key=lambda c: c[2])
        messages = build_messages(load_prompt(self.settings.prompt), text, title, self.settings.pairs_per_chunk)
        return LargestPrompt(messages, self.settings.max_tokens, "[teacher] max_tokens")

    def generate(self, teacher: Teacher, chunk_text: str, *, key: str, gen_sig: str, title: str, accept: Accept | None = None) -> GenerationResult:
        return generate_pairs(teacher, chunk_text, key=key, gen_sig=gen_sig, settings=self.settings, title=title)
