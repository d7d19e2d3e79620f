"""Near-duplicate removal: what counts as a duplicate, who wins, and the signatures that persist."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from generation import dedup
from generation.dedup import Deduper, band_params, normalize, shingle_hash, shingles

ROOT = Path(__file__).resolve().parents[2]

# Labelled cases of the module docstring's calibration: (question, answer, question, answer).
DUPLICATES = [
    ("What year was Acme Corporation founded?", "1998", "In what year was Acme Corporation founded?", "1998"),
    ("What year was Acme founded?", "1998", "In what year was Acme founded?", "1998"),
    ("What is the boiling point of water at sea level?", "100 degrees Celsius",
     "What is the boiling point of water at sea level, in Celsius?", "100 degrees Celsius."),
    ("What is the refund window?", "30 days.", "what is the refund window", "30 days"),
    ("Who wrote the employee handbook?", "The HR department",
     "Who wrote the employee handbook ?", "The HR department."),
    # the embedded teacher, twice of one sentence (bench/realdocs3): an article is no other question
    ("When was Pitcairn Island discovered?", "Pitcairn Island was discovered in 1767 by the British.",
     "When was the Pitcairn Island discovered?", "Pitcairn Island was discovered in 1767 by the British."),
]
DISTINCT = [
    ("What year was Acme Corporation founded?", "1998", "Where was Acme Corporation founded?", "Lyon"),
    ("What year was Acme Corporation founded?", "1998", "What year was Acme Corporation acquired?", "2011"),
    ("Who is the CEO of Acme Corporation?", "Jane Doe", "Who is the CFO of Acme Corporation?", "John Smith"),
    ("What was the total revenue of Acme Corporation in the fiscal year 2019?", "$5 million",
     "What was the total revenue of Acme Corporation in the fiscal year 2020?", "$7 million"),
    ("How many vacation days do full-time employees receive each year?", "25 days",
     "How many vacation days do part-time employees receive each year?", "12 days"),
    ("What is the capital of France?", "Paris", "What is the capital of Germany?", "Berlin"),
    ("How long is the warranty on the Model X vacuum cleaner sold in the European Union?", "Two years",
     "How long is the warranty on the Model X vacuum cleaner sold in the United States?", "One year"),
    ("What is the maximum number of vacation days an employee in the Paris office can carry over to the next year?",
     "5 days",
     "What is the maximum number of vacation days an employee in the Lyon office can carry over to the next year?",
     "10 days"),
]


@pytest.fixture(scope="module")
def deduper_template() -> Deduper:
    return Deduper()


def exact_similarity(q1: str, a1: str, q2: str, a2: str) -> float:
    def jaccard(x: set, y: set) -> float:
        return len(x & y) / len(x | y) if x | y else 1.0

    question = jaccard(set(shingles(q1)), set(shingles(q2)))
    answer = jaccard(set(shingles(a1)), set(shingles(a2)))
    return (1 - dedup.ANSWER_SHARE) * question + dedup.ANSWER_SHARE * answer


def test_normalize_lowercases_drops_punctuation_and_collapses_whitespace():
    assert normalize("  What YEAR was\tAcme's  ﬁrm founded?!  ") == "what year was acme s firm founded"
    assert normalize("full-time, part_time") == "full time part time"
    assert normalize("?!") == ""
    assert normalize("When was the Island discovered by a sailor?") == "when was island discovered by sailor"


def test_shingles_are_words_and_bigrams():
    assert shingles("What year, what year?") == ["what", "year", "what year", "year what"]
    assert shingles("") == []


def test_signature_is_compact_bytes_and_deterministic(deduper_template):
    sig = deduper_template.signature("What year was Acme founded?", "1998")
    assert isinstance(sig, bytes) and len(sig) == 4 * deduper_template.num_perm
    assert sig == Deduper().signature("What year was Acme founded?", "1998")


@pytest.mark.parametrize(
    "question, answer",
    [("What year was Acme founded?", "1998"), ("", "only an answer"), ("One", ""),
     ("Été à Zürich — 20 °C?", "Oui.")],
)
def test_signature_is_datasketch_minhash_of_question_then_answer(deduper_template, question, answer):
    nq = deduper_template.num_perm - round(deduper_template.num_perm * dedup.ANSWER_SHARE)
    q = MinHash(num_perm=nq, seed=dedup.SEED, hashfunc=shingle_hash, scheme="affine32")
    q.update_batch(shingles(question))
    na = deduper_template.num_perm - nq
    a = MinHash(num_perm=na, seed=dedup.SEED + 1, hashfunc=shingle_hash, scheme="affine32")
    a.update_batch(shingles(answer))
    expected = np.concatenate([q.hashvalues, a.hashvalues]).astype("<u4").tobytes()
    assert deduper_template.signature(question, answer) == expected


def test_batch_signatures_equal_single_ones(deduper_template, monkeypatch):
    monkeypatch.setattr(dedup, "PAIR_BLOCK", 3)  # blocks that split the list
    pairs = [("What year was Acme founded?", "1998"), ("", ""), ("x", "y z"), ("Who is the CEO?", "Jane"),
             ("a b c d e f g", "h"), ("", "answer"), ("question", "")]
    assert deduper_template.signatures(pairs) == [deduper_template.signature(q, a) for q, a in pairs]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=60), st.text(max_size=30)), max_size=6))
def test_batch_of_any_text_matches_datasketch(deduper_template, pairs):
    deduper = deduper_template
    nq = deduper.num_perm - round(deduper.num_perm * dedup.ANSWER_SHARE)
    expected = []
    for question, answer in pairs:
        q = MinHash(num_perm=nq, seed=dedup.SEED, hashfunc=shingle_hash, scheme="affine32")
        q.update_batch(shingles(question))
        a = MinHash(num_perm=deduper.num_perm - nq, seed=dedup.SEED + 1, hashfunc=shingle_hash, scheme="affine32")
        a.update_batch(shingles(answer))
        expected.append(np.concatenate([q.hashvalues, a.hashvalues]).astype("<u4").tobytes())
    assert deduper.signatures(pairs) == expected


def test_signatures_are_the_same_in_another_process(deduper_template):
    code = (
        "from generation.dedup import Deduper;"
        "print(Deduper().signature('What year was Acme founded?', 'In 1998.').hex())"
    )
    env = {"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == deduper_template.signature("What year was Acme founded?", "In 1998.").hex()


@pytest.mark.parametrize("case", DUPLICATES, ids=[c[2][:40] for c in DUPLICATES])
def test_labelled_near_repeats_are_duplicates(case):
    deduper = Deduper()
    q1, a1, q2, a2 = case
    assert deduper.add("older", deduper.signature(q1, a1)) is None
    assert deduper.add("newer", deduper.signature(q2, a2)) == "older"
    assert len(deduper) == 1


@pytest.mark.parametrize("case", DISTINCT, ids=[c[2][:40] for c in DISTINCT])
def test_different_facts_about_the_same_subject_are_not_duplicates(case):
    deduper = Deduper()
    q1, a1, q2, a2 = case
    assert exact_similarity(*case) < 0.75
    assert deduper.add("first", deduper.signature(q1, a1)) is None
    assert deduper.add("second", deduper.signature(q2, a2)) is None
    assert len(deduper) == 2


@pytest.mark.parametrize(
    "entity", ["Acme", "Globex Corporation", "the Lyon Public Library", "Initech", "Umbrella Corp"]
)
def test_in_what_year_was_x_founded_is_a_duplicate_for_any_x(entity):
    deduper = Deduper()
    deduper.add("older", deduper.signature(f"What year was {entity} founded?", "1998"))
    assert deduper.add("newer", deduper.signature(f"In what year was {entity} founded?", "1998")) == "older"


def test_exact_repeat_has_similarity_one(deduper_template):
    first = deduper_template.signature("What is the refund window?", "30 days.")
    again = deduper_template.signature("WHAT is the refund   window", "30 DAYS")
    assert first == again
    assert deduper_template.similarity(first, again) == 1.0


def test_repeats_across_chunks_and_documents_keep_the_oldest():
    deduper = Deduper()
    question, answer = "How many vacation days do full-time employees receive each year?", "25 days"
    assert deduper.add("doc1-chunk1-0", deduper.signature(question, answer)) is None
    assert deduper.add("doc1-chunk1-1", deduper.signature(question, answer)) == "doc1-chunk1-0"  # same chunk
    assert deduper.add("doc1-chunk7-0", deduper.signature("In " + question.lower(), answer)) == "doc1-chunk1-0"
    assert deduper.add("doc2-chunk3-2", deduper.signature(question.upper(), answer + ".")) == "doc1-chunk1-0"
    assert len(deduper) == 1 and "doc1-chunk7-0" not in deduper


def test_match_prefers_the_most_similar_then_the_oldest():
    deduper = Deduper()
    sig = deduper.signature("What year was Acme founded?", "1998")
    deduper.load([("a", sig), ("b", sig)])  # load does not dedup: two equal stored pairs
    deduper.add("c", deduper.signature("What year was Globex founded?", "1975"))
    assert deduper.match(deduper.signature("In what year was Acme founded?", "1998"))[0] == "a"
    found, similarity = deduper.match(sig)
    assert (found, similarity) == ("a", 1.0)


def test_persisted_signatures_load_into_a_new_deduper():
    night1 = Deduper()
    stored = []
    for i, (q1, a1, q2, a2) in enumerate(DISTINCT):
        for j, (q, a) in enumerate([(q1, a1), (q2, a2)]):
            sig = night1.signature(q, a)
            if night1.add(f"p{i}-{j}", sig) is None:
                stored.append((f"p{i}-{j}", bytes(sig)))

    night2 = Deduper()
    assert night2.load(iter(stored)) == len(stored) == len(night2)
    assert night2.add("new-1", night2.signature("In what year was Acme Corporation founded?", "1998")) == "p0-0"
    assert night2.add("new-2", night2.signature("What is the capital of Spain?", "Madrid")) is None


def test_remove_lets_a_retired_pair_come_back():
    deduper = Deduper()
    sig = deduper.signature("What year was Acme founded?", "1998")
    deduper.add("old", sig)
    assert deduper.add("new", sig) == "old"
    assert deduper.remove("old") is True
    assert deduper.remove("old") is False and deduper.remove("never-seen") is False
    assert len(deduper) == 0 and "old" not in deduper
    assert deduper.add("new", sig) is None
    assert len(deduper) == 1


def test_index_agrees_with_brute_force_through_merges_and_compaction(monkeypatch):
    monkeypatch.setattr(dedup, "MERGE_EVERY", 16)
    rng = random.Random(3)
    words = [f"w{i}" for i in range(400)]

    def fresh() -> tuple[str, str]:
        return " ".join(rng.choices(words, k=rng.randint(6, 14))), " ".join(rng.choices(words, k=rng.randint(1, 5)))

    deduper = Deduper()
    kept: dict[str, bytes] = {}
    originals = [fresh() for _ in range(150)]
    for step in range(400):
        if step % 3 == 0 or not kept:
            question, answer = rng.choice(originals)
            question = rng.choice(["In ", "So ", ""]) + question + rng.choice(["", " please"])
        else:
            question, answer = fresh()
        sig = deduper.signature(question, answer)
        best = max(kept.items(), key=lambda kv: deduper.similarity(sig, kv[1]), default=None)
        expected = best[0] if best and deduper.similarity(sig, best[1]) >= deduper.threshold else None
        got = deduper.add(f"p{step}", sig)
        assert (got is None) == (expected is None), step
        if got is None:
            kept[f"p{step}"] = sig
        else:
            assert deduper.similarity(sig, kept[got]) >= deduper.threshold
        if step % 5 == 4:  # retire some pairs, merged or pending
            victim = sorted(kept)[rng.randrange(len(kept))]
            assert deduper.remove(victim)
            del kept[victim]
    assert len(deduper) == len(kept)
    assert all(pair_id in deduper for pair_id in kept)


def test_removing_most_pairs_compacts_the_index(monkeypatch):
    monkeypatch.setattr(dedup, "MERGE_EVERY", 8)
    deduper = Deduper()
    pairs = [(f"Which river flows through city number {i} of the region?", f"River {i}") for i in range(60)]
    for i, sig in enumerate(deduper.signatures(pairs)):
        assert deduper.add(f"p{i}", sig) is None
    for i in range(0, 60, 4):
        assert deduper.add(f"again{i}", deduper.signature(*pairs[i])) == f"p{i}"
    for i in range(60):
        if i % 3:
            deduper.remove(f"p{i}")
    assert len(deduper) == 20
    assert deduper._n < 60  # removed rows were dropped, not only marked
    for i in range(60):
        expected = f"p{i}" if i % 3 == 0 else None
        assert deduper.match(deduper.signature(*pairs[i])) == (None if expected is None else (expected, 1.0))
    assert deduper.add("p1", deduper.signature(*pairs[1])) is None


def test_load_and_add_refuse_a_pair_id_twice():
    deduper = Deduper()
    sig = deduper.signature("q", "a")
    deduper.load([("a", sig)])
    with pytest.raises(ValueError, match="'a'"):
        deduper.load([("a", sig)])
    with pytest.raises(ValueError, match="'b'"):
        deduper.load([("b", sig), ("b", sig)])
    with pytest.raises(ValueError, match="already indexed"):
        deduper.add("a", deduper.signature("something else entirely", "x"))


def test_signature_of_another_size_is_refused_with_the_reason():
    small = Deduper(num_perm=64)
    with pytest.raises(ValueError, match="num_perm = 128"):
        Deduper().add("x", small.signature("q", "a"))
    with pytest.raises(ValueError, match="recompute"):
        Deduper().load([("x", b"\x00" * 12)])


def test_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="threshold"):
        Deduper(threshold=0)
    with pytest.raises(ValueError, match="threshold"):
        Deduper(threshold=1.5)


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9, 1.0])
def test_bands_find_the_weakest_possible_duplicate(threshold):
    bands, rows = band_params(threshold, dedup.NUM_PERM)
    question_slots = dedup.NUM_PERM - round(dedup.NUM_PERM * dedup.ANSWER_SHARE)
    assert bands * rows <= question_slots
    floor = (threshold - dedup.ANSWER_SHARE) / (1 - dedup.ANSWER_SHARE)
    assert 1 - (1 - floor**rows) ** bands >= dedup.RECALL_FLOOR


def test_higher_threshold_keeps_what_the_default_drops():
    strict = Deduper(threshold=0.95)
    strict.add("older", strict.signature("What year was Acme founded?", "1998"))
    assert strict.add("newer", strict.signature("In what year was Acme founded?", "1998")) is None
    assert strict.scheme == Deduper().scheme != Deduper(num_perm=64).scheme  # the bytes do not depend on it
