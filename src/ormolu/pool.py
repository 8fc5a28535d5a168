"""Connection pools: a thread-safe one (:class:`Pool`) and an asyncio one
(:class:`AsyncPool`), sharing one policy (:class:`PoolPolicy`).

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

The two pools differ only in how they wait: a ``threading.Condition``, or a queue of
asyncio futures. The asyncio pool is cancellation-safe: its bookkeeping changes only
between awaits, so a task cancelled at any await of :meth:`AsyncPool.acquire` or
:meth:`AsyncPool.release` (waiting for a connection, connecting, pinging, resetting,
closing) gives back the slot it held and closes a connection it can no longer vouch for
(the driver connection's ``terminate()``, which does not wait). Example::

    pool = AsyncPool(open_connection, size=10, max_overflow=0)
    conn = await pool.acquire()
    try:
        await conn.run(Execute("SELECT 1", want=ROWS))
    finally:
        await pool.release(conn)
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .exceptions import PoolTimeout

# Seconds of idleness after which pre-ping sends a query rather than only looking at the
# socket (see the module docstring).
PING_AFTER = 30.0

_FULL = object()  # PoolPolicy.take: every slot is in use
_NEW = object()  # PoolPolicy.take: a slot was reserved for a new connection


class PoolPolicy:
    """What both pools decide, and the ledger they decide on: ``_idle`` (connection,
    created at, returned at; monotonic seconds), ``_created`` (by ``id``) and ``_open``
    (connections open or being opened). No locking and no I/O: the sync pool calls these
    under its lock, the asyncio pool between two awaits."""

    def __init__(
        self,
        *,
        size: int = 5,
        max_overflow: int = 10,
        timeout: float = 30.0,
        recycle: float | None = 3600.0,
        pre_ping: bool = True,
    ) -> None:
        self.size = size
        self.max_overflow = max_overflow
        self.timeout = timeout
        self.recycle = recycle
        self.pre_ping = pre_ping
        self._idle: list[tuple[Any, float, float]] = []
        self._created: dict[int, float] = {}
        self._open = 0

    @property
    def checked_out(self) -> int:
        """Connections currently lent out (or being opened for a caller)."""
        return self._open - len(self._idle)

    def _take(self) -> Any:
        """An idle ``(conn, created, returned)``, else ``_NEW`` with a slot reserved for a
        new connection, else ``_FULL``."""
        if self._idle:
            return self._idle.pop()
        if self._open < self.size + self.max_overflow:
            self._open += 1
            return _NEW
        return _FULL

    def _opened(self, conn: Any) -> None:
        self._created[id(conn)] = time.monotonic()

    def _trusted(self, conn: Any, created: float, returned: float) -> bool | None:
        """Whether an idle connection may be lent as it is: False (recycle it), True,
        or None (ask it with ``ping()``).

        A connection returned less than ``PING_AFTER`` seconds ago whose socket is quiet
        is lent without asking ``is_broken()``: the pool asked that when it came back, and
        nothing has run on it since (a driver marks a connection broken only when a call
        on it fails), while the socket shows what the server did meanwhile. This is the
        checkout of every commit that holds no connection across transactions."""
        now = time.monotonic()
        if self.recycle is not None and now - created > self.recycle:
            return False
        if self.pre_ping and now - returned < PING_AFTER:
            seems_alive = getattr(conn, "seems_alive", None)
            if seems_alive is not None and seems_alive():
                return True
        if conn.is_broken():
            return False
        if not self.pre_ping:
            return True
        return None

    def _keep(self, conn: Any) -> bool:
        """Put a returned (reset, unbroken) connection back among the idle ones, if fewer
        than ``size`` are; False: the caller closes it (an overflow connection)."""
        if len(self._idle) >= self.size:
            return False
        created = self._created.get(id(conn))
        now = time.monotonic()
        self._idle.append((conn, now if created is None else created, now))
        return True

    def _forget(self, conn: Any | None) -> None:
        """Give up a connection's slot (it is being closed, or was never opened)."""
        if conn is not None:
            self._created.pop(id(conn), None)
        self._open -= 1

    def _take_idle(self) -> list[Any]:
        idle, self._idle = self._idle, []
        for conn, _, _ in idle:
            self._forget(conn)
        return [conn for conn, _, _ in idle]

    def _timeout_error(self) -> PoolTimeout:
        return PoolTimeout(
            f"no connection available within {self.timeout} s "
            f"(pool size {self.size} + overflow {self.max_overflow} in use)"
        )


