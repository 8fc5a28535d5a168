"""Migration operations: one schema change each, written into migration files.

An operation is dialect-neutral data (table and column names, ormolu types, SQL text of
defaults and conditions), so one migration file runs on every backend. Given the schema
state before it and a :class:`Context` (the dialect), an operation says

* ``apply(state, ctx)``: the state after it (used to replay migrations without a
  database: ``ormolu migrate make`` against the last migration, ``ormolu migrate sql``);
* ``steps(state, ctx)``: what to run: SQL statements, or a :class:`~.rebuild.Rebuild` of
  a table where the backend's ALTER TABLE cannot make the change
  (``Dialect.supports_alter_column``; SQLite's "other kinds of table schema changes").

``destructive`` marks operations that lose data (dropping a table or a column, narrowing
a type); ``ormolu migrate make`` writes them only with ``--allow-destructive``.

The operations on tables and columns, and the raw ones (:class:`RunSQL`,
:class:`RunPython`), are defined here; those on indexes and constraints in
:mod:`ormolu.migrations.constraints`, and the base (:class:`Operation`,
:class:`Context`, :class:`Col`, :class:`Ix`, :class:`Fk`) in
:mod:`ormolu.migrations.opbase`. This module names them all: migration files import
every operation from here.

Example (a migration file's ``upgrade``)::

    def upgrade() -> list[Operation]:
        return [
            AddColumn("album", Col("year", t.Integer(4), nullable=True)),
            CreateIndex("album", Ix("ix_album_year", ("year",))),
        ]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from ..schema.sqlnorm import join_tokens, tokenize
from ..schema.state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    SchemaState,
    TableState,
    UniqueState,
)
from . import ddl
from .constraints import (
    AddCheck,
    AddForeignKey,
    AddUnique,
    AlterEnum,
    CreateIndex,
    DropCheck,
    DropForeignKey,
    DropIndex,
    DropUnique,
    enum_check,
)
from .opbase import (
    Col,
    Context,
    Fk,
    Ix,
    Operation,
    Step,
    check_state,
    fk_state,
    index_key,
    index_state,
    replaced,
    table_in,
)

if TYPE_CHECKING:
    from ..session.session import Session


@dataclass
class CreateTable(Operation):
    name: str
    columns: Sequence[Col]
    primary_key: tuple[str, ...] = ()
    indexes: Sequence[Ix] = ()
    uniques: Sequence[tuple[tuple[str, ...], str | None]] = ()
    foreign_keys: Sequence[Fk] = ()
    checks: Sequence[tuple[str, str | None]] = ()

    def table_state(self, ctx: Context) -> TableState:
        keyed = set(self.primary_key)
        for ix in self.indexes:
            keyed.update(ix.columns)
        for unique_cols, _ in self.uniques:
            keyed.update(unique_cols)
        for fk in self.foreign_keys:
            keyed.update(fk.columns)
        cols = [ctx.column_state(c, c.name in keyed) for c in self.columns]
        state = TableState.build(
            self.name,
            cols,
            self.primary_key,
            [index_state(ctx, ix) for ix in self.indexes],
            [UniqueState(tuple(c), n) for c, n in self.uniques],
            [fk_state(ctx, fk) for fk in self.foreign_keys],
            [check_state(ctx, sql, n) for sql, n in self.checks],
        )
        return ctx.reflector.adjust(state)  # type: ignore[no-any-return]

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        if state.has_table(self.name):
            raise ConfigurationError(f"{self.describe()}: the table exists already")
        return state.with_table(self.table_state(ctx))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        ts = self.table_state(ctx)
        d = ctx.dialect
        out: list[Step] = [ddl.create_table(d, ts)]
        out += [ddl.create_index(d, self.name, ix) for ix in sorted(ts.indexes, key=index_key)]
        return out

    def describe(self) -> str:
        return f"create table {self.name}"


@dataclass
class DropTable(Operation):
    name: str
    destructive = True

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        table_in(state, self.name, self)
        return state.without_table(self.name)

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return [ddl.drop_table(ctx.dialect, self.name)]

    def describe(self) -> str:
        return f"drop table {self.name}"


@dataclass
class RenameTable(Operation):
    old: str
    new: str

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.old, self)
        renamed = TableState(
            self.new, t0.columns, t0.primary_key, t0.indexes, t0.uniques, t0.foreign_keys,
            t0.checks, t0.comment, t0.column_order,
        )  # fmt: skip
        out = state.without_table(self.old).with_table(renamed)
        # foreign keys of other tables follow the rename (as the database does)
        for other in list(out.tables):
            fks = {
                ForeignKeyState(
                    f.columns, self.new, f.ref_columns, f.on_delete, f.on_update, f.name
                )
                if f.ref_table == self.old
                else f
                for f in other.foreign_keys
            }
            if fks != set(other.foreign_keys):
                out = out.with_table(replaced(other, foreign_keys=frozenset(fks)))
        return out

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return [ddl.rename_table(ctx.dialect, self.old, self.new)]

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"


@dataclass
class AddColumn(Operation):
    table: str
    column: Col

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.table, self)
        if t0.has_column(self.column.name):
            raise ConfigurationError(f"{self.describe()}: the column exists already")
        cols = [*t0.ordered_columns(), ctx.column_state(self.column)]
        return state.with_table(ctx.reflector.adjust(t0.with_columns(cols)))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        c = ctx.column_state(self.column)
        if not ctx.dialect.supports_alter_column and not c.nullable and c.default is None:
            # ALTER TABLE ADD COLUMN cannot add a NOT NULL column without a default here
            return [self._rebuild(state, ctx, self.table)]
        return [ddl.add_column(ctx.dialect, self.table, c)]

    def describe(self) -> str:
        return f"add column {self.table}.{self.column.name}"


@dataclass
class DropColumn(Operation):
    table: str
    name: str
    destructive = True

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.table, self)
        if not t0.has_column(self.name):
            raise ConfigurationError(f"{self.describe()}: there is no such column")
        n = self.name
        cols = [c for c in t0.ordered_columns() if c.name != n]
        return state.with_table(
            t0.with_columns(
                cols,
                indexes=frozenset(i for i in t0.indexes if n not in i.columns),
                uniques=frozenset(u for u in t0.uniques if n not in u.columns),
                foreign_keys=frozenset(f for f in t0.foreign_keys if n not in f.columns),
            )
        )

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        return [ddl.drop_column(ctx.dialect, self.table, self.name)]

    def describe(self) -> str:
        return f"drop column {self.table}.{self.name}"


@dataclass
class RenameColumn(Operation):
    table: str
    old: str
    new: str

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.table, self)
        if not t0.has_column(self.old):
            raise ConfigurationError(f"{self.describe()}: there is no such column")

        def ren(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(self.new if n == self.old else n for n in names)

        cols = [
            ColumnState(
                self.new,
                c.type,
                c.nullable,
                c.default,
                c.autoincrement,
                c.collation,
                c.comment,
                c.sqltype,
                c.default_text,
            )
            if c.name == self.old
            else c
            for c in t0.ordered_columns()
        ]
        checks = frozenset(self._renamed_check(c, ctx) for c in t0.checks)
        new_t = t0.with_columns(
            cols,
            checks=checks,
            primary_key=ren(t0.primary_key),
            indexes=frozenset(
                IndexState(ren(i.columns), i.unique, i.orders, i.where, i.name) for i in t0.indexes
            ),
            uniques=frozenset(UniqueState(ren(u.columns), u.name) for u in t0.uniques),
            foreign_keys=frozenset(
                ForeignKeyState(
                    ren(f.columns), f.ref_table, f.ref_columns, f.on_delete, f.on_update, f.name
                )
                for f in t0.foreign_keys
            ),
        )
        out = state.with_table(new_t)
        for other in list(out.tables):
            fks = {
                ForeignKeyState(
                    f.columns, f.ref_table, ren(f.ref_columns), f.on_delete, f.on_update, f.name
                )
                if f.ref_table == self.table
                else f
                for f in other.foreign_keys
            }
            if fks != set(other.foreign_keys):
                out = out.with_table(replaced(other, foreign_keys=frozenset(fks)))
        return out

    def _renamed_check(self, c: CheckState, ctx: Context) -> CheckState:
        """``c`` naming the new column (as the database rewrites it: PostgreSQL and
        SQLite's RENAME COLUMN, MySQL's), so a later rebuild or comparison sees it."""
        text = c.text or c.sql
        if "\\" in text:
            return c  # (MySQL's backslash escapes: left as the database wrote them)
        try:
            tokens = tokenize(text)
        except ValueError:
            return c
        hits = [
            k for k in tokens if k.kind in ("id", "word") and k.text.lower() == self.old.lower()
        ]
        if not hits:
            return c
        for k in hits:
            k.kind, k.text = "id", self.new
        text = join_tokens(tokens, ctx.dialect.identifier_quote)
        return CheckState(ctx.reflector.canonical_check(text), c.name, text)

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return [ddl.rename_column(ctx.dialect, self.table, self.old, self.new)]

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"


@dataclass
class AlterColumn(Operation):
    """Change a column's type, nullability or server default to those of ``column``.
    ``narrowing`` marks a change that may lose data (a shorter type, another type)."""

    table: str
    column: Col
    narrowing: bool = False

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        return self.narrowing

    def _keyed(self, t0: TableState) -> bool:
        n = self.column.name
        return (
            n in t0.primary_key
            or any(n in i.columns for i in t0.indexes)
            or any(n in u.columns for u in t0.uniques)
            or any(n in f.columns for f in t0.foreign_keys)
        )

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.table, self)
        if not t0.has_column(self.column.name):
            raise ConfigurationError(f"{self.describe()}: there is no such column")
        new = ctx.column_state(self.column, self._keyed(t0))
        cols = [new if c.name == new.name else c for c in t0.ordered_columns()]
        return state.with_table(ctx.reflector.adjust(t0.with_columns(cols)))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        t0 = state.table(self.table)
        old = t0.column(self.column.name)
        new = ctx.column_state(self.column, self._keyed(t0))
        return list(ddl.alter_column(ctx.dialect, self.table, old, new))

    def describe(self) -> str:
        return f"alter column {self.table}.{self.column.name}"


@dataclass
class RunSQL(Operation):
    """Statements written by hand (in the dialect's SQL; no parameters)."""

    sql: Sequence[str]

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        return state

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return list(self.sql)

    def describe(self) -> str:
        return "run SQL: " + "; ".join(s.split("\n")[0][:60] for s in self.sql)


@dataclass
class RunPython(Operation):
    """A data migration: ``function(session)`` runs inside the migration's transaction
    (the session of the runner; use its public API: query, add, insert_many, execute).

    Example::

        def fill_slug(s: Session) -> None:
            for a in s.query(Album).all():
                a.slug = a.title.lower().replace(" ", "-")

        RunPython(fill_slug)
    """

    function: Callable[[Session], Any]
    description: str = field(default="")

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        return state

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return []

    def describe(self) -> str:
        name = getattr(self.function, "__name__", "function")
        return self.description or f"run {name}()"


__all__ = [
    "AddCheck", "AddColumn", "AddForeignKey", "AddUnique", "AlterColumn", "AlterEnum", "Col",
    "Context",
    "CreateIndex", "CreateTable", "DropCheck", "DropColumn", "DropForeignKey", "DropIndex",
    "DropTable", "DropUnique", "Fk", "Ix", "Operation", "RenameColumn", "RenameTable",
    "RunPython", "RunSQL", "Step", "enum_check",
]  # fmt: skip
