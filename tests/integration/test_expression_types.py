"""Computed values, stored representations and date arithmetic, identical on every
backend (issue 10, items 8-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ormolu import (
    Database,
    DataError,
    Mapped,
    Model,
    date_trunc,
    days_between,
    field,
    func,
)


class Line(Model, table="et_line"):
    id: Mapped[int] = field(primary_key=True, default=None)
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2)
    quantity: Mapped[int]
    discount: Mapped[float]


class Event(Model, table="et_event"):
    id: Mapped[int] = field(primary_key=True, default=None)
    at: Mapped[datetime]


class Trip(Model, table="et_trip"):
    id: Mapped[int] = field(primary_key=True, default=None)
    start_day: Mapped[date]
    end_day: Mapped[date | None] = field(default=None)
    departs: Mapped[datetime]
    arrives: Mapped[datetime]
    took: Mapped[timedelta]
    logged: Mapped[datetime | None] = field(timezone=True, default=None)


# -- item 8: arithmetic follows SQL's types, not the left operand's column ---------------------
@pytest.fixture
def lines(db: Database) -> Database:
    db.create_all([Line])
    with db.session() as s:
        s.insert_many(
            Line,
            [
                {"unit_price": Decimal("17.50"), "quantity": 11, "discount": 0.15},
                {"unit_price": Decimal("29.19"), "quantity": 10, "discount": 0.15},
            ],
        )
    return db


def test_money_times_a_float_discount_is_a_float_not_rounded_to_cents(lines: Database) -> None:
    """It was read as the price column's Decimal(2 places): 163.62, and 248.12 on SQLite
    but 248.11 on the servers."""
    net = Line.unit_price * Line.quantity * (1 - Line.discount)
    with lines.session() as s:
        values = s.query(net).order_by(Line.id).all()
        total = s.query(func.sum(net)).scalar()
    assert values == [163.625, 248.115]
    assert all(type(v) is float for v in values)
    assert total == 411.74


def test_decimal_arithmetic_is_exact_with_the_scale_sql_gives_it(lines: Database) -> None:
    with lines.session() as s:
        gross = s.query(Line.unit_price * Line.quantity).order_by(Line.id).all()
        assert gross == [Decimal("192.50"), Decimal("291.90")]
        assert all(type(v) is Decimal for v in gross)
        assert s.query(func.sum(Line.unit_price * Line.quantity)).scalar() == Decimal("484.40")
        squared = s.query(Line.unit_price * Line.unit_price).order_by(Line.id).all()
        assert squared == [Decimal("306.2500"), Decimal("852.0561")]
        assert s.query(Line.unit_price + Decimal("0.005")).order_by(Line.id).first() == Decimal(
            "17.505"
        )


def test_division_is_true_division_in_double_precision_everywhere(lines: Database) -> None:
    with lines.session() as s:
        assert s.query(Line.quantity / 4).order_by(Line.id).all() == [2.75, 2.5]
        assert s.query(Line.quantity / Line.quantity).first() == 1.0
        assert s.query(Line.unit_price / 4).order_by(Line.id).all() == [4.375, 7.2975]
        assert s.query(-Line.quantity).order_by(Line.id).all() == [-11, -10]
        assert s.query(Line.quantity % 4).order_by(Line.id).all() == [3, 2]


# -- item 9: stored representations -----------------------------------------------------------
def test_range_filters_include_midnight(db: Database) -> None:
    db.create_all([Event])
    with db.session() as s:
        s.insert_many(
            Event,
            [
                {"at": datetime(2018, 3, 1, 23, 59, 59, 999999)},
                {"at": datetime(2018, 3, 2)},
                {"at": datetime(2018, 3, 2, 12, 0, 0, 1)},
                {"at": datetime(2018, 3, 3)},
            ],
        )
    with db.session() as s:
        day = s.query(Event.id).where(
            Event.at >= datetime(2018, 3, 2), Event.at < datetime(2018, 3, 3)
        )
        assert sorted(day.all()) == [2, 3]
        assert s.query(Event.id).where(Event.at == datetime(2018, 3, 2)).all() == [2]
        assert (
            s.query(Event.id)
            .where(Event.at.between(datetime(2018, 3, 2), datetime(2018, 3, 3)))
            .count()
            == 3
        )


class Legacy(Model, table="et_legacy"):
    id: Mapped[int] = field(primary_key=True, default=None)
    flag: Mapped[bool]
    at: Mapped[datetime]
    day: Mapped[date | None] = field(default=None)
    stamp: Mapped[datetime | None] = field(storage="unixepoch", default=None)


LEGACY_ROWS = [
    # id, flag, at (as another tool wrote it), day, stamp
    (1, "0", "2018-03-02", "2018-03-02 00:00:00", 1519948800),
    (2, "1", "2018-03-02 10:00:00", "2018-03-02", 1519984800),
    (3, "1", "2018-03-02T11:30:00", "2018-03-03", None),
    (4, "0", "2018-03-01 23:59:59", "2018-03-01", 1519948799),
]


@pytest.fixture
def legacy(db: Database) -> Database:
    """A table another program created and filled: booleans as text, dates in several
    ISO forms, Unix timestamps."""
    with db.session() as s:
        s.execute(
            "CREATE TABLE et_legacy (id INTEGER PRIMARY KEY, flag TEXT, at TEXT, day TEXT, "
            "stamp INTEGER)"
        )
        for row in LEGACY_ROWS:
            s.execute(
                "INSERT INTO et_legacy VALUES (:i, :f, :a, :d, :s)",
                dict(zip("ifads", row, strict=True)),
            )
    return db


@pytest.mark.requires("!native_datetime")
def test_existing_text_forms_are_read_as_stored(legacy: Database) -> None:
    with legacy.session() as s:
        rows = {r.id: r for r in s.query(Legacy).all()}
    assert [rows[i].flag for i in (1, 2, 3, 4)] == [False, True, True, False]
    assert rows[1].at == datetime(2018, 3, 2)
    assert rows[3].at == datetime(2018, 3, 2, 11, 30)
    assert rows[1].day == date(2018, 3, 2)
    assert rows[1].stamp == datetime(2018, 3, 2)
    assert rows[4].stamp == datetime(2018, 3, 1, 23, 59, 59)


@pytest.mark.requires("!native_datetime")
def test_existing_text_forms_are_compared_as_what_they_mean(legacy: Database) -> None:
    """A date-only '2018-03-02' sorted before '2018-03-02 00:00:00' and dropped out."""
    with legacy.session() as s:
        q = s.query(Legacy.id)
        march2 = q.where(Legacy.at >= datetime(2018, 3, 2), Legacy.at < datetime(2018, 3, 3))
        assert sorted(march2.all()) == [1, 2, 3]
        assert q.where(Legacy.at == datetime(2018, 3, 2)).all() == [1]
        assert sorted(q.where(Legacy.day == date(2018, 3, 2)).all()) == [1, 2]
        assert sorted(q.where(Legacy.flag == True).all()) == [2, 3]  # noqa: E712
        assert sorted(q.where(Legacy.flag.is_(False)).all()) == [1, 4]
        assert sorted(q.where(Legacy.stamp >= datetime(2018, 3, 2)).all()) == [1, 2]


@pytest.mark.requires("!native_datetime")
def test_unreadable_stored_forms_are_refused(legacy: Database) -> None:
    with legacy.session() as s:
        s.execute("UPDATE et_legacy SET at = 1519948800 WHERE id = 4")
        with pytest.raises(DataError, match=r"storage='unixepoch'"):
            s.query(Legacy.at).where(Legacy.id == 4).one()
        s.execute("UPDATE et_legacy SET flag = 'yes' WHERE id = 3")
        with pytest.raises(DataError, match=r"bool column holds 'yes'"):
            s.query(Legacy.flag).where(Legacy.id == 3).one()
        s.execute("UPDATE et_legacy SET day = '2018-03-02 10:00:00' WHERE id = 2")
        with pytest.raises(DataError, match="would lose its time"):
            s.query(Legacy.day).where(Legacy.id == 2).one()


# -- item 10: portable date arithmetic --------------------------------------------------------
@pytest.fixture
def trips(db: Database) -> Database:
    db.create_all([Trip])
    with db.session() as s:
        s.add_all(
            [
                Trip(
                    start_day=date(2018, 3, 1),
                    end_day=date(2018, 3, 11),
                    departs=datetime(2018, 3, 1, 22, 30, 0, 250000),
                    arrives=datetime(2018, 3, 2, 1, 15, 30, 100),
                    took=timedelta(hours=2),
                    logged=datetime(2018, 3, 1, 23, 0, tzinfo=UTC),
                ),
                Trip(
                    start_day=date(2020, 2, 28),
                    departs=datetime(2020, 2, 28, 8, 0),
                    arrives=datetime(2020, 2, 28, 9, 0),
                    took=timedelta(minutes=90),
                ),
            ]
        )
    return db


def test_differences(trips: Database) -> None:
    with trips.session() as s:
        q = s.query
        assert q(Trip.end_day - Trip.start_day).order_by(Trip.id).all() == [10, None]
        assert q(Trip.arrives - Trip.departs).order_by(Trip.id).all() == [
            timedelta(hours=2, minutes=45, seconds=29, microseconds=750100),
            timedelta(hours=1),
        ]
        assert q(days_between(Trip.departs, Trip.arrives)).order_by(Trip.id).all() == [1, 0]
        assert q(days_between(Trip.start_day, date(2018, 3, 11))).order_by(Trip.id).all() == [
            10,
            -719,
        ]
        assert q(Trip.id).where(Trip.end_day - Trip.start_day > 7).all() == [1]
        assert q(Trip.id).where(Trip.arrives - Trip.departs > timedelta(hours=2)).all() == [1]


def test_adding_intervals(trips: Database) -> None:
    with trips.session() as s:
        q = s.query
        later = q(Trip.departs + timedelta(days=1, microseconds=5)).order_by(Trip.id).first()
        assert later == datetime(2018, 3, 2, 22, 30, 0, 250005)
        assert q(Trip.departs - timedelta(hours=23)).order_by(Trip.id).first() == datetime(
            2018, 2, 28, 23, 30, 0, 250000
        )
        assert q(Trip.departs + Trip.took).order_by(Trip.id).all() == [
            datetime(2018, 3, 2, 0, 30, 0, 250000),
            datetime(2020, 2, 28, 9, 30),
        ]
        assert q(Trip.start_day + timedelta(days=1)).order_by(Trip.id).all() == [
            date(2018, 3, 2),
            date(2020, 2, 29),
        ]
        assert q(Trip.start_day - timedelta(days=1)).order_by(Trip.id).first() == date(2018, 2, 28)
        assert q(Trip.id).where(Trip.departs + timedelta(hours=2) > Trip.arrives).all() == [2]
        assert q(Trip.logged + timedelta(hours=1)).order_by(Trip.id).first() == datetime(
            2018, 3, 2, 0, 0, tzinfo=UTC
        )


def test_truncation(trips: Database) -> None:
    with trips.session() as s:
        q = s.query
        first = Trip.id == 1
        assert q(date_trunc("month", Trip.departs)).where(first).one() == datetime(2018, 3, 1)
        assert q(date_trunc("year", Trip.start_day)).where(first).one() == date(2018, 1, 1)
        assert q(date_trunc("day", Trip.arrives)).where(first).one() == datetime(2018, 3, 2)
        assert q(date_trunc("hour", Trip.departs)).where(first).one() == datetime(2018, 3, 1, 22)
        assert q(date_trunc("minute", Trip.arrives)).where(first).one() == datetime(
            2018, 3, 2, 1, 15
        )
        assert q(date_trunc("month", Trip.start_day)).where(first).one() == date(2018, 3, 1)
        assert q(date_trunc("day", Trip.logged)).where(first).one() == datetime(
            2018, 3, 1, tzinfo=UTC
        )
        month = date_trunc("month", Trip.start_day)
        assert q(month, func.count()).group_by(month).order_by(month).all() == [
            (date(2018, 3, 1), 1),
            (date(2020, 2, 1), 1),
        ]
