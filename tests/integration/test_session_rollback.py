"""Regression tests for what the stateful test of the session
(tests/integration/test_session_stateful.py) found, each reduced to a few plain calls and
run on every backend and both front ends (the sync Session, and the AsyncSession through
tests/frontend.py's AsyncFacade).

What rollback does to objects is specified in docs/sessions.md, "What rollback does to
your objects"; merge() in "Detached objects, add() and merge()".
"""

from __future__ import annotations

from typing import Any

import pytest

from ormolu import (
    Database,
    InvalidRequestError,
    LazyLoadError,
    Mapped,
    Model,
    ObjectDeletedError,
    field,
    relationship,
    status_of,
)


class RbParent(Model, table="rb_parent"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    kids: Mapped[list[RbKid]] = relationship(back_populates="parent")


class RbKid(Model, table="rb_kid"):
    id: Mapped[int] = field(primary_key=True, default=None)
    parent_id: Mapped[int] = field(foreign_key="RbParent.id", on_delete="CASCADE")
    tag: Mapped[str] = field(max_length=40)
    parent: Mapped[RbParent] = relationship(back_populates="kids")


class RbItem(Model, table="rb_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    val: Mapped[int] = 0
    name: Mapped[str] = field(max_length=40, unique=True)


@pytest.fixture
def front(db: Database) -> Database:
    """``db`` (every backend, through the sync front end and, for the ``<backend>+async``
    parameters, the async one) with the tables created."""
    db.create_all([RbItem, RbParent, RbKid])
    return db


def rows(s: Any) -> list[tuple[Any, ...]]:
    """The rows as the session's transaction sees them (nothing flushed by looking)."""
    s.autoflush = False
    try:
        return [tuple(r) for r in s.execute("SELECT id, val, name FROM rb_item ORDER BY id").all()]
    finally:
        s.autoflush = True


def load(s: Any, obj: Any) -> None:
    """Make sure ``obj``'s columns are loaded (the async session loads only when asked)."""
    try:
        obj.val  # noqa: B018
    except LazyLoadError:
        s.refresh(obj)


def test_merge_of_expired_object_without_row_is_refused(front: Any) -> None:
    """merge() of a detached object whose columns are expired, when its row is gone,
    used to add a "copy" holding only the key: its flush then failed with a NOT NULL
    error far from the cause (a nullable column would have been written as NULL). It is
    refused at once, naming the fields."""
    with front.session() as s:
        s.add(RbItem(val=5, name="a"))
    with front.session() as s:
        obj = s.get(RbItem, 1)
        s.expire(obj)
        s.expunge(obj)
        assert s.query(RbItem).where(RbItem.id == 1).delete() == 1
        with pytest.raises(InvalidRequestError, match=r"val, name are not loaded"):
            s.merge(obj)
        assert s.new == [] and rows(s) == []
        assert status_of(obj) == "detached"


def test_merge_of_expired_object_onto_its_row(front: Any) -> None:
    """The same object merges fine while its row exists: only loaded values are copied
    (none here), onto the session's object."""
    with front.session() as s:
        s.add(RbItem(val=5, name="a"))
    with front.session() as s:
        obj = s.get(RbItem, 1)
        s.expire(obj)
        s.expunge(obj)
        mine = s.merge(obj)
        assert mine is not obj and status_of(mine) == "persistent"
        load(s, mine)
        assert (mine.val, mine.name) == (5, "a")


def test_rollback_detaches_object_loaded_for_a_reused_key(front: Any) -> None:
    """A row deleted and a new one inserted with the same key in one transaction, the
    new row loaded as another object: the rollback gives the key back to the object the
    transaction began with, and the object loaded for the new row is detached (one row,
    one object)."""
    with front.session() as s:
        first = RbItem(val=1, name="a")
        s.add(first)
        s.commit()
        s.delete(first)
        s.flush()
        added = RbItem(id=first.id, val=2, name="b")
        s.add(added)
        s.flush()
        s.expunge(added)
        second = s.get(RbItem, first.id)  # loaded from the row
        assert second is not None and second is not first and second.name == "b"
        s.rollback()
        assert status_of(first) == "persistent"
        assert status_of(second) == "detached"
        assert status_of(added) == "transient"
        assert s.get(RbItem, first.id) is first
        load(s, first)
        assert (first.val, first.name) == (1, "a")
        assert rows(s) == [(first.id, 1, "a")]


def test_rollback_gives_added_object_its_first_values(front: Any) -> None:
    """An object added, changed, deleted (while pending) and added again in one
    transaction is, after the rollback, transient with its values from when the
    transaction first saw it."""
    with front.session() as s:
        obj = RbItem(val=0, name="a")
        s.add(obj)
        obj.name = "b"
        s.delete(obj)
        s.add(obj)
        s.flush()
        assert obj.id is not None
        s.rollback()
        assert status_of(obj) == "transient"
        assert (obj.id, obj.val, obj.name) == (None, 0, "a")
        assert rows(s) == []


def test_object_loaded_after_write_is_gone_after_rollback(front: Any) -> None:
    """An object loaded for a row the rolled-back transaction inserted: its row is gone,
    so reading it raises ObjectDeletedError and detaches it (or it is detached already)."""
    with front.session() as s:
        s.add(RbItem(val=0, name="a"))
        s.flush()
        assert s.insert_many(RbItem, [{"val": 3, "name": "b"}]) == 1
        (key,) = [r[0] for r in rows(s) if r[2] == "b"]
        loaded = s.get(RbItem, key)
        assert loaded is not None
        s.rollback()
        if status_of(loaded) == "persistent":
            with pytest.raises(ObjectDeletedError):
                load(s, loaded)
        assert status_of(loaded) == "detached"
        assert s.get(RbItem, key) is None


def test_deleted_child_leaves_the_loaded_collection(front: Any) -> None:
    """A child deleted (and flushed) used to stay in its parent's loaded collection —
    after the commit too, since the session does not expire on commit — so
    ``parent.kids`` showed a row the database no longer held. The flush takes it out; a
    rollback gives it back."""
    with front.session() as s:
        p = RbParent(name="p")
        s.add(p)
        s.add_all([RbKid(parent=p, tag="a"), RbKid(parent=p, tag="b")])
        s.commit()
        assert [k.tag for k in p.kids] == ["a", "b"]
        kid_a = s.query(RbKid).where(RbKid.tag == "a").one()
        s.delete(kid_a)
        s.flush()
        assert [k.tag for k in p.kids] == ["b"]
        s.rollback()
        s.load([p], RbParent.kids)  # (the rollback forgot the collection: reloaded)
        assert sorted(k.tag for k in p.kids) == ["a", "b"]
        s.delete(s.query(RbKid).where(RbKid.tag == "b").one())
        s.commit()
        s.load([p], RbParent.kids)
        assert [k.tag for k in p.kids] == ["a"]


def test_a_collection_loaded_after_a_new_child_was_flushed_is_forgotten_by_rollback(
    front: Any,
) -> None:
    """A new child pointed at a persistent parent whose collection is not loaded; flushed;
    the collection then loaded (it holds the new child); rolled back: the collection must
    not still show the child, whose row is gone."""
    with front.session() as s:
        p = RbParent(name="p")
        s.add(p)
        s.add(RbKid(parent=p, tag="old"))
        s.commit()
    with front.session() as s:
        p = s.query(RbParent).one()  # its kids not loaded
        s.add(RbKid(parent=p, tag="new"))
        s.flush()
        s.load([p], RbParent.kids)
        assert sorted(k.tag for k in p.kids) == ["new", "old"]
        s.rollback()
        s.load([p], RbParent.kids)
        assert [k.tag for k in p.kids] == ["old"]


class RbNote(Model, table="rb_note"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=40)
    body: Mapped[str] = field(max_length=200, deferred=True)


def test_merge_refuses_a_detached_object_whose_deferred_field_never_loaded(db: Database) -> None:
    # no row to merge onto, and a field whose value was never read: a copy would be
    # inserted without it (NULL or a failure far from the cause), so merge() refuses
    db.create_all([RbNote])
    with db.session() as s:
        s.add(RbNote(title="t", body="kept"))
    with db.session() as s:
        note = s.query(RbNote).one()  # body deferred: not loaded
    with db.session() as s:
        assert s.query(RbNote).delete() == 1
    with db.session() as s:
        with pytest.raises(InvalidRequestError, match=r"body are not loaded \(expired or deferred"):
            s.merge(note)
        assert s.new == [] and s.query(RbNote).count() == 0
