"""One AsyncSession awaited by two tasks at once is refused, on every backend.

A session's identity map, unit of work and transaction belong to one task at a time (as a
DB-API connection belongs to one thread, PEP 249 ``threadsafety``). Without the check, two
tasks sharing a session would interleave their flushes and, on PostgreSQL, read each
other's results from the connection's one reused cursor. The second task gets
InvalidRequestError before it sends anything; the first finishes normally, and the
session stays usable."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from frontend import is_async

from ormolu import Database, InvalidRequestError, Mapped, Model, field


class Item(Model, table="cu_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=20)


def async_parts(db: Database) -> tuple[Any, asyncio.AbstractEventLoop]:
    if not is_async(db):
        pytest.skip("tasks sharing a session is an asyncio front end matter")
    return db._inner, db._loop  # type: ignore[attr-defined]


def test_a_second_task_on_a_busy_session_is_refused_and_nothing_is_lost(db: Database) -> None:
    adb, loop = async_parts(db)

    async def scenario() -> tuple[list[Any], int, int]:
        await adb.create_all([Item])
        async with adb.session() as s:
            s.add(Item(name="first"))
            outcomes = await asyncio.gather(
                s.query(Item).all(), s.query(Item).count(), return_exceptions=True
            )
            s.add(Item(name="second"))
            inside = await s.query(Item).count()
        async with adb.session() as s:
            committed = await s.query(Item).count()
        return outcomes, inside, committed

    outcomes, inside, committed = loop.run_until_complete(scenario())
    first, second = outcomes
    assert [o.name for o in first] == ["first"]  # the first task's query ran and flushed
    assert isinstance(second, InvalidRequestError)
    assert "two tasks" in str(second) and "its own session" in str(second)
    assert (inside, committed) == (2, 2)


def test_tasks_each_with_their_own_session_run_concurrently(db: Database) -> None:
    adb, loop = async_parts(db)

    async def one(i: int) -> int:
        async with adb.session() as s:
            s.add(Item(name=f"n{i}"))
            await s.flush()
            return await s.query(Item).where(Item.name == f"n{i}").count()

    async def scenario() -> tuple[list[int], int]:
        await adb.create_all([Item])
        counts = await asyncio.gather(*(one(i) for i in range(8)))
        async with adb.session() as s:
            return list(counts), await s.query(Item).count()

    counts, total = loop.run_until_complete(scenario())
    assert counts == [1] * 8
    assert total == 8


def test_a_second_task_during_a_lone_insert_commit_is_refused(db: Database) -> None:
    adb, loop = async_parts(db)

    async def scenario() -> tuple[Any, int]:
        await adb.create_all([Item])
        s = adb.session()
        s.add(Item(name="lone"))  # (committed by the one-INSERT shortcut)
        outcomes = await asyncio.gather(s.commit(), s.query(Item).count(), return_exceptions=True)
        await s.close()
        async with adb.session() as fresh:
            return outcomes, await fresh.query(Item).count()

    (committed, refused), rows = loop.run_until_complete(scenario())
    assert committed is None
    assert isinstance(refused, InvalidRequestError)
    assert rows == 1


@pytest.mark.parametrize("second", ["commit", "rollback", "close"])
def test_ending_a_session_another_task_is_using_is_refused_and_leaves_it_whole(
    db: Database, second: str
) -> None:
    """The refused commit, rollback or close gives back nothing: the running task keeps
    its connection, and the session commits afterwards as if nothing had happened."""
    adb, loop = async_parts(db)

    async def scenario() -> tuple[Any, Any, int]:
        await adb.create_all([Item])
        s = adb.session()
        s.add(Item(name="pending"))
        first, refused = await asyncio.gather(
            s.query(Item).count(), getattr(s, second)(), return_exceptions=True
        )
        s.add(Item(name="later"))
        await s.commit()
        await s.close()
        async with adb.session() as fresh:
            return first, refused, await fresh.query(Item).count()

    first, refused, rows = loop.run_until_complete(scenario())
    assert first == 1  # (the pending object flushed by the first task's query)
    assert isinstance(refused, InvalidRequestError)
    assert rows == 2
