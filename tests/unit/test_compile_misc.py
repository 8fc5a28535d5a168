"""DML and DDL compilation, the compile cache, parameter conversion and identifier quoting."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from sqlcheck import assert_sql

from ormolu import (
    CheckConstraint,
    ConfigurationError,
    Index,
    Mapped,
    Model,
    UniqueConstraint,
    field,
    literal,
    select,
    text,
)
from ormolu.dialects.base import Dialect
from ormolu.dialects.sqlite import SQLiteDialect
from ormolu.schema.ddl import create_indexes_sql, create_table_sql, drop_table_sql
from ormolu.sql.compiler import CompileCache, compile_statement
from ormolu.sql.dml import Delete, RowDelete, RowInsert, RowUpdate, Update
from ormolu.sql.elements import coerce


class Mood(enum.Enum):
    HAPPY = "happy"
    GLUM = "glum"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Gadget(Model, table="gadget"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(max_length=40, unique=True)
    price: Mapped[Decimal] = field(max_digits=8, decimal_places=2, check=lambda c: c >= 0)
    stock: Mapped[int] = field(default=0, server_default=0, index=True)
    note: Mapped[str | None] = field(default=None, server_default="it's new")
    made: Mapped[datetime | None] = None
    mood: Mapped[Mood | None] = None
    level: Mapped[Level | None] = None
    made_at: Mapped[datetime | None] = field(default=None, timezone=True)


class Part(Model, table="part"):
    gadget_id: Mapped[int] = field(primary_key=True, foreign_key="Gadget.id", on_delete="cascade")
    slot: Mapped[int] = field(primary_key=True)
    label: Mapped[str]
    starts: Mapped[int] = 0
    ends: Mapped[int] = 1
    __table_args__ = (
        Index("label", "slot", name="ix_part_label_slot", unique=True),
        Index("starts"),
        UniqueConstraint("label", "ends", name="uq_part_label_ends"),
        CheckConstraint(lambda m: m.starts < m.ends, name="ck_span"),
        CheckConstraint("ends < 1000"),
    )


class Hostile(Model, table='we"ird; DROP TABLE gadget; --'):
    id: Mapped[int] = field(primary_key=True, column='i"d', default=None)
    name: Mapped[str] = field(column="na me ' \" ;")


# -- bulk UPDATE / DELETE -------------------------------------------------------------------
def test_bulk_update_statement() -> None:
    stmt = Update(
        Gadget.__table__,
        [(Gadget.stock, coerce(5, Gadget.stock.type)), (Gadget.price, Gadget.price * 2)],
        (Gadget.name == "a") | (Gadget.id > 3),
    )
    assert_sql(
        stmt,
        'UPDATE "gadget" SET "stock" = ?, "price" = "gadget"."price" * ? WHERE '
        '"gadget"."name" = ? OR "gadget"."id" > ?',
        [5, 2, "a", 3],
    )


def test_bulk_delete_statement_with_and_without_where() -> None:
    assert_sql(
        Delete(Gadget.__table__, Gadget.stock.between(1, 2)),
        'DELETE FROM "gadget" WHERE "gadget"."stock" BETWEEN ? AND ?',
        [1, 2],
    )
    assert_sql(Delete(Gadget.__table__, None), 'DELETE FROM "gadget"')


def test_bulk_delete_with_correlated_subquery() -> None:
    assert_sql(
        Delete(Gadget.__table__, ~select(Part.slot).where(Part.gadget_id == Gadget.id).exists()),
        'DELETE FROM "gadget" WHERE NOT EXISTS (SELECT "part"."slot" FROM "part" WHERE '
        '"part"."gadget_id" = "gadget"."id")',
    )


def test_row_statements_of_the_unit_of_work() -> None:
    t = Gadget.__table__
    assert_sql(
        RowInsert(t, ("name", "price")), 'INSERT INTO "gadget" ("name", "price") VALUES (?, ?)'
    )
    assert_sql(
        RowInsert(t, ("name",), rows=3, returning=("id",)),
        'INSERT INTO "gadget" ("name") VALUES (?), (?), (?) RETURNING "id"',
    )
    assert_sql(RowInsert(t, ()), 'INSERT INTO "gadget" DEFAULT VALUES')
    assert_sql(
        RowUpdate(t, ("name", "stock"), ("id",)),
        'UPDATE "gadget" SET "name" = ?, "stock" = ? WHERE "id" = ?',
    )
    assert_sql(
        RowDelete(Part.__table__, ("gadget_id", "slot")),
        'DELETE FROM "part" WHERE "gadget_id" = ? AND "slot" = ?',
    )


# -- the compile cache ------------------------------------------------------------------------
def test_same_shape_with_other_values_is_a_cache_hit_with_new_params() -> None:
    d = SQLiteDialect()
    c1, p1 = compile_statement(
        d, select(Gadget.name).where(Gadget.id == 1, Gadget.name.contains("a"))
    )
    assert (d.compile_cache.hits, d.compile_cache.misses) == (0, 1)
    c2, p2 = compile_statement(
        d, select(Gadget.name).where(Gadget.id == 7, Gadget.name.contains("b_"))
    )
    assert (d.compile_cache.hits, d.compile_cache.misses) == (1, 1)
    assert c2 is c1
    assert p1 == [1, "%a%"]
    assert p2 == [7, "%b\\_%"]


def test_cache_hit_converts_new_values() -> None:
    d = SQLiteDialect()
    compile_statement(d, select(Gadget.id).where(Gadget.price == Decimal("1.25")))
    _, params = compile_statement(d, select(Gadget.id).where(Gadget.price == Decimal("3.5")))
    assert d.compile_cache.hits == 1
    assert params == [3.5]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Gadget.id.in_([1, 2]), Gadget.id.in_([1, 2, 3])),
        (Gadget.note == "x", Gadget.note == None),  # noqa: E711
        (Gadget.name.like("a"), Gadget.name.like("a", escape="!")),
        (Gadget.name == "a", Gadget.note == "a"),
        (Gadget.stock == 1, Gadget.stock == 1.5),  # bound as an int, then as a float
        (Gadget.id > 1, Gadget.id >= 1),
    ],
)
def test_different_shapes_are_cache_misses(a: object, b: object) -> None:
    d = SQLiteDialect()
    c1, _ = compile_statement(d, select(Gadget.id).where(a))
    c2, _ = compile_statement(d, select(Gadget.id).where(b))
    assert d.compile_cache.misses == 2
    assert c1 is not c2


def test_limit_value_changes_hit_but_limit_presence_misses() -> None:
    d = SQLiteDialect()
    compile_statement(d, select(Gadget.id).limit(1))
    _, params = compile_statement(d, select(Gadget.id).limit(2))
    assert d.compile_cache.hits == 1 and params == [2]
    compile_statement(d, select(Gadget.id))
    compile_statement(d, select(Gadget.id).order_by(Gadget.id.desc().nulls_last()))
    compile_statement(d, select(Gadget.id).order_by(Gadget.id.desc()))
    compile_statement(d, select(Gadget.id).distinct())
    assert d.compile_cache.misses == 5


def test_cache_is_bounded() -> None:
    cache = CompileCache(size=8)
    for i in range(20):
        cache.put(i, object())  # type: ignore[arg-type]
    assert len(cache.data) <= 8
    assert 19 in cache.data and 0 not in cache.data


# -- parameter conversion -----------------------------------------------------------------
def test_values_are_converted_for_the_driver() -> None:
    aware = datetime(2024, 5, 6, 12, 0, 0, 123, tzinfo=timezone(timedelta(hours=2)))
    stmt = select(Gadget.id).where(
        Gadget.price == Decimal("12.34"),
        Gadget.price == Decimal("1234567890.1234567"),  # > 15 digits: exact text
        Gadget.made == datetime(2024, 1, 2, 3, 4, 5, 600),
        Gadget.made_at == aware,
        Gadget.mood == Mood.GLUM,
        Gadget.level == Level.HIGH,
        literal(uuid.UUID(int=255)) == literal(date(2024, 2, 29)),
        literal(time(13, 14, 15, 16)) == literal(timedelta(days=1, microseconds=5)),
        literal({"a": [1, "é"]}) == literal(b"\x00\xff"),
    )
    _, params = compile_statement(SQLiteDialect(), stmt)
    assert params == [
        12.34,
        "1234567890.1234567",
        "2024-01-02 03:04:05.000600",
        "2024-05-06 10:00:00.000123+00:00",
        "glum",
        2,
        "00000000-0000-0000-0000-0000000000ff",
        "2024-02-29",
        "13:14:15.000016",
        86_400_000_005,
        '{"a":[1,"é"]}',
        b"\x00\xff",
    ]
    assert type(params[5]) is int  # an IntEnum goes as a plain int


def test_enum_member_value_accepted_in_comparisons() -> None:
    _, params = compile_statement(SQLiteDialect(), select(Gadget.id).where(Gadget.mood == "happy"))
    assert params == ["happy"]


# -- identifier quoting ------------------------------------------------------------------------
def test_hostile_identifiers_are_quoted_with_quotes_doubled() -> None:
    tbl = '"we""ird; DROP TABLE gadget; --"'
    assert_sql(
        select(Hostile).where(Hostile.name == "x").order_by(Hostile.id),
        f'SELECT {tbl}."i""d", {tbl}."na me \' "" ;" FROM {tbl} WHERE {tbl}."na me \' "" ;" = ? '
        f'ORDER BY {tbl}."i""d"',
        ["x"],
    )
    assert create_table_sql(SQLiteDialect(), Hostile.__table__) == (
        f'CREATE TABLE {tbl} (\n    "i""d" INTEGER PRIMARY KEY,\n'
        '    "na me \' "" ;" TEXT NOT NULL\n)'
    )


def test_quote_and_literal_rendering() -> None:
    d = SQLiteDialect()
    assert d.quote('a"b') == '"a""b"'
    assert d.quote("") == '""'
    assert d.render_literal("it's") == "'it''s'"
    assert d.render_literal(None) == "NULL"
    assert d.render_literal(True) == "1"
    assert d.render_literal(Decimal("1.50")) == "1.50"
    for bad in (float("nan"), object(), "nul\x00"):
        with pytest.raises(ConfigurationError):
            d.render_literal(bad)
    with pytest.raises(ConfigurationError, match="NUL"):
        d.quote("a\x00b")


@pytest.mark.parametrize("name", ["nul\x00", "x" * 65])
def test_invalid_identifiers_are_refused_at_class_creation(name: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid"):

        class Bad(Model, table=name):
            id: Mapped[int] = field(primary_key=True)

    with pytest.raises(ConfigurationError, match="invalid"):

        class Bad2(Model, table="bad2"):
            id: Mapped[int] = field(primary_key=True, column=name)


# -- DDL ---------------------------------------------------------------------------------------
def test_create_table_sql() -> None:
    assert create_table_sql(SQLiteDialect(), Gadget.__table__) == (
        'CREATE TABLE "gadget" (\n'
        '    "id" INTEGER PRIMARY KEY,\n'
        '    "name" VARCHAR(40) NOT NULL UNIQUE,\n'
        '    "price" NUMERIC(8, 2) NOT NULL CHECK ("price" >= 0),\n'
        '    "stock" INTEGER NOT NULL DEFAULT 0,\n'
        "    \"note\" TEXT DEFAULT 'it''s new',\n"
        '    "made" DATETIME,\n'
        '    "mood" VARCHAR(5),\n'
        '    "level" INTEGER,\n'
        '    "made_at" DATETIME,\n'
        # an Enum field is held to its values (named, so a migration can change them)
        "    CONSTRAINT \"gadget_mood_enum\" CHECK (\"mood\" IN ('happy', 'glum')),\n"
        '    CONSTRAINT "gadget_level_enum" CHECK ("level" IN (1, 2))\n'
        ")"
    )
    assert create_indexes_sql(SQLiteDialect(), Gadget.__table__) == [
        'CREATE INDEX "ix_gadget_stock" ON "gadget" ("stock")'
    ]


def test_create_table_with_composite_key_constraints_and_foreign_key() -> None:
    d = SQLiteDialect()
    assert create_table_sql(d, Part.__table__, if_not_exists=True) == (
        'CREATE TABLE IF NOT EXISTS "part" (\n'
        '    "gadget_id" INTEGER NOT NULL,\n'
        '    "slot" INTEGER NOT NULL,\n'
        '    "label" TEXT NOT NULL,\n'
        '    "starts" INTEGER NOT NULL,\n'
        '    "ends" INTEGER NOT NULL,\n'
        '    PRIMARY KEY ("gadget_id", "slot"),\n'
        '    CONSTRAINT "uq_part_label_ends" UNIQUE ("label", "ends"),\n'
        '    CONSTRAINT "ck_span" CHECK ("starts" < "ends"),\n'
        "    CHECK (ends < 1000),\n"
        '    FOREIGN KEY ("gadget_id") REFERENCES "gadget" ("id") ON DELETE CASCADE\n'
        ")"
    )
    assert create_indexes_sql(d, Part.__table__) == [
        'CREATE UNIQUE INDEX "ix_part_label_slot" ON "part" ("label", "slot")',
        'CREATE INDEX "ix_part_starts" ON "part" ("starts")',
    ]
    assert create_indexes_sql(d, Part.__table__, if_not_exists=True)[1] == (
        'CREATE INDEX IF NOT EXISTS "ix_part_starts" ON "part" ("starts")'
    )
    assert drop_table_sql(d, Part.__table__) == 'DROP TABLE IF EXISTS "part"'


def test_server_default_text_is_raw_sql() -> None:
    class Stamp(Model, table="stamp"):
        id: Mapped[int] = field(primary_key=True, default=None)
        at: Mapped[str] = field(server_default=text("CURRENT_TIMESTAMP"))

    assert '"at" TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP' in create_table_sql(
        SQLiteDialect(), Stamp.__table__
    )


def test_standard_type_names() -> None:
    d = Dialect()
    ddl = create_table_sql(d, Gadget.__table__)
    assert '"id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY' in ddl
    assert '"made" TIMESTAMP' in ddl
    assert '"made_at" TIMESTAMP WITH TIME ZONE' in ddl


def test_table_args_refer_to_existing_fields() -> None:
    with pytest.raises(ConfigurationError, match="no field 'nope'"):

        class BadArgs(Model, table="bad_args"):
            id: Mapped[int] = field(primary_key=True)
            __table_args__ = (Index("nope"),)

    with pytest.raises(ConfigurationError, match="expected Index"):

        class BadArgs2(Model, table="bad_args2"):
            id: Mapped[int] = field(primary_key=True)
            __table_args__ = ("id",)


def test_aware_datetime_param_is_normalised_to_utc() -> None:
    _, params = compile_statement(
        SQLiteDialect(), select(Gadget.id).where(Gadget.made_at < datetime(2020, 1, 1, tzinfo=UTC))
    )
    assert params == ["2020-01-01 00:00:00+00:00"]
