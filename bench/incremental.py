"""Nightly re-runs: what an unchanged or slightly changed corpus costs against a cold run.

    python bench/incremental.py [--docs 1000] [--delay 0.05] [--memory-docs 10000]

On a generated corpus of `--docs` Markdown documents, with the fake teacher sleeping `--delay`
seconds per call (standing for teacher time; a real 7B teacher takes seconds per chunk, so 0.05 s
flatters the cold run least), it times a cold run, an unchanged re-run, a re-run with 1% of the
documents edited and an unchanged re-run with --verify, and prints the bytes each read from the sources
(the documents are dated a day back, as a knowledge base's files are on a nightly run: a file written
seconds before a run is read again by the next, scan.RACY_SECONDS). Targets: each re-run <= 5% of the
cold run's time; an unchanged re-run reads no source byte.
Then it measures the peak memory (max RSS, each run in its own process) of a cold run over
`--docs` and over `--memory-docs` documents (no delay). Target: the larger within 1.5x.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_RERUN = 0.05
TARGET_MEMORY = 1.5

PLACES = ["Alder", "Birch", "Cedar", "Dale", "Elm", "Fern", "Gorse", "Hazel", "Ivy", "Juniper", "Larch", "Maple"]
THINGS = ["Mill", "Bridge", "Hall", "Tower", "Chapel", "Station", "School", "Library", "Market", "Harbour"]


SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def word(i: int) -> str:
    """A made-up proper name, different for every i, letters only."""
    parts = []
    while True:
        i, r = divmod(i, len(SYLLABLES))
        parts.append(SYLLABLES[r])
        if i == 0:
            break
    return "".join(parts).capitalize()


def document(i: int, revision: int = 0) -> str:
    rng = random.Random(i * 7919 + revision)
    name = f"The {word(i)} {THINGS[i % len(THINGS)]}"
    year = 1700 + rng.randrange(300)
    lines = [f"# {name}", "", f"{name} was founded in {year}."]
    for _ in range(6):
        lines.append(
            f"In {1700 + rng.randrange(300)} it gained {rng.randrange(2, 90)} new rooms, and the council "
            f"of {PLACES[rng.randrange(len(PLACES))]} paid {rng.randrange(100, 9000)} pounds for the work."
        )
    return "\n".join(lines) + "\n"


def make_corpus(root: Path, docs: int) -> None:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "corpus.toml").write_text('[chunking]\ntokens = 256\noverlap = 32\n[output]\nformats = ["alpaca", "openai"]\n')
    day_ago = time.time() - 86_400
    for i in range(docs):
        path = root / "docs" / f"doc{i:05d}.md"
        path.write_text(document(i))
        os.utime(path, (day_ago, day_ago))


def teacher(delay: float):
    from generation.teachers import FakeTeacher
    from tests.support.corpora import answer_from_chunk

    return FakeTeacher(default=answer_from_chunk, delay=delay, record=False)


def timed_run(root: Path, delay: float, verify: bool = False) -> tuple[float, dict]:
    from generation.config import load_corpus
    from generation.pipeline.run import Run

    start = time.perf_counter()
    outcome = Run(load_corpus(root), teacher=teacher(delay), verify=verify).run()
    return time.perf_counter() - start, outcome.manifest


def child(root: Path, docs: int) -> None:
    """One cold run in this process; prints its peak RSS (MiB) and time as JSON."""
    make_corpus(root, docs)
    seconds, manifest = timed_run(root, 0.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"docs": docs, "seconds": seconds, "peak_mib": peak, "published": manifest["pairs"]["published"]}))


def peak_memory(docs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(docs), "--root", tmp], capture_output=True, text=True, check=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--memory-docs", type=int, default=10_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.root, args.child)
        return 0

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "kb"
        make_corpus(root, args.docs)
        cold, m_cold = timed_run(root, args.delay)
        unchanged, m_unchanged = timed_run(root, args.delay)
        changed_docs = max(1, args.docs // 100)
        for i in random.Random(1).sample(range(args.docs), changed_docs):
            (root / "docs" / f"doc{i:05d}.md").write_text(document(i, revision=1))
        changed, m_changed = timed_run(root, args.delay)
        verified, m_verified = timed_run(root, args.delay, verify=True)

    print(f"corpus: {args.docs} documents, {m_cold['chunks']['total']} chunks; fake teacher delay {args.delay} s/call")
    print(f"{'run':<24} {'seconds':>8} {'teacher calls':>14} {'published':>10} {'retired':>8} {'source bytes read':>18} {'files read':>10} {'vs cold':>8}")
    rows = (
        ("cold", cold, m_cold), ("unchanged re-run", unchanged, m_unchanged), (f"{changed_docs} docs changed (1%)", changed, m_changed),
        ("unchanged, --verify", verified, m_verified),
    )
    for name, seconds, m in rows:
        ratio = seconds / cold
        verdict = "" if name == "cold" else ("ok" if ratio <= TARGET_RERUN else "ABOVE TARGET")
        failed |= name != "cold" and ratio > TARGET_RERUN
        scan = m["scan"]
        print(
            f"{name:<24} {seconds:>8.2f} {m['teacher']['calls']:>14} {m['pairs']['published']:>10} {m['pairs']['retired']:>8} "
            f"{scan['bytes_read']:>18,} {scan['read']:>10} {ratio:>8.3f} {verdict}"
        )
    failed |= m_unchanged["scan"]["bytes_read"] > 0
    print(f"target: re-runs <= {TARGET_RERUN:.0%} of the cold run; the unchanged re-run reads no source byte "
          f"({'ok' if m_unchanged['scan']['bytes_read'] == 0 else 'ABOVE TARGET'})")

    if args.memory_docs:
        small, large = peak_memory(args.docs), peak_memory(args.memory_docs)
        ratio = large["peak_mib"] / small["peak_mib"]
        failed |= ratio > TARGET_MEMORY
        print(f"peak memory, cold run: {small['docs']} docs {small['peak_mib']:.0f} MiB ({small['seconds']:.1f} s), "
              f"{large['docs']} docs {large['peak_mib']:.0f} MiB ({large['seconds']:.1f} s): ratio {ratio:.2f} "
              f"(target <= {TARGET_MEMORY}) {'ok' if ratio <= TARGET_MEMORY else 'ABOVE TARGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
