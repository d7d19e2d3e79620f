"""The training files: the validation split, multi-turn conversations, evidence-first answers, and the
files themselves (pairs.jsonl, rejected.jsonl, and `<format>.jsonl` / `<format>.validation.jsonl` for
each format asked; the formats are generation/outputs/formats/).

The split is by document: a document's pairs are all in train or all in validation, by a hash of its
source id, so a pair never moves between splits (not even when its document changes), and no
validation question is about text the model was trained on. For knowledge-base fine-tuning that is
the split that measures something: chunks overlap and fact-first writes one question per sentence, so
a split by pair or by chunk puts near-copies of validation questions (the same sentence, the next chunk's
overlap) into training, and the validation loss then says only that the model memorised them.

Nothing here calls the teacher: multi-turn conversations join published pairs, and evidence-first
answers are built from the aligned quote and the document's title.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from generation.records import Pair, Rejection

from . import formats
from .files import PAIRS_FILE, REJECTED_FILE, write_jsonl_atomic

logger = logging.getLogger(__name__)

TRAIN, VALIDATION = "train", "validation"


def split_of(source_id: str, share: float) -> str:
    """"validation" for a stable `share` of documents (by a hash of the source id), else "train"."""
    if share <= 0:
        return TRAIN
    digest = hashlib.sha256(f"groundqa-split:{source_id}".encode("utf-8")).digest()
    return VALIDATION if int.from_bytes(digest[:8], "big") / 2**64 < share else TRAIN


def assign_splits(pairs: list[Pair], share: float) -> list[Pair]:
    """Each pair with its document's split. When every document would be in validation (a corpus of a
    document or two), all are train instead: a trainer needs a train split first."""
    split = {source: split_of(source, share) for source in dict.fromkeys(p.source_id for p in pairs)}
    if split and all(v == VALIDATION for v in split.values()):
        split = dict.fromkeys(split, TRAIN)
    return [p.model_copy(update={"split": split[p.source_id]}) for p in pairs]


def conversations(pairs: list[Pair], turns: int, *, by_chunk: bool) -> Iterator[list[Pair]]:
    """Published pairs joined into conversations of at most `turns`, in dataset order, never across
    documents (nor across chunks when `by_chunk`: a conversation with its chunk as context has one)."""
    group: list[Pair] = []
    for pair in pairs:
        key = (pair.source_id, pair.chunk_id if by_chunk else "")
        if group and (len(group) >= turns or (group[-1].source_id, group[-1].chunk_id if by_chunk else "") != key):
            yield group
            group = []
        group.append(pair)
    if group:
        yield group


def evidence_answer(pair: Pair, title: str) -> str:
    """The answer preceded by what supports it: 'According to "<title>": "<quote>"' and the answer, or,
    where the answer is the quoted sentence itself (fact-first), 'According to "<title>", <answer>'."""
    quote = " ... ".join(q.strip() for q in pair.quotes if q.strip())
    if not quote or _plain(quote) in _plain(pair.answer):
        return f'According to "{title}": {pair.answer}'
    return f'According to "{title}": "{quote}"\n\n{pair.answer}'


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def data_file(name: str, split: str) -> str:
    """The file of format (or "pairs") `name` for `split`: the train split keeps the plain name."""
    return f"{name}.jsonl" if split == TRAIN else f"{name}.{split}.jsonl"


def format_pair(
    pair: Pair, fmt: str, *, system_prompt: str | None = None, include_context: bool = False, answer: str | None = None
) -> dict[str, Any]:
    """One pair as one record of `fmt`. `answer` replaces the pair's answer (the evidence-first form)."""
    return formats.get(fmt).record([pair], [answer or pair.answer], system=system_prompt or None, include_context=include_context)


def format_records(
    pairs: list[Pair], fmt: str, *, system_prompt: str | None = None, include_context: bool = False, turns: int = 1,
    answer_style: str = "plain", titles: dict[str, str | None] | None = None,
) -> Iterator[dict[str, Any]]:
    """The records of `fmt` for `pairs` (in dataset order): conversations of up to `turns` pairs in the
    chat formats, answers evidence-first with `answer_style = "evidence"`."""
    titles = titles or {}

    def answer(pair: Pair) -> str:
        return evidence_answer(pair, titles.get(pair.source_id) or pair.source_id) if answer_style == "evidence" else pair.answer

    form = formats.get(fmt)
    groups = conversations(pairs, turns, by_chunk=include_context) if form.chat and turns > 1 else ([p] for p in pairs)
    for group in groups:
        yield form.record(group, [answer(p) for p in group], system=system_prompt or None, include_context=include_context)


def write_outputs(
    out_dir: Path,
    pairs: list[Pair],
    rejections: list[Rejection],
    names: Sequence[str],
    *,
    system_prompt: str | None = None,
    include_context: bool = False,
    turns: int = 1,
    answer_style: str = "plain",
    titles: dict[str, str | None] | None = None,
) -> dict[str, Path]:
    """Write pairs.jsonl (every pair, with its `split`: training.assign_splits), rejected.jsonl, and for each format asked
    `<fmt>.jsonl` (the train split) and `<fmt>.validation.jsonl` (when the split has pairs), each
    atomically; returns the paths by name ("pairs", "rejected", each format, "<fmt>.validation").
    Chat formats join up to `turns` pairs a conversation (generation/training.py)."""
    if isinstance(names, str):
        names = [names]
    for fmt in names:
        formats.get(fmt)  # an unknown name fails before anything is written
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"pairs": out_dir / PAIRS_FILE, "rejected": out_dir / REJECTED_FILE}
    write_jsonl_atomic(written["pairs"], pairs)
    write_jsonl_atomic(written["rejected"], rejections)
    for split in (TRAIN, VALIDATION):
        part = [p for p in pairs if p.split == split]
        if split == VALIDATION and not part:
            continue
        for fmt in dict.fromkeys(names):
            path = out_dir / data_file(fmt, split)
            records = format_records(
                part, fmt, system_prompt=system_prompt, include_context=include_context, turns=turns, answer_style=answer_style, titles=titles
            )
            count = write_jsonl_atomic(path, records)
            logger.info("wrote %d %s records to %s", count, fmt, path)
            written[fmt if split == TRAIN else f"{fmt}.{split}"] = path
    return written
