"""What every PostgreSQL driver connection shares, sync or async: the error table, the
connect parameters and the bookkeeping of the connection's state.

psycopg 3 serves both front ends (``psycopg.py``: ``psycopg.Connection``;
``psycopg_async.py``: ``psycopg.AsyncConnection``). Both map errors with
:meth:`PostgreSQLState._map` from the one SQLSTATE table below (PostgreSQL manual,
Appendix A), refuse statements after a failed transaction the same way, and keep the
statement timeout in force the same way; only the waiting differs.
"""

from __future__ import annotations

import re
from typing import Any

from .. import exceptions as exc
from ..exceptions import ConfigurationError
from ..protocol import Execute
from ..url import URL
from .base import hide_secrets, lost_before_send, placeholder_mismatch, secrets_of, socket_quiet

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
# psycopg's refusal of a statement whose placeholders do not match its values
_COUNTS = re.compile(r"the query has (\d+) placeholders? but (\d+) parameters? (?:were|was) passed")
UNKNOWN = -1.0  # the statement timeout in force is not known (a ROLLBACK may have undone it)


def _import() -> Any:
    try:
        import psycopg
    except ImportError:
        raise exc.ConfigurationError(
            "PostgreSQL needs the psycopg driver: pip install 'ormolu[postgresql]'"
        ) from None
    return psycopg


def statement_refused(message: str, sql: str) -> exc.ProgrammingError:
    """The ProgrammingError for a statement psycopg (or the asyncpg driver, which reads
    placeholders as psycopg does) refused before sending it: placeholders that do not
    match the values (counts parsed from ``message``), or are not psycopg's."""
    found = _COUNTS.search(message)
    if found is not None:
        return placeholder_mismatch(sql, int(found.group(1)), int(found.group(2)))
    return placeholder_mismatch(sql, None, None, message)


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


def connect_kwargs(url: URL, connect_timeout: float) -> dict[str, Any]:
    """The keyword arguments of ``psycopg.connect`` / ``AsyncConnection.connect`` for
    ``url``: autocommit (the session sends BEGIN itself), the URL's parts and options."""
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
    return kwargs


def connect_error(error: Exception, url: URL) -> exc.OperationalError:
    """The OperationalError for a failed connection attempt, its secrets hidden."""
    message = f"cannot connect to PostgreSQL: {error}"
    return exc.OperationalError(hide_secrets(message, secrets_of(url)))


class PostgreSQLState:
    """The state both psycopg connection classes keep, and the decisions taken on it.

    ``raw`` is the psycopg connection (sync or async: only its non-waiting attributes
    are used here). ``statement_timeout`` is what the session asked for (seconds, or
    ``None``); ``_timeout_applied`` what the server has; ``_failed`` the error that failed
    the open transaction, after which PostgreSQL refuses all but ROLLBACK.
    """

    max_variables = 65535
    raw: Any

    def _init_state(self, psycopg: Any, url: URL) -> None:
        self._psycopg = psycopg
        self._secrets = secrets_of(url)
        self.statement_timeout: float | None = None  # seconds; see set_statement_timeout
        self._timeout_applied: float | None = None  # what the server has (None: its default)
        # the error that failed the open transaction (PostgreSQL then refuses all but
        # ROLLBACK): raised as PendingRollbackError before sending anything else
        self._failed: Exception | None = None

    def _clean(self, message: str) -> str:
        return hide_secrets(message, self._secrets)

    def _map(self, error: Any, sql: str) -> exc.DatabaseError:
        """Translate a psycopg error into ormolu's hierarchy (the caller chains it)."""
        psycopg = self._psycopg
        state = getattr(error, "sqlstate", None) or ""
        message = self._clean(str(error).strip())
        cls = _SQLSTATE.get(state)
        if cls is None:
            if self.raw.broken or self.raw.closed:
                cls = exc.ConnectionLost
            elif not state and isinstance(error, psycopg.ProgrammingError):
                # refused by psycopg before sending: the statement's placeholders do not
                # fit its values (or another client-side misuse); nothing was sent
                return statement_refused(message, sql)
            elif state.startswith("23"):
                cls = exc.IntegrityError
            elif state.startswith("22") or isinstance(error, psycopg.DataError):
                cls = exc.DataError
            elif state.startswith("42"):  # syntax error or access rule violation
                cls = exc.ProgrammingError
            else:
                cls = exc.OperationalError
        return cls(message, sql=sql, code=state or None)

    def _refuse(self, sql: str) -> None:
        """Raise, before sending ``sql``, what PostgreSQL or a dead link would answer:
        PendingRollbackError in a failed transaction (all but ROLLBACK), ConnectionLost
        (``unsent``) for a COMMIT on a connection already gone."""
        if self._failed is not None and not sql.startswith("ROLLBACK"):
            failed = self._failed
            raise exc.PendingRollbackError(
                f"the transaction failed at an earlier statement ({failed}) and PostgreSQL "
                f"refuses every statement but ROLLBACK until it ends; call session.rollback()"
            ) from failed
        if sql == "COMMIT" and (self.raw.broken or self.raw.closed):
            raise lost_before_send(sql)

    def _failed_by(self, error: exc.DatabaseError) -> exc.DatabaseError:
        """Note ``error`` as the one that failed the transaction, if it did; return it."""
        if self._in_failed_transaction():
            self._failed = error
        return error

    def _succeeded(self, sql: str) -> None:
        if sql.startswith("ROLLBACK"):
            # A rolled-back SET is undone with it (PostgreSQL manual, SET).
            self._timeout_applied = UNKNOWN
            self._failed = None

    def _timeout_sql(self) -> str:
        seconds = self.statement_timeout
        if seconds is None:
            return "RESET statement_timeout"  # back to the connection's default
        # whole milliseconds, at least 1 (0 would mean "no limit")
        return f"SET statement_timeout = {max(1, round(seconds * 1000))}"

    def _status(self) -> Any:
        return self.raw.info.transaction_status

    def _in_failed_transaction(self) -> bool:
        try:
            status = self._status()
        except Exception:
            return False
        return bool(status == self._psycopg.pq.TransactionStatus.INERROR)

    def set_statement_timeout(self, seconds: float | None) -> None:
        """Limit each following statement to ``seconds`` (``None``: the connection's
        default); sent as ``SET statement_timeout`` before the next statement."""
        self.statement_timeout = seconds

    def in_transaction(self) -> bool:
        """Whether a transaction is open (or failed and awaiting rollback)."""
        return bool(self._status() != self._psycopg.pq.TransactionStatus.IDLE)

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


class AsyncPostgreSQLState(PostgreSQLState):
    """:class:`PostgreSQLState` with the connection-level steps both asyncio drivers
    (psycopg's ``AsyncConnection``, asyncpg) take alike, each through the driver's own
    ``async run(step)``."""

    async def run(self, step: Any) -> Any:
        raise NotImplementedError

    async def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time (raises the mapped ormolu error)."""
        await self.run(Execute(sql))

    async def rollback(self) -> None:
        """Roll back the open transaction."""
        await self.run(Execute("ROLLBACK"))

    async def reset(self) -> None:
        """Make the connection as new for its next user: no transaction, the default
        statement timeout."""
        if self.in_transaction():
            await self.rollback()
        self._failed = None
        self.statement_timeout = None
