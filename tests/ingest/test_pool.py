"""The extraction workers do not outlive the run that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A run (this script) whose one worker is busy on a document that takes minutes (trafilatura is
# superlinear in page size), printing the worker's pid once it has started.
BUSY_RUN = f"""
import sys, threading, time
sys.path.insert(0, {str(REPO)!r})
from ingest.pool import ExtractPool, Limits
from ingest.sources import Raw
rows = "".join(f"<p>Row {{i}} of the big table tells of the hall and the mill, the bridge and the town.</p>" for i in range(150_000))
items = [(0, Raw(source_id="slow.html", data=f"<html><body><article>{{rows}}</article></body></html>".encode()))]
pool = ExtractPool((512, 64, "cl100k_base"), jobs=1, limits=Limits(seconds=3600))
def report():
    while not pool._slots:
        time.sleep(0.05)
    print(pool._slots[0].process.pid, flush=True)
threading.Thread(target=report, daemon=True).start()
for _ in pool.map(items):
    pass
"""


def _alive(pid: int) -> bool:
    """Running, as `ps` would show it: a zombie (dead, not yet reaped by whoever adopted it) is not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_run_leaves_no_extraction_worker_behind():
    run = subprocess.Popen([sys.executable, "-c", BUSY_RUN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = run.stdout.readline()
        assert line.strip().isdigit(), run.stderr.read()[-2000:] if run.poll() is not None else line
        worker = int(line)
        server = _parent_of(worker)  # the fork server the worker was started from
        time.sleep(1.0)  # the worker is on the document now
        assert _alive(worker) and run.poll() is None
        run.send_signal(signal.SIGKILL)  # and not reaped yet: a dead run can stay a zombie for a while
        left = time.monotonic() + 15  # generous: the parent-death signal takes milliseconds
        while time.monotonic() < left and (_alive(worker) or _alive(server)):
            time.sleep(0.1)
        assert not _alive(worker), f"worker {worker} still running 15 s after its run was killed"
        assert not _alive(server), f"fork server {server} still running 15 s after its run was killed"
    finally:
        run.kill()
        run.wait(30)


def test_a_worker_whose_run_is_gone_stops_by_itself():
    """Where there is no parent-death signal (or it was set too late), the worker's own look at its run
    ends it: here the run it names does not exist."""
    from ingest import pool

    child = os.fork()
    if child == 0:  # pragma: no cover - the worker side
        try:
            pool._die_with_parent(run_pid=2**22 + 12345)  # beyond any pid this machine gives out
        finally:
            os._exit(0)  # only reached when the worker did not stop: the test fails below
    _, status = os.waitpid(child, 0)
    assert os.WEXITSTATUS(status) == 1
