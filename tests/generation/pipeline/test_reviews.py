"""A person's review decisions and the runs after them (generation/pipeline/reviews.py): a rejected pair is
never published again, an edited one is published as edited and re-checked, an accepted one survives a
stricter checker, a changed source makes a new unreviewed pair, regrade never overrides a person."""

import json
import sqlite3

import pytest

from generation.config import load_corpus
from generation.pipeline.reviews import last_signatures, review_counts
from generation.pipeline.run import Run
from generation.pipeline.status import corpus_status
from generation.pipeline.store import SCHEMA_VERSION, Store, now_iso
from generation.records import Decision
from generation.review import ReviewError
from generation.review.transfer import export_corpus, import_corpus
from tests.support.corpora import fake, lines, run, write_corpus


@pytest.fixture
def corpus_dir(tmp_path):
    return write_corpus(tmp_path / "kb", '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca"]\n')


def store_of(root) -> Store:
    return Store(root / ".groundqa" / "state.sqlite")


def decide(root, pair_id: str, decision: str, **kw) -> Decision:
    made = Decision(pair_id=pair_id, decision=decision, who="ada", at=kw.pop("at", now_iso()), **kw)
    store = store_of(root)
    store.save_review(made)
    store.close()
    return made


def published(root) -> dict[str, dict]:
    """Question word (Alder, Birch, Cedar) -> the published pair."""
    return {word: p for p in lines(root / "out" / "pairs.jsonl") for word in ("Alder", "Birch", "Cedar") if word in p["source_id"].title() or word in p["question"]}


def rejected(root) -> list[dict]:
    return lines(root / "out" / "rejected.jsonl")


def ids(root) -> dict[str, str]:
    return {word: p["pair_id"] for word, p in published(root).items()}


def test_the_store_migrates_to_the_reviews_table_and_keeps_decisions(tmp_path):
    path = tmp_path / "state.sqlite"
    store = Store(path)
    store.db.execute("DROP TABLE reviews")
    for column in ("mtime_ns", "inode"):  # version 5's
        store.db.execute(f"ALTER TABLE sources DROP COLUMN {column}")
    store.db.execute("UPDATE meta SET value='3' WHERE key='schema_version'")  # a store from before reviews
    store.close()
    store = Store(path)
    assert store.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION) == "6"
    made = Decision(pair_id="p1", decision="reject", reason="wrong year", who="ada", at="2025-01-01T00:00:00Z")
    store.save_review(made)
    assert store.reviews() == {"p1": made} and store.review("p1") == made
    with pytest.raises(sqlite3.IntegrityError):  # the table itself refuses an unknown decision
        store.db.execute("INSERT INTO reviews (pair_id, decision, who, at) VALUES ('p2', 'maybe', 'ada', 'now')")
    assert store.delete_review("p1") and store.reviews() == {}
    store.close()


def test_an_edit_needs_its_text():
    with pytest.raises(ValueError, match="an edit needs the edited question and answer"):
        Decision(pair_id="p", decision="edit", question="Why?", answer=" ", who="ada", at=now_iso())


def test_a_rejected_pair_is_never_published_again(corpus_dir):
    run(corpus_dir)
    alder = ids(corpus_dir)["Alder"]
    decide(corpus_dir, alder, "reject", reason="too  easy")
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert teacher.history == []  # a decision costs no teacher call
    assert "Alder" not in published(corpus_dir) and outcome.manifest["pairs"]["published"] == 2
    line = next(r for r in rejected(corpus_dir) if r["pair_id"] == alder)
    assert line["reasons"] == ["reviewer_rejected: too easy"] and line["review"] == "reject" and line["reviewed_by"] == "ada"
    assert outcome.manifest["rejections"] == {"reviewer_rejected": 1}
    assert "rejected by a person: 1" in (corpus_dir / "out" / "report.md").read_text()
    assert all("Alder" not in r["instruction"] for r in lines(corpus_dir / "out" / "alpaca.jsonl"))
    again = run(corpus_dir)  # and every run after
    assert again.manifest["pairs"]["published"] == 2 and "Alder" not in published(corpus_dir)


