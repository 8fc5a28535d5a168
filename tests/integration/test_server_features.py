"""Features that need concurrent connections or a server: isolation levels, row locks,
serialization failures and deadlocks, the connection pool, lost connections, upsert,
passwords in URLs and missing drivers.

Each test runs on every backend where the feature exists, and asserts each backend's own
behaviour where it legitimately differs (branching on the dialect's capability flags).
Concurrency is driven by threads that are joined with timeouts, so a hang fails the test
instead of blocking the run; no test waits more than a few seconds.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from ormolu import (
    ConfigurationError,
    ConnectionLost,
    Database,
    DeadlockDetected,
    LockNotAvailable,
    Mapped,
    Model,
    OperationalError,
    SerializationFailure,
    Session,
    UniqueViolation,
    field,
)
from ormolu.url import parse_url

pytestmark = pytest.mark.sync_only(
    "threads over the sync pool and sync driver connections"
    "; the asyncio pool and driver: test_async_drivers.py, test_async_cancel.py"
)


class Account(Model, table="sf_account"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    balance: Mapped[int] = 0


class Item(Model, table="sf_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    code: Mapped[str] = field(max_length=20, unique=True)
    name: Mapped[str] = field(max_length=40)
    qty: Mapped[int] = 0


# -- helpers -----------------------------------------------------------------------------------
@pytest.fixture
def url(db: Database, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the test's database, for more Database objects on the same data."""
    from conftest import server_url

    backend = request.node.callspec.params["db"]
    if backend == "sqlite":
        pytest.skip("an in-memory SQLite database has a single connection")
    if backend == "sqlite-file":
        return f"sqlite:///{tmp_path}/t.db"  # the file of conftest's sqlite-file backend
    return str(server_url(backend))


@pytest.fixture
def other(url: str) -> Iterator[Database]:
    """A second Database (its own pool) on the test's database. Its SQLite busy timeout is
    short so that a writer blocked by a reader fails quickly."""
    second = Database(url, timeout=1.0)
    yield second
    second.dispose()


# Server administration has no ormolu API: finding the server process of a session and
# ending it are vendor statements, so these helpers (only) pick the SQL by dialect name.
_ADMIN = {
    "postgresql": {
        "id": "SELECT pg_backend_pid()",
        "kill": "SELECT pg_terminate_backend(:id)",
        "alive": "SELECT count(*) FROM pg_stat_activity WHERE pid = :id",
    },
    "mysql": {
        "id": "SELECT CONNECTION_ID()",
        "kill": "KILL :id",
        "alive": "SELECT count(*) FROM information_schema.processlist WHERE id = :id",
    },
}


def admin_sql(db: Database) -> dict[str, str]:
    """The administration statements for ``db``'s server; skip on SQLite (in-process: it
    has no server connection to find or kill)."""
    sql = _ADMIN.get(db.dialect.name)
    if sql is None:
        pytest.skip(f"{db.dialect.name} runs in-process: no server connection to kill")
    return sql


def backend_id(db: Database, s: Session) -> int:
    """The server's id for the connection of session ``s`` (its process or thread id)."""
    return int(s.execute(admin_sql(db)["id"]).scalar())


def kill(admin: Database, pid: int) -> None:
    """End server connection ``pid`` from another Database and wait until it is gone."""
    sql = admin_sql(admin)
    with admin.session() as s:
        s.execute(sql["kill"], {"id": pid})
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        with admin.session() as s:
            if s.execute(sql["alive"], {"id": pid}).scalar() == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"server connection {pid} still alive 3 s after it was killed")


