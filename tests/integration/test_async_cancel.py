"""Cancellation (``asyncio.timeout``, ``Task.cancel``) in the middle of an asyncio driver
connection's ``run()``, on every backend: the connection is then either usable — the
statement finished or cancelled, the next answer is the next statement's — or marked
broken; never out of step. The statement does not go on running on the server.

What each driver does (see the module docstrings in ``ormolu/drivers/``): psycopg asks
the server to cancel the statement and waits for it (usable; a failed transaction then
wants ROLLBACK); aiosqlite interrupts it and waits for its thread (usable); asyncmy's link
is out of step, so it is closed and the statement killed from a second connection
(broken)."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import pytest
from asyncdb import in_process, open_async, open_sync, placeholder, run, server_sessions, settles

from ormolu import Database, PendingRollbackError
from ormolu.protocol import ROWS, CloseStream, Execute, FetchStream, OpenStream

pytestmark = [
    pytest.mark.sync_only("drives the asyncio drivers directly; no front end to vary"),
    pytest.mark.async_drivers,
]

SLOW = (  # runs for minutes on every backend (see test_timeouts.py)
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
    "SELECT count(*) FROM c a, c b, c d"
)


async def usable_after(conn: Any, db: Database, marker: int) -> bool:
    """After a cancellation: False if the connection reports itself broken; otherwise
    end any transaction and check the next answer is this statement's (not a late
    answer to an earlier one)."""
    if conn.is_broken():
        return False
    if conn.in_transaction():
        await conn.run(Execute("ROLLBACK"))
    assert not conn.in_transaction()
    p = placeholder(db)
    reply = await conn.run(Execute(f"SELECT {p}", [marker], want=ROWS))
    assert reply.rows == [(marker,)], f"out of step: {reply.rows} for {marker}"
    return True


def test_a_long_statement_cancelled_stops_and_the_connection_is_usable_or_broken(
    db: Database,
) -> None:
    p = placeholder(db)

    async def main() -> tuple[float, bool, bool]:
        conn = await open_async(db)
        try:
            await conn.run(Execute("DROP TABLE IF EXISTS ac_row"))
            await conn.run(Execute("CREATE TABLE ac_row (x INTEGER)"))
            await conn.run(Execute("BEGIN"))
            await conn.run(Execute(f"INSERT INTO ac_row (x) VALUES ({p})", [1]))
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await conn.run(Execute(SLOW, want=ROWS))
            took = time.monotonic() - started
            refused = False
            if not conn.is_broken() and conn.in_transaction():
                try:  # a failed transaction: only ROLLBACK (PostgreSQL)
                    await conn.run(Execute("SELECT 1", want=ROWS))
                except PendingRollbackError:
                    refused = True
            usable = await usable_after(conn, db, 7)
            if usable:  # the transaction was rolled back, whole
                rows = await conn.run(Execute("SELECT count(*) FROM ac_row", want=ROWS))
                assert rows.rows == [(0,)]
                await conn.run(Execute("DROP TABLE ac_row"))
            return took, usable, refused
        finally:
            await conn.close()

    took, usable, refused = run(main())
    assert took < 5  # the statement was stopped, not waited for (it runs for minutes)
    if not in_process(db):  # and it no longer runs on the server
        assert settles(lambda: server_sessions(db, running="WITH RECURSIVE"), 0) == 0
    if not usable:  # broken: the server rolled the transaction back
        conn = open_sync(db)
        count = Execute("SELECT count(*) FROM ac_row", want=ROWS)
        assert settles(lambda: conn.run(count).rows, [(0,)]) == [(0,)]
        conn.run(Execute("DROP TABLE ac_row"))
        conn.close()
    assert usable or not refused


def test_cancelled_at_random_points_the_connection_never_falls_out_of_step(
    db: Database,
) -> None:
    """Transactions and streams cancelled after random delays; after each, the next
    statement gets its own answer (or the connection says it is broken)."""
    p = placeholder(db)
    rng = random.Random(12)

    async def work(conn: Any, k: int) -> None:
        await conn.run(Execute("BEGIN"))
        await conn.run(Execute(f"INSERT INTO ac_step (k) VALUES ({p})", [k]))
        assert (await conn.run(Execute(f"SELECT {p}", [k], want=ROWS))).rows == [(k,)]
        opened = await conn.run(OpenStream("SELECT k FROM ac_step ORDER BY k", (), 2))
        while (await conn.run(FetchStream(opened.handle, 2))).rows:
            pass
        await conn.run(CloseStream(opened.handle))
        await conn.run(Execute(f"UPDATE ac_step SET k = k + 0 WHERE k = {p}", [k]))
        await conn.run(Execute("COMMIT"))

    async def fresh() -> Any:
        conn = await open_async(db)  # (an in-memory database is the connection's own)
        await conn.run(Execute("CREATE TABLE IF NOT EXISTS ac_step (k INTEGER)"))
        return conn

    async def main() -> tuple[int, int, int]:
        conn = await fresh()
        # The delays are drawn within the time one whole run of the work takes here (the
        # fastest of three), so that most land inside it however fast the machine is.
        spans = []
        for k in range(-3, 0):
            started = time.perf_counter()
            await work(conn, k)
            spans.append(time.perf_counter() - started)
        span = min(spans)
        cancelled = broken = 0
        for k in range(40):
            try:
                async with asyncio.timeout(rng.uniform(0, span)):
                    await work(conn, k)
            except TimeoutError:
                cancelled += 1
            if not await usable_after(conn, db, 1000 + k):
                broken += 1
                await conn.close()
                conn = await fresh()
        await conn.run(Execute("DROP TABLE ac_step"))
        await conn.close()
        return cancelled, broken, k

    cancelled, broken, _ = run(main())
    assert cancelled >= 10  # the delays did land inside the work
    assert broken <= cancelled


def test_a_statement_waiting_for_a_lock_is_waited_for_then_closed_if_cancelled_again(
    db: Database,
) -> None:
    """(A database file in this process, whose writers take a lock: SQLite.) The busy
    wait is not interruptible: one cancellation waits for it to end; a second one gives
    the connection up (broken), and its thread ends once the wait does."""
    if not in_process(db) or db._backend.single_connection(db.url):
        pytest.skip("needs a database file shared by two connections in this process")
    holder = open_sync(db)
    holder.run(Execute("CREATE TABLE ac_lock (x INTEGER)"))
    holder.run(Execute("BEGIN IMMEDIATE"))
    holder.run(Execute("INSERT INTO ac_lock (x) VALUES (1)"))

    async def attempt(cancels: int) -> tuple[Any, float]:
        conn = await open_async(db, timeout=1.0)
        task = asyncio.ensure_future(conn.run(Execute("INSERT INTO ac_lock (x) VALUES (2)")))
        started = time.monotonic()
        for _ in range(cancels):
            await asyncio.sleep(0.2)
            task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return conn, time.monotonic() - started

    async def main() -> None:
        conn, took = await attempt(1)
        assert took >= 0.9 and not conn.is_broken()  # waited out the busy timeout
        assert not conn.in_transaction()
        await conn.close()
        conn, took = await attempt(2)
        assert took < 0.9 and conn.is_broken()  # given up at the second cancellation
        holder.run(Execute("ROLLBACK"))
        thread = conn._aio._thread
        await asyncio.to_thread(thread.join, 5)  # (while the loop runs: it is told)
        assert not thread.is_alive()

    try:
        run(main())
    finally:
        if holder.in_transaction():
            holder.run(Execute("ROLLBACK"))
        holder.run(Execute("DROP TABLE ac_lock"))
        holder.close()
    assert threading.active_count() < 50
