"""What the run's stages share: the corpus and its settings, the store, and what the run has counted so
far (the manifest is written from it). Each stage is a function or a small class that takes the state;
none inherits from another."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from generation.config import Corpus
from generation.grounding import GroundingConfig
from generation.outputs.publish import OutputSet
from generation.strategies import GenerationSettings, Strategy
from generation.teachers.factory import TeacherSpec
from ingest.chunking import Chunker

from .store import Store, now_iso


@dataclass
class Progress:
    """What the CLI's progress bar shows; the run's `on_progress` gets it after every generated chunk."""

    total: int = 0
    done: int = 0
    pairs: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)


ProgressCallback = Callable[[Progress], None]


@dataclass
class RunOptions:
    """How this run was asked for (the command line), beside the corpus's settings."""

    limit_chunks: int | None = None  # generate at most this many new chunks
    allow_retire: bool = False  # confirm a mass retirement
    retry_invalid: bool = False  # ask again now the chunks whose reply was invalid
    jobs: int | None = None  # extraction worker processes; None: [sources] jobs, or one per core
    verify: bool = False  # read and hash every source in full, trusting no file's stat (scan.VERIFY_EVERY)
    on_progress: ProgressCallback | None = None
    on_scan: Callable[..., None] | None = None


@dataclass
class RunState:
    corpus: Corpus
    options: RunOptions
    spec: TeacherSpec
    chunker: Chunker
    settings: GenerationSettings
    strategy: Strategy
    grounding_config: GroundingConfig
    strategy_reason: str = ""  # why this strategy ran: the run's output says it
    store: Store | None = None
    run_id: int = 0
    output: OutputSet | None = None
    started_at: str = field(default_factory=now_iso)
    counts: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in ("sources", "chunks", "pairs", "teacher")})
    failures: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # links out of the corpus, not read
    reasons: Counter = field(default_factory=Counter)  # rejections by reason, in the published dataset
    signatures: dict[str, str] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    scan: dict[str, Any] = field(default_factory=dict)  # bytes read from sources, sources read and trusted, verified
    published: Any = None  # assemble.PublishedSet: the pairs of the set publish wrote; recorded in the store once shown
    files: dict[str, Any] = field(default_factory=dict)  # the set's shards and what writing it cost (manifest "files")
    interrupted: bool = False

    @property
    def cfg(self):
        return self.corpus.config

    def fail(self, source: str, stage: str, kind: str, message: str) -> None:
        """One line of the manifest's failures."""
        self.failures.append({"source": source, "stage": stage, "kind": kind, "message": message})
