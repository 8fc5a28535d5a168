"""The autodetector: the operations that turn one schema state into another.

``diff(old, new, ctx, renames=...)`` compares two :class:`SchemaState` objects of one
dialect (usually the database, reflected, and the models) and returns the operations, in
an order that every backend accepts: foreign keys, indexes and constraints that go away
are dropped first; renames; new tables (parents first; a foreign key of a cycle is added
after all tables exist); new and changed columns; dropped columns and tables (children
first); new constraints and indexes; new foreign keys last.

**Renames are never guessed.** A table that disappeared and one that appeared with the
same columns, or a column that disappeared and one of the same type that appeared in the
same table, are *candidates*; each must be confirmed (``renames``: ``"old:new"`` for a
table, ``"table.old:new"`` for a column) or declined (``declined``, same spelling), else
:class:`RenameCandidates` is raised listing them, so no data is dropped by surprise.

:func:`inverse` gives each operation's inverse from the state before it, so a
migration's ``downgrade`` is the exact mirror of its ``upgrade``: undoing the first
``k`` operations of a half-applied migration is running the last ``k`` of its downgrade.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..exceptions import ConfigurationError
from ..schema.state import CheckState, ColumnState, IndexState, SchemaState, TableState
from ..schema.types import EnumType, Integer, SQLType, String
from . import operations as o
from .operations import Context, Operation


class RenameCandidates(ConfigurationError):
    """Raised when a table or column looks renamed and the rename was neither confirmed
    nor declined; ``candidates`` holds the spellings (``"album.name:title"``)."""

    def __init__(self, candidates: list[str]) -> None:
        self.candidates = candidates
        listed = ", ".join(candidates)
        super().__init__(
            f"these look renamed: {listed}; confirm each with --rename {candidates[0]} "
            f"(or answer the question interactively), or decline it with --no-rename "
            f"{candidates[0]} to drop and add instead"
        )


def col_of(c: ColumnState) -> o.Col:
    """The operation column for a column state."""
    assert c.sqltype is not None, c
    default = c.default_text if c.default_text is not None else c.default
    return o.Col(c.name, c.sqltype, c.nullable, default, c.autoincrement, c.comment)


def ix_of(ix: IndexState, table: str) -> o.Ix:
    """The operation index for an index state (a unique index that stands for a UNIQUE
    constraint has no name yet: it gets ``<table>_<columns>_key``)."""
    name = ix.name or f"{table}_{'_'.join(ix.columns)}_key"
    return o.Ix(name, ix.columns, ix.unique, ix.orders if "DESC" in ix.orders else (), ix.where)


def create_table_op(t: TableState, with_fks: bool = True) -> o.CreateTable:
    """The CreateTable operation recreating ``t``."""
    return o.CreateTable(
        t.name,
        [col_of(c) for c in t.ordered_columns()],
        t.primary_key,
        [ix_of(i, t.name) for i in sorted(t.indexes, key=lambda i: i.name)],
        [(u.columns, u.name) for u in sorted(t.uniques, key=lambda u: u.columns)],
        [
            o.Fk(f.columns, f.ref_table, f.ref_columns, f.on_delete, f.on_update, f.name)
            for f in sorted(t.foreign_keys, key=lambda f: f.columns)
        ]
        if with_fks
        else [],
        [(c.text or c.sql, c.name) for c in sorted(t.checks, key=lambda c: c.sql)],
    )


def _similar_tables(a: TableState, b: TableState) -> bool:
    return {(c.name, c.type) for c in a.columns} == {(c.name, c.type) for c in b.columns}


def _similar_columns(a: ColumnState, b: ColumnState) -> bool:
    """Same kind of type (a length or precision may differ: renamed and widened)."""
    return a.type.split("(")[0] == b.type.split("(")[0]


def _stored(type_: SQLType | None) -> SQLType | None:
    """The type an enum column is stored as (what the database sees of it)."""
    if isinstance(type_, EnumType):
        return Integer(4) if type_.is_int else String(type_.length)
    return type_


def narrowing(old: ColumnState, new: ColumnState) -> bool:
    """Whether changing ``old`` into ``new`` may lose data: another kind of type, or a
    shorter string, smaller integer or fewer digits of the same kind."""
    if old.type == new.type:
        return False
    a, b = _stored(old.sqltype), _stored(new.sqltype)
    if isinstance(a, String) and isinstance(b, String) and type(a) is type(b):
        return b.length is not None and (a.length is None or b.length < a.length)
    if isinstance(a, Integer) and isinstance(b, Integer):
        return b.size < a.size
    return True


Renames = tuple[dict[str, str], dict[tuple[str, str], str], dict[tuple[str, str, str], str]]


def _parse_renames(specs: Iterable[str]) -> Renames:
    """Tables (``old:new``), columns (``table.old:new``) and enum values
    (``table.column.old:new``; the old value cannot hold a ``:``, the new one can)."""
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    values: dict[tuple[str, str, str], str] = {}
    for spec in specs:
        if ":" not in spec:
            raise ConfigurationError(
                f"rename {spec!r}: write old:new for a table, table.old:new for a column, "
                f"table.column.old:new for a value of an enum column"
            )
        left, new = spec.split(":", 1)
        if left.count(".") >= 2:
            table, column, old = left.split(".", 2)
            values[(table, column, old)] = new
        elif "." in left:
            table, old = left.split(".", 1)
            columns[(table, old)] = new
        else:
            tables[left] = new
    return tables, columns, values


def describe_candidate(candidate: str) -> str:
    """The question for a rename candidate (``was x renamed to y?``)."""
    left, new = candidate.split(":", 1)
    if left.count(".") >= 2:
        table, column, old = left.split(".", 2)
        return f"was the value {old!r} of {table}.{column} renamed to {new!r}"
    return f"was {left} renamed to {new}"


@dataclass
class _EnumChange:
    """The values of one enum column, before and after (and how they map)."""

    column: str
    old: tuple[Any, ...]
    new: tuple[Any, ...]
    renames: dict[Any, Any]
    removed: dict[Any, Any]
    checks: tuple[CheckState, CheckState]


def _enum_changes(
    t0: TableState,
    t1: TableState,
    mapping: dict[str, str],
    confirmed: dict[tuple[str, str, str], str],
    declined: set[str],
    candidates: list[str],
) -> list[_EnumChange]:
    """The enum columns of ``t1`` whose values differ from those in ``t0`` (columns
    renamed by ``mapping``: old name → new); unconfirmed value renames are added to
    ``candidates``. Raises ConfigurationError for a confirmed rename naming no value."""
    back = {v: k for k, v in mapping.items()}
    out = []
    for col in t1.ordered_columns():
        new = o.enum_check(t1, col.name)
        old_name = back.get(col.name, col.name)
        old = o.enum_check(t0, old_name) if t0.has_column(old_name) else None
        if new is None or old is None or old[1] == new[1]:
            continue
        gone = [v for v in old[1] if v not in new[1]]
        came = [v for v in new[1] if v not in old[1]]
        renames: dict[Any, Any] = {}
        here = [(t1.name, col.name), (t0.name, old_name)]
        for (table, column, a), b in confirmed.items():
            if (table, column) not in here:
                continue
            va = next((v for v in gone if str(v) == a), None)
            vb = next((v for v in came if str(v) == b), None)
            if va is None or vb is None:
                raise ConfigurationError(
                    f"--rename {table}.{column}.{a}:{b}: needs the value {a!r} in the "
                    f"database and {b!r} in the models (not both)"
                )
            renames[va] = vb
        for g in gone:
            for c in came:
                if g in renames or c in renames.values():
                    continue
                if not any(f"{t}.{n}.{g}:{c}" in declined for t, n in here):
                    candidates.append(f"{t1.name}.{col.name}.{g}:{c}")
        removed = {g: None for g in gone if g not in renames}
        out.append(_EnumChange(col.name, old[1], new[1], renames, removed, (old[0], new[0])))
    return out


def _order_new_tables(tables: list[TableState], known: set[str]) -> list[TableState]:
    ordered: list[TableState] = []
    remaining = list(tables)
    names = {t.name for t in tables}
    while remaining:
        done = {t.name for t in ordered} | known
        for t in remaining:
            deps = {f.ref_table for f in t.foreign_keys} & names - {t.name}
            if deps <= done:
                break
        else:
            t = remaining[0]
        ordered.append(t)
        remaining.remove(t)
    return ordered


def diff(
    old: SchemaState,
    new: SchemaState,
    ctx: Context,
    *,
    renames: Sequence[str] = (),
    declined: Sequence[str] = (),
) -> list[Operation]:
    """The operations turning ``old`` into ``new`` (see the module docstring).

    Raises RenameCandidates for unconfirmed rename candidates, ConfigurationError for a
    ``renames`` entry that names no such table or column."""
    table_renames, column_renames, value_renames = _parse_renames(renames)
    _parse_renames(declined)  # (checks the spelling)
    no = set(declined)  # one old name may be declined for several new ones
    old_t = {t.name: t for t in old.tables}
    new_t = {t.name: t for t in new.tables}
    for a, b in table_renames.items():
        if a not in old_t or b not in new_t:
            raise ConfigurationError(f"--rename {a}:{b}: needs table {a} now and {b} in the models")
    gone = [n for n in old_t if n not in new_t and n not in table_renames]
    came = [n for n in new_t if n not in old_t and n not in table_renames.values()]
    candidates = [
        f"{g}:{c}"
        for g in gone
        for c in came
        if _similar_tables(old_t[g], new_t[c]) and f"{g}:{c}" not in no
    ]
    # column candidates (in tables present on both sides)
    pairs = [(n, n) for n in old_t if n in new_t] + list(table_renames.items())
    col_ops: dict[str, list[tuple[str, str]]] = {}
    enum_ops: dict[str, list[_EnumChange]] = {}
    for a, b in pairs:
        ocols = {c.name: c for c in old_t[a].columns}
        ncols = {c.name: c for c in new_t[b].columns}
        explicit = {old_c: new_c for (t, old_c), new_c in column_renames.items() if t in (a, b)}
        for oc, nc in explicit.items():
            if oc not in ocols or nc not in ncols:
                raise ConfigurationError(
                    f"--rename {b}.{oc}:{nc}: needs column {oc} now and {nc} in the models"
                )
        col_ops[b] = list(explicit.items())
        gone_c = [c for c in ocols if c not in ncols and c not in explicit]
        came_c = [c for c in ncols if c not in ocols and c not in explicit.values()]
        for g in gone_c:
            for c in came_c:
                declined_here = f"{b}.{g}:{c}" in no or f"{a}.{g}:{c}" in no
                if _similar_columns(ocols[g], ncols[c]) and not declined_here:
                    candidates.append(f"{b}.{g}:{c}")
        enum_ops[b] = _enum_changes(old_t[a], new_t[b], explicit, value_renames, no, candidates)
    if candidates:
        raise RenameCandidates(candidates)

    drops_first: list[Operation] = []
    renames_ops: list[Operation] = []
    creates: list[Operation] = []
    late_fks: list[Operation] = []
    column_changes: list[Operation] = []
    column_drops: list[Operation] = []
    table_drops: list[Operation] = []
    adds_last: list[Operation] = []
    fks_last: list[Operation] = []

    for a, b in table_renames.items():
        renames_ops.append(o.RenameTable(a, b))
    for a, b in pairs:
        t0, t1 = old_t[a], new_t[b]
        for oc, nc in col_ops[b]:
            renames_ops.append(o.RenameColumn(b, oc, nc))
        mapping = dict(col_ops[b])

        def ren(names: tuple[str, ...], mapping: dict[str, str] = mapping) -> tuple[str, ...]:
            return tuple(mapping.get(n, n) for n in names)

        # constraints compared after the renames
        # drops run before the renames: they name the old table and columns
        old_ix = {
            IndexState(ren(i.columns), i.unique, i.orders, i.where, i.name) for i in t0.indexes
        }
        for i in sorted(old_ix - set(t1.indexes), key=lambda i: i.name):
            drops_first.append(o.DropIndex(a, i.name))
        for i in sorted(set(t1.indexes) - old_ix, key=lambda i: i.name):
            adds_last.append(o.CreateIndex(b, ix_of(i, b)))
        old_u = {(ren(u.columns), u.name, u.columns) for u in t0.uniques}
        new_u = {u.columns for u in t1.uniques}
        for cols, name, original in sorted(old_u, key=repr):
            if cols not in new_u:
                drops_first.append(o.DropUnique(a, original, name))
        for u in sorted(t1.uniques, key=lambda u: u.columns):
            if u.columns not in {c for c, _, _ in old_u}:
                adds_last.append(o.AddUnique(b, u.columns, u.name))
        old_fk = {}
        for f in t0.foreign_keys:
            ref = table_renames.get(f.ref_table, f.ref_table)
            key = (ren(f.columns), ref, f.ref_columns, f.on_delete, f.on_update)
            old_fk[key] = f
        new_fk = {
            (f.columns, f.ref_table, f.ref_columns, f.on_delete, f.on_update): f
            for f in t1.foreign_keys
        }
        for key in sorted(old_fk.keys() - new_fk.keys(), key=repr):
            f = old_fk[key]
            drops_first.append(o.DropForeignKey(a, f.columns, f.ref_table, f.name))
        for key in sorted(new_fk.keys() - old_fk.keys(), key=repr):
            f = new_fk[key]
            fks_last.append(
                o.AddForeignKey(
                    b, o.Fk(f.columns, f.ref_table, f.ref_columns, f.on_delete, f.on_update, f.name)
                )
            )
        changes = {e.column: e for e in enum_ops[b]}
        enum_checks = {c for e in enum_ops[b] for c in e.checks}
        old_ck = {c.sql: c for c in t0.checks if c not in enum_checks}
        new_ck = {c.sql: c for c in t1.checks if c not in enum_checks}
        for sql in sorted(old_ck.keys() - new_ck.keys()):
            drops_first.append(o.DropCheck(a, old_ck[sql].text or sql, old_ck[sql].name))
        for sql in sorted(new_ck.keys() - old_ck.keys()):
            adds_last.append(o.AddCheck(b, new_ck[sql].text or sql, new_ck[sql].name))
        old_cols = {mapping.get(c.name, c.name): c for c in t0.columns}
        for col in t1.ordered_columns():
            if col.name not in old_cols:
                column_changes.append(o.AddColumn(b, col_of(col)))
                continue
            before = old_cols[col.name]
            alter: list[Operation] = []
            if (before.type, before.nullable, before.default, before.collation) != (
                col.type, col.nullable, col.default, col.collation,
            ):  # fmt: skip
                alter.append(o.AlterColumn(b, col_of(col), narrowing(before, col)))
            e = changes.get(col.name)
            if e is not None:
                values = o.AlterEnum(b, col.name, e.new, e.renames, e.removed)
                shorter = bool(alter) and narrowing(before, col)
                if shorter and _similar_columns(before, col):
                    # the rows hold only the new values once it ran: nothing is cut off
                    alter = [o.AlterColumn(b, col_of(col), False)]
                alter = [values, *alter] if shorter else [*alter, values]
            column_changes += alter
        for name in sorted(old_cols.keys() - {c.name for c in t1.columns}):
            column_drops.append(o.DropColumn(b, name))
        if t0.primary_key != t1.primary_key and ren(t0.primary_key) != t1.primary_key:
            raise ConfigurationError(
                f"table {b}: changing the primary key ({t0.primary_key} to {t1.primary_key}) "
                f"is not automated; write the migration by hand (RunSQL)"
            )

    added = _order_new_tables([new_t[n] for n in came], set(old_t) | set(new_t) - set(came))
    made: set[str] = set(n for n in new_t if n not in came)
    for t in added:
        later = [
            f for f in t.foreign_keys if f.ref_table in {x.name for x in added} - made - {t.name}
        ]
        op = create_table_op(t)
        if later:
            op.foreign_keys = [
                f for f in op.foreign_keys if f.ref_table not in {x.ref_table for x in later}
            ]
            for f in later:
                late_fks.append(
                    o.AddForeignKey(
                        t.name,
                        o.Fk(
                            f.columns, f.ref_table, f.ref_columns, f.on_delete, f.on_update, f.name
                        ),
                    )
                )
        creates.append(op)
        made.add(t.name)
    gone_tables = [old_t[n] for n in gone]
    for t in reversed(_order_new_tables(gone_tables, set())):
        table_drops.append(o.DropTable(t.name))
    return (
        drops_first + renames_ops + creates + late_fks + column_changes + column_drops
        + table_drops + adds_last + fks_last
    )  # fmt: skip


def inverse(op: Operation, before: SchemaState) -> Operation:
    """The operation undoing ``op``, given the state before it."""
    if isinstance(op, o.CreateTable):
        return o.DropTable(op.name)
    if isinstance(op, o.DropTable):
        return create_table_op(before.table(op.name))
    if isinstance(op, o.RenameTable):
        return o.RenameTable(op.new, op.old)
    if isinstance(op, o.AddColumn):
        return o.DropColumn(op.table, op.column.name)
    if isinstance(op, o.DropColumn):
        return o.AddColumn(op.table, col_of(before.table(op.table).column(op.name)))
    if isinstance(op, o.RenameColumn):
        return o.RenameColumn(op.table, op.new, op.old)
    if isinstance(op, o.AlterColumn):
        old = before.table(op.table).column(op.column.name)
        return o.AlterColumn(op.table, col_of(old), narrowing=False)
    if isinstance(op, o.CreateIndex):
        return o.DropIndex(op.table, op.index.name)
    if isinstance(op, o.DropIndex):
        ix = next(i for i in before.table(op.table).indexes if i.name == op.name)
        return o.CreateIndex(op.table, ix_of(ix, op.table))
    if isinstance(op, o.AddUnique):
        return o.DropUnique(op.table, op.columns, op.name)
    if isinstance(op, o.DropUnique):
        return o.AddUnique(op.table, op.columns, op.name)
    if isinstance(op, o.AddForeignKey):
        f = op.foreign_key
        return o.DropForeignKey(op.table, f.columns, f.ref_table, f.name)
    if isinstance(op, o.DropForeignKey):
        fk = next(
            f
            for f in before.table(op.table).foreign_keys
            if (f.columns, f.ref_table) == (tuple(op.columns), op.ref_table)
        )
        return o.AddForeignKey(
            op.table,
            o.Fk(fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update, fk.name),
        )
    if isinstance(op, o.AlterEnum):
        found = o.enum_check(before.table(op.table), op.column)
        old_values = found[1] if found else ()
        back = {b: a for a, b in op.renames.items()}
        added = {v: None for v in op.values if v not in old_values and v not in back}
        return o.AlterEnum(op.table, op.column, old_values, back, added)
    if isinstance(op, o.AddCheck):
        return o.DropCheck(op.table, op.sql, op.name)
    if isinstance(op, o.DropCheck):
        return o.AddCheck(op.table, op.sql, op.name)
    raise ConfigurationError(f"{op.describe()}: no automatic inverse")


def with_inverses(
    ops: list[Operation], start: SchemaState, ctx: Context
) -> tuple[list[Operation], SchemaState]:
    """The downgrade (inverses in reverse order) of ``ops`` applied to ``start``, and the
    state after ``ops``."""
    state = start
    inverses = []
    for op in ops:
        inverses.append(inverse(op, state))
        state = op.apply(state, ctx)
    return list(reversed(inverses)), state
