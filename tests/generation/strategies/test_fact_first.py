"""The fact-first strategy: one question per fact, written under a grammar; the fact sentence is the
answer. Fake-teacher tests for the calls and the run; `real` ones with the embedded SmolLM2-135M."""

import json
import re

import pytest

from generation.config import load_corpus
from generation.strategies.fact_first import QUESTION_MAX_TOKENS, WRITTEN_BY_CODE, generate_fact_pairs, read_question
from generation.strategies import GenerationSettings
from generation.grounding import GroundingChecker
from generation.pipeline.run import Run
from generation.teachers import FakeTeacher

TEXT = (
    "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above Millbrook. "
    "It was built in 1886 of local granite, and it rests on nine arches, each with a span of 11 metres."
)
TITLE = "The Cwm Llys viaduct"
GOOD = {
    "1886": "When was the Cwm Llys viaduct built?",
    "nine": "How many arches does the Cwm Llys viaduct rest on?",
    "6": "How many kilometres above Millbrook does the Cwm Llys viaduct lie?",
}


def writer(messages):
    """A teacher that asks the right question for each fact it is shown."""
    answer = re.search(r"Answer: (.+)$", messages[-1]["content"]).group(1)
    return GOOD.get(answer, "What is this about?")


def settings(**kw):
    return GenerationSettings(strategy="fact_first", **kw)


def test_one_grammar_constrained_call_per_fact_and_the_sentence_is_the_answer():
    teacher = FakeTeacher(default=writer)
    checker = GroundingChecker()
    result = generate_fact_pairs(
        teacher, TEXT, key="k", gen_sig="g", settings=settings(), title=TITLE,
        accept=lambda c: checker.check(TEXT, c.question, c.answer, c.quotes, target=c.target, title=TITLE).grounded,
    )
    assert result.status == "ok" and result.calls == 2  # the date of a plain passive sentence: code writes its question
    by_target = {c.target: c for c in result.candidates}
    assert set(by_target) == {"6", "1886", "nine"}
    built = by_target["1886"]
    assert built.question == "When was the Cwm Llys viaduct built?" and built.teacher_id == WRITTEN_BY_CODE
    arches = by_target["nine"]
    # "It" is named in the published answer, and the sentence that names it is quoted too
    assert arches.answer == "The Cwm Llys viaduct was built in 1886 of local granite, and it rests on nine arches, each with a span of 11 metres."
    assert arches.quotes == [
        "It was built in 1886 of local granite, and it rests on nine arches, each with a span of 11 metres.",
        "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above Millbrook.",
    ]
    assert all(checker.check(TEXT, c.question, c.answer, c.quotes, target=c.target, title=TITLE).grounded for c in by_target.values())
    calls = teacher.history
    assert all(call["max_tokens"] == QUESTION_MAX_TOKENS and call["json_schema"] is None for call in calls)
    assert [c["grammar"].split("\n")[0] for c in calls] == ['root ::= "How many kilometres " body "?"', 'root ::= "How many arches " body "?"']


def test_a_sentence_whose_it_the_text_before_does_not_name_gets_no_question():
    teacher = FakeTeacher(default=writer)
    result = generate_fact_pairs(teacher, "It was built in 1886 of local granite and is 28 metres high.", key="k", gen_sig="g", settings=settings(), title=TITLE)
    assert result.candidates == [] and teacher.history == []


def test_the_fixed_examples_lead_every_prompt_so_llama_cpp_reuses_them():
    teacher = FakeTeacher(default=writer)
    generate_fact_pairs(teacher, TEXT, key="k", gen_sig="g", settings=settings(), title=TITLE)
    prompts = [call["messages"] for call in teacher.history]
    assert all(p[:-1] == prompts[0][:-1] for p in prompts)  # only the last message varies
    assert prompts[0][-1]["content"].startswith(f"Topic: {TITLE}\nFact: ")


def test_a_fact_gets_more_tries_until_one_passes_and_every_try_is_kept():
    teacher = FakeTeacher(["How many arches?", "How many arches does the railway have?", GOOD["nine"]], default=writer)
    checker = GroundingChecker()
    text = "The Cwm Llys viaduct is made of local granite, and it rests on nine arches, each with a span of 11 metres."
    result = generate_fact_pairs(
        teacher, text, key="k", gen_sig="g", settings=settings(facts_per_chunk=1, candidates_per_fact=3), title=TITLE,
        accept=lambda c: checker.check(text, c.question, c.answer, c.quotes, target=c.target, title=TITLE).grounded,
    )
    assert [c.question for c in result.candidates] == ["How many arches?", "How many arches does the railway have?", GOOD["nine"]]
    assert [c["temperature"] for c in teacher.history][0] == 0.0 and teacher.history[1]["temperature"] > 0
    assert [c["seed"] for c in teacher.history] == [0, 1, 2]


