"""Schema details a real application tripped over: ``index=True`` on a primary key column
other than the key's first is an index of its own (create_all, reflection and migrations
agree); MySQL/MariaDB tables state ``utf8mb4`` and a Unicode collation instead of
inheriting a latin1 server's; automatic association tables name their columns after the
models (``article_id``), not the tables (``articles_id``)."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest

from ormolu import (
    ConfigurationError,
    Database,
    Mapped,
    Model,
    UniqueViolation,
    field,
    many_to_many,
    selectinload,
)
from ormolu.engine import existing_differences_op, tables_of
from ormolu.migrations.make import init_folder, make_migration
from ormolu.migrations.runner import Migrator
from ormolu.schema.state import SchemaState, state_from_tables


class Membership(Model, table="sg_membership"):
    group_id: Mapped[int] = field(primary_key=True, index=True)  # the key's own index serves it
    user_id: Mapped[int] = field(primary_key=True, index=True)  # the second column: its own
    role: Mapped[str] = field(max_length=20, default="member")


class Tag(Model, table="sg_tags"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=30)


class Article(Model, table="sg_articles"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=60)
    tags: Mapped[list[Tag]] = many_to_many()


class Person(Model, table="sg_people"):
    id: Mapped[int] = field(primary_key=True, default=None)
    follows: Mapped[list[Person]] = many_to_many()


class Note(Model, table="sg_note"):
    id: Mapped[int] = field(primary_key=True, default=None)
    body: Mapped[str]
    handle: Mapped[str | None] = field(max_length=40, unique=True, default=None)


HOSTILE = [
    "emoji 😀👍🏽", "😁", "naïve café", "中文字符", "Ελληνικά", "עִבְרִית",
    "\U0001d518\U0001d52b",  # mathematical fraktur: outside the Basic Multilingual Plane
    "it's", "100%", "\\", "zero\u200bwidth", "ﬁ ligature", "🏳️\u200d🌈 flag",
]  # fmt: skip


def reflected(db: Database, *names: str) -> SchemaState:
    with db.session() as s:
        state: SchemaState = s.run(db.dialect.reflector().reflect(list(names)))
    return state


def differences(db: Database, models: list[type[Model]]) -> dict[str, list[str]]:
    with db.session() as s:
        found: dict[str, list[str]] = s.run(existing_differences_op(db.dialect, tables_of(models)))
    return found


# -- index=True on a primary key column --------------------------------------------------
def test_index_on_a_later_primary_key_column_is_created(db: Database) -> None:
    db.create_all([Membership])
    table = reflected(db, "sg_membership").table("sg_membership")
    assert table.primary_key == ("group_id", "user_id")
    assert [ix.columns for ix in table.indexes] == [("user_id",)]  # group_id: the key's
    assert differences(db, [Membership]) == {}  # reflection agrees with the model


def test_migrations_create_the_same_index(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    init_folder(folder)
    m = Migrator(db, folder)
    path, _ = make_migration(m, [Membership.__mapper__.table], "membership")
    assert path is not None and "user_id" in path.read_text()
    m.upgrade()
    assert make_migration(m, [Membership.__mapper__.table], "again") == (None, [])
    state = m.database_state()
    model = state_from_tables(db.dialect, [Membership.__mapper__.table])
    assert state.differences(model) == []
    assert [ix.columns for ix in state.table("sg_membership").indexes] == [("user_id",)]


# -- association table columns --------------------------------------------------------------
def test_association_columns_are_named_after_the_models(db: Database) -> None:
    db.create_all([Article, Tag, Person])
    columns = {c.name for c in reflected(db, "sg_articles_tags").table("sg_articles_tags").columns}
    assert columns == {"article_id", "tag_id"}
    follows = reflected(db, "sg_people_follows").table("sg_people_follows")
    assert {c.name for c in follows.columns} == {"person_id", "follows_person_id"}
    with db.session() as s:
        jazz = Tag(label="jazz")
        s.add(Article(title="Kind of Blue", tags=[jazz]))
        ann, bob = Person(), Person()
        ann.follows.append(bob)
        s.add_all([ann, bob])
    with db.session() as s:
        article = s.query(Article).options(selectinload(Article.tags)).one()
        assert [t.label for t in article.tags] == ["jazz"]
        assert s.query(Article).where(Article.tags.contains(jazz)).count() == 1
        first = s.query(Person).options(selectinload(Person.follows)).filter_by(id=ann.id).one()
        assert [p.id for p in first.follows] == [bob.id]


# -- utf8mb4 stated, not inherited -----------------------------------------------------------
def _latin1_database(db: Database) -> str:
    """A new database defaulting to latin1 on ``db``'s server; returns its URL."""
    name = f"ormolu_latin1_{secrets.token_hex(4)}"
    with db.session() as s:
        s.execute_sql(
            f"CREATE DATABASE {db.dialect.quote(name)} CHARACTER SET latin1 "
            "COLLATE latin1_swedish_ci"
        )
    return str(db.url).rsplit("/", 1)[0] + "/" + name


