"""The one exception hierarchy of ormolu.

Every error ormolu raises derives from :class:`OrmoluError`. Errors coming from a database
driver are re-raised as the matching subclass with the driver's exception chained as
``__cause__``.

::

    OrmoluError
     ├── ConfigurationError          a model, field, URL or option is declared wrongly
     ├── ArgumentError               a query method got something that is not what it takes
     ├── ValidationError             a value fails a field's rule (before any SQL is sent)
     ├── DatabaseError               the database refused a statement
     │    ├── IntegrityError
     │    │    ├── UniqueViolation
     │    │    ├── ForeignKeyViolation
     │    │    ├── NotNullViolation
     │    │    └── CheckViolation
     │    ├── DataError              a value the column cannot hold (too long, NUL, range)
     │    ├── ProgrammingError       the SQL is wrong: syntax, unknown table/column/function
     │    │    ├── UndefinedTable
     │    │    └── UndefinedColumn
     │    └── OperationalError       locked database, lost connection, ...
     │         ├── ConnectionLost     the connection died; the transaction is gone
     │         │    └── CommitOutcomeUnknown  it died after COMMIT was sent: committed or not?
     │         ├── StatementTimeout   a statement ran longer than ``statement_timeout``
     │         ├── PoolTimeout        no pooled connection became free in ``pool_timeout``
     │         ├── SerializationFailure  retry the transaction (SQLSTATE 40001)
     │         ├── DeadlockDetected   retry the transaction (SQLSTATE 40P01, MySQL 1213)
     │         └── LockNotAvailable   NOWAIT found a row locked, or a lock wait timed out
     ├── NoResultFound               ``one()``/``get_one()`` found no row
     ├── MultipleResultsFound        ``one()``/``one_or_none()`` found more than one row
     ├── ObjectDeletedError          an expired object's row no longer exists
     │    └── StaleDataError         a versioned row changed or went away since it was read
     ├── DetachedInstanceError       an unloaded attribute was read outside any session
     └── InvalidRequestError         the session was used in a way its state does not allow
          ├── PendingRollbackError    the transaction failed; only rollback() is possible
          ├── LazyLoadError           a relationship would lazy-load where that is forbidden
          ├── CircularDependencyError  a flush cannot order rows that point at each other
          └── ReferencedTableError    drop_all: a table it is not given references one it is
"""

from __future__ import annotations

from typing import Any


class OrmoluError(Exception):
    """Base class of every error raised by ormolu."""


class ConfigurationError(OrmoluError):
    """A model, field, database URL or option is declared wrongly."""


class URLOptionError(ConfigurationError):
    """A database URL carries an option the backend does not know, or a value the option
    does not take (``sqlite:///app.db?journal_mode=fast``); raised when the database is
    made, before any connection. Attributes: ``option`` (its name) and ``value`` (the
    value given, as a string)."""

    def __init__(self, option: str, value: str, message: str) -> None:
        self.option = option
        self.value = value
        super().__init__(message)


class InvalidRequestError(OrmoluError):
    """An operation is not valid in the current state (e.g. a closed session)."""


class PendingRollbackError(InvalidRequestError):
    """A statement failed inside the transaction and the database ended it (PostgreSQL
    aborts a transaction at its first error: every later statement but ROLLBACK is
    refused, SQLSTATE 25P02). Call ``session.rollback()``, then start again; the error
    that failed the transaction is chained as ``__cause__``."""


class LazyLoadError(InvalidRequestError):
    """An unloaded relationship was read where lazy loading is forbidden: a session or
    query in strict mode (``db.session(strict=True)``, ``raiseload(...)``) or a
    relationship declared ``lazy="raise"``. Load it eagerly with ``selectinload`` or
    ``joinedload`` instead."""


class CircularDependencyError(InvalidRequestError):
    """New rows point at each other, so no INSERT order can satisfy their foreign keys;
    declare one of the relationships ``post_update=True`` (it is then set by an UPDATE
    after both rows exist)."""


