"""The grounding checks, in the order they run. A check is one module here and one line in CHECKS
(docs/architecture.md, "Add a check")."""

from .base import Check, Finding, Options, Progress
from .form import FormCheck
from .judge import JudgeCheck
from .novelty import NoveltyCheck
from .quote import QuoteCheck
from .roundtrip import RoundtripCheck
from .span_roundtrip import SpanRoundtripCheck
from .support import SupportCheck
from .teacher_roundtrip import TeacherRoundtripCheck

CHECKS: list[type[Check]] = [
    QuoteCheck,  # first: the aligned quotes are the pair's provenance, and the checks after it read them
    SupportCheck,
    NoveltyCheck,
    FormCheck,
    RoundtripCheck,  # when every quote aligned
    SpanRoundtripCheck,  # when the roundtrip passed, on short answers
    TeacherRoundtripCheck,  # teacher checks last, on pairs no check rejected: they cost teacher time
    JudgeCheck,
]

__all__ = ["CHECKS", "Check", "Finding", "Options", "Progress"]