class Pool(PoolPolicy):
    """A thread-safe pool of connections from ``connect()``; see the module docstring for
    the parameters."""

    def __init__(self, connect: Callable[[], Any], **policy: Any) -> None:
        super().__init__(**policy)
        self._connect = connect
        # The hot paths (an idle connection lent, one returned) enter the lock itself:
        # ``with`` on a Condition is a Python-level __enter__/__exit__, on a Lock it is C.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        # threads waiting in acquire(): release() notifies only when there are some
        # (Condition.notify is Python code, and releasing is on every commit's path)
        self._waiting = 0

    @property
    def checked_out(self) -> int:
        """Connections currently lent out."""
        with self._lock:
            return self._open - len(self._idle)

    def acquire(self) -> Any:
        """Lend a connection; raises PoolTimeout after ``timeout`` seconds of waiting."""
        with self._lock:
            idle = self._idle.pop() if self._idle else None
        if idle is not None:  # the usual case: an idle connection, no wait
            conn, created, returned = idle
            trusted = self._trusted(conn, created, returned)
            if trusted or (trusted is None and conn.ping()):
                return conn
            self._discard(conn)
        deadline = time.monotonic() + self.timeout
        while True:
            with self._cond:
                while (taken := self._take()) is _FULL:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise self._timeout_error()
                    self._waiting += 1
                    try:
                        self._cond.wait(remaining)
                    finally:
                        self._waiting -= 1
            if taken is _NEW:
                try:
                    conn = self._connect()
                except BaseException:
                    with self._cond:
                        self._forget(None)
                        self._cond.notify()
                    raise
                self._opened(conn)
                return conn
            conn, created, returned = taken
            trusted = self._trusted(conn, created, returned)
            if trusted or (trusted is None and conn.ping()):
                return conn
            self._discard(conn)

    def release(self, conn: Any, clean: bool = False) -> None:
        """Take a connection back (reset first; discarded if broken or if that fails).

        ``clean``: the caller vouches that the connection is as the pool lent it and
        works — it ran only statements that open no transaction and change no setting,
        and they succeeded (the session's one-INSERT commit in autocommit mode) — so
        neither the reset, which would only ask the driver whether a transaction is
        open, nor ``is_broken()`` (a driver marks a connection broken only when a call
        fails) is asked."""
        if not clean:
            try:
                if not conn.is_broken():
                    conn.reset()
            except Exception:
                self._discard(conn)
                return
            if conn.is_broken():
                self._discard(conn)
                return
        with self._lock:
            if self._keep(conn):
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
            self._forget(conn)
            self._cond.notify()

    def dispose(self) -> None:
        """Close every idle connection."""
        with self._cond:
            idle = self._take_idle()
            self._cond.notify_all()
        for conn in idle:
            try:
                conn.close()
            except Exception:
                pass


class AsyncPool(PoolPolicy):
    """An asyncio pool of connections from ``await connect()`` (driver connections with
    the :class:`~ormolu.drivers.base.AsyncDriverConnection` surface), with the policy of
    :class:`Pool`; for use from one event loop. See the module docstring."""

    def __init__(self, connect: Callable[[], Awaitable[Any]], **policy: Any) -> None:
        super().__init__(**policy)
        self._connect = connect
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._woken = 0  # waiters woken that have not yet taken their turn

    async def acquire(self) -> Any:
        """Lend a connection; raises PoolTimeout after ``timeout`` seconds of waiting.
        First come, first served: while tasks wait (or one woken has not yet run), a new
        caller queues behind them instead of taking the connection just returned for
        them. Cancelled at any point, it holds nothing: a slot reserved is given back, a
        connection being opened or checked is closed."""
        if self._idle and not self._woken and not self._waiters:
            # the usual case: nobody waits and a connection is idle (one check, no await
            # before it is taken, so no other task can slip in between)
            conn, created, returned = self._idle.pop()
            if self._trusted(conn, created, returned):
                return conn
            self._idle.append((conn, created, returned))  # the full path below decides
        deadline = time.monotonic() + self.timeout
        if self._woken or (self._waiters and any(not w.done() for w in self._waiters)):
            # (a task that releases and at once acquires again would otherwise keep a
            # connection to itself while the others wait until PoolTimeout)
            await self._wait(deadline)
        while True:
            taken = self._take()
            if taken is _FULL:
                await self._wait(deadline)
                continue
            if taken is _NEW:
                try:
                    conn = await self._connect()
                except BaseException:
                    self._forget(None)
                    self._wake()
                    raise
                self._opened(conn)
                return conn
            conn, created, returned = taken
            trusted = self._trusted(conn, created, returned)
            if trusted is None:
                try:
                    trusted = await conn.ping()
                except BaseException:
                    self._free(conn)
                    conn.terminate()
                    raise
            if trusted:
                return conn
            self._free(conn)
            await self._close(conn)

    async def _wait(self, deadline: float) -> None:
        """Wait until a connection is returned or a slot freed; PoolTimeout at
        ``deadline``. A wake-up this task received but can no longer use (it was
        cancelled or timed out in the same moment) is passed on to the next waiter."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout_error()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(remaining):
                await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():
                self._woken -= 1
                self._wake()  # woken in the same moment: pass the wake-up on
            else:
                waiter.cancel()  # (so that _wake skips it)
            if isinstance(error, TimeoutError):
                raise self._timeout_error() from None
            raise
        self._woken -= 1  # this task's turn now

    def _wake(self) -> None:
        """Wake the first task still waiting, if any."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._woken += 1
                return

    async def release(self, conn: Any, clean: bool = False) -> None:
        """Take a connection back: reset it (rolled back, timeout cleared) and keep it, or
        close it if it is broken, the reset fails, or ``size`` are idle already.
        Cancelled during the reset or the close, the connection is terminated and its
        slot freed before the cancellation propagates. ``clean``: the caller vouches the
        connection is as the pool lent it, so the reset is skipped (see
        :meth:`Pool.release`)."""
        if not clean:
            try:
                if not conn.is_broken():
                    await conn.reset()
            except BaseException as error:
                self._free(conn)
                if not isinstance(error, Exception):
                    conn.terminate()  # cancelled mid-reset: its state is unknown
                    raise
                await self._close(conn)
                return
        if (clean or not conn.is_broken()) and self._keep(conn):
            self._wake()
            return
        self._free(conn)
        await self._close(conn)

    def _free(self, conn: Any) -> None:
        """Give up a connection's slot now and wake a waiter (the caller closes it)."""
        self._forget(conn)
        self._wake()

    async def _close(self, conn: Any) -> None:
        """Close ``conn``, terminating it if that fails or is cancelled."""
        try:
            await conn.close()
        except BaseException as error:
            conn.terminate()
            if not isinstance(error, Exception):
                raise

    async def dispose(self) -> None:
        """Close every idle connection."""
        idle = self._take_idle()
        for _ in idle:
            self._wake()
        for conn in idle:
            await self._close(conn)
