"""The flush of models with relationships: dependency order, foreign keys from related
objects, post-update, association rows.

:func:`relationship_flush_plan` is used instead of the plain table-by-table plan when a
flush involves relationships. Like it, it is a generator of statements that does no I/O:

1. UPDATEs of changed objects that point at no new row run first (so a row giving up a
   unique value, like the old side of a replaced one-to-one, does so before the INSERT);
2. new objects are ordered so that every object comes after the new objects it points at
   (parents before children, also within one self-referential table); a cycle raises
   :class:`~ormolu.exceptions.CircularDependencyError` unless one of its relationships is
   ``post_update=True``; each new object's foreign keys are taken from the related
   objects just before its INSERT (their generated keys are known by then);
3. changed objects pointing at new rows get the same, then their UPDATEs; post-updates;
4. association rows of many-to-many collections are deleted and inserted;
5. DELETEs run children first (rows of one self-referential table too), after deleting
   the association rows of deleted objects.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from ..exceptions import CircularDependencyError, ValidationError
from ..protocol import Execute, Op
from ..sql.compiler import compile_statement
from ..sql.dml import Delete, RowDelete, RowInsert
from ..sql.elements import BindParam, and_
from .fields import MISSING
from .relationships import Relationship
from .state import STATE_KEY
from .unitofwork import _delete, _insert, _update, split_replaced

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .mapper import Mapper


def involves_relationships(new: list[Any], dirty: list[Any], deleted: list[Any]) -> bool:
    """Whether a flush needs :func:`relationship_flush_plan` (any model in it has
    relationships or association tables)."""
    classes: set[Any] = {*map(type, new), *map(type, dirty), *map(type, deleted)}  # (in C)
    return any(c.__mapper__.all_relationships or c.__mapper__.secondary_refs for c in classes)


def _order_new(new: list[Any], table_rank: dict[Mapper, int]) -> list[Any]:
    """Topologically order new objects: targets of many-to-one relationships first; ties
    keep table order, then the order of adding."""
    key = {id(o): (table_rank[type(o).__mapper__], i) for i, o in enumerate(new)}
    deps: dict[int, set[int]] = {}
    users: dict[int, list[Any]] = {}
    table_order_suffices = True
    for o in new:
        d = o.__dict__
        for rel in type(o).__mapper__.many_to_one:
            if rel.post_update:
                continue
            v = d.get(rel.key)
            if v is not None and v is not o and id(v) in key:
                deps.setdefault(id(o), set()).add(id(v))
                users.setdefault(id(v), []).append(o)
                if key[id(v)][0] >= key[id(o)][0]:
                    table_order_suffices = False  # a self-reference or a cycle of tables
    if table_order_suffices:
        return sorted(new, key=lambda o: key[id(o)])
    heap = [(key[id(o)], id(o), o) for o in new if not deps.get(id(o))]
    heapq.heapify(heap)
    out: list[Any] = []
    while heap:
        _, _, o = heapq.heappop(heap)
        out.append(o)
        for u in users.get(id(o), ()):
            left = deps[id(u)]
            left.discard(id(o))
            if not left:
                heapq.heappush(heap, (key[id(u)], id(u), u))
    if len(out) < len(new):
        stuck = [o for o in new if deps.get(id(o))][:4]
        rels = sorted(
            {
                r.name
                for o in stuck
                for r in type(o).__mapper__.many_to_one
                if not r.hidden and o.__dict__.get(r.key) is not None
            }
        )
        raise CircularDependencyError(
            f"cannot order the INSERTs of {', '.join(repr(o) for o in stuck)}: they point at "
            f"each other; declare one of {', '.join(rels) or 'the relationships'} with "
            f"relationship(post_update=True), or flush one of them first"
        )
    return out


def _points_into(obj: Any, ids: set[int]) -> bool:
    """Whether ``obj`` points (many-to-one) at one of the objects ``ids``."""
    d = obj.__dict__
    for rel in type(obj).__mapper__.many_to_one:
        v = d.get(rel.key)
        if v is not None and id(v) in ids:
            return True
    return False


def _sync_new(obj: Any, post: list[tuple[Any, Relationship]], touch: Any) -> None:
    """Fill in ``obj``'s foreign keys from the related objects it points at; raise
    ValidationError for a required one that nothing provides."""
    d = obj.__dict__
    for rel in type(obj).__mapper__.many_to_one:
        v = d.get(rel.key)
        if v is None:
            for k in rel.local_keys:
                if k not in d and not rel.nullable:
                    via = rel.name if not rel.hidden else f"{rel.target.name}'s collection"
                    raise ValidationError(
                        rel.parent.name, k, None, f"is required: set it, or {via}"
                    )
            continue
        vd = v.__dict__
        values = [vd.get(k) for k in rel.remote_keys]
        if any(x is None for x in values):
            if rel.post_update:
                post.append((obj, rel))
                if not rel.nullable:
                    raise ValidationError(
                        rel.parent.name, rel.key, v,
                        "post_update needs a nullable foreign key (the row is inserted "
                        "with NULL first)",
                    )  # fmt: skip
                for k in rel.local_keys:
                    d.setdefault(k, None)
                continue
            raise CircularDependencyError(
                f"{rel.name}: {v!r} has no primary key when {obj!r} is inserted"
            )
        for k, x in zip(rel.local_keys, values):
            if d.get(k, MISSING) != x:
                touch(obj)
                d[k] = x


def _sync_dirty(obj: Any, touch: Any) -> None:
    """Set a persistent object's foreign keys from related objects inserted meanwhile."""
    d = obj.__dict__
    st = d[STATE_KEY]
    for rel in type(obj).__mapper__.many_to_one:
        v = d.get(rel.key)
        if v is None:
            continue
        vd = v.__dict__
        values = [vd.get(k) for k in rel.remote_keys]
        if any(x is None for x in values):
            continue
        for k, x in zip(rel.local_keys, values):
            old = d.get(k, MISSING)
            if old != x:
                touch(obj)
                # a new dict: the flush's undo record may hold the old one
                st.modified = {k: old, **(st.modified or {})}
                d[k] = x


