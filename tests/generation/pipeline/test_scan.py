"""The scan's shortcut: a file whose size, mtime and inode are those of its last read is trusted without
being opened; every VERIFY_EVERY-th run and `--verify` read every source in full."""

import builtins
import os
import time
from pathlib import Path

import pytest

import generation.pipeline.scan as scan_module
from generation.pipeline.scan import VERIFY_EVERY
from tests.support.corpora import DOCS, MILL_PAGE, fake, lines, run

DAY_AGO = time.time() - 86_400


def backdate(root: Path) -> None:
    """Every document last written a day ago, as a knowledge base's files are on a nightly run (a file written
    within scan.RACY_SECONDS of a run is read again by the next one)."""
    for name in DOCS:
        os.utime(root / name, (DAY_AGO, DAY_AGO))


@pytest.fixture
def opened(monkeypatch, corpus_dir):
    """The corpus documents that the run opens, by name."""
    names: list[str] = []
    real = builtins.open

    def spy(file, *args, **kw):
        if isinstance(file, (str, Path)) and Path(file).parent == corpus_dir and Path(file).name in DOCS:
            names.append(Path(file).name)
        return real(file, *args, **kw)

    monkeypatch.setattr(builtins, "open", spy)
    return names


def questions(root: Path) -> list[str]:
    return sorted(p["question"] + " " + p["answer"] for p in lines(root / "out" / "pairs.jsonl"))


def test_an_unchanged_rerun_opens_no_source_file_and_publishes_the_same_pairs(corpus_dir, opened):
    backdate(corpus_dir)
    cold = run(corpus_dir)
    total = sum(len(text.encode()) for text in DOCS.values())
    assert cold.manifest["scan"] == {"bytes_read": total, "read": 3, "trusted": 0, "verified": True}
    assert sorted(opened) == sorted(DOCS)
    before = questions(corpus_dir)
    opened.clear()
    teacher = fake()
    again = run(corpus_dir, teacher)
    assert opened == [] and teacher.history == []
    assert again.manifest["scan"] == {"bytes_read": 0, "read": 0, "trusted": 3, "verified": False}
    assert again.manifest["sources"]["unchanged"] == 3 and again.manifest["pairs"]["published"] == 3
    assert questions(corpus_dir) == before


def test_an_edit_that_keeps_the_size_and_puts_the_mtime_back_is_found_only_by_verify(corpus_dir):
    """The documented limit of the shortcut (docs/decisions.md): such an edit waits for the next full read."""
    backdate(corpus_dir)
    run(corpus_dir)
    path = corpus_dir / "alder.md"
    stat = path.stat()
    path.write_text(DOCS["alder.md"].replace("1821", "1822"))  # same size, same inode (written in place)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    missed = run(corpus_dir)
    assert missed.manifest["scan"]["trusted"] == 3 and missed.manifest["sources"]["changed"] == 0
    assert "The Alder Mill was founded in 1821." in " ".join(questions(corpus_dir))
    found = run(corpus_dir, verify=True)
    assert found.manifest["scan"] == {"bytes_read": sum(len(t.encode()) for t in DOCS.values()), "read": 3, "trusted": 0, "verified": True}
    assert found.manifest["sources"]["changed"] == 1 and found.manifest["pairs"]["retired"] == 1
    assert "The Alder Mill was founded in 1822." in " ".join(questions(corpus_dir))


