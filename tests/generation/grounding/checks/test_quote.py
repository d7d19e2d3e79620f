"""quote: quotes align however they were typed, and not when their facts differ."""

from __future__ import annotations


import pytest

from generation.grounding import GroundingConfig
from tests.generation.grounding.support import check


# --- 1. quote ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quote",
    [
        "By 1912 the company employed 1,250 people",  # exact
        "by 1912 the company   employed\n1,250 people",  # case, whitespace
        "By 1912, the company employed 1250 people.",  # punctuation
        "made well known barometers",  # hyphen left out
        "made well-\nknown baro- meters",  # line-break hyphens
        "By 1912 the company ... 1,250 people",  # ellipsis
        "By 1912 the compnay employed 1,250 people",  # a typo
    ],
)


def test_quotes_align_despite_how_they_were_typed(checker, quote):
    verdict = check(checker, "What did Vellmark Instruments make by 1912, and how many people did it employ?", "1,250 people; barometers", [quote])
    [span] = verdict.quotes
    assert span.start is not None, verdict
    assert span.score >= GroundingConfig().quote_min_score
    assert "quote_not_found" not in verdict.reasons


def test_a_fabricated_quote_is_not_found(checker):
    verdict = check(checker, "Who bought Vellmark Instruments?", "Osric Tallmark bought it in 1931.", ["In 1931 Osric Tallmark bought Vellmark Instruments."])
    assert "quote_not_found" in verdict.reasons
    assert verdict.quotes[0].start is None and verdict.quotes[0].score < 85
    assert not verdict.grounded


def test_a_quote_with_one_number_changed_is_not_found(checker):
    verdict = check(checker, "In which year was Vellmark Instruments founded?", "1890", ["Vellmark Instruments was founded in 1890 by Harald Brenner"])
    assert verdict.quotes[0].score > 95  # the letters nearly all agree ...
    assert verdict.quotes[0].start is None  # ... the number does not
    assert "quote_not_found" in verdict.reasons


def test_a_real_quote_that_does_not_support_the_answer(checker):
    verdict = check(checker, "In which year was Vellmark Instruments founded?", "1889", ["In March 1921 a fire destroyed the east wing"])
    assert verdict.quotes[0].start is not None
    assert verdict.reasons == ["quote_not_supporting", "off_target_question"]  # the question leads elsewhere too


def test_one_bad_quote_of_two_rejects(checker):
    verdict = check(checker, "Who founded Vellmark Instruments?", "Harald Brenner", ["founded in 1889 by Harald Brenner", "Brenner was born in Ulmby."])
    assert "quote_not_found" in verdict.reasons
