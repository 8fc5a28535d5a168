"""SQLite's URL options (drivers/sqlite_options.py): journal_mode, busy_timeout, timeout,
synchronous, foreign_keys and begin — checked before connecting, applied on every new
connection of both front ends."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from asyncdb import run

from ormolu import AsyncDatabase, Database, Model, field
from ormolu.exceptions import ConfigurationError, LockNotAvailable, URLOptionError

PRAGMAS = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
URL_OPTIONS = "journal_mode=wal&busy_timeout=1234&synchronous=normal&foreign_keys=off"
# what SQLite answers for them: wal, 1234 ms, NORMAL = 1, off = 0
EXPECTED = ["wal", 1234, 1, 0]


class Counter(Model):
    __tablename__ = "sqlite_option_counter"
    id: int = field(primary_key=True)
    value: int = field(default=0)


def settings(s: Any) -> list[Any]:
    return [s.execute(f"PRAGMA {p}").scalar() for p in PRAGMAS]


def test_pragmas_apply_to_every_new_sync_connection(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/o.db?{URL_OPTIONS}")
    first, second = db.session(), db.session()  # two sessions at once: two connections
    try:
        assert settings(first) == EXPECTED
        assert settings(second) == EXPECTED
        assert first._conn is not second._conn
    finally:
        first.close()
        second.close()
        db.dispose()
    # WAL is the file's own mode from now on: a plain URL sees it too, with the defaults
    # for the rest (5 s busy timeout, FULL = 2, ormolu's foreign keys on)
    with Database(f"sqlite:///{tmp_path}/o.db").session() as s:
        assert settings(s) == ["wal", 5000, 2, 1]


def test_pragmas_apply_to_every_new_async_connection(tmp_path: Path) -> None:
    async def main() -> list[list[Any]]:
        db = AsyncDatabase(f"sqlite:///{tmp_path}/a.db?{URL_OPTIONS}")
        try:
            first, second = db.session(), db.session()
            found = []
            for s in (first, second):
                found.append([(await s.execute(f"PRAGMA {p}")).scalar() for p in PRAGMAS])
            assert first._conn is not second._conn
            await first.close()
            await second.close()
            return found
        finally:
            await db.close()

    assert run(main()) == [EXPECTED, EXPECTED]


def test_the_timeout_option_in_seconds_is_the_busy_timeout(tmp_path: Path) -> None:
    with Database(f"sqlite:///{tmp_path}/t.db?timeout=0.25").session() as s:
        assert s.execute("PRAGMA busy_timeout").scalar() == 250
    # the URL wins over the keyword's default
    with Database(f"sqlite:///{tmp_path}/t.db?busy_timeout=70", timeout=9).session() as s:
        assert s.execute("PRAGMA busy_timeout").scalar() == 70


def test_begin_immediate_takes_the_write_lock_at_begin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/b.db?journal_mode=wal&busy_timeout=100"
    plain = Database(url)
    plain.create_all([Counter])
    immediate = Database(url + "&begin=immediate")
    with immediate.capture() as sent, immediate.session() as writer:
        assert writer.query(Counter).all() == []  # a read: the transaction begins
        assert sent[0][0] == "BEGIN IMMEDIATE"
        # the writer holds the write lock from its BEGIN: another writer waits 100 ms
        # and gives up, though the first has written nothing yet
        with pytest.raises(LockNotAvailable), plain.session() as other:
            other.add(Counter(id=1))
            other.flush()
        # WAL: readers go on meanwhile
        with plain.session() as reader:
            assert reader.query(Counter).count() == 0
    # an explicit mode overrides the URL's
    with immediate.capture() as sent, immediate.session() as s:
        s.begin(mode="DEFERRED")
        s.query(Counter).all()
    assert sent[0][0] == "BEGIN DEFERRED"


def test_begin_immediate_on_the_async_front_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ab.db?begin=exclusive"
    Database(url).create_all([Counter])

    async def main() -> list[str]:
        db = AsyncDatabase(url)
        try:
            with db.capture() as sent:
                async with db.session() as s:
                    s.add(Counter(id=1, value=1))
            return [sql for sql, _ in sent]
        finally:
            await db.close()

    assert run(main())[0] == "BEGIN EXCLUSIVE"


def test_writers_with_begin_immediate_lose_no_update_and_never_see_locked(
    tmp_path: Path,
) -> None:
    # read-modify-write from 6 threads: with DEFERRED, a read transaction that then
    # writes after another commit fails at once ("database is locked", SQLITE_BUSY_SNAPSHOT
    # in WAL); with IMMEDIATE each waits its turn within the busy timeout.
    url = f"sqlite:///{tmp_path}/rmw.db?journal_mode=wal&busy_timeout=10000&begin=immediate"
    db = Database(url, pool_size=6)
    db.create_all([Counter])
    with db.session() as s:
        s.add(Counter(id=1, value=0))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                with db.session() as s:
                    row = s.get_one(Counter, 1)
                    row.value += 1
        except BaseException as e:  # collected, then asserted
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with db.session() as s:
        assert s.get_one(Counter, 1).value == 120


@pytest.mark.parametrize(
    ("query", "option", "value", "message"),
    [
        ("journal=wal", "journal", "wal", r"unknown SQLite URL option\(s\) 'journal'"),
        ("journal_mode=fast", "journal_mode", "fast", r"journal_mode='fast' is not one of"),
        ("synchronous=x", "synchronous", "x", r"'x' is not one of extra, full, normal, off"),
        ("busy_timeout=1.5", "busy_timeout", "1.5", r"whole number of milliseconds"),
        ("busy_timeout=-1", "busy_timeout", "-1", r"whole number of milliseconds"),
        ("timeout=soon", "timeout", "soon", r"'timeout' must be a number of seconds"),
        ("timeout=nan", "timeout", "nan", r"'timeout' must be a number of seconds"),
        ("timeout=1&busy_timeout=5", "busy_timeout", "5", r"not both"),
        ("begin=later", "begin", "later", r"deferred, exclusive, immediate"),
        ("foreign_keys=maybe", "foreign_keys", "maybe", r"foreign_keys='maybe'"),
    ],
)  # fmt: skip
def test_wrong_options_are_refused_before_connecting(
    tmp_path: Path, query: str, option: str, value: str, message: str
) -> None:
    target = tmp_path / "never.db"
    for make in (Database, AsyncDatabase):
        with pytest.raises(URLOptionError, match=message) as caught:
            make(f"sqlite:///{target}?{query}")
        assert (caught.value.option, caught.value.value) == (option, value)
        assert isinstance(caught.value, ConfigurationError)
    assert not target.exists()  # no connection was tried


def test_wal_on_an_in_memory_database_is_refused() -> None:
    with pytest.raises(URLOptionError, match=r"journal_mode='wal' needs a database file"):
        Database("sqlite://?journal_mode=wal")
    with Database("sqlite://?journal_mode=off").session() as s:
        assert s.execute("PRAGMA journal_mode").scalar() == "off"
