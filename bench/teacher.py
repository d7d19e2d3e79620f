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

    python bench/teacher.py --llama-server [--slots 4] [--chunks 16]

starts llama.cpp's own `llama-server` (generation/teachers/build_server.py builds it once) with
`--slots` parallel slots and runs groundqa's fact-first generation (what the embedded model runs)
against it, next to two clients that send the very same requests (recorded from groundqa on a first
pass): a bare asyncio httpx client at the same concurrency, and a sequential one that sends them one at
a time, as synthetic-data-kit and most scripts do. Batches rotate among the three. Prints requests/s
and completion tokens/s of each, groundqa's grounded pairs per minute, the ratios (target: groundqa ≥
0.95 of the bare concurrent client), and prompt tokens groundqa sent vs those the server evaluated.

    python bench/teacher.py --fact-first [--model M.gguf]

instead runs the fact-first strategy in-process on the example history, and prints the prompt tokens
sent and those llama.cpp evaluated (the rest came from the reused prefix), and questions per second.

    python bench/teacher.py --busy [--repeats 2] [--model M.gguf]

runs the same fact-first prompts in-process (the example history, one question a fact, seed 0) with
the threads groundqa chooses (generation/teachers/threads.py) and with one thread per allowed core,
while one competing CPU-bound process (a python busy loop) runs beside it; the two take turns, first
one then the other, for each repeat. Prints each pass's wall time (the model's load not counted), the
automatic choice and its reason, the ratio of the totals, and whether both wrote the same questions.
`--quiet` measures the same without the competing process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from generation.strategies import GenerationSettings  # noqa: E402
from generation.strategies.free_form import build_messages, generate_pairs, load_prompt, reply_schema  # noqa: E402
from generation.teachers.http import HttpTeacher  # noqa: E402
from generation.teachers.llama import default_model_path  # noqa: E402
from ingest.records import short_hash  # noqa: E402
from tests.support.servers import local_server  # noqa: E402

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


def async_pass(url: str, bodies: list[dict], concurrency: int) -> tuple[int, float]:
    """(completion tokens, wall seconds) of posting every body from one asyncio client, `concurrency` at a time."""
    import asyncio

    async def run() -> int:
        limit = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(timeout=600.0, limits=httpx.Limits(max_connections=concurrency)) as client:

            async def post(body: dict) -> int:
                async with limit:
                    response = await client.post(f"{url}/v1/chat/completions", json=body)
                    response.raise_for_status()
                    return response.json()["usage"]["completion_tokens"]

            return sum(await asyncio.gather(*(post(b) for b in bodies)))

    started = time.perf_counter()
    tokens = asyncio.run(run())
    return tokens, time.perf_counter() - started


LAST_USAGE: dict[str, int] = {"prompt": 0, "cached": 0, "grounded": 0}


def groundqa_pass(teacher: HttpTeacher, chunks: list[str], settings: GenerationSettings) -> tuple[int, float, int, int]:
    """(completion tokens, wall seconds, teacher calls, chunks with valid pairs) of generating every chunk;
    prompt tokens sent and reused, and grounded pairs, are added to LAST_USAGE."""
    from generation.grounding import GroundingChecker, GroundingConfig

    checker = GroundingChecker(GroundingConfig())
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
    LAST_USAGE["prompt"] += sum(r.usage.prompt_tokens for r in results)
    LAST_USAGE["cached"] += sum(r.usage.cached_tokens for r in results)
    LAST_USAGE["grounded"] += sum(
        checker.check(chunk, c.question, c.answer, c.quotes).grounded for chunk, r in zip(chunks, results) for c in r.candidates
    )
    return sum(r.usage.completion_tokens for r in results), seconds, sum(r.calls for r in results), sum(r.status == "ok" for r in results)


def fact_first_prefix_reuse(model: Path | None) -> int:
    """Fact-first in-process on the example history: prompt tokens sent versus evaluated."""
    from generation.strategies.fact_first import generate_fact_pairs
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


