"""The cyclic garbage collector's pause: one counted, thread-safe switch for the whole package.

Turning driver rows into objects allocates several objects per row and frees none, and
during such work Python's cyclic collector makes pass after pass over everything in memory
and finds nothing: measured, about a quarter of the time of loading a large result. So the
pure steps of that work run with the collector paused (:func:`without_gc`). The pause never
spans a wait on the server: the callers are the drivers' reading of a result already
received, the row loaders, and the flush's planning between two statements.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_gc_lock = threading.Lock()
_gc_pauses = 0  # callers inside a pause right now, in every thread
_gc_resume = False  # whether the last of them turns the collector back on


def pause() -> None:
    """Begin a pause (end it with :func:`resume`, in a ``finally``)."""
    global _gc_pauses, _gc_resume
    _gc_lock.acquire()
    if _gc_pauses == 0:
        _gc_resume = gc.isenabled()
        if _gc_resume:
            gc.disable()
    _gc_pauses += 1
    _gc_lock.release()


def resume() -> None:
    """End a pause begun with :func:`pause`."""
    global _gc_pauses
    _gc_lock.acquire()
    _gc_pauses -= 1
    go = _gc_pauses == 0 and _gc_resume
    _gc_lock.release()
    # (the last thing: an allocation right after enabling would start a collection over
    # everything the pause allocated, at once)
    if go:
        gc.enable()


def without_gc(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` with Python's cyclic garbage collector paused, and resumed after.

    For pure work that allocates several objects per row and frees none — reading a
    result, turning its rows into objects, planning a flush — during which the collector
    would make pass after pass over everything in memory and find nothing (measured:
    about a quarter of the time of bench test D). ``call`` must not wait on the server:
    the pause never spans a round trip. It is process-wide, so it is counted: threads
    pausing at the same time share one pause, which the last to finish ends, and a
    collector the program had turned off stays off. Exceptions propagate unchanged.

    Example: ``objs = without_gc(load_all, rows)``.
    """
    pause()
    try:
        return call(*args)
    finally:
        resume()


def without_gc1(call: Callable[[Any], T], arg: Any) -> T:
    """``without_gc(call, arg)`` for the hand-overs of a large result (a driver's reply,
    the operation resumed with it): a call of fixed arity builds no argument tuple, and an
    allocation just before a pause, with the previous one's objects still new, would
    start the collection the pauses are there to avoid."""
    pause()
    try:
        return call(arg)
    finally:
        resume()
