"""The HTTP teacher's overhead: groundqa's generation against one llama.cpp server versus a bare client.

    python bench/teacher.py [--chunks 8] [--max-tokens 200] [--repeats 2] [--url URL] [--model M.gguf]

Starts `python -m llama_cpp.server` with the embedded SmolLM2-135M on 127.0.0.1 (or uses --url),
builds one qa_v1 prompt per chunk (paragraphs of the example corpus), cuts the chunks into batches
of the server's slot count, and hands the batches to the two clients in turn:

- bare: httpx posts of the same request bodies, as many at once as the server has slots;
- groundqa: `generate_pairs(HttpTeacher(...))` on the same chunks with a thread pool of
  `teacher.slots` workers (schema validation and its one retry included).

Batch b goes to the bare client in the first half of a repeat and to groundqa in the second (and
the other way round for the next batch), so each client generates every chunk once per repeat.
Alternating batch by batch pairs the two under the same load (on a shared 2-core machine a whole
pass of one client could see 9 tok/s and the next 17), and no prompt follows itself, so neither
client is handed the other's prompt cache.

Both at temperature 0 with the same seed and max_tokens. Prints the generated (completion) tokens
per second of each pass and the ratio of the totals. Target: groundqa ≥ 0.9 of the bare client.

    python bench/teacher.py --fact-first [--model M.gguf]

instead runs the fact-first strategy in-process on the example history, and prints the prompt tokens
sent and those llama.cpp evaluated (the rest came from the reused prefix), and questions per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from generation.generate import GenerationSettings, build_messages, generate_pairs, load_prompt, reply_schema  # noqa: E402
from generation.teachers.http import HttpTeacher  # noqa: E402
from generation.teachers.llama import default_model_path  # noqa: E402
from generation.teachers.serve import local_server  # noqa: E402
from ingest.records import short_hash  # noqa: E402

TARGET_RATIO = 0.9
EXAMPLE = ROOT / "corpora" / "example" / "docs" / "history.md"


def make_chunks(n: int) -> list[str]:
    """The example history's paragraphs, then neighbouring pairs of them, then all of them: `n` texts."""
    paragraphs = [p.strip() for p in EXAMPLE.read_text(encoding="utf-8").split("\n\n") if p.strip() and not p.startswith("#")]
    texts = paragraphs + ["\n\n".join(paragraphs[i : i + 2]) for i in range(len(paragraphs) - 1)] + ["\n\n".join(paragraphs)]
    return [texts[i % len(texts)] for i in range(n)]


def bare_pass(url: str, bodies: list[dict], concurrency: int) -> tuple[int, float]:
    """(completion tokens, wall seconds) of posting every body, `concurrency` at a time."""
    with httpx.Client(timeout=600.0, limits=httpx.Limits(max_connections=concurrency)) as client:

        def post(body: dict) -> int:
            response = client.post(f"{url}/v1/chat/completions", json=body)
            response.raise_for_status()
            return response.json()["usage"]["completion_tokens"]

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            tokens = sum(pool.map(post, bodies))
        return tokens, time.perf_counter() - started


def groundqa_pass(teacher: HttpTeacher, chunks: list[str], settings: GenerationSettings) -> tuple[int, float, int, int]:
    """(completion tokens, wall seconds, teacher calls, chunks with valid pairs) of generating every chunk."""
    gen_sig = settings.signature(teacher.teacher_id)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, teacher.slots)) as pool:
        results = list(pool.map(
            lambda c: generate_pairs(teacher, c, key=short_hash(c), gen_sig=gen_sig, settings=settings, title="The Harrow Valley Railway"),
            chunks,
        ))
    seconds = time.perf_counter() - started
    errors = [r.error for r in results if r.status == "teacher_error"]
    if errors:
        raise SystemExit(f"the teacher failed: {errors[0]}")
    return sum(r.usage.completion_tokens for r in results), seconds, sum(r.calls for r in results), sum(r.status == "ok" for r in results)


