"""PostgreSQL through psycopg 3 (https://www.psycopg.org/psycopg3/docs/).

The connection runs in autocommit mode so that the session issues ``BEGIN``/``COMMIT``
itself. Errors are mapped from SQLSTATE codes (PostgreSQL manual, Appendix A).
Install with ``pip install 'ormolu[postgresql]'``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from itertools import count
from typing import Any

from .. import exceptions as exc
from ..exceptions import ConfigurationError
from ..url import URL
from .base import hide_secrets, log_statement, logger, secrets_of, socket_quiet

_SQLSTATE: dict[str, type[exc.DatabaseError]] = {
    "23505": exc.UniqueViolation,
    "23503": exc.ForeignKeyViolation,
    "23502": exc.NotNullViolation,
    "23514": exc.CheckViolation,
    "40001": exc.SerializationFailure,
    "40P01": exc.DeadlockDetected,
    "55P03": exc.LockNotAvailable,  # lock_not_available (NOWAIT, lock_timeout)
    "57P01": exc.ConnectionLost,  # admin_shutdown, also pg_terminate_backend()
    "57P02": exc.ConnectionLost,  # crash_shutdown
    "57P03": exc.ConnectionLost,  # cannot_connect_now
    "42P01": exc.UndefinedTable,  # undefined_table
    "42703": exc.UndefinedColumn,  # undefined_column
}
_names = count(1)


def _import() -> Any:
    try:
        import psycopg
    except ImportError:
        raise exc.ConfigurationError(
            "PostgreSQL needs the psycopg driver: pip install 'ormolu[postgresql]'"
        ) from None
    return psycopg


def connect_options(url: URL) -> dict[str, str]:
    """The URL's query options as libpq connection parameters (``?sslmode=require``,
    ``?application_name=app``, ``?options=-c statement_timeout=5000``).

    Raises ConfigurationError, before any connection is tried, for a name libpq does not
    know and for ``autocommit``, which ormolu manages (the session sends BEGIN itself).
    """
    psycopg = _import()
    if "autocommit" in url.options:
        raise ConfigurationError("the 'autocommit' URL option is managed by ormolu")
    try:
        psycopg.conninfo.make_conninfo("", **url.options)
    except psycopg.Error as e:
        raise ConfigurationError(f"PostgreSQL URL option refused: {e}") from None
    return dict(url.options)


class PsycopgConnection:
    """A psycopg 3 connection with error mapping and logging."""

    max_variables = 65535

    def __init__(self, url: URL, connect_timeout: float = 10.0) -> None:
        psycopg = _import()
        self._psycopg = psycopg
        self._secrets = secrets_of(url)
        kwargs: dict[str, Any] = {
            "host": url.host or "localhost",
            "port": url.port or 5432,
            "dbname": url.database or "postgres",
            "autocommit": True,
            "connect_timeout": max(1, int(connect_timeout)),
        }
        if url.user:
            kwargs["user"] = url.user
        if url.password:
            kwargs["password"] = url.password
        kwargs.update(connect_options(url))
        try:
            self.raw = psycopg.connect(**kwargs)
        except psycopg.Error as e:
            raise exc.OperationalError(self._clean(f"cannot connect to PostgreSQL: {e}")) from None

    def _clean(self, message: str) -> str:
        return hide_secrets(message, self._secrets)

    def _map(self, error: Any, sql: str) -> exc.DatabaseError:
        psycopg = self._psycopg
        state = getattr(error, "sqlstate", None) or ""
        message = self._clean(str(error).strip())
        cls = _SQLSTATE.get(state)
        if cls is None:
            if self.raw.broken or self.raw.closed:
                cls = exc.ConnectionLost
            elif state.startswith("23"):
                cls = exc.IntegrityError
            elif state.startswith("22") or isinstance(error, psycopg.DataError):
                cls = exc.DataError
            elif state.startswith("42"):  # syntax error or access rule violation
                cls = exc.ProgrammingError
            else:
                cls = exc.OperationalError
        return cls(message, sql=sql, code=state or None)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; return the cursor."""
        started = time.perf_counter()
        try:
            return self.raw.execute(sql, params)
        except self._psycopg.Error as e:
            raise self._map(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, params, started)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        """Run one statement for each parameter row; return the cursor."""
        started = time.perf_counter()
        cur = self.raw.cursor()
        try:
            cur.executemany(sql, rows)
            return cur
        except self._psycopg.Error as e:
            raise self._map(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, rows, started, many=True)

    def stream(self, sql: str, params: Sequence[Any], size: int) -> Any:
        """A server-side cursor, so rows arrive ``size`` at a time (needs a transaction)."""
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

    def in_transaction(self) -> bool:
        """Whether a transaction is open (or failed and awaiting rollback)."""
        status = self.raw.info.transaction_status
        return bool(status != self._psycopg.pq.TransactionStatus.IDLE)

    def rollback(self) -> None:
        """Roll back the open transaction."""
        self.execute("ROLLBACK")

    def is_broken(self) -> bool:
        """Whether the connection is closed or lost."""
        return bool(self.raw.broken or self.raw.closed)

    def seems_alive(self) -> bool:
        """Whether the idle connection's socket is quiet (see ``base.socket_quiet``): a
        terminated backend leaves its FATAL message and end of stream there."""
        try:
            return socket_quiet(self.raw.fileno())
        except Exception:
            return False

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
