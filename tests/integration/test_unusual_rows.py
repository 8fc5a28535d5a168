"""Rows of unusual shapes, each once written wrongly or not at all: every value generated
by the database (DEFAULT VALUES), aware datetimes whose UTC time leaves datetime's range,
fields named like Python keywords."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from ormolu import Database, DataError, Mapped, Model, ValidationError, field


class Stamp(Model, table="ur_stamp"):
    """Every column generated: the key and a server default."""

    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=10, server_default="auto")


class Event(Model, table="ur_event"):
    id: Mapped[int] = field(primary_key=True, default=None)
    at: Mapped[datetime] = field(timezone=True)


class TextStamp(Model, table="ur_text_stamp"):
    """Date fields over text columns (the test creates the table): a schema the model
    does not describe, as an old database can be."""

    id: Mapped[int] = field(primary_key=True, default=None)
    at: Mapped[datetime | None] = field(default=None)
    day: Mapped[date | None] = field(default=None)


# A model built with type(), as reflection without column= could: fields named like
# keywords, which cannot be constructor parameters.
Odd: Any = type(
    "Odd",
    (Model,),
    {
        "__annotations__": {"id": Mapped[int], "class": Mapped[int], "from": Mapped[str]},
        "id": field(primary_key=True, default=None),
        "__module__": __name__,
    },
    table="ur_odd",
)


def test_insert_many_of_rows_with_only_generated_values(db: Database) -> None:
    db.create_all([Stamp])
    with db.session() as s:
        assert s.insert_many(Stamp, [{}, {}, {}]) == 3
        objs = [Stamp(), Stamp()]
        assert s.insert_many(Stamp, objs) == 2
        assert [o.id for o in objs] == [4, 5]  # each gets its own generated key
    with db.session() as s:
        assert s.query(Stamp.id, Stamp.label).order_by(Stamp.id).all() == [
            (i, "auto") for i in range(1, 6)
        ]


def test_a_flush_of_objects_with_only_generated_values(db: Database) -> None:
    db.create_all([Stamp])
    with db.session() as s:
        a, b, c = Stamp(), Stamp(), Stamp()
        s.add_all([a, b, c])
        s.flush()
        assert (a.id, b.id, c.id) == (1, 2, 3)
        assert b.label == "auto"  # read back (or loaded) from the database
    with db.session() as s:
        assert s.query(Stamp).count() == 3


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # UTC: year 0
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # UTC: year 10000
    ],
    ids=["before-year-1", "after-year-9999"],
)
def test_an_aware_datetime_outside_the_utc_range_is_refused(db: Database, value: datetime) -> None:
    db.create_all([Event])
    with pytest.raises(ValidationError) as info:
        Event(at=value)
    assert (info.value.model, info.value.field, info.value.value) == ("Event", "at", value)
    e = Event(at=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError):
        e.at = value  # assignment too: nothing is sent
    with db.session() as s:
        with pytest.raises(ValidationError):
            s.insert_many(Event, [{"at": value}])
        assert s.query(Event).count() == 0
    # the edge itself is fine and reads back
    edge = datetime(1, 1, 1, 5, tzinfo=timezone(timedelta(hours=5)))
    with db.session() as s:
        s.add(Event(at=edge))
    with db.session() as s:
        assert s.query(Event.at).one() == datetime(1, 1, 1, tzinfo=UTC)


def test_fields_named_like_python_keywords(db: Database) -> None:
    db.create_all([Odd])
    with db.session() as s:
        s.add(Odd(**{"class": 3, "from": "x"}))
        s.insert_many(Odd, [{"class": 4, "from": "y"}])
    with db.session() as s:
        rows = s.query(Odd).order_by(Odd.id).all()
        assert [(getattr(o, "class"), getattr(o, "from")) for o in rows] == [(3, "x"), (4, "y")]
    with pytest.raises(ValidationError) as info:
        Odd(**{"class": "three", "from": "x"})
    assert info.value.field == "class"
    with pytest.raises(TypeError):
        Odd(**{"class": 1, "from": "x", "nonsense": 2})
    assert "id" in inspect.signature(Odd).parameters


def test_date_fields_over_text_columns_read_as_dates_or_fail_clearly(db: Database) -> None:
    # Where the driver returns datetimes itself, a column of them is used as it is (the
    # processor returns them unchanged: orm.loading.rows_converter skips it after a type
    # scan). Text in such a column must still be converted, on every reading path, and
    # text that is no date must be refused, never handed out as a str.
    with db.session() as s:
        s.execute_sql(
            "CREATE TABLE ur_text_stamp (id INTEGER PRIMARY KEY, at VARCHAR(40), day VARCHAR(20))"
        )
        s.execute_sql(
            "INSERT INTO ur_text_stamp (id, at, day) VALUES "
            "(1, '2024-03-01 10:30:00', '2024-03-01'), (2, NULL, NULL)"
        )
    want_at, want_day = datetime(2024, 3, 1, 10, 30), date(2024, 3, 1)
    with db.session() as s:
        q = s.query(TextStamp).order_by(TextStamp.id)
        objs = q.all()
        assert [(type(o.at), o.at, o.day) for o in objs] == [
            (datetime, want_at, want_day),
            (type(None), None, None),
        ]
    with db.session() as s:
        q = s.query(TextStamp).order_by(TextStamp.id)
        first = q.first()
        assert first is not None and (first.at, first.day) == (want_at, want_day)
        assert type(first.at) is datetime
        assert q.tuples().all() == [(1, want_at, want_day), (2, None, None)]
        assert q.dicts().all()[0] == {"id": 1, "at": want_at, "day": want_day}
        values = s.query(TextStamp.at, TextStamp.day).order_by(TextStamp.id).all()
        assert values == [(want_at, want_day), (None, None)]
        assert type(values[0][0]) is datetime and type(values[0][1]) is date
    with db.session() as s:
        s.execute_sql("INSERT INTO ur_text_stamp (id, at, day) VALUES (3, 'soon', 'later')")
    for read in (
        lambda s: s.query(TextStamp).all(),
        lambda s: s.query(TextStamp).where(TextStamp.id == 3).first(),
        lambda s: s.query(TextStamp).tuples().all(),
        lambda s: s.query(TextStamp.at).all(),
    ):
        with db.session() as s, pytest.raises(DataError, match=r"soon|later"):
            read(s)
