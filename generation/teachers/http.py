"""The llama.cpp server teacher: OpenAI-compatible /v1/chat/completions over one or several base URLs.

It speaks to `llama-server`, `python -m llama_cpp.server`, and so to Ollama and vLLM. Requests are
spread over the URLs with as many in flight per URL as it has slots (llama-server reports
`total_slots` at /props; elsewhere `slots`, default 1), least-loaded first. Connection errors,
timeouts, 429 and 5xx are retried with exponential backoff and jitter (a Retry-After is honoured);
a URL that fails MAX_CONSECUTIVE_FAILURES times in a row leaves the rotation and the others go on.

The JSON schema is sent the OpenAI way, `{"type": "json_schema", "json_schema": {"schema": ...}}`,
which llama-server, vLLM and Ollama read. `python -m llama_cpp.server` refuses that type (HTTP 500,
"Input should be 'text' or 'json_object'"); a URL that refuses it is switched, once, to
`{"type": "json_object", "schema": ...}`, the form both llama.cpp servers read (llama-server's
server-common.cpp takes `schema` from a json_object format, and the nested schema from a
json_schema one). vLLM would ignore the schema of a json_object format, so that form is never the
first one tried.

One module, because the pool of servers (slots, failures, revival), the request and its retries, and
the probing of what each server speaks share one lock and one view of the servers; split, each part
would reach into the others' state.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.deadline import Watchdog
from ingest.sources import redact

from .base import Completion, Message, Teacher, TeacherError, TokenLogprob, Usage
from .grammar import GrammarError, schema_to_gbnf
from .llama import parameter_count, size_from_name

logger = logging.getLogger(__name__)

# A URL whose requests fail this many times in a row (connection refused, timeout, 5xx, a reply that
# is not JSON) leaves the rotation. 3 rides out a server restart's few refused connections under
# the default backoff (0.5 + 1 + 2 s), and drops a dead host after one request's retries.
MAX_CONSECUTIVE_FAILURES = 3
# A URL that left the rotation is given another request this many seconds later (doubling each time it
# leaves again, up to 10 minutes): a server restarted mid-run is taken back instead of lost for the night.
REVIVE_AFTER = 30.0
MAX_REVIVE_AFTER = 600.0
MAX_BACKOFF = 30.0  # seconds: the cap on one exponential wait
MAX_RETRY_AFTER = 120.0  # seconds: the most of a server's Retry-After that is honoured
# The most of one reply that is read (it streams in, and is cut here): a reply of 768 tokens is about
# 4 KB, and with 20 top logprobs a token under 2 MB; 16 MiB is far past any real reply, and keeps a
# broken or hostile server (a 100 MB reply took 1.3 GB when read whole) to a counted teacher error.
MAX_REPLY_BYTES = 16 * 1024 * 1024
DEFAULT_N_CTX = 4096
# Chat-template tokens around each message when the server cannot apply the template itself:
# ChatML spends 5 ("<|im_start|>", role, "\n" ... "<|im_end|>", "\n") and Llama 3 about as many.
# Against SmolLM2's ChatML template on llama_cpp.server, role + "\n" + content + "\n" tokenized plus
# 2 per message and 4 for the assistant's opening matched the server's prompt_tokens exactly on two
# qa_v1 prompts (211 and 337 tokens); with 3 it was one short.
MESSAGE_OVERHEAD_TOKENS = 2
REPLY_PRIMER_TOKENS = 4

START_A_SERVER = (
    "start one with 'python -m llama_cpp.server --model M.gguf --host 127.0.0.1 --port 8080' or "
    "'llama-server -m M.gguf --port 8080', or point [teacher] urls at a running one"
)
_CONTEXT_OVERFLOW = re.compile(r"context (length|window|size)|exceeds? the (available )?context|too (long|big|large)", re.I)


@dataclass
class _Server:
    url: str
    model_id: str
    slots: int
    n_ctx: int | None
    request_model: str
    llama_server: bool = False  # answered /props, so it has /tokenize and /apply-template
    n_params: int | None = None  # the model's parameters, where the server says (llama-server: /v1/models meta.n_params)
    schema_form: str = "json_schema"
    in_flight: int = 0
    sent: int = 0
    failures: int = 0  # consecutive
    alive: bool = True
    last_error: str = ""
    retry_at: float = 0.0  # once out of the rotation: when it is given another chance
    outages: int = 0  # times it left the rotation; each doubles the wait before the next chance

    @property
    def shown(self) -> str:
        """The URL as messages and logs show it: user-info replaced."""
        return redact(self.url)


class _Failure(Exception):
    """One attempt failed in a way that another attempt may mend."""

    def __init__(self, message: str, kind: str, *, counts: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.counts = counts  # against the URL's consecutive failures (a 429 does not: the server is fine)
        self.retry_after = retry_after


@dataclass
class _Reply:
    """A response read whole (within MAX_REPLY_BYTES and the deadline): what the rest of this module asks of one."""

    status_code: int
    reason_phrase: str
    headers: Any
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


def server_teacher_id(model_id: str) -> str:
    """The teacher id (and so the generation signature's teacher) of a server serving `model_id`."""
    return f"server:{_model_label(model_id)}"


def _model_label(model_id: str) -> str:
    """A GGUF path is named by its file, so one model served from different folders keeps one identity."""
    if model_id.lower().endswith(".gguf"):
        return re.split(r"[\\/]", model_id)[-1]
    return model_id


def _error_message(response: Any) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data))
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)[:500]
    return str(data)[:500]


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _grammar_for(schema: dict[str, Any]) -> str | None:

    try:
        return schema_to_gbnf(schema)
    except GrammarError:
        return None


