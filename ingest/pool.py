"""Extraction and chunking in worker processes, so that no document can stall, crash or abort a run.

Each worker is a process (started from a fork server that has the extractors imported, so a new
worker costs milliseconds) that reads documents from a pipe and sends back the document and its
chunks. The parent gives each document a wall-time budget: a worker past it is killed and replaced,
and the document is an `extract_timeout` failure. A worker that dies (MuPDF or lxml crashing, the
memory ceiling reached) makes its document an `extract_crashed` failure, and any other exception an
`extract_error`. The run goes on with the rest either way.

Why not `concurrent.futures.ProcessPoolExecutor`: it cannot kill one worker that hangs, and a worker
that dies breaks the whole pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import socket
import sys
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any, Iterable, Iterator

from .chunking import Chunker
from .readers import read_document
from .readers.base import ReadOptions
from .records import Chunk, Document, Source, SourceError
from .sources import Raw

logger = logging.getLogger(__name__)

PRELOAD = ["ingest.worker_preload"]


@dataclass(frozen=True)
class Limits:
    """What one document may take in a worker: seconds of wall time, and MiB of address space."""

    seconds: float = 300.0
    memory_mb: int = 4096


Extracted = tuple[Source, Document, list[Chunk]]


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


# Seconds between a worker's looks at whether the run that started it is still there (where the
# parent-death signal is not to be had): a worker left by a killed run stops within this.
PARENT_WATCH_SECONDS = 1.0


def parent_death_signal() -> bool:
    """Linux: have the kernel SIGKILL this process when its parent dies (more exactly, the parent's thread
    that started it). False where that is not to be had."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0
    except (OSError, AttributeError):
        return False


def _gone(pid: int) -> bool:
    """Whether process `pid` has ended: no such process, or (Linux) a zombie its parent has not reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # there, and not ours to signal
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def _die_with_parent(run_pid: int) -> None:
    """A worker must not outlive its run (kill -9 or a crash leaves no one to stop it; one busy on a large
    document went on for minutes at 0.8 GB). On Linux the kernel kills it when its parent dies: the fork
    server, which itself gets the same signal when the run dies (ingest/worker_preload.py). Everywhere, a
    thread also looks every PARENT_WATCH_SECONDS whether the parent changed or the run is gone, and ends
    the process (it needs the interpreter: a document held in C code delays it to the call's end)."""
    import threading

    parent = os.getppid()
    parent_death_signal()

    def orphaned() -> bool:
        return os.getppid() != parent or _gone(run_pid)

    def watch() -> None:
        while not orphaned():
            time.sleep(PARENT_WATCH_SECONDS)
        os._exit(1)

    if orphaned():  # the run died before the signal was asked for
        os._exit(1)
    threading.Thread(target=watch, name="groundqa-parent-watch", daemon=True).start()


def _worker(conn: Connection, chunker_args: tuple, memory_mb: int, run_pid: int | None = None, options: ReadOptions = ReadOptions()) -> None:
    """A worker's loop: (key, Raw) in, ("ok", key, (source, doc, chunks)) or ("failed", key, kind, message) out."""


    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C and a closed terminal are the run's to handle
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if run_pid is not None:
        _die_with_parent(run_pid)  # before the memory ceiling: the watching thread needs a stack
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    chunker = Chunker(*chunker_args)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        key, raw = task
        result = _extract(chunker, raw, memory_mb, options)
        reply: tuple = ("failed", key, result.kind, result.message) if isinstance(result, SourceError) else ("ok", key, result)
        del raw, result
        try:
            try:
                conn.send(reply)
            except MemoryError:
                conn.send(("failed", key, "extract_crashed", f"ran out of memory (over [sources] extract_memory_mb = {memory_mb})"))
        except OSError:  # the run went away (finished, interrupted): nothing is waiting for the reply
            return


def _extract(chunker: Any, raw: Raw, memory_mb: int | None = None, options: ReadOptions = ReadOptions()) -> Extracted | SourceError:
    """One document extracted and chunked, or the reason it could not be: anything the libraries raise
    is this document's failure (out of memory under a worker's ceiling: extract_crashed)."""

    try:
        source, doc = read_document(raw, options)
        return source, doc, chunker.chunk(doc)
    except SourceError as exc:
        return exc
    except MemoryError:
        if memory_mb is None:
            return SourceError("extract_error", "MemoryError: out of memory")
        return SourceError("extract_crashed", f"ran out of memory (over [sources] extract_memory_mb = {memory_mb})")
    except Exception as exc:
        return SourceError("extract_error", f"{type(exc).__name__}: {str(exc)[:300]}")


DEPTH = 2  # documents a worker holds at once: the next is sent while it works on the current one
# Only a document this small is sent ahead to a busy worker: a send that fits the pipe's buffer never
# waits, so the parent cannot block on a worker that is itself blocked sending a large reply.
AHEAD_MAX_BYTES = 64 * 1024
PIPE_BUFFER_BYTES = 256 * 1024  # asked of the pipe's socket (Linux gives 208 KB by default; macOS 8 KB)


def _widen(conn: Connection) -> None:
    """Ask for socket buffers that hold a document sent ahead (AHEAD_MAX_BYTES) whole."""

    try:
        sock = socket.socket(fileno=os.dup(conn.fileno()))
    except OSError:
        return
    try:
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            sock.setsockopt(socket.SOL_SOCKET, option, PIPE_BUFFER_BYTES)
    except OSError:
        pass
    finally:
        sock.close()


@contextmanager
def _without_main() -> Iterator[None]:
    """Start a worker without it importing this program's __main__ again (multiprocessing does, for a
    script): the workers need only ingest.pool, and a main that is not a file (`python - < x.py`) or
    not guarded by `if __name__ == "__main__"` would fail or run again in every worker."""
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if main is not None and hasattr(main, k)}
    try:
        for key in saved:
            if key == "__spec__":
                main.__spec__ = None
            else:
                delattr(main, key)
        yield
    finally:
        for key, value in saved.items():
            setattr(main, key, value)


