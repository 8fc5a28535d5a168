"""The unit of work: turns the session's pending changes into ordered statements.

  :func:`flush_plan` is an operation of the protocol (:mod:`ormolu.protocol`): it yields
:class:`~ormolu.protocol.Execute` steps (SQL text, parameters,
what result is wanted) and receives the driver's result for each, so the same logic
serves any executor, sync or async. It never performs I/O itself.

Order: INSERTs table by table with referenced tables first, then UPDATEs, then DELETEs
with referencing tables first (children before parents). Within a table rows keep the
order in which they were added. An UPDATE sends only the columns whose values changed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import repeat
from operator import ge, itemgetter
from typing import TYPE_CHECKING, Any

from ..exceptions import ObjectDeletedError
from ..protocol import LASTROWID, NONE, ROWCOUNT, ROWS, Execute, Op
from ..schema.table import sort_tables
from ..sql.compiler import compile_statement
from ..sql.dml import RowDelete, RowDeleteIn, RowInsert, RowUpdate, Upsert
from .fields import MISSING
from .mutable import JSON_TYPES, same_json
from .state import DELETED, PENDING, PERSISTENT, STATE_KEY
from .state import dict_of as _dict_of
from .state import key_of as _key_of
from .state import modified_of as _modified_of
from .state import state_in_dict as _state_of
from .state import to_delete_of as _to_delete_of
from .versioning import versioned_delete, versioned_update

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .mapper import Mapper


_item1 = itemgetter(1)


def drain(iterator: Any) -> None:
    """Run ``iterator`` (a map of calls) to its end, in C."""
    deque(iterator, maxlen=0)


def _group(objs: Iterable[Any]) -> dict[Mapper, list[Any]]:
    out: dict[Mapper, list[Any]] = {}
    for o in objs:
        out.setdefault(type(o).__mapper__, []).append(o)
    return out


def flush_plan(
    dialect: Dialect,
    new: list[Any],
    dirty: list[Any],
    deleted: list[Any],
    touch: Any,
    max_params: int | None = None,
    touch_inserted: Any = None,
    touch_persistent: Any = None,
) -> Op[None]:
    """Yield the statements that write ``new``, ``dirty`` and ``deleted`` objects.

    ``touch(obj, generated=None)`` is called before an object's state is changed (so a
    failed flush can be undone); for a new object ``generated`` is the tuple of fields the
    flush will fill in from the database, the only values of it this plan changes.
    ``max_params`` bounds the parameters of one statement (default: the dialect's limit).
    ``touch_inserted(objs, generated)``, if given, stands for ``touch(obj, generated)``
    of each new object of a batch whose generated key alone is read back (one call per
    statement rather than per object); ``touch_persistent(objs, states, modified,
    to_delete)`` likewise for a batch of persistent objects updated (none changing its
    primary key or marked for deletion) or deleted, with the modified values and delete
    mark they have before it. Raises ObjectDeletedError when an UPDATE finds its row gone.
    """
    early, deleted = split_replaced(new, dirty, deleted)
    inserts, updates, deletes = _group(new), _group(dirty), _group(deleted)
    replaced = _group(early)
    tables = {m.table: m for m in (*inserts, *updates, *deletes, *replaced)}
    if len(tables) > 1:
        order = [tables[t] for t in sort_tables(list(tables))]
    else:
        order = list(tables.values())
    limit = max_params or dialect.max_bind_parameters
    # rows whose key or unique value a new or changed row takes go first
    for mapper in reversed(order):
        if mapper in replaced:
            yield from _delete(dialect, mapper, replaced[mapper], touch, touch_persistent)
    for mapper in order:
        if mapper in inserts:
            yield from _insert(
                dialect, mapper, inserts[mapper], touch, limit, lean=True, touch_many=touch_inserted
            )
    for mapper in order:
        if mapper in updates:
            yield from _update(dialect, mapper, updates[mapper], touch, touch_persistent)
    for mapper in reversed(order):
        if mapper in deletes:
            yield from _delete(dialect, mapper, deletes[mapper], touch, touch_persistent)


def split_replaced(
    new: list[Any], dirty: list[Any], deleted: list[Any]
) -> tuple[list[Any], list[Any]]:
    """(deleted objects whose primary key or unique values a new or changed object of the
    same flush takes, the other deleted objects): the DELETE of the first must run before
    the INSERT or UPDATE that reuses the value, or the database refuses it."""
    if not deleted or not (new or dirty):
        return [], deleted
    taken: set[tuple[Any, ...]] = set()
    for o in (*new, *dirty):
        mapper = type(o).__mapper__
        d = o.__dict__
        for keys in mapper.unique_sets:
            vals = tuple(d.get(k) for k in keys)
            if None not in vals:
                taken.add((mapper.table, keys, vals))
    if not taken:
        return [], deleted
    early: list[Any] = []
    rest: list[Any] = []
    for o in deleted:
        mapper = type(o).__mapper__
        d = o.__dict__
        m = d[STATE_KEY].modified or {}
        hit = False
        for keys in mapper.unique_sets:
            # the values the row has in the database (before unflushed changes)
            vals = tuple(m[k] if k in m else d.get(k) for k in keys)
            if (mapper.table, keys, vals) in taken:
                hit = True
                break
        (early if hit else rest).append(o)
    return early, rest


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


class _Writer:
    """What writing one mapper's rows on one dialect needs, computed once and kept in
    ``dialect.orm_cache``: the bind processors of each column set and the SQL text of each
    row statement. A flush then spends no time building, keying and compiling statement
    trees, or looking processors up field by field."""

    __slots__ = (
        "all_keys", "auto", "binders", "dialect", "key_set", "mapper", "missing_keys",
        "no_auto", "ordered", "position", "sql",
    )  # fmt: skip

    def __init__(self, dialect: Dialect, mapper: Mapper) -> None:
        self.dialect = dialect
        self.mapper = mapper
        self.auto = mapper.auto_key
        self.all_keys = mapper.column_keys
        self.key_set = frozenset(mapper.column_keys)
        self.no_auto = tuple(k for k in mapper.column_keys if k != self.auto)
        self.position = {k: i for i, k in enumerate(mapper.column_keys)}
        self.ordered: dict[tuple[str, ...], tuple[str, ...]] = {}  # see changed_keys
        # column keys -> ((key, bind processor or None), ...)
        self.binders: dict[tuple[str, ...], tuple[tuple[str, Any], ...]] = {}
        self.sql: dict[Any, str] = {}
        self.missing_keys: dict[tuple[str, ...], tuple[tuple[str, ...], list[Any]]] = {}

    def present_keys(self, d: dict[str, Any]) -> tuple[str, ...]:
        """The columns ``d`` holds values for, in column order (a ``None`` database-generated
        key counts as absent: the database assigns it)."""
        auto = self.auto
        if d.keys() >= self.key_set:  # the usual case: every field has a value
            return self.all_keys if auto is None or d[auto] is not None else self.no_auto
        return tuple(k for k in self.all_keys if k in d and not (k == auto and d[k] is None))

    def binder(self, keys: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
        """``(key, bind processor)`` for each of ``keys``."""
        pairs = self.binders.get(keys)
        if pairs is None:
            fields = self.mapper.fields
            pairs = tuple((k, self.dialect.bind_processor(fields[k].type)) for k in keys)
            self.binders[keys] = pairs
        return pairs

    def missing(self, keys: tuple[str, ...]) -> tuple[tuple[str, ...], list[Any]]:
        """The columns not in ``keys`` (those the database fills in), and their result
        processors."""
        found = self.missing_keys.get(keys)
        if found is None:
            missing = tuple(k for k in self.all_keys if k not in keys)
            procs = [self.dialect.result_processor(self.mapper.fields[k].type) for k in missing]
            found = self.missing_keys[keys] = (missing, procs)
        return found

    def columns(self, dicts: list[dict[str, Any]], keys: tuple[str, ...]) -> list[list[Any]]:
        """The driver values of ``keys`` in each of ``dicts``, column by column: one
        comprehension per column rather than a Python call per row."""
        cols = []
        for k, p in self.binder(keys):
            col = [d[k] for d in dicts]
            if p is not None:
                fast = getattr(p, "column_fast_path", None)
                try:
                    if fast is None:
                        raise TypeError
                    col = list(map(fast, col))  # C calls only (see DateTime)
                except (TypeError, AttributeError):  # a NULL: the full processor
                    col = list(map(p, col))
            cols.append(col)
        return cols

    def rows(self, dicts: list[dict[str, Any]], keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """The driver values of ``keys`` in each of ``dicts``, a tuple per dict."""
        return list(zip(*self.columns(dicts, keys)))

    def flat(self, dicts: list[dict[str, Any]], keys: tuple[str, ...]) -> list[Any]:
        """The driver values of ``keys`` in each of ``dicts``, one row after the other (the
        parameters of a multi-row VALUES)."""
        n = len(keys)
        out: list[Any] = [None] * (n * len(dicts))
        for i, col in enumerate(self.columns(dicts, keys)):
            out[i::n] = col
        return out

    def params(self, d: dict[str, Any], keys: tuple[str, ...]) -> list[Any]:
        """The driver values of ``d``'s ``keys``."""
        return [d[k] if p is None else p(d[k]) for k, p in self.binder(keys)]

    def key_columns(self, objs: list[Any]) -> list[list[Any]]:
        """The driver values of the primary key of ``objs`` as the database has it
        (before any unflushed change to it), column by column."""
        pairs = self.binder(self.mapper.pk_keys)
        # A persistent object's identity key holds just that: read it with C-level maps.
        idents = list(map(_key_of, map(_state_of, map(_dict_of, objs))))
        if None not in idents:
            pks = list(map(_item1, idents))
            raw = [pks] if len(pairs) == 1 else [list(c) for c in zip(*pks)]
            return [c if p is None else list(map(p, c)) for (_, p), c in zip(pairs, raw)]
        cols = []
        for k, p in pairs:
            col = []
            for o in objs:
                d = o.__dict__
                m = d[STATE_KEY].modified
                v = m.get(k, MISSING) if m else MISSING
                col.append(d[k] if v is MISSING else v)
            cols.append(col if p is None else list(map(p, col)))
        return cols

    def _compiled_sql(self, key: Any, stmt: Any) -> str:
        sql = self.sql.get(key)
        if sql is None:
            if len(self.sql) >= _MAX_SHAPES:  # (statements of many sizes: keep the recent)
                self.sql.clear()
            sql = self.sql[key] = compile_statement(self.dialect, stmt)[0].sql
        return sql

    def insert_sql(
        self, keys: tuple[str, ...], rows: int = 1, returning: tuple[str, ...] = ()
    ) -> str:
        """``INSERT`` of ``keys`` for ``rows`` rows, ``RETURNING`` the ``returning`` keys."""
        sql = self.sql.get(("insert", keys, rows, returning))
        if sql is None:
            names = self._names(keys)
            stmt = RowInsert(self.mapper.table, names, rows, self._names(returning))
            sql = self._compiled_sql(("insert", keys, rows, returning), stmt)
        return sql

    def update_sql(self, keys: tuple[str, ...]) -> str:
        """``UPDATE`` of ``keys`` by primary key."""
        sql = self.sql.get(("update", keys))
        if sql is None:
            stmt = RowUpdate(self.mapper.table, self._names(keys), self.mapper.pk_names)
            sql = self._compiled_sql(("update", keys), stmt)
        return sql

    def delete_sql(self) -> str:
        """``DELETE`` by primary key."""
        return self._compiled_sql("delete", RowDelete(self.mapper.table, self.mapper.pk_names))

    def delete_in_sql(self, rows: int) -> str:
        """``DELETE ... WHERE key IN (...)`` of ``rows`` keys (a one-column primary key)."""
        key = ("delete_in", rows)
        sql = self.sql.get(key)
        if sql is None:
            stmt = RowDeleteIn(self.mapper.table, self.mapper.pk_names[0], rows)
            sql = self._compiled_sql(key, stmt)
        return sql

    def _names(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.mapper.fields[k].column.name for k in keys)

    def changed_keys(self, d: dict[str, Any], m: dict[str, Any]) -> tuple[str, ...]:
        """The fields of ``d`` whose value differs from ``m`` (field -> value in the
        database), in column order."""
        changed = []
        for k, old in m.items():
            new = d.get(k, MISSING)
            # Changed unless the same object (a dict or list, JSON, may have been changed
            # in place, so it counts as changed) or an equal value of the same type (a
            # comparison that raises counts as changed).
            if old is new:
                if not isinstance(new, dict | list):  # JSON may have changed in place
                    continue
            elif type(old) is type(new):
                try:
                    if old == new and (type(new) not in JSON_TYPES or same_json(old, new)):
                        continue
                except Exception:
                    pass
            elif type(new) in JSON_TYPES and same_json(old, new):
                continue  # a document equal to the stored one (tracked, or not)
            changed.append(k)
        if len(changed) < 2:
            return tuple(changed)
        # in column order, memoised by the order the attributes were set in
        found = self.ordered.get(tuple(changed))
        if found is None:
            if len(self.ordered) >= 1000:
                self.ordered.clear()
            found = tuple(sorted(changed, key=self.position.__getitem__))
            self.ordered[tuple(changed)] = found
        return found


def writer(dialect: Dialect, mapper: Mapper) -> _Writer:
    """The (cached) :class:`_Writer` of ``mapper`` on ``dialect``."""
    w: _Writer | None = dialect.orm_cache.get(("writer", mapper))
    if w is None:
        w = dialect.orm_cache[("writer", mapper)] = _Writer(dialect, mapper)
    return w


# Statement texts a writer keeps at most (one per column set and row count): beyond, it
# starts again, so a program flushing ever new numbers of rows does not grow without end.
_MAX_SHAPES = 2048
# Keys per DELETE ... IN (...) at most.
_MAX_DELETE_KEYS = 1000

# Rows per multi-row INSERT at most: past a few hundred rows a longer statement only costs
# more to parse and plan (measured on SQLite), and this bounds the text of each statement.
_MAX_ROWS = 512


def _chunks(n: int, per: int) -> list[int]:
    """Split ``n`` rows into multi-row statements of at most ``per`` rows: full ones, then
    one of the remainder — the fewest statements (a statement of each size is compiled
    once and kept, see ``_MAX_SHAPES``)."""
    sizes = [per] * (n // per)
    if n % per:
        sizes.append(n % per)
    return sizes


def _runs(w: _Writer, objs: list[Any]) -> list[tuple[tuple[str, ...], list[Any]]]:
    """``objs`` split into runs of consecutive objects with the same columns to insert
    (see ``_Writer.present_keys``), each with those columns."""
    uniform = uniform_keys(w, list(map(_dict_of, objs)))
    if uniform is not None:  # the usual case, checked in C
        return [(uniform, objs)]
    runs: list[tuple[tuple[str, ...], list[Any]]] = []
    i, n = 0, len(objs)
    while i < n:
        keys = w.present_keys(objs[i].__dict__)
        j = i + 1
        while j < n and w.present_keys(objs[j].__dict__) == keys:
            j += 1
        runs.append((keys, objs[i:j]))
        i = j
    return runs


def uniform_keys(w: _Writer, dicts: list[dict[str, Any]]) -> tuple[str, ...] | None:
    """The columns to insert when every one of ``dicts`` has the same (every field, and
    the generated key either ``None`` in all or set in all), else ``None``; in C."""
    if not dicts or not all(map(ge, map(dict.keys, dicts), repeat(w.key_set))):
        return None
    if w.auto is None:
        return w.all_keys
    nones = list(map(dict.__getitem__, dicts, repeat(w.auto))).count(None)
    if nones == len(dicts):
        return w.no_auto
    return w.all_keys if nones == 0 else None


def _insert(
    dialect: Dialect,
    mapper: Mapper,
    objs: list[Any],
    touch: Any,
    max_params: int,
    lean: bool = False,
    touch_many: Any = None,
) -> Op[None]:
    """INSERT ``objs``: consecutive objects with the same columns go in one statement
    (``executemany``, or multi-row ``INSERT ... RETURNING`` when the database generates
    values to read back); without RETURNING such objects are inserted one at a time to
    read ``lastrowid``. ``lean``: call ``touch(obj, generated)`` with the fields filled in
    from the database (see :func:`flush_plan`), as nothing else of the object changes;
    ``touch_many``: see :func:`flush_plan`."""
    w = writer(dialect, mapper)
    auto = mapper.auto_key
    for keys, group in _runs(w, objs):
        missing, procs = w.missing(keys)
        gen = missing if lean else None
        if not keys and len(group) > 1:
            # every value generated (DEFAULT VALUES): no multi-row form, a statement each
            for obj in group:
                yield from _insert(dialect, mapper, [obj], touch, max_params, lean, touch_many)
            continue
        if not missing:
            sql = w.insert_sql(keys)
            if len(group) == 1:
                yield Execute(sql, w.params(group[0].__dict__, keys))
            else:
                yield Execute(sql, w.rows([o.__dict__ for o in group], keys), many=True)
            for o in group:
                _mark_persistent(mapper, o, touch, () if lean else None)
        elif dialect.supports_returning and not (
            len(group) == 1 and dialect.lastrowid_is_key and missing == (auto,)
        ):
            key_only = missing == (auto,) == mapper.pk_keys and procs[0] is None
            # (a row of defaults only, INSERT ... DEFAULT VALUES, has no multi-row form)
            per = max(1, min(_MAX_ROWS, max_params // len(keys))) if keys else 1
            start = 0
            for size in _chunks(len(group), per):
                chunk = group[start : start + size]
                start += size
                if size == 1:
                    flat = w.params(chunk[0].__dict__, keys)
                else:
                    flat = w.flat([o.__dict__ for o in chunk], keys)
                reply = yield Execute(w.insert_sql(keys, size, missing), flat, want=ROWS)
                returned = reply.rows
                # SQLite, PostgreSQL and MariaDB return the rows of a multi-row VALUES in
                # insertion order (bulk_insert_plan relies on it too).
                if key_only:  # the usual case, the loop below specialised
                    if touch_many is not None:
                        touch_many(chunk, gen)
                    else:
                        for o in chunk:
                            touch(o, gen)
                    for o, (pk,) in zip(chunk, returned):
                        d = o.__dict__
                        d[auto] = pk
                        st = d[STATE_KEY]
                        st.status = PERSISTENT
                        st.key = (mapper, pk)
                        st.modified = None
                    continue
                for o, row in zip(chunk, returned):
                    touch(o, gen)
                    d = o.__dict__
                    for k, v, proc in zip(missing, row, procs):
                        d[k] = v if proc is None else proc(v)
                    st = d[STATE_KEY]  # _mark_persistent, inlined (once per row)
                    st.status = PERSISTENT
                    # (the identity of a model keyed by its generated key, directly)
                    st.key = (mapper, row[0]) if key_only else mapper.identity_key(o)
                    st.modified = None
        else:
            # Without RETURNING, or a single row whose only generated value is the key
            for obj in group:
                d = obj.__dict__
                reply = yield Execute(w.insert_sql(keys), w.params(d, keys), want=LASTROWID)
                rowid = reply.lastrowid
                touch(obj, gen)
                if auto is not None and d.get(auto) is None:
                    d[auto] = rowid
                # other server defaults stay unloaded and are read on first access
                _mark_persistent(mapper, obj, touch, gen)


def _mark_persistent(mapper: Mapper, obj: Any, touch: Any, gen: Any = None) -> None:
    touch(obj, gen)
    st = obj.__dict__[STATE_KEY]
    st.status = PERSISTENT
    st.key = mapper.identity_key(obj)
    st.modified = None


def _update(
    dialect: Dialect, mapper: Mapper, objs: list[Any], touch: Any, touch_many: Any = None
) -> Op[None]:
    """UPDATE the changed columns of ``objs``; consecutive objects changing the same
    columns go through one ``executemany``."""
    w = writer(dialect, mapper)
    batch: list[Any] = []  # objects changing batch_keys
    batch_keys: tuple[str, ...] = ()
    for obj in objs:
        d = obj.__dict__
        st = d[STATE_KEY]
        m = st.modified
        if st.status != PERSISTENT or not m:
            continue
        changed = w.changed_keys(d, m)
        if not changed:
            touch(obj)
            st.modified = None
            continue
        if changed != batch_keys and batch:
            yield from _update_batch(w, batch_keys, batch, touch, touch_many)
            batch = []
        batch_keys = changed
        batch.append(obj)
    if batch:
        yield from _update_batch(w, batch_keys, batch, touch, touch_many)


def _update_batch(
    w: _Writer, keys: tuple[str, ...], batch: list[Any], touch: Any, touch_many: Any = None
) -> Op[None]:
    mapper = w.mapper
    if mapper.version_key is not None:
        yield from versioned_update(w, keys, batch, touch)
        return
    sql = w.update_sql(keys)
    # SET values, then the primary key as the database has it
    rows = list(zip(*w.columns([o.__dict__ for o in batch], keys), *w.key_columns(batch)))
    if len(batch) > 1:
        # Every driver (sqlite3, psycopg, PyMySQL with FOUND_ROWS) reports the total of
        # the matched rows of an executemany, and each UPDATE matches at most one row.
        count = (yield Execute(sql, rows, many=True, want=ROWCOUNT)).rowcount
        if count != len(batch):
            # A row is gone: send the statements one at a time to name it (they write the
            # same values again, and the failed flush is rolled back anyway).
            for obj, params in zip(batch, rows):
                if (yield Execute(sql, list(params), want=ROWCOUNT)).rowcount == 0:
                    raise _gone(mapper, obj)
    elif (yield Execute(sql, list(rows[0]), want=ROWCOUNT)).rowcount == 0:
        raise _gone(mapper, batch[0])
    pk_keys = frozenset(mapper.pk_keys)
    if touch_many is not None:
        # The usual case, checked and done with maps in C: no primary key changes and no
        # object is also to be deleted, so one record for the batch will do.
        states = list(map(_state_of, map(_dict_of, batch)))
        modified = list(map(_modified_of, states))
        if all(map(pk_keys.isdisjoint, modified)) and not any(map(_to_delete_of, states)):
            touch_many(batch, states, modified, False)
            drain(map(setattr, states, repeat("modified"), repeat(None)))
            return
    for obj in batch:
        touch(obj)
        st = obj.__dict__[STATE_KEY]
        if not pk_keys.isdisjoint(st.modified):  # a changed primary key: a new identity
            st.key = mapper.identity_key(obj)
        st.modified = None


def _gone(mapper: Mapper, obj: Any) -> ObjectDeletedError:
    key = obj.__dict__[STATE_KEY].key
    return ObjectDeletedError(
        f"{mapper.name} with primary key {key[1]!r}: UPDATE matched no row "
        f"(deleted by someone else?)"
    )


def _delete(
    dialect: Dialect,
    mapper: Mapper,
    objs: list[Any],
    touch: Any,
    touch_many: Any = None,
    in_order: bool = False,
) -> Op[None]:
    w = writer(dialect, mapper)
    if mapper.version_key is not None:
        yield from versioned_delete(w, objs, touch)
        return
    cols = w.key_columns(objs)
    if len(cols) == 1 and len(objs) > 1 and not in_order:
        # One statement per chunk of keys, DELETE ... WHERE key IN (...): several times
        # faster than an executemany of one-row DELETEs (measured: 1.5x on SQLite, 2.5x
        # on PostgreSQL, 10x on MariaDB; bench/results/history/NOTES.md).
        keys = cols[0]
        per = max(1, min(_MAX_DELETE_KEYS, dialect.max_bind_parameters))
        start = 0
        for size in _chunks(len(keys), per):
            yield Execute(w.delete_in_sql(size), keys[start : start + size])
            start += size
    else:
        yield Execute(w.delete_sql(), list(zip(*cols)), many=True)
    if touch_many is not None:  # one record for the batch, the states changed in C
        states = list(map(_state_of, map(_dict_of, objs)))
        touch_many(objs, states, list(map(_modified_of, states)), True)
        drain(map(setattr, states, repeat("status"), repeat(DELETED)))
        drain(map(setattr, states, repeat("to_delete"), repeat(False)))
        drain(map(setattr, states, repeat("modified"), repeat(None)))
        return
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
) -> Op[None]:
    """Yield the statements inserting ``rows`` (validated value dicts) into ``mapper``'s table.

    Rows with the same columns are grouped. When generated keys are wanted and the dialect
    has RETURNING, rows go in multi-row ``INSERT ... VALUES (...), (...) RETURNING pk``
    batches of at most ``max_params`` parameters, and the keys are written back into the
    dicts in order; without RETURNING each row is inserted alone and ``lastrowid`` read.
    Otherwise rows go in multi-row ``INSERT ... VALUES`` statements of at most 512 rows
    and ``max_params`` parameters.
    """
    auto = mapper.auto_key
    w = writer(dialect, mapper)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    all_keys, key_set, no_auto = w.all_keys, w.key_set, w.no_auto
    uniform = uniform_keys(w, rows)
    if uniform is not None:  # one group (checked in C), the usual case
        groups[uniform] = rows
        rows = []
    for d in rows:
        # w.present_keys(d), its usual case inlined (it runs for every row)
        if d.keys() >= key_set:
            keys = all_keys if auto is None or d[auto] is not None else no_auto
        else:
            keys = w.present_keys(d)
        group = groups.get(keys)
        if group is None:
            groups[keys] = [d]
        else:
            group.append(d)
    table = mapper.table
    for keys, group in groups.items():
        if not keys:  # every value generated by the database
            yield from _insert_defaults(dialect, mapper, group, want_keys)
            continue
        names = tuple(mapper.fields[k].column.name for k in keys)
        need_ids = want_keys and auto is not None and auto not in keys
        if not need_ids and keys and len(group) > 1:
            # Multi-row VALUES in statements of up to _MAX_ROWS rows: on SQLite about a
            # quarter faster than executemany of a one-row INSERT (measured, bench test
            # C), and what PyMySQL's executemany sends anyway.
            per = max(1, min(_MAX_ROWS, max_params // len(keys)))
            flat = w.flat(group, keys)
            n, start = len(keys), 0
            for size in _chunks(len(group), per):
                sql = w.insert_sql(keys, size)
                yield Execute(sql, flat[start * n : (start + size) * n])
                start += size
            continue
        params = w.rows(group, keys)
        if not need_ids:
            compiled, _ = compile_statement(dialect, RowInsert(table, names))
            yield Execute(compiled.sql, params, many=True)
            continue
        assert auto is not None
        if not dialect.supports_returning:
            compiled, _ = compile_statement(dialect, RowInsert(table, names))
            for d, p in zip(group, params):
                d[auto] = (yield Execute(compiled.sql, p, want=LASTROWID)).lastrowid
            continue
        per = max(1, max_params // max(1, len(keys)))
        ret = (mapper.fields[auto].column.name,)
        for start in range(0, len(group), per):
            chunk = params[start : start + per]
            compiled, _ = compile_statement(dialect, RowInsert(table, names, len(chunk), ret))
            flat = [v for p in chunk for v in p]
            returned = (yield Execute(compiled.sql, flat, want=ROWS)).rows
            # SQLite and PostgreSQL return the rows of a multi-row VALUES in insertion order.
            for d, r in zip(group[start : start + per], returned):
                d[auto] = r[0]


def _insert_defaults(
    dialect: Dialect, mapper: Mapper, rows: list[dict[str, Any]], want_keys: bool
) -> Op[None]:
    """INSERT rows whose every value the database generates (``DEFAULT VALUES``), one
    statement a row: there is no multi-row form of it in SQLite and PostgreSQL. With
    ``want_keys`` each row's generated key is read back into its dict."""
    auto = mapper.auto_key
    w = writer(dialect, mapper)
    if not want_keys or auto is None:
        sql = w.insert_sql(())
        for _ in rows:
            yield Execute(sql)
        return
    if dialect.supports_returning:
        sql = w.insert_sql((), 1, (auto,))
        for d in rows:
            d[auto] = (yield Execute(sql, want=ROWS)).rows[0][0]
        return
    sql = w.insert_sql(())
    for d in rows:
        d[auto] = (yield Execute(sql, want=LASTROWID)).lastrowid


def upsert_plan(
    dialect: Dialect,
    mapper: Mapper,
    rows: list[dict[str, Any]],
    conflict: tuple[str, ...],
    update: tuple[str, ...] | None,
    do_nothing: bool,
    max_params: int,
) -> Op[None]:
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
            yield Execute(compiled.sql, flat, want=ROWS if returning else NONE)
