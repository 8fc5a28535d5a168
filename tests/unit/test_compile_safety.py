"""Exact SQL of the constructs that used to be silently wrong (issue 10, items 1-10), per
dialect, with no database."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlcheck import assert_sql

from ormolu import (
    ArgumentError,
    ForeignKeyConstraint,
    Mapped,
    Model,
    ValidationError,
    date_trunc,
    days_between,
    exists,
    false,
    field,
    func,
    many_to_many,
    relationship,
    select,
    true,
)
from ormolu.dialects.mysql import MySQLDialect
from ormolu.dialects.postgresql import PostgreSQLDialect
from ormolu.dialects.sqlite import SQLiteDialect

PG = PostgreSQLDialect()
MY = MySQLDialect()


class Owner(Model, table="cs_owner"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    pets: Mapped[list[Pet]] = relationship(back_populates="owner")
    profile: Mapped[Profile | None] = relationship(back_populates="owner")


class Pet(Model, table="cs_pet"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40)
    owner_id: Mapped[int | None] = field(foreign_key="Owner.id", default=None)
    owner: Mapped[Owner | None] = relationship(back_populates="pets")
    tags: Mapped[list[Tag]] = many_to_many()


class Profile(Model, table="cs_profile"):
    id: Mapped[int] = field(primary_key=True, default=None)
    owner_id: Mapped[int] = field(foreign_key="Owner.id", unique=True, default=None)
    owner: Mapped[Owner] = relationship(back_populates="profile")


class Tag(Model, table="cs_tag"):
    id: Mapped[int] = field(primary_key=True, default=None)


class Shelf(Model, table="cs_shelf"):
    room: Mapped[str] = field(primary_key=True, max_length=10)
    number: Mapped[int] = field(primary_key=True, autoincrement=False)


class Book(Model, table="cs_book"):
    __table_args__ = (ForeignKeyConstraint(("room", "number"), "Shelf"),)
    id: Mapped[int] = field(primary_key=True, default=None)
    room: Mapped[str] = field(max_length=10)
    number: Mapped[int]
    shelf: Mapped[Shelf] = relationship()


class Ev(Model, table="cs_ev"):
    id: Mapped[int] = field(primary_key=True, default=None)
    at: Mapped[datetime]
    fixed: Mapped[datetime] = field(storage="canonical_text")
    day: Mapped[date]
    flag: Mapped[bool]
    took: Mapped[timedelta]
    price: Mapped[Decimal] = field(max_digits=10, decimal_places=2)
    rate: Mapped[float]


def persistent(obj: Model, **keys: object) -> Model:
    """``obj`` with its key set (as if loaded; no session needed for building)."""
    obj.__dict__.update(keys)
    return obj


ANN = persistent(Owner(name="Ann"), id=7)
PET_COLS = '"cs_pet"."id", "cs_pet"."name", "cs_pet"."owner_id"'


# -- item 1: relationship comparisons -------------------------------------------------------
def test_many_to_one_equality_compares_the_foreign_key() -> None:
    assert_sql(
        select(Pet).where(Pet.owner == ANN),
        f'SELECT {PET_COLS} FROM "cs_pet" WHERE "cs_pet"."owner_id" = ?',
        [7],
    )


def test_many_to_one_inequality_also_matches_null() -> None:
    assert_sql(
        select(Pet.id).where(Pet.owner != ANN),
        'SELECT "cs_pet"."id" FROM "cs_pet" WHERE "cs_pet"."owner_id" != ? '
        'OR "cs_pet"."owner_id" IS NULL',
        [7],
    )


def test_many_to_one_null_tests_and_in() -> None:
    base = 'SELECT "cs_pet"."id" FROM "cs_pet" WHERE '
    assert_sql(select(Pet.id).where(Pet.owner.is_(None)), base + '"cs_pet"."owner_id" IS NULL')
    assert_sql(select(Pet.id).where(Pet.owner == None), base + '"cs_pet"."owner_id" IS NULL')  # noqa: E711
    assert_sql(
        select(Pet.id).where(Pet.owner.is_not(None)), base + '"cs_pet"."owner_id" IS NOT NULL'
    )
    bob = persistent(Owner(name="Bob"), id=8)
    assert_sql(
        select(Pet.id).where(Pet.owner.in_([ANN, bob])),
        base + '"cs_pet"."owner_id" IN (?, ?)',
        [7, 8],
    )
    assert_sql(
        select(Pet.id).where(Pet.owner.not_in([ANN])),
        base + 'NOT "cs_pet"."owner_id" IN (?) OR "cs_pet"."owner_id" IS NULL',
        [7],
    )
    assert_sql(select(Pet.id).where(Pet.owner.in_([])), base + "1 = 0")


def test_composite_many_to_one() -> None:
    shelf = persistent(Shelf(room="A", number=1))
    assert_sql(
        select(Book.id).where(Book.shelf == shelf),
        'SELECT "cs_book"."id" FROM "cs_book" WHERE "cs_book"."room" = ? '
        'AND "cs_book"."number" = ?',
        ["A", 1],
    )
    assert_sql(
        select(Book.id).where(Book.shelf != shelf),
        'SELECT "cs_book"."id" FROM "cs_book" WHERE "cs_book"."room" != ? '
        'OR "cs_book"."number" != ?',
        ["A", 1],
    )


def test_reverse_one_to_one_and_collections_use_exists() -> None:
    profile = persistent(Profile(), id=3, owner_id=7)
    assert_sql(
        select(Owner.id).where(Owner.profile == profile),
        'SELECT "cs_owner"."id" FROM "cs_owner" WHERE EXISTS (SELECT ? FROM "cs_profile" '
        'WHERE "cs_owner"."id" = "cs_profile"."owner_id" AND "cs_profile"."id" = ?)',
        [1, 3],
    )
    pet = persistent(Pet(name="Rex"), id=4)
    assert_sql(
        select(Owner.id).where(~Owner.pets.contains(pet)),
        'SELECT "cs_owner"."id" FROM "cs_owner" WHERE NOT EXISTS (SELECT ? FROM "cs_pet" '
        'WHERE "cs_owner"."id" = "cs_pet"."owner_id" AND "cs_pet"."id" = ?)',
        [1, 4],
    )
    tag = persistent(Tag(), id=9)
    assert_sql(
        select(Pet.id).where(Pet.tags.contains(tag)),
        'SELECT "cs_pet"."id" FROM "cs_pet" WHERE EXISTS (SELECT ? FROM "cs_pet_tags" '
        'WHERE "cs_pet"."id" = "cs_pet_tags"."pet_id" AND "cs_pet_tags"."tag_id" = ?)',
        [1, 9],
    )


def test_transient_and_foreign_objects_are_refused() -> None:
    with pytest.raises(ArgumentError, match=r"has no 'id' \(transient"):
        Pet.owner == Owner(name="x")  # noqa: B015
    with pytest.raises(ArgumentError, match="expected a Owner object"):
        Pet.owner == Pet(name="x")  # noqa: B015


# -- item 2: non-expressions ------------------------------------------------------------------
@pytest.mark.parametrize("bad", [True, "1 = 1", 0, None, Pet.owner])
def test_where_refuses_non_conditions(bad: object) -> None:
    with pytest.raises(ArgumentError):
        select(Pet.id).where(bad)  # type: ignore[arg-type]


def test_true_and_false_per_dialect() -> None:
    assert_sql(select(Pet.id).where(true()), 'SELECT "cs_pet"."id" FROM "cs_pet" WHERE 1 = 1')
    assert_sql(
        select(Pet.id).where(false()),
        'SELECT "cs_pet"."id" FROM "cs_pet" WHERE FALSE',
        dialect=PG,
    )


def test_order_by_and_group_by_refuse_strings() -> None:
    with pytest.raises(ArgumentError, match="not a column"):
        select(Pet.id).order_by("name")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="not a column"):
        select(Pet.id).group_by("name")  # type: ignore[arg-type]


# -- item 4: IS TRUE ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        (SQLiteDialect(), '"cs_ev"."flag" IS TRUE AND "cs_ev"."flag" IS NOT FALSE'),
        (PG, '"cs_ev"."flag" IS TRUE AND "cs_ev"."flag" IS NOT FALSE'),
        (MY, "`cs_ev`.`flag` IS TRUE AND `cs_ev`.`flag` IS NOT FALSE"),
    ],
)
def test_is_true_is_a_boolean_test_not_a_parameter(dialect: object, sql: str) -> None:
    stmt = select(Ev.id).where(Ev.flag.is_(True), Ev.flag.is_not(False))
    compiled = assert_sql(stmt, _select_ev(dialect) + sql, [], dialect=dialect)  # type: ignore[arg-type]
    assert compiled.sql.count("?") + compiled.sql.count("%s") == 0


def test_is_true_without_the_keyword_is_null_safe() -> None:
    old = SQLiteDialect()
    old.supports_is_true = False
    assert_sql(
        select(Ev.id).where(Ev.flag.is_not(True)),
        'SELECT "cs_ev"."id" FROM "cs_ev" WHERE ("cs_ev"."flag" IS NULL OR "cs_ev"."flag" <> 1)',
        dialect=old,
    )


def _select_ev(dialect: object) -> str:
    q = getattr(dialect, "identifier_quote", '"')
    return f"SELECT {q}cs_ev{q}.{q}id{q} FROM {q}cs_ev{q} WHERE "


# -- item 5: correlation ------------------------------------------------------------------------
def test_a_joined_table_is_never_correlated() -> None:
    inner = select(func.count()).select_from(Owner).join(Pet).scalar_subquery()
    assert_sql(
        select(Owner.name, inner),
        'SELECT "cs_owner"."name", (SELECT count(*) FROM "cs_owner" JOIN "cs_pet" '
        'ON "cs_pet"."owner_id" = "cs_owner"."id") FROM "cs_owner"',
    )


def test_auto_correlation_and_its_exception() -> None:
    inner = select(Pet.id).where(Pet.owner_id == Owner.id)
    assert_sql(
        select(Owner.name).where(exists(inner)),
        'SELECT "cs_owner"."name" FROM "cs_owner" WHERE EXISTS (SELECT "cs_pet"."id" '
        'FROM "cs_pet" WHERE "cs_pet"."owner_id" = "cs_owner"."id")',
    )
    everything = select(func.max(Owner.id)).scalar_subquery()
    assert_sql(
        select(Owner.name).where(Owner.id == everything),
        'SELECT "cs_owner"."name" FROM "cs_owner" WHERE "cs_owner"."id" = '
        '(SELECT max("cs_owner"."id") FROM "cs_owner")',
    )


def test_explicit_correlation() -> None:
    inner = select(func.count()).select_from(Pet, Owner).where(Pet.owner_id == Owner.id)
    outer = 'SELECT "cs_owner"."name", (SELECT count(*) FROM '
    assert_sql(
        select(Owner.name, inner.correlate(Owner).scalar_subquery()),
        outer + '"cs_pet" WHERE "cs_pet"."owner_id" = "cs_owner"."id") FROM "cs_owner"',
    )
    assert_sql(
        select(Owner.name, inner.correlate(None).scalar_subquery()),
        outer + '"cs_pet", "cs_owner" WHERE "cs_pet"."owner_id" = "cs_owner"."id") FROM "cs_owner"',
    )
    assert_sql(
        select(Owner.name, inner.correlate_except(Owner).scalar_subquery()),
        outer + '"cs_pet", "cs_owner" WHERE "cs_pet"."owner_id" = "cs_owner"."id") FROM "cs_owner"',
    )
    joined = select(func.count()).select_from(Owner).join(Pet).correlate(Owner)
    with pytest.raises(ArgumentError, match="the subquery joins 'cs_owner'"):
        assert_sql(select(Owner.name, joined.scalar_subquery()), "")


def test_a_subquery_in_from_never_correlates() -> None:
    sq = select(Owner.id).where(Owner.name == "x").subquery("named")
    assert_sql(
        select(Owner.name).join(sq, sq.c.id == Owner.id),
        'SELECT "cs_owner"."name" FROM "cs_owner" JOIN (SELECT "cs_owner"."id" AS "id" '
        'FROM "cs_owner" WHERE "cs_owner"."name" = ?) AS "named" ON "named"."id" = '
        '"cs_owner"."id"',
        ["x"],
    )


# -- item 7: joins --------------------------------------------------------------------------------
def test_joins_attach_to_the_chain_their_on_clause_names() -> None:
    assert_sql(
        select(Pet.name, Tag.id, Owner.name).join(Owner, Pet.owner_id == Owner.id),
        'SELECT "cs_pet"."name", "cs_tag"."id", "cs_owner"."name" FROM "cs_pet" JOIN '
        '"cs_owner" ON "cs_pet"."owner_id" = "cs_owner"."id", "cs_tag"',
    )


def test_on_clauses_may_only_name_tables_before_them() -> None:
    stmt = select(Pet.name).join(Profile, Profile.owner_id == Owner.id)
    with pytest.raises(ArgumentError, match="names 'cs_owner', which is not in the FROM"):
        assert_sql(stmt, "")
    with pytest.raises(ArgumentError, match="not joined to each other"):
        select(Pet.name, Tag.id, Profile.id).join(
            Owner, (Owner.id == Pet.owner_id) & (Owner.id == Tag.id)
        )


def test_a_table_joins_once() -> None:
    with pytest.raises(ArgumentError, match="is joined already"):
        select(Pet.name).join(Owner).join(Owner)
    with pytest.raises(ArgumentError, match="already in the FROM clause"):
        select(Pet.name).select_from(Pet, Owner).join(Owner, Pet.owner_id == Owner.id)


# -- item 8: arithmetic types ---------------------------------------------------------------------
def test_arithmetic_result_types() -> None:
    from ormolu.schema import types as t

    assert isinstance((Ev.price * 2).type, t.ComputedNumeric)
    assert (Ev.price * 2).type.scale == 2
    assert (Ev.price * Ev.price).type.scale == 4
    assert (Ev.price + Decimal("0.001")).type.scale == 3
    assert isinstance((Ev.price * Ev.rate).type, t.ComputedFloat)
    assert type((Ev.rate * 2).type) is t.Float
    assert type((Ev.id * 2).type) is t.Integer
    assert isinstance((Ev.id / 2).type, t.Float)
    with pytest.raises(ArgumentError, match="remainder of integers"):
        Ev.price % 2
    with pytest.raises(ArgumentError, match="no arithmetic"):
        Ev.flag + 1


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        (SQLiteDialect(), 'CAST("cs_ev"."id" AS REAL) / ?'),
        (PG, 'CAST("cs_ev"."id" AS DOUBLE PRECISION) / %s'),
        (MY, "CAST(`cs_ev`.`id` AS DOUBLE) / %s"),
    ],
)
def test_division_casts_to_double(dialect: object, sql: str) -> None:
    q = getattr(dialect, "identifier_quote", '"')
    assert_sql(select(Ev.id / 4), f"SELECT {sql} FROM {q}cs_ev{q}", [4], dialect=dialect)  # type: ignore[arg-type]


# -- item 9: stored forms -------------------------------------------------------------------------
def test_text_datetimes_are_normalised_when_compared_where_they_are_text() -> None:
    norm = (
        'CASE WHEN length("cs_ev"."at") = 10 THEN "cs_ev"."at" || \' 00:00:00\' '
        "ELSE replace(\"cs_ev\".\"at\", 'T', ' ') END"
    )
    assert_sql(
        select(Ev.id).where(Ev.at >= datetime(2018, 3, 2)),
        f'SELECT "cs_ev"."id" FROM "cs_ev" WHERE {norm} >= ?',
        ["2018-03-02 00:00:00"],
    )
    assert_sql(
        select(Ev.id).where(Ev.day == date(2018, 3, 2)),
        'SELECT "cs_ev"."id" FROM "cs_ev" WHERE substr("cs_ev"."day", 1, 10) = ?',
        ["2018-03-02"],
    )
    assert_sql(
        select(Ev.id).where(Ev.fixed >= datetime(2018, 3, 2)),
        'SELECT "cs_ev"."id" FROM "cs_ev" WHERE "cs_ev"."fixed" >= ?',
        ["2018-03-02 00:00:00"],
    )
    assert_sql(
        select(Ev.id).where(Ev.at >= datetime(2018, 3, 2)),
        'SELECT "cs_ev"."id" FROM "cs_ev" WHERE "cs_ev"."at" >= %s',
        [datetime(2018, 3, 2)],
        dialect=PG,
    )


# -- item 10: date arithmetic ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dialect", "diff", "dtdiff", "add", "trunc"),
    [
        (
            SQLiteDialect(),
            'CAST(round(julianday(date("cs_ev"."day")) - julianday(date(?))) AS INTEGER)',
            'ormolu_timediff("cs_ev"."at", "cs_ev"."fixed")',
            'ormolu_timeadd("cs_ev"."at", "cs_ev"."took", 0)',
            'strftime(\'%Y-%m-01 00:00:00\', "cs_ev"."at")',
        ),
        (
            PG,
            '(CAST("cs_ev"."day" AS DATE) - CAST(%s AS DATE))',
            '("cs_ev"."at" - "cs_ev"."fixed")',
            '("cs_ev"."at" + "cs_ev"."took")',
            'date_trunc(\'month\', "cs_ev"."at")',
        ),
        (
            MY,
            "DATEDIFF(`cs_ev`.`day`, %s)",
            "TIMESTAMPDIFF(MICROSECOND, `cs_ev`.`fixed`, `cs_ev`.`at`)",
            "DATE_ADD(`cs_ev`.`at`, INTERVAL `cs_ev`.`took` MICROSECOND)",
            "CAST(DATE_FORMAT(`cs_ev`.`at`, '%%Y-%%m-01 00:00:00') AS DATETIME(6))",
        ),
    ],
)
def test_date_arithmetic_per_dialect(
    dialect: object, diff: str, dtdiff: str, add: str, trunc: str
) -> None:
    q = getattr(dialect, "identifier_quote", '"')
    stmt = select(
        Ev.day - date(2018, 1, 1), Ev.at - Ev.fixed, Ev.at + Ev.took, date_trunc("month", Ev.at)
    )
    assert_sql(
        stmt,
        f"SELECT {diff}, {dtdiff}, {add}, {trunc} FROM {q}cs_ev{q}",
        [date(2018, 1, 1) if dialect is not None and dialect.native_datetime else "2018-01-01"],  # type: ignore[attr-defined]
        dialect=dialect,  # type: ignore[arg-type]
    )


def test_date_arithmetic_refusals() -> None:
    with pytest.raises(ArgumentError, match="whole"):
        Ev.day + Ev.took
    with pytest.raises(ArgumentError, match="no such date arithmetic"):
        Ev.at + Ev.at
    with pytest.raises(ArgumentError, match="no such date arithmetic"):
        Ev.day - Ev.at
    with pytest.raises(ValueError, match="unknown unit"):
        date_trunc("week", Ev.at)
    with pytest.raises(ArgumentError, match="date or datetime"):
        days_between(Ev.id, Ev.day)


# -- item 3: compared values are converted like assignments -------------------------------------
def test_compared_values_are_converted_by_the_column_type() -> None:
    class Tagged(Model, table="cs_tagged"):
        id: Mapped[uuid.UUID] = field(primary_key=True)
        price: Mapped[Decimal] = field(max_digits=6, decimal_places=2)

    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    compiled = assert_sql(
        select(Tagged.price).where(Tagged.id == str(key), Tagged.price > 2),
        'SELECT "cs_tagged"."price" FROM "cs_tagged" WHERE "cs_tagged"."id" = ? AND '
        '"cs_tagged"."price" > ?',
        [str(key), 2.0],
    )
    assert compiled.sql.count("?") == 2
    stmt = select(Tagged.id).where(Tagged.id == str(key))
    bound = stmt._where[0].right  # type: ignore[attr-defined]
    assert bound.value == key and isinstance(bound.value, uuid.UUID)
    with pytest.raises(
        ValidationError, match=r"Tagged.price: expected Decimal \(in Tagged.price == "
    ):
        Tagged.price == "2"  # noqa: B015
