"""HttpTeacher against a small OpenAI-compatible server written here, and (marked real) against a
real `python -m llama_cpp.server` running the embedded model."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from generation.teachers.base import TeacherError, probability_of
from generation.teachers.http import MAX_CONSECUTIVE_FAILURES, HttpTeacher
from tests.support.servers import free_port

MESSAGES = [{"role": "user", "content": "Where is Paris?"}]


def reply(content: str | None = '{"ok": true}', *, logprobs: list | None = None, finish_reason: str = "stop") -> dict:
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    return {"choices": [choice], "usage": {"prompt_tokens": 12, "completion_tokens": 3}}


class FakeServer:
    """An OpenAI-compatible server on 127.0.0.1. `script` holds (status, headers, body) answers for
    the next chat requests, in order; after it, `default` is answered. `props` None = no /props. A
    body that is a function writes the whole answer itself (it is given the request handler)."""

    def __init__(self, *, props: dict | None = None, model_id: str = "/models/tiny.gguf", delay: float = 0.0, meta: dict | None = None):
        self.props = props
        self.meta = meta
        self.model_id = model_id
        self.delay = delay
        self.script: list[tuple[int, dict[str, str], Any]] = []
        self.default: tuple[int, dict[str, str], Any] = (200, {}, reply())
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.reject_json_schema = False
        self.api_key: str | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self, status: int, headers: dict[str, str], body: Any) -> None:
                if callable(body):  # a hostile server writes its own bytes, as it likes
                    try:
                        body(self)
                    except OSError:  # the teacher hung up
                        pass
                    return
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def authorized(self) -> bool:
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    self.answer(401, {}, {"error": {"message": "Invalid API key"}})
                    return False
                return True

            def do_GET(self):
                with server._lock:
                    server.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
                if not self.authorized():
                    return
                if self.path == "/props" and server.props is not None:
                    self.answer(200, {}, server.props)
                elif self.path == "/v1/models":
                    model = {"id": server.model_id, "object": "model", **({"meta": server.meta} if server.meta else {})}
                    self.answer(200, {}, {"object": "list", "data": [model]})
                else:
                    self.answer(404, {}, {"detail": "Not Found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with server._lock:
                    server.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body})
                if not self.authorized():
                    return
                if self.path == "/extras/tokenize":
                    self.answer(200, {}, {"tokens": list(range(len(body["input"].split())))})
                    return
                if self.path != "/v1/chat/completions":
                    self.answer(404, {}, {"detail": "Not Found"})
                    return
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    answer = server.script.pop(0) if server.script else server.default
                try:
                    time.sleep(server.delay)
                    form = (body.get("response_format") or {}).get("type")
                    if server.reject_json_schema and form == "json_schema":  # as python -m llama_cpp.server does
                        answer = (500, {}, {"error": {"message": "('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\""}})
                    self.answer(*answer)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def chats(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == "/v1/chat/completions"]

    def close(self) -> None:
        """Stop listening: from now on a connection to its port is refused."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers():
    made: list[FakeServer] = []

    def make(**kwargs) -> FakeServer:
        made.append(FakeServer(**kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def teacher(urls: list[str], **kwargs) -> HttpTeacher:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", 5.0)
    return HttpTeacher(urls, **kwargs)


def test_probe_reads_model_slots_and_context_from_props(servers):
    llama = servers(props={"total_slots": 4, "default_generation_settings": {"n_ctx": 8192}}, model_id="/srv/a/qwen-7b.gguf")
    plain = servers(model_id="/other/dir/qwen-7b.gguf")
    t = teacher([llama.url, plain.url], slots=2, n_ctx=2048)
    assert t.slots == 4 + 2  # /props's total_slots; `slots` where the server does not say
    assert t.n_ctx == 2048  # the smallest: any request may go to either URL; `n_ctx` where the server does not say
    assert teacher([llama.url], n_ctx=2048).n_ctx == 8192  # the server's own over the given one
    assert t.teacher_id == "server:qwen-7b.gguf"  # a GGUF path is named by its file
    assert teacher([plain.url]).n_ctx == 4096
    assert teacher([plain.url], model="qwen2.5:7b").teacher_id == "server:qwen2.5:7b"


def test_the_served_models_size_is_what_the_server_says_or_what_its_name_says(servers):
    # llama-server lists meta.n_params; llama_cpp.server only an id, which is the model's path
    assert teacher([servers(props={"total_slots": 4}, model_id="m.gguf", meta={"n_params": 134_515_008}).url]).n_params == 134_515_008
    assert teacher([servers(model_id="/models/SmolLM2-135M-Instruct.Q4_1.gguf").url]).n_params == 135_000_000
    assert teacher([servers(model_id="/models/qwen2.5-7b-instruct-q4_k_m.gguf").url]).n_params == 7_000_000_000
    assert teacher([servers(model_id="/models/tiny.gguf").url]).n_params is None  # no size: the run says it does not know


def test_request_body_and_completion(servers):
    s = servers()
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    with teacher([s.url]) as t:
        c = t.complete(MESSAGES, json_schema=schema, max_tokens=50, temperature=0.3, seed=7)
    assert c.text == '{"ok": true}' and c.finish_reason == "stop"
    assert (c.usage.prompt_tokens, c.usage.completion_tokens) == (12, 3)
    assert c.logprobs is None
    body = s.chats()[0]["body"]
    assert body["messages"] == MESSAGES and body["model"] == "/models/tiny.gguf"
    assert (body["max_tokens"], body["temperature"], body["seed"]) == (50, 0.3, 7)
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}}
    assert "logprobs" not in body


