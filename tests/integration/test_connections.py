"""Connections: the pool's size, overflow, recycling and thread safety; driver options in
the URL; drivers imported only when a URL needs them.

Pool tests run on every backend with a pool (SQLite files and the servers), against real
connections; the in-memory SQLite database has a single connection and no pool.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ormolu import ConfigurationError, Database, Mapped, Model, OperationalError, field
from ormolu.url import parse_url

pytestmark = pytest.mark.sync_only(
    "the sync pool (threads, the sync driver's options)"
    "; the asyncio pool is tested in test_async_drivers.py and test_async_cancel.py"
)

ROOT = Path(__file__).resolve().parents[2]


class Counter(Model, table="co_counter"):
    id: Mapped[int] = field(primary_key=True, default=None)
    hits: Mapped[int] = 0


@pytest.fixture
def url(db: Database, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the test's database, for more Database objects on the same data."""
    from conftest import server_url

    backend = request.node.callspec.params["db"]
    if backend == "sqlite":
        pytest.skip("an in-memory SQLite database has a single connection and no pool")
    if backend == "sqlite-file":
        return f"sqlite:///{tmp_path}/t.db"
    return str(server_url(backend))


@pytest.fixture
def pooled(url: str) -> Iterator[Any]:
    """Make Databases on the test's URL; dispose of them at the end."""
    made: list[Database] = []

    def make(**kw: Any) -> Database:
        made.append(Database(url, **kw))
        return made[-1]

    yield make
    for d in made:
        d.dispose()


def raw_connection(s: Any) -> Any:
    """The driver connection a session holds (an object, compared by identity)."""
    s.execute("SELECT 1").scalar()
    return s._conn


# -- pool ----------------------------------------------------------------------------------
def test_idle_connections_are_reused_up_to_pool_size(pooled: Any) -> None:
    db = pooled(pool_size=2, max_overflow=3)
    with db.session() as s:
        first = raw_connection(s)
    with db.session() as s:
        assert raw_connection(s) is first  # returned to the pool and lent again
    assert db.pool.checked_out == 0


def test_overflow_connections_are_closed_when_returned(pooled: Any) -> None:
    db = pooled(pool_size=1, max_overflow=2, pool_timeout=0.3)
    sessions = [db.session() for _ in range(3)]
    conns = [raw_connection(s) for s in sessions]  # size 1 + overflow 2 at once
    assert len({id(c) for c in conns}) == 3 and db.pool.checked_out == 3
    with pytest.raises(OperationalError, match=r"pool size 1 \+ overflow 2"):
        raw_connection(db.session())  # a fourth waits pool_timeout, then fails
    for s in sessions:
        s.close()
    assert db.pool.checked_out == 0
    assert len(db.pool._idle) == 1  # only pool_size connections are kept idle
    with db.session() as s:
        assert raw_connection(s) is conns[0]


