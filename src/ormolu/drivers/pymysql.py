"""MySQL and MariaDB through PyMySQL (https://pymysql.readthedocs.io/).

Why PyMySQL: it is pure Python, so ``pip install`` works on any machine without a C
compiler or the MySQL client headers; it is actively maintained and speaks both MySQL and
MariaDB. mysqlclient (C) is faster and can be added as another module here: the rest of
ormolu only sees this module's connection class.

PyMySQL sends statements with parameters escaped by the driver (client-side binding);
ormolu never formats values into SQL itself. The session set-up, the URL options and the
error table are in ``mysql.py``, shared with the async driver (``asyncmy.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from .. import exceptions as exc
from ..collector import without_gc1
from ..protocol import (
    EMPTY,
    LASTROWID,
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
from .base import log_statement, logger, lost_before_send, socket_quiet
from .mysql import (
    SETUP,
    MySQLState,
    bind_args,
    bind_error,
    connect_error,
    connect_options,
    is_bind_error,
    map_error,
)

__all__ = ["PyMySQLConnection", "_import", "connect_options"]

_new = tuple.__new__


def _all_rows(cur: Any) -> Reply:
    """Every remaining row of ``cur`` as a reply (the reply too is made while the
    collector is paused: an allocation between two pauses would start a collection)."""
    rows = cur.fetchall()
    return _new(Reply, (rows if type(rows) is list else list(rows), -1, None, (), None))


def _import() -> Any:
    try:
        import pymysql
    except ImportError:
        raise exc.ConfigurationError(
            "MySQL/MariaDB needs the PyMySQL driver: pip install 'ormolu[mysql]'"
        ) from None
    return pymysql


class PyMySQLConnection(MySQLState):
    """A PyMySQL connection with error mapping and logging."""

    def __init__(self, url: URL, connect_timeout: float = 10.0) -> None:
        pymysql = _import()
        self._pymysql = pymysql
        self._init_state(url)
        self._stream: _BufferedStream | None = None  # an open unbuffered result
        kwargs: dict[str, Any] = {
            "host": url.host or "localhost",
            "port": url.port or 3306,
            "user": url.user or "root",
            "password": url.password or "",
            "charset": "utf8mb4",
            "autocommit": True,
            "connect_timeout": connect_timeout,
            "client_flag": pymysql.constants.CLIENT.FOUND_ROWS,
        }
        if url.database:
            kwargs["database"] = url.database
        kwargs.update(connect_options(url))
        try:
            self.raw = pymysql.connect(**kwargs)
            cur = self.raw.cursor()
            for sql in SETUP:
                cur.execute(sql)
        except pymysql.Error as e:
            raise connect_error(e, url) from None
        self.server_version = self.raw.get_server_info()

    def _map(self, error: Any, sql: str) -> exc.DatabaseError:
        mapped: exc.DatabaseError = map_error(
            error, sql, self._secrets, self._pymysql.err, not self.raw.open
        )
        if type(mapped) is exc.ConnectionLost:
            self._broken = True
        return mapped

    def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`)
        and read back what it wants. Raises the mapped ormolu error."""
        if type(step) is not Execute:
            return self._run_other(step)
        if step.sql == "COMMIT" and self.is_broken():
            raise lost_before_send(step.sql)
        if self._stream is not None:
            self._drain_stream()
        if self._timeout_applied != self.statement_timeout:
            self._apply_timeout()
        started = time.perf_counter()
        try:
            return self._execute(step)
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(step.sql, step.params, started, step.many)

    def _execute(self, step: Execute) -> Reply:
        sql, params, many, want, limit = step
        cur = self.raw.cursor()
        try:
            if many:
                cur.executemany(sql, [tuple(r) for r in params])
            else:
                query, args = bind_args(sql, params)
                cur.execute(query, args)
                self._track(sql)
        except self._pymysql.Error as e:
            if params and isinstance(e, self._pymysql.ProgrammingError) and is_bind_error(e):
                raise bind_error(e, sql, params[0] if many else params) from e
            raise self._map(e, sql) from e
        except (TypeError, ValueError) as e:
            if not params:
                raise
            raise bind_error(e, sql, params[0] if many else params) from e
        if want == ROWS:
            if not limit:  # a whole result: read with the collector paused (see
                # ormolu.collector: it has arrived, or is read from a local file)
                return without_gc1(_all_rows, cur)
            return _new(Reply, (list(cur.fetchmany(limit)), -1, None, (), None))
        if want == ROWCOUNT:
            return _new(Reply, ((), cur.rowcount, None, (), None))
        if want == LASTROWID:
            return _new(Reply, ((), cur.rowcount, cur.lastrowid, (), None))
        if want == RESULT:
            desc = cur.description
            if desc is None:
                return Reply([], cur.rowcount, cur.lastrowid)
            names = tuple(d[0] for d in desc)
            return Reply(list(cur.fetchall()), cur.rowcount, cur.lastrowid, names)
        return EMPTY

    def _run_other(self, step: Any) -> Reply:
        if type(step) is OpenStream:
            return Reply([], handle=self._open_stream(step.sql, step.params))
        if type(step) is FetchStream:
            try:
                return Reply(step.handle.fetchmany(step.size))
            except self._pymysql.Error as e:
                raise self._map(e, "(fetching a streamed result)") from e
        if type(step) is CloseStream:
            if self._stream is step.handle:
                self._stream = None
            try:
                step.handle.close()
            except self._pymysql.Error:
                pass
            return EMPTY
        if type(step) is SetTimeout:
            self.set_statement_timeout(step.seconds)
            return EMPTY
        raise TypeError(f"not a step of the operation protocol: {step!r}")

    def _open_stream(self, sql: str, params: Sequence[Any]) -> _BufferedStream:
        """An unbuffered cursor: rows are read from the server as they are fetched.

        MySQL cannot run another statement on the connection while such a result is
        open; if one is run (a lazy load inside the loop), the rest of the result is
        read into memory first, so no row is lost."""
        self._drain_stream()
        if self._timeout_applied != self.statement_timeout:
            self._apply_timeout()
        started = time.perf_counter()
        cur = self.raw.cursor(self._pymysql.cursors.SSCursor)
        query, args = bind_args(sql, params)
        try:
            cur.execute(query, args)
        except self._pymysql.Error as e:
            raise self._map(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, params, started)
        self._stream = _BufferedStream(cur)
        return self._stream

    def _apply_timeout(self) -> None:
        sql = self._timeout_sql()
        try:
            self.raw.cursor().execute(sql)
        except self._pymysql.Error as e:
            raise self._map(e, sql) from e
        self._timeout_applied = self.statement_timeout

    def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time."""
        self.run(Execute(sql))

    def _drain_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.buffer_rest()

    def rollback(self) -> None:
        """Roll back the open transaction."""
        self.run(Execute("ROLLBACK"))

    def reset(self) -> None:
        """Make the connection as new for its next user: no open result, no transaction,
        the server's default statement timeout."""
        self._drain_stream()
        if self._in_tx:
            self.rollback()
        self.statement_timeout = None

    def is_broken(self) -> bool:
        """Whether the connection was lost."""
        return self._broken or not self.raw.open

    def seems_alive(self) -> bool:
        """Whether the idle connection's socket is quiet (see ``base.socket_quiet``): a
        killed connection's socket reads end of stream."""
        sock = getattr(self.raw, "_sock", None)  # PyMySQL keeps it there while open
        if sock is None:
            return False
        try:
            return socket_quiet(sock.fileno())
        except Exception:
            return False

    def ping(self) -> bool:
        """Check the connection (without reconnecting)."""
        try:
            self.raw.ping(reconnect=False)
            return True
        except Exception:
            self._broken = True
            return False

    def close(self) -> None:
        """Close the connection."""
        try:
            self.raw.close()
        except Exception:
            pass


class _BufferedStream:
    """An unbuffered cursor that can be switched to reading from memory."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.rest: list[Any] | None = None

    def buffer_rest(self) -> None:
        """Read every remaining row now (another statement is about to run)."""
        if self.rest is None:
            self.rest = list(self.cursor.fetchall())
            self.cursor.close()

    def fetchmany(self, size: int) -> list[Any]:
        """The next ``size`` rows (fewer at the end)."""
        if self.rest is None:
            return list(self.cursor.fetchmany(size))
        rows, self.rest = self.rest[:size], self.rest[size:]
        return rows

    def fetchall(self) -> list[Any]:
        """Every remaining row."""
        if self.rest is None:
            return list(self.cursor.fetchall())
        rows, self.rest = self.rest, []
        return rows

    def fetchone(self) -> Any:
        """The next row or None."""
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def close(self) -> None:
        """Close the cursor."""
        self.cursor.close()
