"""teacher_roundtrip: the teacher picks the sentence that answers."""

from __future__ import annotations


import pytest

from generation.grounding import GroundingChecker, GroundingConfig, Verdict
from generation.teachers.base import TeacherError
from generation.teachers.fake import FakeTeacher
from tests.generation.grounding.support import CHUNK

TRUE_PAIR = ("Who founded Vellmark Instruments?", "Harald Brenner", ["founded in 1889 by Harald Brenner"])


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
