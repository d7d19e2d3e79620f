"""What publishing writes on a quiet night: bytes written under out/ by a cold run, an unchanged re-run and a
re-run with 1 % of the documents edited, against the size of the dataset.

    python bench/publish.py [--docs 1000] [--changed 0.01] [--documents-per-shard 4]

On bench/incremental.py's generated corpus (one-chunk Markdown documents, the fake teacher with no delay),
each run in its own process. "written to out/" is the size of every file of the new set that is not a
hard link of a file that was there before (new inodes, found by walking out/), so it does not trust the
manifest's own count; "dataset" is the size of the new set's files. "process wrote" is the run's write()
bytes (/proc/self/io wchar: out/, the store and its WAL together); "peak" its maximum RSS.
Targets (issue 25): an unchanged night writes under 1 % of the dataset's bytes, a 1 %-changed night about
1 % (under 5 %).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.incremental import document, make_corpus  # noqa: E402

TARGET_UNCHANGED = 0.01
TARGET_CHANGED = 0.05


def io_written() -> int:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(root: Path) -> None:
    """One run of the corpus at `root` in this process; prints its figures as JSON."""
    from generation.config import load_corpus
    from generation.pipeline.run import Run
    from generation.teachers import FakeTeacher
    from tests.support.corpora import answer_from_chunk

    before = io_written()
    start = time.perf_counter()
    outcome = Run(load_corpus(root), teacher=FakeTeacher(default=answer_from_chunk, record=False)).run()
    print(json.dumps({
        "seconds": time.perf_counter() - start, "wchar": io_written() - before,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "manifest": outcome.manifest,
    }))


def files(out: Path) -> dict[tuple[int, int], int]:
    """(device, inode) -> size of every file of the shown set."""
    current = (out / "current").resolve()
    return {(p.stat().st_dev, p.stat().st_ino): p.stat().st_size for p in current.rglob("*") if p.is_file()} if current.is_dir() else {}


def measured_run(root: Path) -> dict:
    out = root / "out"
    before = files(out)
    done = subprocess.run([sys.executable, __file__, "--child", str(root)], capture_output=True, text=True)
    if done.returncode not in (0, 3):
        sys.exit(f"the run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    after = files(out)
    figures["dataset"] = sum(after.values())
    figures["written"] = sum(size for key, size in after.items() if key not in before)
    figures["files"] = len(after)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=0.01, help="share of the documents edited before the third run")
    parser.add_argument("--documents-per-shard", type=int, default=None, help="[output] documents_per_shard (default: groundqa's)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "kb"
        make_corpus(root, args.docs)
        if args.documents_per_shard:
            with open(root / "corpus.toml", "a") as toml:
                toml.write(f"documents_per_shard = {args.documents_per_shard}\n")
        cold = measured_run(root)
        unchanged = measured_run(root)
        edited = max(1, round(args.docs * args.changed))
        for i in random.Random(1).sample(range(args.docs), edited):
            (root / "docs" / f"doc{i:05d}.md").write_text(document(i, revision=1))
        changed = measured_run(root)
    shards = cold["manifest"]["files"]["shards"]
    print(f"corpus: {args.docs} documents, {cold['manifest']['pairs']['published']} pairs published; "
          f"{shards['count']} shard(s), {shards['documents_per_shard']} documents a shard; {cold['files']} files in a set")
    print(f"{'run':<26} {'seconds':>8} {'dataset':>11} {'written to out/':>16} {'share':>7} {'process wrote':>14} {'peak':>8}")
    failed = False
    for name, fig, target in (("cold", cold, None), ("unchanged", unchanged, TARGET_UNCHANGED),
                              (f"{edited} documents edited", changed, TARGET_CHANGED)):
        share = fig["written"] / fig["dataset"] if fig["dataset"] else 0.0
        verdict = "" if target is None else ("ok" if share < target else "ABOVE TARGET")
        failed |= target is not None and share >= target
        print(f"{name:<26} {fig['seconds']:>8.1f} {fig['dataset']:>11,} {fig['written']:>16,} {share:>7.2%} "
              f"{fig['wchar']:>14,} {fig['peak_mib']:>6.0f} MiB {verdict}")
    print(f"targets: unchanged < {TARGET_UNCHANGED:.0%} of the dataset's bytes, {args.changed:.0%} edited < {TARGET_CHANGED:.0%}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