def test_a_file_replaced_by_another_with_the_same_size_and_mtime_is_read(corpus_dir):
    """An editor's save-by-rename or a sync tool's copy gives a new inode: that is enough to read it."""
    backdate(corpus_dir)
    run(corpus_dir)
    path = corpus_dir / "alder.md"
    stat = path.stat()
    new = corpus_dir / "alder.md.new"
    new.write_text(DOCS["alder.md"].replace("1821", "1822"))
    os.utime(new, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(new, path)
    assert path.stat().st_ino != stat.st_ino
    outcome = run(corpus_dir)
    assert outcome.manifest["scan"]["read"] == 1 and outcome.manifest["sources"]["changed"] == 1
    assert "The Alder Mill was founded in 1822." in " ".join(questions(corpus_dir))


def test_a_touched_file_with_the_same_bytes_is_read_once_and_not_extracted_again(corpus_dir, monkeypatch):
    backdate(corpus_dir)
    run(corpus_dir)
    os.utime(corpus_dir / "alder.md", (DAY_AGO + 60, DAY_AGO + 60))
    extracted: list[str] = []
    real = scan_module.ExtractPool.map

    def map_spy(self, items):
        def seen():
            for source_id, raw in items:
                extracted.append(source_id)
                yield source_id, raw

        return real(self, seen())

    monkeypatch.setattr(scan_module.ExtractPool, "map", map_spy)
    teacher = fake()
    touched = run(corpus_dir, teacher)
    assert extracted == [] and teacher.history == []
    assert touched.manifest["scan"] == {"bytes_read": len(DOCS["alder.md"].encode()), "read": 1, "trusted": 2, "verified": False}
    assert touched.manifest["sources"]["unchanged"] == 3 and touched.manifest["sources"]["changed"] == 0
    assert run(corpus_dir).manifest["scan"]["trusted"] == 3  # its new mtime was kept: trusted from now on


def test_every_seventh_run_reads_every_source_in_full(corpus_dir):
    backdate(corpus_dir)
    scans = [run(corpus_dir).manifest["scan"] for _ in range(VERIFY_EVERY + 1)]
    assert [s["verified"] for s in scans] == [True] + [False] * (VERIFY_EVERY - 1) + [True]
    assert [s["read"] for s in scans] == [3] + [0] * (VERIFY_EVERY - 1) + [3]


def test_a_verify_run_starts_the_count_again(corpus_dir):
    backdate(corpus_dir)
    run(corpus_dir)
    run(corpus_dir)
    assert run(corpus_dir, verify=True).manifest["scan"]["verified"]
    assert [run(corpus_dir).manifest["scan"]["read"] for _ in range(VERIFY_EVERY - 1)] == [0] * (VERIFY_EVERY - 1)


def test_a_file_written_just_before_a_run_is_read_again_by_the_next(corpus_dir):
    """An edit in the same tick of the file system's clock as the read would keep the mtime: a file modified
    within RACY_SECONDS of a scan is not trusted by the next one."""
    run(corpus_dir)  # the fixture wrote the documents a moment ago
    assert run(corpus_dir).manifest["scan"]["read"] == 3


def test_a_changed_chunking_reads_the_trusted_files_again(corpus_dir):
    backdate(corpus_dir)
    run(corpus_dir)
    toml = corpus_dir / "corpus.toml"
    toml.write_text(toml.read_text().replace("tokens = 64", "tokens = 48"))
    outcome = run(corpus_dir)
    assert outcome.manifest["scan"]["read"] == 3 and outcome.manifest["chunks"]["total"] == 3


def test_a_source_that_failed_is_read_every_run_so_a_new_extractor_tries_it_again(corpus_dir, monkeypatch):
    backdate(corpus_dir)
    (corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    os.utime(corpus_dir / "broken.pdf", (DAY_AGO, DAY_AGO))
    first = run(corpus_dir)
    assert first.manifest["sources"]["failed"] == 1
    again = run(corpus_dir)
    assert again.manifest["scan"]["read"] == 1 and again.manifest["scan"]["trusted"] == 3
    assert "not tried again" in again.manifest["failures"][0]["message"]
    monkeypatch.setattr(scan_module, "_extractor_versions", lambda: "a newer pymupdf")
    retried = run(corpus_dir)
    assert "not tried again" not in retried.manifest["failures"][0]["message"]


def test_a_web_page_is_fetched_conditionally_and_whole_when_verifying(site, tmp_path):
    root = tmp_path / "web"
    root.mkdir()
    url = site.url("/mill.html")
    (root / "corpus.toml").write_text(f'[sources]\nurls = ["{url}"]\n')
    body = MILL_PAGE
    site.pages["/mill.html"] = (200, {"ETag": '"1"', "Content-Type": "text/html"}, body)
    assert run(root).manifest["scan"] == {"bytes_read": len(body), "read": 1, "trusted": 0, "verified": True}
    assert run(root).manifest["scan"] == {"bytes_read": 0, "read": 0, "trusted": 1, "verified": False}  # a 304
    assert site.requests[-1]["headers"].get("If-None-Match") == '"1"'
    verified = run(root, verify=True)
    assert "If-None-Match" not in site.requests[-1]["headers"]
    assert verified.manifest["scan"] == {"bytes_read": len(body), "read": 1, "trusted": 0, "verified": True}
    assert verified.manifest["sources"]["unchanged"] == 1


def test_a_new_version_of_the_readers_reads_every_source_again_once_and_asks_the_teacher_nothing(corpus_dir, monkeypatch):
    """A reader that changed (a man page's title, its joined hyphens) reaches a store whose files did not change."""
    import ingest.chunking

    backdate(corpus_dir)
    run(corpus_dir)
    before = questions(corpus_dir)
    monkeypatch.setattr(ingest.chunking, "TEXT_VERSION", "test-next")
    teacher = fake()
    again = run(corpus_dir, teacher)
    assert again.manifest["scan"]["read"] == 3 and teacher.history == []  # the same texts: nothing to generate
    assert again.manifest["pairs"]["published"] == 3 and questions(corpus_dir) == before
    third = run(corpus_dir, fake())
    assert third.manifest["scan"]["read"] == 0  # once
