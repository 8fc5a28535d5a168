"""What every MySQL/MariaDB driver connection shares, sync or async: the error table, the
URL options, the session set-up, and the bookkeeping of transaction and statement timeout.

PyMySQL serves the sync front end (``pymysql.py``) and asyncmy the async one
(``asyncmy.py``); asyncmy is a port of PyMySQL, so both raise the PEP 249 classes with
the server's error code first in ``args``, and both map them with :func:`map_error`
from the one table below (MariaDB server error reference; MySQL error reference).
Connections use ``utf8mb4``, UTC (``time_zone = '+00:00'``), strict SQL mode, and report
*matched* rows for UPDATE (``CLIENT.FOUND_ROWS``) so that an UPDATE which changes nothing
is not mistaken for a missing row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .. import exceptions as exc
from ..exceptions import ConfigurationError
from ..url import URL
from .base import hide_secrets, placeholder_mismatch, secrets_of

_PERCENT = re.compile(r"%(.)", re.DOTALL)  # a conversion of Python's ``%`` formatting

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

SETUP = (
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
    "SET SESSION time_zone = '+00:00'",
)

# The driver connect() parameters that a URL may set (``?read_timeout=30``), by the type a
# URL's text is converted to; the others are ormolu's to set (autocommit, client_flag, ...).
# These are PyMySQL's names; the async driver takes the same URLs (see asyncmy.py).
FLOAT_OPTIONS = frozenset({"connect_timeout", "read_timeout", "write_timeout"})
INT_OPTIONS = frozenset({"max_allowed_packet"})
BOOL_OPTIONS = frozenset(
    {"local_infile", "binary_prefix", "compress", "ssl_disabled", "ssl_verify_cert",
     "ssl_verify_identity"}
)  # fmt: skip
STR_OPTIONS = frozenset(
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
            if name in FLOAT_OPTIONS:
                converted[name] = float(text)
            elif name in INT_OPTIONS:
                converted[name] = int(text)
            elif name in BOOL_OPTIONS:
                if text.lower() not in _TRUE + _FALSE:
                    raise ValueError(text)
                converted[name] = text.lower() in _TRUE
            elif name in STR_OPTIONS:
                converted[name] = text
            elif name in _MANAGED:
                raise ConfigurationError(
                    f"the MySQL connect() argument {name!r} is set by ormolu (or by the "
                    f"URL's user, password, host, port and database), not by a URL option"
                )
            else:
                known = sorted(FLOAT_OPTIONS | INT_OPTIONS | BOOL_OPTIONS | STR_OPTIONS)
                raise ConfigurationError(
                    f"unknown MySQL URL option {name!r}; PyMySQL options: {', '.join(known)}"
                )
        except ValueError:
            raise ConfigurationError(
                f"MySQL URL option {name!r} has a value of the wrong kind: {shown}"
            ) from None
    return converted


def connect_error(error: Exception, url: URL) -> exc.OperationalError:
    """The OperationalError for a failed connection attempt, its secrets hidden."""
    return exc.OperationalError(hide_secrets(f"cannot connect to MySQL: {error}", secrets_of(url)))


def bind_args(sql: str, params: Sequence[Any]) -> tuple[str, Any]:
    """``(query, args)`` for the driver's ``execute``: both drivers interpolate only when
    given arguments, so without them the dialect's escaped ``'%%'`` must be undone."""
    if params:
        return sql, tuple(params)
    return sql.replace("%%", "%"), None


def bind_error(error: Exception, sql: str, params: Sequence[Any]) -> exc.ProgrammingError:
    """The error for values that could not be put into the text: both drivers put them
    in with ``%`` before sending anything, so a wrong number of values, another
    paramstyle's placeholder (``?``, ``$1``) or a stray ``'%'`` raises TypeError or
    ValueError there (PyMySQL re-raises the TypeError as its ProgrammingError of the same
    text). Either way the statement is wrong and nothing was sent: the ProgrammingError
    the other drivers raise for the same mistake (see ``base.placeholder_mismatch``).
    ``params``: the values, or for a batch its first row."""
    found = _placeholders(sql)
    if found is not None and found != len(params):
        return placeholder_mismatch(sql, found, len(params))
    return placeholder_mismatch(sql, None, None, f"cannot bind the parameters: {error}")


