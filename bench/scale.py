"""What a night costs as the knowledge base grows: cold, unchanged and 1 %-changed runs at 1k, 10k
(and, when asked, 100k) documents, against a fake llama-server that advertises many slots.

    python bench/scale.py [--docs 1000 10000] [--slots 256] [--hosts 1] [--latency 1-2] [--json figures.json]
    python bench/scale.py --docs 1000 10000 100000        # 100k takes long: only when asked

Each corpus holds N one-chunk Markdown documents in nested folders (docs/<N/1000>/<N/100 % 10>/),
free_form generation (set in its corpus.toml), and is run four times through the CLI
(`python -m generation run <corpus> --teacher-url ... -q`, a child process): cold; unchanged; with 1 %
of the documents edited at random; with 1 % edited inside one folder. The teacher is
tests/support/fake_llama.py (its own process): `--hosts` ports with `--slots` slots each (/props
total_slots), answering after `--latency` seconds with pairs the checker accepts.

What each figure is, and how it is measured (public interfaces only: files, the manifest, /proc):
  wall        seconds from starting the child to reaping it.
  src read    bytes of the source files that were opened or read during the run (inotify IN_OPEN and
              IN_ACCESS on every folder of docs/, by any process: the run and its extraction workers),
              counted once a file, at the file's size; "files" is how many.
  out new     bytes of the files under out/ after the run whose inode is new or whose size or mtime
              changed: a hard link to an unchanged file, or a renamed folder, writes nothing.
  dataset     bytes of the published set (out/current, resolved), each inode once.
  store+      the rest of what the run's process tree sent to storage: /proc write_bytes (the child's,
              with its reaped workers', read from this process's /proc/self/io around the run) less
              `out new`; mostly the SQLite store and its WAL.
  peak RSS    the coordinator's VmHWM (the groundqa process itself, sampled every 0.1 s; extraction
              workers are not in it: they are bounded by [sources] extract_memory_mb).
  in flight   requests the fake hosts held at once: max, and mean over the time any was in flight;
              "full" is the share of that time every slot of every host was busy.
  coord CPU   user+sys seconds of the groundqa process alone (/proc/<pid>/stat utime+stime, without
              its workers) between the first teacher request and the last reply, per teacher request,
              and as cores (that CPU over that time).
Slopes are exponents between two corpus sizes: log(figure ratio) / log(size ratio); 1 is linear, 0 flat.
Targets (issue 25) are printed beside each figure with ok / NOT MET.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.incremental import document  # noqa: E402  the same made-up documents as the incremental benchmark

TARGET_UNCHANGED_WALL = 0.02  # of the cold run's wall time
TARGET_UNCHANGED_WRITTEN = 0.01  # of the dataset's bytes
TARGET_CHANGED_WRITTEN = 0.05  # 1 % of documents changed: about 1 %, under 5 %
TARGET_MEMORY = 1.5  # peak RSS at the largest corpus against the smallest, cold runs
# The slots' mean use while the teacher works (cold run, largest corpus): the last wave of requests, when
# fewer chunks are left than slots, empties them (about half a reply's time of ramp-down in every run).
TARGET_USED = 0.9
TARGET_CORES = 1.0  # coordinator CPU while the teacher works: one core
SAMPLE_SECONDS = 0.1
PER_LEAF = 100  # documents per leaf folder; 10 leaves per top folder
CORPUS_TOML = """[sources]
paths = ["docs/**/*.md"]
[chunking]
tokens = 256
overlap = 32
[generation]
strategy = "free_form"
pairs_per_chunk = 3
"""


# -- the corpus: bench/incremental.py's documents, in nested folders ---------------------------------
def doc_path(root: Path, i: int) -> Path:
    return root / "docs" / f"d{i // (PER_LEAF * 10):03d}" / f"e{(i // PER_LEAF) % 10}" / f"doc{i:06d}.md"


def make_corpus(root: Path, docs: int) -> int:
    """The corpus folder; returns its documents' bytes."""
    root.mkdir(parents=True)
    (root / "corpus.toml").write_text(CORPUS_TOML)
    total = 0
    for i in range(docs):
        path = doc_path(root, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = document(i)
        path.write_text(text)
        total += len(text.encode())
    return total


def edit(root: Path, which: list[int], revision: int) -> None:
    for i in which:
        doc_path(root, i).write_text(document(i, revision))


def one_folder(docs: int, count: int, rng: random.Random) -> list[int]:
    """`count` documents of one top folder (which holds PER_LEAF * 10), from its first on."""
    folders = math.ceil(docs / (PER_LEAF * 10))
    start = rng.randrange(folders) * PER_LEAF * 10
    return list(range(start, min(docs, start + count)))


# -- measuring ---------------------------------------------------------------------------------------
class SourceWatch:
    """Which files under a folder any process opens or reads, by inotify on every folder in it."""

    IN_ACCESS, IN_OPEN, IN_Q_OVERFLOW, IN_ISDIR = 0x1, 0x20, 0x4000, 0x40000000

    def __init__(self, top: Path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs: dict[int, Path] = {}
        for folder in [top, *(p for p in top.rglob("*") if p.is_dir())]:
            wd = self.libc.inotify_add_watch(self.fd, str(folder).encode(), self.IN_ACCESS | self.IN_OPEN)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder} (raise fs.inotify.max_user_watches?)")
            self.dirs[wd] = folder
        self.seen: set[Path] = set()
        self.overflowed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "SourceWatch":
        self.seen = set()
        self.overflowed = False
        self._stop.clear()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.2)  # the last events of the run
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _read(self) -> None:
        import select

        poll = select.poll()
        poll.register(self.fd, select.POLLIN)
        while True:
            ready = poll.poll(50)
            if not ready and self._stop.is_set():
                return
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                continue
            at = 0
            while at < len(data):
                wd, mask, _, length = struct.unpack_from("iIII", data, at)
                name = data[at + 16 : at + 16 + length].rstrip(b"\0").decode()
                at += 16 + length
                if mask & self.IN_Q_OVERFLOW:
                    self.overflowed = True
                elif name and not mask & self.IN_ISDIR and wd in self.dirs:
                    self.seen.add(self.dirs[wd] / name)

    def figures(self) -> tuple[int, int]:
        """(files, bytes) opened or read since the watch began."""
        return len(self.seen), sum(p.stat().st_size for p in self.seen if p.exists())

    def close(self) -> None:
        os.close(self.fd)


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """path -> (inode, size, mtime_ns) of every regular file under `folder` (links not followed)."""
    found = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if not os.path.islink(path):
                found[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def written(before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]) -> int:
    """Bytes of files that are new inodes, or old inodes whose size or mtime changed; each inode once."""
    old = {ino: (size, mtime) for ino, size, mtime in before.values()}
    counted: set[int] = set()
    total = 0
    for ino, size, mtime in after.values():
        if ino not in counted and old.get(ino) != (size, mtime):
            counted.add(ino)
            total += size
    return total


