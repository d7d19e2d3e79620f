"""The run's first stage: read every source, extract and chunk the new and changed ones in worker
processes (ingest.pool), and keep the store's sources and chunks up to date.

A file whose size, mtime and inode are those of its last read is trusted without being opened (its stored
hash, text and chunks stand), and a web page that answers 304 is not downloaded; every VERIFY_EVERY-th
scan, and `groundqa run --verify`, reads and hashes every source in full. The manifest's "scan" says how
many bytes were read.

A source that cannot be read or extracted is a counted failure with its reason, never a stop: the
extractors run in other processes with a time budget and a memory ceiling, and the bytes a source
failed on are remembered, so the next run reports them again without trying them again (until the
file changes). A web page that fails keeps its pairs for [sources] retire_failed_after runs.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from typing import Any, Iterator

from generation.config import ConfigError
from generation.errors import RetirementRefused
from generation.pipeline.state import RunState
from ingest.pool import ExtractPool, Limits
from ingest.read import FileRef, Ref, UrlRef, read_all
from ingest.readers import ReadOptions
from ingest.records import SourceError, sha256_hex
from ingest.sources import FileStat, Raw, fetch_url, is_url, read_file, redact, shown

logger = logging.getLogger(__name__)

# Bumped when extraction changes enough that a source that failed before may now succeed: the bytes
# a source failed on are remembered with it (Store.save_source_failed's failed_key).
EXTRACT_VERSION = "3"  # 2: HTML with trafilatura's fallbacks; 3: Office and e-book readers, OCR (an unsupported .docx or a scan is read now)
# Failures that depend on the moment, the machine or the settings, not on the bytes, are tried again
# every run: reading (a locked file, a network error) and the extraction budget (extract_timeout and
# extract_memory_mb may be raised, the machine may be less busy).
NOT_REMEMBERED = frozenset({
    "unreadable", "fetch_failed", "http_error", "not_a_regular_file", "symlink_loop", "too_large", "bad_url",
    "extract_timeout", "extract_crashed", "duplicate_source_id",
})
AGAIN = " (the same bytes as before: not tried again)"
# A file whose size, mtime (ns) and inode are those of its last read is trusted without reading it, the
# shortcut rsync's quick check (size and mtime) and git's index (stat data) take. Every VERIFY_EVERY-th scan
# reads and hashes every source in full anyway (so does `groundqa run --verify`), to catch what the stat
# cannot show: an edit that kept the size and put the old mtime back (`touch -r`, a restore or a sync tool
# that sets times), bytes changed under the file system. 7: weekly for a nightly job, so such an edit is
# published within a week, and the full read costs one night in seven.
VERIFY_EVERY = 7
# A file modified less than this before the scan began is read in full next time as well: an edit in the
# same tick of the file system's clock as the read would keep the mtime (git's "racy" entries). 2 s: the
# coarsest timestamps in use (FAT's); ext4, XFS, btrfs, APFS and NTFS keep finer ones.
RACY_SECONDS = 2.0


@dataclass
class ScanProgress:
    """What the CLI's scan bar shows: sources done of those found, and failures so far."""

    total: int = 0
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.perf_counter)


def scan_sources(state: RunState) -> list[str]:
    """Read every source; extract and chunk the new and changed ones. Returns the live source ids."""
    return SourceScan(state).run()


