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
from ..collector import without_gc1
from ..exceptions import ConfigurationError
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
from .base import (
    hide_secrets,
    log_statement,
    logger,
    lost_before_send,
    secrets_of,
    socket_quiet,
)

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
    "57014": exc.StatementTimeout,  # query_canceled (statement_timeout)
}
_new = tuple.__new__


def _all_rows(cur: Any) -> Reply:
    """Every remaining row of ``cur`` as a reply (the reply too is made while the
    collector is paused: an allocation between two pauses would start a collection)."""
    rows = cur.fetchall()
    return _new(Reply, (rows if type(rows) is list else list(rows), -1, None, (), None))


_UNKNOWN = -1.0  # the statement timeout in force is not known (a ROLLBACK may have undone it)
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
        self.statement_timeout: float | None = None  # seconds; see set_statement_timeout
        self._timeout_applied: float | None = None  # what the server has (None: its default)
        # the error that failed the open transaction (PostgreSQL then refuses all but
        # ROLLBACK): raised as PendingRollbackError before sending anything else
        self._failed: Exception | None = None

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

    def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`)
        and read back what it wants. Raises the mapped ormolu error."""
        if type(step) is not Execute:
            return self._run_other(step)
        if self._failed is not None and not step.sql.startswith("ROLLBACK"):
            failed = self._failed
            raise exc.PendingRollbackError(
                f"the transaction failed at an earlier statement ({failed}) and PostgreSQL "
                f"refuses every statement but ROLLBACK until it ends; call session.rollback()"
            ) from failed
        if step.sql == "COMMIT" and (self.raw.broken or self.raw.closed):
            raise lost_before_send(step.sql)
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
        raw = self.raw
        try:
            if many:
                cur = raw.cursor()
                cur.executemany(sql, params)
            else:
                cur = raw.execute(sql, params)
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
            error = self._map(e, sql)
            if self._in_failed_transaction():
                self._failed = error
            raise error from e
        if sql.startswith("ROLLBACK"):
            # A rolled-back SET is undone with it (PostgreSQL manual, SET).
            self._timeout_applied = _UNKNOWN
            self._failed = None
        return reply

    def _in_failed_transaction(self) -> bool:
        try:
            status = self.raw.info.transaction_status
        except Exception:
            return False
        return bool(status == self._psycopg.pq.TransactionStatus.INERROR)

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

    def set_statement_timeout(self, seconds: float | None) -> None:
        """Limit each following statement to ``seconds`` (``None``: the connection's
        default); sent as ``SET statement_timeout`` before the next statement."""
        self.statement_timeout = seconds

    def _apply_timeout(self) -> None:
        seconds = self.statement_timeout
        if seconds is None:
            sql = "RESET statement_timeout"  # back to the connection's default
        else:
            # whole milliseconds, at least 1 (0 would mean "no limit")
            sql = f"SET statement_timeout = {max(1, round(seconds * 1000))}"
        try:
            self.raw.execute(sql)
        except self._psycopg.Error as e:
            raise self._map(e, sql) from e
        self._timeout_applied = seconds

    def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time."""
        self.run(Execute(sql))

    def in_transaction(self) -> bool:
        """Whether a transaction is open (or failed and awaiting rollback)."""
        status = self.raw.info.transaction_status
        return bool(status != self._psycopg.pq.TransactionStatus.IDLE)

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
