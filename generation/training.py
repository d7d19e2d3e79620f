"""What makes the published set ready for a trainer: the validation split, multi-turn conversations,
evidence-first answers, the dataset card (out/README.md) and trainer configs (LLaMA-Factory's
dataset_info.json, an Axolotl `datasets:` snippet).

The split is by document: a document's pairs are all in train or all in validation, by a hash of its
source id, so a pair never moves between splits (not even when its document changes), and no
validation question is about text the model was trained on. For knowledge-base fine-tuning that is
the split that measures something: chunks overlap and fact-first writes one question per sentence, so
a split by pair or by chunk puts near-copies of validation questions (the same sentence, the next chunk's
overlap) into training, and the validation loss then says only that the model memorised them.

Nothing here calls the teacher: multi-turn conversations join published pairs, and evidence-first
answers are built from the aligned quote and the document's title.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from generation.records import Pair

TRAIN, VALIDATION = "train", "validation"
CHAT_FORMATS = ("sharegpt", "openai", "chatml")


def split_of(source_id: str, share: float) -> str:
    """"validation" for a stable `share` of documents (by a hash of the source id), else "train"."""
    if share <= 0:
        return TRAIN
    digest = hashlib.sha256(f"groundqa-split:{source_id}".encode("utf-8")).digest()
    return VALIDATION if int.from_bytes(digest[:8], "big") / 2**64 < share else TRAIN


def assign_splits(pairs: list[Pair], share: float) -> list[Pair]:
    """Each pair with its document's split. When every document would be in validation (a corpus of a
    document or two), all are train instead: a trainer needs a train split first."""
    split = {source: split_of(source, share) for source in dict.fromkeys(p.source_id for p in pairs)}
    if split and all(v == VALIDATION for v in split.values()):
        split = dict.fromkeys(split, TRAIN)
    return [p.model_copy(update={"split": split[p.source_id]}) for p in pairs]


def conversations(pairs: list[Pair], turns: int, *, by_chunk: bool) -> Iterator[list[Pair]]:
    """Published pairs joined into conversations of at most `turns`, in dataset order, never across
    documents (nor across chunks when `by_chunk`: a conversation with its chunk as context has one)."""
    group: list[Pair] = []
    for pair in pairs:
        key = (pair.source_id, pair.chunk_id if by_chunk else "")
        if group and (len(group) >= turns or (group[-1].source_id, group[-1].chunk_id if by_chunk else "") != key):
            yield group
            group = []
        group.append(pair)
    if group:
        yield group


def evidence_answer(pair: Pair, title: str) -> str:
    """The answer preceded by what supports it: 'According to "<title>": "<quote>"' and the answer, or,
    where the answer is the quoted sentence itself (fact-first), 'According to "<title>", <answer>'."""
    quote = " ... ".join(q.strip() for q in pair.quotes if q.strip())
    if not quote or _plain(quote) in _plain(pair.answer):
        return f'According to "{title}": {pair.answer}'
    return f'According to "{title}": "{quote}"\n\n{pair.answer}'


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


# -- the dataset card --------------------------------------------------------------------------------
def data_file(name: str, split: str) -> str:
    """The file of format (or "pairs") `name` for `split`: the train split keeps the plain name."""
    return f"{name}.jsonl" if split == TRAIN else f"{name}.{split}.jsonl"


def dataset_card(
    *, name: str, formats: Iterable[str], splits: dict[str, int], manifest_like: dict[str, Any], license: str | None,
    language: list[str], per_source: dict[str, int], validation_share: float, turns: int, answer_style: str,
    documents: dict[str, int] | None = None,
) -> str:
    """out/README.md in the Hugging Face dataset-card form: YAML front matter whose `configs` name each
    file written (so `datasets.load_dataset("<out>", "<format>")` works on the folder as it is), then
    what the set holds and how it was made."""
    present = [s for s in (TRAIN, VALIDATION) if splits.get(s)]
    lines = ["---"]
    if license:
        lines.append(f"license: {_yaml_str(license)}")
    if language:
        lines += ["language:"] + [f"- {_yaml_str(code)}" for code in language]
    lines += [f"pretty_name: {_yaml_str(name)}", "task_categories:", "- question-answering", "tags:", "- groundqa", "- synthetic", "configs:"]
    for config in ("pairs", *formats):
        lines.append(f"- config_name: {config}")
        if config == "pairs":
            lines.append("  default: true")
        lines.append("  data_files:")
        for split in present if config != "pairs" else [TRAIN]:  # pairs.jsonl: every pair, each with its "split"
            lines += [f"  - split: {split}", f"    path: {_yaml_str(data_file(config, split))}"]
    lines.append("---")
    signatures = manifest_like.get("signatures", {})
    teacher = manifest_like.get("teacher_id") or "the corpus's teacher"
    body = [
        "",
        f"# {name}",
        "",
        f"Grounded question–answer pairs written by {teacher} from the documents of `{name}` and checked against the "
        "text each came from (quotes aligned, answer words found, no number or name the text lacks, a real question) "
        "by [groundqa](https://pypi.org/project/groundqa/). Every pair in `pairs.jsonl` carries its source, pages, "
        "character offsets, supporting quotes and scores.",
        "",
        "| split | pairs |",
        "|---|---:|",
        *(f"| {s} | {splits[s]} |" for s in present),
        "",
        (f"The validation split holds the pairs of {(documents or {}).get(VALIDATION, 0)} of the "
         f"{sum((documents or {}).values())} documents, chosen by a hash of each document's id for a share of "
         f"{validation_share:.0%}, so no validation question is about a document the model was trained on, and a pair "
         "never changes split from one night to the next." if splits.get(VALIDATION) else
         "There is no validation split (" + ("[output] validation_share = 0" if validation_share <= 0 else
                                             "no document fell to it: the corpus is small") + ")."),
        "",
        "Configs: `pairs` (the full records of every pair, each with its `split`, in one `train` split) and one per "
        "training format:",
        "",
        *(f"- `{f}`: {FORMAT_NOTES[f]}" for f in formats),
        "",
        (f"In the chat formats, conversations join up to {turns} published pairs of the same document (of the same chunk "
         "when the chunk is given as context); every turn is a checked pair." if turns > 1 else "One question and its answer per record."),
        ("Answers are evidence-first: the supporting quote from the document, then the answer." if answer_style == "evidence" else ""),
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("path/to/this/folder", "{next(iter(formats), "pairs")}")',
        "```",
        "",
        "## Sources",
        "",
        "| source | pairs |",
        "|---|---:|",
        *(f"| {s} | {n} |" for s, n in sorted(per_source.items())),
        "",
        "## How it was made",
        "",
        f"- teacher: `{teacher}`; strategy: {manifest_like.get('strategy', '-')}",
        f"- signatures: chunking `{signatures.get('chunking')}`, generation `{signatures.get('generation')}`, "
        f"grounding `{signatures.get('grounding')}`",
        "- rejected pairs and their reasons: `rejected.jsonl`; the dataset's statistics: `report.md`; the run's counts: "
        "`manifest.json`",
        "",
    ]
    return "\n".join(lines + body)


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax, which YAML reads, with characters beyond the
    Basic Multilingual Plane kept as they are (JSON's surrogate-pair escapes are not YAML)."""
    return json.dumps(text, ensure_ascii=False)


