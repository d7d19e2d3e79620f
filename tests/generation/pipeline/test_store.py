import sqlite3

import pytest

from generation.pipeline.store import SCHEMA_VERSION, Store
from generation.records import Candidate, Record


def test_store_is_wal_sqlite_with_a_schema_version(tmp_path):
    store = Store(tmp_path / ".groundqa" / "state.sqlite")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    store.close()
    Store(tmp_path / ".groundqa" / "state.sqlite").close()  # reopening migrates nothing and keeps data


def test_a_store_from_a_newer_groundqa_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "state.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer groundqa.*upgrade groundqa"):
        Store(path)


def test_a_store_another_process_migrated_since_we_looked_is_not_migrated_twice(tmp_path, monkeypatch):
    path = tmp_path / "state.sqlite"
    Store(path).close()  # migrated to the current version by "another process"
    looks = []
    real = Store._schema_version

    def stale_first_look(self):  # what we read before that process committed
        looks.append(1)
        return 1 if len(looks) == 1 else real(self)

    monkeypatch.setattr(Store, "_schema_version", stale_first_look)
    store = Store(path)  # no "duplicate column name: target"
    assert len(looks) >= 2  # looked again inside the transaction
    assert store.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    store.close()


class Published(Record):
    pair_id: str


def test_published_set_tracks_additions_and_retirements(tmp_path):
    store = Store(tmp_path / "state.sqlite")
    a, b, c = (Published(pair_id=x) for x in "abc")
    assert store.set_published([a, b], run_id=1) == (2, 0)
    assert store.set_published([b, c], run_id=2) == (1, 1)
    assert store.published_ids() == {"b", "c"} and store.retired(2) == ["a"]
    assert store.set_published([a, b, c], run_id=3) == (1, 0)  # a comes back
    assert store.retired() == []
    assert store.published_records() == ['{"pair_id":"a"}', '{"pair_id":"b"}', '{"pair_id":"c"}']


def test_a_store_from_before_file_stats_migrates_and_its_sources_are_read_in_full_once(tmp_path):
    path = tmp_path / "state.sqlite"
    store = Store(path)
    store.db.execute("INSERT INTO sources (source_id, content_sha256, size, mtime, status) VALUES ('a.md', 'abc', 12, 1.5, 'ok')")
    for column in ("mtime_ns", "inode"):
        store.db.execute(f"ALTER TABLE sources DROP COLUMN {column}")
    store.db.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    store.close()
    store = Store(path)
    assert store.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION) == "6"
    kept = store.sources()["a.md"]
    assert (kept.content_sha256, kept.size, kept.stat) == ("abc", 12, None)  # no stat to trust it by: read next run
    assert store.scans_since_verified() is None  # so the next scan reads every source in full
    store.close()


def _generation(store: Store, text_hash: str, run_id: int) -> None:
    pair = Candidate(pair_id=f"p-{text_hash}", chunk_id=text_hash, index=0, question="Q?", answer="A.", teacher_id="fake")
    store.save_generation(
        text_hash, "g", status="ok", candidates=[pair], raw_reply="{}", error=None, teacher_id="fake",
        prompt_tokens=1, completion_tokens=1, seconds=0.1, run_id=run_id,
    )


def test_generations_keep_their_age_order_across_runs(tmp_path):
    """Dedup keeps the oldest pair: a run that reopens the store goes on after the last generation."""
    path = tmp_path / "state.sqlite"
    store = Store(path)
    for name in ("b", "a"):
        _generation(store, name, run_id=1)
    store.close()
    store = Store(path)
    _generation(store, "c", run_id=2)
    _generation(store, "a", run_id=2)  # generated again: now the youngest
    assert list(store.candidates("g")) == ["b", "c", "a"]
    assert [r[0] for r in store.db.execute("SELECT seq FROM generations ORDER BY seq")] == [1, 3, 4]
    store.close()


def test_a_chunk_texts_facts_are_kept_for_coverage_and_dropped_with_their_version_or_text(tmp_path):
    store = Store(tmp_path / "state.sqlite")
    store.save_fact_spans([("h1", "19:t", "[[0, 10, \"a\"]]"), ("h2", "19:t", "[]")], "19")
    assert store.fact_spans("19") == {}  # no chunk has h1 or h2: nothing is kept for them
    store.db.execute(
        "INSERT INTO chunks (source_id, chunker_sig, ord, chunk_id, text_hash, text, token_count, char_start, char_end, pages)"
        " VALUES ('a.md', 's', 0, 'c1', 'h1', 'text', 1, 0, 4, '[]')"
    )
    store.save_fact_spans([("h1", "19:t", "[[0, 10, \"a\"]]")], "19")
    assert store.fact_spans("19") == {("h1", "19:t"): "[[0, 10, \"a\"]]"}
    store.save_fact_spans([("h1", "20:t", "[]")], "20")  # fact selection changed: the old rows go
    assert store.fact_spans("19") == {} and store.fact_spans("20") == {("h1", "20:t"): "[]"}