def test_an_edited_pair_is_published_as_edited_after_the_checker_passes_it(corpus_dir):
    run(corpus_dir)
    cedar = ids(corpus_dir)["Cedar"]
    decide(corpus_dir, cedar, "edit", question="In which year was Cedar Bridge opened?", answer="Cedar Bridge was opened in 1902.")
    outcome = run(corpus_dir)
    pair = published(corpus_dir)["Cedar"]
    assert pair["question"] == "In which year was Cedar Bridge opened?" and pair["review"] == "edit" and pair["checker_reasons"] == []
    assert pair["reviewed_by"] == "ada" and pair["reviewed_at"]
    assert any(r["instruction"] == "In which year was Cedar Bridge opened?" for r in lines(corpus_dir / "out" / "alpaca.jsonl"))
    store = store_of(corpus_dir)
    sig, verdict = store.review_verdicts()[cedar]
    assert sig == outcome.manifest["signatures"]["grounding"] and json.loads(verdict)["grounded"] is True  # checked once, kept
    store.close()
    assert "edited: 1, of which 0 kept though the checker rejects" in (corpus_dir / "out" / "report.md").read_text()


def test_an_edit_the_checker_rejects_is_published_only_when_the_person_keeps_it(corpus_dir):
    run(corpus_dir)
    birch = ids(corpus_dir)["Birch"]
    wrong = {"question": "When was Birch Hall built?", "answer": "Birch Hall was built in 1999."}
    decide(corpus_dir, birch, "edit", **wrong)
    run(corpus_dir)
    assert "Birch" not in published(corpus_dir)
    line = next(r for r in rejected(corpus_dir) if r["pair_id"] == birch)
    assert line["answer"] == wrong["answer"] and line["review"] == "edit" and "novel_number:1999" in line["reasons"]
    decide(corpus_dir, birch, "edit", keep=True, **wrong)
    run(corpus_dir)
    pair = published(corpus_dir)["Birch"]
    assert pair["answer"] == wrong["answer"] and "novel_number:1999" in pair["checker_reasons"]
    assert "edited: 1, of which 1 kept though the checker rejects" in (corpus_dir / "out" / "report.md").read_text()


def stricter_support_check(monkeypatch):
    """A later version of the support check that rejects every pair about Birch Hall."""
    from generation.grounding.checks.support import SupportCheck

    real = SupportCheck.run

    def stricter(self, pair):
        found = real(self, pair)
        if "Birch" in pair.question:
            found.reasons.append("low_support")
        return found

    monkeypatch.setattr(SupportCheck, "VERSION", SupportCheck.VERSION + 100)
    monkeypatch.setattr(SupportCheck, "run", stricter)


def test_an_accepted_pair_stays_published_when_a_later_checker_rejects_it(corpus_dir, monkeypatch):
    run(corpus_dir)
    birch = ids(corpus_dir)["Birch"]
    decide(corpus_dir, birch, "accept")
    stricter_support_check(monkeypatch)
    outcome = run(corpus_dir)
    pair = published(corpus_dir)["Birch"]
    assert pair["review"] == "accept" and pair["checker_reasons"] == ["low_support"]
    assert "accepted: 1, of which 1 the checker rejects" in (corpus_dir / "out" / "report.md").read_text()
    store = store_of(corpus_dir)  # the store keeps the checker's own verdict: the person's is laid over it
    assert store.verdicts(outcome.manifest["signatures"]["grounding"])[birch][0] is False
    store.close()
    decide(corpus_dir, birch, "accept")
    store = store_of(corpus_dir)
    store.delete_review(birch)  # undone: the checker decides again
    store.close()
    run(corpus_dir)
    assert "Birch" not in published(corpus_dir)


def test_regrade_never_overrides_a_person(corpus_dir, monkeypatch):
    run(corpus_dir)
    pairs = ids(corpus_dir)
    decide(corpus_dir, pairs["Alder"], "reject")
    decide(corpus_dir, pairs["Birch"], "accept")
    stricter_support_check(monkeypatch)
    with (corpus_dir / "corpus.toml").open("a") as f:
        f.write('[grounding]\nchecks = ["quote", "support", "novelty", "form"]\n')
    outcome = Run(load_corpus(corpus_dir), teacher=fake()).regrade()
    assert outcome.exit_code == 0
    assert set(published(corpus_dir)) == {"Birch", "Cedar"}
    assert published(corpus_dir)["Birch"]["checker_reasons"] == ["low_support"]


