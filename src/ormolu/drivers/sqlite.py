"""SQLite through the standard library's ``sqlite3`` module.

The connection runs in autocommit mode (``isolation_level=None``) so that the session
issues ``BEGIN``/``COMMIT``/``SAVEPOINT`` itself. Errors are mapped from SQLite's extended
result codes (https://sqlite.org/rescode.html), available on Python 3.11+ exceptions.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
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
from .base import log_statement, logger, placeholder_mismatch

_new = tuple.__new__


def _all_rows(cur: Any) -> Reply:
    """Every remaining row of ``cur`` as a reply (the reply too is made while the
    collector is paused: an allocation between two pauses would start a collection)."""
    rows = cur.fetchall()
    return _new(Reply, (rows if type(rows) is list else list(rows), -1, None, (), None))


# Autocommit mode (the session sends BEGIN itself); usable from the thread that opened it
# and others (the async driver reads ``in_transaction`` from the event loop's thread).
CONNECT_ARGS: dict[str, Any] = {"isolation_level": None, "check_same_thread": False}
_CONSTRAINT_ERRORS: dict[int, type[exc.IntegrityError]] = {
    2067: exc.UniqueViolation,  # SQLITE_CONSTRAINT_UNIQUE
    1555: exc.UniqueViolation,  # SQLITE_CONSTRAINT_PRIMARYKEY
    2579: exc.UniqueViolation,  # SQLITE_CONSTRAINT_ROWID
    787: exc.ForeignKeyViolation,  # SQLITE_CONSTRAINT_FOREIGNKEY
    1299: exc.NotNullViolation,  # SQLITE_CONSTRAINT_NOTNULL
    275: exc.CheckViolation,  # SQLITE_CONSTRAINT_CHECK
}


# SQLITE_ERROR covers every SQL mistake: its message tells them apart.
_PROGRAMMING_MESSAGES: tuple[tuple[str, type[exc.ProgrammingError]], ...] = (
    ("no such table", exc.UndefinedTable),
    ("no such column", exc.UndefinedColumn),
    ("table ", exc.ProgrammingError),  # "table x already exists", "table x has no column named"
    ("no such function", exc.ProgrammingError),
    ("wrong number of arguments", exc.ProgrammingError),
    ("misuse of", exc.ProgrammingError),
    ("ambiguous column name", exc.ProgrammingError),
    ("incomplete input", exc.ProgrammingError),
    ("unrecognized token", exc.ProgrammingError),
)


# sqlite3's refusal of a statement whose placeholders do not match its values
_BINDINGS = re.compile(r"statement uses (\d+), and there are (\d+) supplied")


def map_error(error: sqlite3.Error, sql: str, timed_out: bool = False) -> exc.DatabaseError:
    """Translate a ``sqlite3`` error into ormolu's hierarchy (the caller chains it);
    ``timed_out``: the statement timeout's progress handler interrupted it."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(error, sqlite3.IntegrityError):
        cls = _CONSTRAINT_ERRORS.get(code or 0, exc.IntegrityError)
        return cls(str(error), sql=sql, code=code)
    if isinstance(error, sqlite3.DataError):
        return exc.DataError(str(error), sql=sql, code=code)
    if code is not None and code & 0xFF == 9 and timed_out:  # SQLITE_INTERRUPT
        return exc.StatementTimeout(
            f"the statement ran longer than the statement timeout and was interrupted ({error})",
            sql=sql, code=code,
        )  # fmt: skip
    if code == 517:  # SQLITE_BUSY_SNAPSHOT
        # WAL mode: the transaction read a snapshot another connection has since written
        # past, so it may not write (https://sqlite.org/rescode.html#busy_snapshot):
        # waiting cannot help, running the transaction again can.
        return exc.SerializationFailure(
            f"{error} (SQLITE_BUSY_SNAPSHOT: the transaction's snapshot is out of date; "
            f"run it again, or begin it IMMEDIATE)",
            sql=sql, code=code,
        )  # fmt: skip
    if code is not None and code & 0xFF in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED (+ extended)
        return exc.LockNotAvailable(str(error), sql=sql, code=code)
    message = str(error)
    if isinstance(error, sqlite3.ProgrammingError):
        found = _BINDINGS.search(message)
        if found is not None:  # (refused before running: the transaction goes on)
            return placeholder_mismatch(sql, int(found.group(1)), int(found.group(2)))
    if code == 1 or isinstance(error, sqlite3.ProgrammingError):  # SQLITE_ERROR
        if "syntax error" in message:
            return exc.ProgrammingError(message, sql=sql, code=code)
        for prefix, wrong in _PROGRAMMING_MESSAGES:
            if message.startswith(prefix):
                if prefix == "table " and "no column" in message:
                    wrong = exc.UndefinedColumn  # "table t has no column named c" (INSERT)
                return wrong(message, sql=sql, code=code)
    return exc.OperationalError(message, sql=sql, code=code)


