"""What a reader of the published folder needs besides the data: the dataset card (out/README.md, a
Hugging Face card whose `configs` name the files, so `datasets.load_dataset("<out>", "<format>")` loads
the folder as it is) and trainer configs (LLaMA-Factory's dataset_info.json, an Axolotl `datasets:`
snippet), each built from the formats' own entries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from . import formats
from .shards import Layout
from .training import TRAIN, VALIDATION
from ingest.sources import table_cell

# Sources listed by name in the card and in report.md; the rest are counted in one row. A table of every
# source grows with the corpus (at 1,000 documents the two tables were 80 kB, 6 % of the dataset) and both
# files are rewritten on any night that changes a count.
SOURCE_ROWS = 100


def dataset_card(
    *, name: str, names: Iterable[str], splits: dict[str, int], manifest_like: dict[str, Any], license: str | None,
    language: list[str], per_source: dict[str, int], validation_share: float, turns: int, answer_style: str,
    documents: dict[str, int] | None = None, layout: Layout = Layout(),
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
    names = list(names)
    for config in ("pairs", *names):
        lines.append(f"- config_name: {config}")
        if config == "pairs":
            lines.append("  default: true")
        lines.append("  data_files:")
        for split in present if config != "pairs" else [TRAIN]:  # pairs.jsonl: every pair, each with its "split"
            path = layout.pattern(config, None if config == "pairs" else split)
            lines += [f"  - split: {split}", f"    path: {_yaml_str(path)}"]
    lines.append("---")
    signatures = manifest_like.get("signatures", {})
    teacher = manifest_like.get("teacher_id") or "the corpus's teacher"
    body = [
        "",
        f"# {name}",
        "",
        f"Grounded question–answer pairs written by {teacher} from the documents of `{name}` and checked against the "
        "text each came from (quotes aligned, answer words found, no number or name the text lacks, a real question) "
        f"by [groundqa](https://pypi.org/project/groundqa/). Every pair in `{layout.pattern('pairs', None)}` carries its source, "
        "pages, character offsets, supporting quotes and scores.",
        *(["", f"The files are in {layout.count} shards by a hash of each document's id (`data/<config>/<split>/`), so a "
           "night that changed a few documents rewrites only their shards."] if layout.sharded else []),
        "",
        "| split | pairs |",
        "|---|---:|",
        *(f"| {s} | {splits[s]} |" for s in present),
        "",
        (f"The validation split holds the pairs of {(documents or {}).get(VALIDATION, 0)} of the "
         f"{sum((documents or {}).values())} documents, chosen by a hash of each document's id for a share of "
         f"{validation_share:.0%} (at least one document of two or more), so no validation question is about a document the model was trained on, and a pair "
         "never changes split from one night to the next." if splits.get(VALIDATION) else
         "There is no validation split (" + ("[output] validation_share = 0" if validation_share <= 0 else
                                             "the corpus has one document, and it is train") + ")."),
        "",
        "Configs: `pairs` (the full records of every pair, each with its `split`, in one `train` split) and one per "
        "training format:",
        "",
        *(f"- `{f}`: {formats.get(f).note}" for f in names),
        "",
        (f"In the chat formats, conversations join up to {turns} published pairs of the same document (of the same chunk "
         "when the chunk is given as context); every turn is a checked pair." if turns > 1 else "One question and its answer per record."),
        ("Answers are evidence-first: the supporting quote from the document, then the answer." if answer_style == "evidence" else ""),
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("path/to/this/folder", "{next(iter(names), "pairs")}")',
        "```",
        "",
        "## Sources",
        "",
        "| source | pairs |",
        "|---|---:|",
        *(f"| {table_cell(s)} | {n} |" for s, n in sorted(per_source.items())[:SOURCE_ROWS]),
        *([f"| ... and {len(per_source) - SOURCE_ROWS} more sources | {sum(n for _, n in sorted(per_source.items())[SOURCE_ROWS:])} |"]
          if len(per_source) > SOURCE_ROWS else []),
        "",
        "## How it was made",
        "",
        f"- teacher: `{teacher}`; strategy: {manifest_like.get('strategy', '-')}",
        f"- signatures: chunking `{signatures.get('chunking')}`, generation `{signatures.get('generation')}`, "
        f"grounding `{signatures.get('grounding')}`",
        f"- rejected pairs and their reasons: `{layout.pattern('rejected', None)}`; the dataset's statistics: `report.md`; the run's counts: "
        "`manifest.json`",
        "",
    ]
    return "\n".join(lines + body)


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax, which YAML reads, with characters beyond the
    Basic Multilingual Plane kept as they are (JSON's surrogate-pair escapes are not YAML)."""
    return json.dumps(text, ensure_ascii=False)


# -- trainer configs -------------------------------------------------------------------------------
def llama_factory_info(
    name: str, names: Iterable[str], splits: dict[str, int], system_prompt: str | None, layout: Layout = Layout()
) -> dict[str, Any]:
    """Entries for LLaMA-Factory's dataset_info.json (put the folder as its `dataset_dir`), one per
    format it reads (alpaca, sharegpt, openai as sharegpt with OpenAI's tags) and split; a sharded set's
    `file_name` is the folder of the shards, which LLaMA-Factory reads whole."""
    info: dict[str, Any] = {}
    for fmt in names:
        entry = formats.get(fmt).llama_factory(system_prompt)
        if entry is None:
            continue  # a format LLaMA-Factory has no reader for (chatml text)
        for split in (TRAIN, VALIDATION):
            if splits.get(split):
                key = f"{name}_{fmt}" + ("" if split == TRAIN else f"_{split}")
                info[key] = {"file_name": layout.folder(fmt, split), **entry}
    return info


def axolotl_snippet(names: Iterable[str], splits: dict[str, int], layout: Layout = Layout()) -> str:
    """An Axolotl `datasets:` (and `test_datasets:`) snippet for the formats written; paths are relative
    to this folder: run Axolotl from it, or put the folder's path in front. A sharded set's path is the
    folder of the shards (Axolotl loads a local folder with `datasets`)."""
    names = list(names)
    lines = [
        "# Axolotl datasets for this folder (written by groundqa). Paths are relative to this folder.",
        f"# The first format written ({names[0] if names else '-'}) is active; the others are the same pairs in",
        "# other formats: swap one in (uncomment) rather than train on two.",
        "datasets:",
    ]
    for i, fmt in enumerate(names):
        block = formats.get(fmt).axolotl(layout.folder(fmt, TRAIN))
        lines += block if i == 0 else [f"#{line}" for line in block]
    if splits.get(VALIDATION) and names:
        lines.append("test_datasets:")
        for i, fmt in enumerate(names):
            entry = formats.get(fmt).axolotl(layout.folder(fmt, VALIDATION))
            # a file loads as one "train" split; a folder named validation as a "validation" split (datasets names it)
            split = VALIDATION if layout.sharded else TRAIN
            block = [line.replace("  - path:", f"  - split: {split}\n    path:", 1) if line.startswith("  - path:") else line for line in entry]
            block = "\n".join(block).split("\n")
            lines += block if i == 0 else [f"#{line}" for line in block]
    return "\n".join(lines) + "\n"
