"""Bulk writes outside the unit of work: ``insert_many``, ``upsert``, UPDATE and DELETE
by query, and ``merge``.

Each runs its statements through :func:`ormolu.core.transaction.atomic_write`, so all of
them or none are written, and validates every row before the first statement.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from operator import attrgetter, methodcaller
from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError
from ..orm.fields import MISSING
from ..orm.loading import build_loader_factory
from ..orm.state import PERSISTENT, STATE_KEY, new_state
from ..orm.strategies import ResultGroup
from ..orm.unitofwork import bulk_insert_plan, uniform_keys, upsert_plan, writer
from ..protocol import ROWCOUNT, Execute, Op
from ..schema import types as t
from ..sql.compiler import compile_statement
from .flush import _reset_identity
from .reads import _grouped, _load_each, autoflush
from .transaction import atomic_write

if TYPE_CHECKING:
    from .state import SessionState


def insert_many(
    state: SessionState, model: type[Any], rows: Iterable[Mapping[str, Any] | Any]
) -> Op[int]:
    """Insert ``rows`` (mappings of field values, or new ``model`` instances which become
    persistent with their generated keys); return the number inserted."""
    state.check_open()
    mapper = model.__mapper__
    dicts: list[dict[str, Any]] = []
    objs: list[Any] = []
    validated = mapper.row_values  # validated_values(row), generated for the model
    for row in rows:
        if type(row) is dict or isinstance(row, Mapping):  # (the ABC check costs more)
            dicts.append(validated(row))
            continue
        if type(row) is not model:
            raise TypeError(f"insert_many({model.__name__}): got {row!r}")
        if row.__dict__.get(STATE_KEY) is not None:
            raise InvalidRequestError(f"{row!r} already belongs to a session")
        objs.append(row)
    if not dicts and not objs:
        return 0
    yield from autoflush(state)
    all_rows = [o.__dict__ for o in objs] + dicts
    auto = mapper.auto_key
    if auto is None:
        explicit = False
    else:  # does any row bring its own key? (a comprehension and a C count: no call per row)
        keys = [d.get(auto) for d in all_rows]
        explicit = keys.count(None) != len(keys)

    def body() -> Op[None]:
        steps = _array_insert(state.dialect, mapper, all_rows, bool(objs))
        if steps is not None:
            for step in steps:  # noqa: UP028 (a list iterator takes no send(reply))
                yield step
        else:
            yield from bulk_insert_plan(
                state.dialect, mapper, all_rows, bool(objs), state.dialect.max_bind_parameters
            )
        if explicit:
            yield from _reset_identity(state, [mapper])

    yield from atomic_write(state, body(), objs)
    for o in objs:
        key = mapper.identity_key(o)
        o.__dict__[STATE_KEY] = new_state(o, state, key, PERSISTENT)
        state.identity_map[key] = o
    return len(all_rows)


# Rows per array INSERT at most, and characters of text and bytes (a multi-row VALUES
# chunk's text grows with its rows; an array statement's parameters do, and PostgreSQL
# takes a message of up to 1 GB): a larger insert is split into several statements.
ARRAY_ROWS = 10_000
ARRAY_CHARS = 32 * 2**20

# The class of the driver values of a column of each ormolu type, where the array insert
# takes it (every value, after the bind processor, must be of exactly this class or None).
# JSON (text the server parses as the column's type), DeclaredType and the rest are left
# to multi-row VALUES: text reaches only a text or varchar column by assignment.
_ARRAY_CLASSES: tuple[tuple[type[t.SQLType], type], ...] = (
    (t.Boolean, bool), (t.Integer, int), (t.Float, float), (t.String, str),
    (t.Bytes, bytes), (t.Numeric, Decimal), (t.DateTime, dt.datetime), (t.Date, dt.date),
    (t.Time, dt.time), (t.Interval, dt.timedelta), (t.Uuid, uuid.UUID),
)  # fmt: skip
_INT8 = 1 << 63
_tzinfo = attrgetter("tzinfo")
_utcoffset = methodcaller("utcoffset")


def _array_class(type_: t.SQLType) -> type | None:
    """The class of a column's driver values for the array insert, or None (not taken)."""
    if isinstance(type_, t.EnumType):
        return int if type_.is_int else str
    if isinstance(type_, t.DateTime) and type_.storage == "unixepoch":
        return None  # (sent as int seconds)
    for cls, py in _ARRAY_CLASSES:
        if isinstance(type_, cls):
            return py
    return None