class _Slot:
    """One worker process and the documents it holds (the first is being extracted)."""

    def __init__(self, ctx, chunker_args: tuple, limits: Limits, options: ReadOptions):
        self.conn, child = ctx.Pipe()
        _widen(self.conn)
        _widen(child)
        self.process = ctx.Process(target=_worker, args=(child, chunker_args, limits.memory_mb, os.getpid(), options), daemon=True)
        try:
            with _without_main():
                self.process.start()
        except BaseException:
            self.conn.close()
            child.close()
            raise
        child.close()
        self.tasks: deque[tuple[Any, Raw]] = deque()
        self.started = 0.0  # when the first document began: its budget counts from there

    def give(self, key: Any, raw: Raw) -> None:
        if not self.tasks:
            self.started = time.monotonic()
        self.tasks.append((key, raw))
        self.conn.send((key, raw))

    def done(self) -> tuple[Any, Raw]:
        task = self.tasks.popleft()
        self.started = time.monotonic()
        return task

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


_INLINE = object()  # no worker can be started: extract in this process


class ExtractPool:
    """`jobs` worker processes that extract and chunk documents with `Chunker(*chunker_args)`.

        with ExtractPool(chunker_args, jobs=4, limits=Limits()) as pool:
            for key, result in pool.map(items):     # items: (key, Raw); results in completion order
                ...                                  # result: (source, doc, chunks) or a SourceError

    `options` are the readers' settings (OCR); a worker's readers also learn its time budget, so that
    OCR of a long scan stops in time to return the pages it read.
    """

    def __init__(self, chunker_args: tuple, *, jobs: int | None = None, limits: Limits = Limits(), options: ReadOptions = ReadOptions()):
        self.chunker_args = chunker_args
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.limits = limits
        self.options = replace(options, seconds=limits.seconds)
        self._ctx = _context()
        self._slots: list[_Slot] = []
        self._inline: Any = None  # a Chunker, once a worker process could not be started
        self._again: deque[tuple[Any, Raw]] = deque()

    def __enter__(self) -> "ExtractPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for slot in self._slots:
            slot.stop(kill=bool(slot.tasks))
        self._slots = []

    def map(self, items: Iterable[tuple[Any, Raw]]) -> Iterator[tuple[Any, Extracted | SourceError]]:
        pending = iter(items)
        self._again = deque()  # documents a stopped worker held but had not begun
        held: tuple[Any, Raw] | None = None  # the next document, waiting for a worker that can take it
        exhausted = False
        while True:
            while True:
                if held is None:
                    if self._again:
                        held = self._again.popleft()
                    elif not exhausted:
                        try:
                            held = next(pending)
                        except StopIteration:
                            exhausted = True
                    if held is None:
                        break
                slot = self._slot_for(held[1])  # a worker is started only for a document
                if slot is None:
                    break
                key, raw = held
                held = None
                if slot is _INLINE:
                    yield self._inline_one(key, raw)
                else:
                    self._give(slot, key, raw)
            busy = [s for s in self._slots if s.tasks]
            if not busy:
                if held is None and exhausted and not self._again:
                    return
                continue
            next_deadline = min(s.started + self.limits.seconds for s in busy)
            ready = wait([s.conn for s in busy], timeout=max(0.0, next_deadline - time.monotonic()))
            for slot in busy:
                if slot.conn in ready:
                    yield self._collect(slot, self._again)
                elif time.monotonic() >= slot.started + self.limits.seconds:
                    key = slot.tasks[0][0]
                    self._again.extend(list(slot.tasks)[1:])
                    self._replace(slot, kill=True)
                    yield key, SourceError(
                        "extract_timeout",
                        f"extraction took more than [sources] extract_timeout = {self.limits.seconds:g} s; its worker was stopped",
                    )

    def _slot_for(self, raw: Raw) -> Any:
        """An idle worker; else a new one while there are fewer than `jobs`; else, for a small document,
        a busy worker with room for one more; None when the document must wait (_INLINE when no worker
        can be started at all)."""
        idle = [s for s in self._slots if not s.tasks]
        if idle:
            return idle[0]
        if self._inline is None and len(self._slots) < self.jobs:
            try:
                self._slots.append(_Slot(self._ctx, self.chunker_args, self.limits, self.options))
                return self._slots[-1]
            except OSError as exc:
                logger.warning(
                    "cannot start an extraction worker process (%s): %s", exc,
                    f"going on with {len(self._slots)}" if self._slots else "extracting in this process, without the time and memory limits",
                )
                self.jobs = max(1, len(self._slots))
                self._inline = Chunker(*self.chunker_args)
        if not self._slots:
            return _INLINE if self._inline is not None else None
        if len(raw.data) > AHEAD_MAX_BYTES:
            return None
        roomy = [s for s in self._slots if len(s.tasks) < DEPTH]
        return min(roomy, key=lambda s: len(s.tasks)) if roomy else None

    def _inline_one(self, key: Any, raw: Raw) -> tuple[Any, Extracted | SourceError]:
        return key, _extract(self._inline, raw, options=replace(self.options, seconds=None))

    def _give(self, slot: _Slot, key: Any, raw: Raw) -> None:
        try:
            slot.give(key, raw)
        except OSError:  # the worker died: its documents wait for the next free worker
            self._again.extend(slot.tasks)
            self._replace(slot, kill=True)

    def _collect(self, slot: _Slot, again: deque) -> tuple[Any, Extracted | SourceError]:
        key = slot.tasks[0][0]
        try:
            reply = slot.conn.recv()
        except (EOFError, OSError):
            slot.process.join(5)
            why = _death(slot.process.exitcode, self.limits.memory_mb)
            again.extend(list(slot.tasks)[1:])  # the next document it held was not the cause
            self._replace(slot, kill=True)
            return key, SourceError("extract_crashed", why)
        slot.done()
        if reply[0] == "ok":
            return key, reply[2]
        return key, SourceError(reply[2], reply[3])

    def _replace(self, slot: _Slot, kill: bool = False) -> None:
        slot.stop(kill=kill)
        self._slots.remove(slot)


def _death(exitcode: int | None, memory_mb: int) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":
            return f"the extracting process was killed (SIGKILL: out of memory, or over [sources] extract_memory_mb = {memory_mb}?)"
        return f"the extracting process crashed ({name})"
    return f"the extracting process ended unexpectedly (exit code {exitcode})"