def _placeholders(sql: str) -> int | None:
    """The number of ``%s`` in ``sql`` as the drivers' ``%`` formatting reads it
    (``%%`` is a literal ``%``); None for any other ``%`` conversion, which they refuse."""
    count = 0
    for match in _PERCENT.finditer(sql):
        if match.group(1) == "s":
            count += 1
        elif match.group(1) != "%":
            return None
    return count


def is_bind_error(error: Any) -> bool:
    """Whether a driver error is a refusal to put the values into the text (PyMySQL's
    ProgrammingError from ``%`` formatting: its first argument is the message, where the
    server's errors carry their error number)."""
    return not (error.args and isinstance(error.args[0], int))


def map_error(error: Any, sql: str, secrets: list[str], errors: Any, lost: bool) -> Any:
    """Translate a driver error into ormolu's hierarchy (the caller chains it).

    ``errors`` is the driver's module of PEP 249 classes (``pymysql.err``,
    ``asyncmy.errors``); ``lost``: the driver's link is already closed. Returns an
    instance of a :class:`~ormolu.exceptions.DatabaseError` subclass."""
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    message = hide_secrets(str(error.args[1] if len(error.args) > 1 else error), secrets)
    cls = _CODES.get(code or 0)
    if cls is None:
        if isinstance(error, errors.IntegrityError):
            cls = exc.IntegrityError
        elif isinstance(error, errors.DataError):
            cls = exc.DataError
        elif isinstance(error, errors.InterfaceError) or lost:
            cls = exc.ConnectionLost
        else:
            cls = exc.OperationalError
    return cls(message, sql=sql, code=code)


class MySQLState:
    """The state both MySQL connection classes keep, and the decisions taken on it:
    whether ormolu's transaction is open (from the statements sent), the statement
    timeout asked for and the one the server has, whether the link broke."""

    max_variables = 65535
    server_version: str

    def _init_state(self, url: URL) -> None:
        self._secrets = secrets_of(url)
        self._broken = False
        self._in_tx = False
        self.statement_timeout: float | None = None  # seconds; see set_statement_timeout
        self._timeout_applied: float | None = None  # what the server has (None: its default)

    def _clean(self, message: str) -> str:
        return hide_secrets(message, self._secrets)

    def _track(self, sql: str) -> None:
        head = sql[:20].upper()
        if head.startswith(("BEGIN", "START TRANSACTION")):
            self._in_tx = True
        elif head.startswith(("COMMIT", "ROLLBACK")) and not head.startswith("ROLLBACK TO"):
            self._in_tx = False

    def _timeout_sql(self) -> str:
        """The SET for the statement timeout asked for: MariaDB's ``max_statement_time``
        (seconds) or MySQL's ``max_execution_time`` (milliseconds, SELECTs only)."""
        seconds = self.statement_timeout
        mariadb = "mariadb" in self.server_version.lower()
        name = "max_statement_time" if mariadb else "max_execution_time"
        if seconds is None:
            value = "DEFAULT"
        elif mariadb:
            value = repr(max(0.001, float(seconds)))
        else:
            value = str(max(1, round(seconds * 1000)))
        return f"SET SESSION {name} = {value}"

    def set_statement_timeout(self, seconds: float | None) -> None:
        """Limit each following statement to ``seconds`` (``None``: the server's default),
        sent before the next statement as MariaDB's ``max_statement_time`` (seconds) or
        MySQL's ``max_execution_time`` (milliseconds, which limits SELECTs only: MySQL
        reference manual, "max_execution_time")."""
        self.statement_timeout = seconds

    def in_transaction(self) -> bool:
        """Whether a transaction begun by ormolu is open."""
        return self._in_tx
