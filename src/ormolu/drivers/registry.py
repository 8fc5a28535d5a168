"""Which dialect and driver serve a database URL: the one place that maps URL schemes to
backends, so that :class:`~ormolu.Database` names none.

A URL's scheme is ``<backend>`` or ``<backend>+<driver>`` (``postgresql+psycopg://``). Each
backend lists its drivers, the first being the default; another driver (mysqlclient for
MySQL, say) is one more :class:`Backend` subclass here and a module in ``drivers/``.
Dialects and drivers are imported only when a URL asks for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..url import URL


class Backend:
    """How to reach one kind of database through one driver."""

    pre_ping = True  # check idle pooled connections before use by default

    def check(self, url: URL) -> None:
        """Import the driver and check the URL's options; ConfigurationError naming the
        extra to install, or the refused option, before any connection is tried."""

    def dialect(self) -> Dialect:
        """A new dialect object for this backend."""
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


class SQLiteBackend(Backend):
    """SQLite through the standard library's ``sqlite3``."""

    pre_ping = False  # a local file does not go away

    def check(self, url: URL) -> None:
        unknown = sorted(set(url.options) - {"timeout", "foreign_keys"})
        if unknown:
            raise ConfigurationError(
                f"unknown SQLite URL option(s) {', '.join(map(repr, unknown))}; "
                f"only 'timeout' (seconds) and 'foreign_keys' (on/off) are read (or use a "
                f"'file:' URI)"
            )
        if url.options.get("foreign_keys", "on").lower() not in ("on", "off", "1", "0"):
            raise ConfigurationError("the SQLite URL option 'foreign_keys' is 'on' or 'off'")
        self.timeout(url, 0.0)

    def dialect(self) -> Dialect:
        from ..dialects.sqlite import SQLiteDialect

        return SQLiteDialect()

    def timeout(self, url: URL, default: float) -> float:
        if "timeout" not in url.options:
            return default
        try:
            return float(url.options["timeout"])
        except ValueError:
            raise ConfigurationError(
                f"the SQLite URL option 'timeout' must be a number of seconds, "
                f"not {url.options['timeout']!r}"
            ) from None

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
        for sql in dialect.connect_statements():
            conn.setup(sql)
        if url.options.get("foreign_keys", "on").lower() in ("off", "0"):
            # ?foreign_keys=off: SQLite's own default, for a legacy database whose rows
            # break its declared foreign keys (https://sqlite.org/foreignkeys.html)
            conn.setup("PRAGMA foreign_keys = OFF")
        return conn


class PsycopgBackend(Backend):
    """PostgreSQL through psycopg 3 (the ``postgresql`` extra)."""

    def check(self, url: URL) -> None:
        from .psycopg import _import, connect_options

        _import()
        connect_options(url)

    def dialect(self) -> Dialect:
        from ..dialects.postgresql import PostgreSQLDialect

        return PostgreSQLDialect()

    def connect(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .psycopg import PsycopgConnection

        return PsycopgConnection(url, connect_timeout=timeout)


class PyMySQLBackend(Backend):
    """MySQL and MariaDB through PyMySQL (the ``mysql`` extra)."""

    def check(self, url: URL) -> None:
        from .pymysql import _import, connect_options

        _import()
        connect_options(url)

    def dialect(self) -> Dialect:
        from ..dialects.mysql import MySQLDialect

        return MySQLDialect()

    def connect(self, url: URL, dialect: Dialect, timeout: float) -> Any:
        from .pymysql import PyMySQLConnection

        conn = PyMySQLConnection(url, connect_timeout=timeout)
        dialect.configure_for_server(conn.server_version)
        return conn


# backend name -> {driver name: Backend}; the first driver is the default.
BACKENDS: dict[str, dict[str, Backend]] = {
    "sqlite": {"sqlite3": SQLiteBackend()},
    "postgresql": {"psycopg": PsycopgBackend()},
    "mysql": {"pymysql": PyMySQLBackend()},
}
ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}
DEFAULT_URL = "sqlite://"  # Database() without a URL: a private in-memory database


def backend_for(url: URL) -> Backend:
    """The backend serving ``url``'s scheme, its driver checked (see :meth:`Backend.check`).

    Raises ConfigurationError for an unknown scheme or driver, a missing driver (naming
    the extra to install) or a URL option the driver would refuse.
    """
    name, _, driver = url.scheme.partition("+")
    name = ALIASES.get(name, name)
    drivers = BACKENDS.get(name)
    if drivers is None:
        raise ConfigurationError(
            f"unsupported database scheme {url.scheme!r} (supported: {', '.join(BACKENDS)})"
        )
    backend = drivers.get(driver) if driver else next(iter(drivers.values()))
    if backend is None:
        raise ConfigurationError(
            f"no driver {driver!r} for {name} (available: {', '.join(drivers)})"
        )
    backend.check(url)
    return backend
