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
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from generation.records import Pair, Rejection

from . import formats
from .files import SetWriter
from .shards import Layout, shard_of

logger = logging.getLogger(__name__)

TRAIN, VALIDATION = "train", "validation"


def _position(source_id: str) -> float:
    """Where a document falls in [0, 1): a hash of its source id, the same on every night."""
    digest = hashlib.sha256(f"groundqa-split:{source_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(source_id: str, share: float) -> str:
    """"validation" for a stable `share` of documents (by a hash of the source id), else "train"."""
    if share <= 0:
        return TRAIN
    return VALIDATION if _position(source_id) < share else TRAIN


def document_splits(source_ids: Iterable[str], share: float) -> dict[str, str]:
    """Each document's split: `split_of`, with two corrections for small corpora. With a share above 0 and two
    or more documents, at least one is validation (the one whose hash falls lowest, the next to fall to it by
    the rule anyway) and at least one is train (a trainer needs a train split first: the one whose hash falls
    highest). Documents added later keep the rule's split; the chosen one moves back to train only when the
    rule itself puts another document in validation."""
    split = {source: split_of(source, share) for source in dict.fromkeys(source_ids)}
    if share <= 0 or not split:
        return split
    if len(split) == 1:
        return dict.fromkeys(split, TRAIN)
    if VALIDATION not in split.values():
        split[min(split, key=_position)] = VALIDATION
    elif TRAIN not in split.values():
        split[max(split, key=_position)] = TRAIN
    return split


def assign_splits(pairs: list[Pair], share: float) -> list[Pair]:
    """Each pair with its document's split (`document_splits`)."""
    split = document_splits((p.source_id for p in pairs), share)
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
    """The file of format (or "pairs") `name` for `split` in a set of one shard: the train split keeps the plain name."""
    return Layout().path(name, split)


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


def write_shard(
    sink: SetWriter, layout: Layout, shard: int, pairs: list[Pair], rejections: list[Rejection], names: Sequence[str], **style: Any
) -> set[tuple[str, str | None]]:
    """One shard's files: its pairs (each with its `split`), its rejections, and each format's train and validation
    records; `style` is `format_records`'s options. A sharded set has no file for a shard without lines, nor a set
    of one shard a validation file without a validation split. Returns the (name, split) files written."""
    written: set[tuple[str, str | None]] = set()
    for name, records, split in (("pairs", pairs, None), ("rejected", rejections, None)):
        if records or not layout.sharded:
            sink.put_lines(layout.path(name, split, shard), records)
            written.add((name, split))
    for split in (TRAIN, VALIDATION):
        part = [p for p in pairs if p.split == split]
        if not part and (layout.sharded or split == VALIDATION):
            continue
        for fmt in names:
            sink.put_lines(layout.path(fmt, split, shard), format_records(part, fmt, **style))
            written.add((fmt, split))
    return written


def write_empty(sink: SetWriter, layout: Layout, written: set[tuple[str, str | None]], names: Sequence[str]) -> None:
    """The files a reader expects even when no shard had a line for them (pairs, rejected, each format's train
    split), written empty in shard 0."""
    for name, split in [("pairs", None), ("rejected", None)] + [(fmt, TRAIN) for fmt in names]:
        if (name, split) not in written:
            sink.put_lines(layout.path(name, split, 0), [])
            written.add((name, split))


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
    layout: Layout = Layout(),
) -> dict[str, Path]:
    """Write pairs.jsonl (every pair, with its `split`: training.assign_splits), rejected.jsonl, and for each format asked
    `<fmt>.jsonl` (the train split) and `<fmt>.validation.jsonl` (when the split has pairs), each whole; in
    `layout`'s shards when it has several (a source's pairs and rejections in the shard of its id, each shard in
    dataset order). Returns the paths by name ("pairs", "rejected", each format, "<fmt>.validation"): the file,
    or the folder of its shards. A run writes its set shard by shard (pipeline/assemble.py) with `write_shard`."""
    if isinstance(names, str):
        names = [names]
    names = list(dict.fromkeys(names))
    for fmt in names:
        formats.get(fmt)  # an unknown name fails before anything is written
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sink = SetWriter(out_dir)
    shards: dict[int, tuple[list[Pair], list[Rejection]]] = {}
    for pair in pairs:
        shards.setdefault(shard_of(pair.source_id, layout.count), ([], []))[0].append(pair)
    for rejection in rejections:
        shards.setdefault(shard_of(rejection.source_id, layout.count), ([], []))[1].append(rejection)
    if not layout.sharded:
        shards.setdefault(0, ([], []))
    style = dict(system_prompt=system_prompt, include_context=include_context, turns=turns, answer_style=answer_style, titles=titles)
    written: set[tuple[str, str | None]] = set()
    for shard in sorted(shards):
        written |= write_shard(sink, layout, shard, *shards[shard], names, **style)
    write_empty(sink, layout, written, names)
    sink.close()
    logger.info("wrote %s in %d shard(s) to %s", ", ".join(names), layout.count, out_dir)
    return {name if split in (None, TRAIN) else f"{name}.{split}": out_dir / layout.folder(name, split) for name, split in written}