FORMAT_NOTES = {
    "alpaca": "`instruction`, `input` (the chunk, with include_context), `output`, `system`",
    "sharegpt": "`conversations`: [{`from`: system | human | gpt, `value`}]",
    "openai": "`messages`: [{`role`: system | user | assistant, `content`}]",
    "chatml": "`text`: the conversation in ChatML (`<|im_start|>role\\n...<|im_end|>`)",
}


# -- trainer configs -------------------------------------------------------------------------------
def llama_factory_info(name: str, formats: Iterable[str], splits: dict[str, int], system_prompt: str | None) -> dict[str, Any]:
    """Entries for LLaMA-Factory's dataset_info.json (put the folder as its `dataset_dir`), one per
    format it reads (alpaca, sharegpt, openai as sharegpt with OpenAI's tags) and split."""
    info: dict[str, Any] = {}
    for fmt in formats:
        if fmt == "alpaca":
            entry: dict[str, Any] = {"formatting": "alpaca", "columns": {"prompt": "instruction", "query": "input", "response": "output"}}
            if system_prompt:
                entry["columns"]["system"] = "system"
        elif fmt == "sharegpt":
            entry = {
                "formatting": "sharegpt", "columns": {"messages": "conversations"},
                "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt", "system_tag": "system"},
            }
        elif fmt == "openai":
            entry = {
                "formatting": "sharegpt", "columns": {"messages": "messages"},
                "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant", "system_tag": "system"},
            }
        else:
            continue  # chatml text has no LLaMA-Factory format
        for split in (TRAIN, VALIDATION):
            if splits.get(split):
                key = f"{name}_{fmt}" + ("" if split == TRAIN else f"_{split}")
                info[key] = {"file_name": data_file(fmt, split), **entry}
    return info


def axolotl_snippet(formats: Iterable[str], splits: dict[str, int]) -> str:
    """An Axolotl `datasets:` (and `test_datasets:`) snippet for the formats written; paths are relative
    to this folder: run Axolotl from it, or put the folder's path in front."""
    def entries_of(fmt: str, split: str) -> list[str]:
        out: list[str] = []
        for fmt in [fmt]:
            path = data_file(fmt, split)
            if fmt == "alpaca":
                out += [f"  - path: ./{path}", "    ds_type: json", "    type: alpaca"]
            elif fmt == "sharegpt":
                out += [
                    f"  - path: ./{path}", "    ds_type: json", "    type: chat_template", "    field_messages: conversations",
                    "    message_property_mappings:", "      role: from", "      content: value",
                    "    roles:", "      system: [system]", "      user: [human]", "      assistant: [gpt]",
                ]
            elif fmt == "openai":
                out += [f"  - path: ./{path}", "    ds_type: json", "    type: chat_template", "    field_messages: messages"]
            elif fmt == "chatml":
                out += [f"  - path: ./{path}", "    ds_type: json", "    type: completion", "    field: text"]
        return out

    formats = list(formats)
    lines = [
        "# Axolotl datasets for this folder (written by groundqa). Paths are relative to this folder.",
        f"# The first format written ({formats[0] if formats else '-'}) is active; the others are the same pairs in",
        "# other formats: swap one in (uncomment) rather than train on two.",
        "datasets:",
    ]
    for i, fmt in enumerate(formats):
        block = entries_of(fmt, TRAIN)
        lines += block if i == 0 else [f"#{line}" for line in block]
    if splits.get(VALIDATION) and formats:
        lines.append("test_datasets:")
        for i, fmt in enumerate(formats):
            block = [line.replace("  - path:", "  - split: train\n    path:", 1) if line.startswith("  - path:") else line for line in entries_of(fmt, VALIDATION)]
            block = "\n".join(block).split("\n")
            lines += block if i == 0 else [f"#{line}" for line in block]
    return "\n".join(lines) + "\n"
