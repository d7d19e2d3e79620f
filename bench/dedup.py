"""Dedup at scale: 100,000 new pairs against a store that already holds 100,000.

    python bench/dedup.py [--stored 100000] [--new 100000] [--calibrate]

Builds synthetic pairs (random words, so that fresh pairs are far apart), computes every signature,
loads the stored ones as an earlier night's, then adds the new ones, among which are exact repeats
(case and punctuation changed), near repeats of stored pairs (a word put in front of the question
or its last word dropped) and near repeats of new pairs added earlier in the same run. Prints the
time of each step, pairs/s, peak RSS and the duplicates found per kind. Targets on 2 cores: the
whole run under 60 s, peak RSS under 1 GiB.

--calibrate also prints how often the labelled question shapes of generation/dedup.py's
calibration are found to be duplicates, over made-up entity names and MinHash seeds.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.dedup import Deduper  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_RSS_MIB = 1024.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(size)]


def fresh_pair(rng: random.Random, words: list[str]) -> tuple[str, str]:
    question = " ".join(rng.choice(words) for _ in range(rng.randint(8, 16)))
    answer = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
    return question.capitalize() + "?", answer.capitalize() + "."


def exact_repeat(pair: tuple[str, str]) -> tuple[str, str]:
    question, answer = pair
    return question.upper().rstrip("?") + " ?!", answer.lower().rstrip(".")


def near_repeat(rng: random.Random, pair: tuple[str, str]) -> tuple[str, str]:
    question, answer = pair
    if rng.random() < 0.5:
        return "In " + question[0].lower() + question[1:], answer
    return question.rstrip("?").rsplit(" ", 1)[0] + "?", answer


def build(n_stored: int, n_new: int, seed: int = 0):
    """Stored pairs, then new pairs with their kind: fresh, exact-stored, near-stored, near-new."""
    rng = random.Random(seed)
    words = make_vocabulary(rng, 20000)
    stored = [fresh_pair(rng, words) for _ in range(n_stored)]
    new: list[tuple[str, str]] = []
    kinds: list[str] = []
    for i in range(n_new):
        roll = rng.random()
        if roll < 0.04:
            new.append(exact_repeat(rng.choice(stored)))
            kinds.append("exact-stored")
        elif roll < 0.08:
            new.append(near_repeat(rng, rng.choice(stored)))
            kinds.append("near-stored")
        elif roll < 0.10 and i > 0:
            origin = rng.randrange(len(new))
            while kinds[origin] != "fresh" and origin > 0:
                origin -= 1
            new.append(near_repeat(rng, new[origin]))
            kinds.append("near-new")
        else:
            new.append(fresh_pair(rng, words))
            kinds.append("fresh")
    return stored, new, kinds


def run(n_stored: int, n_new: int) -> bool:
    stored, new, kinds = build(n_stored, n_new)
    print(f"pairs: {n_stored:,} stored, {n_new:,} new; peak RSS after building the texts {peak_rss_mib():.0f} MiB")

    deduper = Deduper()
    print(f"deduper: threshold {deduper.threshold}, num_perm {deduper.num_perm}, "
          f"{deduper.bands} bands x {deduper.band_rows} rows")
    t0 = time.perf_counter()
    stored_sigs = deduper.signatures(stored)
    new_sigs = deduper.signatures(new)
    t_sig = time.perf_counter() - t0
    print(f"signatures: {t_sig:6.2f} s  ({(n_stored + n_new) / t_sig:,.0f} pairs/s)")

    t0 = time.perf_counter()
    deduper.load((f"s{i}", sig) for i, sig in enumerate(stored_sigs))
    t_load = time.perf_counter() - t0
    print(f"load:       {t_load:6.2f} s  ({n_stored / t_load:,.0f} pairs/s)")

    t0 = time.perf_counter()
    found: dict[str, int] = {kind: 0 for kind in dict.fromkeys(kinds)}
    for i, (sig, kind) in enumerate(zip(new_sigs, kinds)):
        if deduper.add(f"n{i}", sig) is not None:
            found[kind] += 1
    t_add = time.perf_counter() - t0
    print(f"add:        {t_add:6.2f} s  ({n_new / t_add:,.0f} pairs/s)")

    total = t_sig + t_load + t_add
    rss = peak_rss_mib()
    print(f"total:      {total:6.2f} s  (target < {TARGET_SECONDS:.0f} s); peak RSS {rss:.0f} MiB "
          f"(target < {TARGET_RSS_MIB:.0f} MiB); indexed {len(deduper):,}")
    for kind, count in found.items():
        injected = kinds.count(kind)
        label = "false duplicates" if kind == "fresh" else "found"
        print(f"  {kind:13} {injected:7,} injected, {count:7,} {label}")
    return total < TARGET_SECONDS and rss < TARGET_RSS_MIB


def calibrate(seeds: int = 100, names_per_seed: int = 20) -> None:
    """How often each labelled shape is found, over made-up entity names and over MinHash seeds:
    names alone are not independent trials, because the shingles the names share ("what year
    was", "founded") fall on the same slots under one seed."""
    from generation.dedup import ANSWER_SHARE, shingles

    rng = random.Random(7)
    syllables = ["ac", "me", "lo", "ra", "vin", "tor", "bel", "ka", "zu", "dor", "fen", "gra", "hol", "is",
                 "jun", "mar", "nex", "or", "pel", "quin", "sta", "tri", "ul", "vex"]

    def name() -> str:
        word = lambda: "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()  # noqa: E731
        return " ".join(word() for _ in range(rng.randint(1, 3)))

    def exact(q1: str, a1: str, q2: str, a2: str) -> float:
        def jaccard(x: list[str], y: list[str]) -> float:
            u = set(x) | set(y)
            return len(set(x) & set(y)) / len(u) if u else 1.0

        question, answer = jaccard(shingles(q1), shingles(q2)), jaccard(shingles(a1), shingles(a2))
        return (1 - ANSWER_SHARE) * question + ANSWER_SHARE * answer

    cases = {
        "dup:  'What year was X founded?' / 'In what year ...', same answer": lambda x, y: (
            f"What year was {x} founded?", y, f"In what year was {x} founded?", y),
        "dup:  same question, answers 'Y' / 'In Y.'": lambda x, y: (
            f"What year was {x} founded?", y, f"What year was {x} founded?", f"In {y}."),
        "near: 'In what year', answers 'X was founded in Y.' / 'It was founded in Y.'": lambda x, y: (
            f"What year was {x} founded?", f"{x} was founded in {y}.",
            f"In what year was {x} founded?", f"It was founded in {y}."),
        "not:  'What year was X founded?' / '... acquired?'": lambda x, y: (
            f"What year was {x} founded?", y, f"What year was {x} acquired?", str(int(y) + 7)),
        "not:  'Who is the CEO of X?' / '... CFO ...'": lambda x, y: (
            f"Who is the CEO of {x}?", "Jane Doe", f"Who is the CFO of {x}?", "John Smith"),
        "not:  '... revenue of X in the fiscal year 2019?' / '2020?'": lambda x, y: (
            f"What was the total revenue of {x} in the fiscal year 2019?", "$5 million",
            f"What was the total revenue of {x} in the fiscal year 2020?", "$7 million"),
    }
    names = [(name(), str(rng.randint(1900, 2020))) for _ in range(seeds * names_per_seed)]
    print(f"calibration: {seeds} seeds x {names_per_seed} entity names per case, threshold 0.8")
    for label, make in cases.items():
        sims = [exact(*make(x, y)) for x, y in names]
        print(f"  {label:78} exact {min(sims):.2f}-{max(sims):.2f}")
    for num_perm in (64, 128, 256):
        print(f"num_perm {num_perm}:")
        hits = {label: 0 for label in cases}
        for seed in range(seeds):
            deduper = Deduper(num_perm=num_perm, seed=1000 + seed)
            for x, y in names[seed * names_per_seed : (seed + 1) * names_per_seed]:
                for label, make in cases.items():
                    q1, a1, q2, a2 = make(x, y)
                    pair = deduper.signatures([(q1, a1), (q2, a2)])
                    hits[label] += deduper.similarity(*pair) >= deduper.threshold
        for label, count in hits.items():
            print(f"  {label:78} found {count / len(names):6.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100_000)
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
    return 0 if run(args.stored, args.new) else 1


if __name__ == "__main__":
    sys.exit(main())