def shared_machine(model: Path | None, repeats: int, busy: bool) -> int:
    """The in-process teacher on fixed prompts with its automatic threads and with a thread per core,
    beside one competing busy process (or none)."""
    from generation.strategies.fact_first import generate_fact_pairs
    from generation.teachers.llama import LlamaCppTeacher

    text = EXAMPLE.read_text(encoding="utf-8")
    settings = GenerationSettings(strategy="fact_first", candidates_per_fact=1, seed=0)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    sides = {"automatic": None, f"{cores} threads (one per core)": cores}
    seconds = {side: 0.0 for side in sides}
    questions: dict[str, list[list[str]]] = {side: [] for side in sides}
    print(f"{cores} cores allowed; load average {os.getloadavg()[0]:.2f} before; competing busy process: {'yes' if busy else 'no'}")
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        time.sleep(1.0)  # let it take its core before the teacher looks
        for repeat in range(repeats):
            order = list(sides) if repeat % 2 == 0 else list(reversed(sides))
            for side in order:
                with LlamaCppTeacher(model, n_ctx=2048, n_threads=sides[side]) as teacher:
                    started = time.perf_counter()
                    result = generate_fact_pairs(teacher, text, key="bench", gen_sig="bench", settings=settings, title="The Harrow Valley Railway")
                    took = time.perf_counter() - started
                    report = teacher.thread_report()
                seconds[side] += took
                questions[side].append([c.question for c in result.candidates])
                print(
                    f"  repeat {repeat + 1} {side:26s} {result.calls:3d} questions, {result.usage.completion_tokens:5d} tokens "
                    f"in {took:6.1f} s; {report['reason']} (changed {report['changes']} times while running)",
                    flush=True,
                )
    finally:
        if competitor is not None:
            competitor.terminate()
            competitor.wait()
    for side, total in seconds.items():
        print(f"{side:26s}: {total:7.1f} s over {repeats} pass(es) = {total / repeats:6.1f} s a pass")
    auto, per_core = seconds.values()
    print(f"one thread per core / automatic: {per_core / auto:.2f}")
    same = all(a == b for a, b in zip(*questions.values())) and len({len(q) for q in questions.values()}) == 1
    print(f"same questions: {'yes' if same else 'NO'}")
    return 0 if same else 1


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
    parser.add_argument("--llama-server", action="store_true", help="start llama.cpp's llama-server, and add the sequential client")
    parser.add_argument("--slots", type=int, default=4, help="parallel slots of the started llama-server")
    parser.add_argument("--busy", action="store_true", help="in-process, automatic threads vs one per core, beside a busy process")
    parser.add_argument("--quiet", action="store_true", help="as --busy, without the competing process")
    args = parser.parse_args()
    if args.busy or args.quiet:
        return shared_machine(args.model, args.repeats, busy=args.busy)
    if args.fact_first:
        return fact_first_prefix_reuse(args.model)
    if args.llama_server:
        return several_slots(args)

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


