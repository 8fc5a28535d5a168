"""Typing expectations for models and queries, checked by ``mypy --strict``.

This module is only type-checked (it is listed in ``[tool.mypy] files``). Importing it
defines models and functions and runs nothing; ``run()`` calls every check against an
in-memory database, so the pinned types are also what the code returns at run time
(``typing.assert_type`` is a no-op when executed).

The things mypy must *reject* are tested by ``tests/test_typing_rejects.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, assert_type

from ormolu import (
    CTE,
    Database,
    Mapped,
    Model,
    Query,
    Session,
    Subquery,
    aliased,
    date_trunc,
    days_between,
    field,
    func,
    select,
    text,
    true,
)
from ormolu.sql.elements import ColumnRef, Expr
from ormolu.sql.functions import Function


class Album(Model, table="typing_album"):
    id: Mapped[int] = field(primary_key=True, default=None)
    title: Mapped[str] = field(max_length=160)


class Track(Model, table="typing_track"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=200)
    album_id: Mapped[int | None] = field(foreign_key="Album.id", default=None)
    composer: Mapped[str | None] = field(max_length=220, default=None)
    milliseconds: Mapped[int]
    unit_price: Mapped[Decimal] = field(max_digits=10, decimal_places=2, default=Decimal("0.99"))


class Employee(Model, table="typing_employee"):
    id: Mapped[int] = field(primary_key=True, default=None)
    last_name: Mapped[str] = field(max_length=20)
    reports_to: Mapped[int | None] = field(foreign_key="Employee.id", default=None)


class Trip(Model, table="typing_trip"):
    id: Mapped[int] = field(primary_key=True, default=None)
    start: Mapped[date]
    end: Mapped[date | None] = field(default=None)
    departs: Mapped[datetime]
    took: Mapped[timedelta]
    live: Mapped[bool | None] = field(default=None)


def check_expression_types() -> None:
    # arithmetic is typed by SQL's rules, not by the left operand
    assert_type(Track.milliseconds * 2, Expr[int])
    assert_type(Track.milliseconds + Track.milliseconds, Expr[int])
    assert_type(Track.milliseconds / 1000, Expr[float])
    assert_type(Track.unit_price * 2, Expr[Decimal])
    assert_type(Track.unit_price * Track.milliseconds, Expr[Decimal])
    assert_type(Track.unit_price * 0.5, Expr[float])
    assert_type(1 - Track.unit_price, Expr[Decimal])
    assert_type(Track.album_id + 1, Expr[int | None])
    assert_type(Track.name + " (live)", Expr[str])
    # dates: differences, intervals, truncation
    assert_type(Trip.departs - Trip.departs, Expr[timedelta])
    assert_type(Trip.departs + timedelta(hours=1), Expr[datetime])
    assert_type(Trip.departs + Trip.took, Expr[datetime])
    assert_type(Trip.start - Trip.start, Expr[int])
    assert_type(Trip.start + timedelta(days=1), Expr[date])
    assert_type(days_between(Trip.start, Trip.departs), Expr[int])
    assert_type(date_trunc("month", Trip.departs), Expr[datetime])
    assert_type(date_trunc("year", Trip.start), Expr[date])


def check_conditions(s: Session) -> None:
    # where() takes conditions: comparisons, boolean columns (nullable too), text(), true()
    q = s.query(Trip)
    assert_type(q.where(Trip.live), Query[Trip])
    assert_type(q.where(Trip.start < date(2020, 1, 1), text("1 = 1"), true()), Query[Trip])
    assert_type(q.where(Trip.live.is_(True)).having(func.count() > 1), Query[Trip])


class Doc(Model, table="typing_doc"):
    id: Mapped[int] = field(primary_key=True, default=None)
    data: Mapped[dict[str, Any]]


def check_subqueries_ctes_windows(s: Session) -> None:
    per_album = (
        s.query(Track.album_id, func.count().label("n")).group_by(Track.album_id).subquery("per")
    )
    assert_type(per_album, Subquery)
    assert_type(per_album.col(Track.album_id), ColumnRef[int | None])
    assert_type(per_album.c.n, ColumnRef[Any])
    names = select(Track.id, Track.name).cte("names")
    assert_type(names, CTE)
    assert_type(names.col(Track.name), ColumnRef[str])
    assert_type(s.query(names.col(Track.name)).all(), list[str])
    assert_type(s.query(func.count()).scalar(), int | None)
    assert_type(s.query(Track.name).scalar(), str | None)
    assert_type(s.query(Track).scalar(), Track | None)
    assert_type(func.rank().over(order_by=Track.milliseconds.desc()), Expr[int])
    assert_type(func.sum(Track.milliseconds).over(partition_by=Track.album_id), Expr[int])
    assert_type(func.lag(Track.name).over(order_by=Track.id), Expr[str])
    assert_type(Doc.data["a"][0]["b"].as_integer(), Expr[int | None])
    assert_type(Doc.data["a"].as_string(), Expr[str | None])
    assert_type(Doc.data.has_key("a"), Expr[bool])
    assert_type(s.query(Track).join(Album).where(Album.title == "x").update(name="y"), int)


def check_model_attributes() -> None:
    # At class level a field is a typed column expression ...
    assert_type(Track.name, ColumnRef[str])
    assert_type(Track.milliseconds, ColumnRef[int])
    assert_type(Track.composer, ColumnRef[str | None])
    assert_type(Track.unit_price, ColumnRef[Decimal])
    # ... comparisons build expressions, not booleans ...
    assert_type(Track.milliseconds > 300_000, Expr[bool])
    assert_type(Track.name.contains("Live"), Expr[bool])
    assert_type(Track.name == "x", Expr[bool])
    # ... and on an instance it is the plain value.
    track = Track(name="Hells Bells", milliseconds=312_000)
    assert_type(track.name, str)
    assert_type(track.milliseconds, int)
    assert_type(track.composer, str | None)
    assert_type(track.unit_price, Decimal)
    assert_type(track.id, int)


def check_constructor() -> None:
    # The constructor is keyword-only; fields with a default (including the
    # database-generated primary key, declared with default=None) may be omitted.
    Track(name="Back in Black", milliseconds=255_000)
    Track(
        id=7,
        name="Shoot to Thrill",
        album_id=1,
        composer=None,
        milliseconds=317_000,
        unit_price=Decimal("1.29"),
    )
    Album(title="Highway to Hell")
    track = Track(name="x", milliseconds=1)
    track.name = "renamed"
    track.composer = None


def check_functions() -> None:
    assert_type(func.count(), Function[int])
    assert_type(func.count(Track.id), Function[int])
    assert_type(func.sum(Track.unit_price), Function[Decimal])
    assert_type(func.sum(Track.milliseconds), Function[int])
    assert_type(func.max(Track.name), Function[str])
    assert_type(func.avg(Track.unit_price), Function[Decimal])
    assert_type(func.avg(Track.milliseconds), Function[float])
    assert_type(func.coalesce(Track.composer, "unknown"), Expr[str | None])
    assert_type(func.lower(Track.name), Function[Any])
    assert_type(Track.milliseconds + 1, Expr[int])
    title: Expr[str] = Track.name.label("title")  # a Label[str], usable as Expr[str]
    assert title is not None


def check_queries(s: Session) -> None:
    q = s.query(Track)
    assert_type(q, Query[Track])
    assert_type(q.all(), list[Track])
    assert_type(q.first(), Track | None)
    assert_type(q.one(), Track)
    assert_type(q.one_or_none(), Track | None)
    assert_type(q.where(Track.milliseconds > 1).order_by(Track.name).limit(3).all(), list[Track])
    assert_type(q.count(), int)
    assert_type(q.exists(), bool)
    for t in q:
        assert_type(t, Track)

    assert_type(s.query(Track.name, Track.milliseconds).all(), list[tuple[str, int]])
    assert_type(s.query(Track.name).all(), list[str])
    assert_type(s.query(Track.composer).all(), list[str | None])
    assert_type(s.query(Track.composer).first(), str | None)
    assert_type(s.query(Track, Album).join(Album).all(), list[tuple[Track, Album]])
    assert_type(
        s.query(Track.name, func.count(), func.sum(Track.unit_price)).first(),
        tuple[str, int, Decimal] | None,
    )
    assert_type(s.query(Track).dicts().all(), list[dict[str, Any]])
    assert_type(s.query(Track.name, Track.id).tuples().all(), list[tuple[Any, ...]])

    assert_type(s.get(Track, 1), Track | None)
    assert_type(s.get_one(Track, 1), Track)
    assert_type(s.raw(Track, "SELECT * FROM typing_track"), list[Track])


def check_aliased(s: Session) -> None:
    manager = aliased(Employee, "manager")
    assert_type(manager, type[Employee])
    assert_type(manager.last_name, ColumnRef[str])
    rows = (
        s.query(Employee.last_name, manager.last_name)
        .join(manager, Employee.reports_to == manager.id)
        .all()
    )
    assert_type(rows, list[tuple[str, str]])


def run() -> None:
    """Run every check against an in-memory database (the types are not the only truth)."""
    check_model_attributes()
    check_constructor()
    check_functions()
    check_expression_types()
    db = Database()
    db.create_all([Album, Track, Employee, Trip, Doc])
    with db.session() as s:
        album = Album(title="Back in Black")
        s.add(album)
        s.flush()
        s.add(Track(id=1, name="Hells Bells", album_id=album.id, milliseconds=312_000))
        boss = Employee(last_name="Adams")
        s.add(boss)
        s.flush()
        s.add(Employee(last_name="Edwards", reports_to=boss.id))
        s.flush()
        check_queries(s)
        check_aliased(s)
        check_conditions(s)
        check_subqueries_ctes_windows(s)


if __name__ == "__main__":
    run()
