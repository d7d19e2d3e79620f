"""Ingest speed against the bare library calls, measured in one run on the same inputs.

    python bench/ingest.py [--pages 200] [--html 100] [--repeat 3] [--docs 300]

Prints pages/s of our PDF extraction against plain `page.get_text()` over the same pages,
documents/s of our HTML extraction against plain `trafilatura.extract` with the same settings
(which settings, and what they cost a page, is bench/html_recall.py's question), and tokens/s of our
chunking against plain `encode_ordinary` of the same text. Target: each ratio >= 0.7.
Each pair of measurements is interleaved and repeated; the best time of each is kept, since
this machine is noisy and the minimum is the least disturbed run.

Then the worker processes (ingest/pool.py) on a folder of `--docs` documents (PDFs of 5 pages and HTML
pages, half each), extracted and chunked: in this process as before the pool (the reference), with one
worker, and with one worker per core, interleaved. Targets: one worker >= 0.85 of in-process, all
cores >= 1.6x one worker on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.chunking import Chunker, load_encoding  # noqa: E402
from ingest.readers import extract  # noqa: E402
from ingest.readers.html import TRAFILATURA_SETTINGS  # noqa: E402
from ingest.records import Document, Source, sha256_hex  # noqa: E402
from tests.ingest.samples import make_html, make_pdf  # noqa: E402

TARGET = 0.7


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def source(kind: str, data: bytes, name: str) -> Source:
    return Source(source_id=name, kind=kind, content_sha256=sha256_hex(data), size=len(data))


def bench_pdf(pages: int, repeat: int) -> tuple[float, float]:
    import pymupdf

    with tempfile.TemporaryDirectory() as tmp:
        path = make_pdf(Path(tmp) / "bench.pdf", pages=pages)
        data = path.read_bytes()

    def bare() -> None:
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            for page in doc:
                page.get_text()

    src = source("pdf", data, "bench.pdf")
    ours_t = bare_t = float("inf")
    for _ in range(repeat):
        bare_t = min(bare_t, best(bare, 1))
        ours_t = min(ours_t, best(lambda: extract(src, data), 1))
    return pages / ours_t, pages / bare_t


def bench_html(count: int, repeat: int) -> tuple[float, float]:
    import trafilatura

    pages = [make_html(i).encode("utf-8") for i in range(count)]
    sources = [source("html", p, f"page{i}.html") for i, p in enumerate(pages)]

    def bare() -> None:  # the same library work (settings, metadata), without our decoding and block layout
        for p in pages:
            trafilatura.extract(p.decode("utf-8"), **TRAFILATURA_SETTINGS)

    def ours() -> None:
        for s, p in zip(sources, pages):
            extract(s, p)

    ours_t = bare_t = float("inf")
    for _ in range(repeat):
        bare_t = min(bare_t, best(bare, 1))
        ours_t = min(ours_t, best(ours, 1))
    return count / ours_t, count / bare_t


def bench_chunking(repeat: int) -> tuple[float, float, int]:
    paragraph = (
        "The Carrow ferry crosses the estuary every 20 minutes between 06:00 and 23:00. It carries up to "
        "36 cars and 250 passengers, and the crossing takes about 8 minutes in calm weather; in winter "
        "gales the service may stop, and the timetable on the harbour office door says when it resumes. "
    )
    text = "\n\n".join(paragraph * (1 + i % 4) for i in range(3000))  # ~1 M characters
    doc = Document(source_id="big.txt", kind="text", text_sha256=sha256_hex(text), text=text)
    enc = load_encoding("cl100k_base")
    chunker = Chunker(512, 64)
    tokens = len(enc.encode_ordinary(text))
    ours_t = bare_t = float("inf")
    for _ in range(repeat):
        bare_t = min(bare_t, best(lambda: enc.encode_ordinary(text), 1))
        ours_t = min(ours_t, best(lambda: chunker.chunk(doc), 1))
    return tokens / ours_t, tokens / bare_t, tokens


def bench_workers(count: int, repeat: int) -> tuple[float, float, float, int]:
    """Documents/s: in this process, one worker, one worker per core."""
    import os

    from ingest.pool import ExtractPool
    from ingest.readers import read_document
    from ingest.sources import Raw

    with tempfile.TemporaryDirectory() as tmp:
        pdfs = [make_pdf(Path(tmp) / f"d{i}.pdf", pages=5).read_bytes() for i in range(count // 2)]
    raws = [Raw(source_id=f"d{i}.pdf", data=d) for i, d in enumerate(pdfs)]
    raws += [Raw(source_id=f"p{i}.html", data=make_html(i).encode()) for i in range(count - len(raws))]
    items = [(r.source_id, r) for r in raws]
    args = (512, 64, "cl100k_base")

    def inline() -> None:
        chunker = Chunker(*args)
        for raw in raws:
            chunker.chunk(read_document(raw)[1])

    def pool(jobs: int):
        def go() -> None:
            with ExtractPool(args, jobs=jobs) as p:
                results = list(p.map(items))
            assert len(results) == len(items) and not any(isinstance(r, Exception) for _, r in results)
        return go

    cores = os.cpu_count() or 1
    times = {"inline": float("inf"), 1: float("inf"), cores: float("inf")}
    for _ in range(repeat):
        times["inline"] = min(times["inline"], best(inline, 1))
        times[1] = min(times[1], best(pool(1), 1))
        times[cores] = min(times[cores], best(pool(cores), 1))
    return count / times["inline"], count / times[1], count / times[cores], cores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--html", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--docs", type=int, default=300)
    args = parser.parse_args()

    rows = []
    ours, bare = bench_pdf(args.pages, args.repeat)
    rows.append(("PDF extraction", "pages/s", ours, bare))
    ours, bare = bench_html(args.html, args.repeat)
    rows.append(("HTML extraction", "docs/s", ours, bare))
    ours, bare, tokens = bench_chunking(args.repeat)
    rows.append((f"chunking ({tokens:,} tokens)", "tokens/s", ours, bare))

    print(f"{'stage':<32} {'unit':<9} {'groundqa':>12} {'bare call':>12} {'ratio':>7}  target >= {TARGET}")
    failed = False
    for name, unit, ours, bare in rows:
        ratio = ours / bare
        failed |= ratio < TARGET
        print(f"{name:<32} {unit:<9} {ours:>12,.0f} {bare:>12,.0f} {ratio:>7.2f}  {'ok' if ratio >= TARGET else 'BELOW TARGET'}")

    inline, one, all_cores, cores = bench_workers(args.docs, args.repeat)
    print(f"\nextract + chunk {args.docs} documents (docs/s): in-process {inline:,.1f}, 1 worker {one:,.1f}, {cores} workers {all_cores:,.1f}")
    single, scaling = one / inline, all_cores / one
    failed |= single < 0.85 or (cores >= 2 and scaling < 1.6)
    print(f"  1 worker / in-process   {single:.2f}  target >= 0.85  {'ok' if single >= 0.85 else 'BELOW TARGET'}")
    print(f"  {cores} workers / 1 worker  {scaling:.2f}  target >= 1.6 (2 cores)  {'ok' if scaling >= 1.6 else 'BELOW TARGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
