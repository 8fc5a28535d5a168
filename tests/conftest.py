"""Shared fixtures: the ``db`` fixture runs each integration test on every selected backend.

Select backends with ``--db``: ``sqlite`` (in memory), ``sqlite-file`` (a file in the test's
temporary directory), ``postgresql``, ``mysql`` (MySQL or MariaDB), ``servers`` (the last
two) or ``all`` (the default). A backend is one entry in :data:`BACKENDS`: a name and a
factory taking the test's ``tmp_path``. A test module that defines its own ``db`` fixture
is not parametrized.

Server backends: each test run creates its own database with a random name
(``ormolu_test_<hex>``) on each server and drops it at the end; every test's tables are
dropped after it, so tests never see each other's rows. The servers are found through
``ORMOLU_TEST_POSTGRESQL_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
and ``ORMOLU_TEST_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306/``); the database part
of the URL is only used to connect for CREATE/DROP DATABASE. A selected server that cannot
be reached fails the run loudly — it is never skipped; use ``--db sqlite`` to leave the
servers out on purpose.

Tests never name a backend; they skip by capability with
``@pytest.mark.requires("supports_returning")``, which checks the dialect's flag
(``"!native_datetime"``: the flag must be false).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ormolu import Database
from ormolu.url import parse_url

RUN_DB = f"ormolu_test_{secrets.token_hex(4)}"
SERVER_URLS = {
    "postgresql": os.environ.get(
        "ORMOLU_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    "mysql": os.environ.get("ORMOLU_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/"),
}
_created: dict[str, str] = {}  # backend -> URL of this run's database
_failed: dict[str, str] = {}  # backend -> why its server could not be used


def _admin(backend: str) -> Any:
    """A raw autocommit driver connection for CREATE/DROP DATABASE (not possible in a
    transaction block, which every ormolu session opens)."""
    url = parse_url(SERVER_URLS[backend])
    if backend == "postgresql":
        import psycopg

        return psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.user, password=url.password,
            dbname=url.database or "postgres", autocommit=True, connect_timeout=5,
        )  # fmt: skip
    import pymysql

    return pymysql.connect(
        host=url.host, port=url.port or 3306, user=url.user or "root",
        password=url.password or "", autocommit=True, connect_timeout=5,
    )  # fmt: skip


def server_url(backend: str) -> str:
    """The URL of this run's database on ``backend``, creating it on first use.

    Fails the test (never skips) when the server cannot be reached."""
    if backend in _failed:
        pytest.fail(_failed[backend], pytrace=False)
    if backend not in _created:
        try:
            conn = _admin(backend)
            quote = '"' if backend == "postgresql" else "`"
            conn.cursor().execute(f"CREATE DATABASE {quote}{RUN_DB}{quote}")
            conn.close()
        except Exception as exc:
            _failed[backend] = (
                f"the {backend} server at {parse_url(SERVER_URLS[backend])} cannot be used "
                f"({type(exc).__name__}: {exc}); start it, point ORMOLU_TEST_"
                f"{backend.upper()}_URL at one, or deselect it with --db sqlite"
            )
            pytest.fail(_failed[backend], pytrace=False)
        base = parse_url(SERVER_URLS[backend])
        auth = base.user or ""
        if base.password:
            from urllib.parse import quote as q

            auth += ":" + q(base.password, safe="")
        _created[backend] = (
            f"{base.scheme}://{auth}{'@' if auth else ''}{base.host}:{base.port or ''}/{RUN_DB}"
        )
    return _created[backend]


def _drop_tables(backend: str) -> None:
    """Drop every table of this run's database (after each test)."""
    conn = _admin(backend)
    cur = conn.cursor()
    if backend == "postgresql":
        conn.close()
        url = parse_url(_created[backend])
        import psycopg

        base = parse_url(SERVER_URLS[backend])
        with psycopg.connect(
            host=url.host, port=url.port or 5432, user=base.user, password=base.password,
            dbname=RUN_DB, autocommit=True,
        ) as c:  # fmt: skip
            c.execute("DROP SCHEMA public CASCADE")
            c.execute("CREATE SCHEMA public")
        return
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (RUN_DB,)
    )
    tables = [r[0] for r in cur.fetchall()]
    if tables:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        names = ", ".join(f"`{RUN_DB}`.`" + t.replace("`", "``") + "`" for t in tables)
        cur.execute(f"DROP TABLE {names}")
        cur.execute("SET FOREIGN_KEY_CHECKS = 1")
    conn.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the databases this run created."""
    for backend in list(_created):
        try:
            conn = _admin(backend)
            quote = '"' if backend == "postgresql" else "`"
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            conn.cursor().execute(f"DROP DATABASE IF EXISTS {quote}{RUN_DB}{quote}{force}")
            conn.close()
        except Exception as exc:  # pragma: no cover - reported, not fatal
            print(f"could not drop {RUN_DB} on {backend}: {exc}")


BACKENDS: dict[str, Callable[[Path], Database]] = {
    "sqlite": lambda tmp_path: Database(),
    "sqlite-file": lambda tmp_path: Database(f"sqlite:///{tmp_path}/t.db"),
    "postgresql": lambda tmp_path: Database(server_url("postgresql")),
    "mysql": lambda tmp_path: Database(server_url("mysql")),
    # PostgreSQL through asyncpg: the async front end only (a sync Database refuses the
    # scheme), so only "postgresql-asyncpg+async" runs the suite; tests marked
    # async_drivers (they open asyncio driver connections themselves, from a sync
    # Database) run once more as "postgresql-asyncpg", their async side on asyncpg.
    "postgresql-asyncpg": lambda tmp_path: Database(server_url("postgresql")),
}
SERVERS = ("postgresql", "mysql")
# backend parameter -> (its server, the asyncio driver its async front end is given)
ASYNC_DRIVER = {"postgresql-asyncpg": ("postgresql", "asyncpg")}
# One suite, two front ends: every backend parameter also runs as "<backend>+async", the
# same test against AsyncDatabase/AsyncSession behind the sync API (tests/frontend.py).
FRONTENDS = ("sync", "async")
DB_PARAMS = [*BACKENDS, *(f"{b}+async" for b in BACKENDS)]


def server_of(backend: str) -> str | None:
    """The server a backend parameter uses (None: SQLite, in this process)."""
    backend = ASYNC_DRIVER.get(backend, (backend, ""))[0]
    return backend if backend in SERVERS else None


def async_url(url: str, backend: str) -> str:
    """``url`` with the asyncio driver of ``backend`` in its scheme, if it names one."""
    if backend not in ASYNC_DRIVER:
        return url
    scheme, sep, rest = url.partition("://")
    return f"{scheme.partition('+')[0]}+{ASYNC_DRIVER[backend][1]}{sep}{rest}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        action="store",
        default="all",
        choices=[*BACKENDS, "servers", "all"],
        help="database backend(s) for integration tests (default: all; postgresql and "
        "servers include postgresql-asyncpg)",
    )
    parser.addoption(
        "--frontend",
        action="store",
        default="both",
        choices=[*FRONTENDS, "both"],
        help="front end(s) the integration tests drive: sync Session, AsyncSession, both",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(flag, ...): skip unless the database's dialect has every capability flag",
    )
    config.addinivalue_line(
        "markers",
        "sync_only(reason): runs on the sync front end only (the behaviour differs by "
        "design on the async one, e.g. an implicit lazy load, or the test is of a sync API)",
    )
    config.addinivalue_line(
        "markers",
        "async_drivers: the test opens asyncio driver connections or AsyncDatabase itself "
        "from its sync db (asyncdb.async_url); it also runs as postgresql-asyncpg",
    )


def selected_backends(config: pytest.Config) -> list[str]:
    choice = config.getoption("--db")
    if choice == "servers":
        return [*SERVERS, *ASYNC_DRIVER]
    if choice == "all":
        return list(BACKENDS)
    return [choice, *(b for b, (server, _) in ASYNC_DRIVER.items() if server == choice)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the ``db`` parameters that ``--db`` and ``--frontend`` did not select, and
    the async front end's run of tests marked ``sync_only``."""
    selected = set(selected_backends(config))
    frontend = config.getoption("--frontend")
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        param = params.get("db")
        if not isinstance(param, str) or param not in DB_PARAMS:
            keep.append(item)
            continue
        backend, _, variant = param.partition("+")
        front = variant or "sync"
        if (
            backend not in selected
            or frontend not in ("both", front)
            or (front == "async" and item.get_closest_marker("sync_only") is not None)
            # an asyncio-only driver: its sync run is that of the asyncio drivers' tests
            or (
                backend in ASYNC_DRIVER
                and front == "sync"
                and item.get_closest_marker("async_drivers") is None
            )
        ):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _async_facade(database: Database, backend: str) -> Any:
    """``database`` as an AsyncDatabase seen through the sync API, on a private loop
    (through the asyncio driver ``backend`` names, if it names one)."""
    import asyncio

    from frontend import AsyncFacade

    from ormolu import AsyncDatabase

    database.dispose()
    loop = asyncio.new_event_loop()
    return AsyncFacade(AsyncDatabase(async_url(str(database.url), backend)), loop)


