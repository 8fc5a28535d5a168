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
from ..schema import types as t
from ..schema.ddl import enum_check_name, enum_check_sql
from ..schema.sqlnorm import in_list, join_tokens, tokenize
from ..schema.state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    SchemaState,
    TableState,
    UniqueState,
)
from ..schema.table import Column, Table
from ..sql.elements import TextClause
from . import ddl
from .rebuild import Rebuild

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..session.session import Session

Step = str | Rebuild


class Context:
    """What operations need to know of the target: the dialect (and its reflector)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.reflector = dialect.reflector()

    def column_state(self, col: Col, keyed: bool = False) -> ColumnState:
        """The state of ``col`` on this dialect, as ``create_all`` would declare it."""
        default: Any = TextClause(col.default, {}) if col.default is not None else None
        column = Column(
            col.name,
            col.type,
            nullable=col.nullable,
            primary_key=col.autoincrement,
            autoincrement=col.autoincrement or None,
            index=keyed,
            server_default=default,
        )
        table = Table("t", [column])
        state: ColumnState = self.reflector.column_state(table, column)
        if col.comment:
            state = ColumnState(
                state.name, state.type, state.nullable, state.default, state.autoincrement,
                state.collation, col.comment, state.sqltype, state.default_text,
            )  # fmt: skip
        return state


@dataclass(frozen=True)
class Col:
    """A column in an operation: ``default`` is a server default's SQL text."""

    name: str
    type: t.SQLType
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class Ix:
    """An index in an operation (``orders``: ``"ASC"``/``"DESC"`` per column)."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    orders: tuple[str, ...] = ()
    where: str | None = None


@dataclass(frozen=True)
class Fk:
    """A foreign key in an operation."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    name: str | None = None


def _index_state(ctx: Context, ix: Ix) -> IndexState:
    orders = ix.orders or ("ASC",) * len(ix.columns)
    where = ctx.reflector.canonical_check(ix.where) if ix.where else None
    return IndexState(tuple(ix.columns), ix.unique, tuple(orders), where, ix.name)


def _fk_state(ctx: Context, fk: Fk) -> ForeignKeyState:
    r = ctx.reflector
    return ForeignKeyState(
        tuple(fk.columns),
        fk.ref_table,
        tuple(fk.ref_columns),
        r.canonical_action(fk.on_delete),
        r.canonical_action(fk.on_update),
        fk.name,
    )


def _check_state(ctx: Context, sql: str, name: str | None) -> CheckState:
    return CheckState(ctx.reflector.canonical_check(sql), name, sql)


def _table(state: SchemaState, name: str, op: Operation) -> TableState:
    try:
        return state.table(name)
    except KeyError:
        raise ConfigurationError(f"{op.describe()}: there is no table {name!r}") from None


class Operation:
    """Base of all operations."""

    destructive = False

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        raise NotImplementedError

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def _rebuild(self, state: SchemaState, ctx: Context, table: str, renames: Any = None) -> Step:
        new = self.apply(state, ctx).table(table)
        return Rebuild(state.table(table), new, dict(renames or {}))


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
            [_index_state(ctx, ix) for ix in self.indexes],
            [UniqueState(tuple(c), n) for c, n in self.uniques],
            [_fk_state(ctx, fk) for fk in self.foreign_keys],
            [_check_state(ctx, sql, n) for sql, n in self.checks],
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
        out += [ddl.create_index(d, self.name, ix) for ix in sorted(ts.indexes, key=_ix_key)]
        return out

    def describe(self) -> str:
        return f"create table {self.name}"


def _ix_key(ix: IndexState) -> str:
    return ix.name


@dataclass
class DropTable(Operation):
    name: str
    destructive = True

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        _table(state, self.name, self)
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
        t0 = _table(state, self.old, self)
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
                out = out.with_table(_replace(other, foreign_keys=frozenset(fks)))
        return out

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return [ddl.rename_table(ctx.dialect, self.old, self.new)]

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"


def _replace(t0: TableState, **changes: Any) -> TableState:
    from dataclasses import replace

    return replace(t0, **changes)


