"""create_all and drop_all of tables whose foreign keys form a cycle.

Two tables that reference each other (cy_left.right_id → cy_right, cy_right.left_id →
cy_left, both nullable) and a self-referencing one (cy_tree). Before ormolu.schema.cycles,
drop_all of such a cycle holding rows failed on every backend (PostgreSQL: "cannot drop
table cy_right because other objects depend on it"; MariaDB: error 1451; SQLite: the
DROP's implicit DELETE failed the key), and create_all(if_not_exists=True) of a new
cycle failed on PostgreSQL and MySQL (a REFERENCES to a table not created yet).

What the database holds is read from its own catalog (helpers at the end), not through
the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from ormolu import (
    Database,
    ForeignKeyViolation,
    Mapped,
    Model,
    ReferencedTableError,
    field,
)


class CyLeft(Model, table="cy_left"):
    id: Mapped[int] = field(primary_key=True, default=None)
    right_id: Mapped[int | None] = field(foreign_key="CyRight.id", default=None)


class CyRight(Model, table="cy_right"):
    id: Mapped[int] = field(primary_key=True, default=None)
    left_id: Mapped[int | None] = field(foreign_key="CyLeft.id", default=None)


class CyTree(Model, table="cy_tree"):
    id: Mapped[int] = field(primary_key=True, default=None)
    parent_id: Mapped[int | None] = field(foreign_key="CyTree.id", default=None)


class CyLeaf(Model, table="cy_leaf"):
    """Outside the cycle, referencing one of its tables."""

    id: Mapped[int] = field(primary_key=True, default=None)
    right_id: Mapped[int | None] = field(foreign_key="CyRight.id", default=None)


CYCLE = [CyLeft, CyRight, CyTree]
NAMES = {"cy_left", "cy_right", "cy_tree"}


def fill(db: Database) -> None:
    """Rows pointing at each other: left 1 ↔ right 1, and a tree 1 ← 2 ← 3."""
    with db.session() as s:
        left, right = CyLeft(id=1), CyRight(id=1)
        s.add_all([left, right])
        s.flush()
        left.right_id, right.left_id = 1, 1
        s.add(CyTree(id=1))
        s.flush()
        s.add(CyTree(id=2, parent_id=1))
        s.flush()
        s.add(CyTree(id=3, parent_id=2))


def test_drop_all_drops_a_cycle_holding_rows(db: Database) -> None:
    db.create_all(CYCLE)
    fill(db)
    # the keys of the cycle are there and enforced (else dropping would be easy)
    for bad in (CyLeft(id=5, right_id=99), CyRight(id=5, left_id=99), CyTree(id=5, parent_id=99)):
        with pytest.raises(ForeignKeyViolation), db.session() as s:
            s.add(bad)
    with db.session() as s:
        assert s.query(CyLeft.right_id).all() == [1] and s.query(CyRight.left_id).all() == [1]
    db.drop_all(CYCLE)
    assert table_names(db) & NAMES == set()


def test_drop_all_twice_and_of_tables_that_do_not_exist(db: Database) -> None:
    db.drop_all(CYCLE)  # nothing exists yet: nothing to do
    db.create_all([CyTree])
    db.drop_all(CYCLE)  # only some exist
    assert table_names(db) & NAMES == set()
    db.create_all(CYCLE)
    fill(db)
    db.drop_all(CYCLE)
    db.drop_all(CYCLE)
    assert table_names(db) & NAMES == set()


def test_drop_all_of_a_subset_leaves_the_rest(db: Database) -> None:
    db.create_all([*CYCLE, CyLeaf])
    fill(db)
    with db.session() as s:
        s.add(CyLeaf(id=1))  # no reference: the key alone stands in the way
    db.drop_all([CyTree])
    assert table_names(db) & NAMES == {"cy_left", "cy_right"}
    db.drop_all([CyLeaf, CyLeft, CyRight])
    assert table_names(db) & (NAMES | {"cy_leaf"}) == set()


def test_drop_all_refuses_a_table_referenced_from_outside(db: Database) -> None:
    """cy_leaf references cy_right: dropping cy_right without it is refused on every
    backend, before anything is dropped (on MySQL, whose DDL commits at once, the first
    tables would otherwise be gone already)."""
    db.create_all([*CYCLE, CyLeaf])
    fill(db)
    with pytest.raises(ReferencedTableError, match="cy_right by cy_leaf") as caught:
        db.drop_all([CyLeft, CyRight])
    assert caught.value.referenced_by == {"cy_right": ["cy_leaf"]}
    assert table_names(db) & (NAMES | {"cy_leaf"}) == NAMES | {"cy_leaf"}
    with db.session() as s:
        assert s.query(CyLeft.id).all() == [1] and s.query(CyRight.id).all() == [1]
    # cy_left is referenced by cy_right, in the cycle but not given
    with pytest.raises(ReferencedTableError, match="cy_left by cy_right"):
        db.drop_all([CyLeft])
    db.drop_all([CyLeft, CyRight, CyLeaf])
    assert table_names(db) & (NAMES | {"cy_leaf"}) == {"cy_tree"}


def test_create_all_if_not_exists_creates_a_new_cycle(db: Database) -> None:
    db.create_all([CyTree])  # one exists, two are new
    db.create_all(CYCLE, if_not_exists=True)
    db.create_all(CYCLE, if_not_exists=True)  # and again: nothing to do
    assert table_names(db) & NAMES == NAMES
    fill(db)
    with pytest.raises(ForeignKeyViolation), db.session() as s:
        s.add(CyLeft(id=5, right_id=99))  # the closing key was added to the new table
    db.drop_all(CYCLE)
    assert table_names(db) & NAMES == set()


# -- what the database holds, from its own catalog -------------------------------------------
def rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with db.session() as s:
        return s.execute(sql).all()


def table_names(db: Database) -> set[str]:
    """The tables of ``db``'s default schema."""
    sql = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
        "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
        "mysql": "SELECT table_name FROM information_schema.tables WHERE "
        "table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    }[db.dialect.name]
    return {r[0] for r in rows(db, sql)}
