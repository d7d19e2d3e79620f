"""The grounding checker: is a question-answer pair supported by the chunk it was written from?

    from generation.grounding import GroundingChecker, GroundingConfig
    checker = GroundingChecker(GroundingConfig())          # the teacher checks off by default
    verdict = checker.check(chunk_text, question, answer, quotes)
    verdict.grounded, verdict.score, verdict.reasons

The checks, one a module under checks/, run in the order of checks.CHECKS: quote, support, novelty,
form, roundtrip, span_roundtrip, and the optional teacher checks (teacher_roundtrip, judge). `REASONS`
is the catalogue of every reason code a verdict can carry, with its meaning.
"""

from generation.records import QuoteSpan, Verdict

from .checker import REASONS as _CHECKER_REASONS
from .checker import GroundingChecker
from .checks import CHECKS
from .checks.judge import render_judge_prompt
from .checks.novelty import placement
from .checks.quote import quote_support
from .checks.teacher_roundtrip import render_roundtrip_prompt
from .config import CHECKER_VERSION, GroundingConfig

REASONS: dict[str, str] = {code: meaning for check in CHECKS for code, meaning in check.reasons.items()} | _CHECKER_REASONS

__all__ = [
    "CHECKER_VERSION",
    "CHECKS",
    "REASONS",
    "GroundingChecker",
    "GroundingConfig",
    "QuoteSpan",
    "Verdict",
    "placement",
    "quote_support",
    "render_judge_prompt",
    "render_roundtrip_prompt",
]
