"""The collector pause of ``without_gc``: counted across threads, never left off."""

from __future__ import annotations

import gc
import threading
import time

from ormolu.collector import without_gc


def test_the_collector_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    assert without_gc(gc.isenabled) is False
    assert gc.isenabled()


def test_a_collector_the_program_turned_off_stays_off() -> None:
    gc.disable()
    try:
        without_gc(lambda: None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_exception_still_resumes_the_collector() -> None:
    def fail() -> None:
        raise ValueError("boom")

    try:
        without_gc(fail)
    except ValueError:
        pass
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_share_one_pause() -> None:
    """Eight threads pause and resume at random overlaps: while any is inside, the
    collector is off; once all are out, it is on (an uncounted enable/disable pair
    would turn it on under another thread's feet, or leave it off)."""
    inside = 0
    lock = threading.Lock()
    seen_on_inside: list[bool] = []
    start = threading.Barrier(8)

    def work() -> None:
        nonlocal inside
        with lock:
            inside += 1
        seen_on_inside.append(gc.isenabled())
        time.sleep(0.001)
        with lock:
            inside -= 1

    def thread() -> None:
        start.wait()
        for _ in range(200):
            without_gc(work)

    threads = [threading.Thread(target=thread) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen_on_inside) == 1600
    assert not any(seen_on_inside)  # never on while some thread was inside
    assert gc.isenabled()  # and on again after the last
