"""Statement timeouts (``statement_timeout=`` on Database, session() and begin()) and the
pool's timeout, on every backend."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from frontend import reopen

from ormolu import (
    Database,
    Mapped,
    Model,
    PendingRollbackError,
    PoolTimeout,
    StatementTimeout,
    field,
)

# A statement every backend runs for many seconds: 10^9 rows of a triple cross join of
# 1,000 numbers (a recursive CTE, kept within MariaDB's max_recursive_iterations).
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
    "SELECT count(*) FROM c a, c b, c d"
)
FAST = "SELECT 1"


class Note(Model, table="to_note"):
    id: Mapped[int] = field(primary_key=True, default=None)
    text: Mapped[str] = field(max_length=20)


def timed_out(s: object, sql: str = SLOW) -> float:
    """Run ``sql`` expecting StatementTimeout; return the seconds it took."""
    started = time.monotonic()
    with pytest.raises(StatementTimeout) as info:
        s.execute(sql)  # type: ignore[attr-defined]
    assert info.value.sql == sql
    return time.monotonic() - started


def test_a_session_statement_timeout_stops_a_long_statement(db: Database) -> None:
    with db.session(statement_timeout=0.2) as s:
        assert timed_out(s) < 5  # cancelled, not run to its end (minutes)
        s.rollback()
        assert s.execute(FAST).scalar() == 1  # the session goes on


def test_the_database_default_and_a_session_override(db: Database, tmp_path: Path) -> None:
    limited = reopen(db, str(db.url), statement_timeout=0.2)
    try:
        with limited.session() as s:
            timed_out(s)
            s.rollback()
        with limited.session(statement_timeout=30) as s:  # the session's own wins
            assert s.execute(FAST).scalar() == 1
    finally:
        limited.dispose()


def test_a_transaction_timeout_applies_to_that_transaction_only(db: Database) -> None:
    db.create_all([Note])
    with db.session() as s:
        tx = s.begin(statement_timeout=0.2)
        s.add(Note(text="kept?"))
        s.flush()
        timed_out(s)
        if db.dialect.failed_statement_aborts_transaction:
            with pytest.raises(PendingRollbackError):
                tx.commit()
            s.rollback()
        else:
            tx.commit()  # the timed-out statement had no effect; the rest commits
        # after the transaction, the session has no timeout: a slow-ish statement runs
        assert s.execute(FAST).scalar() == 1
    with db.session() as s:
        expected = 0 if db.dialect.failed_statement_aborts_transaction else 1
        assert s.query(Note).count() == expected


def test_a_pooled_connection_comes_back_without_the_timeout(db: Database) -> None:
    if db.url.database in (None, ":memory:"):
        pytest.skip("an in-memory SQLite database has a single connection, not a pool")
    with db.session(statement_timeout=0.2) as s:
        timed_out(s)
        s.rollback()
    with db.session() as s:  # the same pooled connection, reset when it came back
        started = time.monotonic()
        assert s.execute("SELECT count(*) FROM (SELECT 1) t").scalar() == 1
        assert time.monotonic() - started < 5


def test_pool_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/p.db", pool_size=1, max_overflow=0, pool_timeout=0.2)
    holder = db.session()
    holder.execute(FAST)  # holds the only connection
    try:
        started = time.monotonic()
        with pytest.raises(PoolTimeout, match=r"pool size 1 \+ overflow 0"), db.session() as s:
            s.execute(FAST)
        assert 0.15 < time.monotonic() - started < 5
    finally:
        holder.close()
    with db.session() as s:  # free again
        assert s.execute(FAST).scalar() == 1
    db.dispose()
