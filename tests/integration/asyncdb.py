"""Helpers for the tests of the asyncio drivers and pool: open a driver connection, sync
or async, on the database a test's ``db`` fixture made, and run a coroutine.

The tests drive asyncio themselves (``run(main())``, a new event loop per call), so they
need no pytest plugin."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from ormolu import Database
from ormolu.drivers.registry import backend_for
from ormolu.url import parse_url

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
    """Run ``main`` in a new event loop, failing it after ``timeout`` seconds."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await main

    return asyncio.run(bounded())


def async_url(db: Database, url: str | None = None) -> str:
    """``db``'s URL (or ``url``) for the asyncio front end: with the asyncio driver the
    test's backend parameter names (``postgresql-asyncpg``: ``postgresql+asyncpg://``),
    as it is for the others."""
    from conftest import ASYNC_DRIVER

    base = str(db.url) if url is None else url
    driver = getattr(db, "test_async_driver", None)
    backends = [b for b, (_, d) in ASYNC_DRIVER.items() if d == driver]
    return async_url_of(base, backends[0]) if backends else base


def async_url_of(url: str, backend: str) -> str:
    from conftest import async_url as of

    return of(url, backend)


def async_driver(db: Database) -> str:
    """The name of the asyncio driver the test's async side uses on ``db``."""
    return backend_for(parse_url(async_url(db)), asyncio=True).async_driver


async def open_async(db: Database, url: str | None = None, timeout: float | None = None) -> Any:
    """A new asyncio driver connection to ``db``'s database (or to ``url``), through the
    asyncio driver of the test's backend parameter (see :func:`async_url`)."""
    u = parse_url(async_url(db, url))
    backend = backend_for(u, asyncio=True)
    return await backend.connect_async(u, db.dialect, db.timeout if timeout is None else timeout)


def open_sync(db: Database, url: str | None = None) -> Any:
    """A new sync driver connection to ``db``'s database (or to ``url``)."""
    u = parse_url(url) if url is not None else db.url
    return backend_for(u).connect(u, db.dialect, db.timeout)


def placeholder(db: Database) -> str:
    """The dialect's parameter placeholder (its paramstyle)."""
    return "?" if db.dialect.paramstyle == "qmark" else "%s"


def in_process(db: Database) -> bool:
    """Whether the database runs in this process (no server, no network link)."""
    return db.url.host is None


def file_url(db: Database) -> str | None:
    """The URL of ``db`` if a second connection sees the same data (not in memory), for
    the asyncio front end (see :func:`async_url`)."""
    if db._backend.single_connection(db.url):
        return None
    return async_url(db) if not in_process(db) else f"sqlite:///{db.url.database}"


# Server-side views of the test database's sessions. The monitoring views are each
# server's own (no dialect capability describes them), so these pick them by dialect.
def _session_sql(db: Database, running: bool) -> str:
    p = placeholder(db)
    if db.dialect.name == "postgresql":
        where = f"datname = {p} AND pid <> pg_backend_pid()"
        if running:
            where += f" AND state = 'active' AND query LIKE {p}"
        return f"SELECT count(*) FROM pg_stat_activity WHERE {where}"
    where = f"db = {p} AND id <> CONNECTION_ID()"
    if running:
        where += f" AND command = 'Query' AND info LIKE {p}"
    return f"SELECT count(*) FROM information_schema.processlist WHERE {where}"


def server_sessions(db: Database, running: str | None = None) -> int:
    """How many other sessions are connected to ``db``'s database on its server (with
    ``running``: how many are running a statement that starts so)."""
    from ormolu.protocol import ROWS, Execute

    conn = open_sync(db)
    try:
        params = [db.url.database] + ([running + "%"] if running is not None else [])
        sql = _session_sql(db, running is not None)
        return int(conn.run(Execute(sql, params, want=ROWS)).rows[0][0])
    finally:
        conn.close()


def server_session_ids(db: Database) -> set[int]:
    """The server's ids (PostgreSQL backend pids, MySQL connection ids) of the other
    sessions connected to ``db``'s database."""
    from ormolu.protocol import ROWS, Execute

    p = placeholder(db)
    if db.dialect.name == "postgresql":
        sql = f"SELECT pid FROM pg_stat_activity WHERE datname = {p} AND pid <> pg_backend_pid()"
    else:
        sql = (
            f"SELECT id FROM information_schema.processlist WHERE db = {p} "
            f"AND id <> CONNECTION_ID()"
        )
    conn = open_sync(db)
    try:
        return {int(r[0]) for r in conn.run(Execute(sql, [db.url.database], want=ROWS)).rows}
    finally:
        conn.close()


def settles(probe: Any, expected: Any, within: float = 10.0) -> Any:
    """Poll ``probe()`` until it returns ``expected`` (a server notices closed
    connections and killed statements after a moment); return its last answer."""
    import time

    deadline = time.monotonic() + within
    while True:
        got = probe()
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.05)
