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
def atomic_writer(path: Path, *, binary: bool = False, sync_dir: bool = True) -> Iterator[TextIO]:
    """A text file (bytes where `binary`) that appears at `path` only once complete and on disk: written
    to a temporary file in the same folder, fsynced and renamed. On any error the temporary file is
    removed and the old `path` is left as it was. `sync_dir=False` leaves the folder's fsync to the
    caller (a set of many files syncs each folder once)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with (open(tmp, "wb") if binary else open(tmp, "w", encoding="utf-8", newline="\n")) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_dir:
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


class SetWriter:
    """Writes a set's files into `folder`. A file whose bytes are those of the file at the same path in
    `previous` (the shown set) is hard-linked from it instead of written: an unchanged night writes no data
    file, a changed one only the shards that changed. Equal is decided by the size, then the bytes (the old
    file is read, never written); a file system that refuses links gets a copy. Counts what it wrote and
    what it linked, for the manifest."""

    def __init__(self, folder: Path, previous: Path | None = None):
        self.folder = Path(folder)
        self.previous = Path(previous) if previous is not None else None
        self.written = self.linked = self.bytes_written = self.bytes_linked = 0
        self._folders: set[Path] = set()

    def put(self, name: str, data: bytes) -> Path:
        """`data` as the file `name` (a path relative to the folder, "/"-separated); returns its path."""
        path = self.folder / name
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        if self._same(name, data) and self._link(name, path):
            self.linked += 1
            self.bytes_linked += len(data)
            return path
        with atomic_writer(path, binary=True, sync_dir=False) as out:
            out.write(data)
        self.written += 1
        self.bytes_written += len(data)
        return path

    def put_lines(self, name: str, records: Iterable[dict | BaseModel]) -> Path:
        """One JSON object a line (`json_line`) as the file `name`."""
        lines = []
        for count, record in enumerate(records, start=1):
            try:
                lines.append(json_line(record))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"record {count} of {name} cannot be written as JSON: {exc}") from exc
        return self.put(name, "".join(lines).encode("utf-8"))

    def close(self) -> None:
        """Make the new names durable: every folder written into is synced (the files are, as written)."""
        for folder in sorted(self._folders, key=lambda p: len(p.parts), reverse=True):
            fsync_dir(folder)
        fsync_dir(self.folder)

    def figures(self) -> dict[str, int]:
        return {"files_written": self.written, "files_linked": self.linked, "bytes_written": self.bytes_written, "bytes_linked": self.bytes_linked}

    def _same(self, name: str, data: bytes) -> bool:
        if self.previous is None:
            return False
        old = self.previous / name
        try:
            if not stat.S_ISREG(old.lstat().st_mode) or old.stat().st_size != len(data):
                return False
            with open(old, "rb") as f:
                return f.read(len(data) + 1) == data
        except OSError:
            return False

    def _link(self, name: str, path: Path) -> bool:
        path.unlink(missing_ok=True)
        try:
            os.link(self.previous / name, path)
        except OSError as exc:  # no hard links here (some network shares): written instead
            logger.debug("could not link %s from the shown set (%s); writing it", name, exc)
            return False
        return True
