"""Validation: every rule raises ValidationError (model, field, value, rule) on construction
and on assignment, before any SQL is sent."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ormolu import Database, Mapped, Model, ValidationError, field, status_of


def no_spaces(value: str) -> bool:
    return " " not in value


def must_be_even(value: int) -> None:
    if value % 2:
        raise ValueError("odd")


def strip(value: str) -> str:
    return value.strip()


class Account(Model, table="va_account"):
    id: Mapped[int] = field(primary_key=True, default=None)
    login: Mapped[str] = field(max_length=8, min_length=3, validators=[no_spaces])
    nickname: Mapped[str | None] = field(default=None, validators=[strip])
    balance: Mapped[Decimal] = field(max_digits=6, decimal_places=2, default=Decimal("0"))
    age: Mapped[int] = field(ge=0, le=150, default=0)
    score: Mapped[float] = field(gt=0, lt=1, default=0.5)
    role: Mapped[str] = field(choices=["admin", "user"], default="user")
    lucky: Mapped[int] = field(default=2, validators=[must_be_even])


def rules_of(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[str, str, Any]:
    e = exc.value
    return e.model, e.field, e.value


CASES: list[tuple[str, Any, str]] = [
    ("login", 123, "expected str"),
    ("login", None, "must not be None"),
    ("login", "abcdefghi", "max_length=8"),
    ("login", "ab", "min_length=3"),
    ("login", "a b c", "rejected by no_spaces"),
    ("balance", Decimal("1.234"), "decimal_places=2"),
    ("balance", Decimal("12345.6"), "max_digits=6"),
    ("balance", "1.00", "expected Decimal"),
    ("balance", Decimal("NaN"), "finite"),
    ("age", -1, ">= 0"),
    ("age", 151, "<= 150"),
    ("age", "3", "expected int"),
    ("score", 0, "> 0"),
    ("score", 1.0, "< 1"),
    ("role", "root", "one of ['admin', 'user']"),
    ("lucky", 3, "must_be_even: odd"),
]


@pytest.mark.parametrize(("key", "value", "rule"), CASES)
def test_rule_fails_on_construction(key: str, value: Any, rule: str) -> None:
    kwargs: dict[str, Any] = {"login": "alice", key: value}
    with pytest.raises(ValidationError) as info:
        Account(**kwargs)
    assert rules_of(info) == ("Account", key, value)
    assert rule in info.value.rule
    assert "Account." + key in str(info.value)
    assert isinstance(info.value, ValueError)  # plays well with generic handlers


@pytest.mark.parametrize(("key", "value", "rule"), CASES)
def test_rule_fails_on_assignment_and_keeps_the_old_value(key: str, value: Any, rule: str) -> None:
    acc = Account(login="alice")
    before = getattr(acc, key)
    with pytest.raises(ValidationError) as info:
        setattr(acc, key, value)
    assert rules_of(info) == ("Account", key, value)
    assert rule in info.value.rule
    assert getattr(acc, key) == before


def test_valid_values_pass_and_validators_may_replace_values() -> None:
    acc = Account(login="bob", nickname="  Bobby  ", balance=Decimal("9999.99"), age=150)
    assert acc.nickname == "Bobby"
    acc.nickname = " x "
    assert acc.nickname == "x"
    acc.balance = 12  # ints convert to Decimal
    assert acc.balance == Decimal("12") and type(acc.balance) is Decimal
    acc.balance = 0.1  # floats by their shortest repr
    assert acc.balance == Decimal("0.1")
    acc.score = 0.999
    acc.role = "admin"
    acc.lucky = 4
    acc.login = "abc"
    assert (acc.score, acc.role, acc.lucky, acc.login) == (0.999, "admin", 4, "abc")


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'logn'"):
        Account(logn="alice")  # type: ignore[call-arg]


def test_required_field_without_default() -> None:
    with pytest.raises(ValidationError) as info:
        Account()  # type: ignore[call-arg]
    assert info.value.field == "login"
    assert "required" in info.value.rule


def test_long_values_are_shortened_in_the_message() -> None:
    with pytest.raises(ValidationError) as info:
        Account(login="x" * 1000)
    assert len(str(info.value)) < 200
    assert info.value.value == "x" * 1000  # the attribute keeps the full value


def test_validation_sends_no_sql(db: Database) -> None:
    db.create_all([Account])
    with db.session() as s:
        acc = Account(login="carol")
        s.add(acc)
        s.commit()
        with db.capture() as sent:
            with pytest.raises(ValidationError):
                acc.age = -5
            with pytest.raises(ValidationError):
                acc.login = "far too long"
            with pytest.raises(ValidationError):
                s.add(Account(login="no"))
            s.flush()
            assert s.dirty == []
            assert s.new == []
        assert sent == []
        assert status_of(acc) == "persistent"
    with db.session() as s:
        row = s.get_one(Account, acc.id)
        assert (row.login, row.age) == ("carol", 0)


def test_bulk_update_values_are_validated_before_sql(db: Database) -> None:
    db.create_all([Account])
    with db.session() as s:
        s.add(Account(login="dave"))
    with db.session() as s:
        with db.capture() as sent, pytest.raises(ValidationError) as info:
            s.query(Account).update({Account.age: 999})
        assert info.value.field == "age"
        assert sent == []
        assert s.query(Account.age).scalar() == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Account(login="erin", age=None),
        lambda: Account(login="erin", score=None),
    ],
)
def test_none_is_refused_for_non_nullable_fields(make: Callable[[], Account]) -> None:
    with pytest.raises(ValidationError, match="not nullable"):
        make()


def test_get_validates_the_primary_key(db: Database) -> None:
    db.create_all([Account])
    with db.session() as s, pytest.raises(ValidationError):
        s.get(Account, "1")


CALLS: list[int] = []


def counted(value: int) -> bool:
    CALLS.append(value)
    return value >= 0


class Audited(Model, table="va_audited"):
    id: Mapped[int] = field(primary_key=True, default=None)
    level: Mapped[int] = field(validators=[counted], le=10)
    code: Mapped[str] = field(max_length=20, min_length=3)


def test_rows_loaded_from_the_database_are_not_validated_again(db: Database) -> None:
    """Loading pays for no validation: rows that break today's rules (written by raw SQL,
    or before a rule was tightened) load as they are, and no validator runs."""
    db.create_all([Audited])
    with db.session() as s:
        s.execute("INSERT INTO va_audited (id, level, code) VALUES (1, -5, 'x'), (2, 99, 'ok')")
    CALLS.clear()
    with db.session() as s:
        rows = s.query(Audited).order_by(Audited.id).all()
        assert [(r.level, r.code) for r in rows] == [(-5, "x"), (99, "ok")]
        assert s.get_one(Audited, 2).level == 99
        assert s.query(Audited.level).order_by(Audited.id).all() == [-5, 99]
        assert CALLS == []  # no validator ran while loading
        with pytest.raises(ValidationError, match=r"Audited\.level: .*<= 10"):
            rows[0].level = 11  # assignment by user code is validated as ever
        rows[0].level = 3
        assert CALLS == [3]
        s.refresh(rows[1])  # a reload is a load: not validated either
        assert CALLS == [3]
