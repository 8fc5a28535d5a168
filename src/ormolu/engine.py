"""``Database``: the entry point — a URL, a dialect, connections, sessions and DDL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .drivers.registry import DEFAULT_URL, backend_for
from .exceptions import InvalidRequestError
from .orm.hooks import EventName, Listeners
from .pool import Pool
from .protocol import Execute, Op
from .schema.cycles import drop_op, existing_op
from .schema.ddl import create_indexes_sql, create_table_sql, foreign_keys_sql
from .schema.state import existing_differences_op
from .schema.table import sort_tables
from .url import URL, parse_url

if TYPE_CHECKING:
    from .dialects.base import Dialect
    from .orm.model import Model
    from .session.retry import RetryingTransaction
    from .session.session import Session


class Database:
    """A database: parses the URL, picks the dialect and driver, hands out sessions.

    URLs: ``sqlite://`` (or no URL: a private in-memory database),
    ``sqlite:///app.db`` (``?foreign_keys=off`` leaves SQLite's foreign key enforcement
    off, as SQLite itself does by default), ``postgresql://user:password@host:5432/db`` (psycopg 3,
    ``pip install 'ormolu[postgresql]'``), ``mysql://user:password@host:3306/db``
    (MySQL/MariaDB through PyMySQL, ``pip install 'ormolu[mysql]'``). Query options are
    passed to the driver. Passwords may be URL-encoded and never appear in messages.

    Pool parameters (server databases and SQLite files): ``pool_size`` idle connections
    kept (default 5), ``max_overflow`` extra connections under load (10),
    ``pool_timeout`` seconds to wait for a free connection (30), ``pool_recycle`` seconds
    after which a connection is replaced (3600), ``pre_ping`` (check an idle connection
    before use; default on for servers). ``timeout`` is SQLite's busy timeout in seconds
    (5.0) and the connect timeout for servers. ``statement_timeout`` (seconds, default
    none) limits every statement of every session (a session or a transaction may set
    its own); a statement running longer fails with StatementTimeout (PostgreSQL
    ``statement_timeout``; MariaDB ``max_statement_time``; MySQL ``max_execution_time``,
    which limits SELECTs only; SQLite: interrupted by a progress handler).

    ``schema_translate_map`` replaces schema names when SQL is compiled, so one set of
    models serves several schemas (one per tenant): ``{"tenant": "tenant_42"}`` sends
    ``"tenant_42"."invoice"`` for a model declared ``schema="tenant"``; the key ``None``
    stands for models without a schema. ``attach`` (SQLite) attaches database files as
    schemas on every connection: ``attach={"sales": "sales.db"}``.

    Raises ConfigurationError for an unknown scheme, a malformed URL or a missing driver
    (naming the extra to install).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float = 30.0,
        pool_recycle: float | None = 3600.0,
        pre_ping: bool | None = None,
        timeout: float = 5.0,
        statement_timeout: float | None = None,
        schema_translate_map: Mapping[str | None, str | None] | None = None,
        attach: Mapping[str, str] | None = None,
    ) -> None:
        self.url: URL = parse_url(url or DEFAULT_URL)
        self.statement_timeout = statement_timeout
        self._listeners = Listeners()  # (db.listen: every session's)
        # The backend (dialect + driver) comes from the URL scheme; its driver is imported
        # now, so a missing one fails here, naming the extra to install.
        self._backend = backend_for(self.url)
        self.dialect: Dialect = self._backend.dialect(self.url)
        if schema_translate_map:  # (the dialect's compile cache is this database's own)
            self.dialect.schema_translate_map = dict(schema_translate_map)
        if attach:
            self.dialect.attach(dict(attach))
        self.timeout = self._backend.timeout(self.url, timeout)
        self._captures: list[list[tuple[str, Any]]] = []
        self._lock = threading.Lock()
        self._shared: Any = None  # the one connection of a single-connection database
        self._shared_owner: Any = None
        self._memory = self._backend.single_connection(self.url)
        self.pool = Pool(
            self._connect,
            size=pool_size,
            max_overflow=max_overflow,
            timeout=pool_timeout,
            recycle=pool_recycle,
            pre_ping=self._backend.pre_ping if pre_ping is None else pre_ping,
        )

    def __repr__(self) -> str:
        return f"Database({str(self.url)!r})"

    # -- connections ---------------------------------------------------------------------
    def _connect(self) -> Any:
        return self._backend.connect(self.url, self.dialect, self.timeout)

    def _acquire(self, owner: Any) -> Any:
        if self._memory:
            with self._lock:
                if self._shared_owner is not None and self._shared_owner is not owner:
                    raise InvalidRequestError(
                        "an in-memory database has one connection, held by another "
                        "session; commit or close that session first (or use a file database)"
                    )
                if self._shared is None:
                    self._shared = self._connect()
                self._shared_owner = owner
                return self._shared
        return self.pool.acquire()

    def _release(self, conn: Any, owner: Any, clean: bool = False) -> None:
        if self._memory:
            try:
                conn.reset()
            except Exception:
                pass  # (an in-memory SQLite connection does not break)
            with self._lock:
                if self._shared_owner is owner:
                    self._shared_owner = None
            return
        self.pool.release(conn, clean)  # (clean: see Pool.release)

    def dispose(self) -> None:
        """Close every idle connection (and an unused in-memory database's connection,
        which discards its data)."""
        self.pool.dispose()
        if self._shared is not None and self._shared_owner is None:
            self._shared.close()
            self._shared = None

    # -- sessions ------------------------------------------------------------------------
    def session(
        self,
        *,
        autoflush: bool = True,
        strict: bool = False,
        statement_timeout: float | None = None,
    ) -> Session:
        """A new :class:`~ormolu.Session` (use it as a context manager); ``strict=True``
        makes any lazy load of a relationship raise LazyLoadError; ``statement_timeout``
        (seconds) overrides the database's for this session."""
        from .session.session import Session

        timeout = self.statement_timeout if statement_timeout is None else statement_timeout
        return Session(self, autoflush=autoflush, strict=strict, statement_timeout=timeout)

    def listen(self, event: EventName, fn: Callable[[Session], object]) -> None:
        """Call ``fn(session)`` on ``event`` in every session of this database (those
        open already too), before the session's own listeners: ``"before_flush"``,
        ``"after_flush"``, ``"after_commit"`` or ``"after_rollback"``. Listeners are plain
        (sync) calls that do no I/O; see docs/hooks.md for the order and what a listener
        may do. Raises ArgumentError for an unknown event or a non-callable.

        Example: ``db.listen("before_flush", stamp_audit_rows)``.
        """
        self._listeners.add(event, fn)

    def unlisten(self, event: EventName, fn: Callable[[Session], object]) -> None:
        """Remove a listener added by :meth:`listen` (ArgumentError if it is not there)."""
        self._listeners.remove(event, fn)

    def transaction(
        self,
        retries: int = 0,
        *,
        isolation_level: str | None = None,
        mode: str | None = None,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
        retry_on: tuple[type[BaseException], ...] | None = None,
        autoflush: bool = True,
        strict: bool = False,
        statement_timeout: float | None = None,
    ) -> RetryingTransaction:
        """A unit of work that is rerun, in a fresh session, when the database refuses it
        with SerializationFailure or DeadlockDetected (or ``retry_on``), at most
        ``retries`` times after the first attempt.

        Use it as a decorator of a function taking the session first (each call runs it,
        commits and returns its result), or as a loop of attempts::

            @db.transaction(retries=3, isolation_level="SERIALIZABLE")
            def transfer(s: Session, amount: int) -> None: ...

            for attempt in db.transaction(retries=3):
                with attempt as s:
                    ...

        Without retries, ``with db.transaction() as s:`` is one attempt (with retries it
        raises TypeError: a ``with`` block cannot be rerun). ``isolation_level`` and
        ``mode`` are those of :meth:`Session.begin` (the transaction then begins at
        once). Before attempt ``n + 1`` it sleeps a random time in ``[0, min(max_backoff,
        backoff * 2 ** (n - 1))]`` seconds. CommitOutcomeUnknown is never retried; lock
        wait timeouts (LockNotAvailable) are not unless given in ``retry_on``. The last
        attempt's error propagates. Raises ConfigurationError for a bad ``retries``,
        backoff or isolation level. See docs/sessions.md, "Retrying transactions".
        """
        from .session.retry import RetryingTransaction, _policy

        return RetryingTransaction(
            self, _policy(retries, backoff, max_backoff, retry_on), isolation_level, mode,
            {"autoflush": autoflush, "strict": strict, "statement_timeout": statement_timeout},
        )  # fmt: skip

    @contextmanager
    def capture(self) -> Iterator[list[tuple[str, Any]]]:
        """Capture every statement sent in the block as ``(sql, params)`` pairs.

        Example (a test asserting the number of queries)::

            with db.capture() as statements:
                s.query(Track).all()
            assert len(statements) == 1   # the SELECT (a read needs no BEGIN)
        """
        captured: list[tuple[str, Any]] = []
        self._captures.append(captured)
        try:
            yield captured
        finally:
            self._captures.remove(captured)

    # -- DDL -----------------------------------------------------------------------------
    def create_all(
        self, models: Iterable[type[Model]] | None = None, *, if_not_exists: bool = False
    ) -> None:
        """CREATE TABLE (and indexes) for ``models`` (default: every model defined), parents
        before children, in one transaction. With ``if_not_exists=True`` existing tables
        are left as they are, and a warning (logger ``ormolu.schema``) names how each
        one differs from its model: migrate those (docs/migrations.md)."""
        tables = tables_of(models)
        with self.session() as s:
            if if_not_exists:
                warn_existing(s.run(existing_differences_op(self.dialect, tables)))
            s.run(create_op(self.dialect, tables, if_not_exists))

    def drop_all(self, models: Iterable[type[Model]] | None = None) -> None:
        """DROP TABLE IF EXISTS for ``models`` (default: every model defined), referencing
        tables first. Foreign keys among them that close a cycle (A → B → A) are dropped
        first (SQLite: checked at the commit instead), so a cycle drops on every backend,
        rows and all; tables that do not exist are skipped, so it can run twice.

        Raises ReferencedTableError, before any statement, where a table not among
        ``models`` references one of them (drop that one too). See docs/models.md."""
        with self.session() as s:
            s.run(drop_op(self.dialect, tables_of(models)))


