import json

from generation.strategies import GenerationSettings
from generation.strategies.free_form import generate_pairs, reply_schema
from generation.teachers import Completion, FakeTeacher, TeacherError

CHUNK = "The Cwm Llys viaduct has nine arches. It was built in 1886 of local granite."
GOOD = json.dumps({"pairs": [{"question": "How many arches does the Cwm Llys viaduct have?", "answer": "Nine.", "quotes": ["The Cwm Llys viaduct has nine arches."]}]})


def run(teacher, n=1):
    return generate_pairs(teacher, CHUNK, key="k", gen_sig="g", settings=GenerationSettings(pairs_per_chunk=n))


def test_a_valid_reply_becomes_candidates_with_stable_ids():
    teacher = FakeTeacher([GOOD, GOOD])
    first, second = run(teacher), run(teacher)
    assert first.status == "ok"
    assert first.candidates[0].question == "How many arches does the Cwm Llys viaduct have?"
    assert first.candidates[0].quotes == ["The Cwm Llys viaduct has nine arches."]
    assert first.candidates[0].pair_id == second.candidates[0].pair_id
    call = teacher.history[0]
    assert call["json_schema"] == reply_schema(1, CHUNK)
    assert CHUNK in call["messages"][-1]["content"]


def test_every_string_in_the_schema_is_bounded_so_the_grammar_closes_it():
    schema = reply_schema(3)
    pair = schema["$defs"]["QAPair"]["properties"]
    assert pair["question"]["maxLength"] and pair["answer"]["maxLength"] and pair["quotes"]["items"]["maxLength"]
    assert schema["properties"]["pairs"]["maxItems"] == 3
    assert list(pair) == ["quotes", "question", "answer"]  # evidence first: generated in this order


def test_quotes_are_constrained_to_the_chunks_own_sentences():
    text = "# Cwm Llys\n\n" + CHUNK + " Short one. " + "A very long clause, " * 30 + "the end."
    choices = reply_schema(2, text)["$defs"]["QAPair"]["properties"]["quotes"]["items"]["enum"]
    assert "The Cwm Llys viaduct has nine arches." in choices
    assert "It was built in 1886 of local granite." in choices
    assert all(c in text and len(c) <= 300 for c in choices)
    assert "Short one." not in choices  # too short to support anything
    wrapped = "The railway runs 14 kilometres from Millbrook to the\nquarry village of Dunmore. It opened in 1887.\n\n- First item of a list\n- Second item of a list"
    choices = reply_schema(2, wrapped)["$defs"]["QAPair"]["properties"]["quotes"]["items"]["enum"]
    assert choices == [
        "The railway runs 14 kilometres from Millbrook to the quarry village of Dunmore.",
        "It opened in 1887.",
        "- First item of a list",
        "- Second item of a list",
    ]
    assert "maxLength" in reply_schema(2, "no sentence")["$defs"]["QAPair"]["properties"]["quotes"]["items"]


def test_an_invalid_reply_is_retried_once_with_the_error_in_the_prompt():
    teacher = FakeTeacher(['{"pairs": [{"question": "Q?"}]}', GOOD])
    result = run(teacher)
    assert result.status == "ok" and result.calls == 2
    retry = teacher.history[1]["messages"]
    assert retry[-1]["role"] == "user" and "not valid" in retry[-1]["content"] and "answer" in retry[-1]["content"]


def test_two_invalid_replies_are_a_counted_rejection_not_a_silent_drop():
    teacher = FakeTeacher(["", Completion(text='{"pairs": [{"question": "cut', finish_reason="length")])
    result = run(teacher)
    assert result.status == "invalid_reply" and result.candidates == []
    assert "cut off at max_tokens" in result.error
    assert result.raw_reply.startswith('{"pairs"')


def test_too_many_pairs_is_invalid():
    three = json.dumps({"pairs": [json.loads(GOOD)["pairs"][0]] * 3})
    result = run(FakeTeacher([three, three]), n=2)
    assert result.status == "invalid_reply" and "pairs" in result.error


def test_a_teacher_error_is_reported_not_stored():
    result = run(FakeTeacher([TeacherError("server gone", kind="unreachable")]))
    assert result.status == "teacher_error" and "unreachable" in result.error
