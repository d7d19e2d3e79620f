"""The one path by which sources are read: files of a folder and web pages, bytes in, each with where it
came from or the reason it could not be read. `groundqa ingest` and the run's scan stage both read
through `read_all`.

A file is read by `sources.read_file` (regular files only, capped while reading; not opened when it has
the size, mtime and inode of its last read, where the caller gives them), a web page by
`sources.fetch_url` (conditionally, when the last run's ETag or Last-Modified is known). What fails is a
`SourceError` in the stream, in its place, never an exception: the caller counts it and goes on.

Web pages are fetched concurrently, a few at a time per host and more across hosts, ahead of the
stream (which keeps the order of the refs), within one budget of seconds for the whole read: a page not
fetched when it is spent is a `fetch_budget` failure, fetched again on the next run. A host whose
pages fail FETCH_HOST_FAILURES times in a row (refused, timed out) is not asked for its other pages
in this read: they fail at once, instead of each waiting for its own timeout.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Union
from urllib.parse import urlsplit

from .deadline import Watchdog
from .records import SourceError
from .sources import DEFAULT_MAX_BYTES, FETCH_DEADLINE, FileStat, Raw, fetch_client, fetch_url, read_file, redact

# Pages fetched at once, in all and from one host. 4 a host stays below the 6 connections a browser
# opens to one site; 16 in all keeps a slow host from holding up the others. Measured with
# bench/fetch.py (docs/decisions.md): 200 pages of a host answering in 0.1 s, 25.0 s one at a time and
# 5.5 s now; 8 pages of a host that accepts and never answers, 160 s and 20 s.
FETCH_WORKERS = 16
FETCH_PER_HOST = 4
# Failures in a row (refused, timed out, cut at the deadline) after which a host's other pages fail
# at once in this read. As many as fetch at once from one host: a host that times out on every
# connection costs one round of FETCH_TIMEOUT, not one a page.
FETCH_HOST_FAILURES = FETCH_PER_HOST
# Pages fetched ahead of the one the stream gives next: bounds the pages held in memory. And refs
# taken ahead in all (files between the pages).
FETCH_AHEAD = 2 * FETCH_WORKERS
QUEUE_MAX = 4 * FETCH_AHEAD
# Seconds a read may wait for web pages in all ([sources] fetch_budget). 10 minutes: 5 pages stuck
# until FETCH_DEADLINE, or 12,000 pages at 0.2 s over FETCH_PER_HOST connections; a nightly run that
# needs more says so (fetch_budget failures) instead of running into the morning.
DEFAULT_FETCH_BUDGET = 600.0


@dataclass(frozen=True)
class FileRef:
    """A file to read: its source id (the path relative to the corpus, or as given), where it is, and the
    FileStat of its last read, if it is to be read only when that changed (as a web page's validators)."""

    source_id: str
    path: Path
    unless: FileStat | None = None


@dataclass(frozen=True)
class UrlRef:
    """A web page to fetch: its source id (the URL with any user-info replaced), the URL itself, and the
    validators of the last fetch, for a conditional request."""

    source_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Missing:
    """A path that was asked for and is not there."""

    source_id: str


Ref = Union[FileRef, UrlRef, Missing]


def read_all(
    refs: Iterable[Ref], *, max_bytes: int = DEFAULT_MAX_BYTES, fetch_budget: float = DEFAULT_FETCH_BUDGET
) -> Iterator[tuple[str, Raw | SourceError]]:
    """(source id, its bytes or why they could not be read) for each ref, in the order of `refs`.

    Files are read when their turn comes; web pages are fetched ahead, concurrently. `fetch_budget`:
    the seconds this stream may spend waiting for web pages in all (time the caller spends on what it
    was given does not count); when they are spent, the pages not yet fetched are `fetch_budget` failures."""
    pending = iter(refs)
    queue: deque[tuple[str, Ref | Future]] = deque()  # in order: a file (read at its turn) or a fetch
    fetching = 0
    exhausted = False
    waited = 0.0
    fetcher: _Fetcher | None = None
    try:
        while True:
            # Take more refs while the head is a page (to start the fetches behind it), or to find one; a
            # file at the head is read first, so a folder is not walked ahead.
            while not exhausted and fetching < FETCH_AHEAD and len(queue) < QUEUE_MAX and (not queue or isinstance(queue[0][1], Future)):
                try:
                    ref = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                if isinstance(ref, UrlRef):
                    fetcher = fetcher or _Fetcher(max_bytes, fetch_budget)
                    queue.append((ref.source_id, fetcher.submit(ref)))
                    fetching += 1
                else:
                    queue.append((ref.source_id, ref))
            if not queue:
                return
            source_id, item = queue.popleft()
            if isinstance(item, Future):
                assert fetcher is not None
                fetching -= 1
                started = time.monotonic()
                try:
                    result = item.result(timeout=max(0.0, fetch_budget - waited))
                except FutureTimeout:  # the budget is spent: what is not fetched yet is not waited for
                    fetcher.exhaust()
                    _settle(item, fetcher.over_budget("cut"))
                    result = item.result()
                waited += time.monotonic() - started
                yield source_id, result
            else:
                yield source_id, read_one(item, max_bytes=max_bytes)
    finally:
        if fetcher is not None:
            fetcher.close()


def read_one(ref: Ref, *, max_bytes: int = DEFAULT_MAX_BYTES, **fetch: Any) -> Raw | SourceError:
    """One ref read or fetched (`fetch`: more arguments for fetch_url), or the reason it could not be."""
    try:
        if isinstance(ref, FileRef):
            return read_file(ref.source_id, ref.path, max_bytes, unless=ref.unless)
        if isinstance(ref, UrlRef):
            return fetch_url(ref.url, max_bytes=max_bytes, etag=ref.etag, last_modified=ref.last_modified, **fetch)
        return SourceError("not_found", "no such file or folder")
    except SourceError as exc:
        return SourceError(exc.kind, redact(exc.message))


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _settle(future: Future, result: Raw | SourceError) -> None:
    """Give a fetch its result, unless it has one (the stream settled it when the budget ran out)."""
    try:
        future.set_result(result)
    except InvalidStateError:
        pass


class _Fetcher:
    """Web pages fetched on worker threads: at most FETCH_PER_HOST at once from one host (the others
    wait in the host's queue without holding a thread), FETCH_WORKERS in all."""

    def __init__(self, max_bytes: int, budget: float):
        self.max_bytes = max_bytes
        self.budget = budget
        self.client = fetch_client()
        self.pool = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="groundqa-fetch")
        self.lock = threading.Lock()
        self.running: dict[str, int] = defaultdict(int)  # host -> fetches running
        self.queued: dict[str, deque[tuple[UrlRef, Future]]] = defaultdict(deque)
        self.failed_in_a_row: dict[str, int] = defaultdict(int)
        self.watchdogs: set[Watchdog] = set()
        self.exhausted = False  # the budget is spent
        self.closed = False

    def submit(self, ref: UrlRef) -> Future:
        future: Future = Future()
        host = _host(ref.url)
        with self.lock:
            self.queued[host].append((ref, future))
            self._dispatch(host)
        return future

    def _dispatch(self, host: str) -> None:
        """Start the host's next pages while it has room (under the lock). A host whose last page failed
        gets one at a time until a page arrives: the pages in flight with the failed one are likely to
        fail too, and the next ones then fail at once (FETCH_HOST_FAILURES) instead of waiting again."""
        room = FETCH_PER_HOST if self.failed_in_a_row[host] == 0 else 1
        while self.queued[host] and self.running[host] < room and not self.closed:
            ref, future = self.queued[host].popleft()
            self.running[host] += 1
            self.pool.submit(self._run, ref, future, host)

    def _run(self, ref: UrlRef, future: Future, host: str) -> None:
        try:
            result = self._fetch(ref, host)
        except BaseException as exc:  # never leave the stream waiting on a future nobody sets
            result = SourceError("fetch_failed", f"{type(exc).__name__}: {exc}")
        _settle(future, result)
        with self.lock:
            self.running[host] -= 1
            self._dispatch(host)

    def _fetch(self, ref: UrlRef, host: str) -> Raw | SourceError:
        dog = Watchdog(FETCH_DEADLINE)
        with self.lock:
            if self.exhausted:
                return self.over_budget("not fetched")
            if self.closed:
                return SourceError("fetch_failed", "not fetched: the read was stopped")
            failures = self.failed_in_a_row[host]
            if failures >= FETCH_HOST_FAILURES:
                return SourceError(
                    "fetch_failed",
                    f"not fetched: the last {failures} pages of {host or 'this host'} failed to arrive in this run (refused or "
                    "timed out); it is tried again on the next run",
                )
            self.watchdogs.add(dog)
        try:
            result = read_one(ref, max_bytes=self.max_bytes, client=self.client, watchdog=dog)
        finally:
            with self.lock:
                self.watchdogs.discard(dog)
        failed = isinstance(result, SourceError) and result.kind == "fetch_failed"
        with self.lock:
            if failed and dog.fired and self.exhausted:
                return self.over_budget("cut")
            self.failed_in_a_row[host] = self.failed_in_a_row[host] + 1 if failed else 0
        return result

    def over_budget(self, what: str) -> SourceError:
        return SourceError(
            "fetch_budget",
            f"{what}: this run waited more than [sources] fetch_budget = {self.budget:g} s for web pages in all; it is "
            "fetched on the next run (raise fetch_budget, or split the urls_file, if this happens every night)",
        )

    def exhaust(self) -> None:
        """The budget is spent: pages not begun are budget failures, and those in flight are cut now."""
        with self.lock:
            self.exhausted = True
            waiting = [f for q in self.queued.values() for _, f in q]
            self.queued.clear()
            dogs = list(self.watchdogs)
        for future in waiting:
            _settle(future, self.over_budget("not fetched"))
        for dog in dogs:
            dog.fire()

    def close(self) -> None:
        """Stop: pages not begun are not fetched, and those in flight are cut now (their threads end soon)."""
        with self.lock:
            self.closed = True
            waiting = [f for q in self.queued.values() for _, f in q]
            self.queued.clear()
            dogs = list(self.watchdogs)
            idle = not any(self.running.values())
        for future in waiting:
            _settle(future, SourceError("fetch_failed", "not fetched: the read was stopped"))
        for dog in dogs:
            dog.fire()
        self.pool.shutdown(wait=False, cancel_futures=True)
        if idle:  # else a thread still uses it: it goes when they do
            self.client.close()
