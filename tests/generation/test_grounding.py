"""The grounding checker: each signal and reason, the judge against a fake teacher, and the labelled
set of bench/grounding.py held at its floors (bench/grounding_floors.json)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from generation import records
from generation.grounding import GroundingChecker, GroundingConfig, Verdict, render_judge_prompt
from generation.teachers.base import Completion, TeacherError
from generation.teachers.fake import FakeTeacher, yes_no_completion

BENCH = Path(__file__).resolve().parents[2] / "bench"

CHUNK = """History of Vellmark Instruments

Vellmark Instruments was founded in 1889 by Harald Brenner in the town of Karsby. Before that,
Brenner had worked for twelve years as a clockmaker in Ostmoor.

By 1912 the company employed 1,250 people and made well-known barometers. In March 1921 a fire
destroyed the east wing of the Karsby works. The rebuilt works opened in 1923. It cost 4.5 million
crowns and employed 300 workers.

What did the barometers cost? A Vellmark barometer sold for 18 crowns in 1900.
"""


@pytest.fixture
def checker() -> GroundingChecker:
    return GroundingChecker(GroundingConfig())


def check(checker: GroundingChecker, question: str, answer: str, quotes: list[str] | None = None) -> Verdict:
    return checker.check(CHUNK, question, answer, quotes or [])


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
    ],
)
def test_good_forms_pass(checker, question, answer):
    verdict = check(checker, question, answer)
    assert verdict.grounded, verdict.reasons


# --- 4. judge ---------------------------------------------------------------------------------------

TRUE_PAIR = ("Who founded Vellmark Instruments?", "Harald Brenner", ["founded in 1889 by Harald Brenner"])


def judged(teacher: FakeTeacher, **settings) -> Verdict:
    return GroundingChecker(GroundingConfig(judge=True, **settings), teacher=teacher).check(CHUNK, *TRUE_PAIR)


def test_the_judge_needs_a_teacher():
    with pytest.raises(ValueError, match="teacher"):
        GroundingChecker(GroundingConfig(judge=True))


def test_judge_yes():
    teacher = FakeTeacher([yes_no_completion(0.9)])
    verdict = judged(teacher)
    assert verdict.grounded and verdict.judge == pytest.approx(0.9)
    [call] = teacher.history
    assert call["max_tokens"] == 1 and call["temperature"] == 0.0 and call["top_logprobs"] >= 5
    prompt = call["messages"][-1]["content"]
    after_chunk = prompt.index(CHUNK.strip()) + len(CHUNK.strip())
    assert prompt.index(CHUNK.strip()) < 10  # the chunk leads: llama.cpp's prompt cache serves the chunk's other pairs
    assert after_chunk < prompt.rindex(TRUE_PAIR[0]) < prompt.rindex(TRUE_PAIR[1])


def test_judge_no():
    verdict = judged(FakeTeacher([yes_no_completion(0.2)]))
    assert verdict.reasons == ["judge_no"] and verdict.judge == pytest.approx(0.2)
    assert verdict.score == pytest.approx(0.2)


def test_judge_threshold_is_a_setting():
    assert judged(FakeTeacher([yes_no_completion(0.6)]), judge_min=0.7).reasons == ["judge_no"]


def test_judge_failure_is_a_reason_not_a_crash():
    verdict = judged(FakeTeacher([TeacherError("server down", kind="unreachable")]))
    assert verdict.reasons == ["judge_failed"] and verdict.judge is None


@pytest.mark.parametrize(("text", "p", "reasons"), [("Yes.", 1.0, []), (" no", 0.0, ["judge_no"]), ("Maybe", None, ["judge_unclear"])])
def test_judge_without_logprobs_reads_the_reply(text, p, reasons):
    verdict = judged(FakeTeacher([Completion(text=text)]))
    assert verdict.judge == p and verdict.reasons == reasons
    if "notes" in Verdict.model_fields:
        assert verdict.notes == ["judge_from_text"]


def test_the_judge_is_not_asked_about_a_rejected_pair():
    teacher = FakeTeacher([yes_no_completion(0.9)])
    verdict = GroundingChecker(GroundingConfig(judge=True), teacher).check(CHUNK, "Who founded Vellmark Instruments?", "Osric Tallmark", [])
    assert "novel_name:Tallmark" in verdict.reasons and teacher.history == []


def test_every_pair_of_a_chunk_shares_the_prompt_prefix():
    first = render_judge_prompt("judge_v1", CHUNK, "Q1?", "A1")
    second = render_judge_prompt("judge_v1", CHUNK, "Another question?", "Another answer")
    assert len(os.path.commonprefix([first, second])) > len(CHUNK.strip())


def test_braces_in_the_chunk_are_left_alone():
    prompt = render_judge_prompt("judge_v1", "a {question} and {0} here", "Q?", "A")
    assert "a {question} and {0} here" in prompt and "Q?" in prompt


# --- config -----------------------------------------------------------------------------------------


# --- the teacher roundtrip ----------------------------------------------------------------------------


def roundtripped(teacher: FakeTeacher, pair=TRUE_PAIR) -> Verdict:
    return GroundingChecker(GroundingConfig(teacher_roundtrip=True), teacher=teacher).check(CHUNK, *pair)


def test_teacher_roundtrip_passes_when_the_teacher_picks_the_quoted_sentence():
    teacher = FakeTeacher(["2"])
    verdict = roundtripped(teacher)
    assert verdict.grounded and verdict.teacher_sentence == 2
    [call] = teacher.history
    prompt = call["messages"][-1]["content"]
    # every line of the chunk is a choice (a heading or a code line may be what answers), the chunk first
    assert prompt.index("[1] History of Vellmark Instruments") < prompt.index("[2] Vellmark Instruments was founded in 1889")
    assert prompt.index("[3] Before that, Brenner had worked for twelve years as a clockmaker in Ostmoor.") < prompt.index(TRUE_PAIR[0])
    sentences = prompt.count("\n[")
    assert call["grammar"] == "root ::= " + " | ".join(f'"{i}"' for i in range(sentences + 1)) + "\n"
    assert call["temperature"] == 0.0 and call["max_tokens"] <= 4


@pytest.mark.parametrize(
    "reply, reason, picked",
    [("3", "teacher_picked_other_sentence", 3), ("0", "teacher_found_no_answer", 0), ("99", "teacher_roundtrip_unclear", None),
     ("none", "teacher_roundtrip_unclear", None), (TeacherError("down", kind="connect"), "teacher_roundtrip_failed", None)],
)
def test_teacher_roundtrip_rejects_another_sentence_none_or_no_reply(reply, reason, picked):
    verdict = roundtripped(FakeTeacher([reply]))
    assert verdict.reasons == [reason] and verdict.teacher_sentence == picked


def test_teacher_roundtrip_is_not_asked_about_a_rejected_or_unquoted_pair():
    teacher = FakeTeacher([])
    assert not roundtripped(teacher, ("Who founded Vellmark Instruments?", "Olaf Brenner", ["founded in 1889 by Olaf Brenner"])).grounded
    assert roundtripped(teacher, ("Who founded Vellmark Instruments?", "Harald Brenner", [])).grounded
    assert teacher.calls == 0


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


# --- the labelled set -------------------------------------------------------------------------------

# Issue 4's targets with the judge off: no floor may sit below them.
TARGETS = {
    "true_accept": 0.95,
    "reject_other_chunk": 0.98,
    "reject_fabricated_quote": 0.98,
    "reject_changed_number": 0.90,
    "reject_changed_name": 0.90,
}


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_grounding", BENCH / "grounding.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_grounding", module)
    spec.loader.exec_module(module)
    return module


def test_the_labelled_set_is_deterministic():
    bench = load_bench()
    first = bench.labelled_set(seed=3, documents=3)
    assert first == bench.labelled_set(seed=3, documents=3)
    assert first != bench.labelled_set(seed=4, documents=3)
    assert {p.kind for p in first} == set(bench.KINDS)


def test_floors_are_not_below_the_targets():
    floors = json.loads((BENCH / "grounding_floors.json").read_text())["judge_off"]
    for name, target in TARGETS.items():
        assert floors[name] >= target, f"{name}: floor {floors[name]} is below issue 4's target {target}"


def test_the_labelled_set_holds_its_floors():
    bench = load_bench()
    measured, pairs, _, _ = bench.evaluate()
    assert len(pairs) > 5000
    problems = bench.below_floors(measured, bench.load_floors())
    assert not problems, "\n".join(problems)


def test_the_real_text_set_holds_its_floors():
    bench = load_bench()
    measured, pairs, _, _ = bench.evaluate_real()
    assert len(pairs) >= 300 and len({p.passage for p in pairs}) >= 30
    problems = bench.below_floors(measured, bench.load_floors(key="real_text"))
    assert not problems, "\n".join(problems)


def test_the_held_out_real_text_set_holds_its_floors():
    # Floors at its first measurement: a guard against losing ground, never a target to tune on it.
    bench = load_bench()
    measured, pairs, _, _ = bench.evaluate_real(holdout=True)
    assert len(pairs) >= 70
    problems = bench.below_floors(measured, bench.load_floors(key="real_text_holdout"))
    assert not problems, "\n".join(problems)


def test_the_real_text_set_is_well_formed():
    import sys

    sys.path.insert(0, str(BENCH))
    import realtext_data

    assert realtext_data.problems() == []
    assert realtext_data.problems(realtext_data.HOLDOUT_DIR) == []


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


# --- questions: novel terms, a given-away answer, the roundtrip (every strategy), fact-first form ---

VIADUCT = (
    "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above Millbrook. "
    "It was built in 1886 of local granite, and it has nine arches, each with a span of 11 metres. "
    "The deck is 28 metres above the river at its highest point."
)
DECK = "The deck is 28 metres above the river at its highest point."
BUILT = "It was built in 1886 of local granite, and it has nine arches, each with a span of 11 metres."


def fact_check(checker, question, sentence, target, title="The Cwm Llys viaduct", text=VIADUCT):
    return checker.check(text, question, sentence, [sentence], target=target, title=title)


def test_a_question_in_units_the_text_never_uses_is_rejected(checker):
    question = "How many feet above the river is the deck of the Cwm Llys viaduct?"
    verdict = checker.check(VIADUCT, question, "28 metres.", [DECK], title="The Cwm Llys viaduct")
    assert verdict.reasons == ["novel_question_term:feet"]
    metres = checker.check(VIADUCT, question.replace("feet", "metres"), "28 metres.", [DECK], title="The Cwm Llys viaduct")
    assert metres.grounded, metres.reasons


def test_a_question_naming_a_place_or_year_the_text_lacks_is_rejected(checker):
    verdict = checker.check(VIADUCT, "How high above the Severn was the deck in 1990?", "28 metres.", [DECK])
    assert {"novel_question_term:Severn", "novel_question_term:1990"} <= set(verdict.reasons)


def test_a_question_that_leads_to_another_sentence_than_its_quote_is_off_target(checker):
    # A grounded answer to a different question: the quote is real, but the question's words are elsewhere.
    verdict = checker.check(VIADUCT, "When was the Cwm Llys viaduct built of local granite?", "28 metres above the river.", [DECK])
    assert "off_target_question" in verdict.reasons and verdict.roundtrip < 0.5
    right = checker.check(VIADUCT, "How high is the deck of the Cwm Llys viaduct above the river?", "28 metres above the river.", [DECK], title="The Cwm Llys viaduct")
    assert right.grounded, right.reasons
    assert right.roundtrip == 1.0


# Real text (Wikipedia, "Danube" and "Tungsten", CC BY-SA 4.0), as in bench/realtext.
DANUBE_BASIN = (
    "Once a long-standing frontier of the Roman Empire, the river passes through or touches the borders of "
    "ten countries: Romania (29.0% of basin area), Hungary (11.6%), Serbia (10.2%), Austria (10.0%), "
    "Germany (7.5%), Slovakia (6.0%), Bulgaria (5.2%), Croatia (4.4%), Ukraine (3.8%), and Moldova (1.6%)."
)
TUNGSTEN = (
    "Tungsten is a chemical element. It was identified as a new element in 1781 and first isolated as a "
    "metal in 1783. Its important ores include scheelite and wolframite."
)


@pytest.mark.parametrize(
    "chunk, question, wrong, right",
    [
        (DANUBE_BASIN, "What share of the Danube basin lies in Austria?", ("10.2%", "Serbia (10.2%)"), ("10.0%", "Austria (10.0%)")),
        (TUNGSTEN, "When was tungsten identified as a new element?", ("1783", "first isolated as a metal in 1783"), ("1781", "identified as a new element in 1781")),
        (TUNGSTEN, "When was tungsten first isolated as a metal?", ("1781", "identified as a new element in 1781"), ("1783", "first isolated as a metal in 1783")),
    ],
)
def test_another_value_of_the_quoted_sentence_answers_another_question(checker, chunk, question, wrong, right):
    # A teacher's commonest grounded error: the quote is real and in the right sentence, but the value
    # it gives belongs to a neighbouring clause.
    title = chunk.split()[0] if chunk is TUNGSTEN else "Danube"
    verdict = checker.check(chunk, question, wrong[0], [wrong[1]], title=title)
    assert "off_target_answer" in verdict.reasons and verdict.span_roundtrip < 0.5
    verdict = checker.check(chunk, question, right[0], [right[1]], title=title)
    assert verdict.grounded, verdict.reasons


def test_a_value_listed_after_its_label_keeps_the_label(checker):
    # GDPR Art. 83(5) (EUR-Lex, reuse authorised): the label is two clauses before the articles.
    chunk = (
        "Infringements of the following provisions shall be subject to administrative fines up to 20 000 000 EUR: "
        "(a) the basic principles for processing, including conditions for consent, pursuant to Articles 5, 6, 7 and 9; "
        "(b) the data subjects' rights pursuant to Articles 12 to 22;"
    )
    right = checker.check(chunk, "Which articles hold the basic principles for processing?", "Articles 5, 6, 7 and 9.", ["pursuant to Articles 5, 6, 7 and 9"])
    assert right.grounded, right.reasons
    wrong = checker.check(chunk, "Which articles hold the basic principles for processing?", "Articles 12 to 22.", ["pursuant to Articles 12 to 22"])
    assert "off_target_answer" in wrong.reasons


@pytest.mark.parametrize(
    "chunk, question, answer, quote",
    [
        # numbers written as the text does not: words with a scale, halves, vulgar fractions, spaced thousands
        ("At its height the League encompassed nearly 200 settlements across seven modern-day countries.",
         "How many settlements did the League include?", "Nearly two hundred settlements.", "encompassed nearly 200 settlements"),
        ("Python 3.9 - 3.12 operate on a calendar with 1½ year of full support, followed by 3½ more years of security fixes.",
         "How much full support did Python 3.9 to 3.12 receive?", "One and a half years, then three and a half more years of security fixes.",
         "with 1½ year of full support, followed by 3½ more years of security fixes"),
        ("Infringements shall be subject to administrative fines up to 20 000 000 EUR, whichever is higher.",
         "What is the highest administrative fine for an infringement?", "Up to EUR 20 million.", "administrative fines up to 20 000 000 EUR"),
        # a unit written out where the text has its symbol
        ("The Danube then flows southeast for 2,872 km (1,785 mi) before emptying into the Black Sea.",
         "How many kilometres does the Danube flow before it reaches the Black Sea?", "2,872 kilometres.", "flows southeast for 2,872 km"),
        # a name the text gives as its adjective, an acronym's plural
        ("Heian-kyō was modelled after the Tang Dynasty Chinese capital of Chang'an (modern day Xi'an).",
         "Which city was Heian-kyō modelled on?", "Chang'an, the Tang capital of China.", "modelled after the Tang Dynasty Chinese capital of Chang'an"),
        ("The series of RFC 7230 to RFC 7235 was published in June 2014.",
         "Which RFCs were published in June 2014?", "RFC 7230 to RFC 7235.", "RFC 7230 to RFC 7235 was published in June 2014"),
        # a sentence wrapped in inline HTML is a sentence, not a heading
        ("<p>HTTP/1.1 was first published as RFC 2068 in January 1997.</p>\n\n<h2>More than 15 years of extensions</h2>",
         "When was HTTP/1.1 first published, and as which RFC?", "In January 1997, as RFC 2068.", "HTTP/1.1 was first published as RFC 2068 in January 1997."),
        # arithmetic a reader does at sight, a comparative of the text's superlative, a synonym, a modal
        ("Tardigrades are short and plump, with four pairs of legs.", "How many legs does a tardigrade have?", "Eight, in four pairs.", "with four pairs of legs"),
        ("The Danube is a river in Central Europe, the continent's second longest after the Volga.",
         "Which European river is longer than the Danube?", "The Volga.", "the continent's second longest after the Volga"),
        ("The list of all supported command-line options can be found by executing the installer with /?.",
         "How can you list the options the installer accepts?", "Run the installer with /?.", "found by executing the installer with /?"),
        ("Truncation of the secret SHALL NOT be performed.", "May a verifier truncate a memorized secret?",
         "No, truncation of the secret is not allowed.", "Truncation of the secret SHALL NOT be performed."),
        # an empty "it", a pronoun whose noun the question names, a list item "(a)"
        ("It is preferred, though, to wait 5 years before removal.", "How long is it preferred to wait before removal?", "Five years.", "to wait 5 years before removal"),
        ("The longest train service in the world is from Moscow to Pyongyang. This connection runs twice monthly.",
         "What is the longest train service in the world, and how often does it run?", "Moscow to Pyongyang, twice a month.",
         "The longest train service in the world is from Moscow to Pyongyang"),
        ("Fines apply to (a) the basic principles for processing, pursuant to Articles 5, 6, 7 and 9;",
         "Which articles hold the basic principles listed in point (a)?", "Articles 5, 6, 7 and 9.", "pursuant to Articles 5, 6, 7 and 9"),
    ],
)
def test_true_pairs_written_the_way_a_good_teacher_writes_them_pass(checker, chunk, question, answer, quote):
    verdict = checker.check(chunk, question, answer, [quote])
    assert verdict.grounded, verdict.reasons


def test_a_code_block_is_led_to_by_the_sentence_before_it(checker):
    # Docker docs (Apache-2.0): the question's words are in the sentence that introduces the command.
    chunk = (
        "The following command starts a Redis container and configures it to always restart.\n\n"
        "```console\n$ docker run -d --restart unless-stopped redis\n```\n\n"
        "The following command ensures all running containers restart.\n\n"
        "```console\n$ docker update --restart unless-stopped $(docker ps -q)\n```"
    )
    verdict = checker.check(
        chunk, "How can you make every running container restart automatically?",
        "Run docker update --restart unless-stopped $(docker ps -q).", ["$ docker update --restart unless-stopped $(docker ps -q)"],
        title="Start containers automatically",
    )
    assert verdict.grounded, verdict.reasons


def test_a_value_only_a_heading_states_is_about_its_section(checker):
    # NASA's Mars fact sheet: "Earth" is only in the table's heading.
    chunk = "Mars/Earth Comparison\n\nBulk parameters\n\nMass (1024 kg) 0.64169 5.9722 0.107\nEscape velocity (km/s) 5.03 11.19 0.450"
    verdict = checker.check(chunk, "What is the escape velocity of Mars?", "5.03 km/s, against 11.19 km/s for Earth.", ["Escape velocity (km/s) 5.03 11.19 0.450"])
    assert verdict.grounded, verdict.reasons


def test_a_quote_that_drops_a_negation_is_not_found(checker):
    # git-config(1): the quote's letters are close, its meaning the opposite.
    chunk = "core.looseCompression: An integer -1..9, indicating the compression level for objects that are not in a pack file."
    verdict = checker.check(chunk, "Which objects does core.looseCompression apply to?", "Objects stored in pack files.",
                            ["indicating the compression level for objects that are stored in a pack file"])
    assert "quote_not_found" in verdict.reasons


def test_a_changed_identifier_is_a_changed_fact(checker):
    # The Python tutorial: "python3" changed to "python2" in the answer and its quote.
    chunk = "To create a virtual environment, decide upon a directory and run the venv module as a script:\n\n    python3 -m venv tutorial-env"
    verdict = checker.check(chunk, "What command creates the tutorial environment?", "python2 -m venv tutorial-env", ["python2 -m venv tutorial-env"])
    assert "quote_not_found" in verdict.reasons and "novel_id:python2" in verdict.reasons
    right = checker.check(chunk, "What command creates the tutorial environment?", "python3 -m venv tutorial-env", ["python3 -m venv tutorial-env"])
    assert right.grounded, right.reasons


@pytest.mark.parametrize(
    "chunk, question, answer, quotes",
    [
        ("Release 2.4.1 pairs the client with the server. It shipped in May.", "When did release 2.4.1 ship?", "In May.", ["It shipped in May."]),
        ("Release 2.4.1 ships today.", "Which release ships today?", "3.0.1 million", []),
        ("½¼ and a half of the fleet.", "How much of the fleet?", "½¼ and a half", []),
    ],
)
def test_a_version_number_before_a_scale_word_is_not_a_crash(checker, chunk, question, answer, quotes):
    checker.check(chunk, question, answer, quotes)  # Decimal cannot read "2.4.1": it must not be asked to


def test_lookalike_names_and_identifiers_are_other_facts(checker):
    chips = "The laptop uses the Apple M2 chip, and backups are stored in Amazon S3 every night."
    assert "novel_name:M3" in checker.check(chips, "Which chip does the laptop use?", "The Apple M3 chip", ["uses the Apple M2 chip"]).reasons
    assert "novel_name:S2" in checker.check(chips, "Where are backups stored?", "In Amazon S2", []).reasons
    founder = "The company was founded in 1921 by Robert Hale in Leeds."
    assert "novel_name:Roberta" in checker.check(founder, "Who founded the company in 1921?", "Roberta Hale", []).reasons


def test_numbers_in_a_row_stay_numbers_of_their_own(checker):
    chunk = "The server listens on ports 80 443 and 8443 by default."
    verdict = checker.check(chunk, "Which ports does the server listen on by default?", "80 and 443", ["ports 80 443 and 8443"])
    assert verdict.grounded, verdict.reasons


def test_a_scale_word_does_not_hide_a_changed_number(checker):
    chunk = "Infringements shall be subject to administrative fines up to 20 000 000 EUR, whichever is higher."
    verdict = checker.check(chunk, "What is the highest administrative fine?", "Up to EUR 30 million.", ["fines up to 20 000 000 EUR"])
    assert "quote_not_supporting" in verdict.reasons and "novel_number:30000000" in verdict.reasons


def test_a_name_that_only_starts_like_one_in_the_text_is_novel(checker):
    verdict = checker.check(TUNGSTEN, "Who first isolated tungsten as a metal?", "Johnston, in 1783.", ["first isolated as a metal in 1783"])
    assert "novel_name:Johnston" in verdict.reasons


def test_fact_first_true_questions_pass(checker):
    for question, sentence, target in [
        ("When was the Cwm Llys viaduct built?", BUILT, "1886"),
        ("How many arches does the Cwm Llys viaduct have?", BUILT, "nine"),
        ("How many metres above the river is the deck of the Cwm Llys viaduct?", DECK, "28"),
    ]:
        verdict = fact_check(checker, question, sentence, target)
        assert verdict.grounded, (question, verdict.reasons)


def test_a_question_that_gives_its_answer_away_is_rejected(checker):
    assert "question_gives_answer" in fact_check(checker, "When was the Cwm Llys viaduct built in 1886?", BUILT, "1886").reasons
    assert "question_gives_answer" in fact_check(checker, "How many arches, nine, does the Cwm Llys viaduct have?", BUILT, "nine").reasons


def test_a_fact_first_question_with_words_the_fact_lacks_is_rejected(checker):
    verdict = fact_check(checker, "What is the telephone number of the Cwm Llys viaduct?", BUILT, "1886")
    assert "novel_question_term:telephone" in verdict.reasons


def test_a_fact_first_question_that_names_nothing_is_rejected(checker):
    assert "unnamed_subject" in fact_check(checker, "How many arches does it have?", BUILT, "nine").reasons


def test_a_fact_first_question_about_another_clause_is_off_target(checker):
    # "nine" is in "... and it has nine arches"; this asks about the granite clause.
    verdict = fact_check(checker, "How many arches of local granite were built in the Cwm Llys viaduct?", BUILT, "nine")
    assert "off_target_question" in verdict.reasons


def test_a_fact_first_question_must_name_what_its_number_measures(checker):
    text = (
        "Dunmore station is next to the old quarry, where a marked walk of 3 kilometres leads past the slate tips "
        "to the quarry museum. Dogs are welcome on all trains for a fare of 2 pounds."
    )
    walk, dogs = text.split(". ")[0] + ".", text.split(". ")[1]
    title = "Visiting the Harrow Valley Railway"

    def verdict(question, sentence, target):
        return fact_check(checker, question, sentence, target, title=title, text=text)

    # A small model's questions about the railway, not about the walk or the fare.
    assert "off_target_question" in verdict("How many kilometres does the Harrow Valley Railway visit Dunmore station?", walk, "3").reasons
    assert "off_target_question" in verdict("How much does the Harrow Valley Railway give dogs on trains?", dogs, "2 pounds").reasons
    right = verdict("How many kilometres long is the marked walk from Dunmore station?", walk, "3")
    assert right.grounded, right.reasons
    fare = verdict("How much is the fare for dogs on the Harrow Valley Railway?", dogs, "2 pounds")
    assert fare.grounded, fare.reasons


def test_a_fact_first_question_must_name_its_clauses_subject_not_only_the_documents(checker):
    text = (
        "The Cob took 4 years to complete, but only a year later partial rebuilding was required. "
        "The Ffestiniog Railway, the oldest independent railway in the world, was incorporated by Act of Parliament in 1832."
    )
    cob, act = text.split(". ")[0] + ".", text.split(". ")[1]
    title = "The Ffestiniog Railway"

    def verdict(question, sentence, target):
        return fact_check(checker, question, sentence, target, title=title, text=text)

    # A small model puts the document's subject where the clause has another one.
    assert "off_target_question" in verdict("How many years does the Ffestiniog Railway take to complete?", cob, "4").reasons
    assert "off_target_question" in verdict("When was Act of Parliament incorporated?", act, "1832").reasons
    for question, sentence, target in [
        ("How many years did the Cob take to complete?", cob, "4"),
        ("When was the Ffestiniog Railway incorporated by Act of Parliament?", act, "1832"),
    ]:
        right = verdict(question, sentence, target)
        assert right.grounded, (question, right.reasons)
