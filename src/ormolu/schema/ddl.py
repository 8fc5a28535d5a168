"""DDL: CREATE/DROP TABLE and CREATE INDEX text for a dialect.

DDL cannot carry bound parameters, so server defaults and CHECK conditions are rendered
with the dialect's literal renderer (quotes doubled, NUL refused); they come from model
declarations, never from end-user input.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from ..sql.compiler import SQLCompiler
from ..sql.elements import BindParam, Expr, TextClause
from .table import Column, Table
from .types import EnumType

if TYPE_CHECKING:
    from ..dialects.base import Dialect


class _LiteralCompiler(SQLCompiler):
    """Renders bound values inline as literals (DDL only)."""

    def __init__(self, dialect: Dialect, binds: list[BindParam[Any]]) -> None:
        super().__init__(dialect, binds)
        self.quote = dialect.quote  # DDL is run without parameters: '%' stays as it is

    def escape_text(self, sql: str) -> str:
        return sql

    def visit_bind(self, node: BindParam[Any], **kw: Any) -> str:
        if isinstance(node.value, Decimal):
            return self.dialect.render_literal(node.value)  # its exact text, not a float
        proc = self.dialect.bind_processor(node.type)
        return self.dialect.render_literal(node.value if proc is None else proc(node.value))

    def visit_column(self, node: Any, **kw: Any) -> str:
        return self.quote(node.name)


def render_condition(dialect: Dialect, cond: Expr[Any] | str) -> str:
    """Render a CHECK condition (expression or raw SQL string). Raw SQL is read with the
    SQL standard's quoting — ``"name"`` an identifier, ``'text'`` a string — and its
    identifiers are re-quoted for the dialect, so the same text means the same on every
    backend (on MySQL, ``"name"`` would otherwise be a string, and ``CHECK ("qty" >= 0)``
    would silently check nothing)."""
    if isinstance(cond, str):
        return requote_identifiers(dialect, cond)
    if isinstance(cond, TextClause) and not cond.names:
        return requote_identifiers(dialect, cond.text)
    return _LiteralCompiler(dialect, []).process(cond)


def requote_identifiers(dialect: Dialect, sql: str) -> str:
    """``sql`` with each standard-quoted identifier (``"a""b"``) quoted as ``dialect``
    quotes identifiers; string literals (``'...'``, ``''`` escaping a quote) untouched.
    Unchanged where the dialect quotes with double quotes itself."""
    if dialect.identifier_quote == '"' or '"' not in sql:
        return sql
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i : j + 1])
            i = j + 1
        elif ch == '"':
            j = i + 1
            name: list[str] = []
            while j < n:
                if sql[j] == '"':
                    if j + 1 < n and sql[j + 1] == '"':
                        name.append('"')
                        j += 2
                        continue
                    break
                name.append(sql[j])
                j += 1
            if j >= n:
                raise ConfigurationError(f"unterminated quoted identifier in SQL: {sql!r}")
            out.append(dialect.quote("".join(name)))
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _default_sql(dialect: Dialect, value: Any) -> str:
    if isinstance(value, TextClause):
        return value.text
    return dialect.render_literal(value)


def checked_name(dialect: Dialect, name: str, what: str) -> str:
    """Return a declared name, or raise ConfigurationError (before any SQL) where it is too
    long for the database, which would otherwise refuse or silently truncate it."""
    limit = dialect.max_identifier_length
    if limit is not None and dialect.identifier_length(name) > limit:
        raise ConfigurationError(
            f"{what} name {name!r} is too long for {dialect.name} (at most {limit})"
        )
    return name


def generated_name(dialect: Dialect, name: str) -> str:
    """Fit a name ormolu made up (``ix_<table>_<column>``) to the database's limit: the
    start of it and a hash of all of it, so that different long names stay different."""
    limit = dialect.max_identifier_length
    if limit is None or dialect.identifier_length(name) <= limit:
        return name
    suffix = "_" + hashlib.sha1(name.encode()).hexdigest()[:8]
    head = name[: limit - len(suffix)]
    while dialect.identifier_length(head + suffix) > limit:
        head = head[:-1]
    return head + suffix


def _is_keyed(table: Table, col: Column) -> bool:
    """Whether ``col`` is in a primary key, unique constraint, index or foreign key."""
    if col.primary_key or col.unique or col.index or col.foreign_key is not None:
        return True
    if any(col in fkc.columns for fkc in table.foreign_key_constraints):
        return True
    return any(col in u.columns for u in table.uniques) or any(
        col in ix.columns for ix in table.indexes
    )


def column_sql(dialect: Dialect, table: Table, col: Column) -> str:
    """One column definition of CREATE TABLE."""
    q = dialect.quote
    type_sql = dialect.column_type_sql(col.type, _is_keyed(table, col))
    checked_name(dialect, col.name, "column")
    if col is table.autoincrement_column:
        return f"{q(col.name)} {dialect.autoincrement_sql(type_sql)}"
    parts = [q(col.name), type_sql]
    if not col.nullable:
        parts.append("NOT NULL")
    if col.server_default is not None:
        parts.append("DEFAULT " + _default_sql(dialect, col.server_default))
    if col.unique:
        parts.append("UNIQUE")
    if col.check is not None:
        cond = col.check if isinstance(col.check, str) else col.check(col.ref)
        parts.append(f"CHECK ({render_condition(dialect, cond)})")
    return " ".join(parts)


def enum_values(type_: Any) -> tuple[Any, ...] | None:
    """The values an ``Enum`` field's CHECK constraint allows: its members' values when
    they are all strings or all integers (``None`` for any other type, or an enum of
    mixed values, which gets no constraint)."""
    if not isinstance(type_, EnumType):
        return None
    values = tuple(m.value for m in type_.enum_class)
    if all(isinstance(v, str) for v in values) or all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        return values
    return None


def enum_check_name(dialect: Dialect, table: str, column: str) -> str:
    """The name of the CHECK constraint holding an enum column to its values:
    ``<table>_<column>_enum`` (fitted to the database's name limit). Migrations find the
    constraint by this name to change the values."""
    return generated_name(dialect, f"{table}_{column}_enum")


def enum_check_sql(dialect: Dialect, column: str, values: tuple[Any, ...]) -> str:
    """The condition ``"column" IN (v1, v2, ...)`` (values as literals: DDL takes no
    parameters; they come from the model's enum class)."""
    listed = ", ".join(dialect.render_literal(v) for v in values)
    return f"{dialect.quote(column)} IN ({listed})"


def enum_checks(dialect: Dialect, table: Table) -> list[tuple[str, str]]:
    """(name, condition) of the CHECK constraint of each enum column of ``table``.

    An ``Enum`` field is stored as its values' type (VARCHAR of the longest value, or
    INTEGER) on every backend, held to the enum's values by this constraint: one
    representation everywhere, so adding, renaming and removing a value is the same
    migration on every backend (see docs/migrations.md, "Enum values")."""
    out = []
    for c in table.columns:
        values = enum_values(c.type)
        if values:
            out.append(
                (
                    enum_check_name(dialect, table.name, c.name),
                    enum_check_sql(dialect, c.name, values),
                )
            )
    return out


def create_table_sql(dialect: Dialect, table: Table, if_not_exists: bool = False) -> str:
    """``CREATE TABLE`` with columns, primary key, unique, check and foreign key constraints."""
    q = dialect.quote
    checked_name(dialect, table.name, "table")
    lines = [column_sql(dialect, table, c) for c in table.columns]
    if table.autoincrement_column is None and table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(q(c.name) for c in table.primary_key)})")
    for u in table.uniques:
        name = f"CONSTRAINT {q(checked_name(dialect, u.name, 'constraint'))} " if u.name else ""
        lines.append(f"{name}UNIQUE ({', '.join(q(c.name) for c in u.columns)})")
    for check_name, cond in table.checks:
        if check_name:
            checked_name(dialect, check_name, "constraint")
        prefix = f"CONSTRAINT {q(check_name)} " if check_name else ""
        lines.append(f"{prefix}CHECK ({render_condition(dialect, cond)})")
    for check_name, cond_sql in enum_checks(dialect, table):
        lines.append(f"CONSTRAINT {q(check_name)} CHECK ({cond_sql})")
    for c in table.columns:
        fk = c.foreign_key
        if fk is None or fk.column is None or fk.column.table is None:
            continue
        lines.append(
            _foreign_key_sql(dialect, table, [c], [fk.column], None, fk.on_delete, fk.on_update)
        )
    for fkc in table.foreign_key_constraints:
        if fkc.referenced:
            lines.append(
                _foreign_key_sql(
                    dialect,
                    table,
                    fkc.columns,
                    fkc.referenced,
                    fkc.name,
                    fkc.on_delete,
                    fkc.on_update,
                )
            )
    exists = "IF NOT EXISTS " if if_not_exists else ""
    name = dialect.table_name_sql(table)
    options = dialect.table_options_sql()
    return f"CREATE TABLE {exists}{name} (\n    " + ",\n    ".join(lines) + "\n)" + options