def test_a_server_refusing_json_schema_gets_json_object_with_the_schema(servers):
    s = servers()
    s.reject_json_schema = True
    schema = {"type": "object"}
    with teacher([s.url]) as t:
        assert t.complete(MESSAGES, json_schema=schema).text == '{"ok": true}'
        t.complete(MESSAGES, json_schema=schema)
    forms = [r["body"]["response_format"] for r in s.chats()]
    assert forms[0]["type"] == "json_schema"
    assert forms[1:] == [{"type": "json_object", "schema": schema}] * 2  # switched once, and remembered
    assert t.live_urls == [s.url]  # the refusal is not a failure of the URL


def test_a_server_refusing_json_schema_gets_our_grammar_for_a_schema_we_convert(servers):
    s = servers()
    s.reject_json_schema = True
    schema = {"type": "object", "properties": {"q": {"enum": ['the "first oil shock"', "C:\\Archive"]}}, "required": ["q"]}
    with teacher([s.url]) as t:
        t.complete(MESSAGES, json_schema=schema)
    second = s.chats()[1]["body"]
    assert "response_format" not in second and second["grammar"].startswith("root ::= ")
    from generation.teachers.grammar import json_literal

    assert json_literal('the "first oil shock"') in second["grammar"]  # escaped for JSON, then for GBNF


def test_logprobs_are_parsed(servers):
    s = servers()
    tokens = [
        {"token": "Yes", "logprob": -0.2, "top_logprobs": [{"token": "Yes", "logprob": -0.2}, {"token": "No", "logprob": -1.8}, {"token": " yes", "logprob": -4.0}]},
        {"token": ".", "logprob": -0.01, "top_logprobs": []},
    ]
    s.default = (200, {}, reply("Yes.", logprobs=tokens, finish_reason="length"))
    with teacher([s.url]) as t:
        c = t.complete(MESSAGES, max_tokens=2, top_logprobs=3)
    assert s.chats()[0]["body"]["logprobs"] is True and s.chats()[0]["body"]["top_logprobs"] == 3
    assert [lp.token for lp in c.logprobs] == ["Yes", "."]
    assert c.logprobs[0].top == {"Yes": -0.2, "No": -1.8, " yes": -4.0}
    assert probability_of(c, "yes") == pytest.approx(0.8187 + 0.0183, abs=1e-3)
    assert c.finish_reason == "length"


