"""Retrying transactions (``db.transaction(retries=...)``) against real conflicts: a real
serialization failure where SERIALIZABLE reads a snapshot (PostgreSQL's SSI), a real
deadlock where rows lock, and concurrent read-modify-write increments that lose no
update. Both front ends; the shapes (decorator, loop of attempts, plain ``with``) and the
errors that are never retried.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from asyncdb import run
from tcpproxy import proxied

from ormolu import (
    AsyncDatabase,
    AsyncSession,
    CommitOutcomeUnknown,
    ConfigurationError,
    ConnectionLost,
    Database,
    DeadlockDetected,
    LockNotAvailable,
    Mapped,
    Model,
    OperationalError,
    SerializationFailure,
    Session,
    UniqueViolation,
    field,
)
from ormolu.session.retry import RetryPolicy

# db.transaction() returns a different helper on each front end (a decorator of plain
# functions and a `for` loop; a decorator of coroutine functions and an `async for`), which
# the sync API's adapter cannot stand in for: the async shapes are tested below on an
# AsyncDatabase of their own.
pytestmark = pytest.mark.sync_only("db.transaction's shapes differ by front end")


class Counter(Model, table="rt_counter"):
    id: Mapped[int] = field(primary_key=True)
    value: Mapped[int] = 0


def setup(db: Database, *ids: int) -> None:
    db.create_all([Counter])
    with db.session() as s:
        s.add_all([Counter(id=i) for i in ids or (1,)])


def value(db: Database, id: int = 1) -> int:
    with db.session() as s:
        return s.get_one(Counter, id).value


def fast(db: Any, retries: int, **kw: Any) -> Any:
    """A retried transaction with millisecond waits (tests wait as little as they can)."""
    return db.transaction(retries, backoff=0.001, max_backoff=0.02, **kw)


def sync_url(db: Database) -> str | None:
    return None if db._backend.single_connection(db.url) else str(db.url)


# -- real conflicts ------------------------------------------------------------------------
@pytest.mark.requires("!serializable_reads_lock", "supports_for_update")
def test_serialization_failure_reruns_the_decorated_function(db: Database) -> None:
    setup(db)
    calls: list[int] = []

    @fast(db, 3, isolation_level="SERIALIZABLE")
    def bump(s: Session, by: int) -> int:
        calls.append(1)
        counter = s.get_one(Counter, 1)  # the snapshot is taken here
        if len(calls) == 1:  # another transaction commits a change to the row meanwhile
            with db.session() as other:
                other.get_one(Counter, 1).value += 100
        counter.value += by
        return counter.value

    assert bump(1) == 101  # the second attempt saw the other's write
    assert len(calls) == 2 and value(db) == 101


@pytest.mark.requires("!serializable_reads_lock", "supports_for_update")
def test_the_loop_reruns_the_block_and_commit_failures_too(db: Database) -> None:
    setup(db)
    seen: list[int] = []
    for attempt in fast(db, 2, isolation_level="SERIALIZABLE"):
        with attempt as s:
            seen.append(attempt.number)
            counter = s.get_one(Counter, 1)
            if attempt.number == 1:
                with db.session() as other:
                    other.get_one(Counter, 1).value += 10
            counter.value += 1
    assert seen == [1, 2] and value(db) == 11


@pytest.mark.requires("!serializable_reads_lock", "supports_for_update")
def test_exhausted_retries_raise_the_last_error(db: Database) -> None:
    setup(db)
    calls: list[int] = []

    @fast(db, 2, isolation_level="SERIALIZABLE")
    def always_conflicts(s: Session) -> None:
        calls.append(1)
        counter = s.get_one(Counter, 1)
        with db.session() as other:
            other.get_one(Counter, 1).value += 1
        counter.value = -1

    with pytest.raises(SerializationFailure):
        always_conflicts()
    assert len(calls) == 3 and value(db) == 3  # 1 + 2 retries; only the others' writes


@pytest.mark.requires("supports_for_update")
def test_a_real_deadlock_is_retried(db: Database) -> None:
    """Two threads lock rows 1 and 2 in opposite orders; the database picks one as the
    deadlock victim, which is rerun and completes."""
    setup(db, 1, 2)
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []
    attempts: list[int] = []

    def worker(first: int, second: int) -> None:
        @fast(db, 3)
        def swap(s: Session) -> None:
            attempts.append(first)
            s.query(Counter).filter_by(id=first).for_update().one().value += 1
            if len([a for a in attempts if a == first]) == 1:
                barrier.wait()  # both hold their first row: now each wants the other's
            s.query(Counter).filter_by(id=second).for_update().one().value += 1

        try:
            swap()
        except BaseException as e:  # (reported by the assertion below)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=a) for a in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(attempts) == 3  # one attempt was the victim and ran again
    assert value(db, 1) == 2 and value(db, 2) == 2


@pytest.mark.requires("supports_for_update")
def test_deadlocks_are_typed(db: Database) -> None:
    """Without the helper the victim gets DeadlockDetected (PostgreSQL 40P01, InnoDB
    1213) — not LockNotAvailable, which a lock wait timeout raises and which is not
    retried by default."""
    setup(db, 1, 2)
    barrier = threading.Barrier(2, timeout=20)
    caught: list[BaseException] = []

    def worker(first: int, second: int) -> None:
        with db.session() as s:
            s.query(Counter).filter_by(id=first).for_update().one()
            barrier.wait()
            try:
                s.query(Counter).filter_by(id=second).for_update().one()
            except BaseException as e:  # the victim
                caught.append(e)
                s.rollback()

    threads = [threading.Thread(target=worker, args=a) for a in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [type(e) for e in caught] == [DeadlockDetected]
    assert not RetryPolicy(3).retryable(LockNotAvailable("lock wait timeout"))


@pytest.mark.requires("supports_for_update")
def test_concurrent_increments_lose_no_update(db: Database) -> None:
    """8 threads x 200 read-modify-write increments under SERIALIZABLE: every conflict
    (a serialization failure, or a deadlock where SERIALIZABLE reads take shared locks)
    is retried, and the counter ends at exactly 1600."""
    setup(db)
    threads_n, per_thread = 8, 200
    runs: list[int] = []
    errors: list[BaseException] = []
    wide = Database(str(db.url), pool_size=threads_n)

    @wide.transaction(retries=200, isolation_level="SERIALIZABLE", backoff=0.002, max_backoff=0.05)
    def increment(s: Session) -> None:
        runs.append(1)
        s.get_one(Counter, 1).value += 1

    def worker() -> None:
        try:
            for _ in range(per_thread):
                increment()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        wide.dispose()
    assert errors == []
    assert value(db) == threads_n * per_thread
    assert len(runs) > threads_n * per_thread  # conflicts happened, and were retried


# -- what is never retried -----------------------------------------------------------------
def test_other_errors_propagate_at_once(db: Database) -> None:
    setup(db)
    calls: list[int] = []

    @fast(db, 5)
    def duplicate(s: Session) -> None:
        calls.append(1)
        s.add(Counter(id=1))

    with pytest.raises(UniqueViolation):
        duplicate()
    assert calls == [1]


def test_a_lost_commit_answer_is_not_retried(db: Database) -> None:
    """A real COMMIT whose answer is lost (a TCP proxy cuts the link right after
    forwarding it): CommitOutcomeUnknown propagates from the first attempt, even with
    ConnectionLost (its base class) in retry_on: the unit of work ran once, and the
    server holds its write once or not at all (which, only the server knew)."""
    if db.url.host is None:
        pytest.skip(f"{db.dialect.name} runs in-process: there is no network link to cut")
    setup(db)
    calls: list[int] = []
    with proxied(str(db.url), cut_after=b"COMMIT") as (url, proxy):
        cut = Database(url, pre_ping=False)

        @cut.transaction(5, backoff=0.001, retry_on=(ConnectionLost, SerializationFailure))
        def bump(s: Session) -> None:
            calls.append(1)
            s.get_one(Counter, 1).value += 1
            s.flush()
            proxy.armed.set()

        try:
            with pytest.raises(CommitOutcomeUnknown):
                bump()
        finally:
            cut.dispose()
    assert calls == [1] and value(db) in (0, 1)


def test_commit_outcome_unknown_is_never_retried() -> None:
    policy = RetryPolicy(5, retry_on=(Exception,))
    assert not policy.retryable(CommitOutcomeUnknown("lost"))
    assert policy.retryable(SerializationFailure("x"))
    assert RetryPolicy(1).retryable(DeadlockDetected("x"))


def test_backoff_is_jittered_exponential() -> None:
    policy = RetryPolicy(10, backoff=0.1, max_backoff=1.0)
    assert policy.delay(1, lambda: 1.0) == pytest.approx(0.1)
    assert policy.delay(3, lambda: 1.0) == pytest.approx(0.4)
    assert policy.delay(9, lambda: 1.0) == pytest.approx(1.0)  # capped
    assert policy.delay(3, lambda: 0.5) == pytest.approx(0.2)  # uniform below the cap
    assert policy.delay(60, lambda: 0.0) == 0.0


def test_bad_arguments_fail_before_any_sql(db: Database) -> None:
    with pytest.raises(ConfigurationError, match="retries"):
        db.transaction(-1)
    with pytest.raises(ConfigurationError, match="backoff"):
        db.transaction(1, backoff=-0.5)
    with pytest.raises(ConfigurationError, match="isolation level"):
        db.transaction(1, isolation_level="SOMETIMES")
    with pytest.raises(TypeError, match="cannot be rerun"), db.transaction(3):
        pass


def test_plain_with_and_the_loop_commit(db: Database) -> None:
    setup(db)
    with db.transaction() as s:
        s.get_one(Counter, 1).value = 5
    assert value(db) == 5
    for attempt in db.transaction(2):
        with attempt as s:
            s.get_one(Counter, 1).value += 1
    assert value(db) == 6
    with pytest.raises(ZeroDivisionError):
        for attempt in db.transaction(2):
            with attempt as s:
                s.get_one(Counter, 1).value = 0
                1 / 0  # noqa: B018 - not retried, rolled back
    assert value(db) == 6


# -- the async front end -------------------------------------------------------------------
@pytest.mark.requires("!serializable_reads_lock", "supports_for_update")
def test_async_decorator_and_loop_rerun_on_serialization_failure(db: Database) -> None:
    setup(db)

    async def main() -> tuple[int, list[int]]:
        adb = AsyncDatabase(str(db.url))
        calls: list[int] = []
        try:

            @adb.transaction(3, isolation_level="SERIALIZABLE", backoff=0.001)
            async def bump(s: AsyncSession) -> int:
                calls.append(1)
                counter = await s.get_one(Counter, 1)
                if len(calls) == 1:
                    async with adb.session() as other:
                        (await other.get_one(Counter, 1)).value += 100
                counter.value += 1
                return counter.value

            got = await bump()
            numbers: list[int] = []
            async for attempt in adb.transaction(3, isolation_level="SERIALIZABLE"):
                async with attempt as s:
                    numbers.append(attempt.number)
                    counter = await s.get_one(Counter, 1)
                    if attempt.number == 1:
                        async with adb.session() as other:
                            (await other.get_one(Counter, 1)).value += 10
                    counter.value += 1
            assert len(calls) == 2
            return got, numbers
        finally:
            await adb.close()

    assert run(main()) == (101, [1, 2])
    assert value(db) == 112


def test_async_shapes(db: Database) -> None:
    url = sync_url(db)
    if url is None:
        pytest.skip("an in-memory database is not shared with an AsyncDatabase")
    setup(db)

    async def main() -> None:
        adb = AsyncDatabase(url)
        try:
            async with adb.transaction() as s:
                (await s.get_one(Counter, 1)).value = 7
            with pytest.raises(TypeError, match="cannot be rerun"):
                async with adb.transaction(2):
                    pass
            with pytest.raises(TypeError, match="not a coroutine function"):
                adb.transaction(2)(lambda s: None)  # type: ignore[arg-type,return-value]
            calls: list[int] = []

            @adb.transaction(4)
            async def dup(s: AsyncSession) -> None:
                calls.append(1)
                s.add(Counter(id=1))

            with pytest.raises(UniqueViolation):
                await dup()
            assert calls == [1]
            await asyncio.sleep(0)
        finally:
            await adb.close()

    run(main())
    assert value(db) == 7


def test_leaving_the_loop_after_a_held_back_failure_warns(db: Database) -> None:
    """A ``break`` after an attempt whose error was held back for the next attempt would
    silently commit nothing: it warns, and logs an error."""
    setup(db)
    with pytest.warns(RuntimeWarning, match="nothing of it was committed"):
        for attempt in fast(db, 3):
            with attempt as s:
                s.get_one(Counter, 1).value = 99
                raise SerializationFailure("simulated")
            break  # wrong: the loop would have run attempt 2
    assert value(db) == 0


def test_a_stale_sqlite_wal_snapshot_is_a_serialization_failure(tmp_path: Path) -> None:
    """In WAL mode a deferred transaction that read, then writes after another connection
    committed, fails at once with SQLITE_BUSY_SNAPSHOT: SerializationFailure, which the
    helper retries. (A writer that finds another one writing gets plain SQLITE_BUSY,
    which SQLite also gives for a lock wait that timed out: LockNotAvailable, not retried
    by default; begin read-modify-writes IMMEDIATE there, mode="IMMEDIATE".)"""
    url = f"sqlite:///{tmp_path}/wal.db?journal_mode=wal&synchronous=normal"
    db = Database(url, timeout=10)
    try:
        setup(db)
        with db.session() as a:
            counter = a.get_one(Counter, 1)  # the read transaction's snapshot
            with db.session() as b:
                b.get_one(Counter, 1).value += 10
            counter.value += 1
            with pytest.raises(SerializationFailure, match="SQLITE_BUSY_SNAPSHOT") as info:
                a.flush()
            assert info.value.code == 517
            a.rollback()
        calls: list[int] = []

        @fast(db, 2)
        def bump(s: Session) -> int:
            calls.append(1)
            counter = s.get_one(Counter, 1)
            if len(calls) == 1:
                with db.session() as other:
                    other.get_one(Counter, 1).value += 100
            counter.value += 1
            return counter.value

        assert bump() == 111 and len(calls) == 2
        assert value(db) == 111
    finally:
        db.dispose()


@pytest.mark.requires("serializable_reads_lock", "supports_for_update")
def test_innodb_snapshot_isolation_conflicts_are_serialization_failures(db: Database) -> None:
    """Where SERIALIZABLE reads lock (InnoDB), REPEATABLE READ with MariaDB's
    ``innodb_snapshot_isolation`` refuses a write to a row changed since the snapshot
    with error 1020 ("Record has changed since last read"): SerializationFailure, which
    the helper retries. Servers without the setting are skipped."""
    setup(db)
    url = str(db.url) + "?init_command=SET SESSION innodb_snapshot_isolation = ON"
    snap = Database(url)
    try:
        try:
            with snap.session() as s:
                s.execute_sql("SELECT 1")
        except OperationalError as e:
            pytest.skip(f"the server has no innodb_snapshot_isolation ({e})")
        calls: list[int] = []

        @snap.transaction(3, isolation_level="REPEATABLE READ", backoff=0.001)
        def bump(s: Session) -> int:
            calls.append(1)
            counter = s.get_one(Counter, 1)
            if len(calls) == 1:
                with db.session() as other:
                    other.get_one(Counter, 1).value += 100
            counter.value += 1
            return counter.value

        assert bump() == 101 and len(calls) == 2
        with snap.session() as a, pytest.raises(SerializationFailure) as info:
            a.begin(isolation_level="REPEATABLE READ")
            counter = a.get_one(Counter, 1)
            with db.session() as other:
                other.get_one(Counter, 1).value += 1
            counter.value += 1
            a.flush()
        assert info.value.code == 1020
    finally:
        snap.dispose()
    assert value(db) == 102
