"""Which dialect and driver serve a database URL: the one place that maps URL schemes to
backends, so that :class:`~ormolu.Database` names none.

A URL's scheme is ``<backend>`` or ``<backend>+<driver>`` (``postgresql+psycopg://``). Each
backend lists its drivers, the first being the default; another driver (mysqlclient for
MySQL, say) is one more :class:`Backend` subclass here and a module in ``drivers/``.
Dialects and drivers are imported only when a URL asks for them.

Each backend also names the driver its asyncio front end uses (:attr:`Backend.async_driver`,
opened by :meth:`Backend.connect_async`): psycopg's ``AsyncConnection``, aiosqlite,
asyncmy. ``backend_for(url, asyncio=True)`` checks that driver instead of the sync one,
and accepts its name after the ``+`` (``mysql+asyncmy://``). :data:`ASYNC_ONLY` lists the
asyncio drivers a backend has besides that one: asyncpg (``postgresql+asyncpg://``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..url import URL
    from .sqlite_options import SQLiteOptions


class Backend:
    """How to reach one kind of database through one driver."""

    pre_ping = True  # check idle pooled connections before use by default
    async_driver = ""  # the name of the asyncio front end's driver

    def check(self, url: URL) -> None:
        """Import the driver and check the URL's options; ConfigurationError naming the
        extra to install, or the refused option, before any connection is tried."""

    def check_async(self, url: URL) -> None:
        """As :meth:`check`, for the asyncio driver."""

    def dialect(self, url: URL | None = None) -> Dialect:
        """A new dialect object for this backend, set up for ``url``'s options."""
        raise NotImplementedError

    def timeout(self, url: URL, default: float) -> float:
        """The connect (or busy) timeout in seconds for ``url``."""
        return default

    def single_connection(self, url: URL) -> bool:
        """Whether ``url`` names a database that lives in one connection (so that
        sessions share it in turn instead of using a pool)."""
        return False

    def connect(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        """Open a driver connection, set up for ormolu."""
        raise NotImplementedError

    async def connect_async(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        """Open an asyncio driver connection (an
        :class:`~ormolu.drivers.base.AsyncDriverConnection`), set up as :meth:`connect`
        sets up a sync one. Raises OperationalError when the database cannot be reached;
        a cancellation while connecting leaves no connection open."""
        raise NotImplementedError


class SQLiteBackend(Backend):
    """SQLite through the standard library's ``sqlite3``."""

    pre_ping = False  # a local file does not go away
    async_driver = "aiosqlite"

    def check(self, url: URL) -> None:
        self.options(url)

    def check_async(self, url: URL) -> None:
        from .aiosqlite import _import

        _import()
        self.check(url)

    def dialect(self, url: URL | None = None) -> Dialect:
        from ..dialects.sqlite import SQLiteDialect

        dialect = SQLiteDialect()
        if url is not None:  # ?begin=immediate: every BEGIN naming no mode uses it
            dialect.default_begin_mode = self.options(url).begin
        return dialect

    def options(self, url: URL) -> SQLiteOptions:
        """The URL's checked options (see :mod:`ormolu.drivers.sqlite_options`); raises
        URLOptionError naming a wrong option and its value."""
        from .sqlite_options import parse_options

        return parse_options(url.options, self.single_connection(url))

    def timeout(self, url: URL, default: float) -> float:
        busy = self.options(url).busy_timeout
        return default if busy is None else busy

    def single_connection(self, url: URL) -> bool:
        database = url.database or ":memory:"
        return database == ":memory:" or "mode=memory" in database

    def connect(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .sqlite import SQLiteConnection

        path = url.database or ":memory:"
        conn = SQLiteConnection(path, uri=path.startswith("file:"), timeout=timeout)
        # the library's own limit, where it was built with a lower one than its version's
        dialect.max_bind_parameters = min(dialect.max_bind_parameters, conn.max_variables)
        dialect.register_functions(conn.raw)
        for sql in self._setup(url, dialect):
            conn.setup(sql)
        return conn

    async def connect_async(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .aiosqlite import AioSQLiteConnection

        path = url.database or ":memory:"
        conn = await AioSQLiteConnection.open(path, uri=path.startswith("file:"), timeout=timeout)
        try:
            dialect.max_bind_parameters = min(dialect.max_bind_parameters, conn.max_variables)
            # (in the connection's thread, where its statements run)
            await conn.call(dialect.register_functions, conn.raw)
            for sql in self._setup(url, dialect):
                await conn.setup(sql)
        except BaseException:
            conn.terminate()
            raise
        return conn

    def _setup(self, url: URL, dialect: Dialect) -> list[str]:
        """The statements that set up each new connection for ``url``."""
        options = self.options(url)
        # ormolu's PRAGMA foreign_keys = ON first: ?foreign_keys=off turns it back off,
        # for a legacy database whose rows break its declared foreign keys
        # (https://sqlite.org/foreignkeys.html)
        return [*dialect.connect_statements(), *options.pragmas()]


class PsycopgBackend(Backend):
    """PostgreSQL through psycopg 3 (the ``postgresql`` extra; ``asyncio`` for
    ``AsyncConnection``)."""

    async_driver = "psycopg"

    def check(self, url: URL) -> None:
        from .postgresql import connect_options

        connect_options(url)  # (imports psycopg)

    def check_async(self, url: URL) -> None:
        self.check(url)

    def dialect(self, url: URL | None = None) -> Dialect:
        from ..dialects.postgresql import PostgreSQLDialect

        return PostgreSQLDialect()

    def connect(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .psycopg import PsycopgConnection

        return PsycopgConnection(url, connect_timeout=timeout)

    async def connect_async(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .psycopg_async import AsyncPsycopgConnection

        return await AsyncPsycopgConnection.open(url, connect_timeout=timeout)


class AsyncpgBackend(PsycopgBackend):
    """PostgreSQL on asyncio through asyncpg (``postgresql+asyncpg://``, the ``asyncpg``
    extra): the asyncio front end only; the sync front end has no driver of that name."""

    async_driver = "asyncpg"

    def check(self, url: URL) -> None:
        raise ConfigurationError("asyncpg serves AsyncDatabase only")  # (see backend_for)

    def check_async(self, url: URL) -> None:
        from .asyncpg import _import
        from .asyncpg_params import connect_args

        _import()
        connect_args(url, 10.0)

    def connect(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        raise ConfigurationError("asyncpg serves AsyncDatabase only")

    async def connect_async(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .asyncpg import MAX_ARGUMENTS, AsyncpgConnection

        dialect.max_bind_parameters = min(dialect.max_bind_parameters, MAX_ARGUMENTS)
        # insert_many keeps to multi-row VALUES here: asyncpg encodes an array element by
        # element, with abstract-class checks on each (measured: bench test C, 5,000
        # rows, 128 M instructions against 115 M for VALUES; psycopg's binary arrays
        # took it from 360 M to 128 M)
        dialect.supports_array_insert = False
        return await AsyncpgConnection.open(url, connect_timeout=timeout)


class PyMySQLBackend(Backend):
    """MySQL and MariaDB through PyMySQL (the ``mysql`` extra), and asyncmy on asyncio
    (the ``asyncio`` extra)."""

    async_driver = "asyncmy"

    def check(self, url: URL) -> None:
        from .pymysql import _import, connect_options

        _import()
        connect_options(url)

    def check_async(self, url: URL) -> None:
        from .asyncmy import _import, async_connect_options

        _import()
        async_connect_options(url)

    def dialect(self, url: URL | None = None) -> Dialect:
        from ..dialects.mysql import MySQLDialect

        return MySQLDialect()

    def connect(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .pymysql import PyMySQLConnection

        conn = PyMySQLConnection(url, connect_timeout=timeout)
        dialect.configure_for_server(conn.server_version)
        return conn

    async def connect_async(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .asyncmy import AsyncmyConnection

        conn = await AsyncmyConnection.open(url, connect_timeout=timeout)
        dialect.configure_for_server(conn.server_version)
        return conn


# backend name -> {driver name: Backend}; the first driver is the default.
BACKENDS: dict[str, dict[str, Backend]] = {
    "sqlite": {"sqlite3": SQLiteBackend()},
    "postgresql": {"psycopg": PsycopgBackend()},
    "mysql": {"pymysql": PyMySQLBackend()},
}
# backend name -> {driver name: Backend} of drivers the asyncio front end alone has.
ASYNC_ONLY: dict[str, dict[str, Backend]] = {"postgresql": {"asyncpg": AsyncpgBackend()}}
ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}
DEFAULT_URL = "sqlite://"  # Database() without a URL: a private in-memory database


def backend_for(url: URL, *, asyncio: bool = False) -> Backend:
    """The backend serving ``url``'s scheme, its driver checked (see :meth:`Backend.check`;
    with ``asyncio=True`` the asyncio driver, :meth:`Backend.check_async`).

    Raises ConfigurationError for an unknown scheme or driver (an asyncio driver's name
    given to the sync front end, or the other way round, names the right one), a missing
    driver (naming the extra to install) or a URL option the driver would refuse.
    """
    name, _, driver = url.scheme.partition("+")
    name = ALIASES.get(name, name)
    drivers = BACKENDS.get(name)
    if drivers is None:
        raise ConfigurationError(
            f"unsupported database scheme {url.scheme!r} (supported: {', '.join(BACKENDS)})"
        )
    backend = drivers.get(driver) if driver else next(iter(drivers.values()))
    if backend is None or (asyncio and driver and driver != backend.async_driver):
        by_async = {b.async_driver: b for b in drivers.values()}
        by_async.update(ASYNC_ONLY.get(name, {}))
        if asyncio and driver in by_async:
            backend = by_async[driver]
        elif driver in by_async:
            raise ConfigurationError(
                f"{driver!r} is an asyncio driver for {name}: open {url.scheme}:// URLs "
                f"with AsyncDatabase, or use {name}:// with Database (sync drivers: "
                f"{', '.join(drivers)})"
            )
        else:
            offered = list(by_async) if asyncio else list(drivers)
            raise ConfigurationError(
                f"no {'asyncio ' if asyncio else ''}driver {driver!r} for {name} "
                f"(available: {', '.join(offered)})"
            )
    if asyncio:
        backend.check_async(url)
    else:
        backend.check(url)
    return backend