def test_hostile_unicode_round_trips_on_a_latin1_database(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """On a server where tables carry a character set (``text_collation``), create_all
    into a latin1 database still stores every character; elsewhere text is Unicode
    anyway and the same checks hold."""
    target, url = db, None
    if getattr(db.dialect, "text_collation", None):
        url = _latin1_database(db)
        target = Database(url)
    try:
        target.create_all([Note])
        with target.session() as s:
            s.add_all([Note(body=v, handle=v) for v in HOSTILE])
        with target.session() as s:
            assert s.query(Note.body).order_by(Note.id).all() == HOSTILE
            assert s.query(Note.handle).where(Note.handle == "😁").all() == ["😁"]
        with target.session() as s:  # a distinct emoji is a distinct key
            s.add(Note(body="dup", handle="😁"))
            with pytest.raises(UniqueViolation):
                s.flush()
            s.rollback()
        assert differences(target, [Note]) == {}
        with caplog.at_level(logging.WARNING, logger="ormolu.schema"):
            target.create_all([Note], if_not_exists=True)
        assert caplog.records == []
    finally:
        if url is not None:
            target.dispose()
            with db.session() as s:
                s.execute_sql(f"DROP DATABASE {db.dialect.quote(url.rsplit('/', 1)[1])}")


class Reader(Model, table="sg_readers"):
    id: Mapped[int] = field(primary_key=True, default=None)
    # an older database's columns, named after the tables: kept by naming them
    books: Mapped[list[Book]] = many_to_many(
        foreign_key=("sg_readers_id", "sg_books_id"), back_populates="readers"
    )


class Book(Model, table="sg_books"):
    id: Mapped[int] = field(primary_key=True, default=None)
    readers: Mapped[list[Reader]] = many_to_many(
        foreign_key=("sg_books_id", "sg_readers_id"), back_populates="books"
    )


def test_automatic_association_columns_can_keep_older_names(db: Database) -> None:
    db.create_all([Reader, Book])
    names = {c.name for c in reflected(db, "sg_books_readers").table("sg_books_readers").columns}
    assert names == {"sg_readers_id", "sg_books_id"}
    with db.session() as s:
        s.add(Reader(books=[Book(), Book()]))
    with db.session() as s:
        reader = s.query(Reader).options(selectinload(Reader.books)).one()
        assert len(reader.books) == 2
    assert differences(db, [Reader, Book]) == {}


def test_automatic_association_names_are_checked() -> None:
    class Left(Model, table="sg_left"):
        id: Mapped[int] = field(primary_key=True, default=None)
        rights: Mapped[list[Right]] = many_to_many(foreign_key=("only_one",))

    class Right(Model, table="sg_right"):
        id: Mapped[int] = field(primary_key=True, default=None)

    with pytest.raises(ConfigurationError, match="names the automatic association table"):
        Left.rights.property  # noqa: B018 - configuring the relationship raises
