"""The async floor: the bare asyncio driver — psycopg 3's ``AsyncConnection`` on
PostgreSQL, aiosqlite on SQLite — with the raw driver's hand-written SQL
(:mod:`.raw_driver`), test by test in the same cheapest form, awaited.

Everything the sync floor does holds here: autocommit mode (reads send only their
SELECTs; A one autocommitted INSERT per row, its key from ``RETURNING id`` or
``lastrowid``), ``BEGIN``/``COMMIT`` around B, C, I, J, K, multi-row INSERTs of
:data:`~.raw_driver.CHUNK` rows for B and C, one ``executemany`` for the UPDATEs / DELETEs
of I-K (psycopg pipelines it; aiosqlite runs ``sqlite3``'s in its thread), one
``__slots__`` object per row. Each driver call is one await: on aiosqlite that is one
hand-over to the connection's thread (``execute_fetchall`` reads a result in the same
hand-over as its statement; a cursor's ``lastrowid`` is read without one).

:class:`Bench` keeps the tests; a driver is four primitives (``_rows``, ``_exec``,
``_key``, ``_many``), so :mod:`.raw_asyncpg` is this contender on asyncpg.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
from .raw_driver import CHUNK, COLS, IN_CHUNK

LABEL = "raw async driver"
ASYNC = True
DISTS = {"sqlite": ["aiosqlite"], "postgresql": ["psycopg"], "mysql": []}
DRIVERS = {"sqlite": "aiosqlite", "postgresql": "psycopg async"}


class Bench:
    """Hand-written SQL on one async driver connection in autocommit mode."""

    driver = "psycopg"  # on PostgreSQL; raw_asyncpg: "asyncpg"

    def __init__(self, cfg: DbConfig) -> None:
        if cfg.kind not in ("sqlite", "postgresql"):
            raise ValueError("the async floors are written for SQLite and PostgreSQL")
        self.cfg = cfg
        self.kind = cfg.kind
        self.text_dates = cfg.kind == "sqlite"
        self._multi: dict[tuple[int, bool], str] = {}
        self.conn: Any = None

    def ph(self, i: int) -> str:
        """The placeholder of the ``i``-th parameter (from 1)."""
        return "?" if self.kind == "sqlite" else "%s"

    def _sql(self) -> None:
        """The statements, in the driver's paramstyle."""
        p = self.ph
        self.sql_insert_key = (
            f"INSERT INTO journal (timestamp, level, text) VALUES ({p(1)}, {p(2)}, {p(3)})"
            + ("" if self.kind == "sqlite" else " RETURNING id")
        )
        self.sql_level = f"SELECT {COLS} FROM journal WHERE level = {p(1)}"
        self.sql_small = (
            f"SELECT {COLS} FROM journal WHERE level = {p(1)} LIMIT {p(2)} OFFSET {p(3)}"
        )
        self.sql_get = f"SELECT {COLS} FROM journal WHERE id = {p(1)}"
        self.sql_range = f"SELECT {COLS} FROM journal WHERE id >= {p(1)} AND id <= {p(2)}"
        self.sql_update = (
            f"UPDATE journal SET timestamp = {p(1)}, level = {p(2)}, text = {p(3)} "
            f"WHERE id = {p(4)}"
        )
        self.sql_update_level = f"UPDATE journal SET level = {p(1)} WHERE id = {p(2)}"
        self.sql_delete = f"DELETE FROM journal WHERE id = {p(1)}"
        self.sql_books = (
            f"SELECT id, author_id, title FROM book WHERE id >= {p(1)} AND id <= {p(2)}"
        )

    # -- the driver: connect and four primitives ------------------------------------------
    async def setup(self) -> None:
        cfg = self.cfg
        if cfg.kind == "sqlite":
            import aiosqlite

            self.label = "raw aiosqlite"
            self.conn = await aiosqlite.connect(cfg.path, isolation_level=None)
            await self.conn.execute("PRAGMA synchronous = NORMAL")
        else:
            import psycopg

            self.label = "raw psycopg async"
            self.conn = await psycopg.AsyncConnection.connect(
                host=cfg.host, port=cfg.port, user=cfg.user, dbname=cfg.database, autocommit=True
            )
            self.cur = self.conn.cursor()  # one cursor for every statement, as the sync floor's F
        self._sql()

    async def _rows(self, sql: str, params: Any) -> list[Any]:
        """All rows of one statement."""
        if self.kind == "sqlite":
            return list(await self.conn.execute_fetchall(sql, params))
        cur = self.cur
        await cur.execute(sql, params)
        return await cur.fetchall()  # type: ignore[no-any-return]

    async def _exec(self, sql: str, params: Any = ()) -> None:
        """One statement whose result is not read."""
        if self.kind == "sqlite":
            await self.conn.execute(sql, params)
        else:
            await self.cur.execute(sql, params)

    async def _key(self, sql: str, params: Any) -> int:
        """A one-row INSERT's generated key."""
        if self.kind == "sqlite":
            return (await self.conn.execute(sql, params)).lastrowid  # type: ignore[no-any-return]
        cur = self.cur
        await cur.execute(sql, params)
        return (await cur.fetchone())[0]  # type: ignore[no-any-return]

    async def _many(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        """One executemany."""
        if self.kind == "sqlite":
            await self.conn.executemany(sql, params)
        else:
            await self.cur.executemany(sql, params)

    # -- conversions and helpers ----------------------------------------------------------
    def _ts(self, ts: datetime) -> Any:
        return ts.isoformat(" ") if self.text_dates else ts

    def _objects(self, rows: list[Any]) -> list[JournalRow]:
        if self.text_dates:
            parse = datetime.fromisoformat
            return [JournalRow(r[0], parse(r[1]), r[2], r[3]) for r in rows]
        return [JournalRow(*r) for r in rows]

    def _multi_sql(self, rows: int, returning: bool) -> str:
        """``INSERT INTO journal ... VALUES (...), ... (rows times)``, cached by shape."""
        sql = self._multi.get((rows, returning))
        if sql is None:
            p = self.ph
            values = ", ".join(
                f"({p(3 * i + 1)}, {p(3 * i + 2)}, {p(3 * i + 3)})" for i in range(rows)
            )
            sql = f"INSERT INTO journal (timestamp, level, text) VALUES {values}"
            sql = self._multi[rows, returning] = sql + (" RETURNING id" if returning else "")
        return sql

    async def _insert_chunks(self, objs: list[JournalRow], keys: bool) -> None:
        ts = self._ts
        for start in range(0, len(objs), CHUNK):
            part = objs[start : start + CHUNK]
            params = [v for o in part for v in (ts(o.timestamp), o.level, o.text)]
            sql = self._multi_sql(len(part), keys)
            if not keys:
                await self._exec(sql, params)
                continue
            for o, r in zip(part, await self._rows(sql, params)):
                o.id = r[0]

    # -- tests ----------------------------------------------------------------------------
    async def insert_single(self, w: W) -> int:
        sql, ts, key = self.sql_insert_key, self._ts, self._key
        for t, level, text in w.rows_a:
            o = JournalRow(None, t, level, text)  # type: ignore[arg-type]
            o.id = await key(sql, (ts(t), level, text))
        return len(w.rows_a)

    async def insert_batch(self, w: W) -> int:
        objs = [JournalRow(None, ts, lv, tx) for ts, lv, tx in w.rows_b]  # type: ignore[arg-type]
        await self._exec("BEGIN")
        await self._insert_chunks(objs, keys=True)
        await self._exec("COMMIT")
        return len(objs)

    async def bulk_insert(self, w: W) -> int:
        objs = [JournalRow(None, ts, lv, tx) for ts, lv, tx in w.rows_c]  # type: ignore[arg-type]
        await self._exec("BEGIN")
        await self._insert_chunks(objs, keys=False)
        await self._exec("COMMIT")
        return len(objs)

    async def filter_large(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(self._objects(await self._rows(self.sql_level, (level,))))
        return count

    async def filter_small(self, w: W) -> int:
        count = 0
        for level, offset in w.small:
            rows = await self._rows(self.sql_small, (level, SMALL_LIMIT, offset))
            count += len(self._objects(rows))
        return count

    async def get(self, w: W) -> int:
        sql, rows_of, objects = self.sql_get, self._rows, self._objects
        count = 0
        for pk in w.get_ids:
            rows = await rows_of(sql, (pk,))
            if rows and objects(rows)[0].id == pk:
                count += 1
        return count

    async def dicts(self, w: W) -> int:
        # Built by hand from the tuples on every backend: psycopg's async ``dict_row``
        # cursor costs more than the comprehension (in a trial ormolu's dicts were 0.35
        # of it), and a floor must be the cheapest form.
        count = 0
        parse = datetime.fromisoformat if self.text_dates else None
        for level in LEVELS:
            rows = await self._rows(self.sql_level, (level,))
            if parse is None:
                dicts = [{"id": r[0], "timestamp": r[1], "level": r[2], "text": r[3]} for r in rows]
            else:
                dicts = [
                    {"id": r[0], "timestamp": parse(r[1]), "level": r[2], "text": r[3]}
                    for r in rows
                ]
            count += len(dicts)
        return count

    async def tuples(self, w: W) -> int:
        count = 0
        parse = datetime.fromisoformat
        for level in LEVELS:
            rows = await self._rows(self.sql_level, (level,))
            if self.text_dates:
                rows = [(r[0], parse(r[1]), r[2], r[3]) for r in rows]
            count += len(rows)
        return count

    async def update_whole(self, w: W) -> int:
        await self._exec("BEGIN")
        objs = self._objects(await self._rows(self.sql_range, w.update_whole_ids))
        ts = self._ts(I_TIMESTAMP)
        for o in objs:
            o.timestamp, o.level, o.text = I_TIMESTAMP, I_LEVEL, I_TEXT
        await self._many(self.sql_update, [(ts, o.level, o.text, o.id) for o in objs])
        await self._exec("COMMIT")
        return len(objs)

    async def update_field(self, w: W) -> int:
        await self._exec("BEGIN")
        objs = self._objects(await self._rows(self.sql_range, w.update_field_ids))
        for o in objs:
            o.level = J_LEVEL
        await self._many(self.sql_update_level, [(o.level, o.id) for o in objs])
        await self._exec("COMMIT")
        return len(objs)

    async def delete(self, w: W) -> int:
        await self._exec("BEGIN")
        objs = self._objects(await self._rows(self.sql_range, w.delete_ids))
        await self._many(self.sql_delete, [(o.id,) for o in objs])
        await self._exec("COMMIT")
        return len(objs)

    # -- relation tests: two queries, grouped by hand --------------------------------------
    async def _select_in(self, sql: str, keys: list[int]) -> list[Any]:
        rows: list[Any] = []
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start : start + IN_CHUNK]
            marks = ", ".join(self.ph(i + 1) for i in range(len(chunk)))
            rows.extend(await self._rows(f"{sql} ({marks})", chunk))
        return rows

    async def load_parents(self, w: W) -> int:
        authors = [AuthorRow(i, name) for i, name in await self._rows(
            "SELECT id, name FROM author", ()
        )]  # fmt: skip
        books_of = {a.id: a.books for a in authors}
        sql = "SELECT id, author_id, title FROM book WHERE author_id IN"
        for r in await self._select_in(sql, list(books_of)):
            books_of[r[1]].append(BookRow(r[0], r[1], r[2]))
        count = 0
        for a in authors:
            count += 1
            for b in a.books:
                if b.title:
                    count += 1
        return count

    async def load_many_to_many(self, w: W) -> int:
        books = [BookRow(r[0], r[1], r[2]) for r in await self._rows(
            self.sql_books, w.many_to_many_ids
        )]  # fmt: skip
        tags_of: dict[int, list[TagRow]] = {}
        for b in books:
            b.tags = tags_of[b.id] = []
        tags: dict[int, TagRow] = {}
        sql = (
            "SELECT book_tag.book_id, tag.id, tag.name FROM tag "
            "JOIN book_tag ON book_tag.tag_id = tag.id WHERE book_tag.book_id IN"
        )
        for book_id, tag_id, name in await self._select_in(sql, list(tags_of)):
            tag = tags.get(tag_id)
            if tag is None:
                tag = tags[tag_id] = TagRow(tag_id, name)
            tags_of[book_id].append(tag)
        count = 0
        for b in books:
            count += 1
            for t in b.tags:
                if t.name:
                    count += 1
        return count

    # -- housekeeping ---------------------------------------------------------------------
    async def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        out = {}
        for p in ("journal_mode", "synchronous"):
            out[p] = (await self._rows(f"PRAGMA {p}", ()))[0][0]
        return out

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
