"""Migration operations on indexes and constraints: indexes (:class:`CreateIndex`,
:class:`DropIndex`), unique, foreign key and check constraints (``Add...``/``Drop...``)
and the values of an enum field (:class:`AlterEnum`). Each is one schema change, as
described in :mod:`ormolu.migrations.operations`, which names them all for migration
files. Example::

    AddForeignKey("album", Fk(("artist_id",), "artist", ("id",), on_delete="CASCADE"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from ..schema.ddl import enum_check_name, enum_check_sql
from ..schema.sqlnorm import in_list
from ..schema.state import (
    CheckState,
    SchemaState,
    TableState,
    UniqueState,
)
from . import ddl
from .opbase import (
    Context,
    Fk,
    Ix,
    Operation,
    Step,
    check_state,
    fk_state,
    index_state,
    replaced,
    table_in,
)
from .rebuild import Rebuild

if TYPE_CHECKING:
    from ..dialects.base import Dialect


@dataclass
class CreateIndex(Operation):
    table: str
    index: Ix

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.table, self)
        ix = index_state(ctx, self.index)
        return state.with_table(replaced(t0, indexes=t0.indexes | {ix}))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        return [ddl.create_index(ctx.dialect, self.table, index_state(ctx, self.index))]

    def describe(self) -> str:
        return f"create index {self.index.name} on {self.table}"


@dataclass
class DropIndex(Operation):
    table: str
    name: str

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.table, self)
        keep = frozenset(i for i in t0.indexes if i.name != self.name)
        if len(keep) == len(t0.indexes):
            raise ConfigurationError(f"{self.describe()}: there is no such index")
        return state.with_table(replaced(t0, indexes=keep))

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
        t0 = table_in(state, self.table, self)
        u = UniqueState(tuple(self.columns), self.name)
        return state.with_table(ctx.reflector.adjust(replaced(t0, uniques=t0.uniques | {u})))

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
        t0 = table_in(state, self.table, self)
        cols = tuple(self.columns)
        return state.with_table(
            replaced(t0, uniques=frozenset(u for u in t0.uniques if u.columns != cols))
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
        t0 = table_in(state, self.table, self)
        return state.with_table(
            replaced(t0, foreign_keys=t0.foreign_keys | {fk_state(ctx, self.foreign_key)})
        )

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        return [ddl.add_foreign_key(ctx.dialect, self.table, fk_state(ctx, self.foreign_key))]

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
        t0 = table_in(state, self.table, self)
        cols = tuple(self.columns)
        keep = frozenset(
            f for f in t0.foreign_keys if (f.columns, f.ref_table) != (cols, self.ref_table)
        )
        return state.with_table(replaced(t0, foreign_keys=keep))

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
        t0 = table_in(state, self.table, self)
        c = check_state(ctx, self.sql, self.name)
        return state.with_table(replaced(t0, checks=t0.checks | {c}))

    def steps(self, state: SchemaState, ctx: Context) -> list[Step]:
        if not ctx.dialect.supports_alter_column:
            return [self._rebuild(state, ctx, self.table)]
        name = self.name or ddl.constraint_name(self.table, (), "check")
        return [ddl.add_check(ctx.dialect, self.table, check_state(ctx, self.sql, name))]

    def describe(self) -> str:
        return f"add check on {self.table} ({self.sql})"


@dataclass
class DropCheck(Operation):
    table: str
    sql: str
    name: str | None = None

    def apply(self, state: SchemaState, ctx: Context) -> SchemaState:
        t0 = table_in(state, self.table, self)
        canon = ctx.reflector.canonical_check(self.sql)
        return state.with_table(
            replaced(t0, checks=frozenset(c for c in t0.checks if c.sql != canon))
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
        t0 = table_in(state, self.table, self)
        if not t0.has_column(self.column):
            raise ConfigurationError(f"{self.describe()}: there is no such column")
        old, new = self._new_check(t0, ctx)
        checks = {c for c in t0.checks if c != old} | {new}
        return state.with_table(replaced(t0, checks=frozenset(checks)))

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
        t0 = table_in(state, self.table, self)
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
