"""Start a local `python -m llama_cpp.server` on 127.0.0.1 for as long as a `with` block lasts.

    with local_server(default_model_path()) as url:
        teacher = HttpTeacher([url])

Tests and bench/teacher.py use it; a real deployment runs its own llama-server."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from generation.teachers.base import TeacherError
from generation.teachers.llama import cpu_has_amx

logger = logging.getLogger(__name__)

# The embedded 135M model loads in 1-3 s here; a 7B model from a cold disk can take a minute.
START_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
STDERR_TAIL_CHARS = 2000

# `python -m llama_cpp.server ARGS`, in a process that loads its model as the in-process teacher does: on a CPU
# with AMX, llama-cpp-python 0.3.36 segfaults on the first decode otherwise (generation/teachers/llama.py).
SERVER_BOOT = (
    "import runpy, sys; from generation.teachers.llama import avoid_amx_crash; avoid_amx_crash(); "
    "sys.argv[0] = 'llama_cpp.server'; runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when the process that started it dies, so that a
    test run or benchmark killed outright does not leave a server behind."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _tail(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-STDERR_TAIL_CHARS:].strip()
    except OSError as exc:
        return f"(could not read the server's log: {exc})"


@contextmanager
def local_server(
    model_path: str | Path,
    *,
    port: int | None = None,
    n_ctx: int = 2048,
    n_threads: int | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = START_TIMEOUT,
) -> Iterator[str]:
    """Run llama_cpp.server on 127.0.0.1 with `model_path`; yields its base URL once /v1/models answers.

    `n_threads` defaults to the server's own choice, half the cores: on a 2-core machine shared with
    other work, 2 threads made the embedded model 9x slower than 1 (1.9 against 17 tokens/s), as
    llama.cpp's threads wait on each other whenever one is descheduled. The server is
    terminated when the block ends, and raises TeacherError(kind="server_start") with the tail of
    its stderr if it exits or does not answer within `timeout` seconds. On Linux the server also dies
    with the thread that started it, so enter the block from a thread that outlives it."""
    port = port or free_port()
    command = [
        # python -m llama_cpp.server, after the AMX workaround the in-process teacher applies (avoid_amx_crash)
        sys.executable, "-c", SERVER_BOOT,
        "--model", str(model_path),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        *(["--n_threads", str(n_threads)] if n_threads else []),
        *extra_args,
    ]
    with _serve(command, port, "llama_cpp.server", "/v1/models", timeout) as base:
        yield base


@contextmanager
def local_llama_server(
    model_path: str | Path,
    *,
    binary: str | Path | None = None,
    port: int | None = None,
    slots: int = 4,
    n_ctx: int = 2048,
    n_threads: int | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = START_TIMEOUT,
) -> Iterator[str]:
    """Run llama.cpp's own `llama-server` (built by generation.teachers.build_server) on 127.0.0.1
    with `slots` parallel slots of `n_ctx` tokens each; yields its base URL once /health says ok."""
    from generation.teachers.build_server import build

    port = port or free_port()
    command = [
        str(binary or build()), "-m", str(model_path), "--host", "127.0.0.1", "--port", str(port),
        "-np", str(slots), "-c", str(n_ctx * slots), "--slots", "--metrics",
        *(["--no-repack"] if cpu_has_amx() else []),  # its AMX kernels crash as llama-cpp-python's do (avoid_amx_crash)
        *(["-t", str(n_threads)] if n_threads else []),
        *extra_args,
    ]
    with _serve(command, port, "llama-server", "/health", timeout) as base:
        yield base


class ServerURL(str):
    """The base URL of a server started here, with its process (a test stops it to see a run go on)."""

    process: subprocess.Popen


@contextmanager
def _serve(command: list[str], port: int, name: str, ready_path: str, timeout: float) -> Iterator[str]:
    import httpx

    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="groundqa-server-") as tmp:
        log = Path(tmp) / "stderr.log"
        with log.open("wb") as err:
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise TeacherError(
                        f"{name} exited with code {process.returncode} before answering on {base}:\n{_tail(log)}",
                        kind="server_start",
                    )
                try:
                    if httpx.get(f"{base}{ready_path}", timeout=2.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TeacherError(f"{name} did not answer on {base} within {timeout:.0f} s:\n{_tail(log)}", kind="server_start")
                time.sleep(0.2)
            logger.info("%s is up on %s (pid %d)", name, base, process.pid)
            url = ServerURL(base)
            url.process = process
            yield url
        finally:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
