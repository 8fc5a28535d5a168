"""The reflector base: how a dialect reads a live schema and normalises what it reads.

Each backend's ``dialects/<backend>/reflect.py`` subclasses :class:`Reflector`. Its
:meth:`~Reflector.reflect` is an operation of the protocol (:mod:`ormolu.protocol`):
a generator yielding ``Execute(..., want=ROWS)`` steps and parsing ``reply.rows``, with no
I/O of its own, so it runs in a session (``session.run(reflector.reflect())``) and is
tested against a fake connection. The same reflector normalises the models' side
(:meth:`~Reflector.table_state`), so the two states compare equal exactly when the
database holds what ``create_all`` would create.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..protocol import Op
from ..schema import types as t
from ..schema.ddl import (
    checked_name,
    column_sql,
    enum_checks,
    generated_name,
    has_own_index,
    render_condition,
)
from ..schema.sqlnorm import normalize_expression
from ..schema.state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    SchemaState,
    TableState,
    UniqueState,
)
from ..sql.elements import TextClause

if TYPE_CHECKING:
    from ..schema.cycles import Catalog, ForeignKeyLink
    from ..schema.table import Column, Table
    from .base import Dialect

_TYPE_ARGS = re.compile(r"^(?P<base>[^(]*)\s*(?:\((?P<args>[^)]*)\))?\s*(?P<rest>.*)$")


def split_type(sql: str) -> tuple[str, tuple[str, ...], str]:
    """``"NUMERIC(10, 2) UNSIGNED"`` → ``("NUMERIC", ("10", "2"), "UNSIGNED")``."""
    m = _TYPE_ARGS.match(sql.strip())
    assert m is not None
    args = tuple(a.strip() for a in (m.group("args") or "").split(",") if a.strip())
    return " ".join(m.group("base").split()), args, " ".join(m.group("rest").split())


class Reflector:
    """Reads and normalises one dialect's schema. Subclasses override the hooks."""

    # A UNIQUE constraint is a unique index on this backend (no way to tell them apart).
    unique_constraints_are_indexes = False
    # How ALTER TABLE differs here (see ormolu.migrations.ddl): a column change restates
    # the whole column definition (MODIFY COLUMN); the clause dropping a foreign key;
    # DROP INDEX names the table; a type change says how to convert (USING CAST).
    alter_restates_column = False
    drop_foreign_key_clause = "DROP CONSTRAINT"
    drop_index_names_table = False
    alter_type_uses_cast = False

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    # -- reading the database --------------------------------------------------------------
    def reflect(self, only: Sequence[str] | None = None) -> Op[SchemaState]:
        """The operation reading every table of the current schema (or those named in
        ``only``) into a :class:`SchemaState`."""
        raise NotImplementedError
        yield  # pragma: no cover

    # -- create_all / drop_all of tables in a cycle (ormolu.schema.cycles) ----------------
    def links_op(self, names: Sequence[str]) -> Op[Catalog]:
        """The operation reading the :class:`~ormolu.schema.cycles.Catalog` of the tables
        named ``names``, in every schema: which exist, and every foreign key (of any
        table) that references one of them."""
        raise NotImplementedError
        yield  # pragma: no cover

    def unlink_sql(self, links: Sequence[ForeignKeyLink]) -> list[str]:
        """The statements that take the foreign keys ``links`` out of the way of the DROP
        TABLE of the tables they reference (``drop_all``): each dropped by its name."""
        q = self.dialect.quote
        return [
            f"ALTER TABLE {q(k.schema)}.{q(k.table)} {self.drop_foreign_key_clause} "
            f"{q(k.name or '')}"
            for k in links
        ]

    # -- migrations -----------------------------------------------------------------------
    def rebuild(self, rb: Any, progress: Any = None) -> Op[int]:
        """The operation rebuilding a table (backends without ALTER COLUMN)."""
        raise NotImplementedError
        yield  # pragma: no cover

    def begin_migration(self, rebuilds: bool) -> Op[Any]:
        """Run first in a migration's transaction (``rebuilds``: it rebuilds tables);
        returns a token for :meth:`end_migration` / :meth:`abort_migration`."""
        return None
        yield  # pragma: no cover

    def end_migration(self, token: Any) -> Op[None]:
        """Run last in a migration's transaction, before the commit."""
        return
        yield  # pragma: no cover

    def abort_migration(self, token: Any) -> Op[None]:
        """Run after a failed step, before the rollback."""
        return
        yield  # pragma: no cover

    # -- normalisation (both sides) --------------------------------------------------------
    def canonical_type(self, sql: str) -> str:
        """The canonical spelling of a column type (valid DDL on this backend)."""
        base, args, rest = split_type(sql)
        text = base.upper() + (f"({','.join(args)})" if args else "")
        return f"{text} {rest.upper()}" if rest else text

    def canonical_default(self, sql: str | None, type_: str) -> str | None:
        """The canonical form of a server default's SQL (``None``: no default)."""
        if sql is None:
            return None
        sql = sql.strip()
        if sql.upper() == "NULL" or not sql:
            return None
        return normalize_expression(sql)

    def canonical_check(self, sql: str) -> str:
        """The canonical form of a CHECK condition."""
        return normalize_expression(sql)

    def canonical_action(self, action: str | None) -> str:
        """A referential action (SQL:2016 §11.8); NO ACTION when none is given."""
        return " ".join((action or "NO ACTION").upper().split())

    def canonical_collation(self, collation: str | None) -> str | None:
        return collation

    def adjust(self, table: TableState) -> TableState:
        """Last normalisation of a table state, applied to both sides."""
        if not self.unique_constraints_are_indexes or not table.uniques:
            return table
        extra = {
            IndexState(u.columns, True, ("ASC",) * len(u.columns), None, u.name or "")
            for u in table.uniques
        }
        return TableState(
            table.name,
            table.columns,
            table.primary_key,
            table.indexes | extra,
            frozenset(),
            table.foreign_keys,
            table.checks,
            table.comment,
            table.column_order,
        )

    # -- types back to ormolu --------------------------------------------------------------
    def sqltype_for(self, type_: str) -> t.SQLType:
        """Ormolu's type for a canonical column type (best effort: unknown types become
        :class:`~ormolu.schema.types.DeclaredType`, which keeps the declared text)."""
        base, args, _ = split_type(type_)
        b = base.lower()
        nums = [int(a) for a in args if a.isdigit()]
        if b in ("boolean", "bool"):
            return t.Boolean()
        if b in ("smallint", "int2"):
            return t.Integer(2)
        if b in ("integer", "int", "int4", "mediumint"):
            return t.Integer(4)
        if b in ("bigint", "int8"):
            return t.Integer(8)
        if b in ("real", "double", "double precision", "float", "float8", "float4"):
            return t.Float()
        if b in ("varchar", "character varying", "char", "character", "nvarchar", "nchar"):
            return t.String(nums[0] if nums else None)
        if b in ("text", "longtext", "mediumtext", "clob"):
            return t.String()
        if b in ("numeric", "decimal"):
            return t.Numeric(nums[0], nums[1] if len(nums) > 1 else 0) if nums else t.Numeric()
        if b in ("timestamp", "datetime"):
            return t.DateTime()
        if b in ("timestamp with time zone", "timestamptz"):
            return t.DateTime(timezone=True)
        if b == "date":
            return t.Date()
        if b in ("time", "time without time zone"):
            return t.Time()
        if b in ("blob", "bytea", "longblob", "binary", "varbinary"):
            return t.Bytes()
        if b == "uuid":
            return t.Uuid()
        if b in ("json", "jsonb"):
            return t.Json()
        if b == "interval":
            return t.Interval()
        return t.DeclaredType(type_, python_type=str)

    # -- the models' side ------------------------------------------------------------------
    def model_type(self, table: Table, col: Column) -> tuple[str, str | None]:
        """(canonical type, collation) of a model column as ``create_all`` declares it."""
        from ..schema.ddl import _is_keyed

        sql = self.dialect.column_type_sql(col.type, _is_keyed(table, col))
        collation = None
        if " COLLATE " in sql:
            sql, collation = sql.split(" COLLATE ", 1)
        if col is table.autoincrement_column:
            sql = self.autoincrement_type(sql)
        return self.canonical_type(sql), self.canonical_collation(collation)

    def autoincrement_type(self, type_sql: str) -> str:
        """The column type of a database-generated key declared with ``type_sql``."""
        return type_sql

    def column_state(self, table: Table, col: Column) -> ColumnState:
        """The state of one model column."""
        type_, collation = self.model_type(table, col)
        default_text = None
        if col.server_default is not None:
            value = col.server_default
            default_text = (
                value.text if isinstance(value, TextClause) else self.dialect.render_literal(value)
            )
        column_sql(self.dialect, table, col)  # the checks create_all makes (names, lengths)
        return ColumnState(
            col.name,
            type_,
            col.nullable,
            self.canonical_default(default_text, type_),
            col is table.autoincrement_column,
            collation,
            None,
            col.type,
            default_text,
        )

    def table_state(self, table: Table) -> TableState:
        """The state ``create_all`` gives ``table`` on this dialect."""
        d = self.dialect
        checked_name(d, table.name, "table")
        columns = [self.column_state(table, c) for c in table.columns]
        indexes: list[IndexState] = []
        uniques: list[UniqueState] = []
        checks: list[CheckState] = []
        fks: list[ForeignKeyState] = []
        for c in table.columns:
            if has_own_index(table, c):
                name = generated_name(d, f"ix_{table.name}_{c.name}")
                indexes.append(IndexState((c.name,), False, ("ASC",), None, name))
            if c.unique:
                uniques.append(UniqueState((c.name,)))
            if c.check is not None:
                cond = c.check if isinstance(c.check, str) else c.check(c.ref)
                text = render_condition(d, cond)
                checks.append(CheckState(self.canonical_check(text), None, text))
            fk = c.foreign_key
            if fk is not None and fk.column is not None and fk.column.table is not None:
                fks.append(
                    ForeignKeyState(
                        (c.name,),
                        fk.column.table.name,
                        (fk.column.name,),
                        self.canonical_action(fk.on_delete),
                        self.canonical_action(fk.on_update),
                    )
                )
        for ix in table.indexes:
            cols = tuple(c.name for c in ix.columns)
            name = ix.name or generated_name(d, f"ix_{table.name}_" + "_".join(cols))
            indexes.append(IndexState(cols, ix.unique, ("ASC",) * len(cols), None, name))
        for u in table.uniques:
            uniques.append(UniqueState(tuple(c.name for c in u.columns), u.name))
        for check_name, cond in table.checks:
            text = render_condition(d, cond)
            checks.append(CheckState(self.canonical_check(text), check_name, text))
        for check_name, text in enum_checks(d, table):
            checks.append(CheckState(self.canonical_check(text), check_name, text))
        for fkc in table.foreign_key_constraints:
            if fkc.referenced:
                ref = fkc.referenced[0].table
                assert ref is not None
                fks.append(
                    ForeignKeyState(
                        tuple(c.name for c in fkc.columns),
                        ref.name,
                        tuple(c.name for c in fkc.referenced),
                        self.canonical_action(fkc.on_delete),
                        self.canonical_action(fkc.on_update),
                        fkc.name,
                    )
                )
        state = TableState.build(
            table.name,
            columns,
            tuple(c.name for c in table.primary_key),
            indexes,
            uniques,
            fks,
            checks,
        )
        return self.adjust(state)


def rows_by(rows: list[Any], key: int = 0) -> dict[Any, list[Any]]:
    """Group result rows by the value in column ``key``."""
    out: dict[Any, list[Any]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out
