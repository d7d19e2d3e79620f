"""The one teacher protocol. Retries, schema handling and budgets are built on top of it."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

from pydantic import BaseModel, ConfigDict

from ingest.sources import redact

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class TeacherError(Exception):
    """The teacher could not answer (server down, timeout, model failed). Names the fix where there is one."""

    def __init__(self, message: str, *, kind: str = "teacher_error"):
        super().__init__(redact(message))  # a server URL's user-info never reaches a message
        self.kind = kind


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens the teacher did not evaluate again (a reused prefix)


class TokenLogprob(BaseModel):
    """One generated token, its log-probability and the most likely alternatives at that step."""

    model_config = ConfigDict(extra="forbid")
    token: str
    logprob: float
    top: dict[str, float] = {}


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    usage: Usage = Usage()
    logprobs: list[TokenLogprob] | None = None
    finish_reason: str | None = None
    seconds: float = 0.0


class Teacher(ABC):
    """A chat model that answers `complete`. Subclasses set `teacher_id`, `n_ctx` and `slots`."""

    teacher_id: str = "teacher"
    n_ctx: int = 4096
    slots: int = 1  # requests it can serve at once

    @abstractmethod
    def complete(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        seed: int | None = None,
        top_logprobs: int | None = None,
    ) -> Completion:
        """Answer the chat. With `json_schema` the reply is constrained to it, with `grammar` (GBNF) to
        that grammar (a teacher that cannot apply one answers unconstrained); with `top_logprobs`
        the completion carries the log-probabilities of each generated token and its alternatives."""

    def count_tokens(self, messages: list[Message]) -> int:
        """Prompt tokens of `messages` with this teacher's own tokenizer. The default is an estimate."""
        chars = sum(len(m["content"]) + len(m["role"]) + 8 for m in messages)
        return math.ceil(chars / 3)

    def cancel(self) -> None:
        """Stop the calls in flight as soon as possible, from another thread (the run was interrupted).
        The calls may fail; the teacher is not used again after it."""

    def close(self) -> None:
        """Free the model or the connections."""

    def __enter__(self) -> "Teacher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probability_of(completion: Completion, word: str) -> float | None:
    """P(first generated token is `word`), summing the alternatives that spell it (" Yes", "yes", ...).

    None when the completion carries no log-probabilities."""
    if not completion.logprobs:
        return None
    first = completion.logprobs[0]
    alternatives = dict(first.top)
    alternatives.setdefault(first.token, first.logprob)
    wanted = word.strip().lower()
    return min(1.0, sum(math.exp(lp) for tok, lp in alternatives.items() if tok.strip().lower() == wanted))
