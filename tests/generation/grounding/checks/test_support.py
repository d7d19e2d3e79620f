"""support: the answer's words are in the chunk."""

from __future__ import annotations


from generation.grounding import GroundingConfig
from tests.generation.grounding.support import check


# --- 2. support -------------------------------------------------------------------------------------


def test_numbers_are_normalized(checker):
    verdict = check(checker, "How many people did Vellmark Instruments employ by 1912?", "1250 people (1,250.0 in all)")
    assert verdict.support == 1.0 and verdict.grounded, verdict.reasons


def test_light_stemming(checker):
    verdict = check(checker, "What happened to the east wing of the Karsby works in 1921?", "A fire destroys it; the fires destroying wings.")
    assert verdict.support == 1.0


def test_an_answer_from_elsewhere_has_low_support(checker):
    verdict = check(checker, "What did the east wing hold?", "Looms, spinning frames and dye vats for wool.")
    assert "low_support" in verdict.reasons
    assert verdict.support is not None and verdict.support < GroundingConfig().support_min