def several_slots(args: argparse.Namespace) -> int:
    """groundqa's fact-first generation (what the embedded model runs) against llama-server -np N, next
    to a bare asyncio client at the same concurrency and a sequential client that send the very same
    requests: groundqa's request bodies are recorded on a first pass over each batch, then the three
    clients take the batches in rotation. Compared by wall time for the same requests (and completion
    tokens/s)."""
    from generation.grounding import GroundingChecker, GroundingConfig
    from generation.strategies.fact_first import generate_fact_pairs
    from tests.support.servers import local_llama_server

    chunks = make_chunks(args.chunks)
    settings = GenerationSettings(strategy="fact_first", candidates_per_fact=1, max_tokens=args.max_tokens, temperature=0.0, seed=0)
    checker = GroundingChecker(GroundingConfig())
    title = "The Harrow Valley Railway"
    model = args.model or default_model_path()
    with local_llama_server(model, slots=args.slots, n_ctx=args.n_ctx, n_threads=args.n_threads) as url, HttpTeacher([url]) as teacher:
        k = teacher.slots
        gen_sig = settings.signature(teacher.teacher_id)
        batches = [chunks[i : i + k] for i in range(0, len(chunks), k)]
        print(f"llama-server {url} -np {k}, {teacher.teacher_id}; {len(chunks)} chunks in batches of {k}, fact-first, "
              f"{args.repeats} repeat(s); load average {os.getloadavg()[0]:.2f}")
        recorded: list[list[dict]] = []
        real_post = teacher._client.post
        for batch in batches:  # groundqa's own requests, recorded (and the server warmed)
            bodies: list[dict] = []
            teacher._client.post = lambda u, json, _b=bodies: (_b.append(json), real_post(u, json=json))[1]
            with ThreadPoolExecutor(k) as pool:
                list(pool.map(lambda c: generate_fact_pairs(teacher, c, key=short_hash(c), gen_sig=gen_sig, settings=settings, title=title), batch))
            recorded.append(bodies)
        teacher._client.post = real_post

        def groundqa(batch: list[str]) -> tuple[int, float, int, int, int]:
            def one(chunk: str):
                result = generate_fact_pairs(
                    teacher, chunk, key=short_hash(chunk), gen_sig=gen_sig, settings=settings, title=title,
                    accept=lambda c: checker.check(chunk, c.question, c.answer, c.quotes, target=c.target, title=title).grounded,
                )
                return result

            started = time.perf_counter()
            with ThreadPoolExecutor(k) as pool:  # as the run does: `slots` chunks at once
                results = list(pool.map(one, batch))
            seconds = time.perf_counter() - started
            grounded = sum(
                checker.check(chunk, c.question, c.answer, c.quotes, target=c.target, title=title).grounded
                for chunk, r in zip(batch, results) for c in r.candidates
            )
            usage = [r.usage for r in results]
            return sum(u.completion_tokens for u in usage), seconds, sum(u.prompt_tokens for u in usage), sum(u.cached_tokens for u in usage), grounded

        sides = ("bare async", "groundqa", "sequential")
        totals = {side: [0, 0.0, 0] for side in sides}  # completion tokens, seconds, requests
        sent = cached = grounded = 0
        for repeat in range(args.repeats):
            for turn in range(3):
                for b, batch in enumerate(batches):
                    side = sides[(b + turn) % 3]
                    bodies = recorded[b]
                    if side == "bare async":
                        tokens, seconds = async_pass(url, bodies, k)
                    elif side == "sequential":
                        tokens, seconds = bare_pass(url, bodies, 1)
                    else:
                        tokens, seconds, p, c, g = groundqa(batch)
                        sent, cached, grounded = sent + p, cached + c, grounded + g
                    totals[side][0] += tokens
                    totals[side][1] += seconds
                    totals[side][2] += len(bodies)
                    print(f"  repeat {repeat + 1}.{turn + 1} batch {b + 1} {side:10s} {len(bodies):3d} requests, {tokens:4d} tokens in {seconds:5.1f} s", flush=True)
    for side, (tokens, seconds, requests) in totals.items():
        print(f"{side:11s}: {requests} requests in {seconds:6.1f} s = {requests / seconds:5.2f} requests/s, {tokens / seconds:6.1f} completion tok/s")
    speed = {side: requests / seconds for side, (_, seconds, requests) in totals.items()}
    print(f"groundqa   : {grounded} grounded pairs = {grounded / (totals['groundqa'][1] / 60):.1f} grounded pairs/min")
    print(f"prompt tokens groundqa sent {sent}, evaluated by the server {sent - cached} ({(sent - cached) / max(sent, 1):.1%}); {cached} from its prompt cache")
    ratio = speed["groundqa"] / speed["bare async"]
    print(f"groundqa / bare async : {ratio:.3f} ({'meets' if ratio >= 0.95 else 'MISSES'} the target of 0.95)")
    print(f"groundqa / sequential : {speed['groundqa'] / speed['sequential']:.2f}")
    return 0 if ratio >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
