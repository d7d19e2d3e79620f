"""Writing output files whole: a file appears at its name only once complete and on disk (a temporary file
in the same folder, fsynced and renamed), so no reader ever sees half a file."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel

logger = logging.getLogger(__name__)

PAIRS_FILE = "pairs.jsonl"
REJECTED_FILE = "rejected.jsonl"


def json_line(record: dict | BaseModel) -> str:
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


class NotAFile(ValueError):
    """An --out that names something groundqa must not write a file at (a folder)."""


@contextmanager
def user_output(path: Path) -> Iterator[TextIO]:
    """Where a user's --out points: a regular file (or a new one) is written whole, atomically (through
    a symbolic link to a file, the file it points at is replaced, never the link); a character device, a
    FIFO or a socket (/dev/stdout, /dev/null, a pipe) is written into as it is, never replaced by a
    file; a folder is refused with a message."""
    path = Path(path)
    try:
        mode = path.stat().st_mode  # follows links: /dev/stdout -> /proc/self/fd/1 -> the pipe or terminal
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise NotAFile(f"{path}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise NotAFile(f"{path} is a folder: name a file to write, such as {path / 'pairs.jsonl'}")
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8", newline="\n") as out:  # a device or a pipe: write into it
            yield out
            out.flush()
        return
    with atomic_writer(path.resolve() if path.is_symlink() else path) as out:
        yield out


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_writer(path) as out:
        out.write(text)


def write_jsonl_atomic(path: Path, records: Iterable[dict | BaseModel]) -> int:
    """Write one JSON object a line to `path` with `atomic_writer`; returns the number of records."""
    count = 0
    with atomic_writer(path) as out:
        for count, record in enumerate(records, start=1):
            try:
                line = json_line(record)
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