def test_a_reply_that_ignored_the_grammar_is_cut_to_its_question():
    assert read_question('"When was it built?" It was built in 1886.\nMore text') == "When was it built?"


def corpus(tmp_path, toml=""):
    (tmp_path / "viaduct.md").write_text(f"# {TITLE}\n\n{TEXT}\n")
    (tmp_path / "corpus.toml").write_text(toml)
    return load_corpus(tmp_path)


def test_a_run_with_fact_first_publishes_the_facts_and_says_how_much_it_covers(tmp_path):
    teacher = FakeTeacher(default=writer)
    outcome = Run(corpus(tmp_path, '[generation]\nstrategy = "fact_first"\n'), teacher=teacher).run()
    assert outcome.exit_code == 0
    m = outcome.manifest
    assert m["strategy"] == "fact_first" and m["pairs"]["published"] == 3
    assert m["coverage"] == {"facts": 2, "covered": 2, "share": 1.0}  # facts are sentences: both have a pair
    pairs = [json.loads(line) for line in (tmp_path / "out" / "pairs.jsonl").read_text().splitlines()]
    assert {p["question"] for p in pairs} == set(GOOD.values())
    text = (tmp_path / "viaduct.md").read_text()
    assert all(q.rstrip(".") in text[p["char_start"] : p["char_end"]] for p in pairs for q in p["quotes"])  # the span holds what it quotes
    assert {p["answer"] for p in pairs} == {  # the text's own sentences, "It" named by the sentence before
        "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above Millbrook.",
        "The Cwm Llys viaduct was built in 1886 of local granite, and it rests on nine arches, each with a span of 11 metres.",
    }
    report = (tmp_path / "out" / "report.md").read_text()
    assert "coverage: 2 of 2 facts have a published pair (100%" in report
    again = Run(corpus(tmp_path, '[generation]\nstrategy = "fact_first"\n'), teacher=teacher).run()
    assert again.manifest["teacher"]["calls"] == 0 and again.manifest["pairs"]["published"] == 3


def test_a_question_that_gives_its_answer_away_is_rejected_and_reported(tmp_path):
    teacher = FakeTeacher(default=lambda m: "How many arches, nine, does the Cwm Llys viaduct rest on?")
    outcome = Run(corpus(tmp_path, '[generation]\nstrategy = "fact_first"\ncandidates_per_fact = 1\n'), teacher=teacher).run()
    assert outcome.manifest["rejections"]["question_gives_answer"] >= 1
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert any("question_gives_answer" in r["reasons"] for r in rejected)


def test_the_strategy_is_fact_first_for_the_embedded_teacher_and_free_form_for_your_own(tmp_path):
    assert Run(corpus(tmp_path)).settings.strategy == "fact_first"  # no model, no server: the embedded one
    assert Run(corpus(tmp_path), teacher=FakeTeacher()).settings.strategy == "free_form"
    (tmp_path / "corpus.toml").write_text('[teacher]\nurls = ["http://127.0.0.1:9"]\n')
    assert Run(load_corpus(tmp_path)).settings.strategy == "free_form"
    (tmp_path / "corpus.toml").write_text('[teacher]\nurls = ["http://127.0.0.1:9"]\n[generation]\nstrategy = "fact_first"\n')
    assert Run(load_corpus(tmp_path)).settings.strategy == "fact_first"


def test_auto_picks_fact_first_for_a_small_served_model_and_says_why(tmp_path):
    from tests.generation.teachers.test_http import FakeServer

    small, large = FakeServer(model_id="/m/SmolLM2-135M-Instruct.Q4_1.gguf"), FakeServer(meta={"n_params": 8_030_261_248}, props={})
    try:
        for server, strategy, why in ((small, "fact_first", "135M parameters"), (large, "free_form", "8.0B parameters")):
            (tmp_path / "corpus.toml").write_text(f'[teacher]\nurls = ["{server.url}"]\n')
            run = Run(corpus(tmp_path, (tmp_path / "corpus.toml").read_text()))
            run.generation_signature()
            assert run.state.settings.strategy == strategy and why in run.state.strategy_reason
    finally:
        small.close()
        large.close()