def _split_updates(dirty: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
    """(updates needing no new row, updates pointing at a new row) — by relationship, or
    by a changed foreign key value equal to a new row's given primary key."""
    if not new:
        return dirty, []
    new_ids = {id(o) for o in new}
    new_keys = {type(o).__mapper__.identity_key(o) for o in new} - {None}
    early: list[Any] = []
    late: list[Any] = []
    for obj in dirty:
        mapper = type(obj).__mapper__
        d = obj.__dict__
        is_late = False
        for rel in mapper.many_to_one:
            v = d.get(rel.key)
            if v is not None and id(v) in new_ids:
                is_late = True
                break
            vals = tuple(d.get(k) for k in rel.local_keys)
            if new_keys and (rel.target, vals[0] if len(vals) == 1 else vals) in new_keys:
                is_late = True
                break
        (late if is_late else early).append(obj)
    return early, late


def _updates(dialect: Dialect, objs: list[Any], rank: dict[Any, int], touch: Any) -> Any:
    by_mapper: dict[Mapper, list[Any]] = {}
    for obj in objs:
        by_mapper.setdefault(type(obj).__mapper__, []).append(obj)
    for mapper in sorted(by_mapper, key=lambda m: rank.get(m, 0)):
        yield from _update(dialect, mapper, by_mapper[mapper], touch)


def _link_rows(
    links: dict[tuple[int, int, int], list[Any]],
) -> tuple[dict[int, tuple[Any, list[list[Any]]]], dict[int, tuple[Any, list[list[Any]]]]]:
    """Net association row changes -> (inserts, deletes) per association table."""
    ins: dict[int, tuple[Any, list[list[Any]]]] = {}
    dels: dict[int, tuple[Any, list[list[Any]]]] = {}
    for rel, a, b, count in links.values():
        if count == 0:
            continue
        ad, bd = a.__dict__, b.__dict__
        row = [ad.get(k) for k in rel.local_keys] + [bd.get(k) for k in rel.remote_keys]
        bucket = ins if count > 0 else dels
        bucket.setdefault(id(rel), (rel, []))[1].append(row)
    return ins, dels


def relationship_flush_plan(
    dialect: Dialect,
    new: list[Any],
    dirty: list[Any],
    deleted: list[Any],
    touch: Any,
    max_params: int,
    order: list[Mapper],
    links: list[tuple[Relationship, Any, Any, int]],
) -> Op[None]:
    """Yield the statements of a flush involving relationships (see the module doc).

    ``order`` lists the mappers involved, referenced tables first; ``links`` holds the
    recorded many-to-many changes ``(relationship, owner, item, +1/-1)``."""
    rank = {m: i for i, m in enumerate(order)}
    post: list[tuple[Any, Relationship]] = []
    early_deletes, deleted = split_replaced(new, dirty, deleted)
    if early_deletes:
        early_deletes, deleted = _with_children(early_deletes, deleted)

    def before_insert(obj: Any) -> None:
        _sync_new(obj, post, touch)

    # 1. UPDATEs that do not depend on new rows come first, so that a row giving up a
    # unique value (the old side of a one-to-one) does so before a new row takes it
    early, late = _split_updates(dirty, new)
    yield from _updates(dialect, early, rank, touch)
    # rows whose key or unique value a new or changed row takes: deleted before it (with
    # their association rows and deleted children)
    if early_deletes:
        yield from _deletes(dialect, early_deletes, rank, touch)
    # 2. INSERTs in dependency order: a run of one model's objects none of which points
    # at another of the run goes in as one batch, its foreign keys filled in from the
    # runs before it (whose generated keys are known by then)
    ordered = _order_new(new, rank) if new else []
    run: list[Any] = []
    in_run: set[int] = set()
    for obj in [*ordered, None]:
        if run and (obj is None or type(obj) is not type(run[0]) or _points_into(obj, in_run)):
            for o in run:
                before_insert(o)
            yield from _insert(dialect, type(run[0]).__mapper__, run, touch, max_params)
            run, in_run = [], set()
        if obj is not None:
            run.append(obj)
            in_run.add(id(obj))
    # 3. UPDATEs pointing at new rows (their keys are known now), then post-updates
    for obj in late:
        if type(obj).__mapper__.many_to_one:
            _sync_dirty(obj, touch)
    yield from _updates(dialect, late, rank, touch)
    if post:
        post_objs: dict[Mapper, list[Any]] = {}
        for obj, rel in post:
            d = obj.__dict__
            st = d[STATE_KEY]
            target = d.get(rel.key)
            if target is None:
                continue
            touch(obj)
            modified = dict(st.modified or {})
            for k, rk in zip(rel.local_keys, rel.remote_keys):
                modified.setdefault(k, d.get(k))
                d[k] = target.__dict__.get(rk)
            st.modified = modified
            post_objs.setdefault(type(obj).__mapper__, []).append(obj)
        for mapper, objs in post_objs.items():
            yield from _update(dialect, mapper, objs, touch)
    # 4. association rows: recorded changes, and every item of a new owner's collection
    net: dict[tuple[int, int, int], list[Any]] = {}
    for rel, owner, item, sign in links:
        _add_link(net, rel, owner, item, sign)
    for obj in new:
        d = obj.__dict__
        for rel in type(obj).__mapper__.all_relationships:
            if rel.secondary is not None and rel.key in d:
                for item in d[rel.key]:
                    _add_link(net, rel, obj, item, 0)
    inserts, deletes = _link_rows(net)
    for rel, rows in deletes.values():
        assert rel.secondary is not None
        names = tuple(c.name for c in (*rel.sec_local, *rel.sec_remote))
        compiled, _ = compile_statement(dialect, RowDelete(rel.secondary, names))
        yield Execute(compiled.sql, [_bind(dialect, rel, r) for r in rows], many=True)
    for rel, rows in inserts.values():
        assert rel.secondary is not None
        cols = [*rel.sec_local, *rel.sec_remote]
        bound = [_bind(dialect, rel, r) for r in rows]
        if rel.secondary_model is not None:
            _add_defaults(dialect, rel.secondary_model, cols, bound)
        names = tuple(c.name for c in cols)
        compiled, _ = compile_statement(dialect, RowInsert(rel.secondary, names))
        yield Execute(compiled.sql, bound, many=True)
    # 5. DELETEs: association rows of deleted objects, then children before parents
    yield from _deletes(dialect, deleted, rank, touch)


def _deletes(dialect: Dialect, deleted: list[Any], rank: dict[Any, int], touch: Any) -> Op[None]:
    """DELETE ``deleted``: their association rows first, then children before parents."""
    groups: dict[Mapper, list[Any]] = {}
    for obj in deleted:
        groups.setdefault(type(obj).__mapper__, []).append(obj)
    for mapper, objs in groups.items():
        for rel in mapper.secondary_refs:
            yield from _delete_links(dialect, rel, mapper, objs)
    for mapper in sorted(groups, key=lambda m: -rank.get(m, 0)):
        objs = groups[mapper]
        if any(r.target is mapper for r in mapper.many_to_one):
            # one DELETE per row, in this order: MySQL/MariaDB check a foreign key row by
            # row inside one statement (MySQL manual, "FOREIGN KEY Constraints": InnoDB
            # checks constraints immediately, not at the end of the statement), so a
            # DELETE ... IN of a parent and its child fails when it meets the parent first
            yield from _delete(dialect, mapper, _children_first(mapper, objs), touch, in_order=True)
            continue
        yield from _delete(dialect, mapper, objs, touch)


def _with_children(early: list[Any], rest: list[Any]) -> tuple[list[Any], list[Any]]:
    """``early`` with the deleted objects of ``rest`` that point at them (transitively),
    which must go before them; and what is left of ``rest``."""
    chosen = {id(o) for o in early}
    changed = True
    while changed and rest:
        changed = False
        keep = []
        for o in rest:
            d = o.__dict__
            if any(id(d.get(r.key)) in chosen for r in type(o).__mapper__.many_to_one):
                chosen.add(id(o))
                early.append(o)
                changed = True
            else:
                keep.append(o)
        rest = keep
    return early, rest


def _add_link(
    net: dict[tuple[int, int, int], list[Any]], rel: Relationship, owner: Any, item: Any, sign: int
) -> None:
    """Count a link in its canonical orientation (the table's first columns' side first);
    sign 0 means "must exist" (an item of a new owner's collection)."""
    assert rel.secondary is not None
    if rel.back is not None and rel.sec_local[0] is not rel.secondary.columns[0]:
        rel, owner, item = rel.back, item, owner
    k = (id(rel.secondary), id(owner), id(item))
    entry = net.get(k)
    if entry is None:
        net[k] = [rel, owner, item, sign if sign else 1]
    elif sign:
        entry[3] += sign
    elif entry[3] <= 0:
        entry[3] = 1


def _add_defaults(dialect: Dialect, model: Mapper, cols: list[Any], rows: list[list[Any]]) -> None:
    """Add an association model's other columns, with their defaults, to link rows;
    raise ValidationError for one without a default (such rows are added as objects)."""
    keyed = {c.key for c in cols}
    for key, spec in model.fields.items():
        if key in keyed or spec.auto:
            continue
        if spec.column.server_default is not None:
            continue
        probe = spec.make_default()
        if probe is MISSING:
            raise ValidationError(
                model.name, key, None,
                f"is required, so a collection cannot create {model.name} rows; add "
                f"{model.name}(...) objects to the session instead",
            )  # fmt: skip
        proc = dialect.bind_processor(spec.type)
        cols.append(spec.column)
        for r in rows:
            v = spec.validate(spec.make_default())
            r.append(v if proc is None else proc(v))


def _bind(dialect: Dialect, rel: Relationship, row: list[Any]) -> list[Any]:
    out = []
    for c, v in zip((*rel.sec_local, *rel.sec_remote), row):
        proc = dialect.bind_processor(c.type)
        out.append(v if proc is None else proc(v))
    return out


def _delete_links(dialect: Dialect, rel: Relationship, mapper: Mapper, objs: list[Any]) -> Op[None]:
    """``DELETE FROM association WHERE <key of a deleted object>``."""
    assert rel.secondary is not None
    if rel.parent is mapper:
        cols, keys = rel.sec_local, rel.local_keys
    else:
        cols, keys = rel.sec_remote, rel.remote_keys
    sides = [(cols, keys)]
    if rel.parent is rel.target:  # self-referential: either column may hold it
        sides.append((rel.sec_remote, rel.remote_keys))
    for cols, keys in sides:
        terms = [c.ref == BindParam(None, c.type) for c in cols]
        cond = terms[0] if len(terms) == 1 else and_(*terms)
        compiled, _ = compile_statement(dialect, Delete(rel.secondary, cond))
        rows = []
        for o in objs:
            st = o.__dict__[STATE_KEY]
            original = {**o.__dict__, **{k: v for k, v in (st.modified or {}).items()}}
            row = []
            for c, k in zip(cols, keys):
                proc = dialect.bind_processor(c.type)
                v = original.get(k)
                row.append(v if proc is None else proc(v))
            rows.append(row)
        yield Execute(compiled.sql, rows, many=True)


def _children_first(mapper: Mapper, objs: list[Any]) -> list[Any]:
    """Order rows of a self-referential table so that each is deleted before the rows
    it points at (a cycle in the data is left to the database)."""
    by_ident = {mapper.identity_key(o): o for o in objs}
    children: dict[int, list[Any]] = {}
    for c in objs:
        for rel in mapper.many_to_one:
            if rel.target is not mapper:
                continue
            vals = tuple(c.__dict__.get(k) for k in rel.local_keys)
            parent = by_ident.get((mapper, vals[0] if len(vals) == 1 else vals))
            if parent is not None and parent is not c:
                children.setdefault(id(parent), []).append(c)
    out: list[Any] = []
    done: set[int] = set()
    for root in objs:
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            o, expanded = stack.pop()
            if id(o) in done:
                continue
            if expanded:
                done.add(id(o))
                out.append(o)
                continue
            stack.append((o, True))
            for c in children.get(id(o), ()):
                if id(c) not in done:
                    stack.append((c, False))
    return out
