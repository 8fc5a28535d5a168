"""``get_or_create`` / ``update_or_create`` (both front ends) and ``upsert(...,
return_existing=True)``: found or created, race-safe (50 threads racing on one key create
exactly one row), and refusing bad lookups before any SQL."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from asyncdb import run

from ormolu import (
    AsyncDatabase,
    Database,
    InvalidRequestError,
    Mapped,
    Model,
    MultipleResultsFound,
    ValidationError,
    field,
    relationship,
    status_of,
)


class Author(Model, table="goc_author"):
    id: Mapped[int] = field(primary_key=True, default=None)
    email: Mapped[str] = field(max_length=80, unique=True)
    name: Mapped[str] = field(max_length=80, default="")
    visits: Mapped[int] = 0


class Post(Model, table="goc_post"):
    id: Mapped[int] = field(primary_key=True, default=None)
    author_id: Mapped[int] = field(foreign_key="Author.id")
    slug: Mapped[str] = field(max_length=40)
    title: Mapped[str] = field(max_length=80, default="")
    author: Mapped[Author] = relationship()


MODELS = [Author, Post]


def names(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        return s.query(Author.email, Author.name).order_by(Author.email).all()


def second_url(db: Database) -> str | None:
    """A URL a second Database can open on the same data (None: in memory)."""
    if db._backend.single_connection(db.url):
        return None
    return str(db.url)


def test_found_or_created(db: Database) -> None:
    db.create_all(MODELS)
    with db.session() as s:
        ann, created = s.get_or_create(Author, email="ann@example.com", defaults={"name": "Ann"})
        assert created and ann.id is not None and status_of(ann) == "persistent"
        again, created = s.get_or_create(Author, email="ann@example.com", defaults={"name": "X"})
        assert again is ann and not created and ann.name == "Ann"  # defaults: creation only
    with db.session() as s:
        found, created = s.get_or_create(Author, email="ann@example.com")
        assert not created and found.name == "Ann"
        # a relationship in the lookup, as in filter_by
        post, created = s.get_or_create(Post, author=found, slug="hello", defaults={"title": "Hi"})
        assert created and post.author_id == found.id
        same, created = s.get_or_create(Post, author=found, slug="hello")
        assert same is post and not created
    assert names(db) == [("ann@example.com", "Ann")]


def test_update_or_create(db: Database) -> None:
    db.create_all(MODELS)
    with db.session() as s:
        bob, created = s.update_or_create(Author, email="bob@example.com", defaults={"name": "Bob"})
        assert created and bob.name == "Bob"
    with db.session() as s, db.capture() as statements:
        bob, created = s.update_or_create(
            Author, email="bob@example.com", defaults={"name": "Robert"}
        )
        assert not created and bob.name == "Robert"
        assert any(sql.startswith("UPDATE") for sql, _ in statements)  # flushed at once
    assert names(db) == [("bob@example.com", "Robert")]


def test_bad_lookups_fail_before_any_sql(db: Database) -> None:
    db.create_all(MODELS)
    with db.session() as s, db.capture() as statements:
        with pytest.raises(InvalidRequestError, match=r"Author has no field 'emial' in the lookup"):
            s.get_or_create(Author, emial="x@example.com")
        with pytest.raises(
            InvalidRequestError, match=r"Author has no field 'nmae' in the defaults"
        ):
            s.update_or_create(Author, email="x@example.com", defaults={"nmae": "x"})
        with pytest.raises(InvalidRequestError, match="at least one field"):
            s.get_or_create(Author)
        with pytest.raises(ValidationError) as info:
            s.get_or_create(Author, email="x" * 200)
        assert (info.value.model, info.value.field) == ("Author", "email")
        with pytest.raises(ValidationError, match=r"Author\.name"):
            s.get_or_create(Author, email="ok@example.com", defaults={"name": 5 * "long" * 30})
        assert statements == []


def test_several_matches_raise(db: Database) -> None:
    db.create_all(MODELS)
    with db.session() as s:
        s.add_all([Author(email="a@x", name="Same"), Author(email="b@x", name="Same")])
    with db.session() as s, pytest.raises(MultipleResultsFound, match="get_or_create"):
        s.get_or_create(Author, name="Same")


@pytest.mark.requires("supports_for_update")
def test_a_row_committed_after_the_snapshot_is_found_not_duplicated(db: Database) -> None:
    """Where a transaction reads one snapshot (InnoDB's REPEATABLE READ), the row another
    session committed after it is invisible to a plain read: the INSERT conflicts, the
    savepoint is rolled back, and the shared-lock read returns the row. Earlier work of
    the transaction is kept."""
    db.create_all(MODELS)
    with db.session() as s:
        s.add(Author(email="first@example.com"))
        s.flush()  # the transaction holds a write, and (InnoDB) a snapshot
        s.query(Author).count()
        with db.session() as other:
            other.add(Author(email="race@example.com", name="Winner"))
        with db.capture() as statements:
            won, created = s.get_or_create(Author, email="race@example.com", defaults={"name": "L"})
        assert not created and won.name == "Winner"
        if not db.dialect.statement_snapshots:  # it took the conflict path
            assert any(sql.startswith("ROLLBACK TO SAVEPOINT") for sql, _ in statements)
    assert names(db) == [("first@example.com", ""), ("race@example.com", "Winner")]


def race(db: Database, threads: int, work: Any) -> list[Any]:
    """Run ``work(session)`` in ``threads`` threads at once, each in its own session of a
    Database with room for all of them; return the results."""
    url = second_url(db)
    if url is None:
        pytest.skip("an in-memory database has a single connection")
    wide = Database(url, pool_size=10, max_overflow=threads, timeout=30)
    barrier = threading.Barrier(threads, timeout=60)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with wide.session() as s:
                barrier.wait()
                results.append(work(s))
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    try:
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
    finally:
        wide.dispose()
    assert errors == []
    return results


@pytest.mark.sync_only("threads, each with a sync session; the async race: 50 tasks below")
def test_fifty_threads_create_exactly_one_row(db: Database) -> None:
    db.create_all(MODELS)

    def work(s: Any) -> tuple[int, bool]:
        obj, created = s.get_or_create(Author, email="hot@example.com", defaults={"name": "Hot"})
        return obj.id, created

    results = race(db, 50, work)
    assert len(results) == 50
    assert sum(created for _, created in results) == 1
    assert len({id for id, _ in results}) == 1
    assert names(db) == [("hot@example.com", "Hot")]


@pytest.mark.sync_only("threads and db.transaction, each with a sync session")
def test_racing_update_or_create_under_retries(db: Database) -> None:
    """Racing updaters may deadlock where row locks are taken (InnoDB): the retried
    transaction reruns them; one row results, holding one of the values."""
    db.create_all(MODELS)
    url = second_url(db)
    if url is None:
        pytest.skip("an in-memory database has a single connection")
    wide = Database(url, pool_size=10, max_overflow=20, timeout=30)
    barrier = threading.Barrier(20, timeout=60)
    errors: list[BaseException] = []
    waited: set[int] = set()

    @wide.transaction(retries=20, backoff=0.002, max_backoff=0.05)
    def work(s: Any, n: int) -> None:
        if n not in waited:  # (the first attempts start together)
            waited.add(n)
            barrier.wait()
        s.update_or_create(Author, email="upd@example.com", defaults={"name": f"n{n}"})

    def worker(n: int) -> None:
        try:
            work(n)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    try:
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
    finally:
        wide.dispose()
    assert errors == []
    rows = names(db)
    assert len(rows) == 1 and rows[0][1] in {f"n{n}" for n in range(20)}


def test_upsert_can_return_the_rows_that_existed(db: Database) -> None:
    db.create_all(MODELS)
    with db.session() as s:
        s.add(Author(email="old@example.com", name="Old"))
    with db.session() as s:
        rows = [
            {"email": "new@example.com", "name": "New"},
            {"email": "old@example.com", "name": "Ignored"},
        ]
        got = s.upsert(Author, rows, conflict=["email"], do_nothing=True, return_existing=True)
        assert [(a.email, a.name) for a in got] == [
            ("new@example.com", "New"),
            ("old@example.com", "Old"),  # left as it was
        ]
        assert all(a.id is not None and status_of(a) == "persistent" for a in got)
        updated = s.upsert(
            Author, [{"email": "old@example.com", "name": "Updated"}], conflict=["email"],
            return_existing=True,
        )  # fmt: skip
        assert [(a.email, a.name) for a in updated] == [("old@example.com", "Updated")]
        assert updated[0] is got[1]  # the identity map's object
    assert names(db) == [("new@example.com", "New"), ("old@example.com", "Updated")]


@pytest.mark.sync_only("50 asyncio tasks on an AsyncDatabase of its own")
def test_fifty_tasks_create_exactly_one_row(db: Database) -> None:
    url = second_url(db)
    if url is None:
        pytest.skip("an in-memory database is not shared with an AsyncDatabase")
    db.create_all(MODELS)

    async def main() -> list[tuple[int, bool]]:
        adb = AsyncDatabase(url, pool_size=10, max_overflow=40, timeout=30)
        gate = asyncio.Event()

        async def one() -> tuple[int, bool]:
            async with adb.session() as s:
                await gate.wait()
                obj, created = await s.get_or_create(
                    Author, email="hot@example.com", defaults={"name": "Hot"}
                )
                return obj.id, created

        try:
            tasks = [asyncio.create_task(one()) for _ in range(50)]
            await asyncio.sleep(0)
            gate.set()
            return list(await asyncio.gather(*tasks))
        finally:
            await adb.close()

    results = run(main())
    assert sum(created for _, created in results) == 1
    assert len({id for id, _ in results}) == 1
    assert names(db) == [("hot@example.com", "Hot")]


@pytest.mark.sync_only("an AsyncDatabase of its own (the others run on both front ends)")
def test_async_forms(db: Database) -> None:
    url = second_url(db)
    if url is None:
        pytest.skip("an in-memory database is not shared with an AsyncDatabase")
    db.create_all(MODELS)

    async def main() -> None:
        adb = AsyncDatabase(url)
        try:
            async with adb.session() as s:
                ann, created = await s.get_or_create(Author, email="a@x", defaults={"name": "A"})
                assert created and ann.id is not None
                same, created = await s.get_or_create(Author, email="a@x")
                assert same is ann and not created
                upd, created = await s.update_or_create(Author, email="a@x", defaults={"name": "B"})
                assert upd is ann and not created and ann.name == "B"
                got = await s.upsert(
                    Author, [{"email": "a@x"}, {"email": "c@x"}], conflict=["email"],
                    do_nothing=True, return_existing=True,
                )  # fmt: skip
                assert [a.email for a in got] == ["a@x", "c@x"] and got[0] is ann
                with pytest.raises(InvalidRequestError, match="no field 'bogus'"):
                    await s.get_or_create(Author, bogus=1)
        finally:
            await adb.close()

    run(main())
    assert names(db) == [("a@x", "B"), ("c@x", "")]
