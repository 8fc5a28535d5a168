"""SQLAlchemy 2.x Core: a ``Table``, ``select()``/``insert()``/``update()``/``delete()``
on an engine connection, ``executemany`` (a list of parameter dicts) for bulk writes, and
one plain ``__slots__`` object per row where a test asks for objects — the raw driver's
work done through SQLAlchemy's expression language, compile cache and result layer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    bindparam,
    select,
)

from ..dbsetup import DbConfig
from ..workload import (
    I_LEVEL,
    I_TEXT,
    I_TIMESTAMP,
    J_LEVEL,
    LEVELS,
    SMALL_LIMIT,
    AuthorRow,
    BookRow,
    JournalRow,
    TagRow,
)
from ..workload import Workload as W
from .sqlalchemy_orm import make_engine, sqlite_settings

LABEL = "SQLAlchemy Core"
DISTS = {
    "sqlite": ["SQLAlchemy"],
    "postgresql": ["SQLAlchemy", "psycopg"],
    "mysql": ["SQLAlchemy", "PyMySQL"],
}

metadata = MetaData()
journal = Table(
    "journal",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("timestamp", DateTime, nullable=False),
    Column("level", SmallInteger, nullable=False, index=True),
    Column("text", String(255), nullable=False, index=True),
)
c = journal.c

# the relation tests' tables (L: author -> book, M: book -> book_tag -> tag)
author = Table(
    "author",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
)
book = Table(
    "book",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author_id", Integer, ForeignKey("author.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
)
tag = Table(
    "tag",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
)
book_tag = Table(
    "book_tag",
    metadata,
    Column("book_id", Integer, ForeignKey("book.id"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tag.id"), primary_key=True, index=True),
)


class Bench:
    """SQLAlchemy Core on an engine connection."""

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        self.engine = make_engine(cfg)

    def insert_single(self, w: W) -> int:
        with self.engine.connect() as conn:
            for ts, level, text in w.rows_a:
                conn.execute(journal.insert(), {"timestamp": ts, "level": level, "text": text})
                conn.commit()
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        with self.engine.begin() as conn:
            for ts, level, text in w.rows_b:
                conn.execute(journal.insert(), {"timestamp": ts, "level": level, "text": text})
        return len(w.rows_b)

    def bulk_insert(self, w: W) -> int:
        with self.engine.begin() as conn:
            conn.execute(
                journal.insert(),
                [{"timestamp": ts, "level": lv, "text": tx} for ts, lv, tx in w.rows_c],
            )
        return len(w.rows_c)

    def filter_large(self, w: W) -> int:
        count = 0
        with self.engine.connect() as conn:
            for level in LEVELS:
                result = conn.execute(select(journal).where(c.level == level))
                count += len([JournalRow(*r) for r in result])
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        with self.engine.connect() as conn:
            for level, offset in w.small:
                stmt = select(journal).where(c.level == level).limit(SMALL_LIMIT).offset(offset)
                count += len([JournalRow(*r) for r in conn.execute(stmt)])
        return count

    def get(self, w: W) -> int:
        count = 0
        with self.engine.connect() as conn:
            for pk in w.get_ids:
                row = conn.execute(select(journal).where(c.id == pk)).first()
                if row is not None and JournalRow(*row).id == pk:
                    count += 1
        return count

    def dicts(self, w: W) -> int:
        count = 0
        with self.engine.connect() as conn:
            for level in LEVELS:
                result = conn.execute(select(journal).where(c.level == level))
                count += len([row._asdict() for row in result])
        return count

    def tuples(self, w: W) -> int:
        count = 0
        with self.engine.connect() as conn:
            for level in LEVELS:
                count += len(conn.execute(select(journal).where(c.level == level)).all())
        return count

    def _range(self, conn: Any, ids: tuple[int, int]) -> list[JournalRow]:
        return [JournalRow(*r) for r in conn.execute(select(journal).where(c.id.between(*ids)))]

    def update_whole(self, w: W) -> int:
        with self.engine.begin() as conn:
            objs = self._range(conn, w.update_whole_ids)
            for o in objs:
                o.timestamp, o.level, o.text = I_TIMESTAMP, I_LEVEL, I_TEXT
            stmt = (
                journal.update()
                .where(c.id == bindparam("pk"))
                .values(timestamp=bindparam("ts"), level=bindparam("lv"), text=bindparam("tx"))
            )
            params = [{"pk": o.id, "ts": o.timestamp, "lv": o.level, "tx": o.text} for o in objs]
            conn.execute(stmt, params)
        return len(objs)

    def update_field(self, w: W) -> int:
        with self.engine.begin() as conn:
            objs = self._range(conn, w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
            stmt = journal.update().where(c.id == bindparam("pk")).values(level=bindparam("lv"))
            conn.execute(stmt, [{"pk": o.id, "lv": o.level} for o in objs])
        return len(objs)

    def delete(self, w: W) -> int:
        with self.engine.begin() as conn:
            objs = self._range(conn, w.delete_ids)
            stmt = journal.delete().where(c.id == bindparam("pk"))
            conn.execute(stmt, [{"pk": o.id} for o in objs])
        return len(objs)

    def settings(self) -> dict[str, Any]:
        return sqlite_settings(self.engine) if self.kind == "sqlite" else {}

    def close(self) -> None:
        self.engine.dispose()

    # -- relation tests: two queries (IN with an expanding parameter), grouped by hand ---
    def load_parents(self, w: W) -> int:
        with self.engine.connect() as conn:
            authors = [AuthorRow(*r) for r in conn.execute(select(author))]
            books_of = {a.id: a.books for a in authors}
            stmt = select(book).where(book.c.author_id.in_(list(books_of)))
            for r in conn.execute(stmt):
                books_of[r[1]].append(BookRow(*r))
        count = 0
        for a in authors:
            count += 1
            for b in a.books:
                if b.title:
                    count += 1
        return count

    def load_many_to_many(self, w: W) -> int:
        with self.engine.connect() as conn:
            stmt = select(book).where(book.c.id.between(*w.many_to_many_ids))
            books = [BookRow(*r) for r in conn.execute(stmt)]
            tags_of: dict[int, list[TagRow]] = {}
            for b in books:
                b.tags = tags_of[b.id] = []
            tags: dict[int, TagRow] = {}
            links = (
                select(book_tag.c.book_id, tag.c.id, tag.c.name)
                .join_from(tag, book_tag, book_tag.c.tag_id == tag.c.id)
                .where(book_tag.c.book_id.in_(list(tags_of)))
            )
            for book_id, tag_id, name in conn.execute(links):
                t = tags.get(tag_id)
                if t is None:
                    t = tags[tag_id] = TagRow(tag_id, name)
                tags_of[book_id].append(t)
        count = 0
        for b in books:
            count += 1
            for t in b.tags:
                if t.name:
                    count += 1
        return count
