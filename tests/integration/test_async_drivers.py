"""The asyncio driver connections alone (psycopg ``AsyncConnection``, aiosqlite, asyncmy),
on every backend: each step of the operation protocol answers exactly as the sync
driver's does, each failure raises the same ormolu error (class, code, message, SQL),
and the URL options, connect errors, lost links and logging behave as the sync ones."""

from __future__ import annotations

import logging
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from asyncdb import async_driver, in_process, open_async, open_sync, placeholder, run
from tcpproxy import proxied

from ormolu import (
    ConfigurationError,
    ConnectionLost,
    Database,
    DatabaseError,
    Mapped,
    Model,
    OperationalError,
    field,
)
from ormolu.drivers.registry import backend_for
from ormolu.protocol import (
    LASTROWID,
    RESULT,
    ROWCOUNT,
    ROWS,
    CloseStream,
    Execute,
    FetchStream,
    OpenStream,
    Reply,
    SetTimeout,
)
from ormolu.schema.ddl import create_table_sql, drop_table_sql
from ormolu.url import parse_url

pytestmark = [
    pytest.mark.sync_only("drives the asyncio drivers directly; no front end to vary"),
    pytest.mark.async_drivers,
]

ROOT = Path(__file__).resolve().parents[2]
SLOW = (  # runs for minutes on every backend (see test_timeouts.py)
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
    "SELECT count(*) FROM c a, c b, c d"
)
Call = Callable[[Any], Awaitable[Reply]]


class Thing(Model, table="ad_thing"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=10, unique=True)
    n: Mapped[int] = field(default=0, check="n < 100")
    price: Mapped[Decimal | None] = field(default=None, max_digits=12, decimal_places=2)
    at: Mapped[datetime | None] = None
    day: Mapped[date | None] = None
    clock: Mapped[time | None] = None
    blob: Mapped[bytes | None] = None
    ratio: Mapped[float | None] = None
    flag: Mapped[bool | None] = None
    token: Mapped[uuid.UUID | None] = None


class Owner(Model, table="ad_owner"):
    id: Mapped[int] = field(primary_key=True, default=None)
    thing_id: Mapped[int] = field(foreign_key="Thing.id")


TABLES = [Thing.__mapper__.table, Owner.__mapper__.table]


def ddl(db: Database) -> list[Execute]:
    drops = [Execute(drop_table_sql(db.dialect, t)) for t in reversed(TABLES)]
    return drops + [Execute(create_table_sql(db.dialect, t)) for t in TABLES]


def script(db: Database) -> list[Any]:
    """Steps covering every kind of step and reply; a callable entry is given the reply
    before it, "rest" reads the open stream to its end, "close" closes it."""
    p = placeholder(db)
    thing, owner = db.dialect.quote("ad_thing"), db.dialect.quote("ad_owner")
    names = "name, n, price, at, day, clock, blob, ratio, flag"
    cols = ", ".join(db.dialect.quote(c) for c in names.split(", "))  # (BLOB is a keyword)
    insert = f"INSERT INTO {thing} ({cols}) VALUES ({', '.join([p] * 9)})"
    row = ("é😀'\"%", 1, Decimal("12.50"), datetime(2024, 2, 29, 23, 59, 59, 123456),
           date(1999, 12, 31), time(1, 2, 3), bytes(range(256)), 0.1, True)  # fmt: skip
    row = bound(db, names, row)  # as the ORM sends them (SQLite has no DECIMAL, ...)
    lots = [bound(db, names, (f"n{i}", i, *[None] * 6, False)) for i in range(2, 30)]
    percent = "'100%%'" if p == "%s" else "'100%'"
    return [
        Execute(insert, row, want=LASTROWID),
        Execute(insert, lots, many=True),
        Execute(f"SELECT {cols} FROM {thing} ORDER BY n", want=ROWS),
        Execute(f"SELECT name, n FROM {thing} ORDER BY n", want=ROWS, limit=2),
        Execute(f"SELECT name FROM {thing} WHERE name LIKE {p}", ["%😀%"], want=ROWS),
        Execute(f"SELECT {percent}, count(*) FROM {thing}", want=ROWS),
        Execute(f"UPDATE {thing} SET n = n WHERE n < 5", want=ROWCOUNT),  # matched rows
        Execute(f"UPDATE {thing} SET n = n + 1 WHERE n > 25", want=RESULT),
        Execute(f"SELECT n, name AS label FROM {thing} WHERE n > 26 ORDER BY n", want=RESULT),
        Execute(f"INSERT INTO {owner} (thing_id) VALUES ({p})", [1], want=ROWCOUNT),
        Execute(f"DELETE FROM {thing} WHERE n BETWEEN {p} AND {p}", [10, 12], want=ROWCOUNT),
        SetTimeout(30),
        Execute("BEGIN"),
        OpenStream(f"SELECT n FROM {thing} ORDER BY n", (), 5),
        lambda opened: FetchStream(opened.handle, 5),
        Execute(f"SELECT count(*) FROM {owner}", want=ROWS),  # a statement mid-stream
        "rest",
        "close",
        Execute("COMMIT"),
        SetTimeout(None),
    ]


