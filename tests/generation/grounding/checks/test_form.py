"""form: a real question and a real answer."""

from __future__ import annotations


import pytest

from generation.grounding import GroundingChecker
from tests.generation.grounding.support import check


# --- 5. form ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        ("", "1889", "empty_question"),
        ("Vellmark Instruments made barometers.", "Yes", "not_a_question"),
        ("Vellmark Instruments was founded in 1889 by Harald Brenner?", "Yes", "copied_question"),
        ("According to the text, when was Vellmark Instruments founded?", "1889", "refers_to_text"),
        ("What does the passage say about Vellmark Instruments?", "It was founded in 1889.", "refers_to_text"),
        ("In which year was the", "1889", "truncated_question"),
        ("When was Vellmark Instruments founded by", "1889", "truncated_question"),
        ("When was Vellmark Instruments founded", "1889", "no_question_mark"),
        ("Founded when?", "1889", "question_too_short"),
        ("When was it founded?", "1889", "unresolved_reference"),
        ("Who founded Vellmark Instruments?", "", "empty_answer"),
        ("Who founded Vellmark Instruments?", "Who founded Vellmark Instruments?", "answer_repeats_question"),
        ("Who founded Vellmark Instruments?", "Vellmark Instruments.", "answer_repeats_question"),
        ("Who founded Vellmark Instruments?", "The text does not say.", "answer_unknown"),
        ("Who founded Vellmark Instruments?", "According to the passage, Harald Brenner.", "answer_refers_to_text"),
        ("When did Vellmark Instruments be founded?", "In 1889.", "ungrammatical_question"),  # the embedded teacher's "When did ... be ...ed"
    ],
)


def test_form_reasons(checker, question, answer, reason):
    verdict = check(checker, question, answer)
    assert reason in verdict.reasons and reason in verdict.form
    assert not verdict.grounded and verdict.score == 0.0


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What did the barometers cost?", "A Vellmark barometer sold for 18 crowns in 1900."),  # a question the chunk asks
        ("Name the town where Vellmark Instruments was founded", "Karsby"),  # imperative
        ("Was Vellmark Instruments founded in 1889?", "Yes, Vellmark Instruments was founded in 1889."),
        ("Where had Harald Brenner worked as a clockmaker?", "In Ostmoor"),
        ("How many years had Brenner worked as a clockmaker?", "12 years"),  # "twelve" in the chunk
        ("Where had Harald Brenner worked, in Ostmoor or in Karsby?", "In Ostmoor"),  # a choice
        ("Did Vellmark Instruments need to be founded in Karsby?", "No, in Ostmoor."),  # "be" after "to" is English
    ],
)


def test_good_forms_pass(checker, question, answer):
    verdict = check(checker, question, answer)
    assert verdict.grounded, verdict.reasons


def test_an_answer_that_loops_or_is_cut_off_is_rejected():
    chunk = (
        "The report recommends repointing arches four and five with lime mortar, resetting the loose coping "
        "stones, and clearing vegetation from the piers before the spring."
    )
    question = "What does the viaduct report recommend for arches four and five?"
    quote = ["The report recommends repointing arches four and five with lime mortar, resetting the loose coping stones, and clearing vegetation from the piers before the spring."]
    looping = (
        "The report recommends repointing arches four and five with lime mortar, resetting the loose coping stones. "
        "The report recommends repointing arches four and five with lime mortar, resetting [x"
    )
    verdict = GroundingChecker().check(chunk, question, looping, quote)
    assert not verdict.grounded
    assert "repetitive_answer" in verdict.reasons and "truncated_answer" in verdict.reasons
    fine = GroundingChecker().check(chunk, question, "Repointing them with lime mortar.", quote)
    assert fine.grounded, fine.reasons
    cut = GroundingChecker().check(chunk, question, "Repointing arches four and five with lime mortar before the spring of", quote)
    assert "truncated_answer" in cut.reasons
    mid_word = "Repointing arches four and five with lime mortar. The purpose is to keep the viadu"
    assert "truncated_answer" in GroundingChecker().check(chunk, question, mid_word, quote).reasons