def dataset_bytes(out: Path) -> int:
    """The published set: out/current resolved where it exists, else everything under out/; each inode once."""
    folder = (out / "current").resolve() if (out / "current").exists() else out
    return sum(size for _, size, _ in {v[0]: v for v in snapshot(folder).values()}.values())


def own_io() -> dict[str, int]:
    """This process's /proc io counters: a reaped child's (and its reaped children's) are added to them."""
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return {k: int(v) for k, v in fields.items()}


def cpu_seconds(stat_path: str) -> float:
    """utime+stime of a /proc stat file (a process's own threads, or one thread's)."""
    fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample(pid: int) -> tuple[float, float, int, int] | None:
    """(user+sys seconds of the process alone, of its main thread, VmHWM bytes, threads), or None once gone."""
    try:
        cpu, main = cpu_seconds(f"/proc/{pid}/stat"), cpu_seconds(f"/proc/{pid}/task/{pid}/stat")
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    hwm = int(values.get("VmHWM", "0 kB").split()[0]) * 1024
    return cpu, main, hwm, int(values.get("Threads", "1"))


# -- the fake teacher --------------------------------------------------------------------------------
@contextmanager
def fake_teacher(hosts: int, slots: int, latency: str) -> Iterator[list[str]]:
    with tempfile.TemporaryDirectory(prefix="groundqa-fake-") as tmp:
        ready = Path(tmp) / "ready.json"
        command = [sys.executable, "-m", "tests.support.fake_llama", "--hosts", str(hosts), "--slots", str(slots), "--latency", latency, "--ready-file", str(ready)]
        process = subprocess.Popen(command, cwd=ROOT, env=child_env(), stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not ready.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the fake teacher did not start (exit {process.poll()})")
                time.sleep(0.05)
            yield json.loads(ready.read_text())["urls"]
        finally:
            process.terminate()
            process.wait(10)


def teacher_call(url: str, path: str) -> dict:
    import httpx

    response = httpx.post(url + path, timeout=10) if path == "/bench/reset" else httpx.get(url + path, timeout=10)
    response.raise_for_status()
    return response.json()


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


# -- one run -----------------------------------------------------------------------------------------
@dataclass
class Figures:
    docs: int
    run: str
    exit_code: int
    wall: float
    src_files: int
    src_bytes: int
    rchar: int
    out_new: int
    dataset: int
    store_other: int
    peak_rss: int
    threads: int
    slots: int
    requests: int
    max_in_flight: int
    mean_in_flight: float
    full_share: float
    coord_cpu: float  # seconds, between the first request and the last reply
    coord_main_cpu: float  # of which the main thread's (the store's commits, starting teacher threads)
    coord_window: float  # seconds of that window
    coord_cpu_total: float  # seconds, the whole run
    tree_cpu_total: float  # seconds, the run and its reaped workers (wait4)
    published: int | None
    teacher_calls: int | None
    overflowed: bool


def cpu_at(series: list[tuple[float, float, float]], when: float, column: int, *, after: bool) -> float:
    """The sampled CPU seconds (`column` of the samples) at wall-clock `when`: the last sample before it,
    or the first after."""
    if after:
        return next((s[column] for s in series if s[0] >= when), series[-1][column])
    return next((s[column] for s in reversed(series) if s[0] <= when), series[0][column])


def measure(root: Path, docs: int, name: str, urls: list[str], watch: SourceWatch, log: Path) -> Figures:
    out = root / "out"
    teacher_call(urls[0], "/bench/reset")
    before, io_before = snapshot(out), own_io()
    command = [sys.executable, "-m", "generation", "run", str(root), "-q", *(a for u in urls for a in ("--teacher-url", u))]
    series: list[tuple[float, float, float]] = []
    hwm = threads = 0
    with watch, log.open("ab") as err:
        err.write(f"\n== {docs} docs, {name}\n".encode())
        err.flush()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=child_env(), stdout=err, stderr=err, stdin=subprocess.DEVNULL)
        while process.poll() is None:
            if (seen := sample(process.pid)) is not None:
                series.append((time.time(), seen[0], seen[1]))
                hwm, threads = max(hwm, seen[2]), max(threads, seen[3])
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - start
    io_after = own_io()
    stats = teacher_figures(urls)
    after = snapshot(out)
    files, src = watch.figures()
    out_new = written(before, after)
    series = series or [(time.time(), 0.0, 0.0)]
    window = coord = main = 0.0
    if stats["requests"] and stats["first"] and stats["last"]:
        window = max(stats["last"] - stats["first"], 1e-9)
        for column in (1, 2):
            spent = cpu_at(series, stats["last"], column, after=True) - cpu_at(series, stats["first"], column, after=False)
            coord, main = (spent, main) if column == 1 else (coord, spent)
    manifest = read_manifest(out)
    return Figures(
        docs=docs, run=name, exit_code=process.returncode, wall=wall, src_files=files, src_bytes=src,
        rchar=io_after["rchar"] - io_before["rchar"], out_new=out_new, dataset=dataset_bytes(out),
        store_other=max(0, io_after["write_bytes"] - io_before["write_bytes"] - out_new), peak_rss=hwm, threads=threads,
        slots=stats["slots"], requests=stats["requests"], max_in_flight=stats["max_in_flight"], mean_in_flight=stats["mean_in_flight"],
        full_share=stats["full_share"], coord_cpu=coord, coord_main_cpu=main, coord_window=window, coord_cpu_total=series[-1][1],
        tree_cpu_total=tree_cpu(), published=(manifest.get("pairs") or {}).get("published"),
        teacher_calls=(manifest.get("teacher") or {}).get("calls"), overflowed=watch.overflowed,
    )


