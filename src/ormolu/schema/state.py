"""A comparable schema state: a frozen, canonical description of tables for one dialect.

Two states are built the same way — from the models (:func:`state_from_tables`) and from
a live database (reflection, ``dialects/<backend>/reflect.py``) — and compare equal
exactly when they describe the same schema. Everything a backend may spell in several
ways is normalised by that backend's :class:`~ormolu.dialects.reflection.Reflector`
before it lands here: type aliases (``int4`` and ``integer``, ``NVARCHAR(n)`` and
``VARCHAR(n)``, a one-digit ``tinyint(1)`` for a boolean), default expressions (casts
the database adds, ``9.90`` and ``9.9``) and CHECK conditions (quoting, redundant
parentheses). Names that a database makes up (of unique constraints, foreign keys and
checks, ``sqlite_autoindex_...``) are kept for the operations that drop them but are not
compared; index names are not compared either, so an index is the same when it covers
the same columns in the same order with the same uniqueness and condition.

Shapes: a :class:`SchemaState` holds :class:`TableState` objects by name; a table holds
:class:`ColumnState` objects (compared as a set: column order is not part of the schema
a migration can change portably), its primary key (ordered), and frozensets of
:class:`IndexState`, :class:`UniqueState`, :class:`ForeignKeyState` and
:class:`CheckState`. :meth:`SchemaState.differences` lists what differs, in words.

Example::

    from ormolu.schema.state import state_from_tables
    state = state_from_tables(db.dialect, [Album.__mapper__.table])
    assert state.table("album").column("title").nullable is False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .sqlnorm import in_list
from .types import SQLType

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..protocol import Op
    from .table import Table


@dataclass(frozen=True)
class ColumnState:
    """One column: ``type`` is the dialect's canonical type name (valid DDL, e.g.
    ``VARCHAR(120)``); ``default`` the canonical server default SQL (``None``: none);
    ``autoincrement`` whether the database generates its values; ``collation`` only
    where it differs from the default. ``sqltype`` is ormolu's type for it (for writing
    code and migrations) and is not compared."""

    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    collation: str | None = None
    comment: str | None = None
    sqltype: SQLType | None = field(default=None, compare=False, repr=False)
    default_text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class IndexState:
    """An index: ``columns`` in order, each with ``"ASC"`` or ``"DESC"`` in ``orders``;
    ``where`` the normalised condition of a partial index."""

    columns: tuple[str, ...]
    unique: bool = False
    orders: tuple[str, ...] = ()
    where: str | None = None
    name: str = field(default="", compare=False)


@dataclass(frozen=True)
class UniqueState:
    """A UNIQUE constraint over ``columns`` (in order)."""

    columns: tuple[str, ...]
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ForeignKeyState:
    """``FOREIGN KEY (columns) REFERENCES ref_table (ref_columns)`` with its actions
    (``"NO ACTION"`` when none was given: SQL:2016 §11.8's default)."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CheckState:
    """A CHECK constraint: ``sql`` is the normalised condition (compared); ``text`` the
    condition as the database or the model wrote it (valid DDL, not compared)."""

    sql: str
    name: str | None = field(default=None, compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True)
class EnumState:
    """A native enumerated type (where the backend has them): its values in order."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class TableState:
    """One table. ``columns`` is sorted by name (compared as a set); ``column_order``
    keeps the order of the table (not compared)."""

    name: str
    columns: tuple[ColumnState, ...]
    primary_key: tuple[str, ...] = ()
    indexes: frozenset[IndexState] = frozenset()
    uniques: frozenset[UniqueState] = frozenset()
    foreign_keys: frozenset[ForeignKeyState] = frozenset()
    checks: frozenset[CheckState] = frozenset()
    comment: str | None = None
    column_order: tuple[str, ...] = field(default=(), compare=False)

    @staticmethod
    def build(
        name: str,
        columns: Sequence[ColumnState],
        primary_key: Sequence[str] = (),
        indexes: Iterable[IndexState] = (),
        uniques: Iterable[UniqueState] = (),
        foreign_keys: Iterable[ForeignKeyState] = (),
        checks: Iterable[CheckState] = (),
        comment: str | None = None,
    ) -> TableState:
        """A table state from columns in table order (sorted here)."""
        return TableState(
            name,
            tuple(sorted(columns, key=lambda c: c.name)),
            tuple(primary_key),
            frozenset(indexes),
            frozenset(uniques),
            frozenset(foreign_keys),
            frozenset(checks),
            comment,
            tuple(c.name for c in columns),
        )

    def column(self, name: str) -> ColumnState:
        """The column ``name``; KeyError if there is none."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def has_column(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    def ordered_columns(self) -> list[ColumnState]:
        """The columns in table order."""
        by_name = {c.name: c for c in self.columns}
        order = [n for n in self.column_order if n in by_name]
        order += sorted(n for n in by_name if n not in order)
        return [by_name[n] for n in order]

    def with_columns(self, columns: Sequence[ColumnState], **changes: Any) -> TableState:
        """A copy with ``columns`` (in table order) and other fields changed."""
        base = replace(self, **changes) if changes else self
        return replace(
            base,
            columns=tuple(sorted(columns, key=lambda c: c.name)),
            column_order=tuple(c.name for c in columns),
        )

    def differences(self, other: TableState) -> list[str]:
        """What ``other`` (the target) changes of this table, one line each."""
        out: list[str] = []
        mine = {c.name: c for c in self.columns}
        theirs = {c.name: c for c in other.columns}
        for n in sorted(theirs.keys() - mine.keys()):
            out.append(f"column {self.name}.{n} is missing")
        for n in sorted(mine.keys() - theirs.keys()):
            out.append(f"column {self.name}.{n} is not in the models")
        for n in sorted(mine.keys() & theirs.keys()):
            a, b = mine[n], theirs[n]
            for attr in ("type", "nullable", "default", "autoincrement", "collation", "comment"):
                if getattr(a, attr) != getattr(b, attr):
                    out.append(
                        f"column {self.name}.{n}: {attr} is {getattr(a, attr)!r}, "
                        f"the models say {getattr(b, attr)!r}"
                    )
        if self.primary_key != other.primary_key:
            out.append(
                f"table {self.name}: primary key is {self.primary_key}, "
                f"the models say {other.primary_key}"
            )
        for what in ("indexes", "uniques", "foreign_keys", "checks"):
            a_set, b_set = getattr(self, what), getattr(other, what)
            if what == "checks":
                a_set, b_set = self._value_lists(a_set, b_set, out)
            for item in sorted(b_set - a_set, key=repr):
                out.append(f"table {self.name}: {_describe(item)} is missing")
            for item in sorted(a_set - b_set, key=repr):
                out.append(f"table {self.name}: {_describe(item)} is not in the models")
        if self.comment != other.comment:
            out.append(f"table {self.name}: comment is {self.comment!r}")
        return out

    def _value_lists(
        self, mine: frozenset[CheckState], theirs: frozenset[CheckState], out: list[str]
    ) -> tuple[frozenset[CheckState], frozenset[CheckState]]:
        """Describe a column's list of values (an enum column's CHECK ... IN) that
        changed as such, and return the checks left to compare."""
        gone = {v[0]: (c, v[1]) for c in mine - theirs if (v := in_list(c.sql))}
        came = {v[0]: (c, v[1]) for c in theirs - mine if (v := in_list(c.sql))}
        paired = set()
        for col in sorted(gone.keys() & came.keys()):
            out.append(
                f"column {self.name}.{col}: values are {gone[col][1]}, the models say "
                f"{came[col][1]}"
            )
            paired |= {gone[col][0], came[col][0]}
        return mine - paired, theirs - paired


def _describe(item: Any) -> str:
    if isinstance(item, IndexState):
        kind = "unique index" if item.unique else "index"
        where = f" WHERE {item.where}" if item.where else ""
        return f"{kind} {item.name or ''} on ({', '.join(item.columns)}){where}".replace("  ", " ")
    if isinstance(item, UniqueState):
        return f"unique constraint on ({', '.join(item.columns)})"
    if isinstance(item, ForeignKeyState):
        return (
            f"foreign key ({', '.join(item.columns)}) -> {item.ref_table}"
            f"({', '.join(item.ref_columns)}) ON DELETE {item.on_delete} ON UPDATE {item.on_update}"
        )
    if isinstance(item, CheckState):
        return f"check ({item.text or item.sql})"
    return repr(item)


@dataclass(frozen=True)
class SchemaState:
    """A whole schema: tables sorted by name, and native enum types."""

    tables: tuple[TableState, ...] = ()
    enums: frozenset[EnumState] = frozenset()

    @staticmethod
    def build(tables: Iterable[TableState], enums: Iterable[EnumState] = ()) -> SchemaState:
        return SchemaState(tuple(sorted(tables, key=lambda t: t.name)), frozenset(enums))

    def table(self, name: str) -> TableState:
        """The table ``name``; KeyError if there is none."""
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"no table {name!r}")

    def has_table(self, name: str) -> bool:
        return any(t.name == name for t in self.tables)

    @property
    def table_names(self) -> list[str]:
        return [t.name for t in self.tables]

    def with_table(self, table: TableState) -> SchemaState:
        """A copy with ``table`` added or replaced."""
        return SchemaState.build([t for t in self.tables if t.name != table.name] + [table])

    def without_table(self, name: str) -> SchemaState:
        return SchemaState.build([t for t in self.tables if t.name != name], self.enums)

    def only(self, names: Iterable[str]) -> SchemaState:
        """The tables named in ``names`` alone."""
        keep = set(names)
        return SchemaState.build([t for t in self.tables if t.name in keep], self.enums)

    def differences(self, target: SchemaState) -> list[str]:
        """How this state (usually the database) differs from ``target`` (usually the
        models), one line per difference; empty when they are equal."""
        out: list[str] = []
        mine = {t.name: t for t in self.tables}
        theirs = {t.name: t for t in target.tables}
        for n in sorted(theirs.keys() - mine.keys()):
            out.append(f"table {n} is missing")
        for n in sorted(mine.keys() - theirs.keys()):
            out.append(f"table {n} is not in the models")
        for n in sorted(mine.keys() & theirs.keys()):
            out.extend(mine[n].differences(theirs[n]))
        for e in sorted(target.enums - self.enums, key=repr):
            out.append(f"enum type {e.name} {e.values} is missing")
        for e in sorted(self.enums - target.enums, key=repr):
            out.append(f"enum type {e.name} {e.values} is not in the models")
        return out