def _count(value: Any) -> int:
    """A token count as servers send it: 12, 12.0 or "12"; anything else (None, "n/a", -1, inf) is 0."""
    if isinstance(value, bool):
        return 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    return int(number) if 0 <= number < 2**53 else 0


def _text(content: Any) -> str:
    """A message's content: a string, or OpenAI's list of parts ({"type": "text", "text": ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text") or "") if isinstance(part, dict) else "" for part in content
        )
    return ""


def _cached_tokens(data: dict[str, Any], usage: dict[str, Any]) -> int:
    """Prompt tokens the server took from its cache: OpenAI's usage.prompt_tokens_details.cached_tokens,
    or llama-server's timings.cache_n."""
    details = usage.get("prompt_tokens_details")
    if isinstance(details, dict) and details.get("cached_tokens") is not None:
        return _count(details["cached_tokens"])
    timings = data.get("timings")
    if isinstance(timings, dict) and timings.get("cache_n") is not None:
        return _count(timings["cache_n"])
    return 0


def _parse_logprobs(block: Any) -> list[TokenLogprob] | None:
    """choices[0].logprobs.content (OpenAI's shape, which llama-server and llama_cpp.server send)."""
    if not isinstance(block, dict) or not isinstance(block.get("content"), list):
        return None
    tokens = []
    for item in block["content"]:
        if not isinstance(item, dict) or _logprob(item.get("logprob")) is None:
            continue
        top: dict[str, float] = {}
        alternatives = item.get("top_logprobs")
        for alt in alternatives if isinstance(alternatives, list) else []:
            if isinstance(alt, dict) and (p := _logprob(alt.get("logprob"))) is not None:
                token = str(alt.get("token", ""))
                top[token] = max(top.get(token, float("-inf")), p)
        tokens.append(TokenLogprob(token=str(item.get("token", "")), logprob=_logprob(item["logprob"]), top=top))
    return tokens


def _logprob(value: Any) -> float | None:
    try:
        p = float(value)
    except (TypeError, ValueError):
        return None
    return p if p <= 0 else None


