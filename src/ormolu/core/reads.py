"""Operations that read: queries with hydration, ``get``, ``refresh``, expired attributes,
streamed results and raw SQL.

Each is a generator of the operation protocol (:mod:`ormolu.protocol`): it compiles
its statement (pure, cached), yields one :class:`~ormolu.protocol.Execute` per round
trip and turns the reply's rows into objects with the session's row loaders. Eager
relationship loads follow with ``yield from`` (:mod:`ormolu.core.loads`). A query first
flushes pending changes when the session autoflushes, so it sees them; a query that
locks rows (``for_update``) or streams where the backend needs a transaction for it
begins the transaction first. Other reads run in whatever mode the session is in: in
autocommit mode until its first write (see :mod:`ormolu.core.transaction`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import (
    InvalidRequestError,
    MultipleResultsFound,
    ObjectDeletedError,
)
from ..orm.columns import ColumnPlan, with_columns
from ..orm.joined import assemble_joined, joined_query
from ..orm.loading import build_loader_factory, rows_converter
from ..orm.state import PENDING, PERSISTENT, STATE_KEY
from ..orm.strategies import LoadPlan, ResultGroup, batch_for
from ..protocol import RESULT, ROWS, CloseStream, Execute, FetchStream, Op, OpenStream, Reply
from ..schema.types import type_for_value
from ..sql.compiler import compile_statement
from ..sql.elements import ClauseElement
from ..sql.selectable import CompoundSelect, Select
from ..sql.textparse import to_positional
from .begin import begin_tx
from .flush import flush_op
from .planning import check_columns, joins, load_plans, plan_for, prepare

if TYPE_CHECKING:
    from .state import SessionState

_new = tuple.__new__


def autoflush(state: SessionState) -> Op[None]:
    """Flush pending changes first, if the session autoflushes (so a query sees them)."""
    if state.autoflush and not state.flushing and (state.new or state.dirty or state.deleted):
        yield from flush_op(state)


def needs_tx(state: SessionState, stmt: Any = None) -> bool:
    """Whether reading ``stmt`` must first begin the database transaction: it is not open
    yet, and the backend reads one snapshot per transaction (so reads outside it would
    see something else, see ``Dialect.statement_snapshots``) or the statement locks rows."""
    if state.in_tx:
        return False
    return not state.dialect.statement_snapshots or getattr(stmt, "_for_update", None) is not None


# -- queries ---------------------------------------------------------------------------
def _grouped(
    state: SessionState, group: ResultGroup | None, load: Any, rows: list[Any]
) -> list[Any]:
    """``load(rows)`` with new objects joining ``group`` (see ``SessionState.load_group``)."""
    if group is None:
        return load(rows)  # type: ignore[no-any-return]
    prev, state.load_group = state.load_group, group
    try:
        return load(rows)  # type: ignore[no-any-return]
    finally:
        state.load_group = prev


def fetch(
    state: SessionState,
    stmt: Any,
    mode: str = "objects",
    options: tuple[Any, ...] = (),
    limit: int = 0,
    group: ResultGroup | None = None,
    eager: bool = True,
    columns: ColumnPlan | None = None,
) -> Op[list[Any]]:
    """Run SELECT ``stmt`` and load its rows: objects, values or tuples of them
    (``mode="objects"``), ``"tuples"`` or ``"dicts"``; at most ``limit`` rows (0: all).
    Relationships the plan asks for are loaded after (select-in) or joined in (a query
    of one model). The objects join ``group`` when given (one select-in load's chunks
    form one group), else a new group of their own; ``eager=False`` loads no
    relationship eagerly. Column options among ``options`` (and ``columns``, the choices
    of an enclosing query) choose the fields loaded (see :mod:`ormolu.orm.columns`)."""
    if state.autoflush and not state.flushing and (state.new or state.dirty or state.deleted):
        yield from autoflush(state)
    if needs_tx(state, stmt):
        yield from begin_tx(state)
    if options or columns:
        given = options
        stmt, options, columns = prepare(stmt, options, columns)
        plans, own_group = plan_for(stmt, mode, options, eager)
        if len(given) != len(options):
            check_columns(stmt, given, plans)
    else:
        plans, own_group = plan_for(stmt, mode, options, eager)
    if group is None:
        group = own_group
    if joins(plans):
        return (yield from _fetch_joined(state, stmt, plans[0][1], group, limit, columns))
    compiled, params = compile_statement(state.dialect, stmt)
    reply = yield _new(Execute, (compiled.sql, params, False, ROWS, limit))
    rows = reply.rows
    ents = stmt._entities
    if mode != "objects":
        convert = rows_converter(compiled, ents, state.dialect, mode)
        return convert(rows)
    if limit == 0:
        # The rows are converted all at once, column by column (see rows_converter), then
        # the objects are built from them (the runner has paused the collector for a large
        # result: see ormolu.protocol.PAUSE_ROWS).
        convert = rows_converter(compiled, ents, state.dialect, "tuples")
        load_all = state.loader(compiled, ents, "many")
        objs = _grouped(state, group, load_all, convert(rows))
    else:
        load = state.loader(compiled, ents, "objects")
        objs = _grouped(state, group, _load_each(load), rows)
    if objs:
        if plans:
            yield from load_plans(state, plans, objs, columns)
        if state.levels[-1].has_writes or len(state.levels) > 1:
            state.record_loaded(_objects_in(objs))
    return objs


def _load_each(load: Any) -> Any:
    return lambda rows: [load(r) for r in rows]


def _objects_in(results: list[Any]) -> list[Any]:
    """The model objects in a list of results (objects, or tuples holding some)."""
    first = results[0]
    if type(first) is tuple:
        return [v for r in results for v in r if hasattr(type(v), "__mapper__")]
    return results if hasattr(type(first), "__mapper__") else []


def _fetch_joined(
    state: SessionState,
    base: Any,
    plan: LoadPlan,
    group: ResultGroup | None,
    limit: int,
    columns: ColumnPlan | None,
) -> Op[list[Any]]:
    mapper = base._entities[0].mapper
    if not isinstance(base, Select):
        raise InvalidRequestError("joinedload() cannot follow union(); use selectinload")
    # (built and compiled once per query shape: see ormolu.orm.joined)
    compiled, params, entities, shape = joined_query(state.dialect, base, mapper, plan, columns)
    steps = shape.steps
    reply = yield _new(Execute, (compiled.sql, params, False, ROWS, 0))
    # All the rows at once, column by column, then each entity's objects (see fetch)
    convert = rows_converter(compiled, entities, state.dialect, "tuples")
    load_all = state.loader(compiled, entities, "many")
    rows = _grouped(state, group, load_all, convert(reply.rows))
    parents = assemble_joined(rows, steps)
    if state.levels[-1].has_writes or len(state.levels) > 1:
        # every object of the rows, the joined ones too: a rollback of a level that
        # wrote expires them (see SessionState.record_loaded)
        state.record_loaded({id(o): o for r in rows for o in r}.values())
    if limit and len(parents) > limit:
        parents = parents[:limit]
    from .loads import load_nodes

    # select-in nodes: at the top level, and below joined ones
    if shape.top:
        yield from load_nodes(state, parents, shape.top, columns)
    for index, below in shape.below:
        unique = list({id(r[index]): r[index] for r in rows if r[index] is not None}.values())
        if unique:
            yield from load_nodes(state, unique, below, columns)
    return parents


def fetch_scalar(state: SessionState, stmt: Any) -> Op[Any]:
    """The first column of the first row of ``stmt`` (converted), or ``None``."""
    yield from autoflush(state)
    if needs_tx(state, stmt):
        yield from begin_tx(state)
    compiled, params = compile_statement(state.dialect, stmt)
    reply = yield _new(Execute, (compiled.sql, params, False, ROWS, 1))
    if not reply.rows:
        return None
    value = reply.rows[0][0]
    proc = state.dialect.result_processor(compiled.types[0]) if compiled.types else None
    return value if proc is None else proc(value)


# -- get and refresh ---------------------------------------------------------------------
def get(state: SessionState, model: type[Any], pk: Any) -> Op[Any]:
    """The object of ``model`` with primary key ``pk``: from the identity map when there
    (its expired attributes reloaded), else one SELECT; ``None`` if there is no such row.
    A pending object that will take that key (after deleting the old one) counts."""
    if state.closed:
        state.check_open()
    mapper = model.__mapper__
    ident = (mapper, state.normalise_pk(mapper, pk))
    obj = state.identity_map.get(ident)
    if obj is not None and not obj.__dict__[STATE_KEY].to_delete:
        if not obj.__dict__.keys() >= mapper.key_set and expired(obj):  # is the row there?
            try:
                yield from load_attribute(state, obj, None)
            except ObjectDeletedError:
                return None  # (refresh detached it)
        return obj
    if state.new:
        if state.autoflush and not state.flushing:
            yield from autoflush(state)
            found = state.identity_map.get(ident)
            if found is not None and not found.__dict__[STATE_KEY].to_delete:
                return found
        else:
            pending = state.pending_with_key(ident)
            if pending is not None:
                return pending
    if obj is not None:
        return None  # deleted in this session
    if state.autoflush and not state.flushing and (state.dirty or state.deleted):
        yield from autoflush(state)
    key = ident[1] if isinstance(ident[1], tuple) else (ident[1],)
    # The SELECT by primary key is compiled once per model: building and keying the
    # statement tree each time would cost more than running it.
    cache = state.dialect.compile_cache
    compiled = cache.data.get(("orm_get", mapper))
    if compiled is None:
        cols = [mapper.fields[k].column.ref for k in mapper.pk_keys]
        stmt: Select[Any] = Select((model,)).where(*[c == v for c, v in zip(cols, key)])
        compiled, _ = compile_statement(state.dialect, stmt)
        cache.put(("orm_get", mapper), compiled)
    # The statement's parameters are the key values in WHERE order.
    params = [
        key[i] if proc is None else proc(key[i])
        for i, proc in zip(compiled.bind_order, compiled.bind_procs)
    ]
    if not state.in_tx and not state.dialect.statement_snapshots:
        yield from begin_tx(state)
    reply = yield _new(Execute, (compiled.sql, params, False, ROWS, 2))
    rows = reply.rows
    if not rows:
        return None
    if len(rows) > 1:
        raise MultipleResultsFound(f"expected at most one row, got several: {compiled.sql}")
    obj = state.loader(compiled, (mapper.entity,), "objects")(rows[0])
    if state.levels[-1].has_writes or len(state.levels) > 1:
        state.record_loaded((obj,))
    return obj


def expired(obj: Any) -> bool:
    """Whether ``obj`` lacks a field that its load did not leave out on purpose (an
    expired one, which a reload of its row restores)."""
    d = obj.__dict__
    mapper = type(obj).__mapper__
    left_out = d[STATE_KEY].left_out
    for k in mapper.column_keys:
        if k not in d and k not in mapper.deferred_keys and not (left_out and k in left_out):
            return True
    return False


def refresh(
    state: SessionState,
    obj: Any,
    keep_changes: bool = False,
    keys: Sequence[str] | None = None,
) -> Op[None]:
    """Reload the columns of persistent ``obj`` (discarding unflushed changes to them
    unless ``keep_changes``).

    Without ``keys``: every field but the deferred ones not loaded (a deferred field
    stays unloaded until read; one already loaded is reloaded with the others), and
    loaded relationships are forgotten, to reload on next access. With ``keys`` (field
    names): exactly those fields, deferred or not, and nothing else changes.

    Raises ObjectDeletedError when its row no longer exists, InvalidRequestError for a
    name that is not a field of the model."""
    st = obj.__dict__.get(STATE_KEY)
    if st is None or st.session is not state or st.status != PERSISTENT:
        raise InvalidRequestError(f"{obj!r} is not persistent in this session")
    mapper = type(obj).__mapper__
    d = obj.__dict__
    if keys is None:
        wanted = {*mapper.load_keys, *(k for k in mapper.deferred_keys if k in d)}
    else:
        if isinstance(keys, str):
            raise InvalidRequestError(f"refresh() takes a list of field names, not {keys!r}")
        for k in keys:
            if k not in mapper.fields:
                raise InvalidRequestError(
                    f"refresh(): {mapper.name} has no field {k!r} (fields: "
                    f"{', '.join(mapper.column_keys)})"
                )
        wanted = set(keys)
    entity = mapper.entity.with_keys(wanted)
    key = st.key[1] if isinstance(st.key[1], tuple) else (st.key[1],)
    stmt: Select[Any] = with_columns(Select((type(obj),)), {mapper: frozenset(wanted)}).where(
        *[mapper.fields[k].column.ref == v for k, v in zip(mapper.pk_keys, key)]
    )
    if needs_tx(state):
        yield from begin_tx(state)
    compiled, params = compile_statement(state.dialect, stmt)
    reply = yield _new(Execute, (compiled.sql, params, False, ROWS, 1))
    if not reply.rows:
        # the row is gone: the object leaves the identity map (detached), so the session
        # shows no object for a row it does not have
        state.expunge(obj)
        raise ObjectDeletedError(f"{mapper.name} with primary key {st.key[1]!r} no longer exists")
    row = reply.rows[0]
    unflushed = {k: d[k] for k in st.modified or () if k in d} if keep_changes else {}
    modified = st.modified
    state.touch(obj)
    for k, v, col in zip(entity.keys, row, entity.columns):
        proc = state.dialect.result_processor(col.type)
        d[k] = v if proc is None else proc(v)
    if keys is not None:
        if modified and not keep_changes:
            for k in keys:
                modified.pop(k, None)  # (those changes are discarded)
            if not modified:
                st.modified = None
                state.dirty.pop(id(obj), None)
        state.record_loaded((obj,))
        return
    for rel in mapper.all_relationships:  # related objects reload on next access
        d.pop(rel.key, None)
    st.modified = None
    state.dirty.pop(id(obj), None)
    if unflushed:
        d.update(unflushed)
        st.modified = modified
        state.dirty[id(obj)] = obj
    state.record_loaded((obj,))


def load_attribute(state: SessionState, obj: Any, key: str | None) -> Op[Any]:
    """Load an attribute missing from the object's ``__dict__`` (expired, or filled in by
    the database) and return its value: the fields the object lacks (but those its load
    left out on purpose) are loaded — for every object of its load (its result group)
    that lacks ``key`` too, in one batch, so reading an expired field in a loop over a
    result costs one statement, not one per object. Values set but not flushed are kept.
    With no ``key``: the whole row of ``obj`` is reloaded (``get`` checking that an
    expired object's row still exists), and ``None`` returned.

    Raises ObjectDeletedError (and detaches ``obj``) when its row no longer exists."""
    from .columns import load_columns

    st = obj.__dict__[STATE_KEY]
    if st.status == PENDING:
        yield from flush_op(state)
    if key is None:
        yield from refresh(state, obj, keep_changes=True)
        return None
    d = obj.__dict__
    if key in d:  # (the flush filled it in)
        return d[key]
    mapper = type(obj).__mapper__
    left_out = st.left_out or ()
    keys = tuple(k for k in mapper.load_keys if k not in d and k not in left_out)
    if key not in keys:
        keys += (key,)
    yield from load_columns(state, mapper, batch_for(obj, key, state), keys)
    if key not in d:
        state.expunge(obj)
        raise ObjectDeletedError(f"{mapper.name} with primary key {st.key[1]!r} no longer exists")
    return d[key]


# -- streamed results --------------------------------------------------------------------
def open_stream(state: SessionState, stmt: Any, mode: str, size: int) -> Op[tuple[Any, Any, Any]]:
    """Execute ``stmt`` as a streamed result read ``size`` rows at a time; return its
    handle, the row loader and the compiled statement."""
    yield from autoflush(state)
    if needs_tx(state, stmt) or (state.dialect.streaming_needs_transaction and not state.in_tx):
        yield from begin_tx(state)
    compiled, params = compile_statement(state.dialect, stmt)
    reply = yield OpenStream(compiled.sql, params, size)
    load = state.loader(compiled, stmt._entities, mode if mode != "dicts" else "tuples")
    if mode == "dicts":
        keys = compiled.keys
        inner = load
        load = lambda row: dict(zip(keys, inner(row)))  # noqa: E731
    return reply.handle, load, compiled


def fetch_chunk(state: SessionState, handle: Any, size: int) -> Op[list[Any]]:
    """The next rows (at most ``size``) of a stream; ``[]`` at its end."""
    reply = yield FetchStream(handle, size)
    return reply.rows


def close_stream(handle: Any) -> Op[None]:
    """Close a stream (its end reached or not)."""
    yield CloseStream(handle)


# -- raw SQL ---------------------------------------------------------------------------
def execute(
    state: SessionState, statement: str | ClauseElement, params: Mapping[str, Any] | None
) -> Op[Reply]:
    """Run raw SQL text (``:name`` placeholders bound from ``params``) or a built
    statement; return the reply (rows, column names, rowcount). A statement other than
    a SELECT may write: it runs inside the transaction (begun first)."""
    state.check_open()
    yield from autoflush(state)
    is_select = isinstance(statement, Select | CompoundSelect)
    if isinstance(statement, str):
        if state.dialect.paramstyle == "format":
            # A literal '%' (LIKE 'a%', '100%') must not be read as a placeholder.
            statement = statement.replace("%", "%%")
        sql, names = to_positional(statement, state.dialect.placeholder)
        params = params or {}
        missing = [n for n in names if n not in params]
        if missing:
            raise InvalidRequestError(f"no value given for parameter(s) {', '.join(missing)}")
        values = []
        for n in names:
            v = params[n]
            proc = state.dialect.bind_processor(type_for_value(v))
            values.append(v if proc is None else proc(v))
        is_select = sql.lstrip()[:6].upper() == "SELECT"
    else:
        if params:
            raise InvalidRequestError("pass parameters inside text()/select(), not separately")
        compiled, values = compile_statement(state.dialect, statement)
        sql = compiled.sql
    if not is_select:
        yield from begin_tx(state)
        # It may write: a later failed flush must not roll back the whole transaction.
        state.levels[-1].has_writes = True
    elif needs_tx(state, statement):
        yield from begin_tx(state)
    reply = yield Execute(sql, values, want=RESULT)
    if reply.rows and isinstance(statement, Select | CompoundSelect):
        procs = [state.dialect.result_processor(t) for t in statement.types()]
        if any(procs):
            rows = [tuple(v if p is None else p(v) for v, p in zip(r, procs)) for r in reply.rows]
            reply = reply._replace(rows=rows)
    return reply


def execute_raw(state: SessionState, sql: str, params: Sequence[Any], many: bool) -> Op[Reply]:
    """Run SQL in the dialect's paramstyle as it is, inside the transaction."""
    state.check_open()
    yield from begin_tx(state)
    state.levels[-1].has_writes = True  # it may write (see flush)
    return (yield Execute(sql, params, many, RESULT))


def load_raw(state: SessionState, model: type[Any], reply: Reply) -> list[Any]:
    """Map the rows of a raw SELECT to ``model`` objects by column name (database or
    attribute names); they join the identity map like any query result."""
    mapper = model.__mapper__
    index: dict[str, int] = {}
    for i, name in enumerate(reply.columns):
        col = mapper.table.columns_by_name.get(name) or mapper.table.columns_by_key.get(name)
        if col is not None:
            index[col.key] = i
    missing = [k for k in mapper.load_keys if k not in index]
    if missing:
        raise InvalidRequestError(
            f"raw(): the result has no column for {mapper.name}.{', '.join(missing)}"
        )
    # (deferred fields the result has load too; the others load on first access)
    entity = mapper.entity.with_keys(index)
    load = build_loader_factory((entity,), state.dialect, "objects")(state)
    order = [index[k] for k in entity.keys]
    rows = [tuple(r[i] for i in order) for r in reply.rows]
    # (batched lazy loads)
    group = ResultGroup() if mapper.relationship_decls or entity.left_out else None
    objs = _grouped(state, group, _load_each(load), rows)
    state.record_loaded(objs)
    return objs