def test_a_changed_source_gets_a_new_unreviewed_pair_and_the_old_one_keeps_its_decision(corpus_dir):
    run(corpus_dir)
    old = ids(corpus_dir)["Birch"]
    decide(corpus_dir, old, "reject", reason="wrong")
    run(corpus_dir)
    assert "Birch" not in published(corpus_dir)
    (corpus_dir / "birch.txt").write_text("Birch Hall\n\nBirch Hall was built in 1765. Its gardens have a maze.")
    run(corpus_dir)
    new = published(corpus_dir)["Birch"]
    assert new["pair_id"] != old and new["review"] is None and new["answer"] == "Birch Hall was built in 1765."
    store = store_of(corpus_dir)
    assert store.review(old).reason == "wrong"  # kept with the retired pair
    counts = review_counts(store)
    store.close()
    assert counts["on_retired_pairs"] == 1 and counts["rejected"] == 0 and counts["published_unreviewed"] == 3


def test_an_accepted_pair_is_published_even_when_it_repeats_another(corpus_dir):
    (corpus_dir / "copy.md").write_text("# Copy\n\nThe Alder Mill was founded in 1821.")
    run(corpus_dir)
    duplicate = next(r for r in rejected(corpus_dir) if r["reasons"] == ["duplicate"])
    decide(corpus_dir, duplicate["pair_id"], "accept")
    outcome = run(corpus_dir)
    assert outcome.manifest["pairs"]["published"] == 4 and outcome.manifest["pairs"]["duplicates"] == 0


def test_status_counts_reviewed_and_unreviewed_pairs(corpus_dir):
    run(corpus_dir)
    pairs = ids(corpus_dir)
    decide(corpus_dir, pairs["Alder"], "accept")
    decide(corpus_dir, pairs["Birch"], "reject")
    before = corpus_status(load_corpus(corpus_dir, check_model=False))["reviews"]
    assert before == {"published_reviewed": 2, "published_unreviewed": 1, "accepted": 1, "edited": 0, "rejected": 1,
                      "on_retired_pairs": 0, "since_last_run": 2}
    run(corpus_dir)
    after = corpus_status(load_corpus(corpus_dir, check_model=False))["reviews"]
    assert after["published_reviewed"] == 1 and after["published_unreviewed"] == 1 and after["since_last_run"] == 0


def test_decisions_move_to_another_machine_through_a_file(corpus_dir, tmp_path):
    run(corpus_dir)
    pairs = ids(corpus_dir)
    decide(corpus_dir, pairs["Alder"], "reject", reason="vague")
    decide(corpus_dir, pairs["Cedar"], "edit", question="In which year was Cedar Bridge opened?", answer="Cedar Bridge was opened in 1902.")
    exported = tmp_path / "decisions.jsonl"
    assert export_corpus(load_corpus(corpus_dir, check_model=False), exported) == 2
    assert {json.loads(x)["decision"] for x in exported.read_text().splitlines()} == {"reject", "edit"}

    other = write_corpus(tmp_path / "elsewhere", (corpus_dir / "corpus.toml").read_text())  # the same documents
    run(other)
    result = import_corpus(load_corpus(other, check_model=False), exported)
    assert (result.imported, result.kept, result.unknown) == (2, 0, 0)
    run(other)
    assert set(published(other)) == {"Birch", "Cedar"}
    assert published(other)["Cedar"]["question"] == "In which year was Cedar Bridge opened?"

    # the newer decision wins: one made here after the file's is kept
    decide(other, pairs["Alder"], "accept", at="2999-01-01T00:00:00Z")
    again = import_corpus(load_corpus(other, check_model=False), exported)
    assert (again.imported, again.kept) == (1, 1)
    store = store_of(other)
    assert store.review(pairs["Alder"]).decision == "accept"
    store.close()


def test_a_bad_decisions_file_is_named_by_line_and_nothing_is_imported(corpus_dir, tmp_path):
    run(corpus_dir)
    bad = tmp_path / "bad.jsonl"
    good = Decision(pair_id=ids(corpus_dir)["Alder"], decision="reject", who="ada", at=now_iso()).model_dump_json()
    bad.write_text(good + "\n" + '{"pair_id": "x", "decision": "maybe", "who": "ada", "at": "now"}\n')
    with pytest.raises(ReviewError, match=r"bad.jsonl, line 2: not a decision \(decision: .*nothing was imported"):
        import_corpus(load_corpus(corpus_dir, check_model=False), bad)
    store = store_of(corpus_dir)
    assert store.reviews() == {}
    assert last_signatures(store) is not None
    store.close()
