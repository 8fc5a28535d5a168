"""A thread-safe connection pool.

``size`` connections are kept open when idle; up to ``max_overflow`` more are opened under
load and closed when returned. A caller waits at most ``timeout`` seconds for a
connection, then gets :class:`~ormolu.exceptions.PoolTimeout`. Connections older
than ``recycle`` seconds are replaced; with ``pre_ping`` an idle connection is checked
before it is handed out, so connections killed while idle (server restart,
``pg_terminate_backend``, ``KILL``) are replaced transparently. The check costs no round
trip for a connection idle less than ``PING_AFTER`` seconds: a server that ends a
connection closes its socket (after an error message), which the driver connection's
``seems_alive()`` sees without sending anything; a connection idle longer (which a
network device may have dropped silently) is checked with a trivial query. A connection is
reset when returned (rolled back, its statement timeout cleared), and discarded if that
fails or if the driver marked it broken.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .exceptions import PoolTimeout

# Seconds of idleness after which pre-ping sends a query rather than only looking at the
# socket (see the module docstring).
PING_AFTER = 30.0


class Pool:
    """Connections from ``connect()``; see the module docstring for the parameters."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        size: int = 5,
        max_overflow: int = 10,
        timeout: float = 30.0,
        recycle: float | None = 3600.0,
        pre_ping: bool = True,
    ) -> None:
        self._connect = connect
        self.size = size
        self.max_overflow = max_overflow
        self.timeout = timeout
        self.recycle = recycle
        self.pre_ping = pre_ping
        # (connection, created at, returned at), monotonic seconds
        self._idle: list[tuple[Any, float, float]] = []
        self._created: dict[int, float] = {}
        self._open = 0
        self._cond = threading.Condition()
        # threads waiting in acquire(): release() notifies only when there are some
        # (Condition.notify is Python code, and releasing is on every commit's path)
        self._waiting = 0

    @property
    def checked_out(self) -> int:
        """Connections currently lent out."""
        with self._cond:
            return self._open - len(self._idle)

    def acquire(self) -> Any:
        """Lend a connection; raises PoolTimeout after ``timeout`` seconds of waiting."""
        deadline = time.monotonic() + self.timeout
        while True:
            with self._cond:
                while not self._idle and self._open >= self.size + self.max_overflow:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise PoolTimeout(
                            f"no connection available within {self.timeout} s "
                            f"(pool size {self.size} + overflow {self.max_overflow} in use)"
                        )
                    self._waiting += 1
                    try:
                        self._cond.wait(remaining)
                    finally:
                        self._waiting -= 1
                if self._idle:
                    conn, created, returned = self._idle.pop()
                else:
                    self._open += 1
                    conn = None
                    created = returned = 0.0
            if conn is None:
                try:
                    conn = self._connect()
                except BaseException:
                    with self._cond:
                        self._open -= 1
                        self._cond.notify()
                    raise
                self._created[id(conn)] = time.monotonic()
                return conn
            if self._usable(conn, created, returned):
                return conn
            self._discard(conn)

    def _usable(self, conn: Any, created: float, returned: float) -> bool:
        now = time.monotonic()
        if self.recycle is not None and now - created > self.recycle:
            return False
        if conn.is_broken():
            return False
        if not self.pre_ping:
            return True
        seems_alive = getattr(conn, "seems_alive", None)
        if seems_alive is not None and now - returned < PING_AFTER and seems_alive():
            return True
        return bool(conn.ping())

    def release(self, conn: Any) -> None:
        """Take a connection back (reset first; discarded if broken or if that fails)."""
        try:
            if not conn.is_broken():
                conn.reset()
        except Exception:
            self._discard(conn)
            return
        if conn.is_broken():
            self._discard(conn)
            return
        with self._cond:
            if len(self._idle) < self.size:
                created = self._created.get(id(conn))
                now = time.monotonic()
                self._idle.append((conn, now if created is None else created, now))
                if self._waiting:
                    self._cond.notify()
                return
        self._discard(conn)

    def _discard(self, conn: Any) -> None:
        try:
            conn.close()
        except Exception:
            pass
        with self._cond:
            self._created.pop(id(conn), None)
            self._open -= 1
            self._cond.notify()

    def dispose(self) -> None:
        """Close every idle connection."""
        with self._cond:
            idle, self._idle = self._idle, []
        for conn, _, _ in idle:
            self._discard(conn)
