"""Deferred columns on every backend and both front ends: ``field(deferred=True)`` and
the ``load_only`` / ``defer`` / ``undefer`` options leave fields out of the SELECT; the
first read loads the field for the whole result in one statement (a strict session
raises, an async one raises naming the explicit forms); flush, rollback, ``refresh``,
``get``, raw SQL, relationship loads and ``session.load`` respect it (schema and data:
tests/integration/blog.py)."""

from __future__ import annotations

from typing import Any

import pytest
from asyncdb import file_url, run
from blog import ARTICLES, MODELS, ROWS, USERS, Article, Comment, User, selects

from ormolu import (
    AsyncDatabase,
    ConfigurationError,
    Database,
    DetachedInstanceError,
    InvalidRequestError,
    LazyLoadError,
    Mapped,
    Model,
    ObjectDeletedError,
    defer,
    field,
    func,
    joinedload,
    load_only,
    select,
    selectinload,
    undefer,
)


@pytest.fixture
def bdb(db: Database) -> Database:
    db.create_all(MODELS)
    with db.session() as s:
        for model, rows in ROWS:
            s.insert_many(model, rows)
    return db


def _body(a: int) -> str:
    return f"body of article {a} " * 20


# -- left out of the SELECT, loaded in one batch -------------------------------------------
@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_a_deferred_field_is_not_selected_and_loads_for_the_whole_result(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        articles = s.query(Article).order_by(Article.id).all()
        first = selects(sent)[0]
        assert "body" not in first and "title" in first
        assert all("body" not in a.__dict__ for a in articles)
        assert articles[7].body == _body(8)
        assert len(selects(sent)) == 2  # one statement for the 20 articles
        assert "body" in selects(sent)[1] and "title" not in selects(sent)[1]
        assert [a.body for a in articles] == [_body(a) for a in range(1, ARTICLES + 1)]
        assert len(selects(sent)) == 2
        user = s.get(User, 3)
        assert user is not None and "password_hash" not in sent[-1][0]
        assert user.password_hash == "hash3"
        assert s.get(User, 3) is user  # fully loaded: no reload by get
    assert len(selects(sent)) == 4


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_objects_of_a_relationship_load_batch_their_deferred_fields(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        articles = s.query(Article).options(selectinload(Article.comments)).all()
        texts = {c.text for a in articles for c in a.comments}
        assert len(texts) == 6 * ARTICLES
        assert len(selects(sent)) == 3
        authors = {a.author for a in articles}  # a lazy many-to-one load
        hashes = {u.password_hash for u in authors}
        assert hashes == {f"hash{u}" for u in range(1, USERS + 1)}
        assert len(selects(sent)) == 5


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_load_only_defer_and_undefer(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        q = s.query(Article).options(load_only(Article.title)).order_by(Article.id)
        assert "views" not in q.sql()[0] and "body" not in q.sql()[0]
        articles = q.all()
        assert set(articles[0].__dict__) >= {"id", "title"}
        assert "views" not in articles[0].__dict__ and "author_id" not in articles[0].__dict__
        assert sum(a.views for a in articles) == 10 * ARTICLES * (ARTICLES + 1) // 2
        assert len(selects(sent)) == 2
        # a relationship whose key field was left out: the key loads first, in one batch
        assert [a.author.name for a in articles][:2] == ["user2", "user3"]
        assert len(selects(sent)) == 4
    with bdb.session() as s, bdb.capture() as sent:
        rows = (
            s.query(Article)
            .options(defer(Article.views), undefer(Article.body))
            .order_by(Article.id)
            .all()
        )
        assert "views" not in selects(sent)[0] and "body" in selects(sent)[0]
        assert rows[0].body == _body(1) and len(selects(sent)) == 1
        users = s.query(User).options(undefer(User.password_hash)).all()
        assert {u.password_hash for u in users} == {f"hash{u}" for u in range(1, USERS + 1)}
        assert len(selects(sent)) == 2
    with bdb.session() as s, bdb.capture() as sent:
        # load_only of the related model, with the select-in load of it
        articles = (
            s.query(Article)
            .options(selectinload(Article.author), load_only(User.id), load_only(Article.title))
            .all()
        )
        assert all(a.author is not None for a in articles)  # author_id loaded first
        assert "name" not in articles[0].author.__dict__
        assert len(selects(sent)) == 3


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_column_options_on_several_entities_and_joined_loads(bdb: Database) -> None:
    n = select(func.count(Comment.id)).where(Comment.article_id == Article.id).scalar_subquery()
    with bdb.session() as s, bdb.capture() as sent:
        rows = s.query(Article, n).options(defer(Article.title), undefer(Article.body)).all()
        assert "title" not in selects(sent)[0] and "body" in selects(sent)[0]
        assert {a.title for a, _ in rows} == {f"article {a}" for a in range(1, ARTICLES + 1)}
        assert len(selects(sent)) == 2
    with bdb.session() as s, bdb.capture() as sent:
        comments = s.query(Comment).options(joinedload(Comment.author)).all()
        assert "password_hash" not in selects(sent)[0]
        assert len({c.author.password_hash for c in comments}) == USERS
        assert len(selects(sent)) == 2
        s.expunge_all()
        comments = (
            s.query(Comment).options(joinedload(Comment.author), undefer(User.password_hash)).all()
        )
        assert "password_hash" in selects(sent)[2]
        assert len({c.author.password_hash for c in comments}) == USERS
        assert len(selects(sent)) == 3


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_streamed_results_load_deferred_fields_per_chunk(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        bodies = [a.body for a in s.query(Article).order_by(Article.id).yield_per(5)]
        assert bodies == [_body(a) for a in range(1, ARTICLES + 1)]
    loads = [q for q in selects(sent) if "body" in q]  # (a stream's own SELECT is not captured)
    assert len(loads) == ARTICLES // 5  # one per chunk of 5


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_raw_results_with_or_without_the_deferred_field(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        users = s.raw(User, "SELECT id, name FROM nb_user")
        assert {u.password_hash for u in users} == {f"hash{u}" for u in range(1, USERS + 1)}
        assert len(selects(sent)) == 2
        s.expunge_all()
        users = s.raw(User, "SELECT * FROM nb_user")
        assert {u.password_hash for u in users} == {f"hash{u}" for u in range(1, USERS + 1)}
        assert len(selects(sent)) == 3


# -- strictness, refusals -------------------------------------------------------------------
@pytest.mark.sync_only("a strict session is the sync front end's")
def test_a_strict_session_refuses_to_load_a_deferred_field(bdb: Database) -> None:
    with bdb.session(strict=True) as s:
        user = s.query(User).filter_by(id=1).one()
        with pytest.raises(LazyLoadError, match=r"User\.password_hash.*undefer\("):
            _ = user.password_hash
        s.load([user], User.password_hash)  # the explicit form works
        assert user.password_hash == "hash1"
        u2 = s.query(User).options(undefer(User.password_hash)).filter_by(id=2).one()
        assert u2.password_hash == "hash2"


def test_bad_column_options_are_refused(bdb: Database) -> None:
    with pytest.raises(InvalidRequestError, match="primary key"):
        defer(Article.id)
    with pytest.raises(InvalidRequestError, match="fields of a model"):
        load_only(Article.tags)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="at least one"):
        undefer()
    with bdb.session() as s:
        with pytest.raises(InvalidRequestError, match="loads no Comment"):
            s.query(Article).options(defer(Comment.text)).all()
        with pytest.raises(InvalidRequestError, match="union"):
            s.query(User).union(s.query(User)).options(defer(User.name)).all()
        with pytest.raises(InvalidRequestError, match="no field 'nope'"):
            s.refresh(s.get(User, 1), ["nope"])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="primary key field cannot be deferred"):

        class Bad(Model, table="nb_bad"):
            id: Mapped[int] = field(primary_key=True, deferred=True)


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_a_deferred_field_of_a_deleted_row(bdb: Database) -> None:
    with bdb.session() as s:
        c = s.get(Comment, 6)  # a reply's reply: nothing refers to it
        assert c is not None
        s.execute("DELETE FROM nb_comment WHERE id = 6")
        with pytest.raises(ObjectDeletedError, match="Comment"):
            _ = c.text


# -- writes, rollback, refresh ---------------------------------------------------------------
def test_flush_writes_a_deferred_field_set_and_leaves_it_alone_otherwise(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        u1, u2 = s.query(User).where(User.id.in_([1, 2])).order_by(User.id).all()
        u1.name = "renamed"  # password_hash not loaded: the UPDATE must not touch it
        u2.password_hash = "new hash"  # set without loading it
        assert u2.password_hash == "new hash"
        s.flush()
        updates = [q for q, _ in sent if q.lstrip().upper().startswith("UPDATE")]
        assert len(updates) == 2 and sum("password_hash" in q for q in updates) == 1
        s.add(User(id=99, name="new", password_hash="h99"))
    with bdb.session() as s:
        rows = s.query(User.id, User.name, User.password_hash).order_by(User.id).all()
        assert rows[:2] == [(1, "renamed", "hash1"), (2, "user2", "new hash")]
        assert rows[-1] == (99, "new", "h99")


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_rollback_leaves_a_deferred_field_unloaded_not_missing(bdb: Database) -> None:
    with bdb.session() as s:
        u = s.query(User).filter_by(id=1).one()
        with pytest.raises(RuntimeError), s.begin_nested():
            u.password_hash = "temporary"
            s.flush()
            raise RuntimeError("undo")
        assert u.password_hash == "hash1"
        s.rollback()
        assert u.password_hash == "hash1" and u.name == "user1"


def test_refresh_honours_deferral(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        u = s.query(User).filter_by(id=1).one()
        s.refresh(u)
        assert "password_hash" not in sent[-1][0]
        assert "password_hash" not in u.__dict__
        s.refresh(u, ["password_hash"])
        assert "password_hash" in sent[-1][0] and "name" not in sent[-1][0]
        assert u.__dict__["password_hash"] == "hash1"
        s.execute("UPDATE nb_user SET password_hash = 'changed' WHERE id = 1")
        s.refresh(u)  # loaded now: refreshed with the rest
        assert "password_hash" in sent[-1][0] and u.password_hash == "changed"
        u.password_hash = "unflushed"
        s.refresh(u, ["password_hash"])  # the unflushed change is discarded
        assert u.password_hash == "changed" and s.dirty == []


def test_session_load_of_fields_along_a_path(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        articles = s.query(Article).all()
        s.load(articles, Article.body, Article.author, User.password_hash)
        assert len(selects(sent)) == 4
        assert {a.author.password_hash for a in articles} == {f"hash{u}" for u in range(1, 11)}
        assert all(a.body.startswith("body") for a in articles)
        assert len(selects(sent)) == 4
        with pytest.raises(InvalidRequestError, match="not a field of Article"):
            s.load(articles, User.name)


# -- the async front end ---------------------------------------------------------------------
async def _async_setup(db: Database) -> AsyncDatabase:
    url = file_url(db)
    adb = AsyncDatabase(url or "sqlite://")
    if url is None:  # a database in memory: the async one is another, fill it alike
        await adb.create_all(MODELS)
        async with adb.session() as s:
            for model, rows in ROWS:
                await s.insert_many(model, rows)
    return adb


@pytest.mark.sync_only("it opens its own AsyncDatabase on the sync one's database")
def test_async_deferred_fields_raise_naming_the_fix_and_load_explicitly(bdb: Database) -> None:
    async def main() -> None:
        adb = await _async_setup(bdb)
        try:
            async with adb.session() as s:
                articles = await s.query(Article).order_by(Article.id).all()
                with adb.capture() as sent:
                    with pytest.raises(LazyLoadError) as info:
                        _ = articles[0].body
                    assert sent == []  # no I/O behind the attribute
                message = str(info.value)
                assert "undefer(Article.body)" in message
                assert "await session.load(objects, Article.body)" in message
                assert "await session.refresh(obj, ['body'])" in message
                with adb.capture() as sent:
                    await s.load(articles, Article.body)
                assert len(selects(sent)) == 1
                assert articles[19].body == _body(20)
                user = await s.get(User, 4)
                assert user is not None
                await s.refresh(user, ["password_hash"])
                assert user.password_hash == "hash4"
                rows: list[Any] = (
                    await s.query(Comment)
                    .options(load_only(Comment.article_id), undefer(Comment.text))
                    .where(Comment.id <= 3)
                    .order_by(Comment.id)
                    .all()
                )
                assert [c.text for c in rows] == ["comment 1", "comment 2", "comment 3"]
                with pytest.raises(LazyLoadError, match=r"Comment\.author_id"):
                    _ = rows[0].author_id
                q = s.query(Article).options(defer(Article.title))
                ids = [a.id async for a in q.stream(7)]
                assert sorted(ids) == list(range(1, ARTICLES + 1))
        finally:
            await adb.close()

    run(main())


# -- the other ways in and out ---------------------------------------------------------------
def test_upsert_returns_objects_with_their_deferred_fields(bdb: Database) -> None:
    row = {"id": 1, "title": "t", "body": "b", "views": 7, "author_id": 3}
    with bdb.session() as s:
        back = s.upsert(Article, [row])
        if bdb.dialect.supports_returning:
            (a,) = back
            assert {k: getattr(a, k) for k in row} == row
    with bdb.session() as s:
        got = s.query(Article).options(undefer(Article.body)).filter_by(id=1).one()
        assert {k: getattr(got, k) for k in row} == row


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_expired_and_deferred_fields_each_reload_their_way(bdb: Database) -> None:
    with bdb.session() as s, bdb.capture() as sent:
        users = s.query(User).options(load_only(User.id)).order_by(User.id).all()
        u = users[0]
        assert s.get(User, 1) is u and len(selects(sent)) == 1  # not expired: no reload
        assert u.name == "user1" and len(selects(sent)) == 2  # left out: the batch
        assert {x.name for x in users} == {f"user{i}" for i in range(1, USERS + 1)}
        s.expire(u)
        assert u.name == "user1" and len(selects(sent)) == 3  # expired: its row again
        assert "password_hash" not in u.__dict__  # (the reload leaves it deferred)
        assert u.password_hash == "hash1" and len(selects(sent)) == 4
        assert users[9].password_hash == "hash10"  # (loaded with u's: one batch)
        assert len(selects(sent)) == 4
        s.expunge_all()
        alone = s.query(User).filter_by(id=2).one()
        s.expunge(alone)
    with pytest.raises(DetachedInstanceError, match="belongs to no session"):
        _ = alone.password_hash  # detached: nothing can load it


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_a_deferred_field_with_a_server_default(db: Database) -> None:
    class Doc(Model, table="nb_doc"):
        id: Mapped[int] = field(primary_key=True, default=None)
        state: Mapped[str] = field(max_length=10, server_default="draft", deferred=True)

    db.create_all([Doc])
    with db.session() as s:
        docs = [Doc(), Doc()]
        s.add_all(docs)
        s.flush()
        assert docs[0].state == "draft" and docs[1].state == "draft"
    with db.session() as s:
        assert [d.state for d in s.query(Doc).all()] == ["draft", "draft"]


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_a_deferred_field_of_a_model_with_a_composite_key(db: Database) -> None:
    class Cell(Model, table="nb_cell"):
        row: Mapped[int] = field(primary_key=True)
        col: Mapped[int] = field(primary_key=True)
        formula: Mapped[str] = field(max_length=40, deferred=True)

    db.create_all([Cell])
    with db.session() as s:
        s.insert_many(
            Cell, [{"row": r, "col": c, "formula": f"={r}*{c}"} for r in range(3) for c in range(3)]
        )
    with db.session() as s, db.capture() as sent:
        cells = s.query(Cell).order_by(Cell.row, Cell.col).all()
        assert cells[4].formula == "=1*1"
        assert [c.formula for c in cells] == [f"={r}*{c}" for r in range(3) for c in range(3)]
    assert len(selects(sent)) == 2


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_expired_objects_seen_again_by_a_load_only_query_batch_what_it_left_out(
    bdb: Database,
) -> None:
    with bdb.session() as s:
        users = s.query(User).all()
        for u in users:
            s.expire(u)
        with bdb.capture() as sent:
            again = s.query(User).options(load_only(User.id)).all()
            assert {u.name for u in again} == {f"user{i}" for i in range(1, USERS + 1)}
        assert len(selects(sent)) == 2  # not 1 + one reload per user
