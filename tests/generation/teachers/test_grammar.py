"""Our GBNF grammars: escaped right for any sentence, and (real) accepted by llama.cpp's own parser,
so a sentence with a quote or a backslash can no longer take the in-process teacher down."""

import json

import pytest

from generation.strategies import GenerationSettings
from generation.strategies.free_form import generate_pairs, quote_choices, reply_schema
from generation.teachers.grammar import GrammarError, gbnf_literal, json_literal, question_gbnf, schema_to_gbnf
from generation.teachers import TeacherError

HOSTILE = (
    'The 1973 embargo quadrupled the price of oil. It was called the "first oil shock" by many. '
    "The ministry kept its files under C:\\Archive\\1973 and \\\\server\\share on its network. "
    "Prices rose from $3 to $12 [a barrel] within a few months. "
    "“Curly quotes” and ‘single ones’ were printed in Le Monde that week. "
    "В Москве цены на бензин выросли вдвое за год. "
    "東京でも物価が大きく上がったと報じられた。"
)


def test_a_literal_escapes_quotes_backslashes_and_control_characters_once():
    assert gbnf_literal('say "hi"') == '"say \\"hi\\""'
    assert gbnf_literal("C:\\dir") == '"C:\\\\dir"'
    assert gbnf_literal("a\nb\tc\x01") == '"a\\nb\\tc\\x01"'
    assert gbnf_literal("Москва 東京 $[x]") == '"Москва 東京 $\\[x\\]"'


def test_a_json_value_is_escaped_twice_json_then_gbnf():
    # The JSON text of 'the "first oil shock"' is "the \"first oil shock\"" (with its quotes); as a GBNF
    # literal every quote and backslash of that text is escaped again. llama-cpp-python's converter
    # escaped once, which llama.cpp cannot parse.
    assert json_literal('the "first oil shock"') == '"\\"the \\\\\\"first oil shock\\\\\\"\\""'
    assert json_literal("C:\\x") == '"\\"C:\\\\\\\\x\\""'


def test_the_reply_schema_of_a_hostile_chunk_becomes_a_grammar_with_every_sentence():
    grammar = schema_to_gbnf(reply_schema(2, HOSTILE))
    assert grammar.startswith("root ::= ")
    for sentence in quote_choices(HOSTILE):
        assert json_literal(sentence) in grammar


def test_schemas_we_do_not_support_are_an_error_not_a_guess():
    with pytest.raises(GrammarError, match="pattern"):
        schema_to_gbnf({"type": "object", "properties": {"q": {"type": "string", "pattern": "^W"}}, "required": ["q"]})
    with pytest.raises(GrammarError, match="optional properties"):
        schema_to_gbnf({"type": "object", "properties": {"a": {"type": "string"}}, "required": []})


def test_a_question_grammar_opens_with_its_words_and_ends_with_a_question_mark():
    assert question_gbnf("How many stone arches").startswith('root ::= "How many stone arches " body "?"')


@pytest.fixture
def teacher(embedded_teacher):
    return embedded_teacher


NAMED_LIKE_BUILTINS = {
    "$defs": {"root": {"type": "string", "maxLength": 20}, "string": {"enum": ['say "no"', "C:\\x"]}},
    "type": "object",
    "properties": {"space": {"$ref": "#/$defs/root"}, "char": {"$ref": "#/$defs/string"}},
}


def test_definitions_named_like_the_builtin_rules_do_not_redefine_them():
    grammar = schema_to_gbnf(NAMED_LIKE_BUILTINS)
    names = [line.split(" ::= ")[0] for line in grammar.splitlines()]
    assert len(names) == len(set(names))  # one definition a rule
    assert names.count("root") == 1 and grammar.startswith("root ::= value\n")
    assert 'string ::= "\\"" char* "\\"" space' in grammar  # the JSON string rule, not the enum


@pytest.mark.real
def test_llama_cpp_accepts_our_grammars_for_hostile_text(teacher):
    teacher._checked_grammar(schema_to_gbnf(reply_schema(3, HOSTILE)))
    teacher._checked_grammar(question_gbnf('Who said "no"'))
    teacher._checked_grammar(schema_to_gbnf(NAMED_LIKE_BUILTINS))


@pytest.mark.real
def test_a_grammar_llama_cpp_cannot_parse_is_a_teacher_error_not_a_crash(teacher):
    broken = 'root ::= "\\"It was called the \\\\"first oil shock\\\\" by many.\\""\n'  # llama-cpp-python's own output
    with pytest.raises(TeacherError) as caught:
        teacher.complete([{"role": "user", "content": "Hi"}], grammar=broken, max_tokens=8)
    assert caught.value.kind == "bad_grammar"
    assert teacher.complete([{"role": "user", "content": "Say hi."}], max_tokens=4).text  # still alive


@pytest.mark.real
def test_free_form_generation_on_a_hostile_chunk_replies_with_its_own_sentences(teacher):
    settings = GenerationSettings(pairs_per_chunk=2, max_tokens=400, temperature=0.2)
    result = generate_pairs(teacher, HOSTILE, key="k", gen_sig="g", settings=settings)
    assert result.status in ("ok", "invalid_reply"), result.error
    if result.status == "ok":  # every quote decodes to exactly one of the chunk's sentences, backslashes and all
        choices = quote_choices(HOSTILE)
        assert all(q in choices for c in result.candidates for q in c.quotes)
        assert isinstance(json.loads(result.raw_reply)["pairs"], list)
    else:
        assert "max_tokens" in result.error
