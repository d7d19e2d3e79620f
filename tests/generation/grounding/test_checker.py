"""The checker as a whole: its surface, its settings and signature, any text gets a verdict, a fault of its own is a reason."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from generation import records
from generation.grounding import GroundingChecker, GroundingConfig, Verdict
from tests.generation.grounding.support import CHUNK, check

TRUE_PAIR = ("Who founded Vellmark Instruments?", "Harald Brenner", ["founded in 1889 by Harald Brenner"])


# --- the surface ------------------------------------------------------------------------------------


def test_a_true_pair_is_grounded_with_its_provenance(checker):
    verdict = check(checker, "In which year was Vellmark Instruments founded?", "It was founded in 1889.", ["Vellmark Instruments was founded in 1889"])
    assert isinstance(verdict, records.Verdict)
    assert verdict.grounded and verdict.reasons == []
    assert 0.0 <= verdict.score <= 1.0 and verdict.score == 1.0
    [span] = verdict.quotes
    assert CHUNK[span.start : span.end] == "Vellmark Instruments was founded in 1889"
    assert span.score == 100.0 and verdict.support == 1.0 and not verdict.no_quote


def test_verdict_is_the_records_model():
    assert Verdict is records.Verdict


def test_quotes_may_be_empty_or_none(checker):
    for quotes in ([], None, ["", "  "]):
        verdict = checker.check(CHUNK, "Who founded Vellmark Instruments?", "Harald Brenner", quotes)
        assert verdict.grounded and verdict.no_quote and verdict.quotes == []


def test_require_quotes_rejects_a_pair_without_one():
    verdict = GroundingChecker(GroundingConfig(require_quotes=True)).check(CHUNK, "Who founded Vellmark Instruments?", "Harald Brenner", [])
    assert verdict.reasons == ["no_quote"]


# --- config -----------------------------------------------------------------------------------------


def test_teacher_roundtrip_settings_change_the_signature_and_need_a_teacher():
    with pytest.raises(ValueError, match="teacher roundtrip"):
        GroundingChecker(GroundingConfig(teacher_roundtrip=True))
    assert GroundingConfig(teacher_roundtrip=True).signature() != GroundingConfig().signature()
    with pytest.raises(ValidationError, match="roundtrip_v1"):
        GroundingConfig(teacher_roundtrip=True, teacher_roundtrip_prompt="roundtrip_v9")


def test_config_forbids_unknown_keys_and_checks_ranges():
    with pytest.raises(ValidationError):
        GroundingConfig(quote_min=90)
    with pytest.raises(ValidationError):
        GroundingConfig(support_min=1.5)
    with pytest.raises(ValidationError, match="judge_prompt"):
        GroundingConfig(judge_prompt="judge_v99")


def test_signature_follows_every_setting():
    base = GroundingConfig().signature()
    assert base == GroundingConfig().signature() and len(base) == 16
    changed = {
        GroundingConfig(quote_min_score=90).signature(),
        GroundingConfig(support_min=0.7).signature(),
        GroundingConfig(judge=True).signature(),
        GroundingConfig(checks=("quote", "form")).signature(),
        GroundingConfig(novelty_window=None).signature(),
    }
    assert base not in changed and len(changed) == 5


def test_checks_can_be_switched_off():
    only_form = GroundingChecker(GroundingConfig(checks=("form",)))
    verdict = only_form.check(CHUNK, "Who founded Vellmark Instruments?", "Osric Tallmark", ["not in the chunk at all"])
    assert verdict.grounded and verdict.support is None and verdict.quotes == []


@settings(max_examples=200, deadline=None)
@given(question=st.text(max_size=80), answer=st.text(max_size=80), quotes=st.lists(st.text(max_size=60), max_size=3))
def test_any_text_gets_a_verdict(question, answer, quotes):
    verdict = GroundingChecker().check(CHUNK, question, answer, quotes)
    assert "checker_error" not in verdict.reasons, verdict.notes
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.grounded == (verdict.reasons == [])
    for span in verdict.quotes:
        assert span.start is None or 0 <= span.start < span.end <= len(CHUNK)


@given(st.text(max_size=300), st.text(max_size=60), st.text(max_size=60), st.lists(st.text(max_size=60), max_size=2))
@settings(max_examples=300, deadline=None)
def test_any_chunk_gets_a_verdict_without_a_checker_error(chunk, question, answer, quotes):
    verdict = GroundingChecker().check(chunk, question, answer, quotes)
    assert "checker_error" not in verdict.reasons, verdict.notes


def test_a_fault_of_the_checker_rejects_the_pair_and_the_run_goes_on(monkeypatch, caplog):
    from generation.grounding.checks import quote

    def broken(*args, **kwargs):
        raise ArithmeticError("a bug met on some text")

    monkeypatch.setattr(quote, "_quote_support", broken)
    verdict = GroundingChecker().check(CHUNK, *TRUE_PAIR)
    assert verdict.reasons == ["checker_error"] and not verdict.grounded
    assert "ArithmeticError: a bug met on some text" in verdict.notes[0]
    assert "grounding checker failed" in caplog.text


def test_non_ascii_chunks_keep_their_offsets():
    chunk = "Der Bäcker Jürgen Groß eröffnete 1901 die Bäckerei „Zum Stern“ in Köln."
    verdict = GroundingChecker().check(chunk, "Wann eröffnete Jürgen Groß die Bäckerei?", "1901", ["jürgen  gross eröffnete 1901"])
    [span] = verdict.quotes
    assert chunk[span.start : span.end] == "Jürgen Groß eröffnete 1901"