def bound(db: Database, names: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` of the Thing columns ``names`` converted for the driver."""
    types = {c.name: c.type for c in Thing.__mapper__.table.columns}
    out = []
    for name, value in zip(names.split(", "), values):
        convert = types[name].bind_processor(db.dialect)
        out.append(convert(value) if convert is not None and value is not None else value)
    return tuple(out)


async def play(db: Database, call: Call) -> list[Any]:
    """Run :func:`script` through ``call``; the replies, without their stream handles."""
    out: list[Any] = []
    prev: Any = None
    handle: Any = None
    for step in ddl(db):
        await call(step)
    for entry in script(db):
        if callable(entry):
            entry = entry(prev)
        if entry == "rest":
            rows: list[Any] = []
            while chunk := (await call(FetchStream(handle, 7))).rows:
                rows += chunk
            out.append(("rest", rows))
            continue
        prev = await call(CloseStream(handle) if entry == "close" else entry)
        if isinstance(entry, OpenStream):
            handle = prev.handle
        out.append(prev._replace(handle=None))
    for t in reversed(TABLES):
        await call(Execute(drop_table_sql(db.dialect, t)))
    return out


def on_sync(db: Database, body: Callable[[Call], Awaitable[Any]], url: str | None = None) -> Any:
    """``body(call)`` with ``call`` running steps on a new sync driver connection."""
    conn = open_sync(db, url)

    async def call(step: Any) -> Reply:
        return conn.run(step)  # type: ignore[no-any-return]

    try:
        return run(body(call))
    finally:
        conn.close()


def on_async(db: Database, body: Callable[[Call], Awaitable[Any]], url: str | None = None) -> Any:
    """``body(call)`` with ``call`` running steps on a new asyncio driver connection."""

    async def main() -> Any:
        conn = await open_async(db, url)
        try:
            return await body(conn.run)
        finally:
            await conn.close()

    return run(main())


def test_every_step_answers_as_the_sync_driver_does(db: Database) -> None:
    expected = on_sync(db, lambda call: play(db, call))
    got = on_async(db, lambda call: play(db, call))
    assert got == expected
    for ours, theirs in zip(got[2].rows[0], expected[2].rows[0]):  # value types too
        assert type(ours) is type(theirs)
    # the script did what it says (equal answers that are not equally empty)
    assert expected[2].rows[0][0] == "é😀'\"%" and len(expected[2].rows) == 29
    assert expected[3].rows == [("é😀'\"%", 1), ("n2", 2)]  # limit=2
    assert expected[5].rows[0][0] == "100%"
    assert expected[6].rowcount == 4  # matched though unchanged (MySQL: CLIENT.FOUND_ROWS)
    assert expected[8].columns == ("n", "label")
    streamed = [r[0] for r in expected[14].rows] + [r[0] for r in expected[16][1]]
    assert len(streamed) == 26 and streamed == sorted(streamed)


# -- errors --------------------------------------------------------------------------------
def failures(db: Database) -> list[Any]:
    """Statements that fail (or, on some backends, do not), in and out of transactions."""
    p = placeholder(db)
    thing, owner = db.dialect.quote("ad_thing"), db.dialect.quote("ad_owner")
    ins = f"INSERT INTO {thing} (name, n) VALUES ({p}, {p})"
    return [
        *ddl(db),
        Execute(ins, ["a", 1]),
        Execute(ins, ["a", 2]),  # unique
        Execute(f"INSERT INTO {owner} (thing_id) VALUES ({p})", [999]),  # foreign key
        Execute(ins, [None, 3]),  # not null
        Execute(ins, ["b", 500]),  # check
        Execute(ins, ["x" * 50, 4]),  # too long (SQLite keeps it)
        Execute(f"UPDATE {thing} SET n = n / 0"),  # division by zero
        Execute(f"SELECT CAST({p} AS INTEGER)" if p == "?" else f"SELECT {p} + 0", ["abc"]),
        Execute("SELEC 1"),  # syntax
        Execute(f"SELECT {p}", [1, 2], want=ROWS),  # binding: too many values
        Execute(f"SELECT {p}, {p}", [1], want=ROWS),  # binding: too few
        Execute("BEGIN"),
        Execute(ins, ["a", 5]),  # fails the transaction
        Execute("SELECT 1", want=ROWS),  # PostgreSQL: PendingRollbackError
        Execute("ROLLBACK"),
        SetTimeout(0.2),
        Execute(SLOW, want=ROWS),  # StatementTimeout
        Execute("BEGIN"),
        Execute(SLOW, want=ROWS),
        Execute("SELECT 1", want=ROWS),
        Execute("ROLLBACK"),
        SetTimeout(None),
        Execute("SELECT 1", want=ROWS),
        *[Execute(drop_table_sql(db.dialect, t)) for t in reversed(TABLES)],
    ]


def outcome(error: BaseException) -> tuple[Any, ...]:
    code = getattr(error, "code", None)
    return (type(error).__name__, code, str(error), getattr(error, "sql", None))


async def attempt(db: Database, call: Call) -> list[Any]:
    out: list[Any] = []
    for step in failures(db):
        try:
            out.append(("ok", (await call(step))._replace(handle=None)))
        except DatabaseError as e:
            out.append(outcome(e))
            if e.__cause__ is None and type(e).__name__ != "PendingRollbackError":
                out.append("no driver error chained")
        except Exception as e:
            out.append(outcome(e))
    return out


def _first_lines(outcomes: list[Any]) -> list[Any]:
    """The outcomes with each error message cut to its first line (the server's own)."""
    return [
        (*o[:2], o[2].split("\n")[0], *o[3:]) if isinstance(o, tuple) and len(o) == 4 else o
        for o in outcomes
    ]


def test_failures_raise_the_same_errors_as_the_sync_driver(db: Database) -> None:
    expected = on_sync(db, lambda call: attempt(db, call))
    got = on_async(db, lambda call: attempt(db, call))
    if async_driver(db) == "asyncpg":  # libpq adds its CONTEXT and LINE lines; asyncpg not
        expected, got = _first_lines(expected), _first_lines(got)
    assert got == expected
    kinds = [o[0] for o in expected]
    assert kinds[:6] == ["ok"] * 4 + ["ok", "UniqueViolation"]  # 4 DDL, then the inserts
    assert "ForeignKeyViolation" in kinds and "CheckViolation" in kinds
    assert "NotNullViolation" in kinds and kinds.count("StatementTimeout") == 2
    assert "no driver error chained" not in kinds
    assert kinds.count("PendingRollbackError") in (0, 2)  # where a failed transaction must end


def test_a_lost_link_and_a_commit_after_it_as_the_sync_driver(db: Database) -> None:
    if in_process(db):
        pytest.skip(f"{db.dialect.name} runs in-process: there is no network link to cut")
    p = placeholder(db)

    async def body(call: Call, proxy: Any) -> list[Any]:
        await call(Execute("DROP TABLE IF EXISTS ad_lost"))
        await call(Execute("CREATE TABLE ad_lost (x INTEGER)"))
        await call(Execute("BEGIN"))
        proxy.armed.set()
        out = []
        for sql in ("INSERT INTO ad_lost (x) VALUES (" + p + ")", "COMMIT"):
            try:
                await call(Execute(sql, [1] if p in sql else ()))
                out.append("ok")
            except ConnectionLost as e:
                out.append((type(e).__name__, getattr(e, "unsent", False)))
        return out

    results = []
    for side in (on_sync, on_async):
        with proxied(_raw_url(db), cut_after=b"INSERT") as (url, proxy):
            results.append(side(db, lambda call, proxy=proxy: body(call, proxy), url))
            assert proxy.cut.is_set()
    assert results[0] == results[1] == [("ConnectionLost", False), ("ConnectionLost", True)]


def _raw_url(db: Database) -> str:
    from conftest import server_url

    return str(server_url(db.dialect.name))  # (the backends' names are the dialects')


def test_a_failed_connect_is_an_operational_error_without_the_password(db: Database) -> None:
    if in_process(db):
        pytest.skip(f"{db.dialect.name} runs in-process: nothing to connect to")
    u = db.url
    url = f"{u.scheme}://{u.user or 'u'}:s3cr3t-pw@127.0.0.1:1/{u.database}"
    with pytest.raises(OperationalError) as sync_error:
        open_sync(db, url)

    async def main() -> None:
        await open_async(db, url, timeout=2)

    with pytest.raises(OperationalError) as async_error:
        run(main())
    for error in (sync_error.value, async_error.value):
        assert "s3cr3t-pw" not in str(error) and "cannot connect" in str(error)


# -- URLs and options ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u@127.0.0.1/db?no_such_option=1", "no_such_option"),
        ("postgresql://u@127.0.0.1/db?autocommit=0", "autocommit"),
        ("postgresql+asyncpg://u@127.0.0.1/db?no_such_option=1", "no_such_option"),
        ("postgresql+asyncpg://u@127.0.0.1/db?autocommit=0", "autocommit"),
        ("postgresql+asyncpg://u@127.0.0.1/db?options=-x", "only -c name=value"),
        ("postgresql+asyncpg://u@127.0.0.1/db?connect_timeout=soon", "not a number"),
        ("postgresql+aiopg://u@127.0.0.1/db", r"no asyncio driver 'aiopg'.*psycopg, asyncpg"),
        ("mysql://u@127.0.0.1/db?no_such_option=1", "no_such_option"),
        ("mysql://u@127.0.0.1/db?read_timeout=soon", "read_timeout"),
        ("mysql://u@127.0.0.1/db?autocommit=1", "autocommit"),
        ("mysql://u@127.0.0.1/db?write_timeout=5", "not supported by the asyncio driver"),
        ("mysql://u@127.0.0.1/db?collation=x;DROP", "not a name"),
        ("mysql+pymysql://u@127.0.0.1/db", "no asyncio driver 'pymysql'"),
        ("sqlite:///x.db?journal=wal", "journal"),
    ],
)
def test_bad_options_are_refused_before_connecting(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        backend_for(parse_url(url), asyncio=True)  # 127.0.0.1 is never contacted


def test_driver_names_in_the_scheme() -> None:
    for url, driver in [
        ("postgresql+psycopg://u@h/db", "psycopg"),
        ("postgresql+asyncpg://u@h/db", "asyncpg"),
        ("mysql+asyncmy://u@h/db", "asyncmy"),
        ("sqlite+aiosqlite://", "aiosqlite"),
    ]:
        assert backend_for(parse_url(url), asyncio=True).async_driver == driver
    assert parse_url("sqlite+aiosqlite:///a/b.db").database == "a/b.db"
    with pytest.raises(ConfigurationError, match=r"asyncio driver for mysql.*AsyncDatabase"):
        backend_for(parse_url("mysql+asyncmy://u@h/db"))
    with pytest.raises(ConfigurationError, match=r"for postgresql.*sync drivers: psycopg"):
        Database("postgresql+asyncpg://u@h/db")


def test_url_options_reach_the_async_driver(db: Database, tmp_path: Path) -> None:
    name = db.dialect.name  # the option names are each driver's own
    if name == "postgresql":
        url, probe, expected = (
            "?application_name=ormolu_probe",
            "SHOW application_name",
            ("ormolu_probe"),
        )
    elif name == "mysql":
        url = "?read_timeout=5&collation=utf8mb4_bin&init_command=SET%20%40ormolu_probe%20%3D%2042"
        probe, expected = (
            "SELECT concat(@ormolu_probe, ' ', @@collation_connection)",
            ("42 utf8mb4_bin"),
        )
    else:
        url, probe, expected = "?foreign_keys=off&timeout=2.5", "PRAGMA foreign_keys", 0
    base = f"sqlite:///{tmp_path}/o.db" if in_process(db) else _raw_url(db)

    async def main() -> Any:
        conn = await open_async(db, base + url)
        try:
            return (await conn.run(Execute(probe, want=ROWS))).rows[0][0]
        finally:
            await conn.close()

    assert run(main()) == expected


def test_async_statements_are_logged(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    p = placeholder(db)
    with caplog.at_level(logging.DEBUG, logger="ormolu.sql"):
        on_async(db, lambda call: call(Execute(f"SELECT {p}", [41], want=ROWS)))
    logged = [r.getMessage() for r in caplog.records if r.name == "ormolu.sql"]
    (message,) = [m for m in logged if m.startswith(f"SELECT {p}")]  # (after any set-up)
    assert "(41,)" in message and message.endswith("ms)")


def test_async_drivers_are_imported_only_when_a_url_needs_them() -> None:
    code = (
        "import sys, ormolu\n"
        "from ormolu.url import parse_url\n"
        "from ormolu.drivers.registry import backend_for\n"
        "drivers = ('aiosqlite', 'asyncmy', 'psycopg', 'pymysql', 'asyncpg')\n"
        "db = ormolu.Database()\n"
        "with db.session() as s: s.execute('SELECT 1')\n"
        "assert not [m for m in drivers if m in sys.modules], 'sync sqlite'\n"
        "backend_for(parse_url('mysql://u@127.0.0.1/db'), asyncio=True)\n"
        "assert [m for m in drivers if m in sys.modules] == ['asyncmy'], 'mysql'\n"
        "backend_for(parse_url('sqlite://'), asyncio=True)\n"
        "assert 'aiosqlite' in sys.modules and 'psycopg' not in sys.modules\n"
        "backend_for(parse_url('postgresql+asyncpg://u@127.0.0.1/db'), asyncio=True)\n"
        "assert 'asyncpg' in sys.modules and 'psycopg' not in sys.modules, 'asyncpg'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_percent_and_dollar_in_sql_text_answer_as_the_sync_driver(db: Database) -> None:
    """Hostile SQL text (the asyncpg driver rewrites ``%s`` as ``$n``): a doubled ``%``
    in a literal and in a quoted identifier, a ``$1`` that is text, not a placeholder,
    and values of each kind where nothing but the value says its type."""
    p = placeholder(db)
    pct = "%%" if p == "%s" else "%"
    alias = db.dialect.quote(f"a{pct}$1")

    async def body(call: Call) -> list[Any]:
        steps = [
            Execute(f"SELECT '50{pct}', '$1', {p} AS {alias}", ["x"], want=RESULT),
            Execute(f"SELECT {p}, {p}, {p}", [7, 2.5, True], want=ROWS),
            Execute(f"SELECT '100{pct}' AS {db.dialect.quote('x$2')}", (), want=RESULT),
            Execute(f"SELECT {p}", [2**40], want=ROWS),
        ]
        if db.dialect.native_decimal:  # (sqlite3 binds no Decimal: ormolu's type converts it)
            steps.append(Execute(f"SELECT {p} = {p}", [Decimal("1.50"), Decimal("1.5")], want=ROWS))
        return [(await call(s))._replace(handle=None) for s in steps]

    expected = on_sync(db, body)
    got = on_async(db, body)
    assert [r.rows for r in got] == [r.rows for r in expected]
    assert [r.columns for r in got] == [r.columns for r in expected]
    assert expected[0].rows == [("50%", "$1", "x")] and expected[0].columns[2] == "a%$1"
    assert expected[3].rows == [(2**40,)]


def test_asyncpg_casts_a_refused_value_as_psycopg_types_it(db: Database) -> None:
    """asyncpg encodes by the type the server inferred: a ``str`` for an integer is sent
    again as text the server converts (as psycopg's untyped text is), once per statement
    and value types; a text that is no integer fails as under psycopg (22P02)."""
    if async_driver(db) != "asyncpg":
        pytest.skip("asyncpg's strict parameter typing: the other drivers send values typed")

    async def main() -> list[Any]:
        conn = await open_async(db)
        try:
            out = []
            for value in ("5", "6"):
                out.append((await conn.run(Execute("SELECT %s + 1", [value], want=ROWS))).rows)
            try:
                await conn.run(Execute("SELECT %s + 1", ["abc"], want=ROWS))
            except DatabaseError as e:
                out.append((type(e).__name__, e.code))
            await conn.run(Execute("BEGIN"))
            try:  # no cast helps: refused before sending, naming the value
                await conn.run(Execute("SELECT CAST(%s AS INTEGER)", [{"k": 1}], want=ROWS))
            except DatabaseError as e:
                out.append((type(e).__name__, "{'k': 1}" in str(e)))
            out.append((await conn.run(Execute("SELECT 1", want=ROWS))).rows)  # not failed
            await conn.run(Execute("ROLLBACK"))
            return out
        finally:
            await conn.close()

    assert run(main()) == [
        [(6,)], [(7,)], ("DataError", "22P02"), ("DataError", True), [(1,)]
    ]  # fmt: skip


def test_a_table_changed_inside_a_transaction_is_read_anew(db: Database) -> None:
    """DDL that changes a column's type under a statement read before it, in the same
    transaction: the next read has the new type (asyncpg: its cached prepared statement is
    dropped after DDL, without which PostgreSQL answers "cached plan must not change
    result type", and asyncpg cannot retry inside a transaction)."""
    if not (db.dialect.transactional_ddl and db.dialect.supports_alter_column):
        pytest.skip(f"{db.dialect.name} cannot change a column's type inside a transaction")
    read = Execute("SELECT x FROM ad_alter WHERE x > %s", [0], want=ROWS)

    async def body(call: Call) -> list[Any]:
        await call(Execute("DROP TABLE IF EXISTS ad_alter"))
        await call(Execute("CREATE TABLE ad_alter (x INTEGER)"))
        await call(Execute("INSERT INTO ad_alter (x) VALUES (1)"))
        out = [(await call(read)).rows]
        await call(Execute("BEGIN"))
        await call(Execute("ALTER TABLE ad_alter ALTER COLUMN x TYPE NUMERIC(10, 2)"))
        out.append((await call(read)).rows)
        await call(Execute("ROLLBACK"))
        out.append((await call(read)).rows)  # (the type is back: read anew again)
        await call(Execute("DROP TABLE ad_alter"))
        return out

    expected = on_sync(db, body)
    assert on_async(db, body) == expected == [[(1,)], [(Decimal("1.00"),)], [(1,)]]


def test_a_missing_asyncpg_names_the_extra_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['asyncpg'] = None  # as if not installed\n"
        "from ormolu import AsyncDatabase, ConfigurationError\n"
        "try:\n"
        "    AsyncDatabase('postgresql+asyncpg://u@127.0.0.1/db')\n"
        "except ConfigurationError as e:\n"
        "    assert \"pip install 'ormolu[asyncpg]'\" in str(e), e\n"
        "else:\n"
        "    raise AssertionError('no ConfigurationError')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_asyncpg_keeps_a_long_multi_row_insert_prepared(db: Database) -> None:
    """insert_many's multi-row INSERT (hundreds of rows, a cast around each typed value)
    is longer than asyncpg's default 15 KiB limit for caching; ormolu raises the limit,
    so the statement is prepared once per connection, not before every chunk (seen in
    ``pg_prepared_statements``, which lists the session's named prepared statements)."""
    if async_driver(db) != "asyncpg":
        pytest.skip("asyncpg's statement cache: the other drivers prepare nothing here")

    async def main() -> int:
        conn = await open_async(db)
        try:
            await conn.run(Execute("CREATE TABLE ad_long (a BIGINT, b TIMESTAMP, c TEXT)"))
            rows = 1500
            marks = ", ".join(["(%s, %s, %s)"] * rows)
            sql = f"INSERT INTO ad_long (a, b, c) VALUES {marks}"
            assert len(sql) > 15 * 1024
            params = [v for i in range(rows) for v in (i, datetime(2026, 1, 1), "x")]
            for _ in range(2):
                await conn.run(Execute(sql, params))
            reply = await conn.run(
                Execute(
                    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                    ["INSERT INTO ad_long%"],
                    want=ROWS,
                )
            )
            await conn.run(Execute("DROP TABLE ad_long"))
            return int(reply.rows[0][0])
        finally:
            await conn.close()

    assert run(main()) == 1
