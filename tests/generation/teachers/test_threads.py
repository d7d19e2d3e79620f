"""The in-process teacher's threads: the cores it may use that other processes leave free."""

import logging
import os

import pytest

from generation.teachers.threads import REVIEW_SECONDS, CpuTimes, SystemReadings, ThreadGovernor, cgroup_quota

TICK = os.sysconf("SC_CLK_TCK")


class FakeReadings:
    """A machine of `cores` allowed cores on which other processes keep `busy` cores busy; `own` is this
    process's own use, in cores. Each `sleep` moves the clock and the CPU counters on."""

    def __init__(self, cores: int, busy: float, *, quota: float | None = None, own: float = 0.0, stat: bool = True):
        self.cores, self.busy, self.own, self._quota, self.stat = cores, busy, own, quota, stat
        self.now = 100.0
        self._busy_ticks = self._total_ticks = 0.0
        self._own_seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._total_ticks += seconds * TICK * self.cores
        self._busy_ticks += seconds * TICK * min(self.cores, self.busy + self.own)
        self._own_seconds += seconds * self.own

    def affinity(self) -> int:
        return self.cores

    def quota(self) -> float | None:
        return self._quota

    def cpu_times(self) -> CpuTimes | None:
        if not self.stat:
            return None
        return CpuTimes(busy=int(self._busy_ticks), total=int(self._total_ticks), cores=self.cores, own_seconds=self._own_seconds)

    def load_average(self) -> float | None:
        return self.busy

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


def chosen(readings: FakeReadings, explicit: int | None = None) -> int:
    return ThreadGovernor(explicit, readings).initial().n


def test_four_cores_with_one_busy_leave_three_threads():
    assert chosen(FakeReadings(4, busy=1.0)) == 3


def test_a_quiet_machine_uses_every_allowed_core():
    assert chosen(FakeReadings(4, busy=0.0)) == 4
    assert chosen(FakeReadings(4, busy=0.3)) == 4  # a little background use does not cost a core


def test_a_cgroup_quota_of_one_and_a_half_cores_gives_one_thread():
    assert chosen(FakeReadings(8, busy=0.0, quota=1.5)) == 1


def test_every_core_busy_still_runs_one_thread():
    assert chosen(FakeReadings(2, busy=2.0)) == 1
    assert chosen(FakeReadings(2, busy=1.0)) == 1  # the case measured: 47 s with one thread, 139 s with two


def test_an_explicit_n_threads_wins_over_every_reading():
    assert chosen(FakeReadings(4, busy=4.0), explicit=3) == 3
    assert chosen(FakeReadings(8, busy=0.0, quota=1.5), explicit=2) == 2


def test_this_process_own_work_is_not_counted_as_busy():
    assert chosen(FakeReadings(4, busy=0.0, own=2.0)) == 4


def test_without_proc_stat_the_load_average_is_used():
    assert chosen(FakeReadings(4, busy=2.0, stat=False)) == 2


def test_the_choice_and_its_reason_are_logged_once(caplog):
    with caplog.at_level(logging.INFO, logger="generation.teachers.threads"):
        governor = ThreadGovernor(None, FakeReadings(4, busy=1.0))
        governor.initial()
    assert [r.getMessage() for r in caplog.records] == [
        "in-process teacher: 3 threads: 4 cores allowed, 1.0 busy with other processes"
    ]


def test_a_process_that_starts_or_stops_beside_the_teacher_changes_its_threads():
    machine = FakeReadings(2, busy=0.0)
    governor = ThreadGovernor(None, machine)
    assert governor.initial().n == 2
    machine.busy, machine.own = 0.67, 1.33  # a busy loop starts: it gets a third of the two cores
    machine.advance(REVIEW_SECONDS / 2)
    assert governor.review() is None  # not looked at again this soon
    machine.advance(REVIEW_SECONDS)
    assert governor.review().n == 1
    machine.busy, machine.own = 0.0, 1.0  # it stops
    machine.advance(REVIEW_SECONDS)
    assert governor.review().n == 2
    assert governor.changes == 2
    machine.advance(REVIEW_SECONDS)
    assert governor.review() is None  # nothing changed


def test_an_explicit_choice_is_never_reviewed():
    machine = FakeReadings(2, busy=0.0)
    governor = ThreadGovernor(2, machine)
    governor.initial()
    machine.busy = 2.0
    machine.advance(REVIEW_SECONDS * 2)
    assert governor.review() is None


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "150000 100000"}, 1.5),
        ({"cpu.max": "max 100000"}, None),
        ({}, None),
    ],
)
def test_cgroup_v2_cpu_max(tmp_path, files, expected):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cgroup").write_text("0::/job/step\n")
    for name, text in files.items():
        (tmp_path / "fs" / "job").mkdir(parents=True)
        (tmp_path / "fs" / "job" / name).write_text(text + "\n")  # set on the parent: it binds the child too
    assert cgroup_quota(tmp_path / "proc" / "cgroup", tmp_path / "fs") == expected


def test_cgroup_v1_cfs_quota(tmp_path):
    (tmp_path / "cgroup").write_text("4:cpu,cpuacct:/docker/abc\n0::/\n")
    folder = tmp_path / "fs" / "cpu,cpuacct" / "docker" / "abc"
    folder.mkdir(parents=True)
    (folder / "cpu.cfs_quota_us").write_text("250000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(tmp_path / "cgroup", tmp_path / "fs") == 2.5
    (folder / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_quota(tmp_path / "cgroup", tmp_path / "fs") is None


def test_proc_stat_is_read_for_the_allowed_cores_only(tmp_path):
    (tmp_path / "stat").write_text(
        "cpu  30 0 10 160 0 0 0 0 0 0\n"
        "cpu0 10 0 5 80 0 0 0 0 0 0\n"
        "cpu1 20 0 5 80 0 0 0 0 0 0\n"
        "intr 12345\n"
    )
    readings = SystemReadings(proc=tmp_path)
    readings._cpus = {1}
    times = readings.cpu_times()
    assert (times.busy, times.total, times.cores) == (25, 105, 1)
