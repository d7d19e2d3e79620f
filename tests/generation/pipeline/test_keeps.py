"""The published set never shrinks because of settings, failures or empty files (issue 26): what the
current settings have not covered keeps its pairs; sources that fail, empty themselves or turn into Git
LFS pointers count toward the mass-retirement guard like vanished ones."""

import json

import pytest

from generation.pipeline.run import RetirementRefused
from generation.teachers import FakeTeacher, TeacherError
from tests.support.corpora import answer_from_chunk, fake, lines, run, write_corpus

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"


@pytest.fixture
def kb(tmp_path):
    return write_corpus(tmp_path / "kb", '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca"]\n')


def published(root) -> list[dict]:
    return lines(root / "out" / "pairs.jsonl")


def manifest(root) -> dict:
    return json.loads((root / "out" / "manifest.json").read_text())


def test_a_partial_run_after_the_teacher_changed_keeps_the_pairs_it_has_not_replaced(kb):
    first = run(kb, fake(teacher_id="server:v1"))
    assert first.exit_code == 0 and len(published(kb)) == 3
    outcome = run(kb, fake(teacher_id="server:v2"), limit_chunks=1)
    pairs = published(kb)
    assert len(pairs) == 3 and outcome.exit_code == 0
    assert sorted(p["teacher_id"] for p in pairs) == ["server:v1", "server:v1", "server:v2"]
    assert manifest(kb)["pairs"]["carried"] == 2 and manifest(kb)["pairs"]["retired"] == 1
    run(kb, fake(teacher_id="server:v2"))  # the rest covered: every pair is the new teacher's
    assert {p["teacher_id"] for p in published(kb)} == {"server:v2"} and manifest(kb)["pairs"]["carried"] == 0


def test_a_new_teacher_that_fails_every_call_keeps_the_published_set(kb):
    run(kb, fake(teacher_id="server:v1"))
    before = published(kb)
    down = FakeTeacher(default=TeacherError("HTTP 500: internal error", kind="http_error"), teacher_id="server:v2")
    outcome = run(kb, down)
    assert outcome.exit_code == 3  # published, with failures
    assert published(kb) == before
    assert {f["kind"] for f in manifest(kb)["failures"]} == {"teacher_error"}


def test_an_invalid_reply_under_new_settings_keeps_the_old_pairs_and_reports_the_reply(kb):
    run(kb, fake(teacher_id="server:v1"))
    broken = FakeTeacher(default="this is not JSON", teacher_id="server:v2")
    run(kb, broken)
    assert len(published(kb)) == 3
    rejected = lines(kb / "out" / "rejected.jsonl")
    assert sum(r["reasons"] == ["invalid_reply"] for r in rejected) == 3


def test_a_stricter_checker_still_judges_the_kept_pairs(kb):
    run(kb, fake(teacher_id="server:v1"))
    (kb / "corpus.toml").write_text((kb / "corpus.toml").read_text() + "[grounding]\nsupport_min = 1.0\nquote_min_score = 100.0\n")
    down = FakeTeacher(default=TeacherError("down", kind="unreachable"), teacher_id="server:v2")
    run(kb, down)
    assert len(published(kb)) == 3  # the kept pairs pass the stricter settings too: re-graded, not dropped blindly


@pytest.mark.parametrize("damage", ["empty", "lfs"])
def test_documents_emptied_or_turned_into_lfs_pointers_do_not_empty_the_dataset(kb, damage):
    run(kb)
    before = (kb / "out" / "pairs.jsonl").read_bytes()
    for name in ("alder.md", "birch.txt", "cedar.md"):
        (kb / name).write_bytes(b"" if damage == "empty" else LFS_POINTER)
    with pytest.raises(RetirementRefused) as refused:
        run(kb)
    assert "3 of the 3 sources with published pairs" in str(refused.value)
    assert (kb / "out" / "pairs.jsonl").read_bytes() == before
    kinds = {f["kind"] for f in manifest(kb)["failures"]}
    assert kinds >= {"empty" if damage == "empty" else "lfs_pointer", "mass_retirement"}


def test_one_emptied_document_of_three_is_retired_as_before(kb):
    run(kb)
    (kb / "alder.md").write_bytes(b"")
    outcome = run(kb)
    assert outcome.exit_code == 3 and len(published(kb)) == 2


def test_an_lfs_pointer_is_named_as_such(kb):
    (kb / "big.md").write_bytes(LFS_POINTER)
    run(kb)
    failure = next(f for f in manifest(kb)["failures"] if f["source"] == "big.md")
    assert failure["kind"] == "lfs_pointer" and "git lfs pull" in failure["message"]


def test_allow_retire_confirms_the_emptied_documents(kb):
    run(kb)
    for name in ("alder.md", "birch.txt", "cedar.md"):
        (kb / name).write_bytes(b"")
    run(kb, allow_retire=True)
    assert published(kb) == []


def test_a_web_site_down_past_its_grace_runs_counts_toward_the_guard(tmp_path, site):
    for i in range(3):
        site.pages[f"/p{i}.html"] = (200, {}, f"<html><body><p>The Karsby Mill number {i} was founded in 18{i}5.</p></body></html>".encode())
    urls = "\n".join(site.url(f"/p{i}.html") for i in range(3))
    root = write_corpus(tmp_path / "web", '[sources]\npaths = []\nurls_file = "urls.txt"\nretire_failed_after = 1\n[output]\nformats = ["alpaca"]\n')
    for name in ("alder.md", "birch.txt", "cedar.md"):
        (root / name).unlink()
    (root / "urls.txt").write_text(urls)

    def reply(messages):
        sentence = messages[-1]["content"].split('"""')[1].strip().split("\n")[0]
        number, year = sentence.split("number ")[1].split(" was founded in ")
        return json.dumps({"pairs": [{"question": f"When was Karsby Mill number {number} founded?", "answer": f"In {year.rstrip('.')}.", "quotes": [sentence]}]})

    def teacher():
        return FakeTeacher(default=reply)

    run(root, teacher())
    count = len(published(root))
    assert count == 3
    site.pages.clear()  # the site is down: every page 404
    with pytest.raises(RetirementRefused):
        run(root, teacher())
    assert len(published(root)) == count


def test_carried_pairs_answer_from_the_same_chunk_text(kb):
    """A kept pair is re-anchored in the chunk as it is now: offsets still point at its quote."""
    run(kb, fake(teacher_id="server:v1"))
    (kb / "zz.md").write_text("# Zed\n\nThe Zed Works was opened in 1931.")
    run(kb, FakeTeacher(default=answer_from_chunk, teacher_id="server:v2"), limit_chunks=0)
    for pair in published(kb):
        text = (kb / pair["source_id"]).read_text()
        assert text[pair["char_start"] : pair["char_end"]].rstrip(".") in pair["answer"]
