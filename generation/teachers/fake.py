"""A teacher for tests: replies queued in order, and a history of every call it received."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any, Callable

from .base import Completion, Message, Teacher, TeacherError, TokenLogprob, Usage

Reply = str | Completion | Exception | Callable[[list[Message]], "str | Completion"]


class FakeTeacher(Teacher):
    """Pops one queued reply per call. A reply may be text, a Completion, an exception to raise, or a
    function of the messages. With an empty queue it answers `default` (or raises if there is none)."""

    def __init__(
        self,
        replies: list[Reply] | None = None,
        *,
        default: Reply | None = None,
        teacher_id: str = "fake",
        n_ctx: int = 4096,
        slots: int = 1,
        delay: float = 0.0,
        record: bool = True,
    ):
        self.queue: deque[Reply] = deque(replies or [])
        self.default = default
        self.teacher_id = teacher_id
        self.n_ctx = n_ctx
        self.slots = slots
        self.delay = delay
        self.record = record  # False: keep no history (benchmarks over large corpora)
        self.history: list[dict[str, Any]] = []
        self.calls = 0
        self._lock = threading.Lock()

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
        with self._lock:
            self.calls += 1
            if self.record:
                self.history.append(
                    {
                        "messages": messages,
                        "json_schema": json_schema,
                        "grammar": grammar,
                        "max_tokens": max_tokens,
                        "temperature": temperature,
                        "seed": seed,
                        "top_logprobs": top_logprobs,
                    }
                )
            if self.queue:
                reply = self.queue.popleft()
            elif self.default is not None:
                reply = self.default
            else:
                raise TeacherError("FakeTeacher has no reply queued", kind="no_reply")
        if self.delay:
            time.sleep(self.delay)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(messages)
        if isinstance(reply, Completion):
            return reply
        return Completion(
            text=reply,
            usage=Usage(prompt_tokens=self.count_tokens(messages), completion_tokens=max(1, len(reply) // 4)),
            finish_reason="stop",
        )


def yes_no_completion(p_yes: float) -> Completion:
    """A one-token judge reply whose first token is "yes" with probability `p_yes`."""

    p_yes = min(max(p_yes, 1e-9), 1 - 1e-9)
    top = {"yes": math.log(p_yes), "no": math.log(1 - p_yes)}
    token = "yes" if p_yes >= 0.5 else "no"
    return Completion(text=token, logprobs=[TokenLogprob(token=token, logprob=top[token], top=top)], finish_reason="stop")
