"""DDL rendered from schema states: CREATE TABLE from a :class:`TableState`, ALTER TABLE
for one change, CREATE/DROP INDEX.

The statements follow the SQL standard (SQL:2016 §11.10 ``<alter table statement>``)
where the backends agree; where they differ the dialect's reflector says how
(``alter_restates_column``: a column change restates the whole definition, MySQL's
``MODIFY COLUMN``; ``drop_foreign_key_clause``; ``drop_index_names_table``;
``alter_type_uses_cast``). Backends whose ALTER TABLE cannot make a change
(``supports_alter_column`` false) rebuild the table instead (:mod:`.rebuild`); these
functions are not asked for such changes. Identifiers are quoted by the dialect;
defaults and CHECK conditions are SQL text from the models or the database (DDL takes
no parameters).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..schema.ddl import generated_name
from ..schema.state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    TableState,
    UniqueState,
)

if TYPE_CHECKING:
    from ..dialects.base import Dialect


def _cols(d: Dialect, names: tuple[str, ...]) -> str:
    return ", ".join(d.quote(n) for n in names)


def column_definition(d: Dialect, c: ColumnState, *, inline_pk: bool = False) -> str:
    """``"name" TYPE [COLLATE x] [NOT NULL] [DEFAULT expr]`` (or the dialect's
    database-generated key definition when ``inline_pk``)."""
    if inline_pk:
        return f"{d.quote(c.name)} {d.autoincrement_sql(c.type)}"
    parts = [d.quote(c.name)]
    if c.type:
        parts.append(c.type)
    if c.collation:
        parts.append("COLLATE " + c.collation)
    if not c.nullable:
        parts.append("NOT NULL")
    default = c.default_text if c.default_text is not None else c.default
    if default is not None:
        parts.append("DEFAULT " + default)
    return " ".join(parts)


def unique_sql(d: Dialect, u: UniqueState) -> str:
    name = f"CONSTRAINT {d.quote(u.name)} " if u.name else ""
    return f"{name}UNIQUE ({_cols(d, u.columns)})"


def check_sql(d: Dialect, c: CheckState) -> str:
    name = f"CONSTRAINT {d.quote(c.name)} " if c.name else ""
    return f"{name}CHECK ({c.text or c.sql})"


def foreign_key_sql(d: Dialect, table: str, fk: ForeignKeyState) -> str:
    name = fk.name
    if name is None and d.max_identifier_length is not None:
        name = generated_name(d, f"{table}_{'_'.join(fk.columns)}_fkey")
    sql = (
        f"FOREIGN KEY ({_cols(d, fk.columns)}) REFERENCES {d.quote(fk.ref_table)} "
        f"({_cols(d, fk.ref_columns)})"
    )
    if name:
        sql = f"CONSTRAINT {d.quote(name)} {sql}"
    if fk.on_delete != "NO ACTION":
        sql += " ON DELETE " + fk.on_delete
    if fk.on_update != "NO ACTION":
        sql += " ON UPDATE " + fk.on_update
    return sql


def create_table(d: Dialect, t: TableState, name: str | None = None) -> str:
    """``CREATE TABLE`` for ``t`` (under ``name`` if given: the rebuild's new table)."""
    lines = []
    auto = [c for c in t.columns if c.autoincrement]
    inline = auto[0].name if len(auto) == 1 and t.primary_key == (auto[0].name,) else None
    for c in t.ordered_columns():
        lines.append(column_definition(d, c, inline_pk=c.name == inline))
    if t.primary_key and inline is None:
        lines.append(f"PRIMARY KEY ({_cols(d, t.primary_key)})")
    for u in sorted(t.uniques, key=lambda u: u.columns):
        lines.append(unique_sql(d, u))
    for ck in sorted(t.checks, key=lambda c: c.sql):
        lines.append(check_sql(d, ck))
    for fk in sorted(t.foreign_keys, key=lambda f: f.columns):
        lines.append(foreign_key_sql(d, t.name, fk))
    body = ",\n    ".join(lines)
    return f"CREATE TABLE {d.quote(name or t.name)} (\n    {body}\n){d.table_options_sql()}"


def create_index(d: Dialect, table: str, ix: IndexState) -> str:
    cols = ", ".join(
        d.quote(c) + (" DESC" if ix.orders and ix.orders[i] == "DESC" else "")
        for i, c in enumerate(ix.columns)
    )
    unique = "UNIQUE " if ix.unique else ""
    where = f" WHERE {ix.where}" if ix.where else ""
    return f"CREATE {unique}INDEX {d.quote(ix.name)} ON {d.quote(table)} ({cols}){where}"


def drop_index(d: Dialect, table: str, name: str) -> str:
    sql = f"DROP INDEX {d.quote(name)}"
    if d.reflector().drop_index_names_table:
        sql += f" ON {d.quote(table)}"
    return sql


def drop_table(d: Dialect, name: str) -> str:
    return f"DROP TABLE {d.quote(name)}"


def rename_table(d: Dialect, old: str, new: str) -> str:
    return f"ALTER TABLE {d.quote(old)} RENAME TO {d.quote(new)}"


def add_column(d: Dialect, table: str, c: ColumnState) -> str:
    return f"ALTER TABLE {d.quote(table)} ADD COLUMN {column_definition(d, c)}"


def drop_column(d: Dialect, table: str, name: str) -> str:
    return f"ALTER TABLE {d.quote(table)} DROP COLUMN {d.quote(name)}"


def rename_column(d: Dialect, table: str, old: str, new: str) -> str:
    return f"ALTER TABLE {d.quote(table)} RENAME COLUMN {d.quote(old)} TO {d.quote(new)}"


def alter_column(d: Dialect, table: str, old: ColumnState, new: ColumnState) -> list[str]:
    """The statements changing column ``old`` into ``new`` (same name)."""
    r = d.reflector()
    head = f"ALTER TABLE {d.quote(table)}"
    q = d.quote(new.name)
    if r.alter_restates_column:
        return [f"{head} MODIFY COLUMN {column_definition(d, new)}"]
    out = []
    if (old.type, old.collation) != (new.type, new.collation):
        type_sql = new.type + (f" COLLATE {new.collation}" if new.collation else "")
        using = f" USING CAST({q} AS {new.type})" if r.alter_type_uses_cast else ""
        if old.default is not None:
            # the old default may not convert to the new type; it is set again below
            out.append(f"{head} ALTER COLUMN {q} DROP DEFAULT")
        out.append(f"{head} ALTER COLUMN {q} TYPE {type_sql}{using}")
        old = ColumnState(old.name, new.type, old.nullable, None, old.autoincrement, new.collation)
    if old.nullable != new.nullable:
        out.append(f"{head} ALTER COLUMN {q} {'DROP' if new.nullable else 'SET'} NOT NULL")
    if (old.default, old.default_text) != (new.default, new.default_text) and (
        old.default != new.default
    ):
        default = new.default_text if new.default_text is not None else new.default
        if default is None:
            out.append(f"{head} ALTER COLUMN {q} DROP DEFAULT")
        else:
            out.append(f"{head} ALTER COLUMN {q} SET DEFAULT {default}")
    return out


def constraint_name(table: str, columns: tuple[str, ...], suffix: str) -> str:
    """The name the SQL standard leaves to the implementation; ormolu (and PostgreSQL)
    use ``<table>_<columns>_<suffix>`` (``key`` unique, ``fkey``, ``check``)."""
    return f"{table}_{'_'.join(columns)}_{suffix}" if columns else f"{table}_{suffix}"


def add_unique(d: Dialect, table: str, u: UniqueState) -> str:
    return f"ALTER TABLE {d.quote(table)} ADD {unique_sql(d, u)}"


def drop_constraint(d: Dialect, table: str, name: str) -> str:
    return f"ALTER TABLE {d.quote(table)} DROP CONSTRAINT {d.quote(name)}"


def add_foreign_key(d: Dialect, table: str, fk: ForeignKeyState) -> str:
    return f"ALTER TABLE {d.quote(table)} ADD {foreign_key_sql(d, table, fk)}"


def drop_foreign_key(d: Dialect, table: str, name: str) -> str:
    clause = d.reflector().drop_foreign_key_clause
    return f"ALTER TABLE {d.quote(table)} {clause} {d.quote(name)}"


def add_check(d: Dialect, table: str, c: CheckState) -> str:
    return f"ALTER TABLE {d.quote(table)} ADD {check_sql(d, c)}"
