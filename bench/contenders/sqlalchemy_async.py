"""SQLAlchemy 2.x ORM on asyncio, as its asyncio documentation recommends:
``create_async_engine``, ``async_sessionmaker(engine, expire_on_commit=False)``,
``AsyncSession`` as a context manager, ``await s.scalars(select(...))``, ``await
s.get``, ``await s.execute(insert(Journal), dicts)``, the unit of work for I-K and
``selectinload`` for L and M. The models are the sync contender's
(:mod:`.sqlalchemy_orm`).

Two drivers on PostgreSQL: asyncpg (``postgresql+asyncpg``, key ``sqlalchemy-async``)
and psycopg 3's ``AsyncConnection`` (``postgresql+psycopg``, key
``sqlalchemy-async-psycopg``, module :mod:`.sqlalchemy_async_psycopg`); aiosqlite
(``sqlite+aiosqlite``) on SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W
from .sqlalchemy_orm import Author, Book, Journal

LABEL = "SQLAlchemy async (asyncpg)"
ASYNC = True
DISTS = {
    "sqlite": ["SQLAlchemy", "aiosqlite", "greenlet"],
    "postgresql": ["SQLAlchemy", "asyncpg", "greenlet"],
    "mysql": [],
}
SCHEMES = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class Bench:
    """The SQLAlchemy ``AsyncSession``; every method is a coroutine."""

    schemes = SCHEMES

    def __init__(self, cfg: DbConfig) -> None:
        if cfg.kind not in self.schemes:
            raise ValueError(f"not written for {cfg.kind}")
        self.cfg = cfg
        self.kind = cfg.kind
        if cfg.kind == "sqlite":
            self.label = "SQLAlchemy async (aiosqlite)"

    async def setup(self) -> None:
        scheme = self.schemes[self.kind]
        cfg = self.cfg
        url = f"{scheme}:///{cfg.path}" if cfg.kind == "sqlite" else cfg.url(scheme)
        self.engine = create_async_engine(url)
        if self.kind == "sqlite":

            @event.listens_for(self.engine.sync_engine, "connect")
            def set_pragmas(dbapi_conn: Any, record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA synchronous = NORMAL")
                cur.close()

        self.session = async_sessionmaker(self.engine, expire_on_commit=False)

    def _s(self) -> AsyncSession:
        return self.session()

    async def insert_single(self, w: W) -> int:
        async with self._s() as s:
            for ts, level, txt in w.rows_a:
                s.add(Journal(timestamp=ts, level=level, text=txt))
                await s.commit()
        return len(w.rows_a)

    async def insert_batch(self, w: W) -> int:
        async with self._s() as s:
            for ts, level, txt in w.rows_b:
                s.add(Journal(timestamp=ts, level=level, text=txt))
            await s.commit()
        return len(w.rows_b)

    async def bulk_insert(self, w: W) -> int:
        async with self._s() as s:
            await s.execute(
                insert(Journal),
                [{"timestamp": ts, "level": lv, "text": tx} for ts, lv, tx in w.rows_c],
            )
            await s.commit()
        return len(w.rows_c)

    async def filter_large(self, w: W) -> int:
        count = 0
        async with self._s() as s:
            for level in LEVELS:
                rows = (await s.scalars(select(Journal).where(Journal.level == level))).all()
                count += len(rows)
        return count

    async def filter_small(self, w: W) -> int:
        count = 0
        async with self._s() as s:
            for level, offset in w.small:
                stmt = select(Journal).where(Journal.level == level)
                count += len((await s.scalars(stmt.limit(SMALL_LIMIT).offset(offset))).all())
        return count

    async def get(self, w: W) -> int:
        count = 0
        async with self._s() as s:
            for pk in w.get_ids:
                if await s.get(Journal, pk) is not None:
                    count += 1
        return count

    async def dicts(self, w: W) -> int:
        count = 0
        cols = (Journal.id, Journal.timestamp, Journal.level, Journal.text)
        async with self._s() as s:
            for level in LEVELS:
                result = await s.execute(select(*cols).where(Journal.level == level))
                count += len([row._asdict() for row in result])
        return count

    async def tuples(self, w: W) -> int:
        count = 0
        cols = (Journal.id, Journal.timestamp, Journal.level, Journal.text)
        async with self._s() as s:
            for level in LEVELS:
                count += len((await s.execute(select(*cols).where(Journal.level == level))).all())
        return count

    async def _range(self, s: AsyncSession, ids: tuple[int, int]) -> list[Journal]:
        return list(await s.scalars(select(Journal).where(Journal.id.between(*ids))))

    async def update_whole(self, w: W) -> int:
        async with self._s() as s:
            objs = await self._range(s, w.update_whole_ids)
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
            await s.commit()
        return len(objs)

    async def update_field(self, w: W) -> int:
        async with self._s() as s:
            objs = await self._range(s, w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
            await s.commit()
        return len(objs)

    async def delete(self, w: W) -> int:
        async with self._s() as s:
            objs = await self._range(s, w.delete_ids)
            for o in objs:
                await s.delete(o)
            await s.commit()
        return len(objs)

    async def load_parents(self, w: W) -> int:
        count = 0
        async with self._s() as s:
            stmt = select(Author).options(selectinload(Author.books))
            for a in (await s.scalars(stmt)).all():
                count += 1
                for b in a.books:
                    if b.title:
                        count += 1
        return count

    async def load_many_to_many(self, w: W) -> int:
        count = 0
        async with self._s() as s:
            stmt = select(Book).where(Book.id.between(*w.many_to_many_ids))
            for b in (await s.scalars(stmt.options(selectinload(Book.tags)))).all():
                count += 1
                for t in b.tags:
                    if t.name:
                        count += 1
        return count

    async def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        async with self.engine.connect() as c:
            out = {}
            for p in ("journal_mode", "synchronous"):
                out[p] = (await c.execute(text(f"PRAGMA {p}"))).scalar()
            return out

    async def close(self) -> None:
        await self.engine.dispose()
