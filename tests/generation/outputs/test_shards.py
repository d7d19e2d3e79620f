"""Sharded sets and what a quiet night costs: an unchanged re-run links every file of the shown set (the same
inodes, no byte of data written), one changed document rewrites only its shard, a killed publish leaves the
previous set whole, and a sharded folder loads with `datasets` through the card's patterns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import generation.outputs.shards as shards
from generation.outputs.shards import Layout, files_of, shard_count, shard_of
from tests.generation.outputs.test_publish import run_killed_at
from tests.support.corpora import run

PLACES = ["Alder", "Birch", "Cedar", "Dale", "Elm", "Fern", "Gorse", "Hazel", "Ivy", "Juniper", "Larch", "Maple",
          "Nettle", "Oak", "Poplar", "Rowan", "Sorrel", "Teasel", "Umber", "Vetch"]


@pytest.fixture
def sharded(tmp_path, monkeypatch):
    """A corpus of 20 one-fact documents written in 32 shards (sharding from 4 documents, 1 a shard)."""
    monkeypatch.setattr(shards, "SHARD_FROM_DOCUMENTS", 4)
    root = tmp_path / "kb"
    root.mkdir()
    (root / "corpus.toml").write_text(
        '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca", "openai"]\nvalidation_share = 0.2\ndocuments_per_shard = 1\n'
    )
    for i, place in enumerate(PLACES):
        (root / f"{place.lower()}.md").write_text(f"# {place} Mill\n\nThe {place} Mill was founded in {1801 + i}.")
    return root


def inodes(folder: Path) -> dict[str, int]:
    """Every data file of a set (not its manifest) by path, with its inode."""
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"}


def shown(out: Path) -> Path:
    return (out / "current").resolve()


def whole(out: Path) -> dict:
    """The shown set, checked whole: every shard's lines add up to the manifest's published count."""
    folder = shown(out)
    manifest = json.loads((folder / "manifest.json").read_text())
    published = manifest["pairs"]["published"]
    assert sum(p.read_bytes().count(b"\n") for p in files_of(folder, "pairs")) == published
    for fmt in ("alpaca", "openai"):
        assert sum(p.read_bytes().count(b"\n") for split in ("train", "validation") for p in files_of(folder, fmt, split)) == published
    return manifest


def test_the_shard_count_follows_the_corpus_by_powers_of_two_and_stays_while_it_grows_less_than_fourfold():
    assert shard_count(10, None) == 1 and shard_count(499, None) == 1  # small sets keep the plain names
    assert shard_count(1_000, None, per_shard=4) == 256  # 4 documents a shard, rounded up to a power of two
    assert shard_count(1_000, None) == 512  # the default, 2 a shard
    assert shard_count(3_000, 256, per_shard=4) == 256 and shard_count(300, 256) == 1  # kept while it fits; small again: plain
    assert shard_count(5_000, 256, per_shard=4) == 2048  # grown past fourfold: the next count, once
    assert shard_count(10**9, None) == shards.MAX_SHARDS
    assert {shard_of(f"doc{i}.md", 8) for i in range(100)} == set(range(8))
    assert all(shard_of(f"doc{i}.md", 16) % 8 == shard_of(f"doc{i}.md", 8) for i in range(100))  # doubling splits a shard in two
    assert Layout(256).path("alpaca", "validation", 3) == "data/alpaca/validation/alpaca-validation-00003-of-00256.jsonl"
    assert Layout().path("alpaca", "validation") == "alpaca.validation.jsonl" and Layout().path("pairs", None) == "pairs.jsonl"


def test_an_unchanged_rerun_links_every_file_of_the_shown_set_and_writes_no_data(sharded):
    first = run(sharded)
    out = sharded / "out"
    whole(out)
    assert first.manifest["files"]["shards"]["count"] == 32 and first.manifest["files"]["bytes_written"] > 0
    before, folder = inodes(shown(out)), shown(out)
    assert any(name.startswith("data/pairs/pairs-") for name in before)
    second = run(sharded)
    assert second.exit_code == 0 and shown(out) != folder
    assert inodes(shown(out)) == before  # the same files, linked: not one data byte written
    assert second.manifest["files"]["bytes_written"] == 0 and second.manifest["files"]["files_written"] == 0
    assert second.manifest["files"]["files_linked"] == len(before)
    assert (out / "data").is_symlink() and sorted(files_of(out, "pairs")) == sorted(out / p for p in before if p.startswith("data/pairs/"))


def test_a_small_set_keeps_its_plain_files_and_an_unchanged_rerun_links_them(tmp_path):
    from tests.support.corpora import write_corpus

    root = write_corpus(tmp_path / "kb", '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca"]\n')
    run(root)
    out = root / "out"
    before = inodes(shown(out))
    assert "pairs.jsonl" in before and "alpaca.jsonl" in before and not (out / "data").exists()
    outcome = run(root)
    assert inodes(shown(out)) == before and outcome.manifest["files"]["bytes_written"] == 0


def test_one_changed_document_rewrites_only_its_shard(sharded):
    run(sharded)
    out = sharded / "out"
    before = inodes(shown(out))
    (sharded / "elm.md").write_text("# Elm Mill\n\nThe Elm Mill was founded in 1950. The Elm Mill was opened in 1951.")
    outcome = run(sharded)
    after = inodes(shown(out))
    whole(out)
    suffix = f"-{shard_of('elm.md', 32):05d}-of-00032.jsonl"
    rewritten = {name for name in after if name.startswith("data/") and after[name] != before.get(name)}
    assert rewritten and all(name.endswith(suffix) for name in rewritten)
    assert {n for n in before if n.startswith("data/") and not n.endswith(suffix)} <= {n for n in after if after[n] == before[n]}
    others = sum((shown(out) / n).stat().st_size for n in ("README.md", "report.md", "dataset_info.json", "axolotl.yaml"))
    assert outcome.manifest["files"]["bytes_written"] <= sum((shown(out) / n).stat().st_size for n in rewritten) + others


def test_a_killed_sharded_publish_leaves_the_previous_set_whole(sharded):
    run(sharded)
    out = sharded / "out"
    old = inodes(shown(out))
    old_published = whole(out)["pairs"]["published"]
    (sharded / "ivy.md").write_text("# Ivy Mill\n\nThe Ivy Mill was founded in 1950. The Ivy Mill was built in 1940.")
    seen = set()
    for k in range(1, 5000, 11):
        finished = run_killed_at(sharded, k)
        published = whole(out)["pairs"]["published"]
        seen.add(published)
        if published == old_published:
            assert inodes(shown(out)) == old  # the previous set, every file as it was
        if finished:
            break
    else:
        pytest.fail("publishing never finished")
    assert k > 50 and seen == {old_published, old_published + 1}
    assert run(sharded).exit_code == 0 and not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_a_sharded_folder_loads_with_datasets_and_the_trainer_configs_name_the_shard_folders(sharded):
    from datasets import load_dataset

    outcome = run(sharded)
    out = sharded / "out"
    published = outcome.manifest["pairs"]["published"]
    card = yaml.safe_load((out / "README.md").read_text().split("---\n")[1])
    configs = {c["config_name"]: c for c in card["configs"]}
    for entry in (e for c in configs.values() for e in c["data_files"]):
        assert entry["path"].startswith("data/") and list(out.glob(entry["path"])), entry
    for name in ("alpaca", "openai"):
        ds = load_dataset(str(out), name, cache_dir=str(sharded / "hf"))
        assert set(ds) == {"train", "validation"} and ds["train"].num_rows + ds["validation"].num_rows == published
    assert load_dataset(str(out), "pairs", cache_dir=str(sharded / "hf"))["train"].num_rows == published
    info = json.loads((out / "dataset_info.json").read_text())
    for entry in info.values():  # LLaMA-Factory reads a folder whole
        folder = out / entry["file_name"]
        assert folder.is_dir() and all(p.suffix == ".jsonl" for p in folder.iterdir())
    axolotl = yaml.safe_load((out / "axolotl.yaml").read_text().replace("\n#  ", "\n  "))
    for entry in axolotl["datasets"] + axolotl["test_datasets"]:
        assert (out / entry["path"]).is_dir()
        loaded = load_dataset(str(out / entry["path"]), cache_dir=str(sharded / "hf"))  # as Axolotl loads a local folder
        assert loaded[entry.get("split", "train")].num_rows > 0


def test_the_store_learns_a_sharded_set_in_dataset_order_and_export_gives_the_published_pairs(sharded):
    from generation.pipeline.store import open_store

    outcome = run(sharded)
    folder = shown(sharded / "out")
    in_files = {json.loads(line)["pair_id"]: json.loads(line) for p in files_of(folder, "pairs") for line in p.read_text().splitlines()}
    store = open_store(sharded / ".groundqa" / "state.sqlite", sharded)
    try:
        records = [json.loads(r) for r in store.published_records()]
    finally:
        store.close()
    assert len(records) == outcome.manifest["pairs"]["published"] == len(in_files)
    assert [r["source_id"] for r in records] == sorted(r["source_id"] for r in records)  # dataset order, not shard order
    assert all(in_files[r["pair_id"]] == r for r in records)
