"""The psycopg async driver keeps its socket registered with the event loop between
statements (``ormolu/drivers/psycopg_wait.py``). These tests pin the cases where a
registration that outlives a wait could go wrong: the server ending the link while it
idles, a cancellation, a close, a terminate, a connection dropped unclosed, and a second
connection reusing the socket's number. In each the loop keeps no registration for a
socket that is gone, and no callback raises."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from asyncdb import open_async, open_sync, run

from ormolu import Database, DatabaseError
from ormolu.drivers.psycopg_async import AsyncPsycopgConnection
from ormolu.protocol import ROWS, Execute

pytestmark = pytest.mark.sync_only("drives the asyncio driver directly; no front end to vary")


async def psycopg_conn(db: Database) -> AsyncPsycopgConnection:
    conn = await open_async(db)
    if not isinstance(conn, AsyncPsycopgConnection):
        await conn.close()
        pytest.skip("only psycopg's AsyncConnection waits on a libpq socket")
    return conn


def registered(fd: int) -> bool:
    """Whether the running loop watches ``fd``."""
    loop: Any = asyncio.get_running_loop()
    return fd in loop._selector.get_map()


def loop_errors() -> list[dict[str, Any]]:
    """Collect what the running loop's exception handler gets (a failing callback)."""
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx))
    return errors


async def one(conn: Any, value: int) -> Any:
    reply = await conn.run(Execute("SELECT %s", [value], want=ROWS))
    return reply.rows[0][0]


def test_the_socket_stays_registered_between_statements_and_answers_stay_in_step(
    db: Database,
) -> None:
    async def main() -> None:
        errors = loop_errors()
        conn = await psycopg_conn(db)
        fd = conn.raw.pgconn.socket
        assert [await one(conn, i) for i in range(50)] == list(range(50))
        assert registered(fd)  # (kept: the saving this module is for)
        await conn.close()
        assert not registered(fd)
        assert errors == []

    run(main())


def test_the_stale_readable_report_of_a_reply_just_read_keeps_the_registration(
    db: Database,
) -> None:
    # The loop polls once more before it runs the task a reply woke, so the callback is
    # called again after the task has read the reply, finding nobody waiting. Between
    # two statements of a busy server task (here: a few loop turns of other work), that
    # stale report must not unregister the socket, or every statement pays an
    # epoll_ctl pair to register it again.
    async def main() -> None:
        errors = loop_errors()
        conn = await psycopg_conn(db)
        fd = conn.raw.pgconn.socket
        loop: Any = asyncio.get_running_loop()
        added: list[int] = []
        add_reader = loop.add_reader

        def counting_add_reader(fileno: int, *args: Any) -> Any:
            added.append(fileno)
            return add_reader(fileno, *args)

        loop.add_reader = counting_add_reader
        try:
            for i in range(20):
                assert await one(conn, i) == i
                for _ in range(3):
                    await asyncio.sleep(0)
        finally:
            del loop.add_reader
        assert added.count(fd) <= 1
        assert registered(fd)
        await conn.close()
        assert not registered(fd)
        assert errors == []

    run(main())


def test_the_server_ending_an_idle_link_unregisters_and_the_next_statement_fails_clearly(
    db: Database,
) -> None:
    async def main() -> None:
        errors = loop_errors()
        conn = await psycopg_conn(db)
        fd = conn.raw.pgconn.socket
        pid = await one(conn, 1) and conn.raw.info.backend_pid
        admin = open_sync(db)
        admin.run(Execute("SELECT pg_terminate_backend(%s)", [pid], want=ROWS))
        admin.close()
        for _ in range(50):  # the loop sees the socket readable with nobody waiting
            await asyncio.sleep(0.01)
            if not registered(fd):
                break
        assert not registered(fd)
        with pytest.raises(DatabaseError):
            await one(conn, 2)
        assert conn.is_broken()
        conn.terminate()
        assert errors == []

    run(main())


def test_a_cancellation_mid_statement_keeps_the_connection_usable(db: Database) -> None:
    async def main() -> None:
        errors = loop_errors()
        conn = await psycopg_conn(db)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await conn.run(Execute("SELECT pg_sleep(30)", want=ROWS))
        assert not conn.is_broken()
        assert await one(conn, 7) == 7  # the answer is this statement's, not a late one
        fd = conn.raw.pgconn.socket
        conn.terminate()
        assert not registered(fd)
        assert errors == []

    run(main())


def test_a_connection_dropped_unclosed_unregisters_and_its_number_can_be_reused(
    db: Database,
) -> None:
    async def main() -> None:
        errors = loop_errors()
        conn = await psycopg_conn(db)
        await one(conn, 1)
        fd = conn.raw.pgconn.socket
        assert registered(fd)
        del conn
        gc.collect()  # (its finalizer unregisters before libpq frees the socket)
        assert not registered(fd)
        again = await psycopg_conn(db)  # very likely the same descriptor number
        assert [await one(again, i) for i in range(5)] == list(range(5))
        await again.close()
        assert errors == []

    with pytest.warns(ResourceWarning):  # (psycopg's: a connection deleted unclosed)
        run(main())
