"""ormolu's asyncio front end through its natural public API: ``AsyncDatabase``,
``async with db.session()``, ``s.add`` + ``await s.commit()``, ``await
s.insert_many(...)``, ``await s.query(...).where(...).all()``, ``await s.get``,
``.dicts()``, ``.tuples()``, attribute assignment and ``s.delete`` + commit, and
``selectinload`` for L and M (an async session never loads implicitly).

The models are the sync contender's (:mod:`.ormolu_orm`, :mod:`.ormolu_relations`): one
model serves both front ends. Drivers: psycopg 3's ``AsyncConnection`` on PostgreSQL,
aiosqlite on SQLite (``pip install 'ormolu[asyncio]'``).
"""

from __future__ import annotations

from typing import Any

from ormolu import AsyncDatabase, selectinload

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W
from .ormolu_orm import Journal
from .ormolu_relations import Author, Book

LABEL = "ormolu async"
ASYNC = True
DISTS = {
    "sqlite": ["ormolu", "aiosqlite"],
    "postgresql": ["ormolu", "psycopg"],
    "mysql": ["ormolu", "asyncmy"],
}


async def open_database(cfg: DbConfig, scheme: str | None = None) -> AsyncDatabase:
    """An AsyncDatabase for ``cfg`` (``scheme``: the URL's, to pick a driver); on SQLite
    with ``synchronous = NORMAL`` like everyone (set on the pooled connection, which a
    single task gets back every time, as the sync contender does: ``settings()`` checks
    it)."""
    db = AsyncDatabase(cfg.url(scheme))
    if cfg.kind == "sqlite":
        conn = await db.pool.acquire()
        await conn.setup("PRAGMA synchronous = NORMAL")
        await db.pool.release(conn)
    return db


class Bench:
    """ormolu's AsyncSession API; every method is a coroutine."""

    scheme: str | None = None  # the URL's default: psycopg on PostgreSQL

    def __init__(self, cfg: DbConfig) -> None:
        self.cfg = cfg
        self.kind = cfg.kind

    async def setup(self) -> None:
        self.db = await open_database(self.cfg, self.scheme)

    async def insert_single(self, w: W) -> int:
        s = self.db.session()
        for ts, level, text in w.rows_a:
            s.add(Journal(timestamp=ts, level=level, text=text))
            await s.commit()
        await s.close()
        return len(w.rows_a)

    async def insert_batch(self, w: W) -> int:
        async with self.db.session() as s:
            for ts, level, text in w.rows_b:
                s.add(Journal(timestamp=ts, level=level, text=text))
        return len(w.rows_b)

    async def bulk_insert(self, w: W) -> int:
        async with self.db.session() as s:
            return await s.insert_many(
                Journal, [{"timestamp": ts, "level": lv, "text": tx} for ts, lv, tx in w.rows_c]
            )

    async def filter_large(self, w: W) -> int:
        count = 0
        async with self.db.session() as s:
            for level in LEVELS:
                count += len(await s.query(Journal).where(Journal.level == level).all())
        return count

    async def filter_small(self, w: W) -> int:
        count = 0
        async with self.db.session() as s:
            for level, offset in w.small:
                q = s.query(Journal).where(Journal.level == level)
                count += len(await q.limit(SMALL_LIMIT).offset(offset).all())
        return count

    async def get(self, w: W) -> int:
        count = 0
        async with self.db.session() as s:
            for pk in w.get_ids:
                if await s.get(Journal, pk) is not None:
                    count += 1
        return count

    async def dicts(self, w: W) -> int:
        count = 0
        async with self.db.session() as s:
            for level in LEVELS:
                count += len(await s.query(Journal).where(Journal.level == level).dicts().all())
        return count

    async def tuples(self, w: W) -> int:
        count = 0
        async with self.db.session() as s:
            for level in LEVELS:
                count += len(await s.query(Journal).where(Journal.level == level).tuples().all())
        return count

    async def update_whole(self, w: W) -> int:
        lo, hi = w.update_whole_ids
        async with self.db.session() as s:
            objs = await s.query(Journal).where(Journal.id >= lo, Journal.id <= hi).all()
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
        return len(objs)

    async def update_field(self, w: W) -> int:
        lo, hi = w.update_field_ids
        async with self.db.session() as s:
            objs = await s.query(Journal).where(Journal.id >= lo, Journal.id <= hi).all()
            for o in objs:
                o.level = J_LEVEL
        return len(objs)

    async def delete(self, w: W) -> int:
        lo, hi = w.delete_ids
        async with self.db.session() as s:
            objs = await s.query(Journal).where(Journal.id >= lo, Journal.id <= hi).all()
            for o in objs:
                s.delete(o)
        return len(objs)

    async def load_parents(self, w: W) -> int:
        count = 0
        async with self.db.session() as s:
            authors = await s.query(Author).options(selectinload(Author.books)).all()
            for a in authors:
                count += 1
                for b in a.books:
                    if b.title:
                        count += 1
        return count

    async def load_many_to_many(self, w: W) -> int:
        lo, hi = w.many_to_many_ids
        count = 0
        async with self.db.session() as s:
            q = s.query(Book).where(Book.id >= lo, Book.id <= hi)
            for b in await q.options(selectinload(Book.tags)).all():
                count += 1
                for t in b.tags:
                    if t.name:
                        count += 1
        return count

    async def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        async with self.db.session() as s:
            out = {}
            for p in ("journal_mode", "synchronous"):
                out[p] = (await s.execute(f"PRAGMA {p}")).scalar()
            return out

    async def close(self) -> None:
        await self.db.close()
