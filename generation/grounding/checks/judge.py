"""judge (optional, [grounding] judge = true): the teacher's P("yes") that the chunk answers the question
with that answer, from the log-probabilities of its first token.

One one-token call per pair that passed every other check; the chunk leads the prompt, so llama.cpp
reuses its evaluated prefix for every pair of a chunk.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from pydantic import Field, field_validator

from generation import prompts
from generation.teachers.base import TeacherError, probability_of
from generation.text.tokens import first_words

from ..context import PairContext
from .base import Check, Finding, Options as BaseOptions

logger = logging.getLogger(__name__)

# P("yes") / (P("yes") + P("no")) of the judge's first token below which a pair is rejected: 0.5, the
# point where the judge leans to "no". The embedded SmolLM2-135M has no skill as a judge: on 100 pairs
# of the labelled set (`bench/grounding.py --judge`) its P("yes") ranks true pairs below false ones as
# often as above (AUC 0.45), and at 0.5 it rejects 96% of true pairs with 98% of false ones; no
# threshold separates them. Keep the judge off with it; with a capable teacher, run the benchmark
# with --model and set judge_min from its table.
JUDGE_MIN = 0.5
JUDGE_TOP_LOGPROBS = 10
# Below this P("yes") + P("no") the judge's first token is neither word: the judge is unclear.
JUDGE_MIN_MASS = 1e-4
_PLACEHOLDER = re.compile(r"\{(chunk|question|answer)\}")


class JudgeCheck(Check):
    name = "judge"
    listed = False  # switched by [grounding] judge = true
    reasons = {
        "judge_no": "the teacher, asked as a judge, leans to \"no\" (P(yes) below judge_min)",
        "judge_unclear": "the judge's first word was neither yes nor no",
        "judge_failed": "the teacher could not be asked (the pair is rejected, and judged again next run)",
    }
    needs_teacher = True

    class Options(BaseOptions):
        judge: bool = False
        judge_min: float = Field(JUDGE_MIN, ge=0.0, le=1.0)
        judge_prompt: str = Field("judge_v1", pattern=r"^[A-Za-z0-9_.-]+$")  # generation/prompts/<name>.txt
        judge_top_logprobs: int = Field(JUDGE_TOP_LOGPROBS, ge=2, le=50)

        @field_validator("judge_prompt")
        @classmethod
        def _judge_prompt_exists(cls, name: str) -> str:
            if not prompts.exists(name):
                raise ValueError(f"judge_prompt = {name!r}: no prompt {name}.txt in {prompts.PROMPTS_DIR}; known: {', '.join(prompts.names('judge_'))}")
            return name

    @classmethod
    def enabled(cls, config: Any) -> bool:
        return config.judge

    @classmethod
    def signature_parts(cls, config: Any) -> dict[str, Any]:
        return {"judge_prompt_sha": hashlib.sha256(prompts.load(config.judge_prompt).encode()).hexdigest()}

    def gate(self, pair: PairContext, so_far) -> bool:
        return not so_far.reasons  # a rejected pair costs no teacher time

    def run(self, pair: PairContext) -> Finding:
        found = Finding()
        judge, reason, note = self._judge(pair.chunk.text, pair.question, pair.answer)
        if judge is not None:
            found.scores.append(judge)
            found.values["judge"] = round(judge, 4)
        if reason:
            found.reasons.append(reason)
        if note:
            found.notes.append(note)
        return found

    def _judge(self, chunk_text: str, question: str, answer: str) -> tuple[float | None, str | None, str | None]:
        """(P(yes), reason or None, note or None). P(yes) is normalized over the two words."""
        assert self.teacher is not None
        prompt = render_judge_prompt(self.config.judge_prompt, chunk_text, question, answer)
        try:
            completion = self.teacher.complete(
                [{"role": "user", "content": prompt}],
                max_tokens=1,
                temperature=0.0,
                seed=0,
                top_logprobs=self.config.judge_top_logprobs,
            )
        except TeacherError as exc:
            logger.warning("grounding judge failed (%s): %s", exc.kind, exc)
            return None, "judge_failed", None
        p_yes = probability_of(completion, "yes")
        if p_yes is None:  # a teacher that gives no log-probabilities: read the word
            words = first_words(completion.text, 1)
            word = words[0] if words else ""
            if word == "yes":
                return 1.0, None, "judge_from_text"
            if word == "no":
                return 0.0, "judge_no", "judge_from_text"
            return None, "judge_unclear", "judge_from_text"
        p_no = probability_of(completion, "no") or 0.0
        if p_yes + p_no < JUDGE_MIN_MASS:
            return None, "judge_unclear", None
        p = p_yes / (p_yes + p_no)
        return p, ("judge_no" if p < self.config.judge_min else None), None


def render_judge_prompt(name: str, chunk_text: str, question: str, answer: str) -> str:
    """The judge prompt with the chunk first, so that every pair of one chunk shares the prompt's prefix."""
    values = {"chunk": chunk_text.strip(), "question": question.strip(), "answer": answer.strip()}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], prompts.load(name))