def _foreign_key_sql(
    dialect: Dialect,
    table: Table,
    columns: list[Column],
    referenced: list[Column],
    name: str | None,
    on_delete: str | None,
    on_update: str | None,
) -> str:
    """``[CONSTRAINT name] FOREIGN KEY (...) REFERENCES t (...) [ON DELETE ...]``."""
    q = dialect.quote
    ref_table = referenced[0].table
    assert ref_table is not None
    sql = (
        f"FOREIGN KEY ({', '.join(q(c.name) for c in columns)}) REFERENCES "
        f"{_referenced(dialect, table, ref_table)} ({', '.join(q(c.name) for c in referenced)})"
    )
    if name is not None:
        sql = f"CONSTRAINT {q(checked_name(dialect, name, 'constraint'))} {sql}"
    elif dialect.max_identifier_length is not None:
        # Name it here: the database's own name (MySQL: <table>_ibfk_<n>) may not fit.
        # <table>_<columns>_fkey is what PostgreSQL would call it.
        joined = "_".join(c.name for c in columns)
        sql = f"CONSTRAINT {q(generated_name(dialect, f'{table.name}_{joined}_fkey'))} {sql}"
    if on_delete:
        sql += " ON DELETE " + on_delete
    if on_update:
        sql += " ON UPDATE " + on_update
    return sql