def test_the_strategy_is_part_of_the_generation_signature():
    from generation.strategies import strategy_for

    def signature(**settings) -> str:
        return strategy_for(GenerationSettings(**settings)).signature("t")

    assert signature(strategy="free_form") != signature(strategy="fact_first")
    assert signature(strategy="fact_first") != signature(strategy="fact_first", candidates_per_fact=1)


@pytest.mark.real
def test_the_embedded_teacher_publishes_grounded_pairs_from_a_small_text(tmp_path):
    """The no-set-up path: the embedded model, fact-first, on a page of the example corpus."""
    from pathlib import Path

    history = Path(__file__).resolve().parents[3] / "corpora" / "example" / "docs" / "history.md"
    (tmp_path / "history.md").write_text(history.read_text())
    outcome = Run(load_corpus(tmp_path)).run()  # a plain folder: defaults, embedded teacher
    m = outcome.manifest
    assert outcome.exit_code == 0 and m["strategy"] == "fact_first"
    assert m["pairs"]["published"] >= 4, m  # 5 since the embedded teacher is no longer asked for counts (6cbfd84)
    pairs = [json.loads(line) for line in (tmp_path / ".groundqa" / "out" / "pairs.jsonl").read_text().splitlines()]
    flat = " ".join(history.read_text().split())
    assert all(q in flat for p in pairs for q in p["quotes"]) and all(p["question"].endswith("?") for p in pairs)
    # the answer is the quoted sentence, or that sentence with its opening pronoun named ("It was ..." -> "The line was ...")
    assert all(p["answer"] in flat or p["answer"].endswith(p["quotes"][0].split(" ", 1)[1]) for p in pairs)
    assert m["teacher"]["cached_prompt_tokens"] > m["teacher"]["prompt_tokens"] / 2  # the few-shot prefix is reused


def test_coverage_counts_the_sentences_a_pair_quotes_not_those_between():
    from generation.outputs.coverage import coverage
    from generation.records import Pair
    from generation.outputs.report import render_report
    from generation.pipeline.store import StoredChunk

    text = "The line opened in 1887 to carry slate. The viaduct was built in 1886 of granite. The society was founded in 1962 by volunteers."
    first, last = "The line opened in 1887 to carry slate.", "The society was founded in 1962 by volunteers."
    chunk = StoredChunk("c1", "history.md", text, 30, 0, len(text), "[]")
    german = "Die Spurweite der Bahn betrug 785 mm, und sie wurde am 24. März 1851 eröffnet."
    other = StoredChunk("c2", "geschichte.md", german, 20, 0, len(german), "[]")
    pair = Pair(
        pair_id="p", question="When did the line open, and when was the society founded?", answer="In 1887 and in 1962.",
        quotes=[first, last], source_id="history.md", chunk_id="c1", char_start=0, char_end=len(text), context=text,
        teacher_id="t", score=1.0,
    )
    per_source = coverage([chunk, other], [pair], {})
    assert per_source == {"history.md": (3, 2), "geschichte.md": (0, 0)}  # the 1886 sentence between is not taught
    report = render_report("c", [pair], [], per_source)
    assert "1 source has no fact: no English sentence" in report and "| geschichte.md | 0 | 0 | 0% |" in report


def test_with_no_limit_set_a_chunk_is_asked_at_most_the_default_number_of_facts():
    from generation.text.facts import MAX_FACTS_PER_CHUNK

    # "developed": develop or develope? code leaves the question to the teacher (a past tense it can be sure of, it asks itself)
    text = " ".join(f"Station number {n} developed in {1850 + n} with {n + 2} platforms for the town." for n in range(1, 31))
    teacher = FakeTeacher(default=lambda m: "When did the station open?")
    result = generate_fact_pairs(teacher, text, key="k", gen_sig="g", settings=settings(candidates_per_fact=1), title="Stations")
    assert result.calls == MAX_FACTS_PER_CHUNK


