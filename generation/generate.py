"""QA generation: one request per chunk, a reply constrained by a JSON schema, validated, retried once."""

from __future__ import annotations

import copy
import logging
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from string import Template
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from generation.records import Candidate
from generation.teachers.base import Message, Teacher, TeacherError, Usage
from ingest.records import short_hash

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
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_CLAUSE = re.compile(r"(?<=[,;:])\s+")
# Paragraphs, headings and list items are separate; the lines of a hard-wrapped paragraph are one.
_LINES = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*+>#|]|\d+[.)])\s)")
_WRAP = re.compile(r"\s*\n\s*")


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
    choices: list[str] = []
    for line in _LINES.split(text):
        for sentence in _SENTENCE.split(_WRAP.sub(" ", line).strip()):
            pieces = [sentence]
            if len(sentence) > MAX_QUOTE_CHARS:
                pieces, current = [], ""
                for clause in _CLAUSE.split(sentence):
                    if current and len(current) + 1 + len(clause) > MAX_QUOTE_CHARS:
                        pieces.append(current)
                        current = clause
                    else:
                        current = f"{current} {clause}" if current else clause
                pieces.append(current)
            for piece in pieces:
                piece = piece.strip()
                if len(piece.split()) >= 3 and len(piece) <= MAX_QUOTE_CHARS and piece not in choices:
                    choices.append(piece)
    return choices[:MAX_QUOTE_CHOICES]


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
    try:
        text = resources.files("generation.prompts").joinpath(f"{version}.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"no prompt named {version!r} in generation/prompts/") from None
    system, _, user = text.partition("\n---\n")
    return Prompt(version=version, system=system.strip(), user=Template(user.strip()))


def build_messages(prompt: Prompt, chunk_text: str, title: str, n: int) -> list[Message]:
    return [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": prompt.user.safe_substitute(text=chunk_text, title=title, n=n)},
    ]


Strategy = Literal["free_form", "fact_first"]


@dataclass
class GenerationSettings:
    """What changes a chunk's pairs. `strategy` picks the module that writes them: free-form (this
    module: the teacher writes whole pairs) or fact-first (generation/fact_first.py)."""

    pairs_per_chunk: int = 3
    max_tokens: int = 768
    temperature: float = 0.7
    seed: int = 0
    prompt: str = "qa_v1"
    strategy: Strategy = "free_form"
    facts_per_chunk: int | None = None  # fact-first: None = every fact the chunk has, up to facts.MAX_FACTS_PER_CHUNK
    candidates_per_fact: int = 3
    fact_prompt: str = "fact_first_v1"

    def signature(self, teacher_identity: str) -> str:
        if self.strategy == "fact_first":
            from generation.fact_first import load_fact_prompt
            from generation.text.facts import FACTS_VERSION

            return short_hash(
                "generation", "fact_first", FACTS_VERSION, teacher_identity, load_fact_prompt(self.fact_prompt).signature,
                self.facts_per_chunk, self.candidates_per_fact, self.temperature, self.seed,
            )
        return short_hash(
            "generation", SCHEMA_VERSION, teacher_identity, load_prompt(self.prompt).signature,
            self.pairs_per_chunk, self.max_tokens, self.temperature, self.seed,
        )


@dataclass
class GenerationResult:
    """A chunk's outcome: `status` is "ok", "invalid_reply" (the reply failed validation twice) or
    "teacher_error" (the teacher could not answer; not stored, so the next run tries again)."""

    status: str
    candidates: list[Candidate] = field(default_factory=list)
    raw_reply: str | None = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    seconds: float = 0.0


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
        result.calls += 1
        result.usage.prompt_tokens += completion.usage.prompt_tokens
        result.usage.completion_tokens += completion.usage.completion_tokens
        result.usage.cached_tokens += completion.usage.cached_tokens
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
                question=p.question.strip(),
                answer=p.answer.strip(),
                quotes=[q.strip() for q in p.quotes if q.strip()],
                teacher_id=teacher.teacher_id,
            )
            for i, p in enumerate(pairs)
        ]
        break
    result.seconds = time.perf_counter() - started
    return result
