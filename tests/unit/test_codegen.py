"""The generated constructors and row loaders (ormolu/orm/codegen.py) against the generic
code they stand in for: same values, same errors, and no name a field may take breaks
them."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import pytest

from ormolu import Database, Mapped, Model, ValidationError, field
from ormolu.orm.model import _generic_init
from ormolu.schema.types import Integer, InvalidValue


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Wide(Model, table="cg_wide"):
    id: Mapped[int] = field(primary_key=True, default=None)
    small: Mapped[int] = field(db_type=Integer(2))
    name: Mapped[str] = field(max_length=5)
    note: Mapped[str | None] = None
    ratio: Mapped[float] = 1.0
    flag: Mapped[bool] = False
    at: Mapped[datetime | None] = None
    at_utc: Mapped[datetime | None] = field(default=None, timezone=True)
    price: Mapped[Decimal | None] = field(default=None, max_digits=6, decimal_places=2)
    mood: Mapped[Mood | None] = None
    tags: Mapped[list[Any]] = field(default_factory=list)
    score: Mapped[int] = field(default=0, ge=0, le=10)


class Builtins(Model, table="cg_builtins"):
    """Fields named like the builtins and names the generated code uses."""

    id: Mapped[int] = field(primary_key=True, default=None)
    type: Mapped[str] = field(max_length=10)
    int: Mapped[int | None] = None
    str: Mapped[str | None] = None
    len: Mapped[int | None] = None
    datetime: Mapped[datetime | None] = None
    self: Mapped[str | None] = None
    row: Mapped[str | None] = None
    obj: Mapped[str | None] = None


def generic(model: type[Model], **kw: Any) -> dict[str, Any]:
    """The values the generic constructor gives ``kw``."""
    obj = object.__new__(model)
    _generic_init(obj, dict(kw))
    return dict(obj.__dict__)


GOOD: list[dict[str, Any]] = [
    {"small": 1, "name": "ab"},
    {"small": -32768, "name": "abcde", "note": "x", "ratio": 2, "flag": True},
    {"small": 32767, "name": "", "at": datetime(2020, 1, 1), "price": 3},
    {"small": 0, "name": "e", "at_utc": datetime(2020, 1, 1, tzinfo=UTC), "price": 1.5},
    {"small": 2, "name": "q", "mood": Mood.SAD, "tags": [1]},
    {"id": 7, "small": 5, "name": "z", "score": 10, "ratio": 0.5},
]


@pytest.mark.parametrize("kw", GOOD)
def test_generated_constructor_gives_the_generic_values(kw: dict[str, Any]) -> None:
    obj = Wide(**kw)
    assert obj.__dict__ == generic(Wide, **kw)


def test_converted_values_match_the_generic_constructor() -> None:
    obj = Wide(small=1, name="a", ratio=3, price=2)
    assert type(obj.ratio) is float and obj.ratio == 3.0
    assert obj.price == Decimal("2") and isinstance(obj.price, Decimal)
    assert obj.tags == [] and obj.tags is not Wide(small=1, name="a").tags


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"small": 32768, "name": "a"}, "small", "16-bit range"),
    ({"small": True, "name": "a"}, "small", "expected int"),
    ({"small": "1", "name": "a"}, "small", "expected int"),
    ({"small": 1, "name": "abcdef"}, "name", "max_length=5"),
    ({"small": 1, "name": None}, "name", "not nullable"),
    ({"small": 1, "name": "a", "at": datetime(2020, 1, 1, tzinfo=UTC)}, "at", "naive"),
    ({"small": 1, "name": "a", "at_utc": datetime(2020, 1, 1)}, "at_utc", "aware"),
    ({"small": 1, "name": "a", "score": 11}, "score", "<= 10"),
    ({"small": 1, "name": "a", "flag": 1}, "flag", "expected bool"),
    ({"small": 1, "name": "a", "ratio": "1.0"}, "ratio", "expected float"),
]


@pytest.mark.parametrize(("kw", "key", "rule"), BAD)
def test_bad_values_raise_validation_error_naming_model_field_and_value(
    kw: dict[str, Any], key: str, rule: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Wide(**kw)
    err = caught.value
    assert (err.model, err.field) == ("Wide", key)
    assert err.value is kw[key] and rule in str(err)
    with pytest.raises(ValidationError) as generic_err:
        generic(Wide, **kw)
    assert str(generic_err.value) == str(err)


def test_an_aware_datetime_with_an_odd_tzinfo_is_still_checked() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

    # tzinfo is set but utcoffset() is None: naive by Python's rule, accepted by coerce.
    odd = datetime(2020, 1, 1, tzinfo=NoOffset())
    assert Wide(small=1, name="a", at=odd).at is odd


def test_missing_required_field_and_unknown_keyword() -> None:
    with pytest.raises(ValidationError, match=r"small.*required"):
        Wide(name="a")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'nope' \(fields: id, "):
        Wide(small=1, name="a", nope=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Wide(1, "a")  # type: ignore[misc]


def test_fields_named_like_builtins_and_locals() -> None:
    b = Builtins(type="t", int=3, str="s", len=4, datetime=datetime(2021, 2, 3), self="me")
    assert (b.type, b.int, b.str, b.len, b.self) == ("t", 3, "s", 4, "me")
    assert b.datetime == datetime(2021, 2, 3)
    with pytest.raises(ValidationError, match="max_length=10"):
        Builtins(type="x" * 11)
    with pytest.raises(ValidationError, match="expected int"):
        Builtins(type="t", int="3")  # type: ignore[arg-type]


def test_a_type_overriding_coerce_is_not_given_the_inline_test() -> None:
    class Even(Integer):
        def coerce(self, value: Any) -> Any:
            value = super().coerce(value)
            if value % 2:
                raise InvalidValue("expected an even number")
            return value

    class Pair(Model, table="cg_pair"):
        id: Mapped[int] = field(primary_key=True, default=None)
        n: Mapped[int] = field(db_type=Even())

    assert Pair(n=4).n == 4
    with pytest.raises(ValidationError, match="even"):
        Pair(n=3)


def test_a_model_with_its_own_init_keeps_it() -> None:
    class Custom(Model, table="cg_custom"):
        id: Mapped[int] = field(primary_key=True, default=None)
        name: Mapped[str]

        def __init__(self, name: str) -> None:
            super().__init__(name=name.upper())

    class Derived(Custom, table="cg_derived"):
        pass

    assert Custom("ab").name == "AB"
    assert Derived("cd").name == "CD"  # inherited, not replaced by a generated one
    assert not getattr(Custom.__init__, "__ormolu_generated__", False)


def test_generated_constructor_is_introspectable() -> None:
    import inspect

    params = inspect.signature(Wide).parameters
    assert list(params) == list(Wide.__mapper__.column_keys)
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values())
    assert Wide.__init__.__qualname__ == "Wide.__init__"


def test_generated_loader_with_fields_named_like_its_locals() -> None:
    db = Database()
    db.create_all([Builtins])
    with db.session() as s:
        s.add(Builtins(type="t", int=1, str="s", len=2, self="me", row="r", obj="o"))
    with db.session() as s:
        (b,) = s.query(Builtins).all()
        assert (b.id, b.type, b.int, b.str, b.len, b.self, b.row, b.obj, b.datetime) == (
            1, "t", 1, "s", 2, "me", "r", "o", None,
        )  # fmt: skip
        assert s.query(Builtins).all() == [b]  # the identity map answers the second load
    db.dispose()


@pytest.mark.parametrize("kw", GOOD)
def test_row_values_match_validated_values(kw: dict[str, Any]) -> None:
    mapper = Wide.__mapper__
    assert mapper.row_values(kw) == mapper.validated_values(dict(kw))


@pytest.mark.parametrize(("kw", "key", "rule"), BAD)
def test_row_values_raise_as_validated_values(kw: dict[str, Any], key: str, rule: str) -> None:
    mapper = Wide.__mapper__
    with pytest.raises(ValidationError) as fast:
        mapper.row_values(kw)
    with pytest.raises(ValidationError) as slow:
        mapper.validated_values(dict(kw))
    assert str(fast.value) == str(slow.value) and fast.value.field == key


def test_row_values_refuse_unknown_fields() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        Wide.__mapper__.row_values({"small": 1, "name": "a", "nope": 1})


def test_row_values_take_any_mapping() -> None:
    from types import MappingProxyType

    row = MappingProxyType({"small": 3, "name": "m"})
    assert Wide.__mapper__.row_values(row) == Wide.__mapper__.validated_values(dict(row))
