"""The grounding checker: builds the chunk's and the pair's context once, runs the enabled checks in
order (checks.CHECKS), each behind its gate, and folds what they found into one Verdict.

A pair is grounded when no check gives a reason. The pair's score is the lowest of the checks' scores
(quote alignment, quote support, support, the judge's P(yes)), or 0 when a check that decides outright
(novelty, form) gave a reason. Without the teacher checks a pair costs no teacher time
(bench/grounding.py measures pairs per second).
"""

from __future__ import annotations

import logging
from typing import Sequence

from generation.records import Verdict
from generation.teachers.base import Teacher

from .checks import Progress
from .config import GroundingConfig
from .context import PairContext

logger = logging.getLogger(__name__)

# Reasons the checker itself gives, besides the checks' own.
REASONS = {"checker_error": "the checker failed on this pair's text (a bug: the exception is in the verdict's notes and the log)"}


class GroundingChecker:
    """Checks pairs against their chunk. The teacher checks (judge, teacher_roundtrip) need `teacher`."""

    def __init__(self, config: GroundingConfig | None = None, teacher: Teacher | None = None):
        self.config = config or GroundingConfig()
        self.teacher = teacher
        self.checks = []
        for check in self.config.enabled():
            if check.needs_teacher and teacher is None:
                raise ValueError(
                    f"the grounding {check.name.replace('_', ' ')} is on ({check.name} = true) but no teacher was given: pass "
                    f"GroundingChecker(config, teacher=...), or set [grounding] {check.name} = false"
                )
            self.checks.append(check(self.config, teacher))

    def signature(self) -> str:
        return self.config.signature()

    def check(
        self,
        chunk_text: str,
        question: str,
        answer: str,
        quotes: Sequence[str] | None = (),
        target: str | None = None,
        title: str | None = None,
    ) -> Verdict:
        """`target`: the span of the quote the question asks for, where the pair was written for one
        (fact-first): the question must ask for it without giving it away, and name its subject.
        `title`: the document's title, whose words a question may use though the chunk lacks them.

        A fault of the checker's own on some text is the pair's rejection (`checker_error`, the
        exception in its notes, the traceback in the log), never the run's end: a nightly run would
        meet the same chunk every night."""
        try:
            return self._check(PairContext.build(chunk_text, question, answer, quotes, target, title))
        except Exception as exc:  # noqa: BLE001 - any bug on any text, see above
            logger.exception("grounding checker failed on a pair (question %r); the pair is rejected", question[:80])
            return Verdict(grounded=False, score=0.0, reasons=["checker_error"], notes=[f"{type(exc).__name__}: {exc}"[:300]])

    def _check(self, pair: PairContext) -> Verdict:
        so_far = Progress()
        scores: list[float] = []
        notes: list[str] = []
        decisive = False  # a reason from a check that makes the score 0
        for check in self.checks:
            if not check.gate(pair, so_far):
                continue
            found = check.run(pair)
            so_far.reasons.extend(found.reasons)
            so_far.values.update(found.values)
            scores.extend(found.scores)
            notes.extend(found.notes)
            decisive = decisive or (check.zero_score and bool(found.reasons))
        reasons = so_far.reasons
        score = 0.0 if decisive else min(scores, default=1.0 if not reasons else 0.0)
        values = {"no_quote": not pair.quotes, **so_far.values}
        return Verdict.model_construct(  # every field built here with its type: no validation to pay per pair
            grounded=not reasons,
            score=float(round(min(max(score, 0.0), 1.0), 4)),
            reasons=reasons,
            quotes=pair.spans,
            values=values,
            notes=notes,
        )