class SourceScan:
    """The run's source stage, over the run's state (its corpus, store, counts and failures)."""

    def __init__(self, state: RunState):
        self.state = state
        self.corpus = state.corpus
        self.cfg = state.cfg
        self.counts = state.counts
        self.failures = state.failures
        self.chunker = state.chunker
        self.on_scan = state.options.on_scan
        self.jobs = state.options.jobs
        self.allow_retire = state.options.allow_retire
        # Failed sources whose pairs are to be retired (a file whose new bytes do not extract, a web page
        # past its grace runs): done after the retirement guard, so a refused run forgets nothing.
        self.to_retire: list[tuple[str, str, str, str | None]] = []  # (source id, kind, message, failed key)
        self.scan: Counter = Counter()  # bytes_read, read (sources whose bytes were read), trusted (not read)
        self.started_ns = time.time_ns()
        self.verify = True  # read every source in full: decided in run(), from the store
        self.paths: dict[str, Any] = {}  # a file's source id -> its path
        self.chunked: set[str] = set()  # the sources with chunks under the current chunker signature

    @property
    def store(self):
        return self.state.store

    @property
    def run_id(self) -> int:
        return self.state.run_id

    def run(self) -> list[str]:
        assert self.store is not None
        stored = self.store.sources()
        since = self.store.scans_since_verified()
        self.verify = self.state.options.verify or since is None or since >= VERIFY_EVERY - 1
        self.chunked = self.store.sources_with_chunks(self.chunker.signature)
        skipped: list[tuple[str, str]] = []
        files = list(self.corpus.files(skipped))
        self.paths = dict(files)
        self.state.skipped = [{"source": source_id, "reason": reason} for source_id, reason in skipped]
        web = self.web_sources()  # read the urls_file once
        progress = ScanProgress(total=len(files) + len(web))
        seen: set[str] = set()
        live: list[str] = []
        pending: dict[str, tuple[str, Any]] = {}  # source id -> (digest, stored row), while it is extracted

        def step(failed: bool = False) -> None:
            progress.done += 1
            progress.failed += failed
            if self.on_scan:
                self.on_scan(progress)

        def to_extract() -> Iterator[tuple[str, Raw]]:
            """The sources that need extracting; the others are settled here as they are read."""
            for source_id, raw in self.read_all(files, stored, web):
                self.count_read(raw)
                if source_id in seen:  # two names that escape to the same id ("caf\xe9.md", "caf\\xe9.md")
                    self.counts["sources"]["seen"] += 1
                    self.counts["sources"]["failed"] += 1
                    self.failures.append({"source": source_id, "stage": "extract", "kind": "duplicate_source_id",
                                          "message": "another file of the corpus has the same id (its name escapes to the same text): not read"})
                    step(failed=True)
                    continue
                seen.add(source_id)
                self.counts["sources"]["seen"] += 1
                before = stored.get(source_id)
                if isinstance(raw, SourceError):
                    self.source_failed(source_id, raw, before, live)
                    step(failed=True)
                    continue
                settled = self.settle(source_id, raw, before, web, live)
                if settled is None:
                    step()
                    continue
                if isinstance(settled, SourceError):
                    step(failed=True)
                    continue
                raw, digest = settled
                pending[source_id] = (digest, before, self.trustable(raw.stat))
                yield source_id, raw

        cfg = self.cfg.sources
        chunking = self.cfg.chunking
        limits = Limits(seconds=cfg.extract_timeout, memory_mb=cfg.extract_memory_mb)
        options = ReadOptions(ocr=cfg.ocr, ocr_page_seconds=cfg.ocr_page_seconds)
        with ExtractPool((chunking.tokens, chunking.overlap, chunking.encoding), jobs=self.jobs or cfg.jobs, limits=limits, options=options) as pool:
            for source_id, result in pool.map(to_extract()):
                digest, before, stat = pending.pop(source_id)
                failed = isinstance(result, SourceError)
                if failed:
                    self.extract_failed(source_id, result, digest, before, live)
                else:
                    self.save_extracted(source_id, *result, before=before, digest=digest, live=live, stat=stat)
                step(failed=failed)

        verified = self.scan["trusted"] == 0  # every source read in full: --verify, the VERIFY_EVERY-th scan, or nothing to trust
        self.state.scan = {"bytes_read": self.scan["bytes_read"], "read": self.scan["read"], "trusted": self.scan["trusted"], "verified": verified}
        self.store.count_scan(verified)

        gone = sorted(set(stored) - seen)
        self.guard_retirement(gone, live)
        for source_id, kind, message, key in self.to_retire:
            with self.store.transaction():
                self.store.forget_source(source_id)  # its old pairs describe bytes that are gone
                self.store.save_source_failed(source_id, kind, message, self.run_id, key)
        if not seen and not self.store.published_sources():
            raise ConfigError(
                f"{self.corpus.config_path or self.corpus.root}: [sources] paths = {cfg.paths!r}"
                + (f" (exclude = {cfg.exclude!r})" if cfg.exclude else "")
                + f" selects no file under {self.corpus.root}, and no urls are set: check the globs, which are relative "
                "to the corpus folder (\"docs/**/*\" is every file under docs/)"
            )
        for source_id in gone:
            with self.store.transaction():
                self.store.forget_source(source_id)
            self.counts["sources"]["removed"] += 1
        return live

    def settle(self, source_id: str, raw: Raw, before: Any, web: dict[str, str], live: list[str]) -> tuple[Raw, str] | SourceError | None:
        """An unchanged source (None), a remembered failure (its SourceError, counted), or the bytes to
        extract with their digest."""
        assert self.store is not None
        counts = self.counts["sources"]
        if raw.not_modified:
            if before is not None and before.status == "ok" and source_id in self.chunked:
                counts["unchanged"] += 1
                self.scan["trusted"] += 1
                live.append(source_id)
                return None
            try:  # 304 or the same stat, but our chunks are gone (the chunking changed): read it whole
                raw = self.read_whole(source_id, web)
            except SourceError as exc:
                self.source_failed(source_id, exc, before, live)
                return exc
            self.count_read(raw)
        digest = sha256_hex(raw.data)
        if before is not None and before.status == "ok" and before.content_sha256 == digest and self.store.has_chunks(source_id, self.chunker.signature):
            counts["unchanged"] += 1
            live.append(source_id)
            stat = self.trustable(raw.stat)
            if (raw.mtime, raw.etag, raw.last_modified, stat) != (before.mtime, before.etag, before.last_modified, before.stat):
                self.store.touch_source(source_id, raw.mtime, raw.etag, raw.last_modified, stat)  # touched, same bytes: not extracted
            return None
        if before is not None and before.status == "failed" and before.failed_key == failed_key(digest):
            known = SourceError(before.error_kind or "extract_error", (before.error_message or "").removesuffix(AGAIN) + AGAIN)
            self.source_failed(source_id, known, before, live, failed_key(digest))
            return known
        return raw, digest

    def read_whole(self, source_id: str, web: dict[str, str]) -> Raw:
        """A source's bytes, unconditionally (raises SourceError)."""
        max_bytes = self.cfg.sources.max_bytes
        if source_id in self.paths:
            return read_file(source_id, self.paths[source_id], max_bytes)
        return fetch_url(web.get(source_id, source_id), max_bytes=max_bytes)

    def count_read(self, raw: Raw | SourceError) -> None:
        if isinstance(raw, Raw) and not raw.not_modified:
            self.scan["read"] += 1
            self.scan["bytes_read"] += len(raw.data)

    def trustable(self, stat: FileStat | None) -> FileStat | None:
        """The stat to trust a file by on the next scans; None (read it in full next time) for a file
        modified within RACY_SECONDS of this scan's start, which a same-tick edit could leave unchanged."""
        if stat is None or stat.mtime_ns > self.started_ns - int(RACY_SECONDS * 1e9):
            return None
        return stat

    def known_stat(self, source_id: str, before: Any) -> FileStat | None:
        """The stat a file is trusted by in this scan (not opened while it has it), None to read it."""
        if self.verify or before is None or before.status != "ok" or source_id not in self.chunked:
            return None
        return before.stat

    def save_extracted(
        self, source_id: str, source: Any, doc: Any, chunks: list, *, before: Any, digest: str, live: list[str], stat: FileStat | None = None
    ) -> None:
        assert self.store is not None
        if before is None or before.content_sha256 is None:
            state = "added"
        else:
            state = "changed" if before.content_sha256 != digest else "unchanged"  # unchanged: re-chunked only
        with self.store.transaction():
            self.store.save_source_ok(source, doc, self.run_id, changed=state != "unchanged", stat=stat)
            self.store.replace_chunks(source_id, self.chunker.signature, chunks, [sha256_hex(c.text) for c in chunks])
        self.counts["sources"][state] += 1
        live.append(source_id)

    def extract_failed(self, source_id: str, exc: SourceError, digest: str, before: Any, live: list[str]) -> None:
        assert self.store is not None
        if is_url(source_id):  # a page serving an error shell for a while keeps its pairs for a while
            self.source_failed(source_id, exc, before, live, failed_key(digest))
            return
        self.source_failed(source_id, exc, None, live, failed_key(digest))
        if before is not None and before.content_sha256 not in (None, digest):
            self.to_retire.append((source_id, exc.kind, exc.message.removesuffix(AGAIN), failed_key(digest)))

    def guard_retirement(self, gone: list[str], live: list[str]) -> None:
        """Refuse to retire the pairs of more than [sources] max_retire_share of the sources that have
        published pairs, unless --allow-retire: a share folder that did not mount, an urls_file emptied
        by a failed sync, a sync that truncated every file to 0 bytes or left Git LFS pointers in their
        place, a site down for days: each looks like the deletion of the whole knowledge base. Sources
        that vanished and sources that fail (and so would lose their pairs) count alike. Half by default:
        a knowledge base rarely loses more than half its documents in a night on purpose, and a missing
        mount loses all of them. Nothing is forgotten and nothing published changes."""
        assert self.store is not None
        published = self.store.published_sources()
        staying = set(live)
        going = sorted(s for s in published if s not in staying)
        share = self.cfg.sources.max_retire_share
        if self.allow_retire or not going or len(going) <= share * len(published):
            return
        self.counts["sources"]["removed"] = 0
        vanished = set(gone)
        failing = [s for s in going if s not in vanished]
        names = ", ".join(redact(s) for s in going[:3]) + (f" and {len(going) - 3} more" if len(going) > 3 else "")
        if failing:
            what = (
                f"would lose their pairs at once ({len(going) - len(failing)} gone, {len(failing)} failing to read: emptied, "
                f"turned into Git LFS pointers, unreadable or failing to extract, see the failures; {names})"
            )
        else:
            what = f"are gone ({names})"
        raise RetirementRefused(
            f"{len(going)} of the {len(published)} sources with published pairs {what}, more than "
            f"[sources] max_retire_share = {share:.0%}: their pairs are NOT retired and the published dataset is "
            "unchanged. If a folder did not mount, a sync failed or a urls_file came back empty, fix that and run "
            "again; if the sources were removed or emptied on purpose, run again with --allow-retire."
        )

    def read_all(self, files: list, stored: dict, web: dict[str, str]) -> Iterator[tuple[str, Raw | SourceError]]:
        """Every file (not opened where its stat is that of its last read), then every web page (conditionally,
        with the validators of its last good fetch); all of them in full when this scan verifies."""
        def refs() -> Iterator[Ref]:
            for source_id, path in files:
                yield FileRef(source_id, path, self.known_stat(source_id, stored.get(source_id)))
            for source_id, url in web.items():
                before = stored.get(source_id)
                ok = before is not None and before.status == "ok" and not self.verify
                yield UrlRef(source_id, url, before.etag if ok else None, before.last_modified if ok else None)

        return read_all(refs(), max_bytes=self.cfg.sources.max_bytes, fetch_budget=self.cfg.sources.fetch_budget)

    def web_sources(self) -> dict[str, str]:
        return web_sources(self.corpus)

    def source_failed(self, source_id: str, exc: SourceError, before: Any, live: list[str], key: str | None = None) -> None:
        assert self.store is not None
        self.counts["sources"]["failed"] += 1
        message = redact(exc.message)
        remembered = key if exc.kind not in NOT_REMEMBERED else None
        stored_message = exc.message.removesuffix(AGAIN)
        runs = self.store.save_source_failed(source_id, exc.kind, stored_message, self.run_id, remembered)
        if is_url(source_id) and before is not None and before.text_sha256 and self.store.has_chunks(source_id, self.chunker.signature):
            limit = self.cfg.sources.retire_failed_after
            if runs < limit:
                live.append(source_id)  # a page that fails keeps its pairs for a while
                message += f" (its pairs stay published; failed {runs} of {limit} runs before they are retired)"
            else:
                self.to_retire.append((source_id, exc.kind, stored_message, remembered))
                message += f" (failed {runs} runs in a row: its pairs are retired)"
        self.failures.append({"source": source_id, "stage": "extract", "kind": exc.kind, "message": message})
        logger.warning("%s: %s", shown(source_id), shown(message))


def web_sources(corpus) -> dict[str, str]:
    """Source id -> the URL fetched. A web page's id is its URL with any user-info replaced
    ("https://***@host/page"): the id is what outputs, the store and messages show."""
    return {redact(url): url for url in corpus.urls()}


def failed_key(digest: str) -> str:
    """The bytes and what read them: a new pymupdf or trafilatura may read what the old one could not."""
    return f"{digest}:{EXTRACT_VERSION}:{_extractor_versions()}"


@lru_cache(maxsize=1)
def _extractor_versions() -> str:

    versions = []
    for dist in ("pymupdf", "trafilatura", "lxml"):
        try:
            versions.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            versions.append("-")
    return ",".join(versions)
