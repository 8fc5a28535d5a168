"""Tables, columns and constraints: the schema a model maps to, and what DDL is made from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..exceptions import ConfigurationError
from ..sql.elements import BindParam, ColumnRef, Expr, Key, TextClause
from ..sql.selectable import FromClause
from .types import Integer, SQLType

REFERENTIAL_ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION")


def check_identifier(name: str, what: str) -> str:
    """Refuse identifiers no backend can hold (empty, NUL, over 64 characters), and a
    table name with a dot, which would be a table literally named ``s.t`` (the schema is
    ``schema="s"``)."""
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > 64:
        raise ConfigurationError(f"invalid {what} name {name!r}")
    if what == "table" and "." in name:
        schema, _, table = name.rpartition(".")
        raise ConfigurationError(
            f"table name {name!r} has a dot, which would name a table {name!r} (not a table "
            f"in a schema): write table={table!r}, schema={schema!r}"
        )
    return name


class ForeignKey:
    """A reference from one column to ``target`` (``"Table.column"`` or ``"Model.attr"``).

    ``on_delete``/``on_update`` are SQL referential actions (CASCADE, SET NULL, SET DEFAULT,
    RESTRICT, NO ACTION; SQL:2016 §11.8).
    """

    def __init__(self, target: str, on_delete: str | None = None, on_update: str | None = None):
        if "." not in target:
            raise ConfigurationError(f"foreign_key {target!r} must be 'Table.column'")
        for action in (on_delete, on_update):
            if action is not None and action.upper() not in REFERENTIAL_ACTIONS:
                raise ConfigurationError(
                    f"unknown referential action {action!r}; use one of {REFERENTIAL_ACTIONS}"
                )
        self.target = target
        self.on_delete = on_delete.upper() if on_delete else None
        self.on_update = on_update.upper() if on_update else None
        self.column: Column | None = None  # the referenced column, once resolved


class Column:
    """A table column. ``name`` is the database name, ``key`` the Python attribute name."""

    def __init__(
        self,
        name: str,
        type_: SQLType,
        *,
        key: str | None = None,
        nullable: bool = True,
        primary_key: bool = False,
        autoincrement: bool | None = None,
        unique: bool = False,
        index: bool = False,
        server_default: Any = None,
        foreign_key: ForeignKey | None = None,
        check: Callable[[Expr[Any]], Expr[Any]] | str | None = None,
    ) -> None:
        self.name = check_identifier(name, "column")
        self.key = key or name
        self.type = type_
        self.nullable = nullable and not primary_key
        self.primary_key = primary_key
        self.autoincrement = autoincrement
        self.unique = unique
        self.index = index
        self.server_default = server_default
        self.foreign_key = foreign_key
        self.check = check
        self.table: Table | None = None
        self.owner: str | None = None  # the name of the model mapping it, for messages
        self.ref: ColumnRef[Any] = ColumnRef(None, name, type_, self.key, self)

    def __repr__(self) -> str:
        return f"Column({self.name!r}, {self.type!r})"


class Index:
    """A (possibly unique) index over attribute names: ``Index("last_name", "first_name")``."""

    def __init__(self, *fields: str, name: str | None = None, unique: bool = False) -> None:
        if not fields:
            raise ConfigurationError("Index() needs at least one field")
        self.fields = fields
        self.name = name
        self.unique = unique
        self.columns: list[Column] = []


class UniqueConstraint:
    """``UNIQUE (a, b)`` over attribute names."""

    def __init__(self, *fields: str, name: str | None = None) -> None:
        if not fields:
            raise ConfigurationError("UniqueConstraint() needs at least one field")
        self.fields = fields
        self.name = name
        self.columns: list[Column] = []


class ForeignKeyConstraint:
    """A (composite) foreign key over several fields, for ``__table_args__``:
    ``ForeignKeyConstraint(("order_id", "line_no"), "OrderLine", on_delete="CASCADE")``
    references the primary key of model ``OrderLine`` (or ``target_fields``, in order).

    ``on_delete``/``on_update`` are SQL referential actions as for ``field(foreign_key=)``.
    """

    def __init__(
        self,
        fields: Sequence[str],
        target: str,
        target_fields: Sequence[str] | None = None,
        *,
        on_delete: str | None = None,
        on_update: str | None = None,
        name: str | None = None,
    ) -> None:
        if isinstance(fields, str) or not fields:
            raise ConfigurationError("ForeignKeyConstraint() takes a tuple of field names")
        for action in (on_delete, on_update):
            if action is not None and action.upper() not in REFERENTIAL_ACTIONS:
                raise ConfigurationError(
                    f"unknown referential action {action!r}; use one of {REFERENTIAL_ACTIONS}"
                )
        self.fields = tuple(fields)
        self.target = target
        self.target_fields = tuple(target_fields) if target_fields else None
        self.on_delete = on_delete.upper() if on_delete else None
        self.on_update = on_update.upper() if on_update else None
        self.name = name
        self.columns: list[Column] = []
        self.referenced: list[Column] | None = None  # resolved on first use


class CheckConstraint:
    """``CHECK (condition)``: a SQL string, or a function of the model class returning an
    expression, e.g. ``CheckConstraint(lambda m: m.starts < m.ends, name="ck_span")``."""

    def __init__(self, condition: Callable[[Any], Expr[Any]] | str, name: str | None = None):
        self.condition = condition
        self.name = name


class Table(FromClause):
    """A database table: ordered columns, primary key, indexes and constraints.

    ``schema`` names the schema holding it (a PostgreSQL schema, a MySQL/MariaDB
    database, an SQLite attached database), or ``None`` for the connection's default; a
    :class:`~ormolu.Database`'s ``schema_translate_map`` can replace it when SQL is
    compiled."""

    __visit_name__ = "table"

    def __init__(self, name: str, columns: Sequence[Column], schema: str | None = None) -> None:
        self.name = check_identifier(name, "table")
        if schema is not None:
            check_identifier(schema, "schema")
            if "." in schema:
                raise ConfigurationError(f"invalid schema name {schema!r}")
        self.schema = schema
        self.columns = list(columns)
        self.columns_by_name: dict[str, Column] = {}
        self.columns_by_key: dict[str, Column] = {}
        for c in self.columns:
            if c.name in self.columns_by_name:
                raise ConfigurationError(f"table {name!r} has two columns named {c.name!r}")
            c.table = self
            c.ref.source = self
            self.columns_by_name[c.name] = c
            self.columns_by_key[c.key] = c
        self.primary_key = [c for c in self.columns if c.primary_key]
        self.indexes: list[Index] = []
        self.uniques: list[UniqueConstraint] = []
        self.checks: list[tuple[str | None, Expr[Any] | str]] = []
        self.foreign_key_constraints: list[ForeignKeyConstraint] = []
        self._key_cache: Key = ("table", schema, name)

    @property
    def autoincrement_column(self) -> Column | None:
        """The single integer primary key the database generates, if any."""
        if len(self.primary_key) != 1:
            return None
        pk = self.primary_key[0]
        if pk.autoincrement is False:
            return None
        if pk.autoincrement is None and not isinstance(pk.type, Integer):
            return None
        return pk

    def _from_key(self, binds: list[BindParam[Any]]) -> Key:
        return self._key_cache

    def foreign_keys(self) -> list[tuple[ColumnRef[Any], FromClause, str]]:
        out: list[tuple[ColumnRef[Any], FromClause, str]] = []
        for c in self.columns:
            fk = c.foreign_key
            if fk is not None and fk.column is not None and fk.column.table is not None:
                out.append((c.ref, fk.column.table, fk.column.name))
        return out

    def base_table(self) -> Table:
        return self

    def referenced_tables(self) -> list[Table]:
        """Tables this one references by foreign key (for dependency ordering)."""
        out: list[Table] = []
        for c in self.columns:
            fk = c.foreign_key
            target = fk.column.table if fk is not None and fk.column is not None else None
            if target is not None and target is not self and target not in out:
                out.append(target)
        for fkc in self.foreign_key_constraints:
            target = fkc.referenced[0].table if fkc.referenced else None
            if target is not None and target is not self and target not in out:
                out.append(target)
        return out

    def __repr__(self) -> str:
        return (
            f"Table({self.name!r})" if self.schema is None else f"Table({self.schema}.{self.name})"
        )


def sort_tables(tables: Sequence[Table]) -> list[Table]:
    """Order tables so that every table comes after the tables it references.

    Cycles (A → B → A) are broken in declaration order; self-references are ignored.
    """
    remaining = list(tables)
    ordered: list[Table] = []
    while remaining:
        for t in remaining:
            deps = [d for d in t.referenced_tables() if d in remaining]
            if not deps:
                break
        else:
            t = remaining[0]
        ordered.append(t)
        remaining.remove(t)
    return ordered


_ = TextClause
