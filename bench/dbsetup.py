"""Database settings shared by all contenders: where the database is, its schema, checks.

Every contender maps its model onto the same hand-written ``journal`` table (created here
before each contender process starts, so all of them run on identical DDL), and after
each process :func:`verify` checks with plain SQL that the writes really happened. The
relation tests L and M read the tables ``author``, ``book``, ``tag`` and ``book_tag``,
also hand-written here and filled with the plain driver by :func:`fresh_relations`.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from typing import Any

from .workload import I_LEVEL, I_TEXT, J_LEVEL, RelationRows, Workload, relation_rows

DDL: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TABLE journal (id INTEGER PRIMARY KEY, timestamp DATETIME NOT NULL, "
        "level SMALLINT NOT NULL, text VARCHAR(255) NOT NULL)",
    ],
    "postgresql": [
        "CREATE TABLE journal (id SERIAL PRIMARY KEY, timestamp TIMESTAMP NOT NULL, "
        "level SMALLINT NOT NULL, text VARCHAR(255) NOT NULL)",
    ],
    "mysql": [
        "CREATE TABLE journal (id INTEGER AUTO_INCREMENT PRIMARY KEY, "
        "timestamp DATETIME(6) NOT NULL, level SMALLINT NOT NULL, text VARCHAR(255) NOT NULL"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    ],
}
INDEXES = [
    "CREATE INDEX journal_level_idx ON journal (level)",
    "CREATE INDEX journal_text_idx ON journal (text)",
]


@dataclass
class DbConfig:
    """Where the benchmark database is: a SQLite file, or a server database."""

    kind: str  # "sqlite", "postgresql" or "mysql"
    path: str = ""  # the SQLite file
    host: str = "127.0.0.1"
    port: int = 0
    user: str = ""
    password: str = ""
    database: str = ""

    def to_json(self) -> str:
        """This config as JSON (passed to the worker processes)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DbConfig:
        """The config encoded by :meth:`to_json`."""
        return cls(**json.loads(text))

    def url(self, scheme: str | None = None) -> str:
        """A database URL (``sqlite:///path`` or ``scheme://user:pw@host:port/db``)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"{scheme or self.kind}://{auth}@{self.host}:{self.port}/{self.database}"


def sqlite_dir() -> str:
    """A fresh directory for SQLite files: on /dev/shm (tmpfs) when it is writable."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="ormolu-bench-", dir=base)


def server_config(kind: str) -> DbConfig:
    """The config of a fresh, uniquely named server database (not yet created)."""
    name = f"ormolu_bench_{secrets.token_hex(4)}"
    if kind == "postgresql":
        return DbConfig(kind, port=5432, user="postgres", database=name)
    if kind == "mysql":
        return DbConfig(kind, port=3306, user="root", database=name)
    raise ValueError(f"unknown database kind {kind!r}")


def connect(cfg: DbConfig, admin: bool = False) -> Any:
    """A DB-API connection (autocommit) to the benchmark database, or to the server's
    administrative database when ``admin``."""
    if cfg.kind == "sqlite":
        import sqlite3

        return sqlite3.connect(cfg.path, isolation_level=None)
    if cfg.kind == "postgresql":
        import psycopg

        return psycopg.connect(
            host=cfg.host,
            port=cfg.port,
            user=cfg.user,
            password=cfg.password or None,
            dbname="postgres" if admin else cfg.database,
            autocommit=True,
        )
    import pymysql

    return pymysql.connect(
        host=cfg.host,
        port=cfg.port,
        user=cfg.user,
        password=cfg.password,
        database=None if admin else cfg.database,
        autocommit=True,
    )


def create_database(cfg: DbConfig) -> None:
    """CREATE DATABASE for a server config (nothing to do for SQLite)."""
    if cfg.kind == "sqlite":
        return
    conn = connect(cfg, admin=True)
    try:
        extra = " CHARACTER SET utf8mb4" if cfg.kind == "mysql" else ""
        conn.cursor().execute(f"CREATE DATABASE {cfg.database}{extra}")
    finally:
        conn.close()


def drop_database(cfg: DbConfig) -> None:
    """DROP DATABASE for a server config; remove the file(s) of a SQLite one."""
    if cfg.kind == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(cfg.path + suffix):
                os.remove(cfg.path + suffix)
        return
    conn = connect(cfg, admin=True)
    try:
        force = " WITH (FORCE)" if cfg.kind == "postgresql" else ""
        conn.cursor().execute(f"DROP DATABASE IF EXISTS {cfg.database}{force}")
    finally:
        conn.close()


def fresh_table(cfg: DbConfig) -> None:
    """Give ``cfg`` an empty ``journal`` table (a new WAL-mode file for SQLite)."""
    if cfg.kind == "sqlite":
        drop_database(cfg)
    conn = connect(cfg)
    try:
        cur = conn.cursor()
        if cfg.kind == "sqlite":
            # WAL is a property of the database file, so every connection inherits it;
            # synchronous=NORMAL is per connection and each contender sets it itself.
            cur.execute("PRAGMA journal_mode = WAL")
        else:
            cur.execute("DROP TABLE IF EXISTS journal")
        for sql in [*DDL[cfg.kind], *INDEXES]:
            cur.execute(sql)
    finally:
        conn.close()


