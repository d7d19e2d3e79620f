"""The whole pipeline with the fake teacher: outputs, manifest, incremental re-runs, resume, locks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generation.config import load_corpus
from generation.pipeline.run import Run, RunError
from generation.pipeline.lock import LockedError, RunLock
from generation.pipeline.store import Store
from generation.teachers import FakeTeacher, TeacherError
from tests.support.corpora import DOCS, MILL_PAGE, answer_from_chunk, fake, lines, run

def test_first_run_publishes_grounded_pairs_in_every_asked_format(corpus_dir):
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    out = corpus_dir / "out"
    pairs = lines(out / "pairs.jsonl")
    assert outcome.exit_code == 0
    assert {p["question"] for p in pairs} == {"When was The Alder Mill founded?", "When was Birch Hall built?", "When was Cedar Bridge opened?"}
    alder = next(p for p in pairs if "Alder" in p["question"])
    assert alder["source_id"] == "alder.md" and alder["quotes"] == ["The Alder Mill was founded in 1821."]
    text = (corpus_dir / "alder.md").read_text()
    assert text[alder["char_start"] : alder["char_end"]].rstrip(".") == "The Alder Mill was founded in 1821"
    assert lines(out / "alpaca.jsonl")[0].keys() == {"instruction", "input", "output"}
    assert (out / "openai.jsonl").is_file() and not (out / "sharegpt.jsonl").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest) == {"run_id", "started_at", "finished_at", "exit_code", "signatures", "sources", "scan", "chunks", "pairs", "rejections", "coverage", "strategy", "strategy_reason", "teacher", "files", "failures", "skipped", "interrupted"}
    assert manifest["sources"] == {"seen": 3, "added": 3, "changed": 0, "unchanged": 0, "removed": 0, "failed": 0}
    assert manifest["pairs"]["published"] == 3 and manifest["teacher"]["calls"] == len(teacher.history) == 3


def test_unchanged_rerun_makes_no_teacher_call_and_publishes_the_same_bytes(corpus_dir):
    run(corpus_dir)
    before = {p.name: p.read_bytes() for p in (corpus_dir / "out").glob("*.jsonl")}
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert teacher.history == []
    assert outcome.manifest["sources"]["unchanged"] == 3 and outcome.manifest["chunks"]["reused"] == 3
    assert {p.name: p.read_bytes() for p in (corpus_dir / "out").glob("*.jsonl")} == before


def test_an_edited_document_regenerates_only_its_chunk_and_retires_its_old_pair(corpus_dir):
    run(corpus_dir)
    (corpus_dir / "birch.txt").write_text("Birch Hall\n\nBirch Hall was built in 1765. Its gardens have a maze.")
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert len(teacher.history) == 1
    assert outcome.manifest["sources"]["changed"] == 1 and outcome.manifest["pairs"]["retired"] == 1
    answers = {p["answer"] for p in lines(corpus_dir / "out" / "pairs.jsonl")}
    assert "Birch Hall was built in 1765." in answers and "Birch Hall was built in 1764." not in answers


def test_a_deleted_document_has_its_pairs_retired(corpus_dir):
    run(corpus_dir)
    (corpus_dir / "cedar.md").unlink()
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert teacher.history == [] and outcome.manifest["sources"]["removed"] == 1
    assert outcome.manifest["pairs"]["retired"] == 1
    assert all("Cedar" not in p["question"] for p in lines(corpus_dir / "out" / "pairs.jsonl"))


def test_identical_chunk_text_is_generated_once(corpus_dir):
    (corpus_dir / "copy-of-alder.md").write_text(DOCS["alder.md"])
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert len(teacher.history) == 3 and outcome.manifest["chunks"]["reused"] == 1
    assert sum("Alder" in p["question"] for p in lines(corpus_dir / "out" / "pairs.jsonl")) == 1


def test_a_changed_grounding_setting_regrades_without_generating(corpus_dir):
    first = run(corpus_dir)
    with (corpus_dir / "corpus.toml").open("a") as f:
        f.write('[grounding]\nchecks = ["form"]\n')  # only the form check: nothing else can reject
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert teacher.history == []
    assert outcome.manifest["signatures"]["grounding"] != first.manifest["signatures"]["grounding"]
    assert outcome.manifest["signatures"]["generation"] == first.manifest["signatures"]["generation"]
    store = Store(corpus_dir / ".groundqa" / "state.sqlite")
    assert len(store.verdicts(outcome.manifest["signatures"]["grounding"])) == 3  # every pair re-graded
    store.close()


def test_a_changed_teacher_regenerates(corpus_dir):
    run(corpus_dir)
    teacher = fake(teacher_id="another-model")
    run(corpus_dir, teacher)
    assert len(teacher.history) == 3


def test_a_run_killed_between_chunks_resumes_and_ends_like_an_uninterrupted_one(tmp_path, corpus_dir):
    calls = {"n": 0}

    def dies_on_second_call(messages):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # stands for kill -9 between chunks
        return answer_from_chunk(messages)

    with pytest.raises(KeyboardInterrupt):
        run(corpus_dir, FakeTeacher(default=dies_on_second_call))
    with RunLock(corpus_dir / ".groundqa" / "run.lock"):
        pass  # the interrupted run let go of the lock
    store = Store(corpus_dir / ".groundqa" / "state.sqlite")
    kept = store.db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
    store.close()
    assert 1 <= kept <= 2  # the chunks finished before the crash were committed
    teacher = fake()
    run(corpus_dir, teacher)
    assert len(teacher.history) == 3 - kept  # only the rest is generated
    resumed = (corpus_dir / "out" / "pairs.jsonl").read_bytes()

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for p in corpus_dir.iterdir():
        if p.is_file():
            (fresh / p.name).write_bytes(p.read_bytes())
    run(fresh)
    assert (fresh / "out" / "pairs.jsonl").read_bytes() == resumed


def test_bad_sources_are_counted_reasons_and_the_run_goes_on(corpus_dir):
    (corpus_dir / "empty.txt").write_bytes(b"")
    (corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    (corpus_dir / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    outcome = run(corpus_dir)
    assert outcome.exit_code == 3
    failures = {f["source"]: f["kind"] for f in outcome.manifest["failures"]}
    assert failures.keys() == {"empty.txt", "broken.pdf", "image.png"}
    assert failures["empty.txt"] == "empty" and failures["image.png"] == "unsupported_type"
    assert outcome.manifest["pairs"]["published"] == 3


def test_invalid_replies_are_rejected_with_their_reason(corpus_dir):
    teacher = FakeTeacher(["not json", "still not json"], default=answer_from_chunk)
    outcome = run(corpus_dir, teacher)
    assert outcome.manifest["rejections"]["invalid_reply"] == 1
    rejected = lines(corpus_dir / "out" / "rejected.jsonl")
    assert any(r["reasons"] == ["invalid_reply"] and r["raw_reply"] == "still not json" for r in rejected)


def test_ungrounded_pairs_go_to_rejected_with_reasons(corpus_dir):
    def lies(messages):
        return json.dumps({"pairs": [{"question": "When was the Alder Mill founded?", "answer": "It was founded in 1889.", "quotes": ["The mill was founded in 1889."]}]})

    outcome = run(corpus_dir, FakeTeacher(default=lies))
    assert outcome.exit_code == 1  # nothing published
    rejected = lines(corpus_dir / "out" / "rejected.jsonl")
    assert rejected and all(r["reasons"] for r in rejected)
    assert (corpus_dir / "out" / "pairs.jsonl").read_text() == ""


def test_a_teacher_that_fails_is_counted_and_the_run_keeps_what_it_made(corpus_dir):
    replies = [answer_from_chunk, TeacherError("connection refused", kind="unreachable"), answer_from_chunk]
    outcome = run(corpus_dir, FakeTeacher(replies))
    assert outcome.exit_code == 3
    assert [f["kind"] for f in outcome.manifest["failures"]] == ["teacher_error"]
    assert outcome.manifest["pairs"]["published"] == 2


def test_context_budget_is_checked_before_the_first_request(corpus_dir):
    teacher = fake(n_ctx=300)
    with pytest.raises(RunError, match="n_ctx = 300.*raise \\[teacher\\] n_ctx"):
        run(corpus_dir, teacher)
    assert teacher.history == []


def test_unwritable_output_fails_before_any_teacher_call(corpus_dir):
    (corpus_dir / "corpus.toml").write_text('[output]\ndir = "/proc/nope"\n')
    teacher = fake()
    with pytest.raises(RunError, match="cannot write to the output folder"):
        run(corpus_dir, teacher)
    assert teacher.history == []


def test_one_run_at_a_time_and_a_killed_runs_lock_is_taken_over(corpus_dir):
    lock_path = corpus_dir / ".groundqa" / "run.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from generation.pipeline.lock import RunLock; RunLock(__import__('pathlib').Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)", str(lock_path)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=f"pid {holder.pid} "):
            run(corpus_dir)
    finally:
        holder.kill()  # kill -9: the lock file stays, naming a dead process
        holder.wait()
    assert str(holder.pid) in lock_path.read_text()
    assert run(corpus_dir).exit_code == 0


def test_limit_chunks_generates_only_that_many(corpus_dir):
    teacher = fake()
    run(corpus_dir, teacher, limit_chunks=1)
    assert len(teacher.history) == 1


def test_web_pages_are_refetched_conditionally_and_kept_while_they_fail(site, tmp_path):
    root = tmp_path / "web"
    root.mkdir()
    url = site.url("/mill.html")
    (root / "corpus.toml").write_text(f'[sources]\nurls = ["{url}"]\nretire_failed_after = 2\n')
    body = MILL_PAGE
    site.pages["/mill.html"] = (200, {"ETag": '"1"', "Content-Type": "text/html"}, body)
    assert run(root).manifest["sources"]["added"] == 1
    teacher = fake()
    second = run(root, teacher)
    assert site.requests[-1]["headers"].get("If-None-Match") == '"1"'
    assert second.manifest["sources"]["unchanged"] == 1 and teacher.history == []
    site.pages["/mill.html"] = (404, {}, b"gone")
    third = run(root)
    assert third.exit_code == 3 and third.manifest["pairs"]["published"] == 1
    assert "stay published" in third.manifest["failures"][0]["message"]
    with pytest.raises(RunError, match="1 failing to read"):  # the corpus's only source: the guard asks to confirm
        run(root)
    fifth = run(root, allow_retire=True)
    assert fifth.manifest["pairs"]["retired"] == 1 and fifth.manifest["pairs"]["published"] == 0


def test_the_report_shows_the_dataset_at_a_glance(corpus_dir):
    (corpus_dir / "copy.md").write_text("# Copy\n\nThe Alder Mill was founded in 1821.")  # a near-duplicate pair
    run(corpus_dir)
    report = (corpus_dir / "out" / "report.md").read_text()
    assert "published pairs: **3**" in report
    assert "| alder.md | 1 | 33% |" in report and "| when | 3 | 100% |" in report
    assert "duplicates removed: 1" in report and "distinct-bigram ratio" in report
    assert "| <= 10 | 3 | 100% |" in report


def test_the_older_pair_wins_a_duplicate_even_when_the_newer_sorts_first(corpus_dir):
    first = run(corpus_dir)
    (corpus_dir / "0-first.md").write_text("# Again\n\nThe Alder Mill was founded in 1821. Paper was its trade.")
    outcome = run(corpus_dir)
    assert outcome.manifest["pairs"]["retired"] == 0 and outcome.manifest["pairs"]["duplicates"] == 1
    rejected = lines(corpus_dir / "out" / "rejected.jsonl")
    assert [r["source_id"] for r in rejected if r["reasons"] == ["duplicate"]] == ["0-first.md"]
    assert rejected[0]["duplicate_of"] in {p["pair_id"] for p in lines(corpus_dir / "out" / "pairs.jsonl")}
    assert first.manifest["pairs"]["published"] == outcome.manifest["pairs"]["published"]


def test_regrade_keeps_the_dataset_in_the_same_order(corpus_dir):
    (corpus_dir / "sub").mkdir()
    (corpus_dir / "sub" / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")
    (corpus_dir / "zeta.md").write_text("# Zeta\n\nZeta Court was opened in 1955.")
    run(corpus_dir)
    before = (corpus_dir / "out" / "pairs.jsonl").read_bytes()
    Run(load_corpus(corpus_dir), teacher=fake()).regrade()
    assert (corpus_dir / "out" / "pairs.jsonl").read_bytes() == before


def test_a_crash_in_the_middle_of_publishing_leaves_whole_files_and_the_next_run_completes(corpus_dir, monkeypatch):
    run(corpus_dir)
    out = corpus_dir / "out"
    before = {p.name: p.read_bytes() for p in out.glob("*.jsonl")}
    (corpus_dir / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")
    import generation.outputs.files as formats

    real_replace = formats.os.replace
    calls = {"n": 0}

    def dies_on_second_file(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # stands for kill -9 between two files
        real_replace(src, dst)

    monkeypatch.setattr(formats.os, "replace", dies_on_second_file)
    with pytest.raises(KeyboardInterrupt):
        run(corpus_dir)
    monkeypatch.setattr(formats.os, "replace", real_replace)
    assert {p.name: p.read_bytes() for p in out.glob("*.jsonl")} == before  # the whole previous set
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert teacher.history == []  # the generated chunk was committed before publishing broke
    assert outcome.manifest["pairs"]["published"] == 4
    alpaca = [p for p in (out / "alpaca.jsonl", out / "alpaca.validation.jsonl") if p.exists()]
    assert sum(len(lines(p)) for p in alpaca) == 4 and not list(out.glob(".*.tmp-*"))


def test_a_changed_chunk_size_rechunks_and_regenerates_the_changed_chunks(corpus_dir):
    long = "\n\n".join(f"The Hall {i} was built in {1800 + i}. It has {i + 2} rooms and a garden." for i in range(40))
    (corpus_dir / "halls.md").write_text(long)
    first = run(corpus_dir)
    (corpus_dir / "corpus.toml").write_text('[chunking]\ntokens = 128\noverlap = 16\n[output]\nformats = ["alpaca", "openai"]\n')
    teacher = fake()
    second = run(corpus_dir, teacher)
    assert second.manifest["signatures"]["chunking"] != first.manifest["signatures"]["chunking"]
    assert second.manifest["chunks"]["total"] < first.manifest["chunks"]["total"]
    assert len(teacher.history) == second.manifest["chunks"]["generated"] > 0
    assert second.manifest["chunks"]["reused"] == 3  # the three short documents' chunks did not change


def test_changed_generation_settings_regenerate(corpus_dir):
    run(corpus_dir)
    with (corpus_dir / "corpus.toml").open("a") as f:
        f.write("[generation]\npairs_per_chunk = 2\n")
    teacher = fake()
    outcome = run(corpus_dir, teacher)
    assert len(teacher.history) == 3 and outcome.manifest["pairs"]["retired"] == 3


def test_with_server_model_set_an_unchanged_rerun_never_asks_the_server(corpus_dir):
    with (corpus_dir / "corpus.toml").open("a") as f:
        f.write('[teacher]\nurls = ["http://127.0.0.1:9"]\nserver_model = "qwen2.5-7b-instruct"\n')
    first = Run(load_corpus(corpus_dir), teacher=fake(teacher_id="server:qwen2.5-7b-instruct")).run()
    assert first.manifest["pairs"]["published"] == 3
    # nothing listens on port 9: a run that needed the server would fail
    again = Run(load_corpus(corpus_dir)).run()
    assert again.exit_code == 0 and again.manifest["teacher"]["calls"] == 0
    assert again.manifest["signatures"]["generation"] == first.manifest["signatures"]["generation"]


def test_regrade_after_a_chunking_change_says_to_run_instead_of_emptying_the_dataset(corpus_dir):
    run(corpus_dir)
    (corpus_dir / "corpus.toml").write_text('[chunking]\ntokens = 128\noverlap = 16\n[output]\nformats = ["alpaca", "openai"]\n')
    with pytest.raises(RunError, match="run 'groundqa run' instead"):
        Run(load_corpus(corpus_dir), teacher=fake()).regrade()
    assert len(lines(corpus_dir / "out" / "pairs.jsonl")) == 3


def test_regrade_does_not_bring_back_the_pairs_of_a_file_that_failed(corpus_dir):
    run(corpus_dir)
    (corpus_dir / "cedar.md").write_bytes(b"")  # now unreadable: its pairs are retired
    assert run(corpus_dir).manifest["pairs"]["retired"] == 1
    outcome = Run(load_corpus(corpus_dir), teacher=fake()).regrade()
    assert outcome.manifest["pairs"]["published"] == 2
    assert all("Cedar" not in p["question"] for p in lines(corpus_dir / "out" / "pairs.jsonl"))


def test_a_dangling_link_and_a_malformed_url_are_counted_and_the_run_goes_on(corpus_dir):
    (corpus_dir / "latest.md").symlink_to(corpus_dir / "deleted.md")
    (corpus_dir / "urls.txt").write_text("http://[::1\n")
    with (corpus_dir / "corpus.toml").open("a") as f:
        f.write('[sources]\nurls_file = "urls.txt"\n')
    outcome = run(corpus_dir)
    failures = {f["source"]: f["kind"] for f in outcome.manifest["failures"]}
    assert failures == {"latest.md": "unreadable", "http://[::1": "bad_url"}
    assert outcome.exit_code == 3 and outcome.manifest["pairs"]["published"] == 3


def test_a_folder_that_did_not_mount_keeps_the_dataset_until_the_removal_is_confirmed(corpus_dir, tmp_path):
    run(corpus_dir)
    out = corpus_dir / "out"
    before = {name: (out / name).read_bytes() for name in ("pairs.jsonl", "alpaca.jsonl", "openai.jsonl")}
    aside = tmp_path / "aside"
    aside.mkdir()
    for name in DOCS:  # the share did not mount: an empty folder
        (corpus_dir / name).rename(aside / name)
    with pytest.raises(RunError, match=r"3 of the 3 sources with published pairs are gone.*NOT retired.*--allow-retire"):
        run(corpus_dir)
    assert {name: (out / name).read_bytes() for name in before} == before  # every published file as it was
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["exit_code"] == 1 and manifest["pairs"]["published"] == 3
    assert manifest["failures"][0]["kind"] == "mass_retirement"
    for name in DOCS:  # the share is back: nothing to redo, nothing lost
        (aside / name).rename(corpus_dir / name)
    teacher = fake()
    back = run(corpus_dir, teacher)
    assert back.exit_code == 0 and teacher.history == [] and back.manifest["pairs"]["published"] == 3
    for name in DOCS:
        (corpus_dir / name).unlink()
    confirmed = run(corpus_dir, allow_retire=True)
    assert confirmed.manifest["pairs"]["retired"] == 3 and lines(out / "pairs.jsonl") == []


def test_an_urls_file_that_came_back_empty_keeps_the_web_pages(site, tmp_path):
    root = tmp_path / "web"
    root.mkdir()
    body = MILL_PAGE
    site.pages["/mill.html"] = (200, {"Content-Type": "text/html"}, body)
    (root / "urls.txt").write_text(site.url("/mill.html") + "\n")
    (root / "corpus.toml").write_text('[sources]\nurls_file = "urls.txt"\n')
    assert run(root).manifest["pairs"]["published"] == 1
    (root / "urls.txt").write_text("")
    with pytest.raises(RunError, match="1 of the 1 sources with published pairs are gone"):
        run(root)
    assert len(lines(root / "out" / "pairs.jsonl")) == 1


def test_a_setting_lets_a_share_of_sources_go_without_confirmation(corpus_dir):
    with (corpus_dir / "corpus.toml").open("a") as f:
        f.write("[sources]\nmax_retire_share = 1.0\n")
    run(corpus_dir)
    for name in DOCS:
        (corpus_dir / name).unlink()
    assert run(corpus_dir).manifest["pairs"]["retired"] == 3


def test_a_huge_invalid_reply_is_clipped_and_a_fixed_server_heals_the_dataset(corpus_dir):
    huge = "no JSON here " * 80_000  # about 1 MB, as a server ignoring max_tokens might send
    broken = FakeTeacher(default=lambda m: huge)
    first = run(corpus_dir, broken)
    assert first.exit_code == 1 and first.manifest["rejections"]["invalid_reply"] == 3
    resent = broken.history[1]["messages"][-2]["content"]  # the reply shown back to the teacher in its retry
    assert len(resent) < 10_000 and "more characters cut" in resent
    rejected = lines(corpus_dir / "out" / "rejected.jsonl")
    assert all(len(r["raw_reply"]) < 25_000 for r in rejected)
    assert (corpus_dir / ".groundqa" / "state.sqlite").stat().st_size < 1_000_000
    fixed = fake()
    soon = run(corpus_dir, fixed)  # one run later: not asked again yet
    assert fixed.history == [] and soon.manifest["pairs"]["published"] == 0
    now = run(corpus_dir, fixed, retry_invalid=True)  # groundqa run --retry-invalid
    assert now.exit_code == 0 and now.manifest["pairs"]["published"] == 3


def test_an_invalid_reply_is_asked_again_some_runs_later(corpus_dir):
    with (corpus_dir / "corpus.toml").open("a") as f:
        f.write("[generation]\nretry_invalid_after = 2\n")
    run(corpus_dir, FakeTeacher(default=lambda m: "not JSON"))
    fixed = fake()
    run(corpus_dir, fixed)
    assert fixed.history == []
    later = run(corpus_dir, fixed)
    assert len(fixed.history) == 3 and later.manifest["pairs"]["published"] == 3


def test_credentials_in_a_url_are_never_shown_or_stored(site, tmp_path, caplog):
    root = tmp_path / "web"
    root.mkdir()
    body = MILL_PAGE
    site.pages["/mill.html"] = (200, {"Content-Type": "text/html"}, body)
    secret_url = site.url("/mill.html").replace("http://", "http://reader:hunter2@")
    (root / "corpus.toml").write_text(f'[sources]\nurls = ["{secret_url}", "http://reader:hunter2@127.0.0.1:9/gone.html"]\n')
    outcome = run(root)
    assert outcome.manifest["pairs"]["published"] == 1  # the request still used the credentials' page
    assert "Authorization" in site.requests[-1]["headers"]
    assert lines(root / "out" / "pairs.jsonl")[0]["source_id"] == secret_url.replace("reader:hunter2@", "***@")
    state = root / ".groundqa" / "state.sqlite"
    Store(state).close()  # checkpoint the WAL into the file
    for path in [*(p for p in (root / "out").rglob("*") if p.is_file()), state]:
        assert b"hunter2" not in path.read_bytes(), path
    assert "hunter2" not in caplog.text and "hunter2" not in json.dumps(outcome.manifest)
    # A teacher URL with credentials: the error names the server without them.
    from generation.teachers.http import HttpTeacher

    with pytest.raises(TeacherError) as failed:
        HttpTeacher(["http://reader:hunter2@127.0.0.1:9"], connect_timeout=0.5)
    assert "hunter2" not in str(failed.value) and "***@127.0.0.1:9" in str(failed.value)
    assert "hunter2" not in caplog.text