def _array_insert(
    dialect: Any, mapper: Any, rows: list[dict[str, Any]], want_keys: bool
) -> list[Execute] | None:
    """The statements inserting ``rows`` (validated value dicts) with one array parameter
    per column (``dialect.array_insert_sql``), or None where that does not apply and the
    general plan (multi-row VALUES) inserts them: a dialect without it, fewer than two
    rows, rows of different columns, keys to read back, a column of a type not in
    ``_ARRAY_CLASSES``, a value of another class (a subclass too), datetimes with and
    without an offset in one column, an int beyond 64 bits, a NUL in text (refused
    before sending there, as the driver refuses it).

    Each value reaches its column as from multi-row VALUES: the array's element type is
    the type the driver sends the value with (``dialect.array_element_type``), converted
    to the column's by the same assignment cast; NULLs are NULL (not the default), and a
    failing row fails the statement (the caller's transaction or savepoint undoes it)."""
    if not dialect.supports_array_insert or len(rows) < 2:
        return None
    w = writer(dialect, mapper)
    keys = uniform_keys(w, rows)
    if not keys or (want_keys and w.auto is not None and w.auto not in keys):
        return None  # (no columns; or generated keys to read back: RETURNING in order)
    classes = dialect.orm_cache.get(("array_classes", mapper, keys))
    if classes is None:
        fields = mapper.fields
        classes = tuple(_array_class(fields[k].type) for k in keys)
        dialect.orm_cache[("array_classes", mapper, keys)] = classes
    if None in classes:
        return None
    cols = w.columns(rows, keys)
    elements = []
    chars = 0
    for col, cls in zip(cols, classes):
        found = set(map(type, col))
        if found == {cls}:
            values = col
        elif found == {type(None)}:
            elements.append(dialect.array_element_type(cls))  # (NULLs of the column's type)
            continue
        elif found == {cls, type(None)}:
            values = [v for v in col if v is not None]
        else:
            return None
        aware = False
        if cls is dt.datetime or cls is dt.time:
            zones = set(map(_tzinfo, values))
            if None in zones:
                if len(zones) > 1:
                    return None  # naive and aware in one column
            elif None in map(_utcoffset, values):
                return None  # a tzinfo without an offset: naive to Python, not to drivers
            else:
                aware = True
        elif cls is int:
            if not (min(values) >= -_INT8 and max(values) < _INT8):
                return None
        elif cls is str:
            text = "".join(values)
            if "\x00" in text and not dialect.supports_nul_in_text:
                return None  # (refused before sending there)
            chars += len(text)
        elif cls is bytes:
            chars += sum(map(len, values))
        elements.append(dialect.array_element_type(cls, aware))
    if None in elements:
        return None
    key = ("array_insert", mapper, keys, tuple(elements))
    sql = dialect.orm_cache.get(key)
    if sql is None:
        names = tuple(mapper.fields[k].column.name for k in keys)
        sql = dialect.orm_cache[key] = dialect.array_insert_sql(
            mapper.table, names, tuple(elements)
        )
    n = len(rows)
    per = max(1, min(ARRAY_ROWS, n * ARRAY_CHARS // max(1, chars)))
    if per >= n:
        return [Execute(sql, cols)]
    return [Execute(sql, [c[i : i + per] for c in cols]) for i in range(0, n, per)]


def upsert(
    state: SessionState,
    model: type[Any],
    rows: Iterable[Mapping[str, Any] | Any],
    conflict: Sequence[str] | None,
    update: Sequence[str] | None,
    do_nothing: bool,
    return_existing: bool = False,
) -> Op[list[Any]]:
    """Insert rows, updating the existing row instead when one conflicts; return the
    resulting objects where the backend has RETURNING (see ``Session.upsert``), and with
    ``return_existing`` the object of every row, read back where RETURNING gave none."""
    state.check_open()
    mapper = model.__mapper__
    dicts = [
        mapper.validated_values(
            r
            if isinstance(r, Mapping)
            else {k: v for k, v in r.__dict__.items() if k in mapper.fields}
        )
        for r in rows
    ]
    if not dicts:
        return []
    conflict_keys = tuple(conflict or mapper.pk_keys)
    for k in (*conflict_keys, *(update or ())):
        if k not in mapper.fields:
            raise InvalidRequestError(f"{mapper.name} has no field {k!r}")
    yield from autoflush(state)
    dialect = state.dialect

    def body() -> Op[list[Any]]:
        back: list[Any] = []
        plan = upsert_plan(
            dialect, mapper, dicts, conflict_keys, None if update is None else tuple(update),
            do_nothing, dialect.max_bind_parameters,
        )  # fmt: skip
        reply: Any = None
        while True:
            try:
                step = plan.send(reply)
            except StopIteration:
                break
            reply = yield step
            if reply.rows:
                back.extend(reply.rows)
        auto = mapper.auto_key
        if auto is not None and any(d.get(auto) is not None for d in dicts):
            yield from _reset_identity(state, [mapper])  # explicit keys: move the generator
        return back

    rows_back = yield from atomic_write(state, body())
    # (RETURNING gives every column, deferred ones too)
    load = build_loader_factory((mapper.full_entity,), dialect, "objects")(state)
    out: list[Any] = []
    group = ResultGroup() if mapper.relationship_decls else None  # (batched lazy loads)
    for obj, row in zip(_grouped(state, group, _load_each(load), rows_back), rows_back):
        values = obj.__dict__
        st = values[STATE_KEY]
        if not st.modified:  # the row changed in the database: refresh the object
            state.touch(obj)
            for k, v, col in zip(mapper.column_keys, row, mapper.columns):
                proc = dialect.result_processor(col.type)
                values[k] = v if proc is None else proc(v)
        out.append(obj)
    if return_existing:
        return (yield from _with_existing(state, mapper, dicts, conflict_keys, out))
    return out


def _with_existing(
    state: SessionState,
    mapper: Any,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    returned: list[Any],
) -> Op[list[Any]]:
    """One object per row of ``rows``, in their order: the ``returned`` ones, and the
    others (rows that existed and were left as they were, or every row where there is no
    RETURNING) read by their conflict ``keys``, one SELECT per batch."""
    from ..sql.elements import and_, or_
    from ..sql.selectable import Select
    from .reads import fetch

    def key_of(values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        key = tuple(values.get(k) for k in keys)
        return None if None in key else key

    have: dict[tuple[Any, ...], Any] = {}
    for obj in returned:
        k = key_of(obj.__dict__)
        if k is not None:
            have[k] = obj
    wanted = list(dict.fromkeys(k for k in map(key_of, rows) if k is not None))
    missing = [k for k in wanted if k not in have]
    cols = [getattr(mapper.cls, k) for k in keys]
    per = max(1, min(500, state.dialect.max_bind_parameters // len(keys)))
    for start in range(0, len(missing), per):
        chunk = missing[start : start + per]
        if len(keys) == 1:
            cond = cols[0].in_([k[0] for k in chunk])
        else:
            cond = or_(*[and_(*[c == v for c, v in zip(cols, k)]) for k in chunk])
        for obj in (yield from fetch(state, Select((mapper.cls,)).where(cond))):
            k = key_of(obj.__dict__)
            if k is not None:
                have[k] = obj
    out = [have[k] for k in wanted if k in have]
    seen = {id(o) for o in out}
    out.extend(o for o in returned if id(o) not in seen)  # (rows without a key value)
    return out


def bulk_write(state: SessionState, mapper: Any, stmt: Any) -> Op[int]:
    """Run an UPDATE or DELETE by query; return the matched row count. Objects of the
    model in the session are expired, so they reload on next access (a deleted one
    raises ObjectDeletedError then)."""
    state.check_open()
    yield from autoflush(state)
    compiled, params = compile_statement(state.dialect, stmt)

    def body() -> Op[int]:
        reply = yield Execute(compiled.sql, params, want=ROWCOUNT)
        return int(reply.rowcount)

    count: int = yield from atomic_write(state, body(), one_statement=True)
    for obj in list(state.identity_map.values()):
        if type(obj).__mapper__ is mapper:
            state.expire(obj)
    return count


def merge(state: SessionState, obj: Any, load: bool = True) -> Op[Any]:
    """Copy ``obj``'s loaded column values onto the session's object of the same primary
    key (loaded first if needed, ``get``), as changes the next flush writes; return that
    object. Without a row (or a key), a new pending copy is added. ``obj`` itself is not
    added or changed."""
    from .reads import get

    state.check_open()
    mapper = type(obj).__mapper__
    d = obj.__dict__
    key = mapper.identity_key(obj)
    target = None
    if key is not None:
        target = state.identity_map.get(key)
        if target is None and load:
            target = yield from get(state, type(obj), key[1])
    if target is None:
        values = {k: d[k] for k in mapper.column_keys if k in d}
        missing = [k for k in mapper.column_keys if k not in d]
        if missing and d.get(STATE_KEY) is not None:
            # A detached object with expired columns and no row to merge onto: a copy
            # would be inserted without those values (NULL, a server default, or a
            # NOT NULL failure at a later flush) — the values are unknown, so refuse.
            # (A transient object's unset server-default columns are left to the
            # database as for add().)
            raise InvalidRequestError(
                f"merge(): {mapper.name} with primary key {key[1] if key else None!r} has "
                f"no row to merge onto, and its field(s) {', '.join(missing)} are not "
                f"loaded (expired or deferred), so a copy cannot be added; refresh the "
                f"object in its session first, or set those fields"
            )
        target = object.__new__(type(obj))
        target.__dict__.update(values)
        state.add(target)
        return target
    if target is obj:
        return obj
    for k in mapper.column_keys:
        v = d.get(k, MISSING)
        if v is not MISSING and k not in mapper.pk_keys:
            setattr(target, k, v)
    return target