def test_empty_content_is_an_empty_text(servers):
    s = servers()
    s.default = (200, {}, reply(None))
    with teacher([s.url]) as t:
        assert t.complete(MESSAGES).text == ""


def test_every_shape_of_an_openai_compatible_reply_is_read(servers):
    s = servers()
    odd = reply(None)
    odd["choices"][0]["message"]["content"] = [{"type": "text", "text": '{"ok": '}, {"type": "text", "text": "true}"}]
    odd["choices"][0]["finish_reason"] = 7
    odd["choices"][0]["logprobs"] = {"content": [{"token": "Yes", "logprob": "-0.5", "top_logprobs": "n/a"}, {"token": "x", "logprob": "NaN?"}]}
    odd["usage"] = {"prompt_tokens": "12", "completion_tokens": 3.0, "prompt_tokens_details": {"cached_tokens": "n/a"}}
    s.default = (200, {}, odd)
    with teacher([s.url]) as t:
        c = t.complete(MESSAGES, top_logprobs=2)
    assert c.text == '{"ok": true}' and c.finish_reason is None
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cached_tokens) == (12, 3, 0)
    assert [(lp.token, lp.logprob) for lp in c.logprobs] == [("Yes", -0.5)]


def test_503_is_retried_then_succeeds(servers):
    s = servers()
    s.script = [(503, {}, {"error": {"message": "Loading model"}})] * 2
    with teacher([s.url], retries=3) as t:
        assert t.complete(MESSAGES).text == '{"ok": true}'
        assert len(s.chats()) == 3
        assert t.live_urls == [s.url]  # a success clears the failures


def test_429_waits_for_retry_after(servers):
    s = servers()
    s.script = [(429, {"Retry-After": "1"}, {"error": {"message": "slow down"}})]
    with teacher([s.url], backoff=0.0) as t:
        started = time.perf_counter()
        assert t.complete(MESSAGES).text == '{"ok": true}'
    assert time.perf_counter() - started >= 1.0
    assert len(s.chats()) == 2


def test_retries_run_out_with_the_last_reason(servers):
    s = servers()
    s.default = (502, {}, {"error": {"message": "bad gateway"}})
    with teacher([s.url], retries=1) as t:
        with pytest.raises(TeacherError) as err:
            t.complete(MESSAGES)
    assert err.value.kind == "http_error"
    assert "502" in str(err.value) and "bad gateway" in str(err.value) and "2 attempts" in str(err.value)


def test_a_reply_that_is_not_json_is_retried_and_counted(servers):
    s = servers()
    s.script = [(200, {}, b'{"choices": [{"message": {"content": "cut')]
    with teacher([s.url]) as t:
        assert t.complete(MESSAGES).text == '{"ok": true}'
    s.default = (200, {}, b"<html>proxy error</html>")
    with teacher([s.url], retries=0) as t:
        with pytest.raises(TeacherError) as err:
            t.complete(MESSAGES)
    assert err.value.kind == "bad_reply" and "not JSON" in str(err.value)


def test_timeout_is_a_timeout(servers):
    s = servers(delay=1.0)
    with teacher([s.url], timeout=0.2, retries=0) as t:
        with pytest.raises(TeacherError) as err:
            t.complete(MESSAGES)
    assert err.value.kind == "timeout" and "[teacher] timeout" in str(err.value)


def test_context_overflow_is_not_retried_and_says_what_to_change(servers):
    s = servers()
    s.default = (400, {}, {"error": {"message": "This model's maximum context length is 2048 tokens. However, you requested 3034 tokens", "code": "context_length_exceeded"}})
    with teacher([s.url]) as t:
        with pytest.raises(TeacherError) as err:
            t.complete(MESSAGES)
    assert err.value.kind == "context_overflow" and "n_ctx" in str(err.value) and "[chunking] tokens" in str(err.value)
    assert len(s.chats()) == 1


