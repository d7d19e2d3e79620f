"""Training formats, field by field, and the atomic JSONL writer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generation.outputs.files import write_jsonl_atomic
from generation.outputs.formats import FORMATS
from generation.outputs.training import format_pair, write_outputs
from generation.records import Pair, Rejection

SYSTEM = "You answer questions about the Acme handbook."
CONTEXT = "Acme was founded in 1998 in Lyon. Über 200 employees work there — « très bien »."


def make_pair(i: int = 0, **changes) -> Pair:
    fields = dict(
        pair_id=f"p{i}",
        question=f"In what year was Acme founded? ({i})",
        answer="Acme was founded in 1998.",
        quotes=["Acme was founded in 1998"],
        source_id="docs/acme.md",
        chunk_id="c1",
        pages=[1],
        char_start=0,
        char_end=24,
        context=CONTEXT,
        teacher_id="smollm2-135m",
        score=0.93,
        support=1.0,
    )
    fields.update(changes)
    return Pair(**fields)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- formats, field by field ----------------------------------------------------------------------


def test_alpaca():
    pair = make_pair()
    assert format_pair(pair, "alpaca") == {"instruction": pair.question, "input": "", "output": pair.answer}
    record = format_pair(pair, "alpaca", system_prompt=SYSTEM, include_context=True)
    assert record == {"instruction": pair.question, "input": CONTEXT, "output": pair.answer, "system": SYSTEM}
    assert list(record) == ["instruction", "input", "output", "system"]


def test_sharegpt():
    pair = make_pair()
    assert format_pair(pair, "sharegpt") == {
        "conversations": [{"from": "human", "value": pair.question}, {"from": "gpt", "value": pair.answer}]
    }
    assert format_pair(pair, "sharegpt", system_prompt=SYSTEM, include_context=True) == {
        "conversations": [
            {"from": "system", "value": SYSTEM},
            {"from": "human", "value": f"Context:\n{CONTEXT}\n\nQuestion: {pair.question}"},
            {"from": "gpt", "value": pair.answer},
        ]
    }


def test_openai():
    pair = make_pair()
    assert format_pair(pair, "openai") == {
        "messages": [{"role": "user", "content": pair.question}, {"role": "assistant", "content": pair.answer}]
    }
    assert format_pair(pair, "openai", system_prompt=SYSTEM) == {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": pair.question},
            {"role": "assistant", "content": pair.answer},
        ]
    }
    with_context = format_pair(pair, "openai", include_context=True)["messages"]
    assert [m["role"] for m in with_context] == ["user", "assistant"]
    assert with_context[0]["content"] == f"Context:\n{CONTEXT}\n\nQuestion: {pair.question}"


def test_chatml():
    pair = make_pair()
    assert format_pair(pair, "chatml") == {
        "text": f"<|im_start|>user\n{pair.question}<|im_end|>\n<|im_start|>assistant\n{pair.answer}<|im_end|>\n"
    }
    assert format_pair(pair, "chatml", system_prompt=SYSTEM, include_context=True) == {
        "text": f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"
        f"<|im_start|>user\nContext:\n{CONTEXT}\n\nQuestion: {pair.question}<|im_end|>\n"
        f"<|im_start|>assistant\n{pair.answer}<|im_end|>\n"
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_system_prompt_is_none(fmt):
    pair = make_pair()
    assert format_pair(pair, fmt, system_prompt="") == format_pair(pair, fmt)


def test_unknown_format_names_the_allowed_ones(tmp_path):
    with pytest.raises(ValueError, match="'jsonl'.*alpaca, sharegpt, openai, chatml"):
        format_pair(make_pair(), "jsonl")
    with pytest.raises(ValueError, match="alpaca, sharegpt, openai, chatml"):
        write_outputs(tmp_path / "out", [make_pair()], [], ["alpaca", "llama"])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- the atomic writer ----------------------------------------------------------------------------


def test_write_jsonl_atomic_writes_utf8_lines_in_order(tmp_path):
    path = tmp_path / "pairs.jsonl"
    records = [{"b": "é — ü", "a": 1}, make_pair(1), {"z": None}]
    assert write_jsonl_atomic(path, iter(records)) == 3
    raw = path.read_bytes()
    assert "é — ü".encode() in raw and b"\\u00e9" not in raw
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 4
    assert list(json.loads(lines[0])) == ["b", "a"]  # keys as given, not sorted
    assert list(json.loads(lines[1])) == list(Pair.model_fields)
    assert json.loads(lines[1]) == make_pair(1).model_dump()


def test_write_jsonl_atomic_is_byte_for_byte_deterministic(tmp_path):
    pairs = [make_pair(i) for i in range(5)]
    write_jsonl_atomic(tmp_path / "a.jsonl", pairs)
    write_jsonl_atomic(tmp_path / "b.jsonl", [p.model_copy() for p in pairs])
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "pairs.jsonl"
    write_jsonl_atomic(path, [{"old": 1}])
    before = path.read_bytes()

    def failing():
        yield {"new": 1}
        yield {"new": 2}
        raise RuntimeError("teacher crashed")

    with pytest.raises(RuntimeError, match="teacher crashed"):
        write_jsonl_atomic(path, failing())
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["pairs.jsonl"]


def test_unserializable_record_names_its_position(tmp_path):
    path = tmp_path / "x.jsonl"
    with pytest.raises(ValueError, match="record 2 of x.jsonl"):
        write_jsonl_atomic(path, [{"ok": 1}, {"score": float("nan")}])
    with pytest.raises(ValueError, match="record 1"):
        write_jsonl_atomic(path, [{"bad": object()}])
    assert not path.exists() and os.listdir(tmp_path) == []


def test_empty_records_write_an_empty_file(tmp_path):
    assert write_jsonl_atomic(tmp_path / "e.jsonl", []) == 0
    assert (tmp_path / "e.jsonl").read_bytes() == b""


# -- write_outputs --------------------------------------------------------------------------------


def test_write_outputs_writes_pairs_rejections_and_the_formats_asked(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "chatml.jsonl").write_text("from an earlier run\n")
    pairs = [make_pair(i) for i in range(3)]
    rejections = [Rejection(chunk_id="c1", source_id="docs/acme.md", question="Q?", reasons=["novelty: 2011"])]
    written = write_outputs(out, pairs, rejections, ["openai", "alpaca", "openai"], system_prompt=SYSTEM)

    assert set(written) == {"pairs", "rejected", "openai", "alpaca"}
    assert sorted(p.name for p in out.iterdir()) == [
        "alpaca.jsonl", "chatml.jsonl", "openai.jsonl", "pairs.jsonl", "rejected.jsonl"]
    assert (out / "chatml.jsonl").read_text() == "from an earlier run\n"  # not asked for: left alone
    assert [Pair(**r) for r in read_jsonl(written["pairs"])] == pairs
    assert [Rejection(**r) for r in read_jsonl(written["rejected"])] == rejections
    assert read_jsonl(written["alpaca"])[2] == format_pair(pairs[2], "alpaca", system_prompt=SYSTEM)
    assert len(read_jsonl(written["openai"])) == 3


def test_write_outputs_takes_one_format_name(tmp_path):
    written = write_outputs(tmp_path, [make_pair()], [], "chatml")
    assert set(written) == {"pairs", "rejected", "chatml"}
    assert (tmp_path / "rejected.jsonl").read_bytes() == b""


@pytest.mark.parametrize("include_context", [False, True])
@pytest.mark.parametrize("system_prompt", [None, SYSTEM])
def test_every_file_loads_with_datasets(tmp_path, system_prompt, include_context):
    datasets = pytest.importorskip("datasets", reason="datasets is not installed (pip install 'groundqa[test]')")
    pairs = [make_pair(i) for i in range(4)]
    rejections = [Rejection(chunk_id="c1", source_id="s", reasons=["form: not a question"], raw_reply="{")]
    written = write_outputs(tmp_path / "out", pairs, rejections, list(FORMATS),
                            system_prompt=system_prompt, include_context=include_context)
    for name, path in written.items():
        loaded = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
        assert loaded.num_rows == (1 if name == "rejected" else 4), name
        if name in FORMATS:
            expected = format_pair(pairs[1], name, system_prompt=system_prompt, include_context=include_context)
            assert loaded[1] == expected, name