class SQLiteConnection:
    """A ``sqlite3`` connection in autocommit mode with error mapping and logging."""

    def __init__(
        self,
        database: str,
        *,
        uri: bool = False,
        timeout: float = 5.0,
        raw: sqlite3.Connection | None = None,
    ) -> None:
        if raw is None:  # (``raw``: one opened so already, by the async driver's thread)
            try:
                raw = sqlite3.connect(database, uri=uri, timeout=timeout, **CONNECT_ARGS)
            except sqlite3.Error as e:
                raise exc.OperationalError(f"cannot open SQLite database: {e}") from e
        self.raw = raw
        self.max_variables = self.raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.statement_timeout: float | None = None  # seconds (see set_statement_timeout)
        self._deadline = 0.0  # monotonic seconds at which the running statement times out

    def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`)
        and read back what it wants. Raises the mapped ormolu error."""
        if type(step) is not Execute:
            return self._run_other(step)
        if self.statement_timeout is not None:
            self._deadline = time.monotonic() + self.statement_timeout
        if logger.isEnabledFor(logging.DEBUG):
            started = time.perf_counter()
            try:
                return self._execute(step)
            finally:
                log_statement(step.sql, step.params, started, step.many)
        return self._execute(step)

    def _execute(self, step: Execute) -> Reply:
        sql, params, many, want, limit = step
        try:
            cur = self.raw.executemany(sql, params) if many else self.raw.execute(sql, params)
            if want == ROWS:
                if not limit:  # a whole result: read with the collector paused (see
                    # ormolu.collector: it has arrived, or is read from a local file)
                    return without_gc1(_all_rows, cur)
                return _new(Reply, (cur.fetchmany(limit), -1, None, (), None))
            if want == ROWCOUNT:
                return _new(Reply, ((), cur.rowcount, None, (), None))
            if want == LASTROWID:
                return _new(Reply, ((), cur.rowcount, cur.lastrowid, (), None))
            if want == RESULT:
                desc = cur.description
                if desc is None:
                    return Reply([], cur.rowcount, cur.lastrowid)
                return Reply(cur.fetchall(), cur.rowcount, cur.lastrowid, tuple(d[0] for d in desc))
            return EMPTY
        except sqlite3.Error as e:
            if sql == "ROLLBACK" and not self.raw.in_transaction:
                # SQLite ended the transaction itself: an interrupted write, or a full
                # disk, I/O error or lack of memory rolls it back (SQLite docs, "Response To
                # Errors Within A Transaction" and sqlite3_interrupt()). What ROLLBACK
                # was to do is done.
                return EMPTY
            raise self._map(e, sql) from e

    def _map(self, error: sqlite3.Error, sql: str) -> exc.DatabaseError:
        timed_out = self.statement_timeout is not None and time.monotonic() >= self._deadline
        return map_error(error, sql, timed_out)

    def _run_other(self, step: Any) -> Reply:
        if type(step) is OpenStream:
            # A sqlite3 cursor steps through the result as rows are fetched.
            cur = self.raw.cursor()
            started = time.perf_counter()
            try:
                cur.execute(step.sql, step.params)
            except sqlite3.Error as e:
                raise self._map(e, step.sql) from e
            finally:
                if logger.isEnabledFor(logging.DEBUG):
                    log_statement(step.sql, step.params, started)
            return Reply([], handle=cur)
        if type(step) is FetchStream:
            try:
                return Reply(step.handle.fetchmany(step.size))
            except sqlite3.Error as e:
                raise self._map(e, "(fetching a streamed result)") from e
        if type(step) is CloseStream:
            step.handle.close()
            return EMPTY
        if type(step) is SetTimeout:
            self.set_statement_timeout(step.seconds)
            return EMPTY
        raise TypeError(f"not a step of the operation protocol: {step!r}")

    def set_statement_timeout(self, seconds: float | None) -> None:
        """Interrupt any statement running longer than ``seconds`` (``None``: no limit).

        SQLite has no statement timeout of its own: a progress handler checks the clock
        every 1,000 virtual machine instructions and interrupts the statement once its
        time is up (https://sqlite.org/c3ref/progress_handler.html); it then fails with
        StatementTimeout."""
        if seconds == self.statement_timeout:
            return
        self.statement_timeout = seconds
        if seconds is None:
            self.raw.set_progress_handler(None, 0)
        else:
            self.raw.set_progress_handler(self._past_deadline, 1000)

    def _past_deadline(self) -> int:
        return 1 if time.monotonic() > self._deadline else 0

    def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time (a PRAGMA)."""
        self.run(Execute(sql))

    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""
        return self.raw.in_transaction

    def rollback(self) -> None:
        """Roll back the open transaction."""
        self.raw.execute("ROLLBACK")

    def reset(self) -> None:
        """Make the connection as new for its next user: no transaction, no timeout."""
        if self.raw.in_transaction:
            self.raw.execute("ROLLBACK")
        self.set_statement_timeout(None)

    def is_broken(self) -> bool:
        """A local file connection does not break."""
        return False

    def ping(self) -> bool:
        """Always alive."""
        return True

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()
