"""MySQL and MariaDB through PyMySQL (https://pymysql.readthedocs.io/).

Why PyMySQL: it is pure Python, so ``pip install`` works on any machine without a C
compiler or the MySQL client headers; it is actively maintained and speaks both MySQL and
MariaDB. mysqlclient (C) is faster and can be added as another module here: the rest of
ormolu only sees this module's connection class.

PyMySQL sends statements with parameters escaped by the driver (client-side binding);
ormolu never formats values into SQL itself. Connections use ``utf8mb4``, UTC
(``time_zone = '+00:00'``), strict SQL mode, and report *matched* rows for UPDATE
(``CLIENT.FOUND_ROWS``) so that an UPDATE which changes nothing is not mistaken for a
missing row. Error codes: MariaDB server error reference.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from .. import exceptions as exc
from ..collector import without_gc1
from ..exceptions import ConfigurationError
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
from .base import (
    hide_secrets,
    log_statement,
    logger,
    lost_before_send,
    secrets_of,
    socket_quiet,
)

_CODES: dict[int, type[exc.DatabaseError]] = {
    1062: exc.UniqueViolation,  # ER_DUP_ENTRY
    1586: exc.UniqueViolation,  # ER_DUP_ENTRY_WITH_KEY_NAME
    1451: exc.ForeignKeyViolation,  # ER_ROW_IS_REFERENCED_2
    1452: exc.ForeignKeyViolation,  # ER_NO_REFERENCED_ROW_2
    1216: exc.ForeignKeyViolation,
    1217: exc.ForeignKeyViolation,
    1048: exc.NotNullViolation,  # ER_BAD_NULL_ERROR
    1364: exc.NotNullViolation,  # ER_NO_DEFAULT_FOR_FIELD
    4025: exc.CheckViolation,  # MariaDB ER_CONSTRAINT_FAILED
    3819: exc.CheckViolation,  # MySQL ER_CHECK_CONSTRAINT_VIOLATED
    1213: exc.DeadlockDetected,  # ER_LOCK_DEADLOCK
    1205: exc.LockNotAvailable,  # ER_LOCK_WAIT_TIMEOUT (also MariaDB's NOWAIT)
    3572: exc.LockNotAvailable,  # ER_LOCK_NOWAIT (MySQL 8)
    1020: exc.SerializationFailure,  # ER_CHECKREAD (record changed since last read)
    1406: exc.DataError,  # ER_DATA_TOO_LONG
    1264: exc.DataError,  # ER_WARN_DATA_OUT_OF_RANGE
    1366: exc.DataError,  # ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    1292: exc.DataError,  # ER_TRUNCATED_WRONG_VALUE ("Incorrect date value", strict mode)
    1365: exc.DataError,  # ER_DIVISION_BY_ZERO (strict mode, ERROR_FOR_DIVISION_BY_ZERO)
    1690: exc.DataError,  # ER_DATA_OUT_OF_RANGE ("BIGINT value is out of range")
    2006: exc.ConnectionLost,  # CR_SERVER_GONE_ERROR
    2013: exc.ConnectionLost,  # CR_SERVER_LOST
    1927: exc.ConnectionLost,  # ER_CONNECTION_KILLED (MariaDB)
    4031: exc.ConnectionLost,  # ER_CLIENT_INTERACTION_TIMEOUT
    1146: exc.UndefinedTable,  # ER_NO_SUCH_TABLE
    1051: exc.UndefinedTable,  # ER_BAD_TABLE_ERROR (DROP of an unknown table)
    1054: exc.UndefinedColumn,  # ER_BAD_FIELD_ERROR
    1064: exc.ProgrammingError,  # ER_PARSE_ERROR
    1149: exc.ProgrammingError,  # ER_SYNTAX_ERROR
    1050: exc.ProgrammingError,  # ER_TABLE_EXISTS_ERROR
    1305: exc.ProgrammingError,  # ER_SP_DOES_NOT_EXIST ("FUNCTION x does not exist")
    1630: exc.ProgrammingError,  # ER_FUNC_INEXISTENT_NAME_COLLISION
    1582: exc.ProgrammingError,  # ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT
    1052: exc.ProgrammingError,  # ER_NON_UNIQ_ERROR (ambiguous column)
    1066: exc.ProgrammingError,  # ER_NONUNIQ_TABLE ("Not unique table/alias")
    1109: exc.ProgrammingError,  # ER_UNKNOWN_TABLE ("Unknown table 'x' in field list")
    1111: exc.ProgrammingError,  # ER_INVALID_GROUP_FUNC_USE
    1140: exc.ProgrammingError,  # ER_MIX_OF_GROUP_FUNC_AND_FIELDS
    1055: exc.ProgrammingError,  # ER_WRONG_FIELD_WITH_GROUP
    1969: exc.StatementTimeout,  # MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
    3024: exc.StatementTimeout,  # MySQL ER_QUERY_TIMEOUT (max_execution_time)
}
_new = tuple.__new__


def _all_rows(cur: Any) -> Reply:
    """Every remaining row of ``cur`` as a reply (the reply too is made while the
    collector is paused: an allocation between two pauses would start a collection)."""
    rows = cur.fetchall()
    return _new(Reply, (rows if type(rows) is list else list(rows), -1, None, (), None))


_SETUP = (
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
    "SET SESSION time_zone = '+00:00'",
)


def _import() -> Any:
    try:
        import pymysql
    except ImportError:
        raise exc.ConfigurationError(
            "MySQL/MariaDB needs the PyMySQL driver: pip install 'ormolu[mysql]'"
        ) from None
    return pymysql


# PyMySQL's connect() parameters that a URL may set (``?read_timeout=30``), by the type a
# URL's text is converted to; the others are ormolu's to set (autocommit, client_flag, ...).
_FLOAT_OPTIONS = frozenset({"connect_timeout", "read_timeout", "write_timeout"})
_INT_OPTIONS = frozenset({"max_allowed_packet"})
_BOOL_OPTIONS = frozenset(
    {"local_infile", "binary_prefix", "compress", "ssl_disabled", "ssl_verify_cert",
     "ssl_verify_identity"}
)  # fmt: skip
_STR_OPTIONS = frozenset(
    {"unix_socket", "charset", "collation", "init_command", "read_default_file",
     "read_default_group", "bind_address", "program_name", "server_public_key", "ssl_ca",
     "ssl_cert", "ssl_key", "ssl_key_password"}
)  # fmt: skip
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_MANAGED = frozenset(
    {"autocommit", "client_flag", "cursorclass", "conv", "defer_connect", "host", "port",
     "user", "password", "passwd", "database", "db", "sql_mode"}
)  # fmt: skip


def connect_options(url: URL) -> dict[str, Any]:
    """The URL's query options as PyMySQL connect() arguments, converted from text.

    Raises ConfigurationError, before any connection is tried, for an unknown name, a
    parameter ormolu sets itself (``autocommit``, ``client_flag``, ...) or a value of the
    wrong kind (``?read_timeout=soon``). Secret values are never shown.
    """
    converted: dict[str, Any] = {}
    for name, text in url.options.items():
        shown = "***" if "password" in name.lower() else repr(text)
        try:
            if name in _FLOAT_OPTIONS:
                converted[name] = float(text)
            elif name in _INT_OPTIONS:
                converted[name] = int(text)
            elif name in _BOOL_OPTIONS:
                if text.lower() not in _TRUE + _FALSE:
                    raise ValueError(text)
                converted[name] = text.lower() in _TRUE
            elif name in _STR_OPTIONS:
                converted[name] = text
            elif name in _MANAGED:
                raise ConfigurationError(
                    f"the MySQL connect() argument {name!r} is set by ormolu (or by the "
                    f"URL's user, password, host, port and database), not by a URL option"
                )
            else:
                known = sorted(_FLOAT_OPTIONS | _INT_OPTIONS | _BOOL_OPTIONS | _STR_OPTIONS)
                raise ConfigurationError(
                    f"unknown MySQL URL option {name!r}; PyMySQL options: {', '.join(known)}"
                )
        except ValueError:
            raise ConfigurationError(
                f"MySQL URL option {name!r} has a value of the wrong kind: {shown}"
            ) from None
    return converted


class PyMySQLConnection:
    """A PyMySQL connection with error mapping and logging."""

    max_variables = 65535

    def __init__(self, url: URL, connect_timeout: float = 10.0) -> None:
        pymysql = _import()
        self._pymysql = pymysql
        self._secrets = secrets_of(url)
        self._broken = False
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
            for sql in _SETUP:
                cur.execute(sql)
        except pymysql.Error as e:
            raise exc.OperationalError(self._clean(f"cannot connect to MySQL: {e}")) from None
        self.server_version = self.raw.get_server_info()
        self._in_tx = False
        self.statement_timeout: float | None = None  # seconds; see set_statement_timeout
        self._timeout_applied: float | None = None  # what the server has (None: its default)

    def _clean(self, message: str) -> str:
        return hide_secrets(message, self._secrets)

    def _map(self, error: Any, sql: str) -> exc.DatabaseError:
        pymysql = self._pymysql
        code = error.args[0] if error.args and isinstance(error.args[0], int) else None
        message = self._clean(str(error.args[1] if len(error.args) > 1 else error))
        cls = _CODES.get(code or 0)
        if cls is None:
            if isinstance(error, pymysql.err.IntegrityError):
                cls = exc.IntegrityError
            elif isinstance(error, pymysql.err.DataError):
                cls = exc.DataError
            elif isinstance(error, pymysql.err.InterfaceError) or not self.raw.open:
                cls = exc.ConnectionLost
            else:
                cls = exc.OperationalError
        if cls is exc.ConnectionLost:
            self._broken = True
        return cls(message, sql=sql, code=code)

    @staticmethod
    def _args(sql: str, params: Sequence[Any]) -> tuple[str, Any]:
        # PyMySQL interpolates only when given arguments; without them '%%' must be undone.
        if params:
            return sql, tuple(params)
        return sql.replace("%%", "%"), None

    def _track(self, sql: str) -> None:
        head = sql[:20].upper()
        if head.startswith(("BEGIN", "START TRANSACTION")):
            self._in_tx = True
        elif head.startswith(("COMMIT", "ROLLBACK")) and not head.startswith("ROLLBACK TO"):
            self._in_tx = False

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
                query, args = self._args(sql, params)
                cur.execute(query, args)
                self._track(sql)
        except self._pymysql.Error as e:
            raise self._map(e, sql) from e
        except (TypeError, ValueError) as e:
            if not params:
                raise
            # PyMySQL puts the values into the text with '%': a stray '%' or a wrong number
            # of values fails here, where the other drivers raise their own Error.
            raise exc.OperationalError(f"cannot bind the parameters: {e}", sql=sql) from e
        if want == ROWS:
            if not limit:  # a whole result (it has arrived): collector paused, see
                # ormolu.collector
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
        query, args = self._args(sql, params)
        try:
            cur.execute(query, args)
        except self._pymysql.Error as e:
            raise self._map(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, params, started)
        self._stream = _BufferedStream(cur)
        return self._stream

    def set_statement_timeout(self, seconds: float | None) -> None:
        """Limit each following statement to ``seconds`` (``None``: the server's default),
        sent before the next statement as MariaDB's ``max_statement_time`` (seconds) or
        MySQL's ``max_execution_time`` (milliseconds, which limits SELECTs only: MySQL
        reference manual, "max_execution_time")."""
        self.statement_timeout = seconds

    def _apply_timeout(self) -> None:
        seconds = self.statement_timeout
        mariadb = "mariadb" in self.server_version.lower()
        name = "max_statement_time" if mariadb else "max_execution_time"
        if seconds is None:
            value = "DEFAULT"
        elif mariadb:
            value = repr(max(0.001, float(seconds)))
        else:
            value = str(max(1, round(seconds * 1000)))
        sql = f"SET SESSION {name} = {value}"
        try:
            self.raw.cursor().execute(sql)
        except self._pymysql.Error as e:
            raise self._map(e, sql) from e
        self._timeout_applied = seconds

    def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time."""
        self.run(Execute(sql))

    def _drain_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.buffer_rest()

    def in_transaction(self) -> bool:
        """Whether a transaction begun by ormolu is open."""
        return self._in_tx

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