# -- shared by Database and AsyncDatabase ------------------------------------------------
def tables_of(models: Iterable[type[Model]] | None) -> list[Any]:
    """The tables of ``models`` (default: every model defined) and their automatic
    many-to-many association tables, referenced tables first."""
    from .orm.registry import all_mappers, configure, secondary_tables

    mappers = [m.__mapper__ for m in models] if models is not None else all_mappers()
    for m in mappers:
        configure(m)
    return sort_tables([m.table for m in mappers] + secondary_tables(mappers))


def create_statements(
    dialect: Dialect, tables: list[Any], if_not_exists: bool, existing: Collection[Any] = ()
) -> list[str]:
    """CREATE TABLE and CREATE INDEX statements for ``tables``, in order.

    A foreign key to a table created later (``tables`` holds a cycle) is added by ALTER
    TABLE after the last CREATE where the dialect needs the referenced table to exist.
    With ``if_not_exists``, ``existing`` are the tables that exist already (their CREATE
    does nothing): only the new tables get such an ALTER TABLE, as an existing table's
    constraint is there already (or differs, and create_all warns)."""
    statements: list[str] = []
    later = set(tables) - set(existing) if dialect.references_need_table else set()
    added: list[str] = []
    for table in tables:
        later.discard(table)  # a reference to itself is to a table that exists by then
        statements.append(create_table_sql(dialect, table, if_not_exists, later))
        statements.extend(create_indexes_sql(dialect, table, if_not_exists))
        if table in existing:
            continue
        name = dialect.table_name_sql(table)
        added.extend(
            f"ALTER TABLE {name} ADD {fk}"
            for fk in foreign_keys_sql(dialect, table, lambda ref: ref in later)
        )
    return statements + added


def create_op(dialect: Dialect, tables: list[Any], if_not_exists: bool) -> Op[None]:
    """The operation creating ``tables`` (:func:`create_statements`); with
    ``if_not_exists`` it first reads which of them exist where that decides which
    foreign keys of a cycle wait for an ALTER TABLE."""
    existing: Collection[Any] = ()
    if if_not_exists and dialect.references_need_table:
        existing = yield from existing_op(dialect, tables)
    yield from ddl_op(dialect, create_statements(dialect, tables, if_not_exists, existing))


def ddl_op(dialect: Dialect, statements: list[str]) -> Op[None]:
    """Send DDL ``statements`` (no parameters: a literal '%' is doubled where the
    paramstyle would read it as a placeholder)."""
    escape = dialect.paramstyle == "format"
    for sql in statements:
        yield Execute(sql.replace("%", "%%") if escape else sql)


def warn_existing(found: dict[str, list[str]]) -> None:
    """Log how existing tables differ from their models (create_all skips them)."""
    import logging

    for name, diffs in found.items():
        logging.getLogger("ormolu.schema").warning(
            "create_all(if_not_exists=True) left table %s as it is, and it differs from its "
            "model: %s (write a migration: ormolu migrate make)",
            name,
            "; ".join(diffs),
        )