@pytest.fixture(params=DB_PARAMS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A new, empty database of the backend named by the test's parameter, seen through
    the sync front end, or (``<backend>+async``) the async one behind the same API."""
    backend, _, variant = request.param.partition("+")
    database = BACKENDS[backend](tmp_path)
    server = server_of(backend)
    if variant:
        database = _async_facade(database, backend)
    elif backend in ASYNC_DRIVER:  # (for asyncdb.async_url)
        database.test_async_driver = ASYNC_DRIVER[backend][1]  # type: ignore[attr-defined]
    if server is not None:
        _drop_tables(server)  # start empty even if an earlier test's teardown failed
        with database.session() as s:  # connect once so version-dependent flags are set
            s.execute_sql("SELECT 1")
    marker = request.node.get_closest_marker("requires")
    if marker is not None:
        # "flag" needs the capability, "!flag" its absence (e.g. "!native_datetime")
        missing = [
            f
            for f in marker.args
            if bool(getattr(database.dialect, f.lstrip("!"), False)) == f.startswith("!")
        ]
        if missing:
            pytest.skip(f"{database.dialect.name} lacks {', '.join(missing)}")
    try:
        yield database
    finally:
        if variant:
            database.close_loop()
        else:
            database.dispose()
        if server is not None:
            _drop_tables(server)
