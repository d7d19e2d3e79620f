"""Against llama.cpp's own `llama-server` (the server users run), built here from the llama-cpp-python
sdist by generation.teachers.build_server and cached, serving the embedded model with parallel slots.

Marked real. The binary is built on first use (about 12 minutes on 2 cores) and reused after; where it
cannot be built the tests are skipped with the reason, which `pytest -ra` prints.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from generation.config import load_corpus
from generation.pipeline.run import Run
from generation.teachers.base import probability_of
from generation.teachers.http import HttpTeacher
from generation.teachers.llama import default_model_path
from tests.support.servers import free_port, local_llama_server

pytestmark = pytest.mark.real

REPO = Path(__file__).resolve().parents[3]
TEXT = (
    'The Vale of Rheidol Railway (Welsh: Rheilffordd Cwm Rheidol) opened in 1902 with a gauge of 603 mm. '
    'Its engineer wrote "C:\\\\rail\\\\plans" on the drawings; the line climbs 11¾ miles to Devil\'s Bridge '
    '(Пуенте дьявола), and in 1989 it was the last steam railway owned by British Rail.'
)


ROUNDTRIP_PAIRS = [
    ("When did the Vale of Rheidol Railway open?", "In 1902.", "opened in 1902"),
    ("How far does the line climb to Devil's Bridge?", "11¾ miles.", "the line climbs 11¾ miles to Devil's Bridge"),
]


@pytest.fixture(scope="session")
def binary():
    from generation.teachers.build_server import BuildError, build, built

    found = built()
    if found is not None:
        return found
    try:
        return build(log=lambda m: print(m, flush=True))
    except BuildError as exc:
        pytest.skip(f"llama-server cannot be built here: {exc}")


@pytest.fixture(scope="module")
def server(binary):
    with local_llama_server(default_model_path(), binary=binary, slots=4, n_ctx=2048, n_threads=1) as url:
        yield url


def test_slots_come_from_props_and_four_requests_are_in_flight_at_once(server):
    teacher = HttpTeacher([server])
    assert teacher.slots == 4 and teacher.n_ctx == 2048
    busiest = 0
    done = threading.Event()

    def watch() -> None:  # the server's own account of its slots, not our counters
        nonlocal busiest
        while not done.is_set():
            slots = httpx.get(f"{server}/slots", timeout=5).json()
            busiest = max(busiest, sum(bool(s.get("is_processing")) for s in slots))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        prompts = [[{"role": "user", "content": f"Write a long story about train number {i}."}] for i in range(8)]
        with ThreadPoolExecutor(teacher.slots) as pool:
            replies = list(pool.map(lambda m: teacher.complete(m, max_tokens=96, temperature=0.7, seed=1), prompts))
    finally:
        done.set()
        watcher.join()
        teacher.close()
    assert all(r.usage.completion_tokens > 0 for r in replies)
    assert busiest == 4


def test_the_schema_goes_as_json_schema_and_comes_back_valid(server):
    schema = {
        "type": "object",
        "properties": {"kind": {"enum": ['say "yes"', "back\\slash", "plain"]}, "year": {"type": "integer"}},
        "required": ["kind", "year"],
        "additionalProperties": False,
    }
    teacher = HttpTeacher([server])
    try:
        reply = teacher.complete([{"role": "user", "content": f"{TEXT}\n\nWhen did it open?"}], json_schema=schema, max_tokens=48)
        data = json.loads(reply.text)
        assert data["kind"] in schema["properties"]["kind"]["enum"] and isinstance(data["year"], int)
        assert teacher._servers[0].schema_form == "json_schema"  # no fallback to json_object or a grammar
    finally:
        teacher.close()


def test_the_judges_logprobs_come_back_and_are_read(server):
    teacher = HttpTeacher([server])
    try:
        messages = [{"role": "user", "content": f"{TEXT}\n\nDid the railway open in 1902? Answer yes or no."}]
        reply = teacher.complete(messages, max_tokens=1, top_logprobs=5)
        assert reply.logprobs and len(reply.logprobs[0].top) >= 2
        p = probability_of(reply, reply.logprobs[0].token)
        assert p is not None and 0.0 < p <= 1.0
    finally:
        teacher.close()


def test_the_teacher_roundtrips_grammar_goes_to_the_server_and_a_sentence_number_comes_back(server):
    from generation.grounding import GroundingChecker, GroundingConfig, render_roundtrip_prompt

    teacher = HttpTeacher([server])
    try:
        checker = GroundingChecker(GroundingConfig(teacher_roundtrip=True), teacher=teacher)
        _, count = render_roundtrip_prompt("roundtrip_v1", TEXT, "")
        verdicts = [
            checker.check(TEXT, question, answer, [quote])
            for question, answer, quote in ROUNDTRIP_PAIRS
        ]
    finally:
        teacher.close()
    for verdict in verdicts:
        assert verdict.teacher_sentence is not None and 0 <= verdict.teacher_sentence <= count, verdict
        assert not {"teacher_roundtrip_failed", "teacher_roundtrip_unclear"} & set(verdict.reasons)


def test_the_context_budget_counts_with_the_servers_own_tokenizer_and_template(server):
    from generation.strategies.fact_first import build_messages, load_fact_prompt
    from generation.text.facts import select_facts

    teacher = HttpTeacher([server])
    try:
        fact = select_facts(TEXT, "Vale of Rheidol Railway", None)[0]
        messages = build_messages(load_fact_prompt(), fact, "Vale of Rheidol Railway")
        counted = teacher.count_tokens(messages)
        reply = teacher.complete(messages, max_tokens=8)
        assert counted == reply.usage.prompt_tokens
    finally:
        teacher.close()


def test_two_servers_share_a_run_one_killed_mid_run_loses_nothing_and_a_server_that_returns_is_taken_back(binary, tmp_path):
    root = tmp_path / "example"
    shutil.copytree(REPO / "corpora" / "example", root, ignore=shutil.ignore_patterns(".groundqa", "out"))
    model = default_model_path()
    with local_llama_server(model, binary=binary, slots=2, n_threads=1) as a, local_llama_server(model, binary=binary, slots=2, n_threads=1) as b:
        corpus = load_corpus(root, {"teacher": {"urls": [a, b], "model": ""}, "generation": {"strategy": "fact_first"}})
        killer = threading.Timer(4.0, b.process.kill)
        killer.start()
        try:
            outcome = Run(corpus).run()
        finally:
            killer.cancel()
        m = outcome.manifest
        assert b.process.poll() is not None  # it was killed during the run
        assert m["chunks"]["generated"] == m["chunks"]["total"] and not [f for f in m["failures"] if f["kind"] == "teacher_error"]
        assert m["pairs"]["published"] > 0

    # A server that comes back on its URL is taken back into the rotation.
    port_a, port_b = free_port(), free_port()
    with local_llama_server(model, binary=binary, slots=1, port=port_a, n_threads=1) as a:
        b_url = f"http://127.0.0.1:{port_b}"
        with local_llama_server(model, binary=binary, slots=1, port=port_b, n_threads=1) as b:
            teacher = HttpTeacher([a, b_url], retries=1, backoff=0.05, revive_after=1.0)
        messages = [{"role": "user", "content": "Say one word."}]
        for _ in range(6):  # b is down: its failures take it out of the rotation, a answers every request
            teacher.complete(messages, max_tokens=4)
        assert teacher.live_urls == [a]
        with local_llama_server(model, binary=binary, slots=1, port=port_b, n_threads=1):
            time.sleep(1.5)
            server_b = next(s for s in teacher._servers if s.url == b_url)
            sent_before = server_b.sent
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda _: teacher.complete(messages, max_tokens=4), range(6)))
            assert server_b.sent > sent_before and b_url in teacher.live_urls
        teacher.close()


def test_a_nightly_run_with_its_server_down_and_nothing_new_to_generate_succeeds(binary, tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    (root / "rheidol.md").write_text(f"# Vale of Rheidol Railway\n\n{TEXT}\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (root / "corpus.toml").write_text(f'[teacher]\nurls = ["{url}"]\n[generation]\nstrategy = "fact_first"\n')
    with local_llama_server(default_model_path(), binary=binary, slots=2, port=port, n_threads=1):
        first = Run(load_corpus(root)).run()
    assert first.manifest["pairs"]["published"] > 0
    second = Run(load_corpus(root)).run()  # the server is gone; server_model is not set
    assert second.exit_code == first.exit_code and second.manifest["teacher"]["calls"] == 0
    assert second.manifest["pairs"]["published"] == first.manifest["pairs"]["published"]
    assert second.manifest["signatures"] == first.manifest["signatures"]