_tree_seen = 0.0


def tree_cpu() -> float:
    """User+sys seconds of the children reaped since the last call (the run and its workers)."""
    global _tree_seen
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    grown, _tree_seen = total - _tree_seen, total
    return grown


def teacher_figures(urls: list[str]) -> dict:
    """The fake hosts share one count, so any URL gives all of it."""
    return teacher_call(urls[0], "/bench/stats")


def read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


def night(docs: int, work: Path, urls: list[str], log: Path) -> list[Figures]:
    """The four runs over one corpus of `docs` documents."""
    root = work / f"kb{docs}"
    make_corpus(root, docs)
    rng = random.Random(docs)
    changed = max(1, docs // 100)
    watch = SourceWatch(root / "docs")
    results = []
    try:
        tree_cpu()
        for name, edits in (
            ("cold", None),
            ("unchanged", None),
            ("1% random", (rng.sample(range(docs), changed), 1)),
            ("1% one folder", (one_folder(docs, changed, rng), 2)),
        ):
            if edits:
                edit(root, *edits)
            figures = measure(root, docs, name, urls, watch, log)
            results.append(figures)
            print(row(figures, results[0]), flush=True)
    finally:
        watch.close()
    return results


# -- where the coordinator's CPU goes ---------------------------------------------------------------
CATEGORIES = [  # (name, substrings of a profiled function's file or name), first match wins
    ("HTTP (httpx, sockets)", ("/httpx/", "/httpcore/", "/h11/", "/anyio/", "socket", "selectors", "_ssl", "ssl.py", "ingest/deadline")),
    ("JSON", ("/json/", "_json")),
    ("grounding", ("generation/grounding", "generation/text", "rapidfuzz")),
    ("store (SQLite)", ("generation/pipeline/store.py", "sqlite3")),
    ("strategy (prompt, reply, pydantic)", ("generation/strategies", "pydantic")),
    ("teacher client (http.py)", ("generation/teachers",)),
    ("threads, queues", ("threading.py", "queue.py", "_thread", "pipeline/workers.py")),
    ("scan, extraction, chunking", ("/ingest/", "pipeline/scan.py", "tiktoken")),
    ("dedup, publishing", ("generation/dedup", "generation/outputs", "pipeline/assemble.py", "datasketch")),
]


def category(key: tuple[str, int, str]) -> str:
    where = f"{key[0]} {key[2]}"
    return next((name for name, marks in CATEGORIES if any(m in where for m in marks)), "other")


def profile(docs: int, work: Path, urls: list[str]) -> None:
    """A cold run and an unchanged one in this process, every thread under cProfile with a per-thread CPU
    clock; prints the CPU of the teacher threads and of the main thread by category."""
    from generation.config import load_corpus
    from generation.pipeline.run import Run

    root = work / f"profile{docs}"
    make_corpus(root, docs)
    for name in ("cold", "unchanged"):
        teacher_call(urls[0], "/bench/reset")
        with profiled() as profiles:
            start = time.perf_counter()
            Run(load_corpus(root, {"teacher": {"model": "", "urls": urls}})).run()
            wall = time.perf_counter() - start
        stats = teacher_figures(urls)
        print(f"\n=== profiled {name} run, {docs} docs: {wall:.1f} s, {stats['requests']} requests, "
              f"in flight max {stats['max_in_flight']} mean {stats['mean_in_flight']:.0f}")
        for who, found in profiles.items():
            show_profile(who, [p for p in found if p.getstats()], stats["requests"])


@contextmanager
def profiled() -> Iterator[dict[str, list]]:
    import cProfile

    profiles: dict[str, list[cProfile.Profile]] = {"teacher": [], "main": []}
    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        profiler = cProfile.Profile(time.thread_time)
        profiles["teacher" if self.name == "teacher" else "main"].append(profiler)
        profiler.enable()
        try:
            original(self)
        finally:
            profiler.disable()

    threading.Thread.run = run  # type: ignore[method-assign]
    main = cProfile.Profile(time.thread_time)
    profiles["main"].append(main)
    main.enable()
    try:
        yield profiles
    finally:
        main.disable()
        threading.Thread.run = original  # type: ignore[method-assign]


def show_profile(who: str, found: list, requests: int) -> None:
    import pstats

    if not found:
        return
    merged = pstats.Stats(*found)
    by: dict[str, float] = {}
    for key, (_, _, tottime, _, _) in merged.stats.items():  # type: ignore[attr-defined]
        by[category(key)] = by.get(category(key), 0.0) + tottime
    total = sum(by.values())
    per = f", {1000 * total / requests:.2f} ms a request" if requests and who == "teacher" else ""
    print(f"\n{who} thread(s): {total:.2f} CPU s{per}")
    for name, seconds in sorted(by.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<36} {seconds:>7.2f} s {seconds / total:>6.1%}")
    merged.sort_stats("tottime").print_stats(10)
    if who == "main":
        merged.sort_stats("cumulative").print_stats(25)


# -- printing ----------------------------------------------------------------------------------------
def mb(n: float) -> str:
    return f"{n / 1e6:.2f}"


HEADER = (
    f"{'docs':>7} {'run':<14} {'wall s':>8} {'x cold':>7} {'src read MB':>11} {'files':>7} {'out new MB':>10} "
    f"{'% set':>6} {'set MB':>7} {'store+ MB':>9} {'peak MiB':>8} {'reqs':>6} {'in flight max/mean':>18} {'used':>5} {'full':>5} "
    f"{'CPU ms/req':>10} {'main':>5} {'cores':>5} {'pairs':>7}"
)


def row(f: Figures, cold: Figures) -> str:
    share = f.out_new / f.dataset if f.dataset else 0.0
    per_request = f"{1000 * f.coord_cpu / f.requests:.2f}" if f.requests else "-"
    main = f"{1000 * f.coord_main_cpu / f.requests:.2f}" if f.requests else "-"
    used = f.mean_in_flight / f.slots
    cores = f"{f.coord_cpu / f.coord_window:.2f}" if f.coord_window else "-"
    flags = (" exit %d" % f.exit_code if f.exit_code not in (0, 3) else "") + (" (inotify overflowed)" if f.overflowed else "")
    return (
        f"{f.docs:>7} {f.run:<14} {f.wall:>8.2f} {f.wall / cold.wall:>7.3f} {mb(f.src_bytes):>11} {f.src_files:>7} {mb(f.out_new):>10} "
        f"{100 * share:>5.1f}% {mb(f.dataset):>7} {mb(f.store_other):>9} {f.peak_rss / 2**20:>8.0f} {f.requests:>6} "
        f"{f'{f.max_in_flight}/{f.mean_in_flight:.0f}':>18} {100 * used:>4.0f}% {100 * f.full_share:>4.0f}% {per_request:>10} {main:>5} {cores:>5} {f.published or 0:>7}{flags}"
    )


def verdict(ok: bool) -> str:
    return "ok" if ok else "NOT MET"


def targets(results: dict[int, list[Figures]], slots: int) -> list[tuple[str, bool]]:
    """Issue 25's targets, judged on the largest corpus (memory: largest against smallest)."""
    sizes = sorted(results)
    big = {f.run: f for f in results[sizes[-1]]}
    cold, same = big["cold"], big["unchanged"]
    checks = [
        (f"unchanged night at {sizes[-1]} docs: wall {same.wall / cold.wall:.1%} of cold (target < {TARGET_UNCHANGED_WALL:.0%})",
         same.wall / cold.wall < TARGET_UNCHANGED_WALL),
        (f"unchanged night at {sizes[-1]} docs: writes {same.out_new / max(same.dataset, 1):.1%} of the dataset's bytes under out/ "
         f"(target < {TARGET_UNCHANGED_WRITTEN:.0%})", same.out_new / max(same.dataset, 1) < TARGET_UNCHANGED_WRITTEN),
    ]
    for name in ("1% random", "1% one folder"):
        share = big[name].out_new / max(big[name].dataset, 1)
        checks.append((f"{name} at {sizes[-1]} docs: writes {share:.1%} of the dataset (target about 1%, < {TARGET_CHANGED_WRITTEN:.0%})",
                       share < TARGET_CHANGED_WRITTEN))
    if len(sizes) > 1:
        small = {f.run: f for f in results[sizes[0]]}["cold"]
        ratio = cold.peak_rss / max(small.peak_rss, 1)
        checks.append((f"peak memory, cold: {sizes[-1]} docs {cold.peak_rss / 2**20:.0f} MiB against {sizes[0]} docs "
                       f"{small.peak_rss / 2**20:.0f} MiB = {ratio:.2f}x (target <= {TARGET_MEMORY}x)", ratio <= TARGET_MEMORY))
    used = cold.mean_in_flight / slots
    checks.append((f"in flight, cold at {sizes[-1]} docs: max {cold.max_in_flight} of {slots} slots, mean {cold.mean_in_flight:.0f} "
                   f"({used:.0%} of the slots, target >= {TARGET_USED:.0%}; all {slots} at once {cold.full_share:.0%} of the time)",
                   cold.max_in_flight >= slots and used >= TARGET_USED))
    cores = cold.coord_cpu / cold.coord_window if cold.coord_window else float("inf")
    checks.append((f"coordinator CPU while generating, cold at {sizes[-1]} docs: {cores:.2f} cores "
                   f"({1000 * cold.coord_cpu / max(cold.requests, 1):.1f} ms a request; target <= {TARGET_CORES:.0f} core)", cores <= TARGET_CORES))
    return checks


def slopes(results: dict[int, list[Figures]]) -> list[str]:
    """Exponents of each figure between consecutive corpus sizes."""
    sizes = sorted(results)
    lines = []
    metrics = {
        "wall": lambda f: f.wall, "src read": lambda f: f.src_bytes, "out new": lambda f: f.out_new,
        "store+": lambda f: f.store_other, "peak RSS": lambda f: f.peak_rss, "coord CPU": lambda f: f.coord_cpu_total,
    }
    for a, b in zip(sizes, sizes[1:]):
        runs_a, runs_b = ({f.run: f for f in results[n]} for n in (a, b))
        for run in runs_a:
            parts = []
            for label, get in metrics.items():
                x, y = get(runs_a[run]), get(runs_b[run])
                parts.append(f"{label} {math.log(y / x) / math.log(b / a):.2f}" if x > 0 and y > 0 else f"{label} -")
            lines.append(f"  {a}->{b} {run:<14} " + ", ".join(parts))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[1000, 10_000], help="corpus sizes (default 1000 10000)")
    parser.add_argument("--slots", type=int, default=256, help="slots per fake host (/props total_slots)")
    parser.add_argument("--hosts", type=int, default=1, help="fake hosts (URLs), each with --slots slots")
    parser.add_argument("--latency", default="1-2", help="seconds per teacher reply: '1.5', or '1-2' uniformly (default)")
    parser.add_argument("--work", type=Path, help="where the corpora are made (default: a temporary folder, removed)")
    parser.add_argument("--json", type=Path, help="write every figure here as JSON")
    parser.add_argument("--profile", type=int, metavar="DOCS", help="instead: one cold run of DOCS documents in this process, its CPU by category")
    args = parser.parse_args()
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="groundqa-scale-", dir=args.work) as tmp, fake_teacher(args.hosts, args.slots, args.latency) as urls:
            profile(args.profile, Path(tmp), urls)
        return 0

    slots = args.slots * args.hosts
    results: dict[int, list[Figures]] = {}
    with tempfile.TemporaryDirectory(prefix="groundqa-scale-", dir=args.work) as tmp, fake_teacher(args.hosts, args.slots, args.latency) as urls:
        log = Path(tmp) / "runs.log"
        print(f"fake teacher: {args.hosts} host(s) x {args.slots} slots, {args.latency} s a reply; free_form; "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        print(HEADER)
        for docs in args.docs:
            results[docs] = night(docs, Path(tmp), urls, log)
            if any(f.exit_code not in (0, 3) for f in results[docs]):
                print(f"a run failed; its log:\n{log.read_text()[-3000:]}")
                return 1
    print("\nslopes (exponent of each figure against corpus size; 1 linear, 0 flat):")
    print("\n".join(slopes(results)) if len(results) > 1 else "  (one size only)")
    print("\ntargets:")
    checks = targets(results, slots)
    for text, ok in checks:
        print(f"  {verdict(ok):<8} {text}")
    if args.json:
        args.json.write_text(json.dumps({"slots": slots, "latency": args.latency, "runs": [asdict(f) for fs in results.values() for f in fs]}, indent=1))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
