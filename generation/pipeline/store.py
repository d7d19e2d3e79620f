"""The corpus state store: SQLite in WAL mode at <corpus>/.groundqa/state.sqlite.

Every stage is keyed by content hashes and signatures (docs/architecture.md, "Records"):
- sources: the bytes last seen per source_id, and the text they gave;
- chunks: per (source, chunker signature), in document order;
- generations: one teacher reply per (chunk text hash, generation signature), so identical chunk
  text is generated once, and a chunk whose generation exists is never sent again;
- candidates: the pairs of a generation; verdicts: per (pair, grounding signature);
- dedup: MinHash signatures per pair; published: which pairs are live, and when they were retired;
- runs: the manifest of every run.
- reviews: a person's decisions about pairs (groundqa review).
Work is committed per chunk, so a run killed at any moment loses only the chunks in flight.

One module, because every table is read and written through one connection, in transactions that span
tables (a chunk's generation, candidates and verdicts commit together), under one list of schema
migrations; split by table, each transaction would reach into several modules.
"""

from __future__ import annotations

import errno
import json
import shutil
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Sequence

from generation.records import Candidate, Decision, Record, Verdict
from ingest.records import Chunk, Document, PageSpan, Source
from ingest.sources import FileStat

SCHEMA_VERSION = 6

