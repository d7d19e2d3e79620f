"""The published folder as a trainer meets it: `datasets.load_dataset` on it for every config, a dataset
card whose YAML names only files that exist, a validation split by document that never moves, multi-turn
conversations made only of published pairs, evidence-first answers, and LLaMA-Factory / Axolotl configs
whose columns are the files' columns."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from generation.config import load_corpus
from generation.pipeline.run import Run
from generation.outputs.training import split_of
from tests.support.corpora import fake, lines

NAMES = ["Alder Mill", "Birch Hall", "Cedar Bridge", "Dale Tower", "Elm Court", "Fern House", "Gorse Lodge", "Hazel Barn",
         "Ivy Chapel", "Juniper Inn", "Kestrel Dock", "Larch Yard"]


def make_corpus(root: Path, output: str = "") -> Path:
    root.mkdir()
    (root / "corpus.toml").write_text(
        '[chunking]\ntokens = 64\noverlap = 8\n[output]\nvalidation_share = 0.3\nlicense = "cc-by-4.0"\nlanguage = ["en"]\n' + output
    )
    for i, name in enumerate(NAMES):
        slug = name.split()[0].lower()
        (root / f"{slug}.md").write_text(
            f"# {name}\n\nThe {name} was built in {1800 + i}. The {name} was opened in {1850 + i}. The {name} was founded in {1790 + i}."
        )
    return root


def run(root: Path):
    return Run(load_corpus(root), teacher=fake()).run()


def front_matter(readme: Path) -> dict:
    text = readme.read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_the_folder_loads_with_datasets_for_every_config_and_the_card_names_only_real_files(tmp_path):
    from datasets import load_dataset

    root = make_corpus(tmp_path / "kb")
    outcome = run(root)
    out = root / "out"
    published = outcome.manifest["pairs"]["published"]
    card = front_matter(out / "README.md")
    assert card["license"] == "cc-by-4.0" and card["language"] == ["en"]
    configs = {c["config_name"]: c for c in card["configs"]}
    assert set(configs) == {"pairs", "sharegpt", "alpaca", "openai", "chatml"}
    for config in configs.values():
        for entry in config["data_files"]:
            assert (out / entry["path"]).is_file(), entry
    pairs = lines(out / "pairs.jsonl")
    validation = [p for p in pairs if p["split"] == "validation"]
    assert 0 < len(validation) < published
    for name in ("alpaca", "sharegpt", "openai", "chatml"):
        ds = load_dataset(str(out), name)
        assert set(ds) == {"train", "validation"}
        assert ds["train"].num_rows + ds["validation"].num_rows == published
        assert ds["validation"].num_rows == len(validation)
    assert load_dataset(str(out), "pairs")["train"].num_rows == published


def test_a_pair_never_changes_split_across_reruns_or_when_another_document_changes(tmp_path):
    root = make_corpus(tmp_path / "kb")
    run(root)
    first = {p["question"]: p["split"] for p in lines(root / "out" / "pairs.jsonl")}
    run(root)
    assert {p["question"]: p["split"] for p in lines(root / "out" / "pairs.jsonl")} == first
    (root / "elm.md").write_text("# Elm Court\n\nThe Elm Court was built in 1904. The Elm Court was opened in 1905.")
    run(root)
    after = {p["question"]: p["split"] for p in lines(root / "out" / "pairs.jsonl")}
    assert {q: s for q, s in after.items() if q in first} == {q: s for q, s in first.items() if q in after}
    assert {p["source_id"] for p in lines(root / "out" / "pairs.jsonl") if p["split"] == "validation"} == {
        f"{n.split()[0].lower()}.md" for n in NAMES if split_of(f"{n.split()[0].lower()}.md", 0.3) == "validation"
    }  # by document: every pair of a validation document, no other


def test_multi_turn_conversations_hold_only_published_pairs_in_order(tmp_path):
    root = make_corpus(tmp_path / "kb", 'turns = 3\nformats = ["sharegpt", "openai", "alpaca"]\nsystem_prompt = "You know the estate."\n')
    run(root)
    out = root / "out"
    pairs = lines(out / "pairs.jsonl")
    train = [p for p in pairs if p["split"] == "train"]
    conversations = lines(out / "sharegpt.jsonl")
    asked = [(t["value"], n["value"]) for c in conversations for t, n in zip(c["conversations"][1::2], c["conversations"][2::2])]
    assert asked == [(p["question"], p["answer"]) for p in train]  # every turn a published pair, in dataset order
    assert all(c["conversations"][0] == {"from": "system", "value": "You know the estate."} for c in conversations)
    assert max(len(c["conversations"]) for c in conversations) == 1 + 2 * 3 and len(conversations) < len(train)
    by_question = {p["question"]: p["source_id"] for p in pairs}
    for c in lines(out / "openai.jsonl"):  # never across documents
        sources = {by_question[m["content"]] for m in c["messages"] if m["role"] == "user"}
        assert len(sources) == 1
    assert len(lines(out / "alpaca.jsonl")) == len(train)  # alpaca has one turn a record


def test_evidence_first_answers_quote_the_document_before_answering(tmp_path):
    root = make_corpus(tmp_path / "kb", 'answer_style = "evidence"\nformats = ["alpaca"]\n')
    run(root)
    pairs = {p["question"]: p for p in lines(root / "out" / "pairs.jsonl")}
    record = lines(root / "out" / "alpaca.jsonl")[0]
    pair = pairs[record["instruction"]]
    assert record["output"].startswith('According to "') and pair["answer"] in record["output"]
    assert pair["answer"] == pairs[record["instruction"]]["answer"]  # pairs.jsonl keeps the plain answer


def test_trainer_configs_name_the_columns_each_file_has(tmp_path):
    root = make_corpus(tmp_path / "kb", 'system_prompt = "You know the estate."\n')
    run(root)
    out = root / "out"
    info = json.loads((out / "dataset_info.json").read_text())
    assert {"kb_alpaca", "kb_sharegpt", "kb_openai", "kb_alpaca_validation"} <= set(info)
    for name, entry in info.items():
        record = lines(out / entry["file_name"])[0]
        if entry["formatting"] == "alpaca":
            assert set(entry["columns"].values()) <= set(record)
        else:
            messages = record[entry["columns"]["messages"]]
            tags = entry["tags"]
            roles = {m[tags["role_tag"]] for m in messages}
            assert roles == {tags["user_tag"], tags["assistant_tag"], tags["system_tag"]}
            assert all(tags["content_tag"] in m for m in messages)
    text = (out / "axolotl.yaml").read_text()
    assert len(yaml.safe_load(text)["datasets"]) == 1  # one format active: the same pairs twice would be trained twice
    axolotl = yaml.safe_load(text.replace("\n#  ", "\n  "))  # and every alternative, uncommented
    assert len(axolotl["datasets"]) == 4
    for entry in axolotl["datasets"] + axolotl["test_datasets"]:
        record = lines(out / entry["path"])[0]
        if entry["type"] == "alpaca":
            assert {"instruction", "input", "output"} <= set(record)
        elif entry["type"] == "completion":
            assert entry["field"] in record
        else:
            messages = record[entry["field_messages"]]
            mapping = entry.get("message_property_mappings", {"role": "role", "content": "content"})
            roles = {m[mapping["role"]] for m in messages}
            allowed = {r for values in entry.get("roles", {"system": ["system"], "user": ["user"], "assistant": ["assistant"]}).values() for r in values}
            assert roles <= allowed and all(mapping["content"] in m for m in messages)


def test_a_corpus_too_small_for_a_validation_document_trains_on_everything(tmp_path):
    root = tmp_path / "one"
    root.mkdir()
    (root / "corpus.toml").write_text("[output]\nvalidation_share = 0.5\n")
    for name in ("alder", "birch", "cedar", "dale", "elm", "fern"):
        if split_of(f"{name}.md", 0.5) == "validation":
            (root / f"{name}.md").write_text(f"# {name}\n\nThe {name.title()} Mill was built in 1801.")
            break
    run(root)
    out = root / "out"
    assert all(p["split"] == "train" for p in lines(out / "pairs.jsonl")) and lines(out / "alpaca.jsonl")
    assert not (out / "alpaca.validation.jsonl").exists() and "the corpus has one document" in (out / "README.md").read_text()


def two_train_documents(share: float) -> list[str]:
    """Two source names the hash rule alone puts in train."""
    names = [f"{word}.md" for word in ("alder", "birch", "cedar", "dale", "elm", "fern", "gorse", "hazel")]
    return [n for n in names if split_of(n, share) == "train"][:2]


def test_two_documents_the_hash_rule_puts_in_train_still_give_a_validation_split_the_card_lists(tmp_path):
    from datasets import load_dataset

    root = tmp_path / "two"
    root.mkdir()
    (root / "corpus.toml").write_text("[output]\nvalidation_share = 0.1\n")
    first, second = two_train_documents(0.1)
    for i, name in enumerate((first, second)):
        (root / name).write_text(f"# {name[:-3].title()} Mill\n\nThe {name[:-3].title()} Mill was built in {1801 + i}.")
    run(root)
    out = root / "out"
    splits = {p["source_id"]: p["split"] for p in lines(out / "pairs.jsonl")}
    assert sorted(splits.values()) == ["train", "validation"]
    card = front_matter(out / "README.md")
    assert {e["split"] for c in card["configs"] if c["config_name"] == "alpaca" for e in c["data_files"]} == {"train", "validation"}
    assert set(load_dataset(str(out), "alpaca")) == {"train", "validation"}
    assert "holds the pairs of 1 of the 2 documents" in (out / "README.md").read_text()


def test_a_small_corpus_s_validation_document_moves_only_when_a_new_one_ranks_lower_and_the_hash_rule_takes_over():
    from generation.outputs.training import _position, document_splits

    names = [f"doc{i:03d}.md" for i in range(200)]
    moves = 0
    before: dict[str, str] = {}
    for n in range(2, len(names) + 1):
        split = document_splits(names[:n], 0.1)
        natural = {s for s in names[:n] if split_of(s, 0.1) == "validation"}
        validation = {s for s, v in split.items() if v == "validation"}
        if natural:
            assert validation == natural  # the hash rule alone, as for any corpus
        else:
            assert validation == {min(names[:n], key=_position)}  # one document: the next the rule would take
        moves += sum(1 for s, v in before.items() if split[s] != v)
        before = split
    assert moves <= 3  # a document changed split only when a newcomer ranked lower, or the rule took over
