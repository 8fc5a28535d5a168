"""Models inspected from one backend, created on another: a declared type's portable
stand-in (``DeclaredType(..., dialect=, portable=)``, written by ``ormolu inspect``) and
``create_all`` of tables whose foreign keys form a cycle."""

from __future__ import annotations

import pytest

from ormolu import Mapped, Model, field
from ormolu.cli.inspect import portable_type
from ormolu.dialects.mysql import MySQLDialect
from ormolu.dialects.postgresql import PostgreSQLDialect
from ormolu.dialects.sqlite import SQLiteDialect
from ormolu.engine import create_statements, tables_of
from ormolu.migrations.writer import type_code
from ormolu.schema import types as t

SQLITE, PG, MY = SQLiteDialect(), PostgreSQLDialect(), MySQLDialect()


def test_portable_type_holds_every_value_or_is_none() -> None:
    assert repr(portable_type("YEAR")) == repr(t.Integer(2))
    assert repr(portable_type("tinyint  unsigned")) == repr(t.Integer(2))
    assert repr(portable_type("SMALLINT UNSIGNED")) == repr(t.Integer(4))
    assert repr(portable_type("INT UNSIGNED")) == repr(t.Integer(8))
    assert isinstance(portable_type("ENUM"), t.String)
    assert portable_type("BIGINT UNSIGNED") is None  # nothing portable holds 2**64 - 1
    assert portable_type("ENUM('a','b')") is None
    assert portable_type("tsvector") is None


def test_declared_type_is_verbatim_on_its_dialect_and_portable_elsewhere() -> None:
    year = t.DeclaredType("YEAR", python_type=int, dialect="sqlite", portable=t.Integer(2))
    assert SQLITE.column_type_sql(year, False) == "YEAR"
    assert PG.column_type_sql(year, False) == "SMALLINT"
    assert MY.column_type_sql(year, False) == "SMALLINT"
    rating = t.DeclaredType("ENUM", dialect="sqlite", portable=t.String())
    assert SQLITE.column_type_sql(rating, True) == "ENUM"
    # keyed text on MySQL gets its indexable length, as a String field would
    assert MY.column_type_sql(rating, True) == MY.column_type_sql(t.String(), True)
    plain = t.DeclaredType("YEAR", python_type=int)
    assert PG.column_type_sql(plain, False) == "YEAR"  # no stand-in: verbatim everywhere
    assert year.cache_key != plain.cache_key
    assert "portable=t.Integer(2)" in type_code(year)
    with pytest.raises(ValueError, match="both dialect and portable"):
        t.DeclaredType("YEAR", python_type=int, dialect="sqlite")


class CycStore(Model, table="cyc_store"):
    id: Mapped[int] = field(primary_key=True)
    manager_id: Mapped[int | None] = field(foreign_key="CycStaff.id", default=None)


class CycStaff(Model, table="cyc_staff"):
    id: Mapped[int] = field(primary_key=True)
    store_id: Mapped[int] = field(foreign_key="CycStore.id")
    boss_id: Mapped[int | None] = field(foreign_key="CycStaff.id", default=None)


def test_create_all_adds_a_cycles_forward_reference_after_the_tables() -> None:
    tables = tables_of([CycStore, CycStaff])
    first, second = (tb.name for tb in tables)
    for dialect in (PG, MY):
        stmts = create_statements(dialect, tables, False)
        creates = [s for s in stmts if s.startswith("CREATE TABLE")]
        alters = [s for s in stmts if s.startswith("ALTER TABLE")]
        assert len(creates) == 2 and len(alters) == 1
        assert dialect.quote(second) not in creates[0]  # not referenced before it exists
        assert alters[0].startswith(f"ALTER TABLE {dialect.quote(first)} ADD ")
        assert "FOREIGN KEY" in alters[0] and stmts[-1] == alters[0]
        # the self-reference and the backward one stay in CREATE TABLE
        assert creates[1].count("REFERENCES") == 2
        # with if_not_exists an existing table's constraint is there already: the ALTER
        # is for a new table only
        assert create_statements(dialect, tables, True)[-1] == alters[0]
        for existing in (tables, tables[:1]):
            stmts = create_statements(dialect, tables, True, existing)
            assert not any(s.startswith("ALTER") for s in stmts)
    stmts = create_statements(SQLITE, tables, False)  # SQLite takes forward references
    assert not any(s.startswith("ALTER") for s in stmts)
    assert sum(s.count("REFERENCES") for s in stmts) == 3
