"""Row loading on hand-made driver rows, no database: conversions and the identity map."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from ormolu import Mapped, Model, field, func, status_of
from ormolu.dialects.sqlite import SQLiteDialect
from ormolu.orm.identity import IdentityMap
from ormolu.orm.loading import build_loader_factory
from ormolu.orm.state import STATE_KEY


class Shade(enum.Enum):
    DARK = "dark"
    LIGHT = "light"


class Rank(enum.IntEnum):
    ONE = 1
    TWO = 2


class Item(Model, table="h_item"):
    id: Mapped[int] = field(primary_key=True, default=None)
    price: Mapped[Decimal] = field(max_digits=10, decimal_places=2)
    ratio: Mapped[Decimal | None] = None
    active: Mapped[bool] = True
    seen: Mapped[datetime | None] = None
    seen_utc: Mapped[datetime | None] = field(default=None, timezone=True)


class Odd(Model, table="h_odd"):
    id: Mapped[int] = field(primary_key=True, default=None)
    day: Mapped[date | None] = None
    at: Mapped[time | None] = None
    span: Mapped[timedelta | None] = None
    uid: Mapped[uuid.UUID | None] = None
    shade: Mapped[Shade | None] = None
    rank: Mapped[Rank | None] = None
    doc: Mapped[dict[str, Any] | None] = None
    tags: Mapped[list[Any] | None] = None
    blob: Mapped[bytes | None] = None
    score: Mapped[float | None] = None


class Pair(Model, table="h_pair"):
    a: Mapped[int] = field(primary_key=True)
    b: Mapped[str] = field(primary_key=True)
    v: Mapped[int] = 0


D = SQLiteDialect()


def fake_session() -> Any:
    return SimpleNamespace(identity_map=IdentityMap(), load_group=None)


def loader(*entities: Any, mode: str = "objects", session: Any = None) -> Any:
    ents = tuple(e.__ormolu_entity__() if isinstance(e, type) else e for e in entities)
    return build_loader_factory(ents, D, mode)(session or fake_session())


def test_decimal_from_float_is_correctly_rounded() -> None:
    load = loader(Item)
    obj = load((1, 0.99, 0.99, 1, None, None))
    assert obj.price == Decimal("0.99")
    assert str(obj.price) == "0.99"
    assert obj.ratio == Decimal("0.99")  # no scale: the shortest repr, not 0.98999...
    assert load((2, 0.1 + 0.2, None, 1, None, None)).price == Decimal("0.30")
    assert load((3, 5, "12345678901234567.123", 0, None, None)).ratio == Decimal(
        "12345678901234567.123"
    )


def test_bool_ints_become_bools() -> None:
    load = loader(Item)
    yes = load((1, 1.0, None, 1, None, None))
    no = load((2, 1.0, None, 0, None, None))
    assert yes.active is True
    assert no.active is False


def test_datetime_text_becomes_datetime() -> None:
    load = loader(Item)
    obj = load((1, 1.0, None, 1, "2024-03-04 05:06:07.000089", "2024-03-04 05:06:07+00:00"))
    assert obj.seen == datetime(2024, 3, 4, 5, 6, 7, 89)
    assert obj.seen.tzinfo is None
    assert obj.seen_utc == datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert obj.seen_utc.utcoffset() == timedelta(0)
    # an offset other than UTC, or none, is read as (converted to) UTC
    other = load((2, 1.0, None, 1, "2024-03-04", "2024-03-04 07:06:07+02:00"))
    assert other.seen == datetime(2024, 3, 4)
    assert other.seen_utc == datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert other.seen_utc.tzinfo is UTC
    naive = load((3, 1.0, None, 1, None, "2024-03-04 05:06:07"))
    assert naive.seen_utc == datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_other_types_are_converted() -> None:
    u = uuid.uuid4()
    obj = loader(Odd)(
        (
            1,
            "2024-02-29",
            "23:59:59.000001",
            90_000_000_001,
            str(u),
            "light",
            2,
            '{"k": [1, 2.5, "x"]}',
            '["a", null]',
            b"\x00\x01",
            3,
        )
    )
    assert obj.day == date(2024, 2, 29)
    assert obj.at == time(23, 59, 59, 1)
    assert obj.span == timedelta(seconds=90_000, microseconds=1)
    assert obj.uid == u
    assert obj.shade is Shade.LIGHT
    assert obj.rank is Rank.TWO
    assert obj.doc == {"k": [1, 2.5, "x"]}
    assert obj.tags == ["a", None]
    assert obj.blob == b"\x00\x01"
    assert obj.score == 3.0 and type(obj.score) is float


def test_nulls_stay_none() -> None:
    obj = loader(Odd)((1, *([None] * 10)))
    assert all(getattr(obj, k) is None for k in Odd.__mapper__.column_keys if k != "id")


def test_loaded_objects_are_persistent_in_the_identity_map() -> None:
    session = fake_session()
    load = loader(Item, session=session)
    a = load((1, 1.0, None, 1, None, None))
    assert status_of(a) == "persistent"
    assert a.__dict__[STATE_KEY].session is session
    assert session.identity_map[(Item.__mapper__, 1)] is a
    assert type(a) is Item
    assert "id=1" in repr(a)


def test_identity_map_reuses_the_object_and_keeps_its_values() -> None:
    session = fake_session()
    load = loader(Item, session=session)
    a = load((1, 1.0, None, 1, None, None))
    a.__dict__["price"] = Decimal("9.00")  # e.g. an unflushed change
    b = load((1, 2.0, None, 0, None, None))
    assert b is a
    assert b.price == Decimal("9.00")
    assert b.active is True
    other = load((2, 2.0, None, 0, None, None))
    assert other is not a
    # a second loader bound to the same session shares the map
    assert loader(Item, session=session)((1, 5.0, None, 1, None, None)) is a


def test_expired_attributes_are_filled_from_the_row() -> None:
    session = fake_session()
    load = loader(Item, session=session)
    a = load((1, 1.0, None, 1, None, None))
    del a.__dict__["price"]
    del a.__dict__["active"]
    assert load((1, 4.5, None, 0, None, None)) is a
    assert a.price == Decimal("4.50")
    assert a.active is False


def test_composite_primary_key_identity() -> None:
    session = fake_session()
    load = loader(Pair, session=session)
    x = load((1, "a", 10))
    assert load((1, "a", 99)) is x
    assert load((1, "b", 10)) is not x
    assert session.identity_map[(Pair.__mapper__, (1, "a"))] is x


def test_several_entities_and_values_give_tuples() -> None:
    load = loader(Item, Pair, Item.price, func.count())
    item, pair, price, n = load((1, 0.5, None, 1, None, None, 7, "k", 3, 0.25, 4))
    assert isinstance(item, Item) and item.price == Decimal("0.50")
    assert isinstance(pair, Pair) and (pair.a, pair.b, pair.v) == (7, "k", 3)
    assert price == Decimal("0.25")
    assert n == 4


def test_outer_joined_entity_without_row_is_none() -> None:
    load = loader(Item, Pair)
    item, pair = load((1, 0.5, None, 1, None, None, None, None, None))
    assert isinstance(item, Item)
    assert pair is None
    assert loader(Item)((None, None, None, None, None, None)) is None


def test_single_value_is_unwrapped_and_converted() -> None:
    assert loader(Item.price)((0.99,)) == Decimal("0.99")
    assert loader(Item.active)((0,)) is False
    assert loader(Item.id)((5,)) == 5


@pytest.mark.parametrize("mode", ["tuples", "dicts"])
def test_tuple_modes_convert_without_building_objects(mode: str) -> None:
    session = fake_session()
    row = loader(Item, Item.price, mode=mode, session=session)(
        (1, 0.99, None, 1, "2024-01-01 00:00:00", None, 1.5)
    )
    assert row == (1, Decimal("0.99"), None, True, datetime(2024, 1, 1), None, Decimal("1.50"))
    assert len(session.identity_map) == 0
    assert loader(Pair.a, Pair.v, mode="tuples")((1, 2)) == (1, 2)
