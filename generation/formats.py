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
    pair: Pair, fmt: str, *, system_prompt: str | None = None, include_context: bool = False
) -> dict[str, Any]:
    """One pair as one record of `fmt`, keys in a fixed order."""
    _check_format(fmt)
    system = system_prompt or None
    if fmt == "alpaca":
        record: dict[str, Any] = {
            "instruction": pair.question,
            "input": pair.context if include_context else "",
            "output": pair.answer,
        }
        if system:
            record["system"] = system
        return record

    user = user_turn(pair, include_context)
    if fmt == "sharegpt":
        turns = [{"from": "system", "value": system}] if system else []
        turns += [{"from": "human", "value": user}, {"from": "gpt", "value": pair.answer}]
        return {"conversations": turns}
    if fmt == "openai":
        messages = [{"role": "system", "content": system}] if system else []
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": pair.answer}]
        return {"messages": messages}
    # chatml
    text = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    text += f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{pair.answer}<|im_end|>\n"
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


def write_outputs(
    out_dir: Path,
    pairs: list[Pair],
    rejections: list[Rejection],
    formats: Sequence[str],
    *,
    system_prompt: str | None = None,
    include_context: bool = False,
) -> dict[str, Path]:
    """Write pairs.jsonl, rejected.jsonl and `<fmt>.jsonl` for each format asked, each atomically;
    returns the paths by name ("pairs", "rejected" and each format). Format files not asked for
    are left as they are."""
    if isinstance(formats, str):
        formats = [formats]
    for fmt in formats:
        _check_format(fmt)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"pairs": out_dir / PAIRS_FILE, "rejected": out_dir / REJECTED_FILE}
    write_jsonl_atomic(written["pairs"], pairs)
    write_jsonl_atomic(written["rejected"], rejections)
    for fmt in dict.fromkeys(formats):
        path = out_dir / f"{fmt}.jsonl"
        records = (format_pair(p, fmt, system_prompt=system_prompt, include_context=include_context) for p in pairs)
        count = write_jsonl_atomic(path, records)
        logger.info("wrote %d %s records to %s", count, fmt, path)
        written[fmt] = path
    return written
