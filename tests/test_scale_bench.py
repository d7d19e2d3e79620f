"""bench/scale.py and its fake llama-server (tests/support/fake_llama.py): the figures it prints are the
ones a user would see (requests sent, slots used, files read and written), not artefacts of the bench."""

import importlib.util
import os
import sys
from pathlib import Path

import httpx
import pytest

from generation.teachers.http import HttpTeacher

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scale():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_fake_server_advertises_its_slots_and_is_kept_that_busy(scale):
    with scale.fake_teacher(hosts=2, slots=3, latency="0.2") as urls:
        teacher = HttpTeacher(urls, timeout=10)
        assert teacher.slots == 6  # /props total_slots of each host
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(12) as pool:
            replies = list(pool.map(lambda _: teacher.complete([{"role": "user", "content": 'Text:\n"""\nThe Alder Mill was founded in 1821.\n"""'}]), range(12)))
        teacher.close()
        stats = httpx.get(urls[0] + "/bench/stats").json()
    assert stats["requests"] == 12
    assert stats["max_in_flight"] == 6  # never more than the slots, and all of them
    assert '"answer": "The Alder Mill was founded in 1821."' in replies[0].text


def test_a_cold_then_unchanged_night_is_measured_as_a_user_sees_it(scale, tmp_path):
    docs = 12
    root = tmp_path / "kb"
    corpus_bytes = scale.make_corpus(root, docs)
    watch = scale.SourceWatch(root / "docs")
    log = tmp_path / "runs.log"
    try:
        with scale.fake_teacher(hosts=1, slots=4, latency="0.05") as urls:
            cold = scale.measure(root, docs, "cold", urls, watch, log)
            same = scale.measure(root, docs, "unchanged", urls, watch, log)
    finally:
        watch.close()
    assert cold.exit_code == 0, log.read_text()
    assert cold.requests == docs and cold.teacher_calls == docs  # one free-form reply a one-chunk document
    assert cold.published > 2 * docs  # the fake teacher writes three true pairs a document; nearly all are published
    assert cold.max_in_flight == 4
    assert (cold.src_files, cold.src_bytes) == (docs, corpus_bytes)  # every source read, each counted once
    assert cold.out_new >= cold.dataset > 0 and cold.peak_rss > 0  # the set, and out/'s own small files
    assert same.requests == 0 and same.published == cold.published


def test_files_written_count_new_inodes_not_links_or_renames(scale, tmp_path):
    (tmp_path / "old").write_bytes(b"x" * 100)
    before = scale.snapshot(tmp_path)
    os.link(tmp_path / "old", tmp_path / "linked")
    (tmp_path / "old").rename(tmp_path / "renamed")
    (tmp_path / "new").write_bytes(b"y" * 7)
    assert scale.written(before, scale.snapshot(tmp_path)) == 7
