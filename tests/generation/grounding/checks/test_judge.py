"""judge: the teacher's P(yes), against a fake teacher."""

from __future__ import annotations

import os

import pytest

from generation.grounding import GroundingChecker, GroundingConfig, Verdict, render_judge_prompt
from generation.teachers.base import Completion, TeacherError
from generation.teachers.fake import FakeTeacher, yes_no_completion
from tests.generation.grounding.support import CHUNK


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
