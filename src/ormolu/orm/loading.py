"""Row loading (hydration): turning driver rows into objects, tuples, values or dicts.

A loader is specialised once per compiled query shape and cached with the compiled
statement; running it for a session only binds that session's identity map. Values read
from the database are converted by type (no re-validation: the database is trusted).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ..sql.elements import Expr
from .codegen import make_many_loader
from .mapper import EntityInfo
from .state import PERSISTENT, STATE_KEY, InstanceState, forget, new_state

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..sql.compiler import Compiled

RowLoader = Callable[[Any], Any]
LoaderFactory = Callable[[Any], RowLoader]


def _entity_factory(
    ent: EntityInfo, start: int, dialect: Dialect, converted: bool = False
) -> Callable[[Any], Callable[[Any], Any]]:
    mapper = ent.mapper
    keys = ent.keys  # the fields its SELECT loads (not the deferred ones)
    left_out = ent.left_out
    stop = start + len(keys)
    procs = [
        (i, p)
        for i, p in enumerate(dialect.result_processor(c.type) for c in ent.columns)
        if p is not None and not converted
    ]
    # (with the exact types each returns unchanged, which skip its call: rows_converter)
    row_procs: list[tuple[int, Any, frozenset[type]]] = [
        (i, p, getattr(p, "unchanged_types", frozenset())) for i, p in procs
    ]
    pk_pos = [start + keys.index(k) for k in mapper.pk_keys]
    single_pk = pk_pos[0] if len(pk_pos) == 1 else None
    pk_proc = [dict(procs).get(p - start) for p in pk_pos]
    cls = mapper.cls
    new = object.__new__

    # ``obj.__dict__ = d`` would go through ``Model.__setattr__`` (a Python call per row);
    # the ``__dict__`` descriptor's setter does the same in C.
    set_dict = object.__setattr__

    key_set = frozenset(keys)
    # Only models with relationships or fields left out remember the query result an
    # object came from (session.load_group, set by the query around loading), for
    # batched lazy loads; the others pay nothing for it.
    grouped = bool(mapper.relationship_decls) or left_out is not None

    def factory(session: Any) -> Callable[[Any], Any]:
        imap = session.identity_map
        states = imap.data  # key -> state: looked up here without a Python-level call

        def load(row: Any) -> Any:
            if single_pk is not None:
                pk = row[single_pk]
                if pk is None:
                    return None  # outer join with no matching row
                if pk_proc[0] is not None:
                    pk = pk_proc[0](pk)
            else:
                pk = tuple(row[p] if pr is None else pr(row[p]) for p, pr in zip(pk_pos, pk_proc))
                if None in pk:
                    return None
            ident = (mapper, pk)
            st = states.get(ident)
            obj: Any = None if st is None else st()  # a state is a weak reference
            d: dict[str, Any]
            if obj is not None:
                d = obj.__dict__
                # some attributes expired: fill them from this row (loaded relationships
                # also live in __dict__, so a model with them checks the keys themselves)
                if len(d) <= len(keys) or (grouped and not d.keys() >= key_set):
                    _fill_missing(d, keys, row, start, procs)
                if left_out is not None and st.left_out is not left_out:
                    # what it lacks of what this load left out loads as a batch
                    lo = st.left_out
                    if lo is None:
                        st.left_out = left_out
                    elif not left_out <= lo:
                        st.left_out = lo | left_out
                if grouped:
                    group = session.load_group
                    if group is not None and st.group is not group:
                        st.group = group  # (its next lazy load batches with this result)
                        group.objs.append(obj)
                return obj
            obj = new(cls)
            if procs:
                values = list(row[start:stop])
                for i, p, same in row_procs:
                    v = values[i]
                    if type(v) not in same:
                        values[i] = p(v)
                d = dict(zip(keys, values))
            else:
                d = dict(zip(keys, row[start:stop]))
            st = d[STATE_KEY] = new_state(obj, session, ident, PERSISTENT)
            st.left_out = left_out
            set_dict(obj, "__dict__", d)
            states[ident] = st  # IdentityMap.__setitem__, inlined
            if grouped:
                group = session.load_group
                if group is not None:
                    st.group = group
                    group.objs.append(obj)
            return obj

        return load

    return factory


def _entity_many_factory(ent: EntityInfo) -> Callable[[Any], Callable[[list[Any]], list[Any]]]:
    """For converted rows holding exactly one entity's columns: the loader of all the rows
    at once. It does what the per-row loader does, in one generated loop (see
    :func:`ormolu.orm.codegen.make_many_loader`): no call per row."""
    mapper = ent.mapper
    keys = ent.keys
    make = make_many_loader(mapper, keys)
    cls = mapper.cls
    key_set = frozenset(keys)
    left_out = ent.left_out
    grouped = bool(mapper.relationship_decls) or left_out is not None  # (see _entity_factory)

    def factory(session: Any) -> Callable[[list[Any]], list[Any]]:
        return make(
            session, mapper, cls, session.identity_map.data, InstanceState, forget,
            PERSISTENT, STATE_KEY, _fill_missing, keys, key_set, grouped, left_out,
        )  # fmt: skip

    return factory


def _columns_many_factory(entities: tuple[Any, ...]) -> LoaderFactory:
    """For converted rows of several entities and values (``query(A, B.x)``): the loader
    of all the rows at once, part by part: each model's columns (sliced out of every row
    in C) go through that model's whole-result loader, each value column is picked out
    with ``itemgetter``, and ``zip`` pairs them up — no Python call per row.

    An entity whose object repeats over the rows (the target of a many-to-many select-in
    load, the parent of a joined collection: see :func:`_distinct_loader`) is hydrated
    once per distinct primary key."""
    parts: list[tuple[Any, Any]] = []  # (getter, whole-result loader factory or None)
    pos = 0
    for ent in entities:
        if isinstance(ent, EntityInfo):
            n = len(ent.columns)
            get = itemgetter(slice(pos, pos + n))
            pk_get = itemgetter(*[pos + ent.keys.index(k) for k in ent.mapper.pk_keys])
            parts.append((get, _distinct_loader(get, pk_get, _entity_many_factory(ent))))
            pos += n
        else:
            parts.append((itemgetter(pos), None))
            pos += 1

    def factory(session: Any) -> RowLoader:
        bound = [(get, None if f is None else f(session)) for get, f in parts]

        def load_all(rows: list[Any]) -> list[Any]:
            cols = [list(map(get, rows)) if load is None else load(rows) for get, load in bound]
            return cols[0] if len(cols) == 1 else list(zip(*cols))

        return load_all

    return factory


# How many leading rows :func:`_distinct_loader` looks at for a repeated primary key.
DISTINCT_PROBE = 32


def _distinct_loader(
    get: Callable[[Any], Any],
    pk_get: Callable[[Any], Any],
    factory: Callable[[Any], Callable[[list[Any]], list[Any]]],
) -> Callable[[Any], Callable[[list[Any]], list[Any]]]:
    """The loader of one entity's objects from whole rows (``get`` slices its columns out
    of a row, ``pk_get`` its primary key), built on its whole-result loader ``factory``.

    When a primary key repeats among the first :data:`DISTINCT_PROBE` rows, every
    distinct key's row is hydrated once and the object is repeated in C (``dict`` and
    ``map``), where the whole-result loader would find it again in the identity map,
    row by row. That is the same result: rows of one key in one result are one database
    row (the same values), and a second sight of an object in one load changes nothing
    (its missing fields are filled from the first, its group is set by the first). Other
    results (no repeat early) go through the whole-result loader as they are, paying one
    short probe.

    Example: the 3,000 (book key, tag) rows of a many-to-many load of 1,000 books over 50
    tags hydrate 50 tag rows."""

    def bind(session: Any) -> Callable[[list[Any]], list[Any]]:
        load = factory(session)

        def load_rows(rows: list[Any]) -> list[Any]:
            head = rows[:DISTINCT_PROBE]
            if len(head) < 2 or len(set(map(pk_get, head))) == len(head):
                return load(list(map(get, rows)))
            keys = list(map(pk_get, rows))
            # one row per key (the last seen: rows of one key are one database row), keys
            # in order of first sight
            first = dict(zip(keys, rows))
            by_key = dict(zip(first, load(list(map(get, first.values())))))
            return list(map(by_key.__getitem__, keys))

        return load_rows

    return bind


def _fill_missing(
    d: dict[str, Any], keys: tuple[str, ...], row: Any, start: int, procs: list[Any]
) -> None:
    conv = dict(procs)
    for i, k in enumerate(keys):
        if k not in d:
            v = row[start + i]
            p = conv.get(i)
            d[k] = v if p is None else p(v)


def build_loader_factory(entities: tuple[Any, ...], dialect: Dialect, mode: str) -> LoaderFactory:
    """Build the loader for a query's entities.

    ``mode`` is ``"objects"`` (entities as objects, one entity or value per row unwrapped,
    several as a tuple), ``"converted"`` (the same from rows whose values are already
    converted, see :func:`rows_converter`), ``"many"`` (a loader of a whole list of such
    converted rows), ``"tuples"`` (every row a tuple of converted
    column values) or ``"dicts"`` (every row a dict keyed by column name).
    """
    parts: list[tuple[str, Any]] = []
    pos = 0
    flat_procs: list[Any] = []
    converted = mode == "converted"
    for ent in entities:
        if isinstance(ent, EntityInfo):
            n = len(ent.columns)
            parts.append(("entity", _entity_factory(ent, pos, dialect, converted)))
            flat_procs.extend(dialect.result_processor(c.type) for c in ent.columns)
        else:
            assert isinstance(ent, Expr)
            n = 1
            proc = None if converted else dialect.result_processor(ent.type)
            parts.append(("value", (pos, proc)))
            flat_procs.append(proc)
        pos += n

    if mode in ("tuples", "dicts"):
        conv = [(i, p) for i, p in enumerate(flat_procs) if p is not None]

        def tuple_factory(session: Any) -> RowLoader:
            if not conv:
                return tuple

            def load(row: Any) -> Any:
                values = list(row)
                for i, p in conv:
                    values[i] = p(values[i])
                return tuple(values)

            return load

        return tuple_factory

    if mode == "many":
        # All the converted rows at once: see _entity_many_factory.
        if len(entities) == 1 and isinstance(entities[0], EntityInfo):
            return _entity_many_factory(entities[0])
        return _columns_many_factory(entities)

    if len(parts) == 1:
        kind, data = parts[0]
        if kind == "entity":
            return data  # type: ignore[no-any-return]
        i, proc = data

        def value_factory(session: Any) -> RowLoader:
            if proc is None:
                return lambda row: row[i]
            return lambda row: proc(row[i])

        return value_factory

    def multi_factory(session: Any) -> RowLoader:
        loaders: list[RowLoader] = []
        for kind, data in parts:
            if kind == "entity":
                loaders.append(data(session))
            else:
                loaders.append(_column_loader(*data))

        def load(row: Any) -> Any:
            return tuple([f(row) for f in loaders])

        return load

    return multi_factory


def _column_loader(i: int, proc: Callable[[Any], Any] | None) -> RowLoader:
    if proc is None:
        return lambda row: row[i]
    return lambda row: proc(row[i])


def loader_for(
    compiled: Compiled, entities: tuple[Any, ...], dialect: Dialect, mode: str
) -> LoaderFactory:
    """The cached loader factory for ``compiled`` in ``mode``."""
    key = ("loader", mode)
    factory: LoaderFactory | None = compiled.extra.get(key)
    if factory is None:
        factory = build_loader_factory(entities, dialect, mode)
        compiled.extra[key] = factory
    return factory


def rows_converter(
    compiled: Compiled, entities: tuple[Any, ...], dialect: Dialect, mode: str
) -> Callable[[list[Any]], list[Any]]:
    """The (cached) function turning all the fetched rows of ``compiled`` into tuples or
    dicts (``mode``) at once.

    It works column by column: only the columns that need a conversion are visited by
    Python code, one processor call per value (or none, where the processor names a C
    function that converts a column without NULLs alike: ``column_fast_path``);
    transposing and building the tuples or dicts runs in C (``zip``, ``map``), where a
    per-row loader would run a Python call and a loop for every row.

    A processor that returns values of some exact types unchanged names them
    (``unchanged_types``: the driver's own ``datetime`` for a DateTime column where the
    database has a datetime type, and NULL). A column whose values are all of those
    types, found by a type scan in C, is not converted; when no column is left to
    convert, the rows are used as the driver gave them, with no transposition at all.
    Any other value (a ``str`` in a column the model calls a datetime) still goes
    through the processor, which converts or refuses it.
    """
    key = ("rows", mode)
    convert: Callable[[list[Any]], list[Any]] | None = compiled.extra.get(key)
    if convert is not None:
        return convert
    procs: list[Any] = []
    for ent in entities:
        if isinstance(ent, EntityInfo):
            procs.extend(dialect.result_processor(c.type) for c in ent.columns)
        else:
            procs.append(dialect.result_processor(ent.type))
    # (index, processor, its C-level column fast path or None, the check that the fast
    # path gives the processor's result right now, or None)
    conv = [
        (i, p, getattr(p, "column_fast_path", None), getattr(p, "column_fast_path_ok", None))
        for i, p in enumerate(procs)
        if p is not None
    ]
    # (index, its values' getter, the types the processor returns unchanged)
    checks = [
        (i, itemgetter(i), same)
        for i, p, _, _ in conv
        if (same := getattr(p, "unchanged_types", None)) is not None
    ]
    keys = compiled.keys

    def convert_rows(rows: list[Any]) -> list[Any]:
        values: Any = rows
        todo = conv
        if checks and rows:
            kept = {i for i, get, same in checks if set(map(type, map(get, rows))) <= same}
            if kept:
                todo = [c for c in conv if c[0] not in kept]
        if not todo and mode == "tuples" and rows and type(rows[0]) is tuple:
            # nothing to convert, and the driver's rows are tuples already (one cursor's
            # rows are all of one type)
            return rows if type(rows) is list else list(rows)
        if todo and rows:
            cols: list[Any] = list(zip(*rows))
            for i, p, fast, ok in todo:
                if fast is not None and (ok is None or ok()):
                    try:
                        cols[i] = list(map(fast, cols[i]))
                        continue
                    except (TypeError, AttributeError, ArithmeticError):
                        pass  # a NULL, a value of another type, too wide: the processor
                cols[i] = map(p, cols[i])
            values = zip(*cols)
        if mode == "dicts":
            return list(map(dict, map(zip, repeat(keys), values)))
        return list(map(tuple, values))

    compiled.extra[key] = convert_rows
    return convert_rows