def _referenced(dialect: Dialect, table: Table, ref: Table) -> str:
    # SQLite resolves REFERENCES within the referencing table's own database
    # (https://sqlite.org/foreignkeys.html): a schema name is not allowed there.
    if getattr(dialect, "schemas_are_attached_databases", False):
        return dialect.quote(ref.name)
    return dialect.table_name_sql(ref)


def has_own_index(table: Table, col: Column) -> bool:
    """Whether ``index=True`` on ``col`` makes an index of its own: not for a unique
    column, nor for the first column of the primary key, whose index already serves it;
    for any other primary key column (the second of a composite key) it does."""
    if not col.index or col.unique:
        return False
    return not (col.primary_key and table.primary_key and table.primary_key[0] is col)


def create_indexes_sql(dialect: Dialect, table: Table, if_not_exists: bool = False) -> list[str]:
    """``CREATE [UNIQUE] INDEX`` for single-column ``index=True`` columns and ``Index`` objects
    (``IF NOT EXISTS`` where asked for and the dialect has it)."""
    q = dialect.quote
    wanted = if_not_exists and dialect.supports_create_index_if_not_exists
    exists = "IF NOT EXISTS " if wanted else ""
    out = []
    for c in table.columns:
        if has_own_index(table, c):
            index, on = dialect.index_names_sql(
                table, generated_name(dialect, f"ix_{table.name}_{c.name}")
            )
            out.append(f"CREATE INDEX {exists}{index} ON {on} ({q(c.name)})")
    for ix in table.indexes:
        if ix.name:
            name = checked_name(dialect, ix.name, "index")
        else:
            name = generated_name(
                dialect, f"ix_{table.name}_" + "_".join(c.name for c in ix.columns)
            )
        cols = ", ".join(q(c.name) for c in ix.columns)
        unique = "UNIQUE " if ix.unique else ""
        index, on = dialect.index_names_sql(table, name)
        out.append(f"CREATE {unique}INDEX {exists}{index} ON {on} ({cols})")
    return out


def drop_table_sql(dialect: Dialect, table: Table, if_exists: bool = True) -> str:
    """``DROP TABLE [IF EXISTS]``."""
    return f"DROP TABLE {'IF EXISTS ' if if_exists else ''}{dialect.table_name_sql(table)}"
