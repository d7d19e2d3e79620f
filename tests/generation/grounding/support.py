"""What the grounding tests share: a chunk of made-up company history and a checker over it."""

from __future__ import annotations


from generation.grounding import GroundingChecker, GroundingConfig, Verdict

CHUNK = """History of Vellmark Instruments

Vellmark Instruments was founded in 1889 by Harald Brenner in the town of Karsby. Before that,
Brenner had worked for twelve years as a clockmaker in Ostmoor.

By 1912 the company employed 1,250 people and made well-known barometers. In March 1921 a fire
destroyed the east wing of the Karsby works. The rebuilt works opened in 1923. It cost 4.5 million
crowns and employed 300 workers.

What did the barometers cost? A Vellmark barometer sold for 18 crowns in 1900.
"""


def make_checker() -> GroundingChecker:
    return GroundingChecker(GroundingConfig())


def check(checker: GroundingChecker, question: str, answer: str, quotes: list[str] | None = None) -> Verdict:
    return checker.check(CHUNK, question, answer, quotes or [])