class HttpTeacher(Teacher):
    """llama.cpp server(s) over HTTP. Every URL is probed on construction; one that does not answer is
    dropped with a warning, and TeacherError(kind="unreachable") is raised when none answers.

    Thread-safe: `complete` may be called from `slots` threads at once (the run's worker count)."""

    def __init__(
        self,
        urls: list[str],
        *,
        api_key_env: str | None = None,
        model: str | None = None,
        slots: int | None = None,
        timeout: float = 300.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        n_ctx: int | None = None,
        revive_after: float = REVIVE_AFTER,
    ):
        import httpx

        if not urls:
            raise TeacherError(f"no server URL given: set [teacher] urls; {START_A_SERVER}", kind="unreachable")
        self.urls = [u.rstrip("/") for u in urls]
        self.model = model
        self.retries = max(0, retries)
        self.backoff = backoff
        self.revive_after = revive_after
        self.timeout = timeout  # seconds for one whole reply, however it arrives
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)  # and for each step of it
        self._headers = {"Authorization": f"Bearer {self._api_key(api_key_env)}"} if api_key_env else {}
        self._cond = threading.Condition()
        self._cancelled = threading.Event()
        self._token_route: str | None = None  # "llama-server", "extras" or "estimate", found on first use

        dropped: list[str] = []
        self._probe_seconds = min(timeout, 30.0)
        probe_timeout = httpx.Timeout(self._probe_seconds, connect=connect_timeout)
        # No connection is kept alive, here or below: a reply's deadline watchdog must see the socket of
        # every request (ingest/deadline.py). A new local connection costs well under a millisecond.
        no_keepalive = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(timeout=probe_timeout, headers=self._headers, limits=no_keepalive) as probe:
            self._servers: list[_Server] = []
            for url in self.urls:
                try:
                    self._servers.append(self._probe(probe, url, slots, n_ctx))
                except _Failure as exc:
                    logger.warning("teacher server %s does not answer (%s); going on without it", redact(url), redact(exc.message))
                    named = exc.message.startswith(redact(url))  # the message names the URL already
                    dropped.append(redact(exc.message if named else f"{url} ({exc.message})"))
        if not self._servers:
            raise TeacherError(f"no teacher server answers: {'; '.join(dropped)}. To fix it, {START_A_SERVER}", kind="unreachable")

        first = self._servers[0]
        labels = {_model_label(s.model_id) for s in self._servers}
        if len(labels) > 1:
            logger.warning(
                "the teacher servers serve different models (%s); the run is named after %s", ", ".join(sorted(labels)), first.model_id
            )
        self.teacher_id = server_teacher_id(model or first.model_id)
        self.slots = sum(s.slots for s in self._servers)
        known = [s.n_ctx for s in self._servers if s.n_ctx]
        self.n_ctx = min(known) if known else (n_ctx or DEFAULT_N_CTX)
        pool = self.slots + len(self._servers)  # every slot busy, and a tokenize call beside them
        self._client = httpx.Client(
            timeout=self._timeout,
            headers=self._headers,
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=0),
        )
        logger.info(
            "teacher %s: %s, %d slot(s), n_ctx %d",
            self.teacher_id, ", ".join(f"{redact(s.url)} ({s.slots})" for s in self._servers), self.slots, self.n_ctx,
        )

    # -- start ------------------------------------------------------------------------------------
    @staticmethod
    def _api_key(env: str) -> str:
        key = os.environ.get(env, "").strip()
        if not key:
            raise TeacherError(
                f"[teacher] api_key_env names the environment variable {env}, but it is not set: "
                f"'export {env}=<the server's API key>', or remove api_key_env for a server without a key",
                kind="no_api_key",
            )
        return key

    @staticmethod
    def _exchange(client: Any, method: str, url: str, *, seconds: float, json: Any = None) -> _Reply:
        """One request, its reply read whole within `seconds` in all (headers and body: httpx's timeouts
        are per read, and a server that trickles bytes never trips them) and MAX_REPLY_BYTES; raises
        _Failure (timeout, reply_too_large, unreachable) otherwise."""
        import httpx

        shown = redact(url)
        body = bytearray()
        answered = False

        def late() -> _Failure:
            got = f"{len(body):,} bytes of it so far" if answered else "no complete headers yet"
            return _Failure(
                f"{shown} did not finish its reply within [teacher] timeout = {seconds:g} s ({got}); raise [teacher] timeout "
                "if the model is slow, or check the server",
                "timeout",
            )

        with Watchdog(seconds) as dog:
            try:
                with client.stream(method, url, json=json, extensions=dog.extensions) as response:
                    answered = True
                    for part in response.iter_bytes():
                        body += part
                        if len(body) > MAX_REPLY_BYTES:
                            raise _Failure(
                                f"{shown} sent a reply of more than {MAX_REPLY_BYTES:,} bytes (MAX_REPLY_BYTES), far more than any "
                                "chat reply: not read further. Check that [teacher] urls names an OpenAI-compatible server",
                                "reply_too_large",
                            )
                        if dog.expired:
                            raise late()
                    if dog.fired:  # a body that ends at the close ends when the watchdog shuts it: cut
                        raise late()
                    return _Reply(response.status_code, response.reason_phrase, response.headers, bytes(body))
            except httpx.HTTPError as exc:
                if dog.expired:
                    raise late() from exc
                if isinstance(exc, httpx.TimeoutException):
                    raise _Failure(
                        f"{shown} did not answer in time ({type(exc).__name__}); raise [teacher] timeout if the model is slow", "timeout"
                    ) from exc
                raise _Failure(f"{shown} cannot be reached ({type(exc).__name__}: {exc or 'no answer'})", "unreachable") from exc

    def _probe_get(self, client: Any, url: str, path: str) -> Any:
        """GET url+path, waiting out a server that is still loading its model (503). A response, or _Failure."""
        for attempt in range(self.retries + 1):
            response = self._exchange(client, "GET", url + path, seconds=self._probe_seconds)
            if response.status_code != 503 or attempt == self.retries:
                return response
            time.sleep(self._delay(attempt, _retry_after(response)))
        raise AssertionError("unreachable")

    def _probe(self, client: Any, url: str, slots: int | None, n_ctx: int | None) -> _Server:
        props: dict[str, Any] = {}
        response = self._probe_get(client, url, "/props")
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                data = None
            props = data if isinstance(data, dict) else {}
        response = self._probe_get(client, url, "/v1/models")
        if response.status_code in (401, 403):
            if self._headers:
                hint = "check the key in the variable [teacher] api_key_env names"
            else:
                hint = "set [teacher] api_key_env to the variable holding the server's key"
            raise _Failure(f"HTTP {response.status_code}, the API key was refused: {hint}", "unauthorized")
        models: list[dict[str, Any]] = []
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("data"), list):
                models = [m for m in data["data"] if isinstance(m, dict) and m.get("id")]
        elif not props:
            raise _Failure(f"HTTP {response.status_code} at /v1/models: {_error_message(response)}", "http_error")

        ids = [str(m["id"]) for m in models]
        if self.model is not None:
            model_id = self.model
            if ids and self.model not in ids:
                logger.warning("%s does not list the model %r (it lists %s); asking for it anyway", redact(url), self.model, ", ".join(ids))
        elif len(ids) == 1:
            model_id = ids[0]
        elif len(ids) > 1:
            raise TeacherError(
                f"{redact(url)} serves several models ({', '.join(ids)}): set [teacher] server_model to the one to use",
                kind="bad_config",
            )
        elif props.get("model_path") or props.get("model_alias"):
            model_id = str(props.get("model_alias") or props["model_path"])
        else:
            raise TeacherError(
                f"{redact(url)} does not name its model (no /v1/models or /props): set [teacher] server_model", kind="bad_config"
            )

        total_slots = props.get("total_slots")
        generation = props.get("default_generation_settings")
        server_n_ctx = (generation.get("n_ctx") if isinstance(generation, dict) else None) or props.get("n_ctx")
        if not server_n_ctx:  # vLLM lists the model's context with it
            server_n_ctx = next((m.get("max_model_len") for m in models if str(m["id"]) == model_id), None)
        meta = next((m.get("meta") for m in models if str(m["id"]) == model_id), None)
        n_params = meta.get("n_params") if isinstance(meta, dict) else None
        if not n_params:  # llama_cpp.server says no size: its id is the model's path, which may name one
            n_params = _size_of(model_id)
        return _Server(
            url=url,
            model_id=model_id,
            n_params=int(n_params) if isinstance(n_params, (int, float)) and n_params > 0 else None,
            slots=int(total_slots) if isinstance(total_slots, int) and total_slots > 0 else (slots or 1),
            n_ctx=int(server_n_ctx) if isinstance(server_n_ctx, int) and server_n_ctx > 0 else n_ctx,
            request_model=self.model or model_id,
            llama_server=bool(props),
        )

    @property
    def n_params(self) -> int | None:
        """The served model's parameters, when a server says (the smallest, if they differ)."""
        sizes = [s.n_params for s in self._servers if s.n_params]
        return min(sizes) if sizes else None

    @property
    def live_urls(self) -> list[str]:
        """The URLs still in the rotation."""
        with self._cond:
            return [s.url for s in self._servers if s.alive]

    # -- one completion ---------------------------------------------------------------------------
    def complete(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        seed: int | None = None,
        top_logprobs: int | None = None,
    ) -> Completion:
        started = time.perf_counter()
        body: dict[str, Any] = {"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "stream": False}
        if grammar is not None:
            body["grammar"] = grammar  # llama-server and llama_cpp.server read a GBNF grammar here
        if seed is not None:
            body["seed"] = seed
        if top_logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = top_logprobs
        failure: _Failure | None = None
        previous: _Server | None = None
        for attempt in range(self.retries + 1):
            if self._cancelled.is_set():
                raise TeacherError("the run was interrupted", kind="cancelled")
            server = self._acquire(avoid=previous)
            try:
                data = self._send(server, body, json_schema)
            except _Failure as exc:
                failure = exc
                self._failed(server, exc)
            else:
                self._succeeded(server)
                return self._completion(data, started, top_logprobs)
            finally:
                self._release(server)
            previous = server
            if attempt < self.retries:
                wait = self._delay(attempt, failure.retry_after)
                logger.info("%s; attempt %d of %d again in %.1f s", redact(failure.message), attempt + 2, self.retries + 1, wait)
                self._cancelled.wait(wait)
        assert failure is not None
        raise TeacherError(f"{failure.message} (gave up after {self.retries + 1} attempts)", kind=failure.kind)

    def _send(self, server: _Server, body: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
        payload = dict(body, model=server.request_model)
        if schema is not None:
            if server.schema_form == "json_schema":
                payload["response_format"] = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}}
            elif "grammar" not in payload and (grammar := _grammar_for(schema)) is not None:
                # A server that refuses json_schema is python -m llama_cpp.server, whose own schema
                # converter mis-escapes a quote or a backslash in an enum (see generation/grammar.py):
                # it gets our grammar instead, and the reply is still validated against the schema.
                payload["grammar"] = grammar
            else:
                payload["response_format"] = {"type": "json_object", "schema": schema}
        response = self._exchange(self._client, "POST", f"{server.url}/v1/chat/completions", seconds=self.timeout, json=payload)

        status = response.status_code
        if status >= 400:
            message = _error_message(response)
            if schema is not None and server.schema_form == "json_schema" and status in (400, 422, 500) and "response_format" in message:
                logger.info("%s refuses response_format json_schema; sending the schema as json_object from now on", server.shown)
                server.schema_form = "json_object"
                return self._send(server, body, schema)
            if status in (400, 413, 500) and _CONTEXT_OVERFLOW.search(message):
                raise TeacherError(
                    f"{server.shown}: the prompt does not fit the server's context ({message}); start the server with a larger "
                    "context (llama-server -c, llama_cpp.server --n_ctx) and set [teacher] n_ctx to match, or lower "
                    "[chunking] tokens or [teacher] max_tokens",
                    kind="context_overflow",
                )
            if status == 429:
                raise _Failure(f"{server.shown} is busy (HTTP 429: {message})", "rate_limited", counts=False, retry_after=_retry_after(response))
            if status >= 500:
                raise _Failure(f"{server.shown} failed (HTTP {status}: {message})", "http_error", retry_after=_retry_after(response))
            if status in (401, 403):
                raise TeacherError(
                    f"{server.shown} refused the request (HTTP {status}: {message}): check the API key in the variable "
                    "[teacher] api_key_env names",
                    kind="unauthorized",
                )
            raise TeacherError(f"{server.shown} refused the request (HTTP {status}: {message})", kind="http_error")
        try:
            data = response.json()
        except ValueError:
            raise _Failure(f"{server.shown} sent a reply that is not JSON (cut off?): {response.text[:200]!r}", "bad_reply") from None
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list) or not data["choices"]:
            raise _Failure(f"{server.shown} sent a reply with no choices: {response.text[:200]!r}", "bad_reply")
        return data

    @staticmethod
    def _completion(data: dict[str, Any], started: float, top_logprobs: int | None) -> Completion:
        choice = data["choices"][0] if isinstance(data["choices"][0], dict) else {}
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        finish = choice.get("finish_reason")
        return Completion(
            text=_text(message.get("content")),
            usage=Usage(
                prompt_tokens=_count(usage.get("prompt_tokens")),
                completion_tokens=_count(usage.get("completion_tokens")),
                cached_tokens=_cached_tokens(data, usage),
            ),
            logprobs=_parse_logprobs(choice.get("logprobs")) if top_logprobs else None,
            finish_reason=finish if isinstance(finish, str) else None,
            seconds=time.perf_counter() - started,
        )

    # -- the rotation -----------------------------------------------------------------------------
    def _acquire(self, avoid: _Server | None = None) -> _Server:
        """A live URL with a free slot, least loaded first (and not `avoid`, the one that just failed,
        while another is free); waits while every slot is busy."""
        with self._cond:
            while True:
                self._revive()
                live = [s for s in self._servers if s.alive]
                if not live:
                    raise TeacherError(self._none_left(), kind="unreachable")
                free = [s for s in live if s.in_flight < s.slots]
                choices = [s for s in free if s is not avoid] or free
                if self._cancelled.is_set():
                    raise TeacherError("the run was interrupted", kind="cancelled")
                if choices:
                    server = min(choices, key=lambda s: (s.in_flight / s.slots, s.sent))
                    server.in_flight += 1
                    server.sent += 1
                    return server
                self._cond.wait(timeout=1.0)  # and look again for a URL back from an outage

    def _revive(self) -> None:
        """Give a URL whose time out of the rotation is over one more chance: it is back, and a single
        failure sends it out again (for twice as long)."""
        now = time.monotonic()
        for server in self._servers:
            if not server.alive and server.retry_at and now >= server.retry_at:
                server.alive = True
                server.failures = MAX_CONSECUTIVE_FAILURES - 1
                logger.warning("%s is given another chance after %d outage(s)", server.shown, server.outages)

    def _release(self, server: _Server) -> None:
        with self._cond:
            server.in_flight -= 1
            self._cond.notify_all()

    def _succeeded(self, server: _Server) -> None:
        with self._cond:
            server.failures = 0

    def _failed(self, server: _Server, failure: _Failure) -> None:
        if not failure.counts:
            return
        with self._cond:
            server.failures += 1
            server.last_error = failure.message
            if server.alive and server.failures >= MAX_CONSECUTIVE_FAILURES:
                server.alive = False
                server.outages += 1
                server.retry_at = time.monotonic() + min(MAX_REVIVE_AFTER, self.revive_after * 2 ** (server.outages - 1))
                left = sum(s.alive for s in self._servers)
                logger.warning(
                    "%s failed %d times in a row (%s); taking it out of the rotation, %d URL(s) left",
                    server.shown, server.failures, redact(failure.message), left,
                )
                self._cond.notify_all()

    def _none_left(self) -> str:
        reasons = "; ".join(f"{s.shown}: {s.last_error}" for s in self._servers)
        return (
            f"every teacher server failed {MAX_CONSECUTIVE_FAILURES} times in a row and left the rotation ({reasons}). "
            f"Check the servers, or {START_A_SERVER}"
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        return min(MAX_BACKOFF, self.backoff * 2**attempt) * random.uniform(0.5, 1.5)

    # -- tokens -----------------------------------------------------------------------------------
    def count_tokens(self, messages: list[Message]) -> int:
        """With the server's tokenizer: llama-server applies its chat template and tokenizes the prompt
        exactly; llama_cpp.server tokenizes the messages and a few tokens per message are added for the
        template. The base class's estimate where the server has neither endpoint."""
        live = [s for s in self._servers if s.alive]
        if not live or self._token_route == "estimate":
            return super().count_tokens(messages)
        server = live[0]
        try:
            if self._token_route in (None, "llama-server") and server.llama_server:
                count = self._count_llama_server(server, messages)
                if count is not None:
                    self._token_route = "llama-server"
                    return count
            if self._token_route in (None, "extras"):
                body = {"input": self._joined(messages), "model": server.request_model}
                response = self._exchange(self._client, "POST", f"{server.url}/extras/tokenize", seconds=self.timeout, json=body)
                if response.status_code == 200 and isinstance(response.json().get("tokens"), list):
                    self._token_route = "extras"
                    return len(response.json()["tokens"]) + self._overhead(messages)
        except (_Failure, ValueError, AttributeError) as exc:
            logger.debug("counting tokens on %s failed (%s); estimating", server.shown, exc)
            return super().count_tokens(messages)
        logger.info("%s has no tokenize endpoint; prompt tokens are estimated from characters", server.shown)
        self._token_route = "estimate"
        return super().count_tokens(messages)

    def _count_llama_server(self, server: _Server, messages: list[Message]) -> int | None:
        applied = self._exchange(self._client, "POST", f"{server.url}/apply-template", seconds=self.timeout, json={"messages": messages})
        if applied.status_code == 200 and isinstance(applied.json().get("prompt"), str):
            text, overhead = applied.json()["prompt"], 0
        else:
            text, overhead = self._joined(messages), self._overhead(messages)
        response = self._exchange(
            self._client, "POST", f"{server.url}/tokenize", seconds=self.timeout, json={"content": text, "add_special": True, "parse_special": True}
        )
        if response.status_code != 200 or not isinstance(response.json().get("tokens"), list):
            return None
        return len(response.json()["tokens"]) + overhead

    @staticmethod
    def _joined(messages: list[Message]) -> str:
        return "".join(f"{m['role']}\n{m['content']}\n" for m in messages)

    @staticmethod
    def _overhead(messages: list[Message]) -> int:
        return MESSAGE_OVERHEAD_TOKENS * len(messages) + REPLY_PRIMER_TOKENS

    def cancel(self) -> None:
        """No new request or retry starts; a request in flight cannot be stopped here, and is left to end."""
        self._cancelled.set()
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


def _size_of(model_id: str) -> int | None:
    """A served model's parameters from its id: the GGUF header where the id is the path of a model file on
    this machine (llama_cpp.server's id is its --model), else a size its name states ("SmolLM2-135M")."""
    path = Path(model_id)
    if model_id.endswith(".gguf") and path.is_file():
        count = parameter_count(path)
        if count:
            return count
    return size_from_name(model_id)
