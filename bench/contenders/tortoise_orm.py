"""Tortoise ORM (asynchronous), used as its documentation shows: ``Model.create``,
``in_transaction()``, ``bulk_create``, ``filter()``, ``limit``/``offset``, ``get``,
``values()``, ``values_list()``, ``save()`` / ``save(update_fields=...)`` and
``delete()``. The worker runs every coroutine inside one ``asyncio.run``.

Drivers: aiosqlite (its ``synchronous`` pragma set through the connection credentials),
asyncpg on PostgreSQL and aiomysql on MySQL/MariaDB.
"""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise, fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from ..dbsetup import DbConfig
from ..workload import I_LEVEL, I_TEXT, I_TIMESTAMP, J_LEVEL, LEVELS, SMALL_LIMIT
from ..workload import Workload as W

LABEL = "Tortoise"
ASYNC = True
DISTS = {
    "sqlite": ["tortoise-orm", "aiosqlite"],
    "postgresql": ["tortoise-orm", "asyncpg"],
    "mysql": ["tortoise-orm", "aiomysql"],
}


class Journal(Model):
    """The small-table model."""

    id = fields.IntField(primary_key=True)
    timestamp = fields.DatetimeField()
    level = fields.SmallIntField(db_index=True)
    text = fields.CharField(max_length=255, db_index=True)

    class Meta:
        table = "journal"


# -- the relation tests' models (L: Author.books, M: Book.tags through book_tag) -----------
class Author(Model):
    """A parent of L."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    books: fields.ReverseRelation[Book]

    class Meta:
        table = "author"


class Book(Model):
    """A child of L; a book of M, with its tags."""

    id = fields.IntField(primary_key=True)
    author: fields.ForeignKeyRelation[Author] = fields.ForeignKeyField(
        "bench.Author", related_name="books", db_index=True
    )
    title = fields.CharField(max_length=200)
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField(
        "bench.Tag",
        through="book_tag",
        backward_key="book_id",
        forward_key="tag_id",
        related_name="books",
    )

    class Meta:
        table = "book"


class Tag(Model):
    """A tag of M."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    books: fields.ManyToManyRelation[Book]

    class Meta:
        table = "tag"


def connection_config(cfg: DbConfig) -> dict[str, Any]:
    """Tortoise's connection entry for ``cfg``."""
    if cfg.kind == "sqlite":
        return {
            "engine": "tortoise.backends.sqlite",
            "credentials": {"file_path": cfg.path, "synchronous": "NORMAL"},
        }
    credentials = {
        "host": cfg.host,
        "port": cfg.port,
        "user": cfg.user,
        "password": cfg.password,
        "database": cfg.database,
    }
    engine = "asyncpg" if cfg.kind == "postgresql" else "mysql"
    return {"engine": f"tortoise.backends.{engine}", "credentials": credentials}


class Bench:
    """Tortoise models; every method is a coroutine."""

    def __init__(self, cfg: DbConfig) -> None:
        self.cfg = cfg

    async def setup(self) -> None:
        await Tortoise.init(
            config={
                "connections": {"default": connection_config(self.cfg)},
                "apps": {"bench": {"models": [__name__], "default_connection": "default"}},
                "use_tz": False,
            }
        )

    async def insert_single(self, w: W) -> int:
        for ts, level, text in w.rows_a:
            await Journal.create(timestamp=ts, level=level, text=text)  # autocommit
        return len(w.rows_a)

    async def insert_batch(self, w: W) -> int:
        async with in_transaction():
            for ts, level, text in w.rows_b:
                await Journal.create(timestamp=ts, level=level, text=text)
        return len(w.rows_b)

    async def bulk_insert(self, w: W) -> int:
        async with in_transaction():
            await Journal.bulk_create(
                [Journal(timestamp=ts, level=lv, text=tx) for ts, lv, tx in w.rows_c]
            )
        return len(w.rows_c)

    async def filter_large(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(await Journal.filter(level=level))
        return count

    async def filter_small(self, w: W) -> int:
        count = 0
        for level, offset in w.small:
            count += len(await Journal.filter(level=level).limit(SMALL_LIMIT).offset(offset))
        return count

    async def get(self, w: W) -> int:
        count = 0
        for pk in w.get_ids:
            if await Journal.get(id=pk) is not None:
                count += 1
        return count

    async def dicts(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(await Journal.filter(level=level).values())
        return count

    async def tuples(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(await Journal.filter(level=level).values_list())
        return count

    async def _range(self, ids: tuple[int, int]) -> list[Journal]:
        return await Journal.filter(id__gte=ids[0], id__lte=ids[1])

    async def update_whole(self, w: W) -> int:
        async with in_transaction():
            objs = await self._range(w.update_whole_ids)
            for o in objs:
                o.timestamp = I_TIMESTAMP
                o.level = I_LEVEL
                o.text = I_TEXT
                await o.save()
        return len(objs)

    async def update_field(self, w: W) -> int:
        async with in_transaction():
            objs = await self._range(w.update_field_ids)
            for o in objs:
                o.level = J_LEVEL
                await o.save(update_fields=["level"])
        return len(objs)

    async def delete(self, w: W) -> int:
        async with in_transaction():
            objs = await self._range(w.delete_ids)
            for o in objs:
                await o.delete()
        return len(objs)

    async def settings(self) -> dict[str, Any]:
        if self.cfg.kind != "sqlite":
            return {}
        conn = Tortoise.get_connection("default")
        out = {}
        for p in ("journal_mode", "synchronous"):
            rows = await conn.execute_query_dict(f"PRAGMA {p}")
            out[p] = rows[0][p]
        return out

    async def close(self) -> None:
        await Tortoise.close_connections()

    # -- relation tests: prefetch_related ----------------------------------------------
    async def load_parents(self, w: W) -> int:
        count = 0
        for a in await Author.all().prefetch_related("books"):
            count += 1
            for b in a.books:
                if b.title:
                    count += 1
        return count

    async def load_many_to_many(self, w: W) -> int:
        lo, hi = w.many_to_many_ids
        count = 0
        for b in await Book.filter(id__gte=lo, id__lte=hi).prefetch_related("tags"):
            count += 1
            for t in b.tags:
                if t.name:
                    count += 1
        return count
