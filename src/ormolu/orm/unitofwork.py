"""The unit of work: turns the session's pending changes into ordered statements.

:func:`flush_plan` is a generator: it yields :class:`Step` objects (SQL text, parameters,
what result is wanted) and receives the driver's result for each, so the same logic
serves any executor, sync or async. It never performs I/O itself.

Order: INSERTs table by table with referenced tables first, then UPDATEs, then DELETEs
with referencing tables first (children before parents). Within a table rows keep the
order in which they were added. An UPDATE sends only the columns whose values changed.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

from ..exceptions import ObjectDeletedError
from ..schema.table import sort_tables
from ..sql.compiler import compile_statement
from ..sql.dml import RowDelete, RowInsert, RowUpdate, Upsert
from .fields import MISSING
from .state import DELETED, PENDING, PERSISTENT, STATE_KEY

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .mapper import Mapper


class Step:
    """One statement for the executor. ``fetch`` says what to send back: ``"lastrowid"``,
    ``"rows"`` (all rows), ``"rowcount"`` or ``None``; ``many`` means executemany."""

    __slots__ = ("fetch", "many", "params", "sql")

    def __init__(self, sql: str, params: Any, many: bool = False, fetch: str | None = None):
        self.sql, self.params, self.many, self.fetch = sql, params, many, fetch


def _group(objs: Iterable[Any]) -> dict[Mapper, list[Any]]:
    out: dict[Mapper, list[Any]] = {}
    for o in objs:
        out.setdefault(type(o).__mapper__, []).append(o)
    return out


def flush_plan(
    dialect: Dialect, new: list[Any], dirty: list[Any], deleted: list[Any], touch: Any
) -> Generator[Step, Any, None]:
    """Yield the statements that write ``new``, ``dirty`` and ``deleted`` objects.

    ``touch(obj)`` is called before an object's state is changed (so a failed flush can be
    undone). Raises ObjectDeletedError when an UPDATE finds its row gone.
    """
    inserts, updates, deletes = _group(new), _group(dirty), _group(deleted)
    tables = {m.table: m for m in (*inserts, *updates, *deletes)}
    order = [tables[t] for t in sort_tables(list(tables))]
    for mapper in order:
        if mapper in inserts:
            yield from _insert(dialect, mapper, inserts[mapper], touch)
    for mapper in order:
        if mapper in updates:
            yield from _update(dialect, mapper, updates[mapper], touch)
    for mapper in reversed(order):
        if mapper in deletes:
            yield from _delete(dialect, mapper, deletes[mapper], touch)


def _bind_row(
    dialect: Dialect, mapper: Mapper, d: dict[str, Any], keys: tuple[str, ...]
) -> list[Any]:
    fields = mapper.fields
    out = []
    for k in keys:
        proc = dialect.bind_processor(fields[k].type)
        v = d[k]
        out.append(v if proc is None else proc(v))
    return out


def _insert(
    dialect: Dialect, mapper: Mapper, objs: list[Any], touch: Any
) -> Generator[Step, Any, None]:
    table = mapper.table
    auto = mapper.auto_key
    batch: list[Any] = []
    batch_keys: tuple[str, ...] | None = None

    def flush_batch() -> Generator[Step, Any, None]:
        if not batch or batch_keys is None:
            return
        stmt = RowInsert(table, tuple(mapper.fields[k].column.name for k in batch_keys))
        compiled, _ = compile_statement(dialect, stmt)
        rows = [_bind_row(dialect, mapper, o.__dict__, batch_keys) for o in batch]
        many = len(rows) > 1
        yield Step(compiled.sql, rows if many else rows[0], many=many)
        for o in batch:
            _mark_persistent(mapper, o, touch)
        batch.clear()

    for obj in objs:
        d = obj.__dict__
        keys = tuple(k for k in mapper.column_keys if k in d and not (k == auto and d[k] is None))
        missing = [k for k in mapper.column_keys if k not in keys]
        if not missing:
            if batch_keys != keys:
                yield from flush_batch()
                batch_keys = keys
            batch.append(obj)
            continue
        yield from flush_batch()
        batch_keys = None
        names = tuple(mapper.fields[k].column.name for k in keys)
        params = _bind_row(dialect, mapper, d, keys)
        if dialect.supports_returning:
            ret = tuple(mapper.fields[k].column.name for k in missing)
            compiled, _ = compile_statement(dialect, RowInsert(table, names, returning=ret))
            rows = yield Step(compiled.sql, params, fetch="rows")
            touch(obj)
            for k, v in zip(missing, rows[0]):
                proc = dialect.result_processor(mapper.fields[k].type)
                d[k] = v if proc is None else proc(v)
        else:
            compiled, _ = compile_statement(dialect, RowInsert(table, names))
            rowid = yield Step(compiled.sql, params, fetch="lastrowid")
            touch(obj)
            if auto is not None and d.get(auto) is None:
                d[auto] = rowid
            # other server defaults stay unloaded and are read on first access
        _mark_persistent(mapper, obj, touch)
    yield from flush_batch()


def _mark_persistent(mapper: Mapper, obj: Any, touch: Any) -> None:
    touch(obj)
    st = obj.__dict__[STATE_KEY]
    st.status = PERSISTENT
    st.key = mapper.identity_key(obj)
    st.modified = None


def _update(
    dialect: Dialect, mapper: Mapper, objs: list[Any], touch: Any
) -> Generator[Step, Any, None]:
    for obj in objs:
        d = obj.__dict__
        st = d[STATE_KEY]
        if st.status != PERSISTENT or not st.modified:
            continue
        changed = tuple(
            k
            for k in mapper.column_keys
            if k in st.modified and _changed(st.modified[k], d.get(k, MISSING))
        )
        if not changed:
            touch(obj)
            st.modified = None
            continue
        original = {**d, **{k: v for k, v in st.modified.items() if v is not MISSING}}
        stmt = RowUpdate(
            mapper.table,
            tuple(mapper.fields[k].column.name for k in changed),
            mapper.pk_names,
        )
        compiled, _ = compile_statement(dialect, stmt)
        params = _bind_row(dialect, mapper, d, changed) + _bind_row(
            dialect, mapper, original, mapper.pk_keys
        )
        count = yield Step(compiled.sql, params, fetch="rowcount")
        if count == 0:
            raise ObjectDeletedError(
                f"{mapper.name} with primary key {st.key[1]!r}: UPDATE matched no row "
                f"(deleted by someone else?)"
            )
        touch(obj)
        st.modified = None
        st.key = mapper.identity_key(obj)


def _changed(old: Any, new: Any) -> bool:
    if old is new:
        # A dict or list (JSON) assigned again may have been changed in place.
        return isinstance(new, dict | list)
    return not _equal(old, new)


def _equal(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _delete(
    dialect: Dialect, mapper: Mapper, objs: list[Any], touch: Any
) -> Generator[Step, Any, None]:
    compiled, _ = compile_statement(dialect, RowDelete(mapper.table, mapper.pk_names))
    rows = []
    for obj in objs:
        st = obj.__dict__[STATE_KEY]
        original = {
            **obj.__dict__,
            **{k: v for k, v in (st.modified or {}).items() if v is not MISSING},
        }
        rows.append(_bind_row(dialect, mapper, original, mapper.pk_keys))
    yield Step(compiled.sql, rows, many=True)
    for obj in objs:
        touch(obj)
        st = obj.__dict__[STATE_KEY]
        st.status = DELETED
        st.to_delete = False
        st.modified = None


_ = PENDING


def bulk_insert_plan(
    dialect: Dialect,
    mapper: Mapper,
    rows: list[dict[str, Any]],
    want_keys: bool,
    max_params: int,
) -> Generator[Step, Any, None]:
    """Yield the statements inserting ``rows`` (validated value dicts) into ``mapper``'s table.

    Rows with the same columns are grouped. When generated keys are wanted and the dialect
    has RETURNING, rows go in multi-row ``INSERT ... VALUES (...), (...) RETURNING pk``
    batches of at most ``max_params`` parameters, and the keys are written back into the
    dicts in order; without RETURNING each row is inserted alone and ``lastrowid`` read.
    Otherwise rows go through one ``executemany`` per group.
    """
    auto = mapper.auto_key
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for d in rows:
        keys = tuple(k for k in mapper.column_keys if k in d and not (k == auto and d[k] is None))
        groups.setdefault(keys, []).append(d)
    table = mapper.table
    for keys, group in groups.items():
        names = tuple(mapper.fields[k].column.name for k in keys)
        need_ids = want_keys and auto is not None and auto not in keys
        params = [_bind_row(dialect, mapper, d, keys) for d in group]
        if not need_ids:
            compiled, _ = compile_statement(dialect, RowInsert(table, names))
            yield Step(compiled.sql, params, many=True)
            continue
        assert auto is not None
        if not dialect.supports_returning:
            compiled, _ = compile_statement(dialect, RowInsert(table, names))
            for d, p in zip(group, params):
                d[auto] = yield Step(compiled.sql, p, fetch="lastrowid")
            continue
        per = max(1, max_params // max(1, len(keys)))
        ret = (mapper.fields[auto].column.name,)
        for start in range(0, len(group), per):
            chunk = params[start : start + per]
            compiled, _ = compile_statement(dialect, RowInsert(table, names, len(chunk), ret))
            flat = [v for p in chunk for v in p]
            returned = yield Step(compiled.sql, flat, fetch="rows")
            # SQLite and PostgreSQL return the rows of a multi-row VALUES in insertion order.
            for d, r in zip(group[start : start + per], returned):
                d[auto] = r[0]


def upsert_plan(
    dialect: Dialect,
    mapper: Mapper,
    rows: list[dict[str, Any]],
    conflict: tuple[str, ...],
    update: tuple[str, ...] | None,
    do_nothing: bool,
    max_params: int,
) -> Generator[Step, Any, None]:
    """Yield the upsert statements for ``rows`` (grouped by their columns, batched within
    ``max_params``), asking for every column back where the dialect has RETURNING."""
    auto = mapper.auto_key
    fields = mapper.fields
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for d in rows:
        keys = tuple(k for k in mapper.column_keys if k in d and not (k == auto and d[k] is None))
        groups.setdefault(keys, []).append(d)
    returning = tuple(c.name for c in mapper.columns) if dialect.supports_returning else ()
    for keys, group in groups.items():
        upd = (
            ()
            if do_nothing
            else (update if update is not None else tuple(k for k in keys if k not in conflict))
        )
        per = max(1, max_params // max(1, len(keys)))
        for start in range(0, len(group), per):
            chunk = group[start : start + per]
            stmt = Upsert(
                mapper.table,
                tuple(fields[k].column.name for k in keys),
                len(chunk),
                tuple(fields[k].column.name for k in conflict),
                tuple(fields[k].column.name for k in upd),
                returning,
            )
            compiled, _ = compile_statement(dialect, stmt)
            flat = [v for d in chunk for v in _bind_row(dialect, mapper, d, keys)]
            yield Step(compiled.sql, flat, fetch="rows" if returning else None)
