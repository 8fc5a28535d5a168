"""The floor: the bare DB-API driver (sqlite3, psycopg 3 or PyMySQL) with hand-written SQL,
building one plain ``__slots__`` object per row.

It does what a careful programmer writes without any library, in the cheapest form the
driver offers for each test's result — at least as cheap as what any contender sends:

* the connection is in **autocommit** mode: a read sends only its SELECTs (no BEGIN or
  COMMIT around them), A sends one autocommitted INSERT per row (as ormolu, Peewee,
  Django and Tortoise do), and the tests that need a transaction (B, C, I, J, K) open one
  with ``BEGIN`` and end it with ``COMMIT``;
* inserted objects get their generated key, as every ORM's do: ``lastrowid`` on SQLite
  and MySQL for one row, ``RETURNING id`` on PostgreSQL; B's rows go in multi-row
  ``INSERT ... VALUES ... RETURNING id`` statements of :data:`CHUNK` rows (on MySQL, which
  has no RETURNING, the keys follow from ``lastrowid``: consecutive for one multi-row
  INSERT with ``innodb_autoinc_lock_mode`` 0 or 1); C's rows go in multi-row
  ``INSERT ... VALUES`` statements of :data:`CHUNK` rows (faster than ``executemany`` on
  SQLite and no slower on the servers);
* I, J and K send their UPDATEs / DELETEs with one ``executemany`` (the batched floor);
  :mod:`.raw_per_row` is the same contender sending one statement per row in B, I, J, K
  (the statement-per-row floor);
* SQLite datetimes are converted to/from ISO text by hand (``sqlite3``'s default adapters
  are deprecated since Python 3.12).
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
DRIVERS = {"sqlite": "sqlite3", "postgresql": "psycopg", "mysql": "PyMySQL"}

COLS = "id, timestamp, level, text"
# Rows per multi-row INSERT (B and C): ormolu's statements hold at most 512; past a few
# hundred rows a longer statement gains nothing (1,500 bound parameters here).
CHUNK = 500
# Keys per IN (...) list in L and M: below SQLite's 32,766 bound parameters (since 3.32)
# and PostgreSQL's 65,535, so the n / 10 parents of any sensible n take one statement.
IN_CHUNK = 30_000


class Bench:
    """Hand-written SQL on one driver connection in autocommit mode."""

    per_row = False  # True in raw_per_row: B, I, J and K send one statement per row

    def __init__(self, cfg: DbConfig) -> None:
        self.kind = cfg.kind
        self.label = "raw " + DRIVERS[cfg.kind] + (" per row" if self.per_row else "")
        if cfg.kind == "sqlite":
            import sqlite3

            # isolation_level=None: no implicit BEGIN; each statement outside an explicit
            # transaction commits by itself.
            self.conn: Any = sqlite3.connect(cfg.path, isolation_level=None)
            self.conn.execute("PRAGMA synchronous = NORMAL")
            ph = "?"
            returning = sqlite3.sqlite_version_info >= (3, 35)
        elif cfg.kind == "postgresql":
            import psycopg

            self.conn = psycopg.connect(
                host=cfg.host, port=cfg.port, user=cfg.user, dbname=cfg.database, autocommit=True
            )
            ph = "%s"
            returning = True
        else:
            import pymysql

            self.conn = pymysql.connect(
                host=cfg.host, port=cfg.port, user=cfg.user, password=cfg.password,
                database=cfg.database, autocommit=True,
            )  # fmt: skip
            ph = "%s"
            version = self.conn.get_server_info()
            # MariaDB has INSERT ... RETURNING since 10.5; MySQL has none
            returning = "MariaDB" in version and _version(version) >= (10, 5)
            self.server_statements = self._questions
        self.ph = ph
        self.returning = returning  # multi-row INSERT ... RETURNING id for B
        # one row's key: lastrowid where it is the key, else RETURNING (PostgreSQL)
        self.lastrowid = cfg.kind != "postgresql"
        self.sql_insert = f"INSERT INTO journal (timestamp, level, text) VALUES ({ph}, {ph}, {ph})"
        self.sql_insert_key = self.sql_insert + ("" if self.lastrowid else " RETURNING id")
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
        self._multi: dict[tuple[int, bool], str] = {}

    # -- conversions and helpers --------------------------------------------------------
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

    def _multi_sql(self, rows: int, returning: bool) -> str:
        """``INSERT INTO journal ... VALUES (...), ... (rows times)``, cached by shape."""
        sql = self._multi.get((rows, returning))
        if sql is None:
            ph = self.ph
            values = ", ".join([f"({ph}, {ph}, {ph})"] * rows)
            sql = f"INSERT INTO journal (timestamp, level, text) VALUES {values}"
            sql = self._multi[rows, returning] = sql + (" RETURNING id" if returning else "")
        return sql

    def _insert_chunks(self, cur: Any, objs: list[JournalRow], keys: bool) -> None:
        """Insert ``objs`` in multi-row statements of CHUNK rows, setting their keys when
        ``keys`` (from RETURNING, or consecutive from ``lastrowid``)."""
        ts = self._ts
        for start in range(0, len(objs), CHUNK):
            part = objs[start : start + CHUNK]
            params = [v for o in part for v in (ts(o.timestamp), o.level, o.text)]
            cur.execute(self._multi_sql(len(part), keys and self.returning), params)
            if not keys:
                continue
            if self.returning:
                for o, (pk,) in zip(part, cur.fetchall()):
                    o.id = pk
            else:  # MySQL: LAST_INSERT_ID() is the first row's key
                for i, o in enumerate(part, cur.lastrowid):
                    o.id = i

    def _insert_one(self, cur: Any, o: JournalRow) -> None:
        cur.execute(self.sql_insert_key, (self._ts(o.timestamp), o.level, o.text))
        o.id = cur.lastrowid if self.lastrowid else cur.fetchone()[0]

    def _write(self, cur: Any, sql: str, params: list[tuple[Any, ...]]) -> None:
        """The UPDATEs / DELETEs of I, J and K: one executemany, or one execute per row."""
        if self.per_row:
            for p in params:
                cur.execute(sql, p)
        else:
            cur.executemany(sql, params)

    def _questions(self) -> int:
        """MariaDB/MySQL's count of statements received on this connection (``Questions``;
        the probe itself is one of them): the counting run's cross-check of the proxy."""
        cur = self.conn.cursor()
        cur.execute("SHOW SESSION STATUS LIKE 'Questions'")
        return int(cur.fetchone()[1])

    # -- tests -------------------------------------------------------------------------
    def insert_single(self, w: W) -> int:
        cur = self.conn.cursor()
        for ts, level, text in w.rows_a:
            self._insert_one(cur, JournalRow(None, ts, level, text))  # type: ignore[arg-type]
        return len(w.rows_a)

    def insert_batch(self, w: W) -> int:
        objs = [JournalRow(None, ts, lv, tx) for ts, lv, tx in w.rows_b]  # type: ignore[arg-type]
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        if self.per_row:
            for o in objs:
                self._insert_one(cur, o)
        else:
            self._insert_chunks(cur, objs, keys=True)
        cur.execute("COMMIT")
        return len(objs)

    def bulk_insert(self, w: W) -> int:
        objs = [JournalRow(None, ts, lv, tx) for ts, lv, tx in w.rows_c]  # type: ignore[arg-type]
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        self._insert_chunks(cur, objs, keys=False)
        cur.execute("COMMIT")
        return len(objs)

    def filter_large(self, w: W) -> int:
        count = 0
        for level in LEVELS:
            count += len(self._objects(self._fetch(self.sql_level, (level,))))
        return count

    def filter_small(self, w: W) -> int:
        count = 0
        for level, offset in w.small:
            count += len(self._objects(self._fetch(self.sql_small, (level, SMALL_LIMIT, offset))))
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
        return count

    def tuples(self, w: W) -> int:
        count = 0
        parse = datetime.fromisoformat
        for level in LEVELS:
            rows = self._fetch(self.sql_level, (level,))
            if self.text_dates:
                rows = [(r[0], parse(r[1]), r[2], r[3]) for r in rows]
            count += len(rows)
        return count

    def update_whole(self, w: W) -> int:
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        objs = self._objects(self._fetch(self.sql_range, w.update_whole_ids))
        ts = self._ts(I_TIMESTAMP)
        for o in objs:
            o.timestamp, o.level, o.text = I_TIMESTAMP, I_LEVEL, I_TEXT
        self._write(cur, self.sql_update, [(ts, o.level, o.text, o.id) for o in objs])
        cur.execute("COMMIT")
        return len(objs)

    def update_field(self, w: W) -> int:
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        objs = self._objects(self._fetch(self.sql_range, w.update_field_ids))
        for o in objs:
            o.level = J_LEVEL
        self._write(cur, self.sql_update_level, [(o.level, o.id) for o in objs])
        cur.execute("COMMIT")
        return len(objs)

    def delete(self, w: W) -> int:
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        objs = self._objects(self._fetch(self.sql_range, w.delete_ids))
        self._write(cur, self.sql_delete, [(o.id,) for o in objs])
        cur.execute("COMMIT")
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
        cur = self.conn.cursor()
        rows: list[Any] = []
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start : start + IN_CHUNK]
            cur.execute(f"{sql} ({', '.join([self.ph] * len(chunk))})", chunk)
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
        count = 0
        for a in authors:
            count += 1
            for b in a.books:
                if b.title:
                    count += 1
        return count

    def load_many_to_many(self, w: W) -> int:
        ph = self.ph
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
        count = 0
        for b in books:
            count += 1
            for t in b.tags:
                if t.name:
                    count += 1
        return count


def _version(text: str) -> tuple[int, ...]:
    """The leading ``major.minor`` of a server version string (``"10.11.6-MariaDB"``)."""
    head = text.split("-", 1)[0].split(".")
    return tuple(int(p) for p in head[:2] if p.isdigit())
