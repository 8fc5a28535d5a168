"""The commit shortcut: a commit whose whole transaction is one new object's INSERT
sends it straight to a connection taken for it (``Session._commit_lone``), without the
operation and its runner, and gives the connection back without the pool's reset.

Each test checks what the shortcut must leave exactly as the full commit does, and that
the full commit (``core.transaction.commit``) still runs where it must: flush listeners,
model hooks, a transaction already open, a statement timeout to clear.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ormolu import Mapped, Model, UniqueViolation, field, status_of
from ormolu.core import transaction as tx


class Memo(Model, table="cs_memo"):
    id: Mapped[int] = field(primary_key=True, default=None)
    body: Mapped[str] = field(max_length=40, unique=True)


class HookedMemo(Model, table="cs_hooked"):
    """A model with an insert hook: its flush runs the hooks, so never the shortcut."""

    id: Mapped[int] = field(primary_key=True, default=None)
    body: Mapped[str] = field(max_length=40)

    def before_insert(self) -> None:
        self.body = self.body.upper()


class VMemo(Model, table="cs_vmemo"):
    id: Mapped[int] = field(primary_key=True, default=None)
    body: Mapped[str] = field(max_length=40)
    version: Mapped[int] = field(version=True)


@pytest.fixture
def paths(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths commits took, in order: "shortcut" or "full" (spies on the two)."""
    db.create_all([Memo, HookedMemo, VMemo])
    taken: list[str] = []
    full, short = tx.commit, tx.finish_lone_commit

    def spy_full(state: Any) -> Any:
        taken.append("full")
        return full(state)

    def spy_short(*args: Any) -> None:
        taken.append("shortcut")
        short(*args)

    monkeypatch.setattr(tx, "commit", spy_full)
    monkeypatch.setattr(tx, "finish_lone_commit", spy_short)
    yield taken


def bodies(db: Any, model: Any = Memo) -> list[str]:
    with db.session() as s:
        return sorted(s.query(model.body).all())


def idle_connections(db: Any) -> list[Any]:
    return [conn for conn, _, _ in getattr(db.pool, "_idle", [])]


def test_a_lone_insert_takes_the_shortcut_and_ends_as_the_full_commit(
    db: Any, paths: list[str]
) -> None:
    s = db.session()
    with db.capture() as statements:
        memo = Memo(body="a")
        s.add(memo)
        s.commit()
    assert paths == ["shortcut"]
    assert [sql.split()[0].upper() for sql, _ in statements] == ["INSERT"]  # captured too
    assert status_of(memo) == "persistent" and memo.id is not None
    assert s.get(Memo, memo.id) is memo and s.new == []  # in the identity map
    assert s._conn is None  # given back
    memo.body = "b"  # an UPDATE alone: the full commit (its own single statement)
    s.commit()
    assert paths == ["shortcut", "full"]
    s.close()
    assert bodies(db) == ["b"]
    if hasattr(db.pool, "_idle"):
        assert db.pool.checked_out == 0
        for conn in idle_connections(db):
            assert not conn.in_transaction()


def test_flush_listeners_and_model_hooks_take_the_full_commit(db: Any, paths: list[str]) -> None:
    seen: list[str] = []
    with db.session() as s:
        s.listen("before_flush", lambda _: seen.append("before_flush"))
        s.add(Memo(body="l"))
        s.commit()
    assert paths[-1:] == ["full"] and seen == ["before_flush"]

    def after_flush(_: Any) -> None:
        seen.append("after_flush")

    db.listen("after_flush", after_flush)
    try:
        with db.session() as s:
            s.add(Memo(body="m"))
            s.commit()
        assert paths[-1:] == ["full"] and seen[-1] == "after_flush"
    finally:
        db.unlisten("after_flush", after_flush)
    with db.session() as s:  # none left: the shortcut again
        s.add(Memo(body="n"))
        s.commit()
    assert paths[-1:] == ["shortcut"]
    with db.session() as s:
        hooked = HookedMemo(body="h")
        s.add(hooked)
        s.commit()
        assert paths[-1:] == ["full"] and hooked.body == "H"
    assert bodies(db, HookedMemo) == ["H"] and bodies(db) == ["l", "m", "n"]


def test_an_after_commit_listener_runs_after_the_shortcut(db: Any, paths: list[str]) -> None:
    fired: list[int] = []
    s = db.session()
    s.listen("after_commit", lambda _: fired.append(len(paths)))
    s.add(Memo(body="x"))
    s.commit()
    assert paths == ["shortcut"] and fired == [1]  # (not a flush listener: no full path)
    s.close()


def test_an_open_transaction_and_a_version_field_take_the_right_path(
    db: Any, paths: list[str]
) -> None:
    with db.session() as s:
        s.begin()
        s.add(Memo(body="t"))
        s.commit()  # BEGIN sent already: the COMMIT must be sent too
        assert paths == ["full"]
        doc = VMemo(body="v")
        s.add(doc)
        s.commit()  # the version is set on the object before the INSERT: the shortcut
        assert paths == ["full", "shortcut"] and doc.version == 1
        doc.body = "w"
        s.commit()  # the version-checked UPDATE: the full commit, which moves it on
        assert paths[-1] == "full" and doc.version == 2
    with db.session() as s:
        assert [(d.body, d.version) for d in s.query(VMemo).all()] == [("w", 2)]
    assert bodies(db) == ["t"]


def test_a_session_timeout_is_cleared_when_the_shortcut_gives_the_connection_back(
    db: Any, paths: list[str]
) -> None:
    s = db.session(statement_timeout=5.0)
    s.add(Memo(body="slow"))
    s.commit()
    assert paths == ["shortcut"]
    s.close()
    for conn in idle_connections(db):  # reset by the pool: not vouched for as clean
        assert conn.statement_timeout is None
    assert bodies(db) == ["slow"]


def test_a_failed_shortcut_leaves_the_object_pending_and_the_connection_given_back(
    db: Any, paths: list[str]
) -> None:
    with db.session() as s:
        s.add(Memo(body="dup"))
    s = db.session()
    dup = Memo(body="dup")
    s.add(dup)
    with pytest.raises(UniqueViolation) as caught:
        s.commit()
    assert caught.value.model == "Memo"  # named, as by the full flush
    assert status_of(dup) == "pending" and dup.id is None and s.new == [dup]
    assert s._conn is None
    if hasattr(db.pool, "_idle"):
        assert db.pool.checked_out == 0
    dup.body = "fixed"
    s.commit()
    assert paths == ["shortcut", "shortcut"]
    s.close()
    assert bodies(db) == ["dup", "fixed"]