_SCHEMA = [
    # version 1
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sources (
        source_id TEXT PRIMARY KEY,
        kind TEXT, content_sha256 TEXT, size INTEGER, mtime REAL, etag TEXT, last_modified TEXT,
        text_sha256 TEXT, title TEXT, pages TEXT,
        status TEXT NOT NULL,            -- 'ok' or 'failed'
        error_kind TEXT, error_message TEXT,
        failed_runs INTEGER NOT NULL DEFAULT 0,
        first_seen_run INTEGER, last_changed_run INTEGER
    );
    CREATE TABLE chunks (
        source_id TEXT NOT NULL, chunker_sig TEXT NOT NULL, ord INTEGER NOT NULL,
        chunk_id TEXT NOT NULL, text_hash TEXT NOT NULL, text TEXT NOT NULL,
        token_count INTEGER NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
        pages TEXT NOT NULL,
        PRIMARY KEY (source_id, chunker_sig, ord)
    );
    CREATE INDEX chunks_text ON chunks (text_hash);
    CREATE TABLE generations (
        text_hash TEXT NOT NULL, gen_sig TEXT NOT NULL,
        status TEXT NOT NULL,            -- 'ok' or the reason it failed ('invalid_reply', 'teacher_error')
        raw_reply TEXT, error TEXT, teacher_id TEXT,
        prompt_tokens INTEGER, completion_tokens INTEGER, seconds REAL,
        run_id INTEGER, seq INTEGER,
        PRIMARY KEY (text_hash, gen_sig)
    );
    CREATE TABLE candidates (
        pair_id TEXT PRIMARY KEY,
        text_hash TEXT NOT NULL, gen_sig TEXT NOT NULL, idx INTEGER NOT NULL,
        question TEXT NOT NULL, answer TEXT NOT NULL, quotes TEXT NOT NULL, teacher_id TEXT NOT NULL,
        run_id INTEGER, seq INTEGER
    );
    CREATE INDEX candidates_gen ON candidates (text_hash, gen_sig);
    CREATE TABLE verdicts (
        pair_id TEXT NOT NULL, grounding_sig TEXT NOT NULL, grounded INTEGER NOT NULL, verdict TEXT NOT NULL,
        PRIMARY KEY (pair_id, grounding_sig)
    );
    CREATE TABLE dedup (pair_id TEXT NOT NULL, scheme TEXT NOT NULL, signature BLOB NOT NULL, PRIMARY KEY (pair_id, scheme));
    CREATE TABLE published (
        pair_id TEXT PRIMARY KEY, first_run INTEGER, retired_at TEXT, retired_run INTEGER,
        ord INTEGER, record TEXT
    );
    CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
        exit_code INTEGER, manifest TEXT
    );
    """,
    # version 2: the span a fact-first question asks for
    """
    ALTER TABLE candidates ADD COLUMN target TEXT;
    """,
    # version 3: the bytes (hash, with the extractor's version) that a source failed to extract from,
    # so that the next run reports them again without trying them again
    """
    ALTER TABLE sources ADD COLUMN failed_key TEXT;
    """,
    # version 4: a person's review decisions (groundqa review), by pair identity; an edit's re-check is kept
    # with the grounding signature it was made under
    """
    CREATE TABLE reviews (
        pair_id TEXT PRIMARY KEY,
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'edit')),
        question TEXT, answer TEXT, keep INTEGER NOT NULL DEFAULT 0, reason TEXT,
        who TEXT NOT NULL, at TEXT NOT NULL, source_id TEXT, source_text_sha TEXT,
        grounding_sig TEXT, verdict TEXT
    );
    """,
    # version 5: a file's modification time in nanoseconds and inode as of its last read (with its size), so
    # that a file whose three are unchanged is trusted without reading it (generation/pipeline/scan.py)
    """
    ALTER TABLE sources ADD COLUMN mtime_ns INTEGER;
    ALTER TABLE sources ADD COLUMN inode INTEGER;
    """,
    # version 6: each chunk text's facts (chunk offsets and folded sentence), as coverage counts them, under the
    # fact selection's version and the source's title: an unchanged night reads them instead of selecting again
    """
    CREATE TABLE IF NOT EXISTS fact_spans (text_hash TEXT NOT NULL, sig TEXT NOT NULL, spans TEXT NOT NULL, PRIMARY KEY (text_hash, sig));
    """,
]


class StoredChunk(NamedTuple):
    """A chunk as stored, with the fields of `Chunk`: a light row (a run holds every live chunk)."""

    chunk_id: str
    source_id: str
    text: str
    token_count: int
    char_start: int
    char_end: int
    pages_json: str

    @property
    def pages(self) -> list[int]:
        return json.loads(self.pages_json)


class StoredCandidate(NamedTuple):
    """A candidate as stored: a light row (a run over a large corpus holds all of them at once)."""

    pair_id: str
    text_hash: str
    index: int
    question: str
    answer: str
    quotes_json: str
    teacher_id: str
    target: str | None = None

    @property
    def quotes(self) -> list[str]:
        return json.loads(self.quotes_json)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class StoreError(RuntimeError):
    """The state folder or store cannot be used (damaged, read-only, disk full). The message names the
    file and the way forward."""

    kind = "store"


# Below this much free space a failed write is taken for a full disk: SQLite needs room for its journal
# and a transaction's pages (a chunk's replies and verdicts: tens of KB; a checkpoint: up to the WAL's size).
LOW_DISK_BYTES = 64 * 2**20


def free_bytes(folder: Path) -> int:
    """Free space on the disk of `folder` (of the nearest folder that exists); a very large number when it
    cannot be told."""
    for place in (folder, *folder.parents):
        try:
            return shutil.disk_usage(place).free
        except OSError:
            continue
    return 2**62


def store_problem(exc: BaseException, path: Path, corpus: str | Path | None = None) -> StoreError:
    """A StoreError for what SQLite or the operating system raised about the store at `path`."""
    folder = path.parent
    text = str(exc).lower()
    damaged = ("malformed", "not a database", "disk i/o error", "file is encrypted", "corrupt")
    full = "full" in text or getattr(exc, "errno", None) == errno.ENOSPC
    if not full and "disk i/o error" in text:
        # SQLite says "disk I/O error" when a write fails, and on a nearly full disk that is what fails: say so
        # rather than call an intact store damaged (moving it aside would throw away every reply).
        full = free_bytes(folder) < LOW_DISK_BYTES
    if full:
        return StoreError(
            f"no space left on the disk of {folder} ({free_bytes(folder) // 2**20:,} MiB free; SQLite: {exc}): free some "
            "space and run again; the store is intact, the work finished so far is kept in it, and the published files "
            "are unchanged"
        )
    if isinstance(exc, sqlite3.DatabaseError) and any(s in text for s in damaged):
        corpus = corpus or folder.parent
        return StoreError(
            f"the state store {path} is damaged (SQLite: {exc}). It holds what makes runs incremental: extracted text, "
            f"chunks, the teacher's replies, verdicts, which pairs are published. Your sources and the published files are "
            f"not affected. To start over, keeping the published files until a new run replaces them, move the store aside "
            f"and run again (every chunk goes to the teacher again): mkdir -p {folder}/damaged && mv {path}* {folder}/damaged/ "
            f"&& groundqa run {corpus}"
        )
    if any(s in text for s in ("readonly", "read-only", "unable to open")) or getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(
            f"cannot write the state folder {folder} ({getattr(exc, 'strerror', None) or exc}): groundqa keeps its store and "
            f"lock there; make it writable by this user (chmod -R u+w {folder}), or run as the user who owns it"
        )
    return StoreError(f"the state store {path} cannot be used: {exc}")


def open_store(path: Path, corpus: str | Path | None = None) -> "Store":
    """The store at `path`, or a StoreError that says what is wrong with it and what to do."""
    try:
        return Store(path)
    except (sqlite3.Error, OSError) as exc:
        raise store_problem(exc, path, corpus) from exc


@dataclass
class StoredSource:
    source_id: str
    kind: str | None
    content_sha256: str | None
    size: int | None
    mtime: float | None
    etag: str | None
    last_modified: str | None
    text_sha256: str | None
    title: str | None
    status: str
    error_kind: str | None
    error_message: str | None
    failed_runs: int
    failed_key: str | None = None
    mtime_ns: int | None = None
    inode: int | None = None

    @property
    def stat(self) -> FileStat | None:
        """The file's size, mtime and inode when it was last read, if they were kept (a file written just
        before it was read has none: scan.py's RACY_SECONDS)."""
        if self.size is None or self.mtime_ns is None or self.inode is None:
            return None
        return FileStat(self.size, self.mtime_ns, self.inode)


