"""Teacher calls on worker threads that an interrupt does not wait for.

`concurrent.futures` joins its threads before the process may exit, so a Ctrl-C while a request hangs
waited for the teacher's timeout, three times over with retries. Here the workers are daemon threads:
on an interrupt (or a worker's error) no new item starts, `cancel` is called (the in-process teacher
aborts its computation at the next step, a server teacher stops retrying), the running calls get a
few seconds to end, and the error is raised; a call still hanging after that is left behind, and its
result is never used.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from itertools import islice
from typing import Any, Callable, Iterable

logger = logging.getLogger(__name__)

GRACE_SECONDS = 3.0  # how long running calls may take to end once the run stops


def run_each(
    work: Callable[..., Any],
    items: Iterable[tuple],
    *,
    workers: int,
    on_result: Callable[[Any], None],
    cancel: Callable[[], None] = lambda: None,
    grace: float = GRACE_SECONDS,
) -> None:
    """Call `work(*item)` for each item on up to `workers` threads, and `on_result(result)` in this
    thread as each finishes. The first error of a worker is raised once the results that finished
    beside it are handed over; an interrupt here is raised as it comes."""
    results: queue.Queue = queue.Queue()
    threads: list[threading.Thread] = []
    pending = iter(items)

    def target(item: tuple) -> None:
        try:
            results.put((work(*item), None))
        except BaseException as exc:  # handed to the calling thread, which decides
            results.put((None, exc))

    def start(count: int) -> int:
        started = 0
        for item in islice(pending, count):
            thread = threading.Thread(target=target, args=(item,), daemon=True, name="teacher")
            thread.start()
            threads.append(thread)
            started += 1
        return started

    running = start(max(1, workers))
    try:
        while running:
            try:
                result, error = results.get(timeout=0.5)  # a timeout keeps the wait interruptible everywhere
            except queue.Empty:
                continue
            running -= 1
            if error is not None:
                _hand_over_finished(results, on_result)
                raise error
            on_result(result)
            running += start(1)
    except BaseException:
        if running:
            cancel()
            _wait_a_little(threads, grace)
        raise


def _hand_over_finished(results: queue.Queue, on_result: Callable[[Any], None]) -> None:
    """The results already waiting when a worker failed: kept, not thrown away with the error."""
    while True:
        try:
            result, error = results.get_nowait()
        except queue.Empty:
            return
        if error is None:
            on_result(result)


def _wait_a_little(threads: list[threading.Thread], grace: float) -> None:
    deadline = time.monotonic() + grace
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = sum(t.is_alive() for t in threads)
    if left:
        logger.info("%d teacher call(s) still running are left behind; their results will not be used", left)
