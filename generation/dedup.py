"""Near-duplicate pairs: MinHash signatures of question and answer, a banded index, the older pair wins.

A signature is a plain MinHash vector of `num_perm` uint32 slots, stored as little-endian bytes:
the first 3/4 of the slots are the MinHash of the question's shingles, the last 1/4 the MinHash of
the answer's. The share of slots two signatures have in common therefore estimates

    similarity = 0.75 * Jaccard(question shingles) + 0.25 * Jaccard(answer shingles)

and two pairs are duplicates when it reaches the threshold (0.8 by default). Shingles are the words
and the word bigrams of the normalized text (NFKC, lowercase, punctuation out, whitespace collapsed).
Each part is exactly what `datasketch.MinHash(num_perm, seed, scheme="affine32",
hashfunc=shingle_hash).update_batch(shingles(text))` computes (seed 1 for the question, 2 for the
answer), done in batches with numpy. A word's hash is datasketch's `sha1_hash32`, so signatures are
the same in every process and on every machine.

How these were chosen (exact Jaccard of the labelled cases in tests/generation/test_dedup.py):

- words + bigrams: "What year was Acme founded?" / "In what year was Acme founded?" share 9 of 11
  shingles (0.82; words alone 0.83, bigrams alone 0.80). Bigrams carry word order, so a changed
  word costs the word and the bigrams around it: "What year was Acme founded?" / "...acquired?"
  is 0.64. Character 3-grams were rejected: "...in the fiscal year 2019?" / "...2020?" is 0.94.
- the answer's quarter: with the same answer, the "In what year" pair scores 0.86. Long questions
  that differ in one word are told apart by their answers: "What is the maximum number of vacation
  days an employee in the Paris office can carry over to the next year?" / "...Lyon office...",
  "5 days" / "10 days" score 0.69, where the questions alone are 0.86. One set of question and
  answer shingles was rejected: there the answer's weight grows with its length, so a reworded
  three-sentence answer hides a repeated question.
- 128 slots (96 question, 32 answer), measured by `bench/dedup.py --calibrate` over 100 seeds x 20
  made-up entity names: "What year was X founded?" / "In what year was X founded?" with the same
  answer (exact 0.86-0.90) is found 99.7% of the time (64 slots: 95.3%, 256: 100%); the same
  question answered "1998" / "In 1998." (exact 0.83) 94.3% (64: 87.0%, 256: 99.4%); "What year was
  X founded?" / "...acquired?" (0.48-0.55), "Who is the CEO of X?" / "...CFO of X?" (0.43-0.50) and
  the fiscal-year pair (0.68) 0.0% (64 slots: 0.5% of the fiscal-year pairs). 256 slots would
  double the signature store and the index memory for a few points on pairs just over 0.8.

The index is locality-sensitive hashing over the question slots only: a duplicate's question
Jaccard is at least (threshold - 0.25) / 0.75 (0.73 at 0.8), and the bands are cut so that a pair at
that floor becomes a candidate with p >= `RECALL_FLOOR` (24 bands of 4 at 0.8: p = 0.9997). Every
candidate is verified on the whole signature. datasketch's `MinHashLSH` is not used for the index:
its dict-of-sets storage measured about 3.5 KB per pair at its 9 bands (700 MB for 200,000 pairs),
and its own choice of bands (9 of 13 at threshold 0.8) makes a pair of true similarity 0.85 a
candidate only 69% of the time. Here the bands are sorted numpy arrays, 12 bytes per pair and band
(58 MB for 200,000 pairs at 24 bands), plus a dict for the rows added since the last merge.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator

import numpy as np

logger = logging.getLogger(__name__)

DEDUP_VERSION = "2"  # 2: articles out
NUM_PERM = 128
# The answer's share of the slots (and so of the similarity); see the module docstring.
ANSWER_SHARE = 0.25
SEED = 1  # the question's permutations; the answer's use SEED + 1
BAND_SEED = 3  # the band keys' multipliers; they live in memory only, never in a store
# Bands are cut so that a pair whose question Jaccard is at the lowest a duplicate can have
# becomes a candidate with at least this probability; candidates cost one vector comparison.
RECALL_FLOOR = 0.99
# New rows are kept in a dict until this many, then merged into the sorted band arrays
# (a merge copies the arrays: ~60 ms at 200,000 pairs x 24 bands).
MERGE_EVERY = 4096
# Pairs are hashed and permuted in blocks of this many: ~25,000 shingles x num_perm x 4 bytes of
# scratch (13 MB at 128). Permuting per block, not all at once, bounds the memory of a large batch.
PAIR_BLOCK = 1024
WORD_CACHE = 200_000  # word -> hash entries kept while one `signatures` call runs

_MAX_HASH = np.uint32(0xFFFFFFFF)
_NOT_WORD = re.compile(r"[\W_]+")
_ARTICLES = frozenset(("a", "an", "the"))
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(33), np.uint64(0xC4CEB9FE1A85EC53), np.uint64(33))


def normalize(text: str) -> str:
    """NFKC, lowercase, every run of punctuation or whitespace one space, no articles ("When was the
    Pitcairn Island discovered?" is "When was Pitcairn Island discovered?": a small teacher asked both of
    one sentence in the third realdocs set, and their shingles shared too few bigrams to meet)."""
    return " ".join(w for w in _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).split() if w not in _ARTICLES)


def shingles(text: str) -> list[str]:
    """The words and word bigrams of the normalized text (a bigram is the only kind with a space)."""
    words = normalize(text).split()
    return list(dict.fromkeys(words + [f"{a} {b}" for a, b in zip(words, words[1:])]))


def shingle_hash(shingle: str) -> int:
    """The 32-bit hash of one shingle: datasketch's `sha1_hash32` of a word; a bigram's combines
    its two words' hashes (so that each word is hashed once, however many bigrams it is in)."""
    words = shingle.split(" ")
    if len(words) == 1:
        return int(_word_hashes(words)[0])
    first, second = _word_hashes(words).astype(np.uint64)
    return int(_bigram_hashes(np.array([first]), np.array([second]))[0])