def state_from_tables(dialect: Dialect, tables: Sequence[Table]) -> SchemaState:
    """The state of ``tables`` (ormolu :class:`~ormolu.schema.table.Table` objects, as
    ``Database.create_all`` would create them) on ``dialect``.

    Uses the dialect's reflector to normalise types, defaults and checks exactly as
    reflection does, so a freshly created schema reflects to an equal state. Raises
    ConfigurationError for a type the dialect cannot store."""
    reflector = dialect.reflector()
    return SchemaState.build(reflector.table_state(t) for t in tables)


def existing_differences_op(dialect: Dialect, tables: Sequence[Table]) -> Op[dict[str, list[str]]]:
    """The operation giving, for each of ``tables`` that exists, how it differs from its
    model: ``{table name: [difference, ...]}``, tables that match or do not exist left
    out. Used by ``create_all(if_not_exists=True)`` of both front ends, which skips
    existing tables and logs a warning naming these differences (logger
    ``ormolu.schema``).

    Only tables of the connection's current schema are compared: reflection reads that
    schema, and a table of another schema (``schema=`` on its model, after the
    ``schema_translate_map``) would be compared with the current schema's table of the
    same name, a warning about a table the model does not describe. Tables of other
    schemas are created if missing and otherwise left unchecked. Raises what reflection
    raises (a driver error mapped to ormolu's).

    Example: ``found = session.run(existing_differences_op(db.dialect, tables))``."""
    here = [t for t in tables if dialect.schema_of(t) is None]
    if not here:
        return {}
    reflected = yield from dialect.reflector().reflect([t.name for t in here])
    return differences_from_reflected(reflected, state_from_tables(dialect, here))


def differences_from_reflected(reflected: Any, models: Any) -> dict[str, list[str]]:
    """Per table of ``reflected`` (a database's state), how it differs from the same
    table in ``models`` (a state built from models); tables that match are left out."""
    out: dict[str, list[str]] = {}
    for t in reflected.tables:
        diffs = t.differences(models.table(t.name))
        if diffs:
            out[t.name] = diffs
    return out
