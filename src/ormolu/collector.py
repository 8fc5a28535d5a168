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
_gc_pauses = 0  # callers inside without_gc right now, in every thread
_gc_resume = False  # whether the last of them turns the collector back on


def without_gc(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` with Python's cyclic garbage collector paused, and resumed after.

    For pure work that allocates several objects per row and frees none — turning a
    result's rows into objects — during which the collector would make pass after pass
    over everything in memory and find nothing (measured: about a quarter of the time of
    bench test D). ``call`` must do no I/O: the pause never spans a round trip. The pause
    is process-wide, so it is counted: threads pausing at the same time share one pause,
    which the last to finish ends, and a collector the program had turned off stays off.
    Exceptions propagate unchanged. Example: ``objs = without_gc(load_all, rows)``.
    """
    global _gc_pauses, _gc_resume
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            if _gc_resume:
                gc.disable()
        _gc_pauses += 1
    try:
        return call(*args)
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_resume:
                gc.enable()