def fact_first_prefix_reuse(model: Path | None) -> int:
    """Fact-first in-process on the example history: prompt tokens sent versus evaluated."""
    from generation.fact_first import generate_fact_pairs
    from generation.teachers.llama import LlamaCppTeacher

    text = EXAMPLE.read_text(encoding="utf-8")
    settings = GenerationSettings(strategy="fact_first", candidates_per_fact=1, seed=0)
    with LlamaCppTeacher(model, n_ctx=2048) as teacher:
        started = time.perf_counter()
        result = generate_fact_pairs(teacher, text, key="bench", gen_sig="bench", settings=settings, title="The Harrow Valley Railway")
        seconds = time.perf_counter() - started
    sent, cached = result.usage.prompt_tokens, result.usage.cached_tokens
    print(f"fact-first, in-process {teacher.teacher_id}: {result.calls} questions in {seconds:.1f} s = {result.calls / seconds:.2f} questions/s")
    print(f"prompt tokens sent {sent}, evaluated {sent - cached} ({(sent - cached) / sent:.1%}); {cached} reused from the prefix")
    print(f"completion tokens {result.usage.completion_tokens}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=2, help="pairs asked per chunk")
    parser.add_argument("--repeats", type=int, default=2, help="times each client generates every chunk")
    parser.add_argument("--url", help="an already running llama.cpp server instead of starting one")
    parser.add_argument("--model", type=Path, help="GGUF for the started server (default: the embedded SmolLM2-135M)")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--n-threads", type=int, help="threads of the started server (default: its own, half the cores)")
    parser.add_argument("--fact-first", action="store_true", help="measure the fact-first prompt prefix reuse in-process instead")
    args = parser.parse_args()
    if args.fact_first:
        return fact_first_prefix_reuse(args.model)

    chunks = make_chunks(args.chunks)
    settings = GenerationSettings(pairs_per_chunk=args.pairs, max_tokens=args.max_tokens, temperature=0.0, seed=0)
    prompt = load_prompt(settings.prompt)
    # Both llama.cpp servers read a schema given with json_object (what HttpTeacher settles on for
    # llama_cpp.server after its first refused json_schema request). The schema is the chunk's own,
    # as groundqa sends it: quotes constrained to the chunk's sentences.
    bodies = [
        {
            "messages": build_messages(prompt, text, "The Harrow Valley Railway", args.pairs),
            "max_tokens": args.max_tokens, "temperature": 0.0, "seed": 0, "stream": False,
            "response_format": {"type": "json_object", "schema": reply_schema(args.pairs, text)},
        }
        for text in chunks
    ]

    if args.url:
        server = nullcontext(args.url)
    else:
        server = local_server(args.model or default_model_path(), n_ctx=args.n_ctx, n_threads=args.n_threads)
    with server as url, HttpTeacher([url]) as teacher:
        k = max(1, teacher.slots)
        batches = [list(range(i, min(i + k, len(chunks)))) for i in range(0, len(chunks), k)]
        print(
            f"server {url}, {teacher.teacher_id}, {k} slot(s); {len(chunks)} chunks in batches of {k}, "
            f"max_tokens {args.max_tokens}, {args.repeats} repeat(s)"
        )
        # warm-up: loads the model's pages and lets the teacher settle its response_format
        teacher.complete(bodies[0]["messages"], json_schema=bodies[0]["response_format"]["schema"], max_tokens=8, temperature=0.0, seed=0)
        totals = {"bare": [0, 0.0], "groundqa": [0, 0.0]}
        calls = valid = 0
        for repeat in range(args.repeats):
            for half in range(2):
                for b, batch in enumerate(batches):
                    if (b + half) % 2 == 0:
                        tokens, seconds = bare_pass(url, [bodies[i] for i in batch], k)
                        side = "bare"
                    else:
                        tokens, seconds, n_calls, n_valid = groundqa_pass(teacher, [chunks[i] for i in batch], settings)
                        calls, valid, side = calls + n_calls, valid + n_valid, "groundqa"
                    totals[side][0] += tokens
                    totals[side][1] += seconds
                    print(
                        f"  repeat {repeat + 1}.{half + 1} chunks {batch[0] + 1}-{batch[-1] + 1} {side:8s} "
                        f"{tokens:4d} tokens in {seconds:5.1f} s = {tokens / seconds:5.1f} tok/s",
                        flush=True,
                    )
    rates = {side: tokens / seconds for side, (tokens, seconds) in totals.items()}
    ratio = rates["groundqa"] / rates["bare"]
    for side, (tokens, seconds) in totals.items():
        print(f"{side:9s}: {tokens:5d} tokens in {seconds:6.1f} s = {rates[side]:6.1f} tok/s")
    print(f"groundqa: {calls} teacher calls, {valid} of {len(chunks) * args.repeats} chunk passes with valid pairs")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"ratio    : {ratio:.3f} ({verdict} the target of {TARGET_RATIO})")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
