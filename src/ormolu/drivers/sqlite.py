"""SQLite through the standard library's ``sqlite3`` module.

The connection runs in autocommit mode (``isolation_level=None``) so that the session
issues ``BEGIN``/``COMMIT``/``SAVEPOINT`` itself. Errors are mapped from SQLite's extended
result codes (https://sqlite.org/rescode.html), available on Python 3.11+ exceptions.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from .. import exceptions as exc
from .base import log_statement, logger

_CONSTRAINT_ERRORS: dict[int, type[exc.IntegrityError]] = {
    2067: exc.UniqueViolation,  # SQLITE_CONSTRAINT_UNIQUE
    1555: exc.UniqueViolation,  # SQLITE_CONSTRAINT_PRIMARYKEY
    2579: exc.UniqueViolation,  # SQLITE_CONSTRAINT_ROWID
    787: exc.ForeignKeyViolation,  # SQLITE_CONSTRAINT_FOREIGNKEY
    1299: exc.NotNullViolation,  # SQLITE_CONSTRAINT_NOTNULL
    275: exc.CheckViolation,  # SQLITE_CONSTRAINT_CHECK
}


# SQLite reports wrong SQL as SQLITE_ERROR (code 1) with a message (sqlite3.c: "no such
# table: %s", "no such column: %s", "near \"%s\": syntax error", ...): matched by prefix.
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


def map_error(error: sqlite3.Error, sql: str) -> exc.DatabaseError:
    """Translate a ``sqlite3`` error into ormolu's hierarchy (the caller chains it)."""
    code = getattr(error, "sqlite_errorcode", None)
    cls: type[exc.DatabaseError]
    if isinstance(error, sqlite3.IntegrityError):
        cls = _CONSTRAINT_ERRORS.get(code or 0, exc.IntegrityError)
        return cls(str(error), sql=sql, code=code)
    if isinstance(error, sqlite3.DataError):
        return exc.DataError(str(error), sql=sql, code=code)
    if code is not None and code & 0xFF in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED (+ extended)
        return exc.LockNotAvailable(str(error), sql=sql, code=code)
    message = str(error)
    if code == 1 or isinstance(error, sqlite3.ProgrammingError):  # SQLITE_ERROR
        if "syntax error" in message:
            return exc.ProgrammingError(message, sql=sql, code=code)
        for prefix, cls in _PROGRAMMING_MESSAGES:
            if message.startswith(prefix):
                if cls is exc.ProgrammingError and prefix == "table " and "no column" in message:
                    cls = exc.UndefinedColumn  # "table t has no column named c" (INSERT)
                return cls(message, sql=sql, code=code)
    return exc.OperationalError(message, sql=sql, code=code)


class SQLiteConnection:
    """A ``sqlite3`` connection in autocommit mode with error mapping and logging."""

    def __init__(self, database: str, *, uri: bool = False, timeout: float = 5.0) -> None:
        try:
            self.raw = sqlite3.connect(
                database, isolation_level=None, check_same_thread=False, uri=uri, timeout=timeout
            )
        except sqlite3.Error as e:
            raise exc.OperationalError(f"cannot open SQLite database: {e}") from e
        self.max_variables = self.raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; return the cursor."""
        if logger.isEnabledFor(logging.DEBUG):
            started = time.perf_counter()
            try:
                return self.raw.execute(sql, params)
            except sqlite3.Error as e:
                raise map_error(e, sql) from e
            finally:
                log_statement(sql, params, started)
        try:
            return self.raw.execute(sql, params)
        except sqlite3.Error as e:
            raise map_error(e, sql) from e

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        """Run one statement once per parameter row; return the cursor."""
        started = time.perf_counter()
        try:
            return self.raw.executemany(sql, rows)
        except sqlite3.Error as e:
            raise map_error(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, rows, started, many=True)

    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""
        return self.raw.in_transaction

    def rollback(self) -> None:
        """Roll back the open transaction."""
        self.raw.execute("ROLLBACK")

    def is_broken(self) -> bool:
        """A local file connection does not break."""
        return False

    def ping(self) -> bool:
        """Always alive."""
        return True

    def stream(self, sql: str, params: Sequence[Any], size: int) -> Any:
        """A cursor to fetch from in chunks (SQLite cursors step lazily)."""
        return self.execute(sql, params)

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()
