"""Hostile names and values through the newer constructs, on every backend: CTE and
label names, window function arguments, relationship comparisons, date arithmetic
values, schema names and set operations. Every value is bound and every name quoted, so
each round-trips as data and the tables survive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from ormolu import Database, Mapped, Model, Session, field, func, relationship, select

NASTY = [
    "'; DROP TABLE hc_item; --",
    'a"b`c',
    "100% _under\\score",
    "line\nbreak",
    "ünïcödé ✓",
]


class Owner(Model, table="hc_owner"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)
    items: Mapped[list[Item]] = relationship(back_populates="owner")


class Item(Model, table="hc_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=60)
    at: Mapped[datetime]
    owner_id: Mapped[int | None] = field(foreign_key="Owner.id", default=None)
    owner: Mapped[Owner | None] = relationship(back_populates="items")


@pytest.fixture
def s(db: Database) -> Iterator[Session]:
    db.create_all([Owner, Item])
    with db.session() as setup:
        owners = [Owner(name=n) for n in NASTY]
        setup.add_all(owners)
        for i, (o, n) in enumerate(zip(owners, NASTY, strict=True)):
            setup.add(Item(label=n, at=datetime(2024, 1, 1) + timedelta(hours=i), owner=o))
    session = db.session()
    try:
        yield session
    finally:
        session.close()


def test_hostile_cte_and_label_names_and_values(s: Session) -> None:
    weird = 'cte "name"; DROP TABLE hc_item; --'
    picked = (
        select(Item.id, Item.label.label('lab"el`')).where(Item.label.in_(NASTY[:3])).cte(weird)
    )
    rows = s.query(picked.c['lab"el`']).order_by(picked.c.id).all()
    assert rows == NASTY[:3]
    assert s.query(Item).count() == len(NASTY)


def test_hostile_values_in_windows_and_set_operations(s: Session) -> None:
    prev = func.lag(Item.label, 1, NASTY[0]).over(order_by=Item.id)
    assert s.query(prev).order_by(Item.id).all() == [NASTY[0], *NASTY[:-1]]
    ahead = func.lead(Item.label, 2, NASTY[1]).over(order_by=Item.id)
    assert s.query(ahead).order_by(Item.id).all() == [*NASTY[2:], NASTY[1], NASTY[1]]
    both = (
        s.query(Item.label).intersect(s.query(Owner.name))
        if s.dialect.supports_intersect_except
        else None
    )
    if both is not None:
        assert sorted(both.all()) == sorted(NASTY)
    united = s.query(Item.label).union(s.query(Owner.name))
    assert sorted(united.all()) == sorted(NASTY)


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_hostile_objects_in_relationship_comparisons(s: Session) -> None:
    for name in NASTY:
        owner = s.query(Owner).filter_by(name=name).one()
        assert s.query(Item.label).where(Item.owner == owner).all() == [name]
        assert s.query(Owner.name).where(Owner.items.contains(owner.items[0])).all() == [name]
    assert s.query(Item).where(Item.owner != owner).count() == len(NASTY) - 1


def test_hostile_values_in_date_arithmetic_and_bulk_writes(s: Session) -> None:
    later = s.query(Item.id).where(Item.at + timedelta(minutes=30) > datetime(2024, 1, 1, 2))
    assert sorted(later.all()) == [3, 4, 5]
    n = (
        s.query(Item)
        .join(Owner)
        .where(Owner.name == NASTY[0])
        .update({Item.label: Owner.name + NASTY[1]})
    )
    assert n == 1
    assert s.query(Item.label).where(Item.id == 1).scalar() == NASTY[0] + NASTY[1]
    assert s.query(Owner).count() == len(NASTY)