def _fmix(values: np.ndarray, constants: tuple) -> np.ndarray:
    s1, m1, s2, m2, s3 = constants
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s3)


def _word_hashes(words: list[str], cache: dict[str, bytes] | None = None) -> np.ndarray:
    """datasketch's default hash (`sha1_hash32`) of each word's UTF-8 bytes, as one uint32 array."""
    cache = {} if cache is None else cache
    digests = []
    for word in words:
        digest = cache.get(word)
        if digest is None:
            digest = cache[word] = hashlib.sha1(word.encode("utf-8")).digest()[:4]
        digests.append(digest)
    return np.frombuffer(b"".join(digests), dtype="<u4").astype(np.uint32)


def _bigram_hashes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """uint64 word hashes of consecutive words -> uint32 bigram hashes."""
    return (_fmix((first << np.uint64(32)) | second, _FMIX64) >> np.uint64(32)).astype(np.uint32)


def _text_shingle_hashes(texts: list[str], cache: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes of every text, concatenated text by text, and how many each text has."""
    word_lists = [normalize(text).split() for text in texts]
    counts = np.fromiter((len(w) for w in word_lists), dtype=np.int64, count=len(word_lists))
    words = _word_hashes([w for ws in word_lists for w in ws], cache).astype(np.uint64)
    # a bigram at every word but each text's last; its hash goes right after the text's words
    last = np.cumsum(counts) - 1
    has_next = np.ones(len(words), dtype=bool)
    has_next[last[counts > 0]] = False
    bigrams = _bigram_hashes(words[:-1][has_next[:-1]], words[1:][has_next[:-1]]) if len(words) else words
    n_bigrams = np.maximum(counts - 1, 0)
    hashes = np.empty(len(words) + len(bigrams), dtype=np.uint32)
    text_start = np.r_[0, np.cumsum(counts + n_bigrams)[:-1]].astype(np.int64)
    word_start = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    bigram_start = np.r_[0, np.cumsum(n_bigrams)[:-1]].astype(np.int64)
    word_pos = np.repeat(text_start - word_start, counts) + np.arange(len(words))
    bigram_pos = np.repeat(text_start + counts - bigram_start, n_bigrams) + np.arange(len(bigrams))
    hashes[word_pos] = words.astype(np.uint32)
    hashes[bigram_pos] = bigrams
    return hashes, counts + n_bigrams


class _Permutations:
    """The affine permutations of `datasketch.MinHash(num_perm, seed, scheme="affine32")`."""

    def __init__(self, num_perm: int, seed: int):
        from datasketch import MinHash

        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self.a = np.asarray(a, dtype=np.uint32)
        self.b = np.asarray(b, dtype=np.uint32)

    def minhash(self, hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """(texts, num_perm): the MinHash of each text's run of `counts` shingle hashes, as
        `MinHash.update_batch` computes it; a text with no shingles gets datasketch's empty sketch."""
        rows = np.full((len(counts), len(self.a)), _MAX_HASH, dtype=np.uint32)
        present = np.flatnonzero(counts > 0)
        if present.size == 0:
            return rows
        mixed = _fmix(hashes, _FMIX32)
        starts = np.r_[0, np.cumsum(counts)[:-1]][present]
        # permutations x shingles, so that each text's minimum is over a contiguous run of a row
        permuted = np.multiply.outer(self.a, mixed)  # wraps: mod 2^32
        permuted += self.b[:, None]
        rows[present] = np.minimum.reduceat(permuted, starts, axis=1).T
        return rows


def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) over the question slots for this threshold: the longest bands that
    still make a pair at the lowest possible question Jaccard a candidate with p >= RECALL_FLOOR."""
    question_slots = _question_slots(num_perm)
    floor = max(0.0, (threshold - ANSWER_SHARE) / (1.0 - ANSWER_SHARE))
    best = (question_slots, 1)
    for r in range(1, question_slots + 1):
        b = question_slots // r
        if b < 1:
            break
        if 1.0 - (1.0 - floor**r) ** b >= RECALL_FLOOR:
            best = (b, r)
    return best


def _question_slots(num_perm: int) -> int:
    return num_perm - round(num_perm * ANSWER_SHARE)


class Deduper:
    """Keeps the signatures of the pairs published so far and says which new pair repeats one.

    `add` either inserts a pair or names the older pair it duplicates; `load` puts back earlier
    runs' signatures without checking them against each other. Not thread-safe.
    """

    def __init__(self, threshold: float = 0.8, num_perm: int = NUM_PERM, *, seed: int = SEED):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"dedup threshold = {threshold} must be in (0, 1]; 0.8 is the default")
        if num_perm < 8:
            raise ValueError(f"num_perm = {num_perm} is too small; use at least 8 (default {NUM_PERM})")
        self.threshold = threshold
        self.num_perm = num_perm
        self.seed = seed
        self._nq = _question_slots(num_perm)
        self._permutations: tuple[_Permutations, _Permutations] | None = None  # made on first use: importing
        # datasketch takes about 0.8 s, and a re-run whose signatures are all stored needs none
        self.bands, self.band_rows = band_params(threshold, num_perm)
        # the least number of equal slots that makes a duplicate (the float tolerance keeps 0.8 * 10 = 8)
        self._need = math.ceil(threshold * num_perm - 1e-9)
        halves = np.random.RandomState(BAND_SEED).randint(0, 1 << 63, (self.bands, self.band_rows), dtype=np.uint64)
        self._band_mult = halves * np.uint64(2) + np.uint64(1)  # odd

        self._clear()

    def _clear(self) -> None:
        self._sigs = np.empty((1024, self.num_perm), dtype=np.uint32)
        self._n = 0  # rows used in _sigs (live and removed)
        self._alive = np.zeros(1024, dtype=bool)
        self._ids: list[str | None] = []
        self._rows: dict[str, int] = {}
        self._keys = np.empty(0, dtype=np.uint64)  # band keys of merged rows, sorted
        self._key_rows = np.empty(0, dtype=np.int32)
        self._merged = 0  # rows [0, _merged) are in _keys
        self._pending: dict[int, list[int]] = {}  # band key -> rows, for rows [_merged, _n)

    @property
    def scheme(self) -> str:
        """Everything that shapes the signature bytes; a store keeps signatures under this name."""
        return (
            f"minhash-{DEDUP_VERSION}:words+bigrams:answer{ANSWER_SHARE}"
            f":perm{self.num_perm}:seed{self.seed}"
        )

    # -- signatures ---------------------------------------------------------------------------

    def signature(self, question: str, answer: str) -> bytes:
        """The pair's MinHash signature: `num_perm` little-endian uint32, 4 * num_perm bytes."""
        return self.signatures([(question, answer)])[0]

    def signatures(self, pairs: Iterable[tuple[str, str]]) -> list[bytes]:
        """`signature` of many (question, answer) pairs, computed in one numpy pass per block."""
        pairs = list(pairs)
        cache: dict[str, bytes] = {}
        out: list[bytes] = []
        for start in range(0, len(pairs), PAIR_BLOCK):
            block = pairs[start : start + PAIR_BLOCK]
            if self._permutations is None:
                self._permutations = (_Permutations(self._nq, self.seed), _Permutations(self.num_perm - self._nq, self.seed + 1))
            question_perms, answer_perms = self._permutations
            q = question_perms.minhash(*_text_shingle_hashes([question for question, _ in block], cache))
            a = answer_perms.minhash(*_text_shingle_hashes([answer for _, answer in block], cache))
            rows = np.ascontiguousarray(np.hstack([q, a]), dtype="<u4")
            out.extend(row.tobytes() for row in rows)
            if len(cache) > WORD_CACHE:
                cache.clear()
        return out

    def similarity(self, first: bytes, second: bytes) -> float:
        """The estimated similarity of two signatures: the share of equal slots."""
        return float(np.count_nonzero(self._parse(first) == self._parse(second))) / self.num_perm

    def _parse(self, signature: bytes) -> np.ndarray:
        if len(signature) != 4 * self.num_perm:
            raise ValueError(
                f"a signature of {len(signature)} bytes does not fit this Deduper ({4 * self.num_perm} bytes, "
                f"num_perm = {self.num_perm}); recompute it with Deduper.signature"
            )
        return np.frombuffer(signature, dtype="<u4")

    # -- the index ----------------------------------------------------------------------------

    def _band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """(rows, bands) uint64: each band of the question slots as one number, a sum of its slots
        times random odd multipliers that differ between bands. Equal bands give equal keys; unequal
        ones collide with p ~ 2^-64, and a collision only makes a candidate that is then verified."""
        used = self.bands * self.band_rows
        values = sigs[:, :used].astype(np.uint64).reshape(len(sigs), self.bands, self.band_rows)
        values *= self._band_mult
        return values.sum(axis=2, dtype=np.uint64)

    def match(self, signature: bytes) -> tuple[str, float] | None:
        """The indexed pair most similar to this signature at or above the threshold, and its
        similarity; ties go to the older pair. Inserts nothing."""
        sig = self._parse(signature)
        return self._match(sig, self._band_keys(sig[None, :])[0])

    def _match(self, sig: np.ndarray, keys: np.ndarray) -> tuple[str, float] | None:
        candidates = self._candidates(keys)
        if candidates.size == 0:
            return None
        equal = np.count_nonzero(self._sigs[candidates] == sig, axis=1)
        best = int(np.argmax(equal))  # candidates are sorted by row: the first maximum is the oldest
        if equal[best] < self._need:
            return None
        return self._ids[candidates[best]], float(equal[best]) / self.num_perm

    def _candidates(self, keys: np.ndarray) -> np.ndarray:
        """Live rows that share at least one band key, sorted."""
        found: list[np.ndarray] = []
        if self._keys.size:
            lo = self._keys.searchsorted(keys)
            hit = np.flatnonzero(self._keys[np.minimum(lo, self._keys.size - 1)] == keys)
            if hit.size:
                hi = self._keys.searchsorted(keys[hit], side="right")
                found.extend(self._key_rows[lo[i] : end] for i, end in zip(hit.tolist(), hi.tolist()))
        if self._pending:
            rows = [row for key in keys.tolist() if key in self._pending for row in self._pending[key]]
            if rows:
                found.append(np.asarray(rows, dtype=np.int32))
        if not found:
            return np.empty(0, dtype=np.int32)
        rows = np.unique(np.concatenate(found))
        return rows[self._alive[rows]]

    def add(self, pair_id: str, signature: bytes) -> str | None:
        """The pair_id of the older pair this one duplicates; or None, and this pair is indexed."""
        if pair_id in self._rows:
            raise ValueError(f"pair {pair_id!r} is already indexed; remove it first to replace it")
        sig = self._parse(signature)
        keys = self._band_keys(sig[None, :])[0]
        found = self._match(sig, keys)
        if found is not None:
            return found[0]
        row = self._append(sig[None, :], [pair_id])
        for key in keys.tolist():
            self._pending.setdefault(key, []).append(row)
        if self._n - self._merged >= MERGE_EVERY:
            self._merge()
        return None

    def _append(self, sigs: np.ndarray, ids: list[str]) -> int:
        """Store rows at the end of the signature matrix; returns the first new row."""
        first, need = self._n, self._n + len(sigs)
        if need > len(self._sigs):
            capacity = max(need, 2 * len(self._sigs))
            grown = np.empty((capacity, self.num_perm), dtype=np.uint32)
            grown[: self._n] = self._sigs[: self._n]
            self._sigs = grown
            alive = np.zeros(capacity, dtype=bool)
            alive[: self._n] = self._alive[: self._n]
            self._alive = alive
        self._sigs[first:need] = sigs
        self._alive[first:need] = True
        self._ids.extend(ids)
        for offset, pair_id in enumerate(ids):
            self._rows[pair_id] = first + offset
        self._n = need
        return first

    def _merge(self) -> None:
        """Move the band keys of rows [_merged, _n) from the pending dict into the sorted arrays."""
        if self._n == self._merged:
            return
        keys = self._band_keys(self._sigs[self._merged : self._n])
        rows = np.repeat(np.arange(self._merged, self._n, dtype=np.int32), self.bands)
        keys = keys.ravel()
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        at = np.searchsorted(self._keys, keys, side="right")
        self._keys = np.insert(self._keys, at, keys)
        self._key_rows = np.insert(self._key_rows, at, rows)
        self._merged = self._n
        self._pending.clear()

    def load(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Index earlier runs' (pair_id, signature) without checking them against each other;
        returns how many were loaded."""
        loaded = 0
        for block in _blocks(items, 65536):
            ids = [pair_id for pair_id, _ in block]
            seen: set[str] = set()
            for pair_id in ids:
                if pair_id in self._rows or pair_id in seen:
                    raise ValueError(f"pair {pair_id!r} is loaded twice; each pair_id may be indexed once")
                seen.add(pair_id)
            for _, signature in block:
                if len(signature) != 4 * self.num_perm:
                    self._parse(signature)  # raises with the reason
            sigs = np.frombuffer(b"".join(sig for _, sig in block), dtype="<u4").reshape(len(block), self.num_perm)
            self._merge()
            self._append(sigs, ids)
            self._merge()
            loaded += len(block)
        return loaded

    def remove(self, pair_id: str) -> bool:
        """Take a retired pair out of the index; False when it was not indexed."""
        row = self._rows.pop(pair_id, None)
        if row is None:
            return False
        self._alive[row] = False
        self._ids[row] = None
        if self._n >= 2 * MERGE_EVERY and len(self._rows) < self._n // 2:
            self._compact()
        return True

    def _compact(self) -> None:
        """Rebuild the index from the live rows once removed rows are the majority."""
        live = np.flatnonzero(self._alive[: self._n])
        sigs = self._sigs[live].copy()
        ids = [self._ids[row] for row in live.tolist()]
        logger.debug("compacting the dedup index: %d live of %d rows", len(live), self._n)
        self._clear()
        self._append(sigs, ids)  # type: ignore[arg-type]
        self._merge()

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, pair_id: object) -> bool:
        return pair_id in self._rows


def _blocks(items: Iterable, size: int) -> Iterator[list]:
    block: list = []
    for item in items:
        block.append(item)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block
