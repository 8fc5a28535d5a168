"""Rows of unusual shapes, each once written wrongly or not at all: every value generated
by the database (DEFAULT VALUES), aware datetimes whose UTC time leaves datetime's range,
fields named like Python keywords."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ormolu import Database, Mapped, Model, ValidationError, field


class Stamp(Model, table="ur_stamp"):
    """Every column generated: the key and a server default."""

    id: Mapped[int] = field(primary_key=True, default=None)
    label: Mapped[str] = field(max_length=10, server_default="auto")


class Event(Model, table="ur_event"):
    id: Mapped[int] = field(primary_key=True, default=None)
    at: Mapped[datetime] = field(timezone=True)


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
