"""novelty: numbers, dates and names the chunk lacks, or has elsewhere."""

from __future__ import annotations


from generation.grounding import GroundingChecker, GroundingConfig
from tests.generation.grounding.support import CHUNK, check


# --- 3. novelty -------------------------------------------------------------------------------------


def test_novel_number(checker):
    verdict = check(checker, "How many people did Vellmark Instruments employ by 1912?", "It employed 1,400 people.")
    assert "novel_number:1400" in verdict.reasons and "novel_number:1400" in verdict.novel
    assert verdict.score == 0.0


def test_novel_name_and_date(checker):
    verdict = check(checker, "Who founded Vellmark Instruments?", "Harald Kessling founded it in June.")
    assert "novel_name:Kessling" in verdict.reasons and "novel_date:June" in verdict.reasons
    assert "novel_name:Harald" not in verdict.reasons


def test_the_questions_own_words_count_as_present(checker):
    verdict = check(checker, "Did Vellmark Instruments have a branch in Ulmby in 1950?", "No, Vellmark Instruments had no branch in Ulmby in 1950.")
    # The answer adds nothing the question lacks; the question itself names what the chunk does not.
    assert verdict.novel == ["novel_question_term:Ulmby", "novel_question_term:1950"]


def test_a_capital_that_opens_a_sentence_is_not_a_name(checker):
    verdict = check(checker, "How many people did Vellmark Instruments employ by 1912?", "Approximately 1,250 people.")
    assert verdict.grounded, verdict.reasons


def test_a_number_of_the_chunk_in_the_wrong_place_is_misplaced(checker):
    verdict = check(checker, "How many people did Vellmark Instruments employ by 1912?", "300 people")
    assert verdict.reasons == ["misplaced_number:300"]
    off = GroundingChecker(GroundingConfig(novelty_window=None)).check(CHUNK, "How many people did Vellmark Instruments employ by 1912?", "300 people", [])
    assert off.grounded


def test_a_fact_in_the_next_sentence_is_in_place(checker):
    verdict = check(checker, "How much did the rebuilt Karsby works cost?", "4.5 million crowns")
    assert verdict.grounded, verdict.reasons