class ReferencedTableError(InvalidRequestError):
    """``drop_all`` was given a table that a table it was not given references (by a
    foreign key): no backend can drop it while that key stands. Raised before any
    statement is sent. Attribute ``referenced_by``: each such table's name → the names of
    the tables referencing it (``schema.name`` outside the default schema)."""

    def __init__(self, message: str, referenced_by: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.referenced_by = referenced_by


class ArgumentError(OrmoluError, TypeError):
    """A query method was given something it does not take: a Python ``bool`` or ``str``
    where an SQL expression belongs (``where(x == 1)`` with ``x`` not a column), a
    non-list for ``in_()``, an object of the wrong model in a relationship comparison, a
    transient object without a key, a join whose left side cannot be determined.

    It is a ``TypeError`` too, so code that caught the ``TypeError`` these mistakes used to
    raise keeps working. Raised while the query is built, before any SQL is sent.
    """


class ValidationError(OrmoluError, ValueError):
    """A value failed a field's validation rule.

    Raised on model construction and attribute assignment by user code, and when a query
    compares a field with a value of the wrong type (``Track.milliseconds == "abc"``),
    before any SQL is sent. Attributes: ``model`` (class name), ``field`` (attribute name),
    ``value`` (the rejected value), ``rule`` (a short description of the rule that failed)
    and ``operator`` (for a comparison: the operator or method, e.g. ``"=="`` or
    ``"in_"``; else ``None``).
    """

    def __init__(
        self, model: str, field: str, value: Any, rule: str, operator: str | None = None
    ) -> None:
        self.model = model
        self.field = field
        self.value = value
        self.rule = rule
        self.operator = operator
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        name = f"{model}.{field}" if model else field
        where = f" (in {name} {operator} ...)" if operator else ""
        super().__init__(f"{name}: {rule}{where} (got {shown})")

    def errors(self, loc: tuple[str | int, ...] = ("body",)) -> list[dict[str, Any]]:
        """The error as pydantic and FastAPI list theirs: ``[{"type": "value_error",
        "loc": [*loc, field], "msg": rule, "input": value, "ctx": {...}}]`` (``type``
        is pydantic's for a ValueError, which this error is). ``loc``: where the field
        sits in the request (FastAPI says ``("body",)`` for a JSON body's field). ``ctx``
        names the model (and the operator of a refused comparison)."""
        ctx: dict[str, Any] = {"model": self.model}
        if self.operator is not None:
            ctx["operator"] = self.operator
        error = {"type": "value_error", "loc": [*loc, self.field], "msg": self.rule}
        return [{**error, "input": self.value, "ctx": ctx}]

    def to_dict(self, loc: tuple[str | int, ...] = ("body",)) -> dict[str, Any]:
        """The body of a 422 response in FastAPI's shape: ``{"detail": self.errors()}``
        (the value is as given: encode it with ``fastapi.encoders.jsonable_encoder``;
        see :func:`ormolu.pydantic.validation_error_handler`).

        Example: ``ValidationError("Track", "name", "", "empty").to_dict()["detail"][0]
        ["loc"] == ["body", "name"]``."""
        return {"detail": self.errors(loc)}


class DatabaseError(OrmoluError):
    """The database refused a statement; the driver's error is chained as ``__cause__``.

    Attributes: ``sql`` (the statement text, never containing values), ``code`` (the
    driver's error code or SQLSTATE when known) and ``model`` (the name of the model whose
    row a failed flush was writing, which the message then also names; else ``None``).
    """

    def __init__(self, message: str, *, sql: str | None = None, code: Any = None) -> None:
        self.sql = sql
        self.code = code
        self.model: str | None = None
        super().__init__(message)


class OperationalError(DatabaseError):
    """Locked database, lost connection and other failures of the database's operation
    rather than of the statement (wrong SQL is a :class:`ProgrammingError`)."""


class ProgrammingError(DatabaseError):
    """The statement is wrong: a syntax error, or a table, column or function the
    database does not have (PostgreSQL SQLSTATE class 42, MySQL errors 1054/1064/1146,
    SQLite's "no such table"/"no such column"/"syntax error"); also placeholders that
    do not fit the values given (``execute_sql("SELECT %s, %s", [1])``), which every
    driver refuses before sending, so the transaction goes on."""


class UndefinedTable(ProgrammingError):
    """The statement names a table (or view) the database does not have."""


class UndefinedColumn(ProgrammingError):
    """The statement names a column the table does not have."""


class DataError(DatabaseError):
    """The database cannot hold a value (too long, out of range, NUL in text, ...)."""


class ConnectionLost(OperationalError):
    """The connection died (server restart, killed session, network); the transaction in
    progress is lost. The pool discards the connection, so a new session works again."""


class CommitOutcomeUnknown(ConnectionLost):
    """The connection was lost after COMMIT was sent and before its answer arrived: the
    transaction may have been committed or not, and only the database can tell.

    Retrying the whole unit of work blindly may write its rows twice. Make the retry
    idempotent instead: give new rows a key chosen by the application (a UUID) and check
    for it, or write with an upsert keyed on a natural unique key; see docs/sessions.md
    ("When the answer to COMMIT is lost"). The session's objects are detached, their
    values kept (new objects keep the keys the flush gave them).
    """


class StatementTimeout(OperationalError):
    """A statement ran longer than the ``statement_timeout`` (seconds) set on the
    database, session or transaction, and the database cancelled it (PostgreSQL SQLSTATE
    57014, MariaDB 1969, MySQL 3024, SQLite interrupted). The statement had no effect;
    on PostgreSQL the transaction failed with it and must be rolled back."""


class PoolTimeout(OperationalError):
    """No connection of the pool became free within ``pool_timeout`` seconds (every one of
    ``pool_size + max_overflow`` was lent out). Raise the pool's size, shorten the
    sessions that hold connections, or close sessions that are done."""


class SerializationFailure(OperationalError):
    """The transaction conflicted with a concurrent one: retry it, e.g. with
    ``db.transaction(retries=...)`` (SQLSTATE 40001; MySQL 1020 "Record has changed
    since last read"; SQLite's SQLITE_BUSY_SNAPSHOT in WAL mode)."""


class DeadlockDetected(OperationalError):
    """The transaction was chosen as a deadlock victim: retry it, e.g. with
    ``db.transaction(retries=...)`` (SQLSTATE 40P01, MySQL 1213)."""


class LockNotAvailable(OperationalError):
    """A lock could not be obtained: ``for_update(nowait=True)`` found the row locked, or
    waiting for a lock timed out (SQLSTATE 55P03, MySQL 1205/3572, SQLite "database is
    locked"). The statement failed; on PostgreSQL so did the transaction."""


class IntegrityError(DatabaseError):
    """A constraint was violated; nothing of the failed statement was written."""


class UniqueViolation(IntegrityError):
    """A UNIQUE or PRIMARY KEY constraint was violated."""


class ForeignKeyViolation(IntegrityError):
    """A FOREIGN KEY constraint was violated."""


class NotNullViolation(IntegrityError):
    """A NOT NULL constraint was violated."""


class CheckViolation(IntegrityError):
    """A CHECK constraint was violated."""


class NoResultFound(OrmoluError):
    """A query that must return exactly one row returned none."""


class MultipleResultsFound(OrmoluError):
    """A query that must return at most one row returned several."""


class ObjectDeletedError(OrmoluError):
    """An expired object was reloaded but its row no longer exists."""


class DetachedInstanceError(OrmoluError):
    """An unloaded (expired) attribute was read on an object that belongs to no session."""


class StaleDataError(ObjectDeletedError):
    """The UPDATE or DELETE of an object with a version field (``field(version=True)``)
    matched no row: another transaction changed the row (its version moved on) or deleted
    it since this session read it. Nothing of the flush was written; the session's objects
    are as they were before it. Reload the object (``session.refresh(obj)``) and redo the
    change, or report the conflict. Attributes: ``model`` (class name), ``key`` (the
    primary key value), ``version`` (the version the statement expected)."""

    def __init__(self, message: str, model: str, key: Any, version: Any) -> None:
        super().__init__(message)
        self.model = model
        self.key = key
        self.version = version
