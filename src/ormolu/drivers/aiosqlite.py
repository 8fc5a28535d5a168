"""SQLite on asyncio through aiosqlite (https://aiosqlite.omnilib.dev/).

aiosqlite gives each connection a thread of its own, which runs the ``sqlite3`` calls
queued to it one after another. Here each step of the operation protocol is *one* such
call: the sync driver's :meth:`SQLiteConnection.run <ormolu.drivers.sqlite.SQLiteConnection.run>`
on the same ``sqlite3`` connection, so the statement, its reading, the error mapping
(``sqlite.map_error``), the statement timeout's progress handler and the logging are the
sync driver's own code, with one hand-over between threads per step instead of one per
driver call. (This uses aiosqlite's ``Connection._execute``, the queue its own public
methods use.)

Cancellation. A cancelled task stops waiting, but aiosqlite's thread goes on with the
call it has started: cancelling only drops the answer. So here a cancellation inside a
step first interrupts the statement (``sqlite3_interrupt``), then waits until the thread
has finished everything queued, then closes the connection's open streamed results
(SQLite goes on interrupting statements while any statement is active:
https://sqlite.org/c3ref/interrupt.html) before re-raising ``CancelledError``. The
connection is then in step and ``in_transaction()`` tells the truth (an interrupted
write inside a transaction rolls the whole transaction back). A statement waiting for a
lock is not interrupted: the wait lasts until the busy timeout at most. Cancelled again
during that wait, the connection is closed and reports ``is_broken()``. Install with
``pip install 'ormolu[asyncio]'``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from .. import exceptions as exc
from ..protocol import CloseStream, Execute, OpenStream, Reply, SetTimeout
from .base import lost_before_send
from .sqlite import CONNECT_ARGS, SQLiteConnection

T = TypeVar("T")


def _import() -> Any:
    try:
        import aiosqlite
    except ImportError:
        raise exc.ConfigurationError(
            "SQLite on asyncio needs the aiosqlite driver: pip install 'ormolu[asyncio]'"
        ) from None
    return aiosqlite


def _close_all(cursors: list[Any]) -> None:
    """Close ``cursors`` (queued behind the calls before it: once it is done, they are)."""
    for cursor in cursors:
        try:
            cursor.close()
        except Exception:
            pass


class AioSQLiteConnection:
    """An aiosqlite connection running the sync driver's steps in its thread; open one
    with ``await AioSQLiteConnection.open(path)``."""

    def __init__(self, aio: Any, sync: SQLiteConnection) -> None:
        self._aio = aio
        self._sync = sync
        self.raw = sync.raw  # the sqlite3 connection (use it in the thread: see call())
        self.max_variables = sync.max_variables
        self._broken = False
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()  # open streamed results

    @classmethod
    async def open(
        cls, database: str, *, uri: bool = False, timeout: float = 5.0
    ) -> AioSQLiteConnection:
        """Open ``database`` (a path, ``:memory:`` or, with ``uri``, a ``file:`` URI) in
        autocommit mode; ``timeout`` is the busy timeout in seconds. Raises
        OperationalError when SQLite cannot open it."""
        aiosqlite = _import()
        aio = aiosqlite.connect(database, uri=uri, timeout=timeout, **CONNECT_ARGS)
        try:
            await aio
        except Exception as e:
            # aiosqlite has stopped its thread; let it end while the event loop runs
            for _ in range(1000):
                if not aio._thread.is_alive():
                    break
                await asyncio.sleep(0.001)
            raise exc.OperationalError(f"cannot open SQLite database: {e}") from e
        return cls(aio, SQLiteConnection(database, raw=aio._conn))

    @property
    def statement_timeout(self) -> float | None:
        """Seconds each statement may run (``None``: no limit); set it with the
        ``SetTimeout`` step (the progress handler is installed in the thread)."""
        return self._sync.statement_timeout

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the connection's thread, after every call queued before
        it (for work on ``raw``, such as registering SQL functions)."""
        if self._broken:
            raise exc.ConnectionLost("the connection was closed after a cancellation")
        try:
            result: T = await self._aio._execute(function, *args)
        except asyncio.CancelledError:
            await self._settle()
            raise
        except ValueError as e:  # aiosqlite: "Connection closed"
            if self._aio._running and self._aio._connection is not None:
                raise
            self._broken = True
            raise exc.ConnectionLost(f"the connection is closed ({e})") from e
        return result

    async def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`) in the
        connection's thread and read back what it wants. Raises the mapped ormolu error."""
        if self._broken and type(step) is Execute and step.sql == "COMMIT":
            raise lost_before_send(step.sql)
        reply = await self.call(self._sync.run, step)
        if type(step) is OpenStream:
            self._streams.add(reply.handle)
        elif type(step) is CloseStream:
            self._streams.discard(step.handle)
        return reply

    async def _settle(self) -> None:
        """After a cancellation: stop the statement, wait for the thread, close the open
        streams (see the module docstring)."""
        self._interrupt()
        streams = list(self._streams)
        self._streams.clear()
        try:
            await self._aio._execute(_close_all, streams)
        except BaseException:
            self.terminate()  # cancelled again (or closed): no longer known to be in step

    def _interrupt(self) -> None:
        try:
            self.raw.interrupt()  # (thread-safe: sqlite3_interrupt)
        except Exception:
            pass

    async def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time (a PRAGMA)."""
        await self.run(Execute(sql))

    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""
        return self._sync.in_transaction()

    async def reset(self) -> None:
        """Make the connection as new for its next user: no transaction, no timeout."""
        await self.call(self._sync.reset)

    async def set_statement_timeout(self, seconds: float | None) -> None:
        """Interrupt any statement running longer than ``seconds`` (``None``: no limit)."""
        await self.run(SetTimeout(seconds))

    def is_broken(self) -> bool:
        """Whether the connection was closed (after a second cancellation, or by
        :meth:`terminate`); a local file connection does not break otherwise."""
        return self._broken

    async def ping(self) -> bool:
        """Alive unless closed."""
        return not self._broken

    async def close(self) -> None:
        """Close the connection and end its thread."""
        try:
            await self._aio.close()
        except asyncio.CancelledError:
            self.terminate()
            raise
        except Exception:
            self.terminate()

    def terminate(self) -> None:
        """Close the connection without waiting: the running statement is interrupted,
        and the thread closes the connection once the calls queued before are done."""
        self._broken = True
        self._interrupt()  # (so that a statement still running ends soon)
        try:
            self._aio.stop()
        except Exception:
            pass
