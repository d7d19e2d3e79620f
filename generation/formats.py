"""Training formats of published pairs, and the atomic JSONL writer that publishes them.

Each format file holds one JSON object a line, in the order the pairs were given, and loads with
`datasets.load_dataset("json", data_files=...)`:

- alpaca:   {"instruction": question, "input": context or "", "output": answer, "system"?: prompt}
            (LLaMA-Factory reads the "system" column as the system prompt)
- sharegpt: {"conversations": [{"from": "system"}?, {"from": "human"}, {"from": "gpt"}]}
- openai:   {"messages": [{"role": "system"}?, {"role": "user"}, {"role": "assistant"}]}
- chatml:   {"text": "<|im_start|>system\\n...<|im_end|>\\n"? "<|im_start|>user\\n...<|im_end|>\\n"
            "<|im_start|>assistant\\n...<|im_end|>\\n"}

With `include_context`, the user turn of the chat formats is "Context:\\n<chunk>\\n\\nQuestion: <question>"
(alpaca puts the chunk in "input" instead). An empty system prompt counts as none.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel

from .records import Pair, Rejection

logger = logging.getLogger(__name__)

FORMATS = ("alpaca", "sharegpt", "openai", "chatml")
PAIRS_FILE = "pairs.jsonl"
REJECTED_FILE = "rejected.jsonl"


def user_turn(pair: Pair, include_context: bool) -> str:
    """What the user says in the chat formats: the question, after the chunk when asked."""
    if include_context:
        return f"Context:\n{pair.context}\n\nQuestion: {pair.question}"
    return pair.question


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; choose from {', '.join(FORMATS)}")


def format_pair(
    pair: Pair, fmt: str, *, system_prompt: str | None = None, include_context: bool = False, answer: str | None = None
) -> dict[str, Any]:
    """One pair as one record of `fmt`, keys in a fixed order. `answer` replaces the pair's answer
    (the evidence-first form)."""
    return format_conversation([pair], fmt, system_prompt=system_prompt, include_context=include_context, answers=[answer] if answer else None)


def format_conversation(
    pairs: list[Pair], fmt: str, *, system_prompt: str | None = None, include_context: bool = False,
    answers: list[str] | None = None,
) -> dict[str, Any]:
    """Pairs as one record of `fmt`: a conversation of one turn per pair (alpaca: the first pair only,
    it has one turn). With `include_context`, the first user turn carries the chunk."""
    _check_format(fmt)
    system = system_prompt or None
    answers = answers or [p.answer for p in pairs]
    first = pairs[0]
    if fmt == "alpaca":
        record: dict[str, Any] = {
            "instruction": first.question,
            "input": first.context if include_context else "",
            "output": answers[0],
        }
        if system:
            record["system"] = system
        return record

    users = [user_turn(p, include_context and i == 0) for i, p in enumerate(pairs)]
    if fmt == "sharegpt":
        turns = [{"from": "system", "value": system}] if system else []
        for user, answer in zip(users, answers):
            turns += [{"from": "human", "value": user}, {"from": "gpt", "value": answer}]
        return {"conversations": turns}
    if fmt == "openai":
        messages = [{"role": "system", "content": system}] if system else []
        for user, answer in zip(users, answers):
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
        return {"messages": messages}
    # chatml
    text = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    for user, answer in zip(users, answers):
        text += f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n"
    return {"text": text}


def _json_line(record: dict | BaseModel) -> str:
    if isinstance(record, BaseModel):
        record = record.model_dump(mode="json")
    # allow_nan=False: NaN is not JSON, and readers such as pyarrow's refuse the whole file
    return json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"


@contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text file that appears at `path` only once complete and on disk: written to a temporary file
    in the same folder, fsynced and renamed. On any error the temporary file is removed and the old
    `path` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_writer(path) as out:
        out.write(text)


def write_jsonl_atomic(path: Path, records: Iterable[dict | BaseModel]) -> int:
    """Write one JSON object a line to `path` with `atomic_writer`; returns the number of records."""
    count = 0
    with atomic_writer(path) as out:
        for count, record in enumerate(records, start=1):
            try:
                line = _json_line(record)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"record {count} of {Path(path).name} cannot be written as JSON: {exc}") from exc
            out.write(line)
    return count


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable, where the platform lets a folder be opened (POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems refuse fsync on a folder; the data is already synced
        logger.debug("fsync of folder %s failed: %s", folder, exc)
    finally:
        os.close(fd)


def format_records(
    pairs: list[Pair], fmt: str, *, system_prompt: str | None = None, include_context: bool = False, turns: int = 1,
    answer_style: str = "plain", titles: dict[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The records of `fmt` for `pairs` (in dataset order): conversations of up to `turns` pairs in the
    chat formats, answers evidence-first with `answer_style = "evidence"`."""
    from generation.training import CHAT_FORMATS, conversations, evidence_answer

    titles = titles or {}

    def answer(pair: Pair) -> str:
        return evidence_answer(pair, titles.get(pair.source_id, pair.source_id)) if answer_style == "evidence" else pair.answer

    groups = conversations(pairs, turns, by_chunk=include_context) if fmt in CHAT_FORMATS and turns > 1 else ([p] for p in pairs)
    for group in groups:
        yield format_conversation(group, fmt, system_prompt=system_prompt, include_context=include_context, answers=[answer(p) for p in group])


def write_outputs(
    out_dir: Path,
    pairs: list[Pair],
    rejections: list[Rejection],
    formats: Sequence[str],
    *,
    system_prompt: str | None = None,
    include_context: bool = False,
    turns: int = 1,
    answer_style: str = "plain",
    titles: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Write pairs.jsonl (every pair, with its `split`: generation.training.assign_splits), rejected.jsonl, and for each format asked
    `<fmt>.jsonl` (the train split) and `<fmt>.validation.jsonl` (when the split has pairs), each
    atomically; returns the paths by name ("pairs", "rejected", each format, "<fmt>.validation").
    Chat formats join up to `turns` pairs a conversation (generation/training.py)."""
    from generation.training import TRAIN, VALIDATION, data_file

    if isinstance(formats, str):
        formats = [formats]
    for fmt in formats:
        _check_format(fmt)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"pairs": out_dir / PAIRS_FILE, "rejected": out_dir / REJECTED_FILE}
    write_jsonl_atomic(written["pairs"], pairs)
    write_jsonl_atomic(written["rejected"], rejections)
    for split in (TRAIN, VALIDATION):
        part = [p for p in pairs if p.split == split]
        if split == VALIDATION and not part:
            continue
        for fmt in dict.fromkeys(formats):
            path = out_dir / data_file(fmt, split)
            records = format_records(
                part, fmt, system_prompt=system_prompt, include_context=include_context, turns=turns, answer_style=answer_style, titles=titles
            )
            count = write_jsonl_atomic(path, records)
            logger.info("wrote %d %s records to %s", count, fmt, path)
            written[fmt if split == TRAIN else f"{fmt}.{split}"] = path
    return written