def test_other_4xx_is_an_http_error_with_the_servers_message(servers):
    s = servers()
    s.default = (400, {}, {"error": {"message": "'messages' is required"}})
    with teacher([s.url]) as t:
        with pytest.raises(TeacherError) as err:
            t.complete(MESSAGES)
    assert err.value.kind == "http_error" and "'messages' is required" in str(err.value)
    assert len(s.chats()) == 1


def test_dead_url_is_dropped_at_start(servers, caplog):
    s = servers()
    dead = dead_url()
    with caplog.at_level(logging.WARNING, logger="generation.teachers.http"):
        t = teacher([dead, s.url])
    assert t.live_urls == [s.url] and t.slots == 1
    assert dead in caplog.text
    assert t.complete(MESSAGES).text == '{"ok": true}'


def test_no_url_answers_at_start():
    urls = [dead_url(), dead_url()]
    with pytest.raises(TeacherError) as err:
        teacher(urls)
    assert err.value.kind == "unreachable"
    message = str(err.value)
    assert all(u in message for u in urls)
    assert "python -m llama_cpp.server --model M.gguf" in message and "llama-server -m M.gguf" in message


def test_url_dying_mid_run_leaves_the_rotation(servers, caplog):
    a, b = servers(), servers()
    t = teacher([a.url, b.url], retries=3)
    for _ in range(4):
        t.complete(MESSAGES)
    assert len(a.chats()) == 2 and len(b.chats()) == 2
    a.close()
    with caplog.at_level(logging.WARNING, logger="generation.teachers.http"):
        for _ in range(6):  # every request still answered, by b
            assert t.complete(MESSAGES).text == '{"ok": true}'
    assert t.live_urls == [b.url]
    assert "taking it out of the rotation" in caplog.text
    assert len(b.chats()) == 2 + 6
    b.close()
    with pytest.raises(TeacherError) as err:
        for _ in range(MAX_CONSECUTIVE_FAILURES):
            t.complete(MESSAGES)
    assert err.value.kind == "unreachable" and b.url in str(err.value)
    assert t.live_urls == []


def test_requests_are_spread_over_the_urls(servers):
    a, b = servers(), servers()
    with teacher([a.url, b.url]) as t:
        for _ in range(6):
            t.complete(MESSAGES)
    assert len(a.chats()) == 3 and len(b.chats()) == 3


def test_concurrent_calls_never_exceed_a_urls_slots(servers):
    a = servers(props={"total_slots": 2, "default_generation_settings": {"n_ctx": 4096}}, delay=0.15)
    b = servers(delay=0.15)  # no /props: `slots` = 1
    t = teacher([a.url, b.url], slots=1)
    assert t.slots == 3
    with ThreadPoolExecutor(max_workers=8) as pool:  # more threads than slots: the rest wait
        texts = list(pool.map(lambda _: t.complete(MESSAGES).text, range(12)))
    assert texts == ['{"ok": true}'] * 12
    assert a.max_in_flight == 2 and b.max_in_flight == 1
    assert len(a.chats()) + len(b.chats()) == 12 and len(a.chats()) > len(b.chats())


def test_api_key_header_is_sent(servers, monkeypatch):
    s = servers()
    s.api_key = "s3cret"
    monkeypatch.setenv("GQA_TEST_KEY", "s3cret")
    with teacher([s.url], api_key_env="GQA_TEST_KEY") as t:
        t.complete(MESSAGES)
    assert {r["headers"].get("Authorization") for r in s.requests} == {"Bearer s3cret"}


def test_unset_api_key_variable_says_how_to_set_it(servers, monkeypatch):
    s = servers()
    monkeypatch.delenv("GQA_TEST_KEY", raising=False)
    with pytest.raises(TeacherError) as err:
        teacher([s.url], api_key_env="GQA_TEST_KEY")
    assert err.value.kind == "no_api_key" and "export GQA_TEST_KEY=" in str(err.value)


