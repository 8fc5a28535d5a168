"""PostgreSQL through psycopg 3 (https://www.psycopg.org/psycopg3/docs/).

The connection runs in autocommit mode so that the session issues ``BEGIN``/``COMMIT``
itself. Errors are mapped from SQLSTATE codes (PostgreSQL manual, Appendix A) by
:class:`~ormolu.drivers.postgresql.PostgreSQLState`, shared with the async connection
(``psycopg_async.py``). Install with ``pip install 'ormolu[postgresql]'``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from itertools import count
from typing import Any

from ..collector import without_gc1
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
from .base import concurrent_use, log_statement, logger
from .postgresql import PostgreSQLState, _import, connect_error, connect_kwargs, connect_options

__all__ = ["PsycopgConnection", "_import", "connect_options"]

_new = tuple.__new__


def _all_rows(cur: Any) -> Reply:
    """Every remaining row of ``cur`` as a reply (the reply too is made while the
    collector is paused: an allocation between two pauses would start a collection)."""
    rows = cur.fetchall()
    return _new(Reply, (rows if type(rows) is list else list(rows), -1, None, (), None))


_names = count(1)


class PsycopgConnection(PostgreSQLState):
    """A psycopg 3 connection with error mapping and logging."""

    def __init__(self, url: URL, connect_timeout: float = 10.0) -> None:
        psycopg = _import()
        self._init_state(psycopg, url)
        kwargs = connect_kwargs(url, connect_timeout)
        try:
            self.raw = psycopg.connect(**kwargs)
        except psycopg.Error as e:
            raise connect_error(e, url) from None
        # One cursor for every plain statement (``Connection.execute`` builds one per
        # call: about 40 % of a one-row INSERT's client cost). A reply carries plain data
        # read before ``run`` returns; ``_busy`` refuses a statement sent while another
        # is in flight (one session used by two threads at once, which a session does
        # not support), so two callers never read each other's results.
        self._cur = self.raw.cursor()
        self._busy = False

    def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`)
        and read back what it wants. Raises the mapped ormolu error."""
        if type(step) is not Execute:
            return self._run_other(step)
        if self._busy:
            raise concurrent_use(step)
        self._refuse(step.sql)
        if self._timeout_applied != self.statement_timeout:
            self._apply_timeout()
        started = time.perf_counter()
        self._busy = True
        try:
            return self._execute(step)
        finally:
            self._busy = False
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(step.sql, step.params, started, step.many)

    def _execute(self, step: Execute) -> Reply:
        sql, params, many, want, limit = step
        cur = self._cur
        try:
            if many:
                cur.executemany(sql, params)
            else:
                cur.execute(sql, params)
            if want == ROWS:
                if not limit:  # a whole result: read with the collector paused (see
                    # ormolu.collector: it has arrived, or is read from a local file)
                    return without_gc1(_all_rows, cur)
                return _new(Reply, (cur.fetchmany(limit), -1, None, (), None))
            if want == ROWCOUNT:
                return _new(Reply, ((), cur.rowcount, None, (), None))
            if want == RESULT:
                desc = cur.description
                if desc is None:
                    reply = Reply([], cur.rowcount)
                else:
                    names = tuple(d.name for d in desc)
                    reply = Reply(cur.fetchall(), cur.rowcount, None, names)
            else:
                reply = EMPTY
        except self._psycopg.Error as e:
            raise self._failed_by(self._map(e, sql)) from e
        self._succeeded(sql)
        return reply

    def _run_other(self, step: Any) -> Reply:
        if type(step) is OpenStream:
            return Reply([], handle=self._open_stream(step.sql, step.params, step.size))
        if type(step) is FetchStream:
            try:
                return Reply(step.handle.fetchmany(step.size))
            except self._psycopg.Error as e:
                raise self._map(e, "(fetching a streamed result)") from e
        if type(step) is CloseStream:
            try:
                step.handle.close()
            except self._psycopg.Error:
                pass  # the transaction (and the cursor with it) already ended
            return EMPTY
        if type(step) is SetTimeout:
            self.set_statement_timeout(step.seconds)
            return EMPTY
        raise TypeError(f"not a step of the operation protocol: {step!r}")

    def _open_stream(self, sql: str, params: Sequence[Any], size: int) -> Any:
        """A server-side cursor, so rows arrive ``size`` at a time (needs a transaction)."""
        if self._timeout_applied != self.statement_timeout:
            self._apply_timeout()
        started = time.perf_counter()
        cur = self.raw.cursor(name=f"ormolu_stream_{next(_names)}")
        cur.itersize = size
        try:
            cur.execute(sql, params)
        except self._psycopg.Error as e:
            raise self._map(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, params, started)
        return cur

    def _apply_timeout(self) -> None:
        sql = self._timeout_sql()
        try:
            self.raw.execute(sql)
        except self._psycopg.Error as e:
            raise self._map(e, sql) from e
        self._timeout_applied = self.statement_timeout

    def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time."""
        self.run(Execute(sql))

    def rollback(self) -> None:
        """Roll back the open transaction."""
        self.run(Execute("ROLLBACK"))

    def reset(self) -> None:
        """Make the connection as new for its next user: no transaction, the default
        statement timeout."""
        if self.in_transaction():
            self.rollback()
        self._failed = None
        self.statement_timeout = None

    def ping(self) -> bool:
        """Check the connection with ``SELECT 1``."""
        try:
            self.raw.execute("SELECT 1")
            return True
        except self._psycopg.Error:
            return False

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()
