"""Comparing relationships with objects, on every backend (issue 10, item 1).

``Pet.owner != owner`` used to compile to ``WHERE ?`` bound to ``True``, so
``query(Pet).where(Pet.owner != a).delete()`` deleted every pet. Each comparison here is
checked against the rows it must return, and the bulk delete against what it leaves.
"""

from __future__ import annotations

from typing import Any

import pytest

from ormolu import (
    ArgumentError,
    Database,
    ForeignKeyConstraint,
    Mapped,
    Model,
    field,
    many_to_many,
    relationship,
)


class Owner(Model, table="rc_owner"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    pets: Mapped[list[Pet]] = relationship(back_populates="owner")
    profile: Mapped[Profile | None] = relationship(back_populates="owner")


class Pet(Model, table="rc_pet"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    owner_id: Mapped[int | None] = field(foreign_key="Owner.id", default=None)
    owner: Mapped[Owner | None] = relationship(back_populates="pets")
    tags: Mapped[list[Tag]] = many_to_many()


class Profile(Model, table="rc_profile"):
    id: Mapped[int] = field(primary_key=True, default=None)
    bio: Mapped[str] = field(max_length=40)
    owner_id: Mapped[int] = field(foreign_key="Owner.id", unique=True, default=None)
    owner: Mapped[Owner] = relationship(back_populates="profile")


class Tag(Model, table="rc_tag"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=20)


class Shelf(Model, table="rc_shelf"):
    room: Mapped[str] = field(primary_key=True, max_length=10)
    number: Mapped[int] = field(primary_key=True, autoincrement=False)


class Book(Model, table="rc_book"):
    __table_args__ = (ForeignKeyConstraint(("room", "number"), "Shelf"),)
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=40)
    room: Mapped[str | None] = field(max_length=10, default=None)
    number: Mapped[int | None] = field(default=None)
    shelf: Mapped[Shelf | None] = relationship()


MODELS = [Owner, Pet, Profile, Tag, Shelf, Book]


@pytest.fixture
def pets(db: Database) -> Database:
    """Ann owns Rex and Tom, Bob owns Kit, Zed has no owner; Ann has a profile."""
    db.create_all(MODELS)
    with db.session() as s:
        ann, bob = Owner(name="Ann"), Owner(name="Bob")
        live, old = Tag(label="live"), Tag(label="old")
        s.add_all([ann, bob])
        s.add_all(
            [
                Pet(name="Rex", owner=ann, tags=[live]),
                Pet(name="Tom", owner=ann),
                Pet(name="Kit", owner=bob, tags=[live, old]),
                Pet(name="Zed"),
                Profile(bio="hi", owner=ann),
            ]
        )
    return db


def names(rows: list[Any]) -> list[str]:
    return sorted(r.name for r in rows)


def test_many_to_one_comparisons_select_the_right_rows(pets: Database) -> None:
    with pets.session() as s:
        ann = s.query(Owner).filter_by(name="Ann").one()
        bob = s.query(Owner).filter_by(name="Bob").one()
        q = s.query(Pet)
        assert names(q.where(Pet.owner == ann).all()) == ["Rex", "Tom"]
        # != also matches the pet without an owner (documented: NULL-aware)
        assert names(q.where(Pet.owner != ann).all()) == ["Kit", "Zed"]
        assert names(q.where(Pet.owner.is_(None)).all()) == ["Zed"]
        assert names(q.where(Pet.owner == None).all()) == ["Zed"]  # noqa: E711
        assert names(q.where(Pet.owner.is_not(None)).all()) == ["Kit", "Rex", "Tom"]
        assert names(q.where(Pet.owner.in_([ann, bob])).all()) == ["Kit", "Rex", "Tom"]
        assert names(q.where(Pet.owner.not_in([ann])).all()) == ["Kit", "Zed"]
        assert q.where(Pet.owner.in_([])).all() == []
        assert names(q.filter_by(owner=bob).all()) == ["Kit"]
        assert names(q.filter_by(owner=None).all()) == ["Zed"]
        assert names(q.where(~(Pet.owner == ann)).all()) == ["Kit"]  # plain SQL NOT


def test_bulk_delete_through_a_relationship_comparison(pets: Database) -> None:
    """The regression: this deleted every row when ``!=`` compiled to a constant."""
    with pets.session() as s:
        ann = s.query(Owner).filter_by(name="Ann").one()
        assert s.query(Pet).where(Pet.owner != ann).delete() == 2
    with pets.session() as s:
        assert names(s.query(Pet).all()) == ["Rex", "Tom"]


def test_reverse_one_to_one_and_collections(pets: Database) -> None:
    with pets.session() as s:
        ann = s.query(Owner).filter_by(name="Ann").one()
        profile = s.query(Profile).one()
        rex = s.query(Pet).filter_by(name="Rex").one()
        kit = s.query(Pet).filter_by(name="Kit").one()
        old = s.query(Tag).filter_by(label="old").one()
        live = s.query(Tag).filter_by(label="live").one()
        o = s.query(Owner)
        assert names(o.where(Owner.profile == profile).all()) == ["Ann"]
        assert names(o.where(Owner.profile != profile).all()) == ["Bob"]
        assert names(o.where(Owner.profile.is_(None)).all()) == ["Bob"]
        assert names(o.where(Owner.profile.is_not(None)).all()) == ["Ann"]
        assert names(o.filter_by(profile=profile).all()) == ["Ann"]
        assert names(o.where(Owner.pets.contains(rex)).all()) == ["Ann"]
        assert names(o.where(~Owner.pets.contains(rex)).all()) == ["Bob"]
        assert names(o.where(Owner.pets.contains(kit)).all()) == ["Bob"]
        p = s.query(Pet)
        assert names(p.where(Pet.tags.contains(old)).all()) == ["Kit"]
        assert names(p.where(Pet.tags.contains(live)).all()) == ["Kit", "Rex"]
        assert names(p.where(~Pet.tags.contains(live)).all()) == ["Tom", "Zed"]
        assert ann.name == "Ann"


def test_composite_foreign_key_comparisons(db: Database) -> None:
    db.create_all(MODELS)
    with db.session() as s:
        a1, a2 = Shelf(room="A", number=1), Shelf(room="A", number=2)
        s.add_all([a1, a2])
        s.flush()
        s.add_all(
            [
                Book(title="one", shelf=a1),
                Book(title="two", shelf=a2),
                Book(title="loose"),
            ]
        )
    with db.session() as s:
        a1 = s.get_one(Shelf, ("A", 1))
        a2 = s.get_one(Shelf, ("A", 2))
        b = s.query(Book)
        titles = lambda q: sorted(x.title for x in q.all())  # noqa: E731
        assert titles(b.where(Book.shelf == a1)) == ["one"]
        assert titles(b.where(Book.shelf != a1)) == ["loose", "two"]
        assert titles(b.where(Book.shelf.is_(None))) == ["loose"]
        assert titles(b.where(Book.shelf.in_([a1, a2]))) == ["one", "two"]
        assert titles(b.where(Book.shelf.not_in([a2]))) == ["loose", "one"]
        assert titles(b.filter_by(shelf=a2)) == ["two"]


def test_a_pending_object_is_compared_after_the_autoflush(pets: Database) -> None:
    with pets.session() as s:
        cat_lady = Owner(name="Cat")
        s.add(cat_lady)
        q = s.query(Pet).where(Pet.owner == cat_lady)  # no key yet: read when it runs
        s.add(Pet(name="Tib", owner_id=None))
        assert q.all() == []
        s.flush()
        s.query(Pet).filter_by(name="Tib").one().owner = cat_lady
        assert names(q.all()) == ["Tib"]


def test_bad_objects_raise_before_any_sql(pets: Database) -> None:
    with pets.session() as s, pets.capture() as sent:
        with pytest.raises(ArgumentError, match=r"no 'id' \(transient"):
            s.query(Pet).where(Pet.owner == Owner(name="Nobody"))
        with pytest.raises(ArgumentError, match="expected a Owner object"):
            s.query(Pet).where(Pet.owner == Tag(label="x"))
        with pytest.raises(ArgumentError, match=r"compare the column \(Pet.owner_id\)"):
            s.query(Pet).where(Pet.owner == 5)
        with pytest.raises(ArgumentError, match="is a collection"):
            s.query(Owner).where(Owner.pets == Pet(name="x"))
        with pytest.raises(ArgumentError, match="not a collection"):
            s.query(Pet).where(Pet.owner.contains(Owner(name="x")))
        with pytest.raises(ArgumentError, match="Python bool"):
            s.query(Pet).where(Pet.owner == "Ann")  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match=r"is_\(\) takes None"):
            s.query(Pet).where(Pet.owner.is_(Owner(name="x")))  # type: ignore[arg-type]
    assert sent == []