def test_pre_ping_of_a_recently_returned_connection_costs_no_round_trip(
    pooled: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ormolu.pool

    db = pooled(pool_size=1, max_overflow=0)
    if not db.pool.pre_ping:
        pytest.skip("a SQLite file is not pre-pinged (a local file does not go away)")
    with db.session() as s:
        conn = raw_connection(s)
    pings: list[bool] = []
    real_ping = conn.ping
    conn.ping = lambda: pings.append(True) or real_ping()  # count the query-sending checks
    assert conn.seems_alive()  # the socket of a live idle connection has nothing to read
    with db.session() as s:
        assert raw_connection(s) is conn
    assert pings == []  # checked by its socket only
    monkeypatch.setattr(ormolu.pool, "PING_AFTER", 0.0)  # as if idle for a long time
    with db.session() as s:
        assert raw_connection(s) is conn
    assert pings == [True]  # a connection idle that long is checked with a query


def test_connections_older_than_recycle_are_replaced(pooled: Any) -> None:
    db = pooled(pool_size=1, max_overflow=0, pool_recycle=0.2)
    with db.session() as s:
        old = raw_connection(s)
    with db.session() as s:
        assert raw_connection(s) is old  # young enough
    time.sleep(0.3)
    with db.session() as s:
        new = raw_connection(s)
        assert new is not old
        assert s.execute("SELECT 1").scalar() == 1
    assert db.pool.checked_out == 0 and db.pool._open == 1  # the old one was closed


@pytest.mark.parametrize("pre_ping", [True, False])
def test_a_connection_closed_while_idle_is_not_lent(pooled: Any, url: str, pre_ping: bool) -> None:
    """The checkout's shortcut (a recently returned connection with a quiet socket is
    lent without asking is_broken) leaves the full check to every other connection: a
    closed one is discarded, with pre-ping (its socket is gone) and without (the driver
    says it is broken)."""
    if url.startswith("sqlite"):
        pytest.skip("a SQLite connection does not break")
    db = pooled(pool_size=1, max_overflow=0, pre_ping=pre_ping)
    with db.session() as s:
        old = raw_connection(s)
    old.close()  # while it sits idle in the pool
    with db.session() as s:
        assert raw_connection(s) is not old
        assert s.execute("SELECT 1").scalar() == 1
    assert db.pool.checked_out == 0 and db.pool._open == 1


def test_a_returned_connection_is_reset_unless_vouched_clean(pooled: Any) -> None:
    """release() rolls back what a borrower left open; release(clean=True) is the
    session's promise that nothing is (its one-INSERT commit), so it keeps the
    connection as it is."""
    from ormolu.protocol import Execute

    db = pooled(pool_size=1, max_overflow=0)
    conn = db.pool.acquire()
    conn.run(Execute("BEGIN"))
    conn.statement_timeout = 5.0
    db.pool.release(conn)
    assert not conn.in_transaction() and conn.statement_timeout is None
    assert db.pool.acquire() is conn
    conn.statement_timeout = 5.0  # (a marker the reset would clear)
    db.pool.release(conn, clean=True)
    assert db.pool.acquire() is conn and conn.statement_timeout == 5.0
    conn.statement_timeout = None
    db.pool.release(conn)
    assert db.pool.checked_out == 0


def test_pool_is_thread_safe_and_never_exceeds_its_limit(db: Database, pooled: Any) -> None:
    db.create_all([Counter])
    with db.session() as s:
        s.add(Counter())
    limited = pooled(pool_size=2, max_overflow=1, pool_timeout=10)
    most = 0
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        nonlocal most
        try:
            for _ in range(5):
                with limited.session() as s:
                    with lock:
                        most = max(most, limited.pool._open)
                    s.query(Counter).where(Counter.id == 1).update({Counter.hits: Counter.hits + 1})
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert most <= 3  # size 2 + overflow 1, however many threads ask
    assert limited.pool.checked_out == 0
    with db.session() as s:
        assert s.get_one(Counter, 1).hits == 40  # every thread's increments, none lost


# -- URL options reach the driver ----------------------------------------------------------
def test_driver_options_in_the_url_reach_the_driver(db: Database, url: str) -> None:
    # The option names are each driver's own (libpq parameters, PyMySQL connect()
    # arguments), so the test picks them by backend; SQLite reads only ?timeout=.
    name = db.dialect.name
    if name == "postgresql":
        with Database(url + "?application_name=ormolu_probe").session() as s:
            assert s.execute("SHOW application_name").scalar() == "ormolu_probe"
    elif name == "mysql":
        # numbers arrive as numbers (PyMySQL refuses the text '5' for a timeout)
        probe = Database(url + "?read_timeout=5&init_command=SET%20%40ormolu_probe%20%3D%2042")
        with probe.session() as s:
            assert s.execute("SELECT @ormolu_probe").scalar() == 42
        probe.dispose()
    else:
        probe = Database(url + "?timeout=2.5")
        assert probe.timeout == 2.5
        with probe.session() as s:
            assert s.execute("SELECT 1").scalar() == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u@127.0.0.1/db?no_such_option=1", "no_such_option"),
        ("postgresql://u@127.0.0.1/db?autocommit=0", "autocommit"),
        ("mysql://u@127.0.0.1/db?no_such_option=1", "no_such_option"),
        ("mysql://u@127.0.0.1/db?read_timeout=soon", "read_timeout"),
        ("mysql://u@127.0.0.1/db?compress=maybe", "compress"),
        ("mysql://u@127.0.0.1/db?autocommit=1", "autocommit"),
    ],
)
def test_bad_driver_options_are_refused_before_connecting(url: str, message: str) -> None:
    # 127.0.0.1 is never contacted: the option is checked when the Database is made.
    with pytest.raises(ConfigurationError, match=message):
        Database(url)


def test_secret_options_are_hidden() -> None:
    u = parse_url("mysql://u@127.0.0.1/db?ssl_key_password=s3cret&read_timeout=x")
    assert "s3cret" not in repr(u) and "s3cret" not in str(u)
    with pytest.raises(ConfigurationError) as info:
        Database("mysql://u@127.0.0.1/db?ssl_key_password=s3cret&read_timeout=x")
    assert "s3cret" not in str(info.value)


# -- lazy driver imports -------------------------------------------------------------------
def test_server_drivers_are_imported_only_when_a_url_needs_them() -> None:
    """``import ormolu`` and an SQLite database load neither psycopg nor PyMySQL (they are
    optional extras); a server URL loads its own driver and no other."""
    code = (
        "import sys, ormolu\n"
        "drivers = ('psycopg', 'pymysql')\n"
        "assert not [m for m in drivers if m in sys.modules], 'import ormolu'\n"
        "db = ormolu.Database()\n"
        "with db.session() as s: s.execute('SELECT 1')\n"
        "assert not [m for m in drivers if m in sys.modules], 'sqlite'\n"
        "ormolu.Database('postgresql://u@127.0.0.1/db')\n"
        "assert 'psycopg' in sys.modules and 'pymysql' not in sys.modules, 'postgresql'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
