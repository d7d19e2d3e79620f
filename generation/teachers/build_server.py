"""Build llama.cpp's own `llama-server` from the llama-cpp-python source distribution, once, and cache it.

    python -m generation.teachers.build_server        # prints the binary's path

The sdist on PyPI vendors the whole llama.cpp tree (tools/server included), so nothing is downloaded
beyond the package registry; the build needs `cmake` and a C++ compiler. It takes about 12 minutes on
2 cores. The binary is cached under ~/.cache/groundqa/llama-server-<version>/ (or $GROUNDQA_CACHE),
keyed by the installed llama-cpp-python version, so the server speaks the same llama.cpp as the
in-process teacher.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path


class BuildError(RuntimeError):
    """llama-server cannot be built here; the message says why (no cmake, no compiler, no registry)."""


def cache_dir() -> Path:
    root = os.environ.get("GROUNDQA_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "groundqa")
    return Path(root)


def binary_path(version: str | None = None) -> Path:
    version = version or metadata.version("llama-cpp-python")
    return cache_dir() / f"llama-server-{version}" / "llama-server"


def built() -> Path | None:
    """The cached binary, if it was built for the installed llama-cpp-python."""
    path = binary_path()
    return path if path.is_file() and os.access(path, os.X_OK) else None


def build(*, jobs: int | None = None, log=print) -> Path:
    """Build (or find) llama-server for the installed llama-cpp-python; returns its path."""
    if (found := built()) is not None:
        return found
    for tool in ("cmake", "c++"):
        if shutil.which(tool) is None and not (tool == "c++" and shutil.which("g++")):
            raise BuildError(f"building llama-server needs {tool!r} on PATH")
    version = metadata.version("llama-cpp-python")
    target = binary_path(version)
    with tempfile.TemporaryDirectory(prefix="groundqa-llama-server-") as tmp:
        work = Path(tmp)
        log(f"downloading the llama-cpp-python {version} source distribution from the package registry")
        fetched = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", f"llama-cpp-python=={version}", "-d", str(work)],
            capture_output=True, text=True,
        )
        archives = list(work.glob("llama_cpp_python-*.tar.gz")) + list(work.glob("llama-cpp-python-*.tar.gz"))
        if fetched.returncode != 0 or not archives:
            raise BuildError(f"pip could not download the llama-cpp-python {version} sdist: {fetched.stderr.strip()[-800:]}")
        with tarfile.open(archives[0]) as tar:
            tar.extractall(work, filter="data")
        source = next(work.glob("llama_cpp_python-*/vendor/llama.cpp"), None) or next(work.glob("*/vendor/llama.cpp"), None)
        if source is None:
            raise BuildError("the sdist holds no vendor/llama.cpp tree")
        build_dir = work / "build"
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        configure = [
            "cmake", "-S", str(source), "-B", str(build_dir), *generator, "-DCMAKE_BUILD_TYPE=Release",
            "-DLLAMA_BUILD_SERVER=ON", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_CURL=OFF",
            "-DLLAMA_OPENSSL=OFF", "-DBUILD_SHARED_LIBS=OFF", "-DGGML_NATIVE=ON",
        ]
        jobs = jobs or os.cpu_count() or 2
        for step, command in (
            ("configuring", configure),
            (f"building llama-server with {jobs} jobs (about 12 minutes on 2 cores)", ["cmake", "--build", str(build_dir), "--target", "llama-server", "-j", str(jobs)]),
        ):
            log(step)
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise BuildError(f"{step} failed:\n{(done.stdout + done.stderr).strip()[-2000:]}")
        binary = next((p for p in build_dir.rglob("llama-server") if p.is_file() and os.access(p, os.X_OK)), None)
        if binary is None:
            raise BuildError("the build finished without a llama-server binary")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_target = target.with_name(f".llama-server.tmp-{os.getpid()}")
        shutil.copy2(binary, tmp_target)
        os.replace(tmp_target, target)  # a build killed half-way leaves no binary that looks whole
    log(f"built {target}")
    return target


def main() -> int:
    try:
        path = build(log=lambda m: print(m, file=sys.stderr, flush=True))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
