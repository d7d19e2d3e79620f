"""The records of the generation stages (docs/architecture.md, "Records")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from generation.teachers.base import Usage


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Candidate(Record):
    """One question-answer pair as the teacher wrote it, before any check."""

    pair_id: str  # hash(chunk_id, generation signature, index)
    chunk_id: str
    index: int
    question: str
    answer: str
    quotes: list[str] = []
    target: str | None = None  # fact-first: the span of the quote the question asks for
    teacher_id: str
    usage: Usage = Usage()


class QuoteSpan(Record):
    """Where one supporting quote aligned in the chunk: chunk-relative char offsets and the match score (0-100)."""

    quote: str
    start: int | None = None
    end: int | None = None
    score: float = 0.0


class Verdict(Record):
    """The grounding checker's judgement of one pair, with every signal it measured."""

    grounded: bool
    score: float
    reasons: list[str] = []
    quotes: list[QuoteSpan] = []
    support: float | None = None
    quote_support: float | None = None  # share of the answer's added facts found in its quotes
    novel: list[str] = []
    judge: float | None = None  # P("yes"), when the judge ran
    roundtrip: float | None = None  # the quoted sentence's match with the question, over the best sentence's
    span_roundtrip: float | None = None  # the answer value's clause's match with the question, over another value's
    teacher_sentence: int | None = None  # the teacher roundtrip's pick: the chunk's sentence (from 1) that answers; 0 none
    form: list[str] = []
    no_quote: bool = False
    notes: list[str] = []  # e.g. "judge_from_text": the teacher gave no log-probabilities


class Pair(Record):
    """A published pair: the full record of pairs.jsonl, with provenance and scores."""

    pair_id: str
    question: str
    answer: str
    quotes: list[str] = []
    source_id: str
    chunk_id: str
    pages: list[int] = []
    char_start: int | None = None  # document offsets of the supporting quote(s)
    char_end: int | None = None
    context: str  # the chunk's text
    teacher_id: str
    score: float
    support: float | None = None
    judge: float | None = None
    duplicate_of: str | None = None
    split: str = "train"  # "validation" for the pairs of a stable share of documents (generation/training.py)


class Rejection(Record):
    """One line of rejected.jsonl: a pair (or a reply) that was not published, and why."""

    pair_id: str | None = None
    chunk_id: str
    source_id: str
    question: str | None = None
    answer: str | None = None
    quotes: list[str] = []
    reasons: list[str]
    duplicate_of: str | None = None  # the older pair this one repeats
    raw_reply: str | None = None  # for a reply that could not be read as pairs
    error: str | None = None
