"""SQLAlchemy 2.x ORM, written as its documentation recommends: a typed declarative model,
``Session`` as a context manager, ``select()`` with ``scalars()``, ``session.get``,
``session.execute(insert(Journal), list_of_dicts)`` for bulk inserts, and the unit of work
(attribute assignment, ``session.delete``) for updates and deletes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    SmallInteger,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W

LABEL = "SQLAlchemy ORM"
DISTS = {
    "sqlite": ["SQLAlchemy"],
    "postgresql": ["SQLAlchemy", "psycopg"],
    "mysql": ["SQLAlchemy", "PyMySQL"],
}
SCHEMES = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


class Base(DeclarativeBase):
    """The declarative base."""


class Journal(Base):
    """The small-table model."""

    __tablename__ = "journal"
    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[datetime]
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    text: Mapped[str] = mapped_column(String(255), index=True)


# -- the relation tests' models (L: Author.books, M: Book.tags through book_tag) -----------
book_tag = Table(
    "book_tag",
    Base.metadata,
    Column("book_id", ForeignKey("book.id"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id"), primary_key=True, index=True),
)


class Author(Base):
    """A parent of L."""

    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(Base):
    """A child of L; a book of M, with its tags."""

    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[Author] = relationship(back_populates="books")
    tags: Mapped[list[Tag]] = relationship(secondary=book_tag)


class Tag(Base):
    """A tag of M."""

    __tablename__ = "tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


def make_engine(cfg: DbConfig) -> Any:
    """An Engine for ``cfg``; SQLite connections get ``synchronous = NORMAL`` on connect."""
    engine = create_engine(cfg.url(SCHEMES[cfg.kind]))
    if cfg.kind == "sqlite":

        @event.listens_for(engine, "connect")
        def set_pragmas(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.execute("PRAGMA synchronous = NORMAL")

    return engine


def sqlite_settings(engine: Any) -> dict[str, Any]:
    """The SQLite pragmas in force on a pooled connection."""
    with engine.connect() as c:
        return {p: c.execute(text(f"PRAGMA {p}")).scalar() for p in ("journal_mode", "synchronous")}


class Bench:
    """The SQLAlchemy ORM ``Session``."""

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        self.engine = make_engine(cfg)

    def insert_single(self, w: W) -> int:
        with Session(self.engine) as s:
            for ts, level, txt in w.rows_a:
                s.add(Journal(timestamp=ts, level=level, text=txt))
                s.commit()
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        with Session(self.engine) as s:
            for ts, level, txt in w.rows_b:
                s.add(Journal(timestamp=ts, level=level, text=txt))
            s.commit()
        return len(w.rows_b)

    def bulk_insert(self, w: W) -> int:
        with Session(self.engine) as s:
            s.execute(
                insert(Journal),
                [{"timestamp": ts, "level": lv, "text": tx} for ts, lv, tx in w.rows_c],
            )
            s.commit()
        return len(w.rows_c)

    def filter_large(self, w: W) -> int:
        count = 0
        with Session(self.engine) as s:
            for level in LEVELS:
                count += len(s.scalars(select(Journal).where(Journal.level == level)).all())
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        with Session(self.engine) as s:
            for level, offset in w.small:
                stmt = select(Journal).where(Journal.level == level)
                count += len(s.scalars(stmt.limit(SMALL_LIMIT).offset(offset)).all())
        return count

    def get(self, w: W) -> int:
        count = 0
        with Session(self.engine) as s:
            for pk in w.get_ids:
                if s.get(Journal, pk) is not None:
                    count += 1
        return count

    def dicts(self, w: W) -> int:
        count = 0
        cols = (Journal.id, Journal.timestamp, Journal.level, Journal.text)
        with Session(self.engine) as s:
            for level in LEVELS:
                result = s.execute(select(*cols).where(Journal.level == level))
                count += len([row._asdict() for row in result])
        return count

    def tuples(self, w: W) -> int:
        count = 0
        cols = (Journal.id, Journal.timestamp, Journal.level, Journal.text)
        with Session(self.engine) as s:
            for level in LEVELS:
                count += len(s.execute(select(*cols).where(Journal.level == level)).all())
        return count

    def _range(self, s: Session, ids: tuple[int, int]) -> list[Journal]:
        return list(s.scalars(select(Journal).where(Journal.id.between(*ids))))

    def update_whole(self, w: W) -> int:
        with Session(self.engine) as s:
            objs = self._range(s, w.update_whole_ids)
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
            s.commit()
        return len(objs)

    def update_field(self, w: W) -> int:
        with Session(self.engine) as s:
            objs = self._range(s, w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
            s.commit()
        return len(objs)

    def delete(self, w: W) -> int:
        with Session(self.engine) as s:
            objs = self._range(s, w.delete_ids)
            for o in objs:
                s.delete(o)
            s.commit()
        return len(objs)

    def settings(self) -> dict[str, Any]:
        return sqlite_settings(self.engine) if self.kind == "sqlite" else {}

    def close(self) -> None:
        self.engine.dispose()

    # -- relation tests ----------------------------------------------------------------
    def load_parents(self, w: W) -> int:
        count = 0
        with Session(self.engine) as s:
            authors = s.scalars(select(Author).options(selectinload(Author.books))).all()
            for a in authors:
                count += 1
                for b in a.books:
                    if b.title:
                        count += 1
        return count

    def load_many_to_many(self, w: W) -> int:
        count = 0
        with Session(self.engine) as s:
            stmt = select(Book).where(Book.id.between(*w.many_to_many_ids))
            for b in s.scalars(stmt.options(selectinload(Book.tags))):
                count += 1
                for t in b.tags:
                    if t.name:
                        count += 1
        return count
