"""Joined loading (``joinedload``): the LEFT OUTER JOINs a query of one model gains, cached
per query shape, and the assembly of the joined rows into objects.

:func:`joined_select` adds, for each joined node of a load plan (recursively while the
strategy stays joined), an aliased LEFT OUTER JOIN of the relationship's table and its
columns. Building that statement (aliases, ON conditions, the join rules of
:mod:`ormolu.sql.joins`) costs more than running a small query, and it depends on the
request's values not at all: :func:`joined_query` does it once per *shape* — the base
statement's structural cache key (what the compile cache keys on: its tables, columns,
conditions and clauses, never its bound values), the model, the plan's tree of
relationships and strategies, and the column plan — and keeps the compiled statement
with what the assembly needs in the dialect's compile cache. A repeated query then only
walks its own (small) base statement for the values and binds them.

A cache hit must never give another query's SQL: everything that can change the joined
statement is in the key (the relationships by identity, each node's strategy, the
nodes below it, the fields each model loads), and the bound values are reused by
position only when the joins and orderings added contribute no bound values of their
own (checked when the entry is made, against the joined statement's own key walk);
otherwise the statement is rebuilt from the cached parts and compiled normally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError
from ..sql.compiler import Compiled, compile_statement
from ..sql.elements import BindParam, and_
from ..sql.selectable import Alias, Select
from .collections import RelatedList
from .relationships import MANY_TO_MANY

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .columns import ColumnPlan
    from .mapper import Mapper
    from .strategies import LoadPlan, Node

_SHAPE = "joined_shape"  # the Compiled.extra key of a joined query's JoinedShape


class JoinedStep:
    """One joined relationship: which result column holds the parent and the child."""

    __slots__ = ("child_index", "node", "parent_index")

    def __init__(self, node: Node, parent_index: int, child_index: int) -> None:
        self.node, self.parent_index, self.child_index = node, parent_index, child_index


def joined_select(
    stmt: Select[Any], mapper: Mapper, plan: LoadPlan, colplan: ColumnPlan | None = None
) -> tuple[Select[Any], list[JoinedStep], bool]:
    """Add LEFT OUTER JOINs and columns for the joined nodes of ``plan`` (recursively
    while the strategy stays joined), loading the fields ``colplan`` (a column plan)
    chooses. Returns the statement, the steps, and whether a collection was joined (the
    rows then repeat parents). Uncached: see :func:`joined_query`.

    Raises ArgumentError when a join breaks the rules of :mod:`ormolu.sql.joins` (an
    alias name the query uses already)."""
    from .columns import entity_for
    from .model import aliased
    from .relationships import columns_of

    steps: list[JoinedStep] = []
    collection = False
    entities = list(stmt._entities)
    columns = list(stmt._columns)
    new = stmt

    def walk(nodes: dict[str, Node], parent_entity: Any, parent_index: int) -> None:
        nonlocal new, collection
        for node in nodes.values():
            if node.strategy != "joined":
                continue
            rel = node.rel
            alias: Any = aliased(rel.target.cls, f"j{len(steps) + 1}_{rel.target.table.name}")
            info = entity_for(alias.__ormolu_entity__(), colplan)
            pcols = columns_of(parent_entity)
            tcols = columns_of(alias)
            if rel.direction == MANY_TO_MANY:
                assert rel.secondary is not None
                sec = Alias(rel.secondary, f"j{len(steps) + 1}_{rel.secondary.name}")
                left = [
                    pcols[k] == sec.column(c.name) for k, c in zip(rel.local_keys, rel.sec_local)
                ]
                right = [
                    sec.column(c.name) == tcols[k] for k, c in zip(rel.remote_keys, rel.sec_remote)
                ]
                new = new.outerjoin(sec, and_(*left) if len(left) > 1 else left[0])
                new = new.outerjoin(alias, and_(*right) if len(right) > 1 else right[0])
            else:
                new = new.outerjoin(alias, rel.condition(pcols, tcols))
            entities.append(info)
            columns.extend(info.columns)
            index = len(entities) - 1
            steps.append(JoinedStep(node, parent_index, index))
            collection = collection or rel.uselist
            walk(node.children, alias, index)

    walk(plan.nodes, mapper.cls, 0)
    if steps:
        new._entities, new._columns = tuple(entities), tuple(columns)
        # collections come out in primary-key order, as select-in loading gives them
        # (after whatever order the query asked for its own rows)
        order: list[Any] = []
        for step in steps:
            info = entities[step.child_index]
            if step.node.rel.uselist and step.node.rel.info.order_by is None:
                cols = dict(zip(info.keys, info.columns))
                order.extend(cols[k] for k in info.mapper.pk_keys)
        if order:
            new = new.order_by(*order)
    return new, steps, collection


def plan_key(nodes: dict[str, Node]) -> tuple[Any, ...]:
    """The shape of a load plan's tree: each node's relationship (the object itself, so
    two relationships never share a key), strategy and the nodes below it, in order."""
    return tuple((n.rel, n.strategy, plan_key(n.children)) for n in nodes.values())


class JoinedShape:
    """What a joined query of one shape adds to its base statement, and how to read its
    rows: the joins, entities, columns and orderings appended, the steps, whether a
    collection is joined, and whether the base statement's bound values are the joined
    statement's, in the same order (``reuse_binds``). ``top`` and ``below`` are the
    select-in loads that follow: the plan's own nodes that are not joined, and for each
    step with some below it, the step's result column and those nodes."""

    __slots__ = (
        "below", "collection", "columns", "entities", "joins", "order", "reuse_binds",
        "steps", "top",
    )  # fmt: skip

    def __init__(
        self, base: Select[Any], joined: Select[Any], steps: list[JoinedStep], plan: LoadPlan
    ) -> None:
        self.top = {k: n for k, n in plan.nodes.items() if n.strategy != "joined"}
        self.below: list[tuple[int, dict[str, Node]]] = []
        for step in steps:
            below = {k: n for k, n in step.node.children.items() if n.strategy != "joined"}
            if below:
                self.below.append((step.child_index, below))
        n = len(base._joins)
        self.joins = joined._joins[n:]
        self.entities = joined._entities[len(base._entities) :]
        self.columns = joined._columns[len(base._columns) :]
        self.order = joined._order_by[len(base._order_by) :]
        self.steps = steps
        self.collection = any(s.node.rel.uselist for s in steps)
        # The parts added hold bound values (a relationship's condition on a constant)?
        # Then the joined statement's values are not the base's, position for position.
        extra: list[BindParam[Any]] = []
        for j in self.joins:
            j._key(extra)
        for o in self.order:
            o._key(extra)
        self.reuse_binds = not extra

    def apply(self, base: Select[Any]) -> Select[Any]:
        """``base`` with the joins, columns and orderings of this shape added."""
        new = base._clone()
        new._joins = base._joins + self.joins
        new._entities = base._entities + self.entities
        new._columns = base._columns + self.columns
        new._order_by = base._order_by + self.order
        return new


