"""PostgreSQL on asyncio through psycopg 3's ``AsyncConnection``
(https://www.psycopg.org/psycopg3/docs/advanced/async.html).

The same connection as ``psycopg.py`` — autocommit mode, the SQLSTATE error table, the
failed-transaction and statement-timeout bookkeeping of
:class:`~ormolu.drivers.postgresql.PostgreSQLState` — with every wait awaited.

Cancellation. When the task awaiting a statement is cancelled (``asyncio.timeout``,
``Task.cancel``), psycopg's ``AsyncConnection.wait`` sends the server a cancel request
and waits (up to 5 s) for the statement to end, then re-raises ``CancelledError``; if
that second wait fails or is itself cancelled it closes the connection (psycopg issues
#543, #1371, #1435). What is then left is read from libpq's transaction status: idle or
in a transaction, the connection is in step and usable (a statement that had already
finished stays done); in a failed transaction, the next statement but ROLLBACK raises
PendingRollbackError, as after any error; still busy or unknown, the connection is
closed here and reports ``is_broken()``. Install with ``pip install 'ormolu[asyncio]'``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from itertools import count
from typing import Any

from .. import exceptions as exc
from ..protocol import (
    EMPTY,
    RESULT,
    ROWCOUNT,
    ROWS,
    CloseStream,
    Execute,
    FetchStream,
    OpenStream,
    Reply,
    SetTimeout,
)
from ..url import URL
from .base import concurrent_use, fetched_without_gc, log_statement, logger
from .postgresql import AsyncPostgreSQLState, _import, connect_error, connect_kwargs
from .psycopg_wait import watched_connection_class

_new = tuple.__new__
_names = count(1)


class AsyncPsycopgConnection(AsyncPostgreSQLState):
    """A psycopg 3 ``AsyncConnection`` with error mapping and logging; open one with
    ``await AsyncPsycopgConnection.open(url)``."""

    def __init__(self, raw: Any, psycopg: Any, url: URL) -> None:
        self._init_state(psycopg, url)
        self.raw = raw
        # One cursor for every plain statement: ``AsyncConnection.execute`` builds (and
        # drops) a cursor per call, about a sixth of a primary-key lookup's client cost.
        # Safe because a reply carries plain data read before ``run`` returns, and
        # because ``_busy`` refuses a second statement while one is in flight (two tasks
        # sharing one session would otherwise read each other's results).
        self._cur = raw.cursor()
        self._busy = False

    @classmethod
    async def open(cls, url: URL, connect_timeout: float = 10.0) -> AsyncPsycopgConnection:
        """Connect to the server ``url`` names. Raises OperationalError (password hidden)
        when it cannot, ConfigurationError for a refused URL option."""
        psycopg = _import()
        kwargs = connect_kwargs(url, connect_timeout)
        try:
            raw = await watched_connection_class().connect(**kwargs)
        except psycopg.Error as e:
            raise connect_error(e, url) from None
        except asyncio.CancelledError as e:
            # Cancelled while connecting: psycopg's frames in the traceback hold the
            # half-open connection (its connect generator); dropped with them, it closes
            # now instead of at the next cyclic garbage collection (seen: an idle server
            # session left for as long as the process lived).
            e.__context__ = None
            raise e.with_traceback(None) from None
        return cls(raw, psycopg, url)

    async def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`)
        and read back what it wants. Raises the mapped ormolu error."""
        if self._busy:
            raise concurrent_use(step)
        if type(step) is not Execute:
            return await self._run_other(step)
        self._refuse(step.sql)
        started = time.perf_counter()
        self._busy = True
        try:
            if self._timeout_applied != self.statement_timeout:
                await self._apply_timeout()
            return await self._execute(step)
        except asyncio.CancelledError:
            self._after_cancel()
            raise
        finally:
            self._busy = False
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(step.sql, step.params, started, step.many)

    async def _execute(self, step: Execute) -> Reply:
        sql, params, many, want, limit = step
        cur = self._cur
        try:
            if many:
                await cur.executemany(sql, params)
            else:
                await cur.execute(sql, params)
            if want == ROWS:
                if limit:
                    rows = await cur.fetchmany(limit)
                else:
                    rows = await fetched_without_gc(cur.fetchall)
                return _new(Reply, (rows, -1, None, (), None))
            if want == ROWCOUNT:
                return _new(Reply, ((), cur.rowcount, None, (), None))
            if want == RESULT:
                desc = cur.description
                if desc is None:
                    reply = Reply([], cur.rowcount)
                else:
                    names = tuple(d.name for d in desc)
                    reply = Reply(await cur.fetchall(), cur.rowcount, None, names)
            else:
                reply = EMPTY
        except self._psycopg.Error as e:
            raise self._failed_by(self._map(e, sql)) from e
        self._succeeded(sql)
        return reply

    def _after_cancel(self) -> None:
        """After a cancellation inside a wait: keep the connection if it is in step,
        note a failed transaction, close it otherwise (see the module docstring)."""
        status = self._psycopg.pq.TransactionStatus
        try:
            now = self._status()
        except Exception:
            now = status.UNKNOWN
        if now == status.INERROR:
            self._failed = exc.OperationalError(
                "the statement was cancelled (its task was cancelled)"
            )
        elif now not in (status.IDLE, status.INTRANS):
            self.terminate()
            return
        # The cancelled wait may have left the cursor between a send and its results.
        self._cur = self.raw.cursor()

    async def _run_other(self, step: Any) -> Reply:
        if type(step) is SetTimeout:
            self.set_statement_timeout(step.seconds)
            return EMPTY
        self._busy = True
        try:
            if type(step) is OpenStream:
                return Reply([], handle=await self._open_stream(step.sql, step.params, step.size))
            if type(step) is FetchStream:
                try:
                    return Reply(await step.handle.fetchmany(step.size))
                except self._psycopg.Error as e:
                    raise self._map(e, "(fetching a streamed result)") from e
            if type(step) is CloseStream:
                try:
                    await step.handle.close()
                except self._psycopg.Error:
                    pass  # the transaction (and the cursor with it) already ended
                return EMPTY
        except asyncio.CancelledError:
            self._after_cancel()
            raise
        finally:
            self._busy = False
        raise TypeError(f"not a step of the operation protocol: {step!r}")

    async def _open_stream(self, sql: str, params: Sequence[Any], size: int) -> Any:
        """A server-side cursor, so rows arrive ``size`` at a time (needs a transaction)."""
        if self._timeout_applied != self.statement_timeout:
            await self._apply_timeout()
        started = time.perf_counter()
        cur = self.raw.cursor(name=f"ormolu_stream_{next(_names)}")
        cur.itersize = size
        try:
            await cur.execute(sql, params)
        except self._psycopg.Error as e:
            raise self._map(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, params, started)
        return cur

    async def _apply_timeout(self) -> None:
        sql = self._timeout_sql()
        try:
            await self._cur.execute(sql)
        except self._psycopg.Error as e:
            raise self._map(e, sql) from e
        self._timeout_applied = self.statement_timeout

    async def ping(self) -> bool:
        """Check the connection with ``SELECT 1``."""
        try:
            await self._cur.execute("SELECT 1")
            return True
        except self._psycopg.Error:
            return False
        except asyncio.CancelledError:
            self._after_cancel()
            raise

    async def close(self) -> None:
        """Close the connection."""
        await self.raw.close()

    def terminate(self) -> None:
        """Close the connection now, without waiting for anything."""
        try:
            self.raw.finish()  # (unregisters its socket from the loop first)
        except Exception:
            pass
