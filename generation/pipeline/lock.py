"""One run of a corpus at a time: an exclusive lock on `.groundqa/run.lock` (flock) that names the
process holding it. The operating system releases it when that process ends, however it ends, so a lock
left by a killed run is simply taken over."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any

from .store import now_iso, store_problem


class LockedError(RuntimeError):
    """Another run holds the corpus."""


class RunLock:
    """An exclusive lock on `.groundqa/run.lock` (flock), which names the process that holds it.

    The operating system releases it when that process ends, however it ends, so a lock left by a
    killed run is simply taken over."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as exc:
            raise store_problem(exc, self.path) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            os.close(fd)
            who = f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('started_at')}" if holder else "another process"
            raise LockedError(f"another groundqa run holds {self.path} ({who}); wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started_at": now_iso()}).encode())
        self._fd = fd

    def _holder(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
