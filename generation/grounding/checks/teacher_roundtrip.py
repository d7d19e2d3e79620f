"""teacher_roundtrip (optional, [grounding] teacher_roundtrip = true): the teacher sees the chunk's
sentences numbered, then the question, and answers a number under a grammar (0..N); the pair passes
when it picks a sentence the pair quotes. Asked only about pairs every other check passed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, Sequence

from pydantic import Field, field_validator

from generation import prompts
from generation.records import QuoteSpan
from generation.teachers.base import TeacherError
from generation.text.sentences import segments

from ..context import ChunkContext, PairContext, quoted
from .base import Check, Finding, Options as BaseOptions

logger = logging.getLogger(__name__)

_FIRST_NUMBER = re.compile(r"\d+")
_PLACEHOLDER = re.compile(r"\{(sentences|question)\}")


class TeacherRoundtripCheck(Check):
    name = "teacher_roundtrip"
    listed = False  # switched by [grounding] teacher_roundtrip = true
    reasons = {
        "teacher_picked_other_sentence": "the teacher says another sentence than the quoted one answers the question",
        "teacher_found_no_answer": "the teacher says no sentence of the chunk answers the question",
        "teacher_roundtrip_unclear": "the teacher's reply was not a sentence number",
        "teacher_roundtrip_failed": "the teacher could not be asked (the pair is rejected, and asked again next run)",
    }
    needs_teacher = True

    class Options(BaseOptions):
        teacher_roundtrip: bool = False
        teacher_roundtrip_prompt: str = Field("roundtrip_v1", pattern=r"^[A-Za-z0-9_.-]+$")  # generation/prompts/<name>.txt

        @field_validator("teacher_roundtrip_prompt")
        @classmethod
        def _roundtrip_prompt_exists(cls, name: str) -> str:
            if not prompts.exists(name):
                raise ValueError(
                    f"teacher_roundtrip_prompt = {name!r}: no prompt {name}.txt in {prompts.PROMPTS_DIR}; known: {', '.join(prompts.names('roundtrip_'))}"
                )
            return name

    @classmethod
    def enabled(cls, config: Any) -> bool:
        return config.teacher_roundtrip

    @classmethod
    def signature_parts(cls, config: Any) -> dict[str, Any]:
        return {"teacher_roundtrip_prompt_sha": hashlib.sha256(prompts.load(config.teacher_roundtrip_prompt).encode()).hexdigest()}

    def gate(self, pair: PairContext, so_far) -> bool:
        return not so_far.reasons and pair.aligned  # a rejected pair costs no teacher time

    def run(self, pair: PairContext) -> Finding:
        picked, reason = self._ask(pair.chunk, pair.question, pair.spans)
        found = Finding(values={"teacher_sentence": picked})
        if reason:
            found.reasons.append(reason)
        return found

    def _ask(self, chunk: ChunkContext, question: str, spans: Sequence[QuoteSpan]) -> tuple[int | None, str | None]:
        """(the sentence the teacher picked, 1-based, 0 for none; reason or None)."""
        assert self.teacher is not None
        prompt, count = render_roundtrip_prompt(self.config.teacher_roundtrip_prompt, chunk.text, question)
        if count < 2:
            return None, None  # nothing to choose between
        try:
            completion = self.teacher.complete(
                [{"role": "user", "content": prompt}], max_tokens=4, temperature=0.0, seed=0, grammar=roundtrip_gbnf(count)
            )
        except TeacherError as exc:
            logger.warning("grounding teacher roundtrip failed (%s): %s", exc.kind, exc)
            return None, "teacher_roundtrip_failed"
        number = _FIRST_NUMBER.search(completion.text)
        if number is None or int(number.group()) > count:
            return None, "teacher_roundtrip_unclear"
        picked = int(number.group())
        if picked == 0:
            return 0, "teacher_found_no_answer"
        if picked - 1 not in quoted(segments(chunk.text), spans):
            return picked, "teacher_picked_other_sentence"
        return picked, None


def render_roundtrip_prompt(name: str, chunk_text: str, question: str) -> tuple[str, int]:
    """The teacher roundtrip's prompt, the chunk's sentences numbered from 1 (each on one line; headings
    and code lines too, which may be what answers) before the question, so that every pair of one chunk
    shares the prompt's prefix; and the number of sentences."""
    lines = [f"[{i}] {' '.join(chunk_text[a:b].split())}" for i, (a, b) in enumerate(segments(chunk_text), 1)]
    values = {"sentences": "\n".join(lines), "question": question.strip()}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], prompts.load(name)), len(lines)


def roundtrip_gbnf(count: int) -> str:
    """A reply that is one of 0..count."""
    return "root ::= " + " | ".join(f'"{i}"' for i in range(count + 1)) + "\n"
