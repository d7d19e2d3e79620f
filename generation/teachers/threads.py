"""How many threads the in-process teacher runs: the cores this process may use that nobody else is using.

llama.cpp's threads meet at a barrier after every operation, so one thread on a core that another
process holds makes all of them wait. On this 2-core machine with one other busy process, the README's
main job took 139 s with a thread per core and 47 s with one thread (22 s with the machine quiet).
So the teacher counts the cores it may use (CPU affinity, a cgroup's CPU quota), takes away those
other processes keep busy right now (two readings of /proc/stat, or the load average where there is
none), and runs on the rest. It looks again every `REVIEW_SECONDS` while it works, and follows a
process that starts or stops beside it. An explicit `[teacher] n_threads` always wins.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)

# Seconds between the two /proc/stat readings at load: long enough that a busy-looping process shows
# as one busy core (0.2 s read 0.97-1.0 of a core for a python busy loop here), short next to a model's load.
SAMPLE_SECONDS = 0.2
# While it works, the teacher looks again at most this often (before a call). Reading /proc/stat costs
# about 0.1 ms; changing the thread count costs nothing, so this only bounds how soon a change is seen.
REVIEW_SECONDS = 5.0
# A core counts as taken when other processes use at least this share of one: llama.cpp's threads wait
# for the slowest at every barrier, so a core given half away slows every thread to its pace.
TAKEN_SHARE = 0.5


@dataclass(frozen=True)
class Threads:
    """The thread count chosen (for both generation and prompt batches) and why, in words."""

    n: int
    reason: str


@dataclass(frozen=True)
class CpuTimes:
    """One reading: CPU time the allowed cores spent busy and in all (clock ticks), and this process's own
    CPU seconds (every thread of it)."""

    busy: int
    total: int
    cores: int
    own_seconds: float


class Readings(Protocol):
    """Where the signals come from: the machine (`SystemReadings`) or a test's fake."""

    def affinity(self) -> int: ...
    def quota(self) -> float | None: ...
    def cpu_times(self) -> CpuTimes | None: ...
    def load_average(self) -> float | None: ...
    def clock(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


def choose_threads(*, affinity: int, quota: float | None, busy: float | None, explicit: int | None = None) -> Threads:
    """The threads to run from the readings: `affinity` cores allowed, a cgroup `quota` in cores (None:
    none), `busy` cores that other processes keep busy (None: not known)."""
    if explicit is not None:
        return Threads(explicit, f"[teacher] n_threads = {explicit}")
    limit, why = max(1, affinity), [f"{affinity} core{'s' if affinity != 1 else ''} allowed"]
    if quota is not None and quota < limit:
        limit = max(1, math.floor(quota))  # 2 threads under a 1.5-core quota are throttled at every barrier
        why.append(f"a cgroup quota of {quota:g} cores")
    n = limit
    if busy is not None:
        free = max(1, affinity) - busy
        n = max(1, min(limit, math.ceil(free - TAKEN_SHARE)))
        why.append(f"{busy:.1f} busy with other processes")
    return Threads(n, f"{n} thread{'s' if n != 1 else ''}: " + ", ".join(why))


def busy_between(first: CpuTimes, second: CpuTimes) -> float | None:
    """Cores other processes kept busy between two readings (this process's own time taken away)."""
    total = second.total - first.total
    if total <= 0 or second.cores <= 0:
        return None
    ticks_per_core = total / second.cores
    busy = (second.busy - first.busy) / ticks_per_core
    own = (second.own_seconds - first.own_seconds) * os.sysconf("SC_CLK_TCK") / ticks_per_core
    return min(float(second.cores), max(0.0, busy - own))


class ThreadGovernor:
    """Chooses the teacher's threads at load (`initial`) and reviews them while it works (`review`)."""

    def __init__(self, explicit: int | None = None, readings: Readings | None = None):
        self.explicit = explicit
        self.readings = readings or SystemReadings()
        self.current: Threads | None = None
        self.changes = 0
        self._last: CpuTimes | None = None
        self._last_at = 0.0

    def initial(self) -> Threads:
        r = self.readings
        if self.explicit is not None:
            self.current = choose_threads(affinity=r.affinity(), quota=None, busy=None, explicit=self.explicit)
        else:
            first = r.cpu_times()
            if first is not None:
                r.sleep(SAMPLE_SECONDS)
            self.current = self._choose(first)
        logger.info("in-process teacher: %s", self.current.reason)
        return self.current

    def review(self) -> Threads | None:
        """A new choice where the cores' use changed enough since the last look, else None."""
        if self.explicit is not None or self.current is None or self._last is None:
            return None
        if self.readings.clock() - self._last_at < REVIEW_SECONDS:
            return None
        chosen = self._choose(self._last)
        if chosen.n == self.current.n:
            self.current = chosen
            return None
        logger.debug("in-process teacher now runs %s (was %d)", chosen.reason, self.current.n)
        self.current = chosen
        self.changes += 1
        return chosen

    def _choose(self, since: CpuTimes | None) -> Threads:
        r = self.readings
        now = r.cpu_times()
        busy = busy_between(since, now) if since is not None and now is not None else None
        if busy is None and since is None:
            load = r.load_average()
            busy = min(float(r.affinity()), load) if load is not None else None
        self._last, self._last_at = now, r.clock()
        return choose_threads(affinity=r.affinity(), quota=r.quota(), busy=busy)


class SystemReadings:
    """The signals of this machine: sched_getaffinity, the cgroup's cpu.max (v2) or cfs quota (v1),
    /proc/stat and the load average. One that cannot be read is None, and the choice goes on without it."""

    def __init__(self, proc: Path = Path("/proc"), cgroup_root: Path = Path("/sys/fs/cgroup")):
        self.proc = proc
        self.cgroup_root = cgroup_root
        self._cpus: set[int] | None = None

    def _allowed(self) -> set[int] | None:
        if self._cpus is None and hasattr(os, "sched_getaffinity"):
            self._cpus = set(os.sched_getaffinity(0))
        return self._cpus

    def affinity(self) -> int:
        cpus = self._allowed()
        return len(cpus) if cpus else (os.cpu_count() or 1)

    def quota(self) -> float | None:
        return cgroup_quota(self.proc / "self" / "cgroup", self.cgroup_root)

    def cpu_times(self) -> CpuTimes | None:
        try:
            lines = (self.proc / "stat").read_text().splitlines()
        except OSError:
            return None
        allowed = self._allowed()
        busy = total = cores = 0
        for line in lines:
            name, _, rest = line.partition(" ")
            if not name.startswith("cpu") or name == "cpu" or not name[3:].isdigit():
                continue
            if allowed is not None and int(name[3:]) not in allowed:
                continue
            ticks = [int(x) for x in rest.split()[:8]]  # user nice system idle iowait irq softirq steal
            if len(ticks) < 8:
                continue
            idle = ticks[3] + ticks[4]
            total += sum(ticks)
            busy += sum(ticks) - idle
            cores += 1
        if cores == 0:
            return None
        times = os.times()
        return CpuTimes(busy=busy, total=total, cores=cores, own_seconds=times.user + times.system)

    def load_average(self) -> float | None:
        try:
            return os.getloadavg()[0]
        except (OSError, AttributeError):
            return None

    def clock(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def cgroup_quota(proc_cgroup: Path, root: Path) -> float | None:
    """The CPU quota in cores of this process's cgroup or any above it (the smallest), None when there is
    none: cgroup v2 `cpu.max` ("150000 100000" is 1.5 cores, "max 100000" none), v1 `cpu.cfs_quota_us`
    over `cpu.cfs_period_us` (-1: none)."""
    try:
        entries = [line.split(":", 2) for line in proc_cgroup.read_text().splitlines() if line.count(":") >= 2]
    except OSError:
        return None
    found: list[float] = []
    for _, controllers, path in entries:
        if controllers == "":  # v2, the unified hierarchy
            for base in (root, root / "unified"):
                found += _along(base, path, _v2_quota)
        elif "cpu" in controllers.split(","):
            for name in (controllers, "cpu", "cpu,cpuacct"):
                found += _along(root / name, path, _v1_quota)
    return min(found) if found else None


def _along(base: Path, path: str, read) -> list[float]:
    """The quotas set on the cgroup at `path` under `base` and on each cgroup above it."""
    if not base.is_dir():
        return []
    quotas, here = [], base / path.strip("/")
    while True:
        quota = read(here)
        if quota is not None:
            quotas.append(quota)
        if here == base or base not in here.parents:
            return quotas
        here = here.parent


def _v2_quota(folder: Path) -> float | None:
    try:
        limit, period = (folder / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return int(limit) / int(period) if limit != "max" and int(period) > 0 else None


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
