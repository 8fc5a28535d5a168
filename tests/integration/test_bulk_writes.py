"""Writes from queries on every backend: UPDATE and DELETE whose conditions join other
tables (``UPDATE ... FROM`` / multi-table / a key subquery, by dialect), INSERT ... SELECT,
and CTEs inside them; hostile values throughout."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from ormolu import (
    Database,
    Mapped,
    Model,
    Session,
    field,
    func,
    insert,
    select,
)

HOSTILE = "Beta'); DROP TABLE bw_record; --"


class Band(Model, table="bw_band"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=60)


class Record(Model, table="bw_record"):
    id: Mapped[int] = field(primary_key=True, default=None)
    band_id: Mapped[int] = field(foreign_key="Band.id")
    title: Mapped[str] = field(max_length=60)
    price: Mapped[Decimal] = field(max_digits=6, decimal_places=2)


class Archive(Model, table="bw_archive"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=60)
    band_name: Mapped[str] = field(max_length=60)


@pytest.fixture
def s(db: Database) -> Iterator[Session]:
    db.create_all([Band, Record, Archive])
    with db.session() as setup:
        setup.insert_many(Band, [{"name": "Alpha"}, {"name": HOSTILE}])
        setup.insert_many(
            Record,
            [
                {"band_id": 1, "title": "One", "price": Decimal("9.99")},
                {"band_id": 1, "title": "Two", "price": Decimal("5.00")},
                {"band_id": 2, "title": "Three", "price": Decimal("7.25")},
            ],
        )
    session = db.session()
    try:
        yield session
    finally:
        session.close()


def prices(s: Session) -> list[tuple[str, Decimal]]:
    return s.query(Record.title, Record.price).order_by(Record.id).all()


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_update_through_a_join(s: Session) -> None:
    first = s.get_one(Record, 3)
    n = (
        s.query(Record)
        .join(Band)
        .where(Band.name == HOSTILE)
        .update({Record.price: Record.price + 1})
    )
    assert n == 1
    assert first.price == Decimal("8.25")  # expired and reloaded
    assert prices(s) == [
        ("One", Decimal("9.99")),
        ("Two", Decimal("5.00")),
        ("Three", Decimal("8.25")),
    ]
    s.commit()


def test_update_sets_values_from_the_joined_table(s: Session) -> None:
    n = s.query(Record).join(Band).where(Band.name == "Alpha").update({Record.title: Band.name})
    assert n == 2
    assert [t for t, _ in prices(s)] == ["Alpha", "Alpha", "Three"]


def test_update_where_a_condition_names_another_table(s: Session) -> None:
    n = (
        s.query(Record)
        .where(Record.band_id == Band.id, Band.name == "Alpha")
        .update(price=Decimal("1.00"))
    )
    assert n == 2
    assert [p for _, p in prices(s)] == [Decimal("1.00"), Decimal("1.00"), Decimal("7.25")]


def test_delete_through_a_join(s: Session) -> None:
    assert s.query(Record).join(Band).where(Band.name == "Alpha").delete() == 2
    assert prices(s) == [("Three", Decimal("7.25"))]
    assert s.query(Record).join(Band).where(Band.name == HOSTILE).delete() == 1
    assert s.query(Record).count() == 0
    assert s.query(Band).count() == 2  # only the target table's rows go


def test_update_and_delete_with_a_cte_in_their_condition(s: Session) -> None:
    cheap = select(Record.id).where(Record.price < 8).cte("cheap")
    n = s.query(Record).where(Record.id.in_(select(cheap.c.id))).update(title="cheap")
    assert n == 2
    assert [t for t, _ in prices(s)] == ["One", "cheap", "cheap"]
    assert s.query(Record).where(Record.id.in_(select(cheap.c.id))).delete() == 2


def test_insert_from_select(s: Session) -> None:
    rows = s.execute(
        insert(Archive).from_select(
            [Archive.title, "band_name"],
            select(Record.title, Band.name).select_from(Record).join(Band).where(Record.price > 6),
        )
    )
    assert rows.rowcount == 2
    assert s.query(Archive.title, Archive.band_name).order_by(Archive.title).all() == [
        ("One", "Alpha"),
        ("Three", HOSTILE),
    ]
    totals = (
        select(Band.name, func.count().label("n"))
        .select_from(Band)
        .join(Record)
        .group_by(Band.name)
        .cte("totals")
    )
    s.execute(
        insert(Archive).from_select(
            [Archive.band_name, Archive.title], select(totals.c.name, totals.c.name)
        )
    )
    assert s.query(Archive).count() == 4


def test_insert_from_select_refuses_mismatches(s: Session) -> None:
    from ormolu import ArgumentError

    with pytest.raises(ArgumentError, match="not a field of Archive"):
        insert(Archive).from_select([Record.title], select(Record.title))
    with pytest.raises(ArgumentError, match="1 column"):
        insert(Archive).from_select([Archive.title], select(Record.title, Record.price))
