"""Piccolo (asynchronous), used as its documentation shows: ``obj.save()``,
``engine.transaction()``, ``Table.insert(*rows)``, ``objects().where()``,
``limit``/``offset``, ``objects().get()``, ``select()`` (dicts), ``save(columns=...)``
and ``remove()``; M through an ``M2M`` column selected with ``Book.tags(Tag.name,
as_list=True)`` (one query, the tags aggregated per book by the database).

Drivers: asyncpg with Piccolo's connection pool (``start_connection_pool``) on
PostgreSQL; aiosqlite on SQLite, where Piccolo opens a new connection for every query
outside a transaction (its ``SQLiteEngine`` design) and has no connect hook, so it runs
with SQLite's default ``synchronous = FULL`` (the report's Checks say so).

Not run: H (Piccolo's queries give dicts or objects; ``as_list`` is for one column) and
L (Piccolo loads a foreign key forwards, ``prefetch``/joins, but has no reverse
one-to-many load).
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import M2M, ForeignKey, SmallInt, Timestamp, Varchar
from piccolo.columns.m2m import LazyTableReference
from piccolo.table import Table

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W

LABEL = "Piccolo"
ASYNC = True
DISTS = {
    "sqlite": ["piccolo", "aiosqlite"],
    "postgresql": ["piccolo", "asyncpg"],
    "mysql": [],
}


class Journal(Table, tablename="journal"):
    """The small-table model (``id`` is Piccolo's implicit ``Serial`` key)."""

    timestamp = Timestamp()
    level = SmallInt(index=True)
    text = Varchar(length=255, index=True)


class Author(Table, tablename="author"):
    """A parent of L (not run: see the module docstring)."""

    name = Varchar(length=100)


class Book(Table, tablename="book"):
    """A book of M, with its tags."""

    author = ForeignKey(Author, db_column_name="author_id")
    title = Varchar(length=200)
    tags = M2M(LazyTableReference("BookTag", module_path=__name__))


class Tag(Table, tablename="tag"):
    """A tag of M."""

    name = Varchar(length=100)


class BookTag(Table, tablename="book_tag"):
    """The association table of M."""

    book = ForeignKey(Book, db_column_name="book_id")
    tag = ForeignKey(Tag, db_column_name="tag_id")


TABLES = (Journal, Author, Book, Tag, BookTag)


class Bench:
    """Piccolo tables on one engine; every method is a coroutine."""

    not_available = {
        "H": "Piccolo's queries return dicts or objects, no tuple rows",
        "L": "Piccolo has no reverse (one-to-many) eager load",
    }

    def __init__(self, cfg: DbConfig) -> None:
        self.cfg = cfg
        self.kind = cfg.kind

    async def setup(self) -> None:
        cfg = self.cfg
        if cfg.kind == "sqlite":
            from piccolo.engine.sqlite import SQLiteEngine

            self.engine: Any = SQLiteEngine(path=cfg.path)
        elif cfg.kind == "postgresql":
            from piccolo.engine.postgres import PostgresEngine

            self.engine = PostgresEngine(
                config={
                    "host": cfg.host,
                    "port": cfg.port,
                    "user": cfg.user,
                    "database": cfg.database,
                }
            )
            await self.engine.start_connection_pool()
        else:
            raise ValueError(f"not written for {cfg.kind}")
        for table in TABLES:
            table._meta.db = self.engine

    async def insert_single(self, w: W) -> int:
        for ts, level, text in w.rows_a:
            await Journal(timestamp=ts, level=level, text=text).save()
        return len(w.rows_a)

    async def insert_batch(self, w: W) -> int:
        async with self.engine.transaction():
            for ts, level, text in w.rows_b:
                await Journal(timestamp=ts, level=level, text=text).save()
        return len(w.rows_b)

    async def bulk_insert(self, w: W) -> int:
        async with self.engine.transaction():
            await Journal.insert(
                *[Journal(timestamp=ts, level=lv, text=tx) for ts, lv, tx in w.rows_c]
            )
        return len(w.rows_c)

    async def filter_large(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(await Journal.objects().where(Journal.level == level))
        return count

    async def filter_small(self, w: W) -> int:
        count = 0
        for level, offset in w.small:
            q = Journal.objects().where(Journal.level == level).limit(SMALL_LIMIT).offset(offset)
            count += len(await q)
        return count

    async def get(self, w: W) -> int:
        count = 0
        for pk in w.get_ids:
            if await Journal.objects().get(Journal.id == pk) is not None:
                count += 1
        return count

    async def dicts(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(await Journal.select().where(Journal.level == level))
        return count

    async def _range(self, ids: tuple[int, int]) -> list[Journal]:
        lo, hi = ids
        return await Journal.objects().where((Journal.id >= lo) & (Journal.id <= hi))

    async def update_whole(self, w: W) -> int:
        async with self.engine.transaction():
            objs = await self._range(w.update_whole_ids)
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
                await o.save()
        return len(objs)

    async def update_field(self, w: W) -> int:
        async with self.engine.transaction():
            objs = await self._range(w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
                await o.save(columns=[Journal.level])
        return len(objs)

    async def delete(self, w: W) -> int:
        async with self.engine.transaction():
            objs = await self._range(w.delete_ids)
            for o in objs:
                await o.remove()
        return len(objs)

    async def load_many_to_many(self, w: W) -> int:
        lo, hi = w.many_to_many_ids
        rows = await Book.select(Book.id, Book.tags(Tag.name, as_list=True)).where(
            (Book.id >= lo) & (Book.id <= hi)
        )
        count = 0
        for b in rows:
            count += 1
            for name in b["tags"] or ():
                if name:
                    count += 1
        return count

    async def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        out = {}
        for p in ("journal_mode", "synchronous"):
            rows = await Journal.raw(f"PRAGMA {p}")
            out[p] = next(iter(rows[0].values()))
        return out

    async def close(self) -> None:
        if self.kind == "postgresql":
            await self.engine.close_connection_pool()