def test_wrong_api_key_is_named_at_start(servers, monkeypatch):
    s = servers()
    s.api_key = "s3cret"
    monkeypatch.setenv("GQA_TEST_KEY", "wrong")
    with pytest.raises(TeacherError) as err:
        teacher([s.url], api_key_env="GQA_TEST_KEY")
    assert "401" in str(err.value) and "API key" in str(err.value)


def test_count_tokens_uses_the_servers_tokenizer(servers):
    s = servers()
    with teacher([s.url]) as t:
        count = t.count_tokens([{"role": "system", "content": "one two"}, {"role": "user", "content": "three four five"}])
    # the fake tokenizes by whitespace: "system\none two\nuser\nthree four five\n" is 7 words
    assert count == 7 + 2 * 2 + 4
    assert any(r["path"] == "/extras/tokenize" for r in s.requests)


# -- real llama_cpp.server with the embedded model ---------------------------------------------------
@pytest.fixture(scope="session")
def real_server():
    from generation.teachers.llama import default_model_path
    from tests.support.servers import local_server

    with local_server(default_model_path(), n_ctx=2048) as url:
        yield url


@pytest.fixture(scope="session")
def real_teacher(real_server):
    with HttpTeacher([real_server], backoff=0.1) as t:
        yield t


@pytest.mark.real
def test_real_schema_constrained_completion(real_teacher):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 24}, "country": {"type": "string", "maxLength": 24}},
        "required": ["city", "country"],
        "additionalProperties": False,
    }
    messages = [{"role": "user", "content": "Name a city and its country, as JSON."}]
    c = real_teacher.complete(messages, json_schema=schema, max_tokens=48, temperature=0.0, seed=0)
    data = json.loads(c.text)
    assert set(data) == {"city", "country"} and all(isinstance(v, str) for v in data.values())
    assert c.usage.prompt_tokens > 0 and c.usage.completion_tokens > 0
    assert real_teacher.teacher_id == "server:SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.real
def test_real_top_logprobs(real_teacher):
    messages = [{"role": "user", "content": "Is Paris in France? Answer yes or no."}]
    c = real_teacher.complete(messages, max_tokens=1, temperature=0.0, top_logprobs=5)
    assert c.logprobs and len(c.logprobs) == 1
    first = c.logprobs[0]
    assert 2 <= len(first.top) <= 5 and all(lp <= 0.0 for lp in first.top.values())
    assert 0.0 < probability_of(c, first.token) <= 1.0


@pytest.mark.real
def test_real_count_tokens_matches_the_servers_prompt_tokens(real_teacher):
    from generation.strategies.free_form import build_messages, load_prompt

    messages = build_messages(load_prompt("qa_v1"), "The river Thames flows through London.", "Rivers", 2)
    c = real_teacher.complete(messages, max_tokens=1)
    assert abs(real_teacher.count_tokens(messages) - c.usage.prompt_tokens) <= 2


@pytest.mark.real
def test_real_one_dead_url_of_two(real_server):
    with HttpTeacher([dead_url(), real_server], backoff=0.1) as t:
        assert t.live_urls == [real_server]
        c = t.complete([{"role": "user", "content": "Say hi."}], max_tokens=8, temperature=0.0)
    assert c.usage.completion_tokens > 0


@pytest.mark.real
def test_real_server_writes_fact_first_questions_under_our_grammar_for_hostile_text(real_teacher):
    from generation.strategies.fact_first import generate_fact_pairs
    from generation.strategies import GenerationSettings

    text = (
        'It was called the "first oil shock" by many, and prices rose from $3 to $12 [a barrel] in 1974. '
        "The ministry moved its files to C:\\Archive\\1973 in 1975, after “the crisis” had passed. "
        "В 1973 году цены на нефть выросли в четыре раза, и в 1974 году они остались высокими."
    )
    settings = GenerationSettings(strategy="fact_first", candidates_per_fact=1)
    result = generate_fact_pairs(real_teacher, text, key="k", gen_sig="g", settings=settings, title="The 1973 oil crisis")
    assert result.status == "ok" and result.calls >= 3
    for c in result.candidates:  # the server applied the grammar: the forced opening, one line, a "?"
        assert c.question.endswith("?") and "\n" not in c.question, c.question
        assert c.question.startswith(("When ", "How much ", "How many ")), c.question
        assert c.answer in text.replace("\n", " ") and c.quotes == [c.answer]


