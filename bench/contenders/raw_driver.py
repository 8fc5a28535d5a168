"""The floor: the bare DB-API driver (sqlite3, psycopg 3 or PyMySQL) with hand-written SQL,
building one plain ``__slots__`` object per row.

It does what a careful programmer writes without any library: prepared statement text,
``executemany`` for bulk writes, one object per row where a test asks for objects, and
ISO text ↔ ``datetime`` conversion on SQLite (whose ``sqlite3`` default adapters are
deprecated since Python 3.12).
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

LABEL = "raw driver"
DISTS = {"sqlite": [], "postgresql": ["psycopg"], "mysql": ["PyMySQL"]}

COLS = "id, timestamp, level, text"
# Keys per IN (...) list in L and M: below SQLite's 32,766 bound parameters (since 3.32)
# and PostgreSQL's 65,535, so the n / 10 parents of any sensible n take one statement.
IN_CHUNK = 30_000


class Bench:
    """Hand-written SQL on one driver connection."""

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        self.label = (
            "raw " + {"sqlite": "sqlite3", "postgresql": "psycopg", "mysql": "PyMySQL"}[cfg.kind]
        )
        if cfg.kind == "sqlite":
            import sqlite3

            # The default isolation_level opens a transaction before INSERT/UPDATE/DELETE.
            self.conn: Any = sqlite3.connect(cfg.path)
            self.conn.execute("PRAGMA synchronous = NORMAL")
            ph = "?"
        elif cfg.kind == "postgresql":
            import psycopg

            self.conn = psycopg.connect(
                host=cfg.host, port=cfg.port, user=cfg.user, dbname=cfg.database
            )
            ph = "%s"
        else:
            import pymysql

            self.conn = pymysql.connect(
                host=cfg.host, port=cfg.port, user=cfg.user, password=cfg.password,
                database=cfg.database,
            )  # fmt: skip
            ph = "%s"
        self.sql_insert = f"INSERT INTO journal (timestamp, level, text) VALUES ({ph}, {ph}, {ph})"
        self.sql_level = f"SELECT {COLS} FROM journal WHERE level = {ph}"
        self.sql_small = f"SELECT {COLS} FROM journal WHERE level = {ph} LIMIT {ph} OFFSET {ph}"
        self.sql_get = f"SELECT {COLS} FROM journal WHERE id = {ph}"
        self.sql_range = f"SELECT {COLS} FROM journal WHERE id >= {ph} AND id <= {ph}"
        self.sql_update = (
            f"UPDATE journal SET timestamp = {ph}, level = {ph}, text = {ph} WHERE id = {ph}"
        )
        self.sql_update_level = f"UPDATE journal SET level = {ph} WHERE id = {ph}"
        self.sql_delete = f"DELETE FROM journal WHERE id = {ph}"
        self.text_dates = cfg.kind == "sqlite"

    # -- conversions -------------------------------------------------------------------
    def _ts(self, ts: datetime) -> Any:
        return ts.isoformat(" ") if self.text_dates else ts

    def _objects(self, rows: list[Any]) -> list[JournalRow]:
        if self.text_dates:
            parse = datetime.fromisoformat
            return [JournalRow(r[0], parse(r[1]), r[2], r[3]) for r in rows]
        return [JournalRow(*r) for r in rows]

    def _object(self, r: Any) -> JournalRow:
        if self.text_dates:
            return JournalRow(r[0], datetime.fromisoformat(r[1]), r[2], r[3])
        return JournalRow(*r)

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        cur = self.conn.cursor()
        cur.execute(sql, params)
        return cur.fetchall()  # type: ignore[no-any-return]

    # -- tests -------------------------------------------------------------------------
    def insert_single(self, w: W) -> int:
        cur = self.conn.cursor()
        for ts, level, text in w.rows_a:
            cur.execute(self.sql_insert, (self._ts(ts), level, text))
            self.conn.commit()
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        cur = self.conn.cursor()
        for ts, level, text in w.rows_b:
            cur.execute(self.sql_insert, (self._ts(ts), level, text))
        self.conn.commit()
        return len(w.rows_b)

    def bulk_insert(self, w: W) -> int:
        cur = self.conn.cursor()
        cur.executemany(self.sql_insert, [(self._ts(ts), lv, tx) for ts, lv, tx in w.rows_c])
        self.conn.commit()
        return len(w.rows_c)

    def filter_large(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(self._objects(self._fetch(self.sql_level, (level,))))
        self.conn.commit()
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        for level, offset in w.small:
            count += len(self._objects(self._fetch(self.sql_small, (level, SMALL_LIMIT, offset))))
        self.conn.commit()
        return count

    def get(self, w: W) -> int:
        cur = self.conn.cursor()
        sql = self.sql_get
        count = 0
        for pk in w.get_ids:
            cur.execute(sql, (pk,))
            row = cur.fetchone()
            if row is not None and self._object(row).id == pk:
                count += 1
        self.conn.commit()
        return count

    def dicts(self, w: W) -> int:
        count = 0
        if self.kind == "sqlite":
            parse = datetime.fromisoformat
            for level in LEVELS:
                rows = self._fetch(self.sql_level, (level,))
                dicts = [
                    {"id": r[0], "timestamp": parse(r[1]), "level": r[2], "text": r[3]}
                    for r in rows
                ]
                count += len(dicts)
        else:
            # The drivers' own dict rows: psycopg's dict_row, PyMySQL's DictCursor.
            if self.kind == "postgresql":
                from psycopg.rows import dict_row

                cur = self.conn.cursor(row_factory=dict_row)
            else:
                from pymysql.cursors import DictCursor

                cur = self.conn.cursor(DictCursor)
            for level in LEVELS:
                cur.execute(self.sql_level, (level,))
                count += len(cur.fetchall())
        self.conn.commit()
        return count

    def tuples(self, w: W) -> int:
        count = 0
        parse = datetime.fromisoformat
        for level in LEVELS:
            rows = self._fetch(self.sql_level, (level,))
            if self.text_dates:
                rows = [(r[0], parse(r[1]), r[2], r[3]) for r in rows]
            count += len(rows)
        self.conn.commit()
        return count

    def update_whole(self, w: W) -> int:
        objs = self._objects(self._fetch(self.sql_range, w.update_whole_ids))
        ts = self._ts(I_TIMESTAMP)
        for o in objs:
            o.timestamp, o.level, o.text = I_TIMESTAMP, I_LEVEL, I_TEXT
        self.conn.cursor().executemany(self.sql_update, [(ts, o.level, o.text, o.id) for o in objs])
        self.conn.commit()
        return len(objs)

    def update_field(self, w: W) -> int:
        objs = self._objects(self._fetch(self.sql_range, w.update_field_ids))
        for o in objs:
            o.level = J_LEVEL
        self.conn.cursor().executemany(self.sql_update_level, [(o.level, o.id) for o in objs])
        self.conn.commit()
        return len(objs)

    def delete(self, w: W) -> int:
        objs = self._objects(self._fetch(self.sql_range, w.delete_ids))
        self.conn.cursor().executemany(self.sql_delete, [(o.id,) for o in objs])
        self.conn.commit()
        return len(objs)

    # -- housekeeping ------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        if self.kind != "sqlite":
            return {}
        return {
            p: self.conn.execute(f"PRAGMA {p}").fetchone()[0]
            for p in ("journal_mode", "synchronous")
        }

    def close(self) -> None:
        self.conn.close()

    # -- relation tests: two queries, grouped by hand into __slots__ objects ------------
    def _select_in(self, sql: str, keys: list[int]) -> list[Any]:
        """The rows of ``sql`` (which ends with ``IN``) for ``keys``, IN_CHUNK at a time."""
        ph = "?" if self.kind == "sqlite" else "%s"
        cur = self.conn.cursor()
        rows: list[Any] = []
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start : start + IN_CHUNK]
            cur.execute(f"{sql} ({', '.join([ph] * len(chunk))})", chunk)
            rows.extend(cur.fetchall())
        return rows

    def load_parents(self, w: W) -> int:
        cur = self.conn.cursor()
        cur.execute("SELECT id, name FROM author")
        authors = [AuthorRow(i, name) for i, name in cur.fetchall()]
        books_of = {a.id: a.books for a in authors}
        sql = "SELECT id, author_id, title FROM book WHERE author_id IN"
        for r in self._select_in(sql, list(books_of)):
            books_of[r[1]].append(BookRow(*r))
        self.conn.commit()
        count = 0
        for a in authors:
            count += 1
            for b in a.books:
                if b.title:
                    count += 1
        return count

    def load_many_to_many(self, w: W) -> int:
        ph = "?" if self.kind == "sqlite" else "%s"
        cur = self.conn.cursor()
        cur.execute(
            f"SELECT id, author_id, title FROM book WHERE id >= {ph} AND id <= {ph}",
            w.many_to_many_ids,
        )
        books = [BookRow(*r) for r in cur.fetchall()]
        tags_of: dict[int, list[TagRow]] = {}
        for b in books:
            b.tags = tags_of[b.id] = []
        tags: dict[int, TagRow] = {}  # one object per tag, as an identity map gives
        sql = (
            "SELECT book_tag.book_id, tag.id, tag.name FROM tag "
            "JOIN book_tag ON book_tag.tag_id = tag.id WHERE book_tag.book_id IN"
        )
        for book_id, tag_id, name in self._select_in(sql, list(tags_of)):
            tag = tags.get(tag_id)
            if tag is None:
                tag = tags[tag_id] = TagRow(tag_id, name)
            tags_of[book_id].append(tag)
        self.conn.commit()
        count = 0
        for b in books:
            count += 1
            for t in b.tags:
                if t.name:
                    count += 1
        return count
