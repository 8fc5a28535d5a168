"""Rollback through cheap journal records (ormolu/orm/state.py): a clean persistent
object of a model without relationships is journaled by its state alone, and every path
that changes it afterwards must still let a rollback restore it as it was when the
transaction began; a flush without relationships records a new object by the fields it
fills in, and a failed flush must still put it back as it was."""

from __future__ import annotations

import gc

import pytest

from ormolu import (
    Database,
    ForeignKeyViolation,
    Mapped,
    Model,
    UniqueViolation,
    field,
    many_to_many,
    status_of,
)
from ormolu.core.journal import LAZY, Entry
from ormolu.orm.state import STATE_KEY


class Gadget(Model, table="lj_gadget"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40, unique=True)
    size: Mapped[int] = 0
    note: Mapped[str | None] = None


class Widget(Model, table="lj_widget"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40, unique=True)
    color: Mapped[str] = field(max_length=10, server_default="blue")


class Part(Model, table="lj_part"):
    """Refers to a gadget by a foreign key alone (no relationship declared)."""

    id: Mapped[int] = field(primary_key=True, default=None)
    gadget_id: Mapped[int] = field(foreign_key="Gadget.id")


class Label(Model, table="lj_label"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = ""
    boxes: Mapped[list[Box]] = many_to_many(back_populates="labels")


class Box(Model, table="lj_box"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = ""
    labels: Mapped[list[Label]] = many_to_many(back_populates="boxes")


@pytest.fixture
def gadgets(db: Database) -> Database:
    db.create_all([Gadget, Widget, Part, Label, Box])
    with db.session() as s:
        s.add_all([Gadget(name="a", size=1), Gadget(name="b", size=2), Gadget(name="c", size=3)])
    return db


def values(obj: Gadget) -> tuple[object, ...]:
    return (obj.id, obj.name, obj.size, obj.note)


def journal_entry(s: object, obj: object) -> Entry:
    return s.state.levels[0].journal[id(obj)]  # type: ignore[attr-defined,no-any-return]


def is_lazy(entry: Entry, obj: object) -> bool:
    """Whether ``entry`` is ``obj``'s lazy entry (holding its state, not a copy)."""
    return entry.values is LAZY and entry.state is obj.__dict__[STATE_KEY]


def test_a_set_is_journaled_lazily_and_rolled_back(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 1)
        g.size = 10
        assert is_lazy(journal_entry(s, g), g)  # the lazy entry
        s.rollback()
        assert values(g) == (1, "a", 1, None) and status_of(g) == "persistent"
        assert not s.dirty


def test_sets_after_a_flush_are_restored_too(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 1)
        g.size = 10
        s.flush()
        g.size = 11  # the same field again: the value from before the transaction wins
        g.note = "after the flush"  # a field first set after the flush
        s.flush()
        g.name = "z"
        s.rollback()
        assert values(g) == (1, "a", 1, None)
    with gadgets.session() as s:
        assert values(s.get_one(Gadget, 1)) == (1, "a", 1, None)


def test_commit_ends_what_a_lazy_entry_restores(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 2)
        g.size = 20
        s.commit()
        g.note = "second transaction"
        s.rollback()
        assert values(g) == (2, "b", 20, None)


def test_lazy_delete_then_set_then_rollback(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 3)
        s.delete(g)
        assert is_lazy(journal_entry(s, g), g)
        g.note = "set while deleted"
        s.flush()
        assert status_of(g) == "deleted"
        s.rollback()
        assert status_of(g) == "persistent" and values(g) == (3, "c", 3, None)
        assert s.get(Gadget, 3) is g


def test_lazy_delete_commits_and_detaches(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 3)
        s.delete(g)
        s.commit()
        assert status_of(g) == "detached"
        assert s.get(Gadget, 3) is None


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_expire_refresh_and_primary_key_change_materialize_the_entry(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 1)
        g.size = 10
        s.expire(g, "size")
        assert journal_entry(s, g).values is not LAZY  # a full entry now
        assert g.size == 1  # reloaded
        g.size = 12
        s.refresh(g)
        h = s.get_one(Gadget, 2)
        h.note = "x"
        h.id = 99  # a primary key change is journaled with a full record
        s.flush()
        s.rollback()
        assert values(g) == (1, "a", 1, None)
        assert values(h) == (2, "b", 2, None) and s.get(Gadget, 2) is h
        assert s.get(Gadget, 99) is None


def test_a_savepoint_materializes_lazy_entries_of_the_transaction(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 1)
        g.size = 10
        with s.begin_nested():
            g.note = "inside"
            g.size = 11
        assert (g.size, g.note) == (11, "inside")
        s.rollback()
        assert values(g) == (1, "a", 1, None)


def test_a_failed_flush_keeps_the_entry_able_to_restore(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 1)
        g.size = 10
        s.flush()
        g.name = "b"  # taken
        with pytest.raises(UniqueViolation):
            s.flush()
        assert (g.name, g.size) == ("b", 10)  # as before the failed flush
        g.note = "fixed"
        g.name = "d"
        s.flush()
        s.rollback()
        assert values(g) == (1, "a", 1, None)


def test_an_object_gone_before_the_rollback_is_skipped(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 1)
        g.size = 10
        s.flush()
        del g
        gc.collect()
        # Many new objects: some may well reuse the dead object's id, and must be
        # journaled themselves all the same.
        fresh = [Gadget(name=f"n{i}") for i in range(50)]
        s.add_all(fresh)
        s.flush()
        s.rollback()
        assert all(status_of(o) == "transient" and o.id is None for o in fresh)
    with gadgets.session() as s:
        assert s.get_one(Gadget, 1).size == 1
        assert s.query(Gadget).count() == 3


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_bulk_update_after_a_lazy_set_is_restored(gadgets: Database) -> None:
    with gadgets.session() as s:
        g = s.get_one(Gadget, 1)
        g.note = "n"
        s.flush()
        s.query(Gadget).where(Gadget.id == 1).update(size=100)
        assert g.size == 100
        s.rollback()
        assert values(g) == (1, "a", 1, None)


def test_models_with_relationships_keep_full_records(gadgets: Database) -> None:
    with gadgets.session() as s:
        box = Box(name="box", labels=[Label(name="red")])
        s.add(box)
        s.commit()
        box.name = "renamed"
        label = box.labels[0]
        label.name = "blue"
        assert journal_entry(s, box).values is not LAZY
        assert journal_entry(s, label).values is not LAZY
        s.rollback()
        assert (box.name, label.name) == ("box", "red")


def test_a_failed_flush_clears_the_generated_values_of_inserted_objects(
    gadgets: Database,
) -> None:
    with gadgets.session() as s:
        s.add(Widget(name="taken"))
        s.commit()
        # Two statements (different column sets): the first inserts and fills in id and
        # color, the second fails.
        first = [Widget(name="w1"), Widget(name="w2")]
        second = [Widget(name="w3", color="red"), Widget(name="taken", color="red")]
        s.add_all([*first, *second])
        with pytest.raises(UniqueViolation):
            s.flush()
        for w in (*first, *second):
            assert status_of(w) == "pending" and w.id is None
        assert all("color" not in w.__dict__ for w in first)  # left to the database again
        assert [w.color for w in second] == ["red", "red"]
        second[1].name = "w4"
        s.flush()
        assert [w.color for w in first] == ["blue", "blue"]
        assert [w.id for w in (*first, *second)] == sorted(w.id for w in (*first, *second))
        s.rollback()
        assert all(status_of(w) == "transient" and w.id is None for w in (*first, *second))
    with gadgets.session() as s:
        assert [w.name for w in s.query(Widget).all()] == ["taken"]


def test_a_failed_flush_restores_batches_of_updated_and_deleted_objects(
    gadgets: Database,
) -> None:
    with gadgets.session() as s:
        s.add(Part(gadget_id=3))
        s.commit()
        a, b, c = (s.get_one(Gadget, i) for i in (1, 2, 3))
        a.size, b.size = 10, 20  # one UPDATE batch: it succeeds
        s.delete(c)  # the DELETE fails: a part still refers to gadget 3
        with pytest.raises(ForeignKeyViolation):
            s.flush()
        # as before the flush: changes pending, the delete still marked
        assert sorted(s.dirty, key=lambda g: g.id) == [a, b]
        assert (a.size, b.size) == (10, 20) and s.deleted == [c]
        assert status_of(c) == "persistent"
        s.rollback()
        assert [values(g) for g in (a, b, c)] == [
            (1, "a", 1, None), (2, "b", 2, None), (3, "c", 3, None),
        ]  # fmt: skip
    with gadgets.session() as s:
        assert [g.size for g in s.query(Gadget).order_by(Gadget.id).all()] == [1, 2, 3]


def test_a_failed_second_update_batch_restores_the_first(gadgets: Database) -> None:
    with gadgets.session() as s:
        a, b, c = (s.get_one(Gadget, i) for i in (1, 2, 3))
        a.size, b.size = 10, 20  # batch 1: size
        c.name = "a"  # batch 2: name, a duplicate
        with pytest.raises(UniqueViolation):
            s.flush()
        assert len(s.dirty) == 3 and (a.size, b.size, c.name) == (10, 20, "a")
        c.name = "d"
        s.flush()  # both batches again, now without error
        assert s.dirty == []
        s.commit()
    with gadgets.session() as s:
        rows = s.query(Gadget.name, Gadget.size).order_by(Gadget.id).all()
        assert rows == [("a", 10), ("b", 20), ("d", 3)]


def test_deleted_batch_commits_and_detaches(gadgets: Database) -> None:
    with gadgets.session() as s:
        objs = s.query(Gadget).all()
        for g in objs:
            s.delete(g)
        s.commit()
        assert {status_of(g) for g in objs} == {"detached"}
    with gadgets.session() as s:
        assert s.query(Gadget).count() == 0