def joined_query(
    dialect: Dialect,
    base: Select[Any],
    mapper: Mapper,
    plan: LoadPlan,
    colplan: ColumnPlan | None,
) -> tuple[Compiled, list[Any], tuple[Any, ...], JoinedShape]:
    """The compiled joined-load query of ``base`` (see :func:`joined_select`), its
    parameters, its entities and its shape — built and compiled once per shape, bound
    to ``base``'s values on every call.

    Raises InvalidRequestError when a joined collection meets ``limit()``/``offset()``,
    ArgumentError as :func:`joined_select` does (neither is cached)."""
    binds: list[BindParam[Any]] = []
    cols = None if not colplan else frozenset(colplan.items())
    pkey = plan.key
    if pkey is None:
        pkey = plan.key = plan_key(plan.nodes)
    key = ("joined", base._key(binds), mapper, pkey, cols)
    cache = dialect.compile_cache
    compiled = cache.data.get(key)
    if compiled is None:
        cache.misses += 1
        joined, steps, _ = joined_select(base, mapper, plan, colplan)
        shape = JoinedShape(base, joined, steps, plan)
        _check_limit(base, shape)
        compiled, params = compile_statement(dialect, joined)
        if shape.reuse_binds:
            # (the proof of the position-for-position reuse: the joined statement's own
            # key walk collects exactly the base's values)
            check: list[BindParam[Any]] = []
            joined._key(check)
            shape.reuse_binds = len(check) == len(binds) and all(
                a is b for a, b in zip(check, binds)
            )
        entry = Compiled(
            compiled.sql, compiled.bind_order, compiled.bind_procs, compiled.types,
            compiled.keys, compiled.is_select, compiled.expands,
        )  # fmt: skip
        entry.extra[_SHAPE] = shape
        cache.put(key, entry)
        return compiled, params, joined._entities, shape
    cache.hits += 1
    shape = compiled.extra[_SHAPE]
    _check_limit(base, shape)
    if not shape.reuse_binds:
        joined = shape.apply(base)
        compiled, params = compile_statement(dialect, joined)
        return compiled, params, joined._entities, shape
    return compiled, compiled.params(binds), base._entities + shape.entities, shape


def _check_limit(base: Select[Any], shape: JoinedShape) -> None:
    if shape.collection and (base._limit is not None or base._offset is not None):
        names = ", ".join(repr(s.node.rel.name) for s in shape.steps if s.node.rel.uselist)
        raise InvalidRequestError(
            f"joinedload of a collection ({names}) cannot be combined with limit(), "
            f"offset() or first(): the join repeats each parent once per child; "
            f"use selectinload instead"
        )


def assemble_joined(rows: list[tuple[Any, ...]], steps: list[JoinedStep]) -> list[Any]:
    """Build the parents of a joined query: set each joined relationship (collections
    de-duplicated, in row order; a scalar takes its last non-NULL child) on objects that
    did not have it loaded, and return the distinct parents in order."""
    # (a dict keeps each key at its first insertion: the parents in first-row order)
    parents = list({id(r[0]): r[0] for r in rows}.values())
    for step in steps:
        pi, ci = step.parent_index, step.child_index
        rel = step.node.rel
        key = rel.key
        if rel.uselist:
            # id(owner) -> (its new list, ids of the children in it); None: loaded before
            lists: dict[int, tuple[Any, set[int]] | None] = {}
            for row in rows:
                owner = row[pi]
                if owner is None:
                    continue
                entry = lists.get(id(owner), _NEW)
                if entry is _NEW:
                    d = owner.__dict__
                    if key in d:  # already loaded: keep what the session has
                        lists[id(owner)] = entry = None
                    else:
                        items: Any = RelatedList(owner, rel, ())
                        d[key] = items
                        lists[id(owner)] = entry = (items, set())
                if entry is None:
                    continue
                child = row[ci]
                if child is not None and id(child) not in entry[1]:
                    entry[1].add(id(child))
                    list.append(entry[0], child)
        else:
            # a scalar: its last non-NULL child, on the owners that lacked it
            mine: set[int] = set()  # the owners this load sets it on
            for row in rows:
                owner = row[pi]
                if owner is None:
                    continue
                d = owner.__dict__
                if key not in d:
                    mine.add(id(owner))
                    d[key] = row[ci]
                elif row[ci] is not None and id(owner) in mine:
                    d[key] = row[ci]
    return parents


_NEW: Any = object()