def verify(cfg: DbConfig, w: Workload) -> list[str]:
    """Check the table after a full A-K run; return the problems found (empty if none)."""
    n = w.n
    ph = "?" if cfg.kind == "sqlite" else "%s"
    (i_lo, i_hi), (j_lo, j_hi), (k_lo, k_hi) = w.update_whole_ids, w.update_field_ids, w.delete_ids
    checks = [
        ("rows left after K", "SELECT COUNT(*) FROM journal", (), 2 * n),
        (
            "rows fully updated by I",
            f"SELECT COUNT(*) FROM journal WHERE id BETWEEN {ph} AND {ph} AND level = {ph} "
            f"AND text = {ph} AND timestamp >= '2029-12-31'",
            (i_lo, i_hi, I_LEVEL, I_TEXT),
            n,
        ),
        (
            "rows with the level set by J",
            f"SELECT COUNT(*) FROM journal WHERE id BETWEEN {ph} AND {ph} AND level = {ph}",
            (j_lo, j_hi, J_LEVEL),
            n,
        ),
        (
            "rows K should have deleted",
            f"SELECT COUNT(*) FROM journal WHERE id BETWEEN {ph} AND {ph}",
            (k_lo, k_hi),
            0,
        ),
    ]
    problems = []
    conn = connect(cfg)
    try:
        cur = conn.cursor()
        for what, sql, params, expected in checks:
            cur.execute(sql, params)
            got = cur.fetchone()[0]
            if got != expected:
                problems.append(f"{what}: {got} (expected {expected})")
    finally:
        conn.close()
    return problems


# -- relation tables (tests L and M) --------------------------------------------------------
RELATION_DDL: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TABLE author (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)",
        "CREATE TABLE book (id INTEGER PRIMARY KEY, "
        "author_id INTEGER NOT NULL REFERENCES author (id), title VARCHAR(200) NOT NULL)",
        "CREATE INDEX book_author_id_idx ON book (author_id)",
        "CREATE TABLE tag (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)",
        "CREATE TABLE book_tag (book_id INTEGER NOT NULL REFERENCES book (id), "
        "tag_id INTEGER NOT NULL REFERENCES tag (id), PRIMARY KEY (book_id, tag_id))",
        "CREATE INDEX book_tag_tag_id_idx ON book_tag (tag_id)",
    ],
    "postgresql": [
        "CREATE TABLE author (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL)",
        "CREATE TABLE book (id SERIAL PRIMARY KEY, "
        "author_id INTEGER NOT NULL REFERENCES author (id), title VARCHAR(200) NOT NULL)",
        "CREATE INDEX book_author_id_idx ON book (author_id)",
        "CREATE TABLE tag (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL)",
        "CREATE TABLE book_tag (book_id INTEGER NOT NULL REFERENCES book (id), "
        "tag_id INTEGER NOT NULL REFERENCES tag (id), PRIMARY KEY (book_id, tag_id))",
        "CREATE INDEX book_tag_tag_id_idx ON book_tag (tag_id)",
    ],
    "mysql": [
        "CREATE TABLE author (id INTEGER AUTO_INCREMENT PRIMARY KEY, "
        "name VARCHAR(100) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        "CREATE TABLE book (id INTEGER AUTO_INCREMENT PRIMARY KEY, author_id INTEGER NOT NULL, "
        "title VARCHAR(200) NOT NULL, INDEX book_author_id_idx (author_id), "
        "FOREIGN KEY (author_id) REFERENCES author (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        "CREATE TABLE tag (id INTEGER AUTO_INCREMENT PRIMARY KEY, "
        "name VARCHAR(100) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        "CREATE TABLE book_tag (book_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, "
        "PRIMARY KEY (book_id, tag_id), INDEX book_tag_tag_id_idx (tag_id), "
        "FOREIGN KEY (book_id) REFERENCES book (id), FOREIGN KEY (tag_id) REFERENCES tag (id)"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    ],
}
# children first, so that the foreign keys allow each DROP
RELATION_TABLES = ("book_tag", "book", "tag", "author")


def _relation_inserts(data: RelationRows) -> list[tuple[str, tuple[str, ...], list[Any]]]:
    return [
        ("author", ("id", "name"), data.authors),
        ("book", ("id", "author_id", "title"), data.books),
        ("tag", ("id", "name"), data.tags),
        ("book_tag", ("book_id", "tag_id"), data.book_tags),
    ]


def fresh_relations(cfg: DbConfig, w: Workload) -> None:
    """(Re)create the relation tables of L and M and fill them with the workload's
    :func:`~bench.workload.relation_rows` through the plain driver (not timed), then
    ANALYZE them on the servers so the planners see their real sizes."""
    data = relation_rows(w.n, w.seed)
    conn = connect(cfg)
    try:
        cur = conn.cursor()
        for table in RELATION_TABLES:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        for sql in RELATION_DDL[cfg.kind]:
            cur.execute(sql)
        if cfg.kind == "sqlite":
            cur.execute("BEGIN")
        for table, cols, rows in _relation_inserts(data):
            if cfg.kind == "postgresql":
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                continue
            ph = ", ".join(["?" if cfg.kind == "sqlite" else "%s"] * len(cols))
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({ph})"
            for i in range(0, len(rows), 10_000):
                cur.executemany(sql, rows[i : i + 10_000])
        if cfg.kind == "sqlite":
            cur.execute("COMMIT")  # no ANALYZE: sqlite_stat1 could change A-K's plans
        elif cfg.kind == "postgresql":
            cur.execute(f"ANALYZE {', '.join(RELATION_TABLES)}")
        else:
            cur.execute(f"ANALYZE TABLE {', '.join(RELATION_TABLES)}")
            cur.fetchall()
    finally:
        conn.close()


def verify_relations(cfg: DbConfig, w: Workload) -> list[str]:
    """Check that the read-only tests L and M left the relation tables as they were."""
    data = relation_rows(w.n, w.seed)
    problems = []
    conn = connect(cfg)
    try:
        cur = conn.cursor()
        for table, _, rows in _relation_inserts(data):
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            got = cur.fetchone()[0]
            if got != len(rows):
                problems.append(f"rows in {table} after L and M: {got} (expected {len(rows)})")
    finally:
        conn.close()
    return problems