def test_a_sentence_with_a_link_is_published_with_the_links_text(tmp_path):
    (tmp_path / "viaduct.md").write_text(
        f"# {TITLE}\n\nThe Cwm Llys viaduct was built in 1886 of local granite by "
        "[the Harrow Valley company](https://example.org/harrow/1923), and it rests on nine arches.\n"
    )
    (tmp_path / "corpus.toml").write_text('[generation]\nstrategy = "fact_first"\n')
    outcome = Run(load_corpus(tmp_path), teacher=FakeTeacher(default=writer)).run()
    assert outcome.exit_code == 0 and outcome.manifest["pairs"]["published"] == 2
    pairs = [json.loads(line) for line in (tmp_path / "out" / "pairs.jsonl").read_text().splitlines()]
    assert {p["answer"] for p in pairs} == {
        "The Cwm Llys viaduct was built in 1886 of local granite by the Harrow Valley company, and it rests on nine arches."
    }


def test_the_reject_rate_of_fact_first_counts_facts_not_tries(tmp_path):
    # Every fact the teacher is asked passes on its third try: 4 of 6 questions rejected, no fact left without
    # a pair (the date of "It was built in 1886" gets its question from code, not the teacher).
    tries: dict[str, int] = {}

    def third_time_lucky(messages):
        answer = re.search(r"Answer: (.+)$", messages[-1]["content"]).group(1)
        tries[answer] = tries.get(answer, 0) + 1
        return GOOD[answer] if tries[answer] == 3 else "What is this about?"

    toml = '[generation]\nstrategy = "fact_first"\n[grounding]\nmax_reject_rate = 0.5\n'
    outcome = Run(corpus(tmp_path, toml), teacher=FakeTeacher(default=third_time_lucky)).run()
    m = outcome.manifest
    assert m["pairs"]["rejected"] == 4 and m["pairs"]["published"] == 3
    assert outcome.exit_code == 0 and not m["failures"]


def test_an_unchanged_night_counts_coverage_and_duplicates_from_what_the_store_kept(tmp_path, monkeypatch):
    """Selecting every chunk's facts again and rebuilding the dedup index were most of an unchanged night's CPU
    (docs/scale.md)."""
    import generation.pipeline.assemble as assemble

    teacher = FakeTeacher(default=writer)
    first = Run(corpus(tmp_path, '[generation]\nstrategy = "fact_first"\n'), teacher=teacher).run()

    def no_selection(text, title):
        raise AssertionError("facts selected again for an unchanged chunk")

    def no_index(self, *args):
        raise AssertionError("the dedup index rebuilt for the same grounded pairs")

    monkeypatch.setattr(assemble, "chunk_facts", no_selection)
    monkeypatch.setattr(assemble.Deduper, "add", no_index)  # nor are the same pairs deduplicated again
    again = Run(corpus(tmp_path, '[generation]\nstrategy = "fact_first"\n'), teacher=teacher).run()
    assert again.exit_code == 0 and again.manifest["coverage"] == first.manifest["coverage"] == {"facts": 2, "covered": 2, "share": 1.0}
    assert again.manifest["pairs"]["published"] == first.manifest["pairs"]["published"] == 3



def test_a_teachers_question_may_not_borrow_the_titles_words_though_codes_may(tmp_path):
    # A small teacher given the title as the topic copies it where it does not fit (bench/realdocs7: "When did the
    # first Go Turns 10 release?"); code names the subject by the title where the title names it.
    (tmp_path / "viaduct.md").write_text(
        "---\ntitle: 'The Cwm Llys viaduct: How It Became Famous'\n---\n\n"  # a title the chunk does not hold
        "The viaduct was built in 1886 of local granite. The Cwm Llys viaduct rests on nine arches, each with a span of 11 metres.\n"
    )
    (tmp_path / "corpus.toml").write_text('[generation]\nstrategy = "fact_first"\ncandidates_per_fact = 2\n')
    borrowed = "How many arches did the Cwm Llys viaduct rest on when it Became Famous?"
    teacher = FakeTeacher([borrowed, "How many arches does the Cwm Llys viaduct rest on?"])
    outcome = Run(load_corpus(tmp_path), teacher=teacher).run()
    assert outcome.exit_code == 0
    published = {json.loads(line)["question"] for line in (tmp_path / "out" / "pairs.jsonl").read_text().splitlines()}
    assert published == {"When was the Cwm Llys viaduct built?", "How many arches does the Cwm Llys viaduct rest on?"}
    rejected = {json.loads(line)["question"]: json.loads(line)["reasons"] for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()}
    assert "novel_question_term:Became" in rejected[borrowed]
