"""The base of the migration operations: :class:`Operation` (what every operation
answers: ``apply``, ``steps``, ``describe``), the :class:`Context` it is given (the
target dialect), and the descriptions operations are built of: :class:`Col`,
:class:`Ix` and :class:`Fk`, with the functions turning them into schema states.

The operations themselves are in :mod:`ormolu.migrations.operations` (tables, columns
and raw steps) and :mod:`ormolu.migrations.constraints` (indexes, unique, foreign key
and check constraints, enum values); migration files import them all from
:mod:`ormolu.migrations.operations`. Example::

    ctx = Context(db.dialect)
    state = ctx.column_state(Col("year", t.Integer(4), nullable=True))
    assert state.nullable
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError
from ..schema import types as t
from ..schema.state import (
    CheckState,
    ColumnState,
    ForeignKeyState,
    IndexState,
    SchemaState,
    TableState,
)
from ..schema.table import Column, Table
from ..sql.elements import TextClause
from .rebuild import Rebuild

if TYPE_CHECKING:
    from ..dialects.base import Dialect

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


def index_state(ctx: Context, ix: Ix) -> IndexState:
    orders = ix.orders or ("ASC",) * len(ix.columns)
    where = ctx.reflector.canonical_check(ix.where) if ix.where else None
    return IndexState(tuple(ix.columns), ix.unique, tuple(orders), where, ix.name)


def fk_state(ctx: Context, fk: Fk) -> ForeignKeyState:
    r = ctx.reflector
    return ForeignKeyState(
        tuple(fk.columns),
        fk.ref_table,
        tuple(fk.ref_columns),
        r.canonical_action(fk.on_delete),
        r.canonical_action(fk.on_update),
        fk.name,
    )


def check_state(ctx: Context, sql: str, name: str | None) -> CheckState:
    return CheckState(ctx.reflector.canonical_check(sql), name, sql)


def table_in(state: SchemaState, name: str, op: Operation) -> TableState:
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


def index_key(ix: IndexState) -> str:
    return ix.name


def replaced(t0: TableState, **changes: Any) -> TableState:
    from dataclasses import replace

    return replace(t0, **changes)
