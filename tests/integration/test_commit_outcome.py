"""A COMMIT whose answer is lost: CommitOutcomeUnknown, and the idempotent retry the docs
recommend (docs/sessions.md, "When the answer to COMMIT is lost").

A TCP proxy of our own (tcpproxy.py) stands between the session and the server and cuts
the link right after forwarding COMMIT: the server commits, the client never hears so.
"""

from __future__ import annotations

import uuid

import pytest
from frontend import reopen
from tcpproxy import proxied

from ormolu import CommitOutcomeUnknown, ConnectionLost, Database, Mapped, Model, field, status_of


class Order(Model, table="co_order"):
    id: Mapped[int] = field(primary_key=True, default=None)
    # chosen by the application: what makes a retry recognisable (see the docs)
    token: Mapped[str] = field(max_length=36, unique=True)
    total: Mapped[int]


@pytest.fixture
def orders(db: Database) -> Database:
    if db.url.host is None:
        pytest.skip(f"{db.dialect.name} runs in-process: there is no network link to cut")
    db.create_all([Order])
    return db


def place_order(db: Database, token: str, total: int) -> None:
    """The unit of work, written to be retried: the unique ``token`` decides, so a second
    attempt writes nothing — even while the first attempt's COMMIT is still being
    processed by the server (a check-then-insert could miss it and then collide)."""
    with db.session() as s:
        s.upsert(Order, [{"token": token, "total": total}], conflict=["token"], do_nothing=True)


def test_a_lost_commit_answer_raises_commit_outcome_unknown(orders: Database) -> None:
    token = str(uuid.uuid4())
    with proxied(str(orders.url), cut_after=b"COMMIT") as (url, proxy):
        db = reopen(orders, url, pre_ping=False)
        s = db.session()
        order = Order(token=token, total=10)
        s.add(order)
        s.flush()  # BEGIN, INSERT (the first write begins the transaction)
        proxy.armed.set()
        with pytest.raises(CommitOutcomeUnknown) as info:
            s.commit()
        assert proxy.cut.is_set()
        assert isinstance(info.value, ConnectionLost)
        assert "may or may not have been committed" in str(info.value)
        # the session cannot know what the database holds: its objects are detached, as
        # they were (the new one keeps the key its INSERT gave it)
        assert status_of(order) == "detached" and order.id is not None
        s.close()
        db.dispose()
    # Here the server did commit. A blind retry would insert a second order; the retry
    # written as in the docs finds the first and does nothing.
    place_order(orders, token, 10)
    with orders.session() as s:
        assert [(o.token, o.total) for o in s.query(Order).all()] == [(token, 10)]


def test_a_connection_lost_before_commit_is_sent_is_no_unknown_outcome(
    orders: Database,
) -> None:
    """When the link is gone before COMMIT, nothing can have been committed: a plain
    ConnectionLost, not CommitOutcomeUnknown."""
    with proxied(str(orders.url), cut_after=b"INSERT") as (url, proxy):
        db = reopen(orders, url, pre_ping=False)
        s = db.session()
        s.add(Order(token=str(uuid.uuid4()), total=5))
        proxy.armed.set()
        with pytest.raises(ConnectionLost) as info:
            s.flush()  # the INSERT reaches the server; its answer and the link are lost
        assert not isinstance(info.value, CommitOutcomeUnknown)
        with pytest.raises(ConnectionLost) as info:
            s.commit()
        assert not isinstance(info.value, CommitOutcomeUnknown)
        s.rollback()
        s.close()
        db.dispose()
    with orders.session() as s:
        assert s.query(Order).count() == 0  # the server rolled the transaction back


def test_after_a_lost_connection_nothing_is_written_until_rollback(orders: Database) -> None:
    """The transaction died with its connection: a retried commit must not send the rest
    of the unit of work on a new connection (that would commit it without the first
    flush's row, which the session reports persistent). Every commit is refused as
    ConnectionLost until rollback; after it the session works again on a new
    connection. (Regression: the async session gave the broken connection back and
    then ran the retried commit on a fresh one.)"""
    # (cut on the UPDATE: its text is new on the connection, where a repeated INSERT may
    # be sent as a prepared statement's name only)
    with proxied(str(orders.url), cut_after=b"UPDATE") as (url, proxy):
        db = reopen(orders, url, pre_ping=False)
        s = db.session()
        first = Order(token=str(uuid.uuid4()), total=1)
        s.add(first)
        s.flush()  # BEGIN, INSERT: the row exists only in this transaction
        proxy.armed.set()
        first.total = 2
        with pytest.raises(ConnectionLost):
            s.flush()
        assert proxy.cut.is_set()
        proxy.armed.clear()
        proxy.cut.clear()  # new connections through the proxy work again: a retry could
        s.add(Order(token=str(uuid.uuid4()), total=3))
        for _ in range(2):  # a retry is refused too
            with pytest.raises(ConnectionLost) as info:
                s.commit()
            assert not isinstance(info.value, CommitOutcomeUnknown)
        s.rollback()
        assert status_of(first) == "transient"  # its INSERT was rolled back with the link
        last = Order(token=str(uuid.uuid4()), total=4)
        s.add(last)
        s.commit()
        s.close()
        db.dispose()
    with orders.session() as s:
        assert [(o.token, o.total) for o in s.query(Order).all()] == [(last.token, 4)]
