"""The records of the generation stages (docs/architecture.md, "Records")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

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


# Signals a Verdict kept as fields of its own before the checks became units (stored verdicts hold them).
_LEGACY_VALUES = ("support", "quote_support", "novel", "judge", "roundtrip", "span_roundtrip", "teacher_sentence", "form", "no_quote")


class Verdict(Record):
    """The grounding checker's judgement of one pair, with every signal it measured: `values` holds each
    check's (support, quote_support, novel, form, roundtrip, span_roundtrip, teacher_sentence, judge,
    no_quote), so a pair can be re-graded without being generated again, and a new check needs no field."""

    grounded: bool
    score: float
    reasons: list[str] = []
    quotes: list[QuoteSpan] = []  # where each supporting quote aligned: the pair's provenance
    values: dict[str, Any] = {}
    notes: list[str] = []  # e.g. "judge_from_text": the teacher gave no log-probabilities

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """A verdict stored before `values` existed: its signals move into `values`."""
        if isinstance(data, dict) and any(k in data for k in _LEGACY_VALUES):
            data = dict(data)
            values = dict(data.get("values") or {})
            for key in _LEGACY_VALUES:
                if key in data:
                    values.setdefault(key, data.pop(key))
            data["values"] = values
        return data

    @property
    def support(self) -> float | None:
        return self.values.get("support")

    @property
    def judge(self) -> float | None:
        return self.values.get("judge")

    @property
    def roundtrip(self) -> float | None:
        return self.values.get("roundtrip")

    @property
    def span_roundtrip(self) -> float | None:
        return self.values.get("span_roundtrip")

    @property
    def quote_support(self) -> float | None:
        return self.values.get("quote_support")

    @property
    def teacher_sentence(self) -> int | None:
        return self.values.get("teacher_sentence")

    @property
    def novel(self) -> list[str]:
        return self.values.get("novel", [])

    @property
    def form(self) -> list[str]:
        return self.values.get("form", [])

    @property
    def no_quote(self) -> bool:
        return bool(self.values.get("no_quote", False))


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
    # A person's review (groundqa review): "accept" or "edit" (the question or answer as they edited it),
    # by whom and when; checker_reasons: the checker's reasons for rejecting the pair that the person overruled.
    review: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    checker_reasons: list[str] = []


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
    review: str | None = None  # "reject": a person rejected it (reason "reviewer_rejected"), by whom and when
    reviewed_by: str | None = None
    reviewed_at: str | None = None


class Decision(Record):
    """A person's review of one pair (groundqa review), keyed by the pair's identity and honoured by every
    later run until the pair's chunk text changes (a new pair, unreviewed; this one stays with the retired
    pair). One line of `groundqa review --export`."""

    pair_id: str
    decision: Literal["accept", "reject", "edit"]
    question: str | None = None  # edit: the pair as the person wrote it
    answer: str | None = None
    keep: bool = False  # edit: published even when the checker rejects the edited pair
    reason: str | None = None  # reject: why, in the person's words (optional)
    who: str
    at: str  # UTC, ISO 8601
    source_id: str | None = None  # where the pair was when it was decided, for the reader of an export
    source_text_sha: str | None = None  # the document's text then

    @model_validator(mode="after")
    def _edit_has_text(self) -> "Decision":
        if self.decision == "edit" and not ((self.question or "").strip() and (self.answer or "").strip()):
            raise ValueError("an edit needs the edited question and answer, neither empty")
        return self
