"""Decisions to and from a JSONL file (`groundqa review CORPUS --export FILE` / `--import FILE`): one
`Decision` a line, so that a person reviews on one machine and the nightly run honours it on another.
A pair id is the same on both when the chunk text and the generation settings are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from generation.config import Corpus
from generation.outputs.files import write_jsonl_atomic
from generation.pipeline.reviews import last_signatures, live_pair_ids
from generation.pipeline.store import Store, open_store
from generation.records import Decision

from . import ReviewError


def export_decisions(store: Store, path: Path) -> int:
    """Every decision (those of retired pairs too), oldest first; returns how many."""
    return write_jsonl_atomic(path, store.reviews().values())


@dataclass
class Imported:
    imported: int
    kept: int  # the store's decision was newer
    unknown: int  # pairs this store has not generated (yet): kept, and honoured once they are

    def __str__(self) -> str:
        text = f"{self.imported} decisions imported"
        if self.kept:
            text += f", {self.kept} left as they were (the decision here is newer)"
        if self.unknown:
            text += (
                f"; {self.unknown} are about pairs this corpus has not generated (other chunk text or generation "
                "settings): they are kept and apply if those pairs appear"
            )
        return text


def read_decisions(path: Path) -> list[Decision]:
    """The file's decisions, all of them or none: a bad line is named with what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    decisions = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            decisions.append(Decision.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
            raise ReviewError(
                f"{path}, line {number}: not a decision ({detail}); nothing was imported. A decisions file is what "
                "'groundqa review CORPUS --export FILE' writes"
            ) from None
    return decisions


def _store(corpus: Corpus) -> Store:
    db = corpus.state_dir / "state.sqlite"
    if not db.is_file():
        raise ReviewError(f"{corpus.root} has no run yet, so it has no decisions: run 'groundqa run {corpus.root}' first")
    return open_store(db, corpus.config_path or corpus.root)


def export_corpus(corpus: Corpus, path: Path) -> int:
    """`groundqa review CORPUS --export FILE`."""
    store = _store(corpus)
    try:
        return export_decisions(store, path)
    finally:
        store.close()


def import_corpus(corpus: Corpus, path: Path) -> Imported:
    """`groundqa review CORPUS --import FILE`: the file is read whole before anything is written."""
    decisions = read_decisions(path)
    store = _store(corpus)
    try:
        sigs = last_signatures(store)
        live = live_pair_ids(store, sigs) if sigs else set()
        imported, kept = store.import_reviews(decisions)
        return Imported(imported, kept, sum(1 for d in decisions if d.pair_id not in live))
    finally:
        store.close()