def run_in_threads(*jobs: Callable[[], Any], timeout: float = 4.0) -> list[Any]:
    """Run each job in its own thread; return each one's result or exception. A job still
    running after ``timeout`` seconds fails the test."""
    results: list[Any] = [None] * len(jobs)

    def wrap(i: int, job: Callable[[], Any]) -> None:
        try:
            results[i] = job()
        except BaseException as e:
            results[i] = e

    threads = [threading.Thread(target=wrap, args=(i, j), daemon=True) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"a job still runs after {timeout} s"
    return results


def accounts(db: Database, *balances: int) -> None:
    """Create the account table with one account per balance (ids 1, 2, ...)."""
    db.create_all([Account])
    with db.session() as s:
        s.add_all([Account(name=f"acc{i}", balance=b) for i, b in enumerate(balances, 1)])


def balance(db: Database, id: int = 1) -> int:
    with db.session() as s:
        return s.get_one(Account, id).balance


# -- isolation levels --------------------------------------------------------------------------
def test_unknown_isolation_level_is_refused_before_any_sql(db: Database) -> None:
    with db.session() as s:
        with db.capture() as sent:
            for bad in ("CHAOS", "SERIALIZABLE; DROP TABLE sf_account", "READ-COMMITTED"):
                with pytest.raises(ConfigurationError, match="isolation level"):
                    s.begin(isolation_level=bad)
        assert sent == []
        assert db.pool.checked_out == 0  # not even a connection was taken
        s.begin(isolation_level=db.dialect.isolation_levels[-1]).commit()  # still usable


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_isolation_level_is_in_effect(db: Database, other: Database, level: str) -> None:
    if level not in db.dialect.isolation_levels:
        pytest.skip(f"{db.dialect.name} has no {level} isolation level")
    accounts(db, 100)
    with db.session() as a:
        a.begin(isolation_level=level)
        # PostgreSQL can report the level of the running transaction; MariaDB cannot
        # (@@tx_isolation is the session default, not SET TRANSACTION's one-transaction
        # level), so there the level is checked by its effects below only.
        if db.dialect.name == "postgresql":
            assert a.execute("SHOW transaction_isolation").scalar() == level.lower()
        first = a.query(Account.balance).where(Account.id == 1).scalar()
        assert first == 100
        # Another connection changes the row in between (NOWAIT: it never waits).
        try:
            with other.session() as b:
                row = b.query(Account).where(Account.id == 1).for_update(nowait=True).one()
                row.balance = 150
            changed = True
        except LockNotAvailable:
            changed = False
        again = a.query(Account.balance).where(Account.id == 1).scalar()
        if level == "READ COMMITTED":  # each statement sees what is committed
            assert changed and again == 150
        elif level == "REPEATABLE READ":  # the transaction keeps its snapshot
            assert changed and again == 100
        else:
            assert again == 100
            # No lost update: where reads lock, the other writer was refused; where they
            # do not, this transaction's write based on its stale read fails instead.
            assert changed is not db.dialect.serializable_reads_lock
            a.get_one(Account, 1).balance = first - 30
            if changed:
                with pytest.raises(SerializationFailure):
                    a.flush()
                a.rollback()
            else:
                a.commit()
    assert balance(db) == (150 if changed else 70)


def test_isolation_level_applies_to_one_transaction_only(
    db: Database, url: str, other: Database
) -> None:
    if "READ COMMITTED" not in db.dialect.isolation_levels:
        pytest.skip(f"{db.dialect.name} has only SERIALIZABLE transactions")
    accounts(db, 100)
    one = Database(url, pool_size=1, max_overflow=0)  # every session gets the same connection
    try:
        with one.session() as a:
            a.begin(isolation_level="SERIALIZABLE")
            assert a.query(Account.balance).where(Account.id == 1).scalar() == 100
            a.commit()
            # the next transaction has the server's default level again
            assert a.query(Account.balance).where(Account.id == 1).scalar() == 100
            if db.dialect.name == "postgresql":  # see test_isolation_level_is_in_effect
                assert a.execute("SHOW transaction_isolation").scalar() != "serializable"
            with other.session() as b:  # its read took no shared lock (as SERIALIZABLE's would)
                b.query(Account).where(Account.id == 1).for_update(nowait=True).one().balance = 5
    finally:
        one.dispose()
    assert balance(db) == 5


# -- row locks ---------------------------------------------------------------------------------
@pytest.mark.requires("supports_for_update")
def test_for_update_nowait_and_skip_locked(db: Database, other: Database) -> None:
    accounts(db, 10, 20, 30, 40)
    with db.session() as a:
        held = a.query(Account).where(Account.id.in_([1, 2])).for_update().all()
        assert [r.id for r in held] == [1, 2]
        with other.session() as b:
            started = time.monotonic()
            with pytest.raises(LockNotAvailable) as info:
                b.query(Account).where(Account.id == 1).for_update(nowait=True).one()
            assert time.monotonic() - started < 1  # refused at once, not after a wait
            assert isinstance(info.value, OperationalError) and info.value.sql
            b.rollback()  # (PostgreSQL: the failed statement aborted the transaction)
            free = b.query(Account).order_by(Account.id).for_update(skip_locked=True).all()
            assert [r.id for r in free] == [3, 4]
            b.rollback()
            # a plain read is not blocked by the row locks
            assert b.query(Account.balance).where(Account.id == 1).scalar() == 10
    with other.session() as b:  # released when the holder's transaction ended
        assert b.query(Account).where(Account.id == 1).for_update(nowait=True).one().id == 1


@pytest.mark.requires("supports_for_update")
def test_for_update_waits_for_the_holder_and_reads_its_commit(
    db: Database, other: Database
) -> None:
    accounts(db, 10)
    a = db.session()
    row = a.query(Account).where(Account.id == 1).for_update().one()
    locked = threading.Event()

    def waiter() -> tuple[int, float]:
        with other.session() as b:
            locked.set()
            started = time.monotonic()
            got = b.query(Account).where(Account.id == 1).for_update().one().balance
            return got, time.monotonic() - started

    def holder() -> None:
        assert locked.wait(2)
        time.sleep(0.3)  # the waiter is blocked on the row meanwhile
        row.balance = 11
        a.commit()

    try:
        (got, waited), _ = run_in_threads(waiter, holder)
    finally:
        a.close()
    assert got == 11 and waited >= 0.2  # it waited for the commit and read its value


# -- serialization failures and deadlocks ------------------------------------------------------
@pytest.mark.requires("supports_for_update")
def test_rows_locked_in_opposite_order_deadlock(db: Database, other: Database) -> None:
    accounts(db, 10, 20)
    a, b = db.session(), other.session()
    try:
        a.query(Account).where(Account.id == 1).for_update().one()
        b.query(Account).where(Account.id == 2).for_update().one()

        def lock(s: Session, id: int, delay: float) -> str:
            time.sleep(delay)
            try:
                s.query(Account).where(Account.id == id).for_update().one().balance += 1
                s.commit()
                return "committed"
            except BaseException:
                s.rollback()  # releases the victim's locks so that the other can go on
                raise

        # a waits for b's row, then b asks for a's row: the server picks a victim
        results = run_in_threads(lambda: lock(a, 2, 0.0), lambda: lock(b, 1, 0.3))
    finally:
        a.close()
        b.close()
    victims = [r for r in results if isinstance(r, DeadlockDetected)]
    assert len(victims) == 1 and "committed" in results, results
    assert victims[0].code is not None and victims[0].sql
    # the survivor's increment is the only change
    assert balance(db, 1) + balance(db, 2) == 31


def test_concurrent_updates_under_serializable_fail_one_transaction(
    db: Database, other: Database
) -> None:
    accounts(db, 100)
    a, b = db.session(), other.session()
    try:
        for s in (a, b):
            s.begin(isolation_level="SERIALIZABLE")
            assert s.get_one(Account, 1).balance == 100  # both read the same row

        def spend(s: Session, amount: int, delay: float) -> int:
            time.sleep(delay)
            try:
                acc = s.get_one(Account, 1)
                acc.balance -= amount
                s.commit()
                return amount
            except BaseException:
                s.rollback()
                raise

        results = run_in_threads(lambda: spend(a, 30, 0.0), lambda: spend(b, 50, 0.3))
    finally:
        a.close()
        b.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1, results  # one commits, the other must retry
    if not db.dialect.serializable_reads_lock:
        expected: type[OperationalError] = SerializationFailure  # snapshot isolation
    elif db.dialect.supports_for_update:
        expected = DeadlockDetected  # both hold shared row locks and want exclusive ones
    else:
        expected = LockNotAvailable  # SQLite: both hold the SHARED database lock
    assert isinstance(failures[0], expected), failures[0]
    spent = next(r for r in results if isinstance(r, int))
    assert balance(db) == 100 - spent  # no lost update


# -- the connection pool -----------------------------------------------------------------------
def test_pool_exhaustion_waits_then_raises(url: str) -> None:
    small = Database(url, pool_size=2, max_overflow=0, pool_timeout=0.5)
    s1, s2, s3 = small.session(), small.session(), small.session()
    try:
        assert s1.execute("SELECT 1").scalar() == 1
        assert s2.execute("SELECT 1").scalar() == 1
        assert small.pool.checked_out == 2
        started = time.monotonic()
        with pytest.raises(OperationalError, match="no connection available"):
            s3.execute("SELECT 1")
        assert 0.45 <= time.monotonic() - started < 2
        # a waiting session gets the first connection given back
        threading.Timer(0.2, s1.close).start()
        started = time.monotonic()
        assert s3.execute("SELECT 1").scalar() == 1
        assert 0.1 <= time.monotonic() - started < 0.5
        assert small.pool.checked_out == 2
    finally:
        for s in (s1, s2, s3):
            s.close()
        small.dispose()
    assert small.pool.checked_out == 0


def test_connection_is_returned_rolled_back_after_an_error(db: Database, url: str) -> None:
    accounts(db, 100)
    one = Database(url, pool_size=1, max_overflow=0, pool_timeout=0.5)  # one connection
    # The server's id of the connection shows it is reused, not replaced (vendor SQL).
    same_connection = db.dialect.name in _ADMIN
    try:
        with one.session() as s:
            first_id = backend_id(db, s) if same_connection else None
            s.insert_many(Account, [{"name": f"bulk{i}"} for i in range(300)])
            s.rollback()
        with pytest.raises(ZeroDivisionError), one.session() as s:  # written, then an error
            s.get_one(Account, 1).balance = 0
            s.add(Account(name="ghost"))
            s.flush()
            _ = 1 / 0
        assert one.pool.checked_out == 0
        with pytest.raises(UniqueViolation), one.session() as s:  # a failed statement
            s.add(Account(id=1, name="dup"))
            s.flush()
        with pytest.raises(ZeroDivisionError), one.session() as s:  # in a streamed result
            s.insert_many(Account, [{"name": f"bulk{i}"} for i in range(300)])
            for i, _acc in enumerate(s.query(Account).yield_per(50)):
                if i == 120:
                    _ = 1 / 0
        with one.session() as s:  # the same connection, in a clean transaction
            if same_connection:
                assert backend_id(db, s) == first_id
            assert s.query(Account.name).all() == ["acc1"]
            assert s.get_one(Account, 1).balance == 100
            s.add(Account(name="real"))
        with one.session() as s:
            assert s.query(Account.name).order_by(Account.id).all() == ["acc1", "real"]
    finally:
        one.dispose()


# -- lost connections --------------------------------------------------------------------------
def test_killed_connection_loses_the_transaction(db: Database, other: Database) -> None:
    accounts(db, 100)
    with pytest.raises(ConnectionLost), db.session() as s:
        pid = backend_id(db, s)
        s.get_one(Account, 1).balance = 0
        s.add(Account(name="lost"))
        s.flush()
        kill(other, pid)
        s.commit()
    assert db.pool.checked_out == 0
    with db.session() as s:  # the next session on the same Database works
        assert backend_id(db, s) != pid
        assert s.query(Account.name).all() == ["acc1"]  # nothing was written
        assert s.get_one(Account, 1).balance == 100


def test_killed_idle_connection_is_replaced_by_pre_ping(
    db: Database, url: str, other: Database
) -> None:
    accounts(db, 100)
    with db.session() as s:
        pid = backend_id(db, s)
    idle = db.pool._idle[0][0]
    assert idle.seems_alive()
    kill(other, pid)  # while it sits idle in the pool
    assert not idle.seems_alive()  # the end of the connection shows on its socket
    with db.session() as s:
        assert backend_id(db, s) != pid
        assert s.get_one(Account, 1).balance == 100
    # without pre-ping the first session finds the dead connection; the next works
    unchecked = Database(url, pre_ping=False)
    try:
        with unchecked.session() as s:
            pid = backend_id(db, s)
        kill(other, pid)
        with pytest.raises(ConnectionLost), unchecked.session() as s:
            s.get(Account, 1)
        with unchecked.session() as s:
            assert s.get_one(Account, 1).balance == 100
    finally:
        unchecked.dispose()


# -- upsert ------------------------------------------------------------------------------------
@pytest.fixture
def items(db: Database) -> Database:
    db.create_all([Item])
    with db.session() as s:
        s.add_all([Item(code="a", name="old-a", qty=1), Item(code="b", name="old-b", qty=2)])
    return db


def item_rows(db: Database) -> list[tuple[str, str, int]]:
    with db.session() as s:
        return s.query(Item.code, Item.name, Item.qty).order_by(Item.code).all()


def test_upsert_inserts_and_updates(items: Database) -> None:
    db = items
    with db.session() as s:
        a = s.query(Item).where(Item.code == "a").one()
        out = s.upsert(
            Item,
            [{"code": "a", "name": "new-a", "qty": 10}, Item(code="c", name="new-c", qty=3)],
            conflict=["code"],
            update=["name"],
        )
        if db.dialect.supports_returning:
            by_code = {o.code: o for o in out}
            assert sorted(by_code) == ["a", "c"]
            assert by_code["a"] is a  # the object already in the identity map...
            assert (a.name, a.qty) == ("new-a", 1)  # ...now shows the row as updated
            c = by_code["c"]
            assert c.id is not None and s.get(Item, c.id) is c
        else:
            assert out == []
    assert item_rows(db) == [("a", "new-a", 1), ("b", "old-b", 2), ("c", "new-c", 3)]
    with db.session() as s:  # by default every given field outside the conflict is updated
        s.upsert(Item, [{"code": "b", "name": "newer-b", "qty": 7}], conflict=["code"])
    assert item_rows(db)[1] == ("b", "newer-b", 7)


def test_upsert_do_nothing_keeps_existing_rows(items: Database) -> None:
    db = items
    with db.session() as s:
        out = s.upsert(
            Item,
            [{"code": "a", "name": "ignored", "qty": 9}, {"code": "d", "name": "new-d"}],
            conflict=["code"],
            do_nothing=True,
        )
        returned = sorted((o.code, o.name) for o in out)
    if not db.dialect.supports_returning:
        assert returned == []
    elif db.dialect.supports_upsert_conflict_target:
        assert returned == [("d", "new-d")]  # only the inserted row
    else:
        assert returned == [("a", "old-a"), ("d", "new-d")]  # the kept row is reported too
    assert item_rows(db) == [("a", "old-a", 1), ("b", "old-b", 2), ("d", "new-d", 0)]


def test_upsert_by_primary_key_then_generated_keys_continue(items: Database) -> None:
    db = items
    with db.session() as s:
        s.upsert(
            Item, [{"id": 2, "code": "b", "name": "by-id"}, {"id": 9, "code": "z", "name": "z"}]
        )
    with db.session() as s:
        new = Item(code="n", name="after")
        s.add(new)
        s.flush()
        assert new.id == 10  # the key generator moved past the upserted key
    assert item_rows(db)[1] == ("b", "by-id", 0)


def test_failed_upsert_writes_nothing(items: Database) -> None:
    db = items
    rows = [{"code": "new", "name": "first statement"}, {"id": 1, "code": "x", "name": "clash"}]
    with db.session() as s:
        s.add(Item(code="before", name="kept"))
        s.flush()
        if db.dialect.supports_upsert_conflict_target:
            # the second statement conflicts on the primary key, not on the named target
            with pytest.raises(UniqueViolation):
                s.upsert(Item, rows, conflict=["code"])
        else:
            s.upsert(Item, rows, conflict=["code"])  # any unique key: row 1 is updated
    expected = [("a", "old-a", 1), ("b", "old-b", 2), ("before", "kept", 0)]
    if not db.dialect.supports_upsert_conflict_target:
        # row 1 takes the new values of the fields outside the conflict target
        expected = [("a", "clash", 0), ("b", "old-b", 2), ("before", "kept", 0),
                    ("new", "first statement", 0)]  # fmt: skip
    assert item_rows(db) == expected


# -- passwords in URLs -------------------------------------------------------------------------
PASSWORD = "p@ss:w/rd%"
ENCODED = quote(PASSWORD, safe="")


def test_url_decodes_an_encoded_password_and_hides_it() -> None:
    u = parse_url(f"postgresql://me:{ENCODED}@db.example:5433/app?sslmode=disable")
    assert (u.user, u.password, u.host, u.port, u.database) == (
        "me", PASSWORD, "db.example", 5433, "app",
    )  # fmt: skip
    assert u.options == {"sslmode": "disable"}
    for shown in (str(u), repr(u)):
        assert PASSWORD not in shown and ENCODED not in shown and "***" in str(u)


@pytest.fixture
def login(db: Database, request: pytest.FixtureRequest) -> Iterator[str]:
    """A server login with the password PASSWORD: its URL (with the password encoded)."""
    from conftest import _admin, server_url

    admin_sql(db)  # skips on SQLite, which has no logins
    backend = request.node.callspec.params["db"]
    user = f"ormolu_pw_{secrets.token_hex(3)}"
    base = parse_url(server_url(backend))
    # Creating a login is vendor SQL, run through a raw driver connection (which sends
    # statements without parameters as they are: '%' needs no escaping).
    conn = _admin(backend)
    cur = conn.cursor()
    literal = "'" + PASSWORD.replace("'", "''") + "'"
    if db.dialect.name == "postgresql":
        cur.execute(f"CREATE ROLE {user} LOGIN PASSWORD {literal}")
        drop = f"DROP ROLE {user}"
    else:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY {literal}")
        cur.execute(f"GRANT ALL ON `{base.database}`.* TO '{user}'@'%'")
        drop = f"DROP USER '{user}'@'%'"
    try:
        yield f"{base.scheme}://{user}:{ENCODED}@{base.host}:{base.port}/{base.database}"
    finally:
        cur.execute(drop)
        conn.close()


def test_password_never_appears_in_messages_or_logs(
    db: Database, login: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ormolu")
    secret_db = Database(login)
    user = parse_url(login).user
    try:
        for shown in (repr(secret_db), str(secret_db.url), repr(secret_db.url)):
            assert PASSWORD not in shown and ENCODED not in shown
        with secret_db.session() as s:  # the decoded password logs in
            assert s.execute("SELECT 1").scalar() == 1
    finally:
        secret_db.dispose()
    # A connection that fails (a database that does not exist) says why, without the
    # password. (PostgreSQL's trust authentication accepts any password, so the failure
    # is provoked with the database name rather than a wrong password.)
    missing = login.rsplit("/", 1)[0] + "/ormolu_no_such_db"
    bad = Database(missing)
    with pytest.raises(OperationalError) as info, bad.session() as s:
        s.execute("SELECT 1")
    bad.dispose()
    message = str(info.value)
    assert "ormolu_no_such_db" in message or user in message
    shown = message + repr(info.value) + "".join(traceback.format_exception(info.value))
    assert PASSWORD not in shown and ENCODED not in shown
    # A wrong password: refused where the server checks it (MariaDB; PostgreSQL's trust
    # authentication lets it in), and never echoed.
    wrong = "Wr0ng:pa55%"
    try:
        probe = Database(login.replace(ENCODED, quote(wrong, safe="")))
        with probe.session() as s:
            s.execute("SELECT 1")
    except OperationalError as e:
        assert user in str(e) and wrong not in str(e) and quote(wrong, safe="") not in str(e)
    finally:
        probe.dispose()
    logged = [r.getMessage() for r in caplog.records]
    assert logged  # statements were logged...
    assert not [m for m in logged if PASSWORD in m or ENCODED in m]  # ...never the password


# -- missing drivers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("module", "url", "extra"),
    [
        ("psycopg", "postgresql://u:secret@127.0.0.1/db", "ormolu[postgresql]"),
        ("pymysql", "mysql://u:secret@127.0.0.1/db", "ormolu[mysql]"),
    ],
)
def test_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, url: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes ``import module`` fail
    with pytest.raises(ConfigurationError, match=re.escape(extra)) as info:
        Database(url)
    assert "secret" not in str(info.value)


# -- serialization failure under REPEATABLE READ ----------------------------------------------
def test_write_after_a_concurrent_update_under_repeatable_read(db: Database, url: str) -> None:
    """A transaction that read a row which another then changed and committed, and now
    writes that row, fails with SerializationFailure (SQLSTATE 40001 on PostgreSQL, error
    1020 ER_CHECKREAD on MariaDB) instead of overwriting the other's change.

    MariaDB does this only with ``innodb_snapshot_isolation`` on (a server variable, OFF by
    default before 11.8; set here per connection with the ``init_command`` URL option);
    with it off, InnoDB's REPEATABLE READ writes the row's latest version: a lost update.
    Both behaviours are asserted. MySQL has no such variable and is skipped.
    """
    if "REPEATABLE READ" not in db.dialect.isolation_levels:
        pytest.skip(f"{db.dialect.name} has only SERIALIZABLE transactions")
    accounts(db, 100)
    snapshot_url = url
    lost_update_by_default = False
    if db.dialect.name == "mysql":  # a vendor server variable: see the docstring
        with db.session() as s:
            try:
                default = s.execute("SELECT @@innodb_snapshot_isolation").scalar()
            except OperationalError:
                pytest.skip("this MySQL server has no innodb_snapshot_isolation")
        lost_update_by_default = not default
        snapshot_url = url + "?init_command=" + quote("SET innodb_snapshot_isolation = ON")

    def spend_after_concurrent_deposit(target: str) -> int | BaseException:
        first, second = Database(target), Database(target)
        try:
            a = second.session()
            a.begin(isolation_level="REPEATABLE READ")
            assert a.get_one(Account, 1).balance == balance(first)
            with first.session() as b:  # commits a change to the row a has read
                b.get_one(Account, 1).balance += 50
            try:
                a.get_one(Account, 1).balance -= 30  # based on its stale read
                a.commit()
                return balance(first)
            except SerializationFailure as e:
                a.rollback()
                return e
            finally:
                a.close()
        finally:
            first.dispose()
            second.dispose()

    if lost_update_by_default:
        assert spend_after_concurrent_deposit(url) == 70  # 100 - 30: the +50 was lost
        with db.session() as s:
            s.get_one(Account, 1).balance = 100
    failure = spend_after_concurrent_deposit(snapshot_url)
    assert isinstance(failure, SerializationFailure), failure
    assert failure.code is not None and failure.sql and failure.__cause__ is not None
    assert balance(db) == 150  # the concurrent deposit stands; the stale write did not land
