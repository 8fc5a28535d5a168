"""Peewee, used as its documentation shows: ``Model.create``, ``db.atomic()``,
``insert_many`` in ``chunked`` batches, ``select().where()``, ``get_by_id``, ``.dicts()``,
``.tuples()``, ``save()`` / ``save(only=...)`` and ``delete_instance()``.

On PostgreSQL it uses psycopg 3 (``prefer_psycopg3=True``), the raw driver's library.
"""

from __future__ import annotations

from typing import Any

from peewee import (
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    Model,
    MySQLDatabase,
    PostgresqlDatabase,
    SmallIntegerField,
    SqliteDatabase,
    chunked,
    prefetch,
)

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W

LABEL = "Peewee"
DISTS = {"sqlite": ["peewee"], "postgresql": ["peewee", "psycopg"], "mysql": ["peewee", "PyMySQL"]}
CHUNK = 1000  # rows per INSERT statement in bulk inserts (3,000 bound parameters)


def make_database(cfg: DbConfig) -> Any:
    """The peewee Database for ``cfg``."""
    if cfg.kind == "sqlite":
        return SqliteDatabase(cfg.path, pragmas={"journal_mode": "wal", "synchronous": "normal"})
    if cfg.kind == "postgresql":
        return PostgresqlDatabase(
            cfg.database, host=cfg.host, port=cfg.port, user=cfg.user, prefer_psycopg3=True
        )
    return MySQLDatabase(
        cfg.database, host=cfg.host, port=cfg.port, user=cfg.user, password=cfg.password
    )


class Journal(Model):
    """The small-table model (bound to a database in ``Bench``)."""

    timestamp = DateTimeField()
    level = SmallIntegerField(index=True)
    text = CharField(max_length=255, index=True)

    class Meta:
        table_name = "journal"


# -- the relation tests' models (L: Author.books, M: Book.book_tags -> BookTag.tag) -------
class Author(Model):
    """A parent of L."""

    name = CharField(max_length=100)

    class Meta:
        table_name = "author"


class Book(Model):
    """A child of L; a book of M."""

    author = ForeignKeyField(Author, backref="books", index=True)
    title = CharField(max_length=200)

    class Meta:
        table_name = "book"


class Tag(Model):
    """A tag of M."""

    name = CharField(max_length=100)

    class Meta:
        table_name = "tag"


class BookTag(Model):
    """The association of M (Peewee's documented way to a many-to-many that prefetch
    loads: a model with two foreign keys)."""

    book = ForeignKeyField(Book, backref="book_tags")
    tag = ForeignKeyField(Tag, backref="book_tags", index=True)

    class Meta:
        table_name = "book_tag"
        primary_key = CompositeKey("book", "tag")


class Bench:
    """Peewee models on a connected database."""

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        self.db = make_database(cfg)
        self.db.bind([Journal])
        self.db.bind([Author, Book, Tag, BookTag])
        self.db.connect()

    def insert_single(self, w: W) -> int:
        for ts, level, text in w.rows_a:
            Journal.create(timestamp=ts, level=level, text=text)  # autocommit: one transaction
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        with self.db.atomic():
            for ts, level, text in w.rows_b:
                Journal.create(timestamp=ts, level=level, text=text)
        return len(w.rows_b)

    def bulk_insert(self, w: W) -> int:
        fields = [Journal.timestamp, Journal.level, Journal.text]
        with self.db.atomic():
            for batch in chunked(w.rows_c, CHUNK):
                Journal.insert_many(batch, fields=fields).execute()
        return len(w.rows_c)

    def filter_large(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(list(Journal.select().where(Journal.level == level)))
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        for level, offset in w.small:
            q = Journal.select().where(Journal.level == level).limit(SMALL_LIMIT).offset(offset)
            count += len(list(q))
        return count

    def get(self, w: W) -> int:
        count = 0
        for pk in w.get_ids:
            if Journal.get_by_id(pk) is not None:
                count += 1
        return count

    def dicts(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(list(Journal.select().where(Journal.level == level).dicts()))
        return count

    def tuples(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(list(Journal.select().where(Journal.level == level).tuples()))
        return count

    def _range(self, ids: tuple[int, int]) -> list[Journal]:
        return list(Journal.select().where(Journal.id.between(*ids)))

    def update_whole(self, w: W) -> int:
        with self.db.atomic():
            objs = self._range(w.update_whole_ids)
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
                o.save()
        return len(objs)

    def update_field(self, w: W) -> int:
        with self.db.atomic():
            objs = self._range(w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
                o.save(only=[Journal.level])
        return len(objs)

    def delete(self, w: W) -> int:
        with self.db.atomic():
            objs = self._range(w.delete_ids)
            for o in objs:
                o.delete_instance()
        return len(objs)

    def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        return {
            p: self.db.execute_sql(f"PRAGMA {p}").fetchone()[0]
            for p in ("journal_mode", "synchronous")
        }

    def close(self) -> None:
        self.db.close()

    # -- relation tests: prefetch() ----------------------------------------------------
    def load_parents(self, w: W) -> int:
        count = 0
        for a in prefetch(Author.select(), Book.select()):
            count += 1
            for b in a.books:
                if b.title:
                    count += 1
        return count

    def load_many_to_many(self, w: W) -> int:
        count = 0
        books = Book.select().where(Book.id.between(*w.many_to_many_ids))
        for b in prefetch(books, BookTag.select(), Tag.select()):
            count += 1
            for bt in b.book_tags:
                if bt.tag.name:
                    count += 1
        return count
