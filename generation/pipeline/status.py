"""`groundqa status`: what changed on disk since the last run, what is published, the last runs.

Reads files and the store only: no extraction, no teacher, no web request."""

from __future__ import annotations

import sqlite3
from typing import Any

from generation.config import Corpus
from .reviews import review_counts
from .store import open_store, store_problem
from ingest.records import SourceError, sha256_hex
from ingest.sources import read_file, redact


def corpus_status(corpus: Corpus, runs: int = 10) -> dict[str, Any]:
    """Raises StoreError, naming the fix, when the store cannot be read."""
    db = corpus.state_dir / "state.sqlite"
    store = open_store(db, corpus.config_path or corpus.root) if db.is_file() else None
    try:
        stored = store.sources() if store else {}
        cfg = corpus.config.sources
        added, changed, unreadable = [], [], []
        unchanged = 0
        on_disk = set()
        for source_id, path in corpus.files():
            on_disk.add(source_id)
            before = stored.get(source_id)
            try:
                raw = read_file(source_id, path, cfg.max_bytes)
            except SourceError as exc:
                unreadable.append(f"{source_id} ({exc.kind})")
                continue
            if before is None or before.content_sha256 is None:
                added.append(source_id)
            elif before.content_sha256 != sha256_hex(raw.data):
                changed.append(source_id)
            else:
                unchanged += 1
        urls = [redact(u) for u in corpus.urls()]  # web sources are known by their redacted URL
        removed = sorted(s for s in stored if s not in on_disk and s not in urls)
        added += [u for u in urls if u not in stored]
        history = []
        added_per_run = store.added_per_run() if store else {}
        for r in store.runs(runs) if store else []:
            m = r["manifest"] or {}
            src = m.get("sources", {})
            history.append({
                "run_id": r["run_id"],
                "started_at": r["started_at"],
                "finished_at": r["finished_at"],
                "exit_code": r["exit_code"],
                "sources_changed": src.get("added", 0) + src.get("changed", 0) + src.get("removed", 0),
                "pairs_added": added_per_run.get(r["run_id"], 0),
                "retired": m.get("pairs", {}).get("retired", 0),
                "teacher_seconds": m.get("teacher", {}).get("seconds", 0.0),
            })
        failed = [
            {"source": s.source_id, "kind": s.error_kind, "message": s.error_message, "runs": s.failed_runs}
            for s in stored.values() if s.status == "failed"
        ]
        return {
            "corpus": corpus.name,
            "root": str(corpus.root),
            "published": len(store.published_ids()) if store else 0,
            "changes": {"added": added, "changed": changed, "removed": removed, "unchanged": unchanged, "unreadable": unreadable},
            "failed_sources": failed,
            "reviews": review_counts(store) if store else None,
            "last_run": history[0] if history else None,
            "runs": history,
        }
    except sqlite3.Error as exc:
        raise store_problem(exc, db, corpus.config_path or corpus.root) from exc
    finally:
        if store:
            store.close()