@pytest.mark.real
def test_real_llama_cpp_server_free_form_on_a_sentence_with_quotes_and_backslashes(real_teacher):
    """python -m llama_cpp.server's own converter mis-escapes these quote choices; it gets our grammar."""
    from generation.strategies import GenerationSettings
    from generation.strategies.free_form import generate_pairs, quote_choices

    text = (
        'It was called the "first oil shock" by many. The files moved to C:\\Archive\\1973 that year. '
        "Prices rose from $3 to $12 [a barrel] within months."
    )
    result = generate_pairs(real_teacher, text, key="k", gen_sig="g", settings=GenerationSettings(pairs_per_chunk=1, max_tokens=300, temperature=0.2))
    assert result.status in ("ok", "invalid_reply"), result.error  # a reply, not a dead server
    if result.status == "ok":
        assert all(q in quote_choices(text) for c in result.candidates for q in c.quotes)
    assert real_teacher.complete([{"role": "user", "content": "Say hi."}], max_tokens=4).text


def trickle(handler) -> None:
    """A reply whose headers come at once and whose body comes a byte every 0.2 s: no single read waits
    long, and the reply never ends."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(3000):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.2)


def endless(handler) -> None:
    """A reply that begins as JSON and never ends (no Content-Length: it would end at the close)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    handler.wfile.write(b'{"choices": [{"message": {"content": "')
    chunk = b"x" * 65536
    while True:
        handler.wfile.write(chunk)


def test_a_teacher_that_trickles_its_reply_is_cut_at_the_timeout_for_the_whole_reply(servers):
    s = servers()
    s.default = (200, {}, trickle)
    started = time.monotonic()
    with teacher([s.url], timeout=1.5, retries=0) as t, pytest.raises(TeacherError) as failed:
        t.complete(MESSAGES)
    took = time.monotonic() - started
    assert failed.value.kind == "timeout", failed.value
    assert "did not finish its reply within [teacher] timeout = 1.5 s" in str(failed.value) and "bytes of it so far" in str(failed.value)
    assert took < 10, took  # 1.5 s and the probe; before, each byte restarted the wait and it ran for 10 minutes


def test_a_teacher_reply_over_the_byte_cap_is_a_counted_error_not_a_memory_error(servers, tmp_path):
    from generation.config import load_corpus
    from generation.pipeline.run import Run
    from generation.teachers.http import MAX_REPLY_BYTES
    from tests.support.corpora import write_corpus

    s = servers()
    s.default = (200, {}, endless)
    started = time.monotonic()
    with teacher([s.url], timeout=60, retries=0) as t, pytest.raises(TeacherError) as failed:
        t.complete(MESSAGES)
    assert failed.value.kind == "reply_too_large" and f"{MAX_REPLY_BYTES:,} bytes" in str(failed.value)
    assert time.monotonic() - started < 30  # read as it streams and cut, not read whole (it never ends)
    # In a run: each chunk's failure is counted with its reason, and the run ends with a message.
    root = write_corpus(tmp_path / "kb", "[chunking]\ntokens = 64\noverlap = 8\n")
    outcome = Run(load_corpus(root), teacher=teacher([s.url], timeout=60, retries=0)).run()
    failures = [f for f in outcome.manifest["failures"] if f["stage"] == "generate"]
    assert failures and all(f["kind"] == "teacher_error" and "reply_too_large" in f["message"] for f in failures)
    assert outcome.exit_code == 1