class Store:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._seq: int | None = None  # the last generation's seq, read once (see next_seq)
        self._migrate()

    # -- schema ---------------------------------------------------------------------------------
    def _migrate(self) -> None:
        has_meta = self.db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
        version = 0
        if has_meta:
            version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer groundqa (schema {version}, this one knows {SCHEMA_VERSION}); upgrade groundqa"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                if number and self._schema_version() > number:
                    continue  # another process (a `status` beside a run) migrated it since we looked
                for statement in _SCHEMA[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(number + 1),)
                )

    def _schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self) -> int:
        with self.transaction():
            cur = self.db.execute("INSERT INTO runs (started_at) VALUES (?)", (now_iso(),))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, exit_code: int, manifest: dict[str, Any]) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE runs SET finished_at=?, exit_code=?, manifest=? WHERE run_id=?",
                (manifest.get("finished_at") or now_iso(), exit_code, json.dumps(manifest), run_id),
            )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT run_id, started_at, finished_at, exit_code, manifest FROM runs ORDER BY run_id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [
            {"run_id": r[0], "started_at": r[1], "finished_at": r[2], "exit_code": r[3], "manifest": json.loads(r[4]) if r[4] else None}
            for r in rows
        ]

    def scans_since_verified(self) -> int | None:
        """Scans that trusted unchanged files since the last one that read every source in full; None before
        the first full one is recorded (a store of an older groundqa)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='scans_since_verified'").fetchone()
        return int(row[0]) if row else None

    def dedup_outcome(self, key: str) -> dict[str, str] | None:
        """The last run's duplicates (pair id -> the older pair it repeats) when they were found for `key` (the
        grounded pairs in age order, with the dedup settings), else None."""
        rows = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('dedup_key', 'dedup_outcome')").fetchall())
        return json.loads(rows["dedup_outcome"]) if rows.get("dedup_key") == key and "dedup_outcome" in rows else None

    def save_dedup_outcome(self, key: str, duplicate_of: dict[str, str]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                [("dedup_key", key), ("dedup_outcome", json.dumps(duplicate_of, separators=(",", ":")))],
            )

    def count_scan(self, verified: bool) -> None:
        """A scan finished: one that read every source in full starts the count again."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO meta VALUES ('scans_since_verified', ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                ("0" if verified else str((self.scans_since_verified() or 0) + 1),),
            )

    # -- sources --------------------------------------------------------------------------------
    def titles(self) -> dict[str, str | None]:
        """Source id -> its document's title, None where it has none (a path is not a subject: see subject())."""
        return {source_id: title for source_id, title in self.db.execute("SELECT source_id, title FROM sources")}

    def fact_spans(self, version: str) -> dict[tuple[str, str], str]:
        """(text hash, signature) -> the JSON of a chunk text's facts, as saved under fact selection `version`."""
        rows = self.db.execute("SELECT text_hash, sig, spans FROM fact_spans WHERE sig LIKE ?", (f"{version}:%",))
        return {(h, sig): spans for h, sig, spans in rows}

    def save_fact_spans(self, rows: list[tuple[str, str, str]], version: str) -> None:
        """Keep (text hash, signature, spans JSON) rows; drop those of another version of fact selection and those
        of texts no chunk has any more."""
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO fact_spans VALUES (?, ?, ?)", rows)
            self.db.execute("DELETE FROM fact_spans WHERE sig NOT LIKE ?", (f"{version}:%",))
            self.db.execute("DELETE FROM fact_spans WHERE text_hash NOT IN (SELECT text_hash FROM chunks)")

    @staticmethod
    def subject(titles: dict[str, str | None], source_id: str) -> str:
        """What a prompt and the checks call a source's document: its title, "a document" where it has none."""
        return titles.get(source_id) or "a document"

    def sources(self) -> dict[str, StoredSource]:
        rows = self.db.execute(
            "SELECT source_id, kind, content_sha256, size, mtime, etag, last_modified, text_sha256, title,"
            " status, error_kind, error_message, failed_runs, failed_key, mtime_ns, inode FROM sources"
        ).fetchall()
        return {r[0]: StoredSource(*r) for r in rows}

    def save_source_ok(self, source: Source, doc: Document, run_id: int, changed: bool, stat: FileStat | None = None) -> None:
        """`stat`: the file's, as read, to trust it by on later runs (None: read it in full next time)."""
        self.db.execute(
            """INSERT INTO sources (source_id, kind, content_sha256, size, mtime, etag, last_modified, text_sha256, title,
                   pages, status, error_kind, error_message, failed_runs, first_seen_run, last_changed_run, mtime_ns, inode)
               VALUES (?,?,?,?,?,?,?,?,?,?,'ok',NULL,NULL,0,?,?,?,?)
               ON CONFLICT (source_id) DO UPDATE SET kind=excluded.kind, content_sha256=excluded.content_sha256,
                   size=excluded.size, mtime=excluded.mtime, etag=excluded.etag, last_modified=excluded.last_modified,
                   text_sha256=excluded.text_sha256, title=excluded.title, pages=excluded.pages, status='ok', error_kind=NULL,
                   error_message=NULL, failed_runs=0, failed_key=NULL,
                   last_changed_run=CASE WHEN ? THEN excluded.last_changed_run ELSE sources.last_changed_run END,
                   mtime_ns=excluded.mtime_ns, inode=excluded.inode""",
            (source.source_id, source.kind, source.content_sha256, source.size, source.mtime, source.etag,
             source.last_modified, doc.text_sha256, doc.title, json.dumps([p.model_dump() for p in doc.pages]),
             run_id, run_id, stat.mtime_ns if stat else None, stat.inode if stat else None, changed),
        )

    def page_spans(self, source_id: str) -> list[PageSpan]:
        row = self.db.execute("SELECT pages FROM sources WHERE source_id=?", (source_id,)).fetchone()
        return [PageSpan(**p) for p in json.loads(row[0])] if row and row[0] else []

    def touch_source(
        self, source_id: str, mtime: float | None, etag: str | None, last_modified: str | None, stat: FileStat | None = None
    ) -> None:
        """Same bytes, new file time or web validators: keep them, so the next conditional request (or
        trusted stat: `stat`, None to read the file in full next time) is current."""
        self.db.execute(
            "UPDATE sources SET mtime=?, etag=?, last_modified=?, mtime_ns=?, inode=?, status='ok', error_kind=NULL,"
            " error_message=NULL, failed_runs=0 WHERE source_id=?",
            (mtime, etag, last_modified, stat.mtime_ns if stat else None, stat.inode if stat else None, source_id),
        )

    def save_source_failed(self, source_id: str, kind: str, message: str, run_id: int, failed_key: str | None = None) -> int:
        """Record a failure (with `failed_key`, the bytes extraction failed on); returns how many runs in
        a row it has failed."""
        self.db.execute(
            """INSERT INTO sources (source_id, status, error_kind, error_message, failed_runs, first_seen_run, failed_key)
               VALUES (?, 'failed', ?, ?, 1, ?, ?)
               ON CONFLICT (source_id) DO UPDATE SET status='failed', error_kind=excluded.error_kind,
                   error_message=excluded.error_message, failed_runs=sources.failed_runs + 1,
                   failed_key=excluded.failed_key""",
            (source_id, kind, message, run_id, failed_key),
        )
        return int(self.db.execute("SELECT failed_runs FROM sources WHERE source_id=?", (source_id,)).fetchone()[0])

    def forget_source(self, source_id: str) -> None:
        self.db.execute("DELETE FROM sources WHERE source_id=?", (source_id,))
        self.db.execute("DELETE FROM chunks WHERE source_id=?", (source_id,))

    # -- chunks ---------------------------------------------------------------------------------
    def replace_chunks(self, source_id: str, chunker_sig: str, chunks: list[Chunk], text_hashes: list[str]) -> None:
        self.db.execute("DELETE FROM chunks WHERE source_id=?", (source_id,))
        self.db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (source_id, chunker_sig, i, c.chunk_id, h, c.text, c.token_count, c.char_start, c.char_end, json.dumps(c.pages))
                for i, (c, h) in enumerate(zip(chunks, text_hashes))
            ],
        )

    def has_chunks(self, source_id: str, chunker_sig: str) -> bool:
        return self.db.execute(
            "SELECT 1 FROM chunks WHERE source_id=? AND chunker_sig=? LIMIT 1", (source_id, chunker_sig)
        ).fetchone() is not None

    def sources_with_chunks(self, chunker_sig: str) -> set[str]:
        """Every source that has chunks under this signature (one query, for a scan of many sources)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT source_id FROM chunks WHERE chunker_sig=?", (chunker_sig,))}

    def chunks(self, source_ids: Iterable[str], chunker_sig: str) -> list[tuple["StoredChunk", str]]:
        """The chunks of these sources in source order, then document order, with their text hashes."""
        out = []
        for source_id in source_ids:
            rows = self.db.execute(
                "SELECT chunk_id, text_hash, text, token_count, char_start, char_end, pages FROM chunks"
                " WHERE source_id=? AND chunker_sig=? ORDER BY ord",
                (source_id, chunker_sig),
            ).fetchall()
            for r in rows:
                out.append((StoredChunk(r[0], source_id, r[2], r[3], r[4], r[5], r[6]), r[1]))
        return out

    # -- generations and candidates ---------------------------------------------------------------
    def generated(self, gen_sig: str, retry_failed_up_to_run: int | None = None) -> set[str]:
        """Text hashes that already have a generation under this signature; a failed one (an invalid
        reply) made in run `retry_failed_up_to_run` or before does not count: it is to be asked again."""
        rows = self.db.execute("SELECT text_hash, status, run_id FROM generations WHERE gen_sig=?", (gen_sig,))
        if retry_failed_up_to_run is None:
            return {r[0] for r in rows}
        return {h for h, status, run_id in rows if status == "ok" or (run_id or 0) > retry_failed_up_to_run}

    def save_generation(
        self,
        text_hash: str,
        gen_sig: str,
        *,
        status: str,
        candidates: list[Candidate],
        raw_reply: str | None,
        error: str | None,
        teacher_id: str,
        prompt_tokens: int,
        completion_tokens: int,
        seconds: float,
        run_id: int,
        verdicts: dict[str, tuple[str, Verdict]] | None = None,
    ) -> None:
        """One chunk's whole result, in one transaction: the reply, its pairs and their verdicts."""
        with self.transaction():
            seq = self._next_seq()
            self.db.execute(
                "INSERT OR REPLACE INTO generations VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (text_hash, gen_sig, status, raw_reply, error, teacher_id, prompt_tokens, completion_tokens, seconds, run_id, seq),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO candidates VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (c.pair_id, text_hash, gen_sig, c.index, c.question, c.answer, json.dumps(c.quotes, ensure_ascii=False), c.teacher_id, run_id, seq, c.target)
                    for c in candidates
                ],
            )
            for pair_id, (grounding_sig, verdict) in (verdicts or {}).items():
                self._save_verdict(pair_id, grounding_sig, verdict)

    def _next_seq(self) -> int:
        """The next generation's place in age order. MAX(seq) is read once, not per chunk: generations.seq has
        no index, and reading it per save scanned the whole table on the thread that commits every chunk.
        bench/scale.py, cold run of 10k one-chunk documents against 256 slots: the run read 40 GB, its main
        thread spent 2.25 ms a chunk (0.47 at 1k) and kept 131 requests in flight on average; read once,
        0.53 ms a chunk and 193 in flight. The run lock makes a run the only writer of generations; a
        transaction rolled back leaves a gap, which orders nothing differently."""
        if self._seq is None:
            self._seq = int(self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM generations").fetchone()[0])
        self._seq += 1
        return self._seq

    def last_server_teacher(self) -> str | None:
        """The server teacher id that generated most recently in this store, if any."""
        row = self.db.execute(
            "SELECT teacher_id FROM generations WHERE teacher_id LIKE 'server:%' ORDER BY run_id DESC, seq DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def generation_rows(self, gen_sig: str) -> dict[str, tuple[str, str | None, str | None]]:
        """text_hash -> (status, error, raw_reply) for every generation under this signature."""
        return {  # the raw reply only where it is needed: for a rejected reply
            r[0]: (r[1], r[2], r[3])
            for r in self.db.execute(
                "SELECT text_hash, status, error, CASE WHEN status='ok' THEN NULL ELSE raw_reply END FROM generations WHERE gen_sig=?",
                (gen_sig,),
            )
        }

    def candidates(self, gen_sig: str) -> dict[str, list["StoredCandidate"]]:
        """text_hash -> its candidates; the text hashes come oldest generation first. Identical text in
        several chunks shares one generation, and the run attributes each pair to a live chunk."""
        out: dict[str, list[StoredCandidate]] = {}
        for r in self.db.execute(
            "SELECT pair_id, text_hash, idx, question, answer, quotes, teacher_id, target FROM candidates WHERE gen_sig=? ORDER BY seq, idx",
            (gen_sig,),
        ):
            out.setdefault(r[1], []).append(StoredCandidate(*r))
        return out

    def published_candidates(self, other_than: str, text_hashes: set[str]) -> dict[str, list["StoredCandidate"]]:
        """text_hash -> the candidates of those chunk texts that are published now but were generated under
        another signature than `other_than`: what stays published until the current settings cover the chunk."""
        out: dict[str, list[StoredCandidate]] = {}
        for r in self.db.execute(
            "SELECT c.pair_id, c.text_hash, c.idx, c.question, c.answer, c.quotes, c.teacher_id, c.target"
            " FROM published p JOIN candidates c ON c.pair_id = p.pair_id"
            " WHERE p.retired_at IS NULL AND c.gen_sig != ? ORDER BY c.seq, c.idx",
            (other_than,),
        ):
            if r[1] in text_hashes:
                out.setdefault(r[1], []).append(StoredCandidate(*r))
        return out

    # -- verdicts -------------------------------------------------------------------------------
    def _save_verdict(self, pair_id: str, grounding_sig: str, verdict: Verdict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?)",
            (pair_id, grounding_sig, int(verdict.grounded), verdict.model_dump_json()),
        )

    def save_verdicts(self, grounding_sig: str, verdicts: dict[str, Verdict]) -> None:
        with self.transaction():
            for pair_id, verdict in verdicts.items():
                self._save_verdict(pair_id, grounding_sig, verdict)

    def verdicts(self, grounding_sig: str) -> dict[str, tuple[bool, str]]:
        """pair_id -> (grounded, the verdict's JSON): parsed only for the pairs that are written out."""
        return {
            r[0]: (bool(r[1]), r[2])
            for r in self.db.execute("SELECT pair_id, grounded, verdict FROM verdicts WHERE grounding_sig=?", (grounding_sig,))
        }

    # -- dedup ----------------------------------------------------------------------------------
    def dedup_signatures(self, scheme: str) -> dict[str, bytes]:
        """MinHash signatures made under `scheme` (a new scheme recomputes them)."""
        return dict(self.db.execute("SELECT pair_id, signature FROM dedup WHERE scheme=?", (scheme,)).fetchall())

    def save_dedup_signatures(self, scheme: str, signatures: dict[str, bytes]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO dedup VALUES (?,?,?)", [(p, scheme, s) for p, s in signatures.items()])

    # -- published ------------------------------------------------------------------------------
    def published_sources(self) -> set[str]:
        """The sources with at least one published pair."""
        rows = self.db.execute("SELECT DISTINCT json_extract(record, '$.source_id') FROM published WHERE retired_at IS NULL")
        return {r[0] for r in rows if r[0] is not None}

    def published_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT pair_id FROM published WHERE retired_at IS NULL")}

    def set_published(self, live: Iterable[Record | tuple[str, int, str]], run_id: int) -> tuple[int, int]:
        """Make `live` the published set: records with a pair_id in dataset order, or (pair id, place in dataset
        order, record JSON) rows, read once; returns (newly published, retired). Rows that did not change are
        not written again."""
        before = self.published_ids()
        now: set[str] = set()

        def rows() -> Iterator[tuple[str, int, int, str]]:
            for i, item in enumerate(live):
                pair_id, place, record = item if isinstance(item, tuple) else (item.pair_id, i, item.model_dump_json())
                now.add(pair_id)
                yield pair_id, run_id, place, record

        stamp = now_iso()
        with self.transaction():
            self.db.executemany(
                "INSERT INTO published VALUES (?,?,NULL,NULL,?,?) ON CONFLICT (pair_id) DO UPDATE SET"
                " retired_at=NULL, retired_run=NULL, ord=excluded.ord, record=excluded.record"
                " WHERE published.retired_at IS NOT NULL OR published.ord IS NOT excluded.ord OR published.record IS NOT excluded.record",
                rows(),
            )
            retired = before - now
            self.db.executemany(
                "UPDATE published SET retired_at=?, retired_run=? WHERE pair_id=?", [(stamp, run_id, p) for p in retired]
            )
        return len(now - before), len(retired)

    def published_records(self) -> list[str]:
        """The published pairs' records (JSON), in dataset order."""
        return [r[0] for r in self.db.execute("SELECT record FROM published WHERE retired_at IS NULL ORDER BY ord")]

    def added_per_run(self) -> dict[int, int]:
        """run_id -> how many pairs were first published by that run."""
        return dict(self.db.execute("SELECT first_run, COUNT(*) FROM published GROUP BY first_run").fetchall())

    def retired(self, run_id: int | None = None) -> list[str]:
        if run_id is None:
            return [r[0] for r in self.db.execute("SELECT pair_id FROM published WHERE retired_at IS NOT NULL")]
        return [r[0] for r in self.db.execute("SELECT pair_id FROM published WHERE retired_run=?", (run_id,))]

    # -- reviews (groundqa review; the rules a run applies: generation/pipeline/reviews.py) ----------------
    _REVIEW_COLUMNS = "pair_id, decision, question, answer, keep, reason, who, at, source_id, source_text_sha"

    def _decision(self, row: Sequence[Any]) -> Decision:
        return Decision(**dict(zip(self._REVIEW_COLUMNS.split(", "), row)) | {"keep": bool(row[4])})

    def reviews(self) -> dict[str, Decision]:
        """Every decision, by pair id (those of retired pairs too)."""
        rows = self.db.execute(f"SELECT {self._REVIEW_COLUMNS} FROM reviews ORDER BY at, pair_id").fetchall()
        return {r[0]: self._decision(r) for r in rows}

    def review(self, pair_id: str) -> Decision | None:
        row = self.db.execute(f"SELECT {self._REVIEW_COLUMNS} FROM reviews WHERE pair_id=?", (pair_id,)).fetchone()
        return self._decision(row) if row else None

    def save_review(self, decision: Decision, grounding_sig: str | None = None, verdict: Verdict | None = None) -> None:
        """One decision, replacing the pair's earlier one, in one short transaction. `verdict`: an edit's
        re-check under `grounding_sig`. The pair's dedup signature is dropped, so that the next run hashes the
        text it publishes."""
        with self.transaction():
            self._put_review(decision, grounding_sig, verdict)

    def _put_review(self, d: Decision, grounding_sig: str | None, verdict: Verdict | None) -> None:
        self.db.execute(
            f"INSERT OR REPLACE INTO reviews ({self._REVIEW_COLUMNS}, grounding_sig, verdict) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (d.pair_id, d.decision, d.question, d.answer, int(d.keep), d.reason, d.who, d.at, d.source_id, d.source_text_sha,
             grounding_sig if verdict is not None else None, verdict.model_dump_json() if verdict is not None else None),
        )
        self.db.execute("DELETE FROM dedup WHERE pair_id=?", (d.pair_id,))

    def delete_review(self, pair_id: str) -> bool:
        """Forget the pair's decision (undo); returns whether there was one."""
        with self.transaction():
            gone = self.db.execute("DELETE FROM reviews WHERE pair_id=?", (pair_id,)).rowcount
            self.db.execute("DELETE FROM dedup WHERE pair_id=?", (pair_id,))
        return bool(gone)

    def review_verdicts(self) -> dict[str, tuple[str, str]]:
        """pair_id -> (grounding signature, verdict JSON) of each edit's re-check."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute("SELECT pair_id, grounding_sig, verdict FROM reviews WHERE verdict IS NOT NULL")}

    def save_review_verdicts(self, grounding_sig: str, checked: dict[str, tuple[str, str, Verdict]]) -> None:
        """Edits re-checked by a run: pair_id -> (question, answer, verdict). Kept only where the edit is still
        the one checked (the person may have edited it again meanwhile)."""
        with self.transaction():
            self.db.executemany(
                "UPDATE reviews SET grounding_sig=?, verdict=? WHERE pair_id=? AND decision='edit' AND question=? AND answer=?",
                [(grounding_sig, v.model_dump_json(), pair_id, q, a) for pair_id, (q, a, v) in checked.items()],
            )

    def import_reviews(self, decisions: Iterable[Decision]) -> tuple[int, int]:
        """Decisions from another store, in one transaction; a pair's newer decision wins (the one here when
        it is newer). Returns (imported, kept because the one here is newer)."""
        imported = kept = 0
        with self.transaction():
            for d in decisions:
                row = self.db.execute("SELECT at FROM reviews WHERE pair_id=?", (d.pair_id,)).fetchone()
                if row and row[0] > d.at:
                    kept += 1
                    continue
                self._put_review(d, None, None)
                imported += 1
        return imported, kept