@dataclass
class AddColumn(Operation):
    table: str
    column: Col

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
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
        t0 = _table(state, self.table, self)
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
        t0 = _table(state, self.table, self)
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
                out = out.with_table(_replace(other, foreign_keys=frozenset(fks)))
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
        t0 = _table(state, self.table, self)
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
class CreateIndex(Operation):
    table: str
    index: Ix

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        ix = _index_state(ctx, self.index)
        return state.with_table(_replace(t0, indexes=t0.indexes | {ix}))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return [ddl.create_index(ctx.dialect, self.table, _index_state(ctx, self.index))]

    def describe(self) -> str:
        return f"create index {self.index.name} on {self.table}"


@dataclass
class DropIndex(Operation):
    table: str
    name: str

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        keep = frozenset(i for i in t0.indexes if i.name != self.name)
        if len(keep) == len(t0.indexes):
            raise ConfigurationError(f"{self.describe()}: there is no such index")
        return state.with_table(_replace(t0, indexes=keep))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return [ddl.drop_index(ctx.dialect, self.table, self.name)]

    def describe(self) -> str:
        return f"drop index {self.name} on {self.table}"


@dataclass
class AddUnique(Operation):
    table: str
    columns: tuple[str, ...]
    name: str | None = None

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        u = UniqueState(tuple(self.columns), self.name)
        return state.with_table(ctx.reflector.adjust(_replace(t0, uniques=t0.uniques | {u})))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        name = self.name or ddl.constraint_name(self.table, self.columns, "key")
        return [ddl.add_unique(ctx.dialect, self.table, UniqueState(tuple(self.columns), name))]

    def describe(self) -> str:
        return f"add unique constraint on {self.table} ({', '.join(self.columns)})"


@dataclass
class DropUnique(Operation):
    table: str
    columns: tuple[str, ...]
    name: str | None = None

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        cols = tuple(self.columns)
        return state.with_table(
            _replace(t0, uniques=frozenset(u for u in t0.uniques if u.columns != cols))
        )

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        name = self.name or ddl.constraint_name(self.table, self.columns, "key")
        return [ddl.drop_constraint(ctx.dialect, self.table, name)]

    def describe(self) -> str:
        return f"drop unique constraint on {self.table} ({', '.join(self.columns)})"


@dataclass
class AddForeignKey(Operation):
    table: str
    foreign_key: Fk

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        return state.with_table(
            _replace(t0, foreign_keys=t0.foreign_keys | {_fk_state(ctx, self.foreign_key)})
        )

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        return [ddl.add_foreign_key(ctx.dialect, self.table, _fk_state(ctx, self.foreign_key))]

    def describe(self) -> str:
        fk = self.foreign_key
        return f"add foreign key {self.table} ({', '.join(fk.columns)}) -> {fk.ref_table}"


@dataclass
class DropForeignKey(Operation):
    table: str
    columns: tuple[str, ...]
    ref_table: str
    name: str | None = None

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        cols = tuple(self.columns)
        keep = frozenset(
            f for f in t0.foreign_keys if (f.columns, f.ref_table) != (cols, self.ref_table)
        )
        return state.with_table(_replace(t0, foreign_keys=keep))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        name = self.name or ddl.constraint_name(self.table, self.columns, "fkey")
        return [ddl.drop_foreign_key(ctx.dialect, self.table, name)]

    def describe(self) -> str:
        return f"drop foreign key {self.table} ({', '.join(self.columns)}) -> {self.ref_table}"


@dataclass
class AddCheck(Operation):
    table: str
    sql: str
    name: str | None = None

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        c = _check_state(ctx, self.sql, self.name)
        return state.with_table(_replace(t0, checks=t0.checks | {c}))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        name = self.name or ddl.constraint_name(self.table, (), "check")
        return [ddl.add_check(ctx.dialect, self.table, _check_state(ctx, self.sql, name))]

    def describe(self) -> str:
        return f"add check on {self.table} ({self.sql})"


@dataclass
class DropCheck(Operation):
    table: str
    sql: str
    name: str | None = None

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        canon = ctx.reflector.canonical_check(self.sql)
        return state.with_table(
            _replace(t0, checks=frozenset(c for c in t0.checks if c.sql != canon))
        )

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        name = self.name
        if name is None:
            canon = ctx.reflector.canonical_check(self.sql)
            found = [c.name for c in state.table(self.table).checks if c.sql == canon]
            name = found[0] if found and found[0] else ddl.constraint_name(self.table, (), "check")
        return [ddl.drop_constraint(ctx.dialect, self.table, name)]

    def describe(self) -> str:
        return f"drop check on {self.table} ({self.sql})"


