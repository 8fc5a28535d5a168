"""Creating and dropping a set of tables whose foreign keys form cycles.

``Database.create_all`` creates tables referenced ones first (:func:`sort_tables`); a
foreign key that closes a cycle (A.b_id → B, B.a_id → A) references a table not created
yet, so it is left out of CREATE TABLE and added by ALTER TABLE once every table exists
(:func:`ormolu.engine.create_statements`). ``drop_all`` drops in the reverse order, and
there the same key stands in the way: B cannot be dropped while A's key references it
(PostgreSQL: "other objects depend on it"; MySQL/MariaDB: error 1451; SQLite: the DROP's
implicit DELETE fails the key as soon as A holds a row pointing at B). :func:`drop_op`
reads which keys reference the tables being dropped from the database's catalog, then:

- drops first each key of a dropped table that references a table dropped before it
  (``ALTER TABLE ... DROP CONSTRAINT`` / ``DROP FOREIGN KEY`` on MySQL), by the name the
  catalog gives, so keys named by another tool are found as well;
- on SQLite, which has no ``ALTER TABLE ... DROP CONSTRAINT``, defers the keys to the
  commit instead (``PRAGMA defer_foreign_keys``): by then the rows of every table that
  pointed at the dropped rows are gone too (https://sqlite.org/foreignkeys.html,
  "CREATE, ALTER and DROP TABLE commands");
- refuses with :class:`~ormolu.exceptions.ReferencedTableError`, before any statement,
  to drop a table that a table outside the set references: no backend can, and MySQL
  would already have dropped (and committed) the tables before it.

The catalog is read by the dialect's reflector (``Reflector.links_op``), as a
:class:`Catalog`. Example::

    db.create_all([Store, Staff])   # store.manager_id -> staff, staff.store_id -> store
    db.drop_all([Store, Staff])     # drops the closing key first, then both tables
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..exceptions import ReferencedTableError
from ..protocol import NONE, Execute, Op
from .ddl import drop_table_sql

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .table import Table

TableKey = tuple[str, str]  # (schema, table name), the schema never empty


@dataclass(frozen=True)
class ForeignKeyLink:
    """One foreign key constraint of the database: table ``table`` of ``schema``
    references ``ref_table`` of ``ref_schema``; ``name`` is the constraint's name (``None``
    on SQLite, where one cannot drop a constraint by name)."""

    schema: str
    table: str
    name: str | None
    ref_schema: str
    ref_table: str

    @property
    def source(self) -> TableKey:
        return (self.schema, self.table)

    @property
    def target(self) -> TableKey:
        return (self.ref_schema, self.ref_table)


@dataclass
class Catalog:
    """What the database holds of a set of tables: ``default_schema`` (the one an
    unqualified name is in: ``current_schema()``, ``DATABASE()``, ``main``), the tables
    that exist (``existing``, as :data:`TableKey`), and every foreign key that references
    one of them (``links``, from any table)."""

    default_schema: str
    existing: set[TableKey] = field(default_factory=set)
    links: list[ForeignKeyLink] = field(default_factory=list)
    fold_case: bool = False  # SQLite: names are compared without regard to case

    def key(self, dialect: Dialect, table: Table) -> TableKey:
        """``table``'s (schema, name), its schema after the ``schema_translate_map``."""
        return self.fold(dialect.schema_of(table) or self.default_schema, table.name)

    def fold(self, schema: str, name: str) -> TableKey:
        return (schema.lower(), name.lower()) if self.fold_case else (schema, name)


def links_op(dialect: Dialect, tables: Sequence[Table]) -> Op[Catalog]:
    """The operation reading the :class:`Catalog` of ``tables``."""
    catalog: Catalog = yield from dialect.reflector().links_op(sorted({t.name for t in tables}))
    return catalog


def existing_op(dialect: Dialect, tables: Sequence[Table]) -> Op[set[Table]]:
    """The operation finding which of ``tables`` exist (for ``create_all(if_not_exists=
    True)``, which adds a cycle's closing keys by ALTER TABLE to the new tables only)."""
    catalog = yield from links_op(dialect, tables)
    return {t for t in tables if catalog.key(dialect, t) in catalog.existing}


def drop_plan(dialect: Dialect, tables: Sequence[Table], catalog: Catalog) -> list[str]:
    """The statements dropping ``tables`` (ordered referenced first, as
    :func:`~ormolu.schema.table.sort_tables` orders them), given the database's
    ``catalog`` of them: the cycle-closing keys first, then ``DROP TABLE IF EXISTS`` of
    each table, referencing tables first.

    Raises ReferencedTableError where a table not in ``tables`` references one of them."""
    order = list(reversed(tables))
    position = {catalog.key(dialect, t): i for i, t in enumerate(order)}
    outside: dict[TableKey, list[TableKey]] = {}
    closing: list[ForeignKeyLink] = []
    for link in catalog.links:
        target, source = catalog.fold(*link.target), catalog.fold(*link.source)
        if target not in position:
            continue  # a table of the same name in another schema
        if source not in position:
            outside.setdefault(target, []).append(source)
        elif source != target and position[target] < position[source]:
            closing.append(link)  # its table is still there when the target is dropped
    if outside:
        raise _referenced_error(catalog, outside)
    statements = dialect.reflector().unlink_sql(closing) if closing else []
    return statements + [drop_table_sql(dialect, t) for t in order]


def drop_op(dialect: Dialect, tables: Sequence[Table]) -> Op[None]:
    """The operation dropping ``tables`` (see the module docstring)."""
    catalog = yield from links_op(dialect, tables)
    for sql in drop_plan(dialect, tables, catalog):
        yield statement(dialect, sql)


def _referenced_error(
    catalog: Catalog, outside: dict[TableKey, list[TableKey]]
) -> ReferencedTableError:
    default = catalog.fold(catalog.default_schema, "")[0]

    def name(key: TableKey) -> str:
        return key[1] if key[0] == default else ".".join(key)

    found = {name(t): sorted({name(s) for s in sources}) for t, sources in outside.items()}
    listed = "; ".join(f"{t} by {', '.join(s)}" for t, s in sorted(found.items()))
    return ReferencedTableError(
        f"drop_all cannot drop tables that tables it is not given reference: {listed} "
        "(add those tables to the models to drop, or drop their foreign keys first)",
        found,
    )


def statement(dialect: Dialect, sql: str, want: str = NONE) -> Execute:
    """``sql`` (no parameters) as a step: a literal '%' doubled where the paramstyle would
    read it as a placeholder (a table may be named ``100%``)."""
    return Execute(sql.replace("%", "%%") if dialect.paramstyle == "format" else sql, want=want)


def literal_list(dialect: Dialect, values: Iterable[str]) -> str:
    """``'a', 'b'`` for ``IN (...)`` of a catalog query (names as literals: the names of
    model tables, never end-user input)."""
    return ", ".join(dialect.render_literal(v) for v in values) or "NULL"
