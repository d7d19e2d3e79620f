"""Where a set's data files go: one file per format and split for a small set, shards by a stable hash of
the source for a large one, so that a night which changed a few documents rewrites only their shards.

A source's pairs (and its rejections) all go to shard `hash(source_id) mod count`; the count is a power of
two chosen from the number of documents (`documents_per_shard` of them a shard on average) and kept from
night to night while the corpus stays within a factor of four of the size it was chosen for, so a night
that adds a few documents moves no pair from one shard to another. When the count does change (the corpus
grew or shrank fourfold), every shard is rewritten once; doubling a power of two splits each shard in two.

Why so few documents a shard: a shard with one changed document is rewritten whole, and changes land on
shards at random, so a night that changed a share `r` of the documents rewrites about `1 - (1 - 1/count)
** (r * documents)`, roughly `r * documents_per_shard`, of the bytes. Measured with bench/publish.py (1,000
one-chunk documents, 10 edited at random): 1 document a shard wrote 2.1 % of the dataset's bytes,
2 wrote 3.4 % (1,446 files a set), 4 wrote 5.0 % (911 files), 8 wrote 8.1 %. Fewer, larger files
cost more bytes on such a night; docs/decisions.md.

Layouts (paths relative to the set's folder):

- one shard: `pairs.jsonl`, `rejected.jsonl`, `<format>.jsonl`, `<format>.validation.jsonl`;
- sharded: `data/pairs/pairs-00003-of-00256.jsonl`, `data/rejected/rejected-00003-of-00256.jsonl`,
  `data/<format>/<split>/<format>-<split>-00003-of-00256.jsonl`. A folder per format and split, because
  LLaMA-Factory reads a folder (not a pattern) as one dataset; the dataset card names the files by pattern.
  A shard with no line for a file has no file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

# Sharding starts at this many documents: below it the whole set is a few megabytes, rewriting it costs
# nothing worth a second layout, and the flat names (out/pairs.jsonl) are the ones users read.
SHARD_FROM_DOCUMENTS = 500
# Documents a shard on average ([output] documents_per_shard): the smallest files count that keeps a night
# with 1 % of the documents changed at random under 5 % of the bytes with room to spare (3.4 % measured;
# 4 a shard measured 5.0 %, see above).
DOCUMENTS_PER_SHARD = 2
MAX_SHARDS = 1 << 16  # past this the shards grow instead: a folder of 65,536 files is as many as tools list well
RESHARD_FACTOR = 4  # the count is kept while the ideal one is within this factor of it


def shard_count(documents: int, previous: int | None, per_shard: int = DOCUMENTS_PER_SHARD) -> int:
    """How many shards a set of `documents` documents gets, given the count the shown set was written with."""
    ideal = 1
    if documents >= SHARD_FROM_DOCUMENTS:
        ideal = min(MAX_SHARDS, 1 << max(0, (-(-documents // max(1, per_shard)) - 1).bit_length()))
    if previous and (previous > 1) == (ideal > 1) and previous <= ideal * RESHARD_FACTOR and ideal <= previous * RESHARD_FACTOR:
        return previous
    return ideal


def shard_of(source_id: str, count: int) -> int:
    """The shard of a source's pairs: a hash of its id, so it never moves while the count stays."""
    if count <= 1:
        return 0
    digest = hashlib.sha256(f"groundqa-shard:{source_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Layout:
    """The paths of a set written in `count` shards."""

    count: int = 1

    @property
    def sharded(self) -> bool:
        return self.count > 1

    def path(self, name: str, split: str | None, shard: int = 0) -> str:
        """The file of `name` ("pairs", "rejected" or a format) for `split` (None for pairs and rejected) in `shard`."""
        if not self.sharded:
            return f"{name}.jsonl" if split in (None, "train") else f"{name}.{split}.jsonl"
        suffix = f"{shard:05d}-of-{self.count:05d}.jsonl"
        if split is None:
            return f"data/{name}/{name}-{suffix}"
        return f"data/{name}/{split}/{name}-{split}-{suffix}"

    def folder(self, name: str, split: str | None) -> str:
        """What a trainer is pointed at for `name` and `split`: the file, or the folder of its shards."""
        if not self.sharded:
            return self.path(name, split)
        return f"data/{name}" if split is None else f"data/{name}/{split}"

    def pattern(self, name: str, split: str | None) -> str:
        """The dataset card's `path` for `name` and `split`: the file, or a pattern matching its shards."""
        return self.path(name, split) if not self.sharded else f"{self.folder(name, split)}/*.jsonl"

    def describe(self, per_shard: int) -> dict:
        """What the manifest records, so the next night keeps the count."""
        return {"count": self.count, "documents_per_shard": per_shard, "key": "sha256('groundqa-shard:' + source_id) mod count"}


def files_of(folder: Path, name: str, split: str | None = None) -> list[Path]:
    """The files of `name` ("pairs", "rejected", a format) and `split` in a published folder, in order, whichever
    layout it was written in."""
    flat = folder / Layout().path(name, split)
    if flat.is_file():
        return [flat]
    return sorted((folder / Layout(2).folder(name, split)).glob("*.jsonl"))