def enum_check(t0: TableState, column: str) -> tuple[CheckState, tuple[Any, ...]] | None:
    """The CHECK constraint holding ``column`` of ``t0`` to a list of values (an enum
    column's, see :func:`ormolu.schema.ddl.enum_checks`) and those values, if any."""
    for c in sorted(t0.checks, key=lambda c: c.sql):
        found = in_list(c.sql)
        if found is not None and found[0] == column.lower():
            return c, found[1]
    return None


@dataclass
class AlterEnum(Operation):
    """Change the values an enum column accepts (its CHECK constraint) to ``values``.

    ``renames`` maps a value renamed to its new spelling: rows holding it are updated
    (the inverse renames them back). ``removed`` maps each value taken away to what rows
    holding it get: ``None`` sets them to NULL (fails on a NOT NULL column if any row
    holds it: edit the file to map it to another value). A removal loses data, so the
    operation is destructive. Values only added need no data change.

    Runs as: rows of values removed moved first (while the old constraint stands, when
    they move to NULL or an old value), the old constraint dropped, renamed values
    updated in one ``UPDATE ... CASE`` (so swapping two names works), the new constraint
    added; on SQLite, one table rebuild copying the column through that ``CASE``.

    Example::

        AlterEnum("ticket", "status", ("open", "closed"), renames={"done": "closed"})
    """

    table: str
    column: str
    values: tuple[Any, ...]
    renames: dict[Any, Any] = field(default_factory=dict)
    removed: dict[Any, Any] = field(default_factory=dict)

    @property
    def destructive(self) -> bool:  # type: ignore[override]
        return bool(self.removed)

    def _new_check(self, t0: TableState, ctx: Context) -> tuple[CheckState | None, CheckState]:
        found = enum_check(t0, self.column)
        old = found[0] if found else None
        name = (old.name if old else None) or enum_check_name(ctx.dialect, t0.name, self.column)
        text = enum_check_sql(ctx.dialect, self.column, tuple(self.values))
        return old, CheckState(ctx.reflector.canonical_check(text), name, text)

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = _table(state, self.table, self)
        if not t0.has_column(self.column):
            raise ConfigurationError(f"{self.describe()}: there is no such column")
        old, new = self._new_check(t0, ctx)
        checks = {c for c in t0.checks if c != old} | {new}
        return state.with_table(_replace(t0, checks=frozenset(checks)))

    def _case(self, d: Dialect, mapping: dict[Any, Any]) -> str:
        q, lit = d.quote(self.column), d.render_literal
        whens = " ".join(f"WHEN {lit(a)} THEN {lit(b)}" for a, b in mapping.items())
        return f"CASE {q} {whens} ELSE {q} END"

    def _update(self, d: Dialect, mapping: dict[Any, Any]) -> str:
        q, lit = d.quote, d.render_literal
        keys = ", ".join(lit(k) for k in mapping)
        return (
            f"UPDATE {q(self.table)} SET {q(self.column)} = {self._case(d, mapping)} "
            f"WHERE {q(self.column)} IN ({keys})"
        )

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        d = ctx.dialect
        t0 = _table(state, self.table, self)
        old, new = self._new_check(t0, ctx)
        moves = {**self.removed, **self.renames}
        if not d.supports_alter_column:
            convert = {self.column: self._case(d, moves)} if moves else {}
            new_t = self.apply(state, ctx).table(self.table)
            return [Rebuild(t0, new_t, {}, convert)]
        old_values = set(enum_check(t0, self.column)[1]) if old else set()  # type: ignore[index]
        early = {k: v for k, v in self.removed.items() if v is None or v in old_values}
        late = {k: v for k, v in moves.items() if k not in early}
        out: list[Step] = [self._update(d, early)] if early else []
        if old is not None:
            out.append(ddl.drop_constraint(d, self.table, old.name or new.name or ""))
        if late:
            out.append(self._update(d, late))
        out.append(ddl.add_check(d, self.table, new))
        return out

    def describe(self) -> str:
        what = [f"rename {a!r} to {b!r}" for a, b in self.renames.items()]
        what += [
            f"remove {a!r} (rows holding it get {'NULL' if b is None else repr(b)})"
            for a, b in self.removed.items()
        ]
        now = "now " + ", ".join(repr(v) for v in self.values)
        return f"enum values of {self.table}.{self.column}: {'; '.join(what) or now}"


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
    "RunPython", "RunSQL",
]  # fmt: skip
