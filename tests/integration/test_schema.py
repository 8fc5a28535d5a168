"""Defaults, server defaults, constraints, indexes, foreign key actions and composite keys.

What DDL created is read back from each backend's own catalog (sqlite_master and PRAGMAs,
pg_catalog, information_schema): see the helpers at the end.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from frontend import async_driver_of, is_async

from ormolu import (
    CheckConstraint,
    CheckViolation,
    ConfigurationError,
    Database,
    DataError,
    ForeignKeyViolation,
    Index,
    InvalidRequestError,
    Mapped,
    Model,
    ProgrammingError,
    Session,
    UniqueConstraint,
    UniqueViolation,
    field,
    status_of,
    text,
)

_counter = itertools.count(1)


class Widget(Model, table="sc_widget"):
    id: Mapped[int] = field(primary_key=True, default=None)
    name: Mapped[str] = field(unique=True)
    qty: Mapped[int] = field(default=1, check=lambda c: c >= 0)
    tags: Mapped[list[str]] = field(default_factory=list)
    serial: Mapped[int] = field(default_factory=lambda: next(_counter))
    color: Mapped[str] = field(server_default="blue")
    created: Mapped[datetime] = field(server_default=text("CURRENT_TIMESTAMP"))
    rank: Mapped[int | None] = field(default=None, index=True)


class Slot(Model, table="sc_slot"):
    shelf: Mapped[str] = field(primary_key=True)
    pos: Mapped[int] = field(primary_key=True)
    label: Mapped[str] = ""
    low: Mapped[int] = 0
    high: Mapped[int] = 10
    __table_args__ = (
        UniqueConstraint("label", "low", name="uq_slot_label_low"),
        Index("low", "high", name="ix_slot_low_high"),
        Index("label", "high", unique=True),
        CheckConstraint(lambda m: m.low <= m.high, name="ck_slot_range"),
        CheckConstraint("length(label) < 20", name="ck_slot_label"),
    )


class Parent(Model, table="sc_parent"):
    id: Mapped[int] = field(primary_key=True, default=None)


class Child(Model, table="sc_child"):
    id: Mapped[int] = field(primary_key=True, default=None)
    parent_id: Mapped[int] = field(foreign_key="Parent.id", on_delete="CASCADE")
    step_id: Mapped[int | None] = field(default=None, foreign_key="Parent.id", on_delete="SET NULL")


LONG = "sc_" + "long" * 15  # 63 characters, the most every backend holds


class LongParent(Model, table=LONG):
    id: Mapped[int] = field(primary_key=True, default=None)
    rank: Mapped[int] = field(default=0, index=True)  # ix_<LONG>_rank: 71 characters


class LongChild(Model, table=LONG[:-1] + "c"):
    id: Mapped[int] = field(primary_key=True, default=None)
    parent_id: Mapped[int] = field(foreign_key="LongParent.id")


class Name64(Model, table="sc_" + "x" * 61):  # 64 characters
    id: Mapped[int] = field(primary_key=True, default=None)


def flush_fails(s: Session, error: type[Exception]) -> pytest.ExceptionInfo[Any]:
    """Flush, expecting ``error``; then roll back so the session can be left cleanly."""
    with pytest.raises(error) as info:
        s.flush()
    s.rollback()
    return info


def driver_integrity_error(db: Database) -> type[Exception]:
    """The driver's IntegrityError, chained as ``__cause__`` (the driver is the backend's)."""
    if db.dialect.name == "postgresql" and async_driver_of(db) == "asyncpg":
        import asyncpg

        return asyncpg.IntegrityConstraintViolationError  # type: ignore[no-any-return]
    if db.dialect.name == "postgresql":
        import psycopg

        return psycopg.IntegrityError
    if db.dialect.name == "mysql":
        if is_async(db):
            import asyncmy.errors  # type: ignore[import-untyped]

            return asyncmy.errors.IntegrityError  # type: ignore[no-any-return]
        import pymysql

        return pymysql.err.IntegrityError
    return sqlite3.IntegrityError


# -- defaults ----------------------------------------------------------------------------------
def test_defaults_and_default_factories() -> None:
    a, b = Widget(name="a"), Widget(name="b")
    assert a.qty == 1
    assert a.tags == [] and a.tags is not b.tags
    assert b.serial == a.serial + 1
    assert "color" not in a.__dict__  # left to the database


def test_server_defaults_are_visible_after_flush(db: Database) -> None:
    db.create_all([Widget])
    with db.session() as s:
        w = Widget(name="w")
        s.add(w)
        s.flush()
        assert w.color == "blue"
        assert isinstance(w.created, datetime)
        now = datetime.now(UTC).replace(tzinfo=None)  # CURRENT_TIMESTAMP is UTC
        assert abs((now - w.created).total_seconds()) < 120
        assert status_of(w) == "persistent"
    with db.session() as s:
        assert s.query(Widget.color).scalar() == "blue"


@pytest.mark.sync_only("implicit load: the async session raises LazyLoadError")
def test_reading_a_server_default_of_a_pending_object_flushes_it(db: Database) -> None:
    db.create_all([Widget])
    with db.session() as s:
        w = Widget(name="p")
        s.add(w)
        assert w.color == "blue"
        assert w.id is not None
        assert status_of(w) == "persistent"


def test_server_default_of_a_transient_object_explains_itself() -> None:
    with pytest.raises(AttributeError, match="server_default"):
        _ = Widget(name="t").color


def test_explicit_value_overrides_server_default(db: Database) -> None:
    db.create_all([Widget])
    with db.session() as s:
        s.add(Widget(name="r", color="red"))
    with db.session() as s:
        assert s.query(Widget.color).scalar() == "red"


# -- constraints -------------------------------------------------------------------------------
def test_unique_column(db: Database) -> None:
    db.create_all([Widget])
    with db.session() as s:
        s.add(Widget(name="same"))
    with db.session() as s:
        s.add(Widget(name="same"))
        info = flush_fails(s, UniqueViolation)
        assert isinstance(info.value.__cause__, driver_integrity_error(db))
    with db.session() as s:
        assert s.query(Widget).count() == 1


def test_column_check(db: Database) -> None:
    db.create_all([Widget])
    with db.session() as s:
        s.add(Widget(name="neg", qty=-1))  # no Python rule: the database refuses it
        flush_fails(s, CheckViolation)


def test_index_column_creates_an_index(db: Database) -> None:
    db.create_all([Widget])
    indexes = index_info(db, "sc_widget")
    assert indexes["ix_sc_widget_rank"] == (False, ("rank",))
    assert (True, ("name",)) in indexes.values()  # unique=True


def test_table_args_indexes_and_constraints_exist(db: Database) -> None:
    db.create_all([Slot])
    indexes = index_info(db, "sc_slot")
    assert indexes["ix_slot_low_high"] == (False, ("low", "high"))
    assert indexes["ix_sc_slot_label_high"] == (True, ("label", "high"))
    assert (True, ("label", "low")) in indexes.values()  # uq_slot_label_low
    checks = check_constraints(db, "sc_slot")
    assert re.sub(r"[\s\"`()]", "", checks["ck_slot_range"]) == "low<=high"
    assert "label" in checks["ck_slot_label"]


def test_unbounded_string_keys_hold_long_values(db: Database) -> None:
    """A str without max_length in a key: unbounded where text can be a key; elsewhere
    (MySQL) VARCHAR(key_string_length), longer values refused with a typed DataError."""
    db.create_all([Slot])
    limit = db.dialect.key_string_length
    long = "s" * (limit or 1000)
    with db.session() as s:
        s.add(Slot(shelf=long, pos=1))
    with db.session() as s:
        assert s.get_one(Slot, (long, 1)).shelf == long
    if limit is not None:
        with db.session() as s:
            s.add(Slot(shelf=long + "s", pos=1))
            flush_fails(s, DataError)
    with db.session() as s:
        assert s.query(Slot.shelf).all() == [long]


def test_multi_column_unique_constraint(db: Database) -> None:
    db.create_all([Slot])
    with db.session() as s:
        s.add(Slot(shelf="a", pos=1, label="x", low=1, high=5))
        s.add(Slot(shelf="a", pos=2, label="x", low=2, high=6))  # other low: fine
        s.add(Slot(shelf="a", pos=3, label="y", low=1, high=7))  # other label: fine
    with db.session() as s:
        s.add(Slot(shelf="b", pos=1, label="x", low=1, high=9))
        flush_fails(s, UniqueViolation)


def test_multi_column_unique_index(db: Database) -> None:
    db.create_all([Slot])
    with db.session() as s:
        s.add(Slot(shelf="a", pos=1, label="x", low=1, high=5))
    with db.session() as s:
        s.add(Slot(shelf="a", pos=2, label="x", low=2, high=5))
        flush_fails(s, UniqueViolation)


@pytest.mark.parametrize(
    ("values", "constraint"),
    [({"low": 5, "high": 1}, "ck_slot_range"), ({"label": "x" * 25}, "ck_slot_label")],
)
def test_table_check_constraints(db: Database, values: dict[str, Any], constraint: str) -> None:
    db.create_all([Slot])
    with db.session() as s:
        s.add(Slot(shelf="a", pos=1, **values))
        info = flush_fails(s, CheckViolation)
        assert constraint in str(info.value)


# -- foreign keys ----------------------------------------------------------------------------
def test_foreign_keys_are_enforced(db: Database) -> None:
    db.create_all([Parent, Child])
    with db.session() as s:
        s.add(Child(parent_id=42))
        flush_fails(s, ForeignKeyViolation)


def test_on_delete_cascade_and_set_null(db: Database) -> None:
    db.create_all([Parent, Child])
    with db.session() as s:
        p1, p2 = Parent(), Parent()
        s.add_all([p1, p2])
        s.flush()
        s.add(Child(parent_id=p1.id, step_id=p2.id))
        s.add(Child(parent_id=p2.id, step_id=p1.id))
    with db.session() as s:
        s.delete(s.get_one(Parent, 1))
    with db.session() as s:
        rows = s.query(Child.parent_id, Child.step_id).all()
    assert rows == [(2, None)]


def test_create_all_if_not_exists_can_run_twice(db: Database) -> None:
    db.create_all([Widget, Slot])
    with db.session() as s:
        s.add(Widget(name="kept"))
    db.create_all([Widget, Slot], if_not_exists=True)  # tables and indexes exist already
    with pytest.raises(ProgrammingError, match="already exists"):
        db.create_all([Widget])
    with db.session() as s:
        assert s.query(Widget.name).all() == ["kept"]


def test_parent_tables_are_created_first(db: Database) -> None:
    db.create_all([Child, Parent])  # order given does not matter
    assert table_names(db) == {"sc_parent", "sc_child"}
    db.drop_all([Parent, Child])
    assert table_names(db) == set()


# -- identifier length ---------------------------------------------------------------------
def test_long_names_fit_the_databases_identifier_limit(db: Database) -> None:
    """Names ormolu makes up (indexes, foreign keys) are shortened to fit the database's
    identifier limit (63 bytes on PostgreSQL, 64 characters on MySQL); a declared name
    that is too long is refused before any SQL, as PostgreSQL would silently truncate it."""
    dialect, limit = db.dialect, db.dialect.max_identifier_length
    db.create_all([LongParent, LongChild])
    indexes = index_info(db, LONG)
    (name,) = [n for n, (unique, cols) in indexes.items() if cols == ("rank",) and not unique]
    if limit is None:
        assert name == f"ix_{LONG}_rank"
    else:
        assert (
            name.startswith(f"ix_{LONG}"[: limit - 9]) and dialect.identifier_length(name) <= limit
        )
        assert name != f"ix_{LONG}_rank"[:limit]  # a hash suffix, not a cut
    with db.session() as s:
        p = LongParent(rank=3)
        s.add(p)
        s.flush()
        s.add(LongChild(parent_id=p.id))
    with db.session() as s:
        assert s.query(LongChild.parent_id).all() == [1]
        assert s.query(LongParent).where(LongParent.rank == 3).count() == 1
        s.add(LongChild(parent_id=99))
        flush_fails(s, ForeignKeyViolation)
    if limit is None or limit >= 64:
        db.create_all([Name64])
        assert Name64.__table__.name in table_names(db)
    else:
        with pytest.raises(ConfigurationError, match="too long"):
            db.create_all([Name64])
        assert table_names(db) == {LONG, LongChild.__table__.name}


# -- composite primary keys --------------------------------------------------------------------
def test_composite_primary_key(db: Database) -> None:
    db.create_all([Slot])
    with db.session() as s:
        s.add_all([Slot(shelf="a", pos=1, label="one"), Slot(shelf="a", pos=2, label="two")])
    with db.session() as s:
        one = s.get(Slot, ("a", 1))
        assert one is not None and one.label == "one"
        assert s.get(Slot, {"shelf": "a", "pos": 2}).label == "two"  # type: ignore[union-attr]
        assert s.get(Slot, ("a", 3)) is None
        assert s.get(Slot, ("a", 1)) is one
        with pytest.raises(InvalidRequestError, match="primary key"):
            s.get(Slot, "a")
        with pytest.raises(InvalidRequestError, match="pos"):
            s.get(Slot, {"shelf": "a"})
        one.label = "uno"
        s.delete(s.get_one(Slot, ("a", 2)))
    with db.session() as s:
        assert s.query(Slot.shelf, Slot.pos, Slot.label).all() == [("a", 1, "uno")]


def test_composite_primary_key_duplicate(db: Database) -> None:
    db.create_all([Slot])
    with db.session() as s:
        s.add(Slot(shelf="a", pos=1))
    with db.session() as s:
        s.add(Slot(shelf="a", pos=1, label="again"))
        flush_fails(s, UniqueViolation)


def test_changing_a_primary_key_updates_the_row(db: Database) -> None:
    db.create_all([Slot])
    with db.session() as s:
        s.add(Slot(shelf="a", pos=1, label="moved"))
    with db.session() as s:
        slot = s.get_one(Slot, ("a", 1))
        slot.pos = 9
        s.flush()
        assert s.get(Slot, ("a", 9)) is slot
        assert s.get(Slot, ("a", 1)) is None
    with db.session() as s:
        assert s.query(Slot.pos).all() == [9]


# -- reading the catalog -------------------------------------------------------------------
# Each backend describes its schema in its own catalog, so these helpers (and only they)
# branch on the dialect's name.
def rows(db: Database, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with db.session() as s:
        return s.execute(sql, params).all()


def table_names(db: Database) -> set[str]:
    """The tables of ``db``."""
    sql = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
        "mysql": "SELECT table_name FROM information_schema.tables WHERE "
        "table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    }[db.dialect.name]
    return {r[0] for r in rows(db, sql)}


def index_info(db: Database, table: str) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """``{index name: (unique, column names)}`` for ``table``, primary key excluded (unique
    constraints are included: every backend implements them as unique indexes)."""
    sql = {
        "sqlite": 'SELECT il.name, il."unique", ii.name FROM pragma_index_list(:t) AS il, '
        "pragma_index_info(il.name) AS ii WHERE il.origin <> 'pk' ORDER BY il.name, ii.seqno",
        "postgresql": "SELECT i.relname, x.indisunique, a.attname FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE t.relname = :t AND t.relnamespace = current_schema()::regnamespace "
        "AND NOT x.indisprimary ORDER BY i.relname, k.n",
        "mysql": "SELECT index_name, non_unique = 0, column_name "
        "FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND table_name = :t AND index_name <> 'PRIMARY' "
        "ORDER BY index_name, seq_in_index",
    }[db.dialect.name]
    out: dict[str, tuple[bool, tuple[str, ...]]] = {}
    for name, unique, column in rows(db, sql, {"t": table}):
        out[name] = (bool(unique), (*out.get(name, (False, ()))[1], column))
    return out


def check_constraints(db: Database, table: str) -> dict[str, str]:
    """``{constraint name: condition}`` of the named CHECK constraints of ``table``."""
    if db.dialect.name == "sqlite":  # no catalog of constraints: read the CREATE TABLE text
        (sql,) = rows(db, "SELECT sql FROM sqlite_master WHERE name = :t", {"t": table})[0]
        found = re.findall(r'CONSTRAINT "([^"]+)" CHECK \((.*)\),?$', sql, re.M)
        return dict(found)
    sql = {
        "postgresql": "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'c' AND conrelid = CAST(:t AS regclass)",
        "mysql": "SELECT cc.constraint_name, cc.check_clause "
        "FROM information_schema.check_constraints cc "
        "JOIN information_schema.table_constraints tc "
        "ON tc.constraint_schema = cc.constraint_schema "
        "AND tc.constraint_name = cc.constraint_name "
        "WHERE tc.constraint_type = 'CHECK' AND tc.table_schema = DATABASE() "
        "AND tc.table_name = :t",
    }[db.dialect.name]
    return {name: re.sub(r"^CHECK ", "", cond) for name, cond in rows(db, sql, {"t": table})}
