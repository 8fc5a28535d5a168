"""The asyncio pool under load with cancellations (issue "AsyncSession", requirement
"cancellation-safe"): 200 concurrent tasks over a pool of 10, a share of them cancelled at
random points — waiting for a connection, inside a flush, between statements, during the
commit — and afterwards the pool holds exactly its connections, the server sees no other
session of ours, and every row the database kept is whole (a task's transaction is all
there or not at all)."""

from __future__ import annotations

import asyncio
import random

import pytest
from asyncdb import file_url, run, server_session_ids, settles

from ormolu import AsyncDatabase, Database, Mapped, Model, field

pytestmark = [
    pytest.mark.sync_only("drives AsyncDatabase itself; no front end to vary"),
    pytest.mark.async_drivers,
]

TASKS = 200
POOL = 10
LINES = 5


class Order(Model, table="apl_order"):
    id: Mapped[int] = field(primary_key=True, default=None)
    task: Mapped[int] = field(unique=True)
    left: Mapped[int]
    right: Mapped[int]  # left + right == 100 in a whole order


class OrderLine(Model, table="apl_line"):
    id: Mapped[int] = field(primary_key=True, default=None)
    task: Mapped[int] = field(index=True)
    n: Mapped[int]


async def checkout(adb: AsyncDatabase, task: int, rng: random.Random) -> int:
    """One unit of work: an order, then its lines in a second flush, with awaits between
    (where a cancellation can land); commits on leaving the block."""
    async with adb.session() as s:
        left = rng.randrange(100)
        s.add(Order(task=task, left=left, right=100 - left))
        await s.flush()
        await asyncio.sleep(rng.random() * 0.005)
        s.add_all([OrderLine(task=task, n=i) for i in range(LINES)])
        await s.flush()
        assert await s.query(OrderLine).where(OrderLine.task == task).count() == LINES
    return task


def test_200_tasks_over_a_pool_of_10_with_random_cancellations(db: Database) -> None:
    url = file_url(db)
    if url is None:
        pytest.skip("an in-memory database has one connection: no pool to load")
    db.create_all([Order, OrderLine])
    rng = random.Random(20261202)
    served = db.url.host is not None  # a server, which can tell its sessions
    # (the fixture's own idle connection, and any an earlier test has not closed yet)
    before = server_session_ids(db) if served else set()

    async def main() -> tuple[int, int, int, set[int], set[int]]:
        adb = AsyncDatabase(url, pool_size=POOL, max_overflow=0, pool_timeout=60)
        try:
            tasks = [asyncio.create_task(checkout(adb, i, rng)) for i in range(TASKS)]
            loop = asyncio.get_running_loop()
            doomed = rng.sample(range(TASKS), TASKS // 3)
            for i in doomed:  # cancelled at a random moment of its life
                loop.call_later(rng.random() * 0.4, tasks[i].cancel)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            done = {r for r in results if isinstance(r, int)}
            failures = [r for r in results if isinstance(r, BaseException)]
            unexpected = [r for r in failures if not isinstance(r, asyncio.CancelledError)]
            assert not unexpected, unexpected[:3]
            pool = adb.pool
            return pool.checked_out, len(pool._idle), pool._open, done, set(doomed)
        finally:
            await adb.close()

    checked_out, idle, opened, done, doomed = run(main(), timeout=300)
    assert checked_out == 0  # every connection came back or was discarded
    assert idle == opened <= POOL  # the pool holds exactly the connections it counts
    assert set(range(TASKS)) - doomed <= done  # every task not cancelled finished
    if served:  # none of the async sessions left behind on the server
        left = settles(lambda: server_session_ids(db) - before, set(), within=30.0)
        assert not left, f"{len(left)} connection(s) of the async pool left open"

    with db.session() as s:
        orders = s.query(Order).all()
        lines = s.query(OrderLine).all()
    by_task: dict[int, int] = {}
    for line in lines:
        by_task[line.task] = by_task.get(line.task, 0) + 1
    kept = {o.task for o in orders}
    assert all(o.left + o.right == 100 for o in orders)
    assert set(by_task) == kept  # no line without its order
    assert all(n == LINES for n in by_task.values())  # no order without all its lines
    assert done <= kept  # every task that finished committed
    assert len(kept) < TASKS  # (the cancellations did cut some units of work short)


def test_the_pool_serves_waiting_tasks_first_come_first_served(db: Database) -> None:
    """A task that gives its connection back and at once asks again queues behind the
    tasks already waiting, instead of taking back the connection returned for them (which
    starved waiters until PoolTimeout under load)."""
    url = file_url(db)
    if url is None:
        pytest.skip("an in-memory database has one connection: no pool to share")

    async def main() -> list[int]:
        adb = AsyncDatabase(url, pool_size=2, max_overflow=0, pool_timeout=30)
        done = [0] * 6
        spread: list[int] = []

        async def client(i: int) -> None:
            for _ in range(30):  # no other await between one request and the next
                async with adb.session() as s:
                    await s.execute_sql("SELECT 1")
                done[i] += 1
                spread.append(max(done) - min(done))

        try:
            await asyncio.gather(*(client(i) for i in range(6)))
        finally:
            await adb.close()
        return spread

    spread = run(main())
    # (fair: a few apart, as the event loop interleaves the resets; unfair: 30 apart)
    assert max(spread) <= 12, max(spread)


def test_the_checkout_shortcut_lends_only_a_live_connection_and_waits_its_turn(
    db: Database,
) -> None:
    """The asyncio pool's shortcut (an idle connection, nobody waiting) hands out the
    connection just returned; a closed one still goes through the full check (discarded
    and replaced), and a caller arriving while others wait queues behind them."""
    url = file_url(db)
    if url is None or url.startswith("sqlite"):
        pytest.skip("a pool whose connections can break: the servers")

    async def main() -> None:
        adb = AsyncDatabase(url, pool_size=1, max_overflow=0, pool_timeout=10)
        try:
            pool = adb.pool
            conn = await pool.acquire()
            await pool.release(conn, clean=True)  # (vouched: kept without a reset)
            assert await pool.acquire() is conn  # the shortcut
            await pool.release(conn)
            await conn.close()  # while idle in the pool
            fresh = await pool.acquire()
            assert fresh is not conn and not fresh.is_broken()
            order: list[str] = []

            async def second() -> None:
                c = await pool.acquire()
                order.append("waiter")
                await pool.release(c)

            waiter = asyncio.create_task(second())
            await asyncio.sleep(0.05)  # it waits for the one connection
            await pool.release(fresh)
            again = await pool.acquire()  # queues behind the waiter, no shortcut
            order.append("late")
            await pool.release(again)
            await waiter
            assert order == ["waiter", "late"] and pool.checked_out == 0
        finally:
            await adb.close()

    run(main())
