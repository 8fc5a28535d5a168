"""Pony ORM, used as its documentation shows: entities created inside ``db_session``
(which commits on exit), lambda queries, ``.limit(n, offset=...)``, ``Entity[pk]``,
``to_dict()``, tuple-returning generator queries, attribute assignment and ``delete()``.

Pony has no bulk insert API, so its C creates the objects in one ``db_session`` (as in B);
nor does it return dicts from a query, so G converts loaded objects with ``to_dict()``.
On PostgreSQL it needs psycopg2 (it does not support psycopg 3); on MySQL/MariaDB it uses
PyMySQL. On SQLite ``synchronous = NORMAL`` is set by an ``on_connect`` hook.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pony.orm import Database, PrimaryKey, Required, Set, db_session, select

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W

LABEL = "Pony"
DISTS = {
    "sqlite": ["pony"],
    "postgresql": ["pony", "psycopg2-binary"],
    "mysql": ["pony", "PyMySQL"],
}

db = Database()


class Journal(db.Entity):  # type: ignore[name-defined]
    """The small-table entity."""

    _table_ = "journal"
    id = PrimaryKey(int, auto=True)
    timestamp = Required(datetime)
    level = Required(int, size=16, index=True)
    text = Required(str, 255, index=True)


# -- the relation tests' entities (L: Author.books, M: Book.tags through book_tag) ---------
class Author(db.Entity):  # type: ignore[name-defined]
    """A parent of L."""

    _table_ = "author"
    id = PrimaryKey(int, auto=True)
    name = Required(str, 100)
    books = Set("Book")


class Book(db.Entity):  # type: ignore[name-defined]
    """A child of L; a book of M, with its tags."""

    _table_ = "book"
    id = PrimaryKey(int, auto=True)
    author = Required(Author, column="author_id", index=True)
    title = Required(str, 200)
    tags = Set("Tag", table="book_tag", column="tag_id")


class Tag(db.Entity):  # type: ignore[name-defined]
    """A tag of M."""

    _table_ = "tag"
    id = PrimaryKey(int, auto=True)
    name = Required(str, 100)
    books = Set(Book, table="book_tag", column="book_id")


@db.on_connect(provider="sqlite")
def _sqlite_pragmas(database: Any, connection: Any) -> None:
    connection.cursor().execute("PRAGMA synchronous = NORMAL")


class Bench:
    """Pony entities in ``db_session`` blocks.

    (The ``noqa: B023`` lambdas are translated and run at once, so they see the current
    loop value, which Pony binds as a query parameter.)
    """

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        if cfg.kind == "sqlite":
            db.bind(provider="sqlite", filename=cfg.path)
        elif cfg.kind == "postgresql":
            db.bind(
                provider="postgres",
                host=cfg.host,
                port=cfg.port,
                user=cfg.user,
                database=cfg.database,
            )
        else:
            db.bind(
                provider="mysql",
                host=cfg.host,
                port=cfg.port,
                user=cfg.user,
                passwd=cfg.password,
                db=cfg.database,
            )
        db.generate_mapping(create_tables=False)

    def insert_single(self, w: W) -> int:
        for ts, level, text in w.rows_a:
            with db_session:
                Journal(timestamp=ts, level=level, text=text)
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        with db_session:
            for ts, level, text in w.rows_b:
                Journal(timestamp=ts, level=level, text=text)
        return len(w.rows_b)

    def bulk_insert(self, w: W) -> int:
        with db_session:
            for ts, level, text in w.rows_c:
                Journal(timestamp=ts, level=level, text=text)
        return len(w.rows_c)

    def filter_large(self, w: W) -> int:
        count = 0
        with db_session:
            for level in LEVELS:
                count += len(Journal.select(lambda j: j.level == level)[:])  # noqa: B023
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        with db_session:
            for level, offset in w.small:
                q = Journal.select(lambda j: j.level == level)  # noqa: B023
                count += len(q.limit(SMALL_LIMIT, offset=offset))
        return count

    def get(self, w: W) -> int:
        count = 0
        with db_session:
            for pk in w.get_ids:
                if Journal[pk] is not None:
                    count += 1
        return count

    def dicts(self, w: W) -> int:
        count = 0
        with db_session:
            for level in LEVELS:
                q = Journal.select(lambda j: j.level == level)  # noqa: B023
                count += len([j.to_dict() for j in q])
        return count

    def tuples(self, w: W) -> int:
        count = 0
        with db_session:
            for level in LEVELS:
                q = select(
                    (j.id, j.timestamp, j.level, j.text) for j in Journal if j.level == level
                )
                count += len(q[:])
        return count

    def _range(self, ids: tuple[int, int]) -> list[Any]:
        lo, hi = ids
        return list(Journal.select(lambda j: j.id >= lo and j.id <= hi))

    def update_whole(self, w: W) -> int:
        with db_session:
            objs = self._range(w.update_whole_ids)
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
        return len(objs)

    def update_field(self, w: W) -> int:
        with db_session:
            objs = self._range(w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
        return len(objs)

    def delete(self, w: W) -> int:
        with db_session:
            objs = self._range(w.delete_ids)
            for o in objs:
                o.delete()
        return len(objs)

    def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        with db_session:
            return {
                p: db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous")
            }

    def close(self) -> None:
        db.disconnect()

    # -- relation tests: query.prefetch() ----------------------------------------------
    def load_parents(self, w: W) -> int:
        count = 0
        with db_session:
            for a in Author.select().prefetch(Author.books):
                count += 1
                for b in a.books:
                    if b.title:
                        count += 1
        return count

    def load_many_to_many(self, w: W) -> int:
        lo, hi = w.many_to_many_ids
        count = 0
        with db_session:
            books = Book.select(lambda b: b.id >= lo and b.id <= hi)
            for b in books.prefetch(Book.tags):
                count += 1
                for t in b.tags:
                    if t.name:
                        count += 1
        return count
