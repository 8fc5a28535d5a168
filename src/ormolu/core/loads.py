"""Operations that load relationships: select-in loads (eager, lazy and explicit) and
the eager loads that follow a query.

The loading logic itself is :func:`ormolu.orm.strategies.selectin_load`; these
operations give it the session's query execution (:func:`ormolu.core.reads.fetch`) to run
its SELECTs with, and apply the nested loader options below each relationship.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError
from ..orm.relationships import MANY_TO_MANY, RelationshipAttribute
from ..orm.state import PERSISTENT, STATE_KEY
from ..orm.strategies import Node, ResultGroup, build_plan, selectin_load
from ..protocol import Op
from ..sql.elements import ColumnRef
from .columns import load_columns
from .reads import fetch

if TYPE_CHECKING:
    from ..orm.columns import ColumnPlan
    from ..orm.relationships import Relationship
    from .state import SessionState


def load_relationship(
    state: SessionState,
    rel: Relationship,
    objs: list[Any],
    nodes: dict[str, Node] | None = None,
    columns: ColumnPlan | None = None,
) -> Op[None]:
    """Select-in load ``rel`` for ``objs`` and the ``nodes`` (load plan nodes) below it:
    as options of the select-in queries (so a joined node joins into them), or — for a
    many-to-many, whose queries also select association keys — afterwards, once for all
    the related objects. ``columns``: the fields to load of each model (a query's
    column options)."""
    options = tuple(nodes.values()) if nodes else ()
    limit = state.dialect.max_bind_parameters
    keys = rel.local_keys
    if len(keys) == 1:
        k0 = keys[0]
        lacking = [o for o in objs if k0 not in o.__dict__]
    else:
        need = frozenset(keys)
        lacking = [o for o in objs if not o.__dict__.keys() >= need]
    if lacking:  # key fields a column option left out: one statement loads them first
        yield from load_columns(state, rel.parent, lacking, keys)
    # The related objects of every chunk form one group: their own next lazy load is
    # one batch for all of them (see ResultGroup).
    group = ResultGroup()
    if rel.direction != MANY_TO_MANY:
        yield from selectin_load(
            rel,
            objs,
            limit,
            lambda stmt: fetch(state, stmt, "objects", options, group=group, columns=columns),
        )
        return
    loaded = yield from selectin_load(
        rel,
        objs,
        limit,
        lambda stmt: fetch(state, stmt, group=group, eager=False, columns=columns),
    )
    target = rel.target
    if loaded and (options or target.eager_relationships):
        plan = build_plan(target, options)
        if plan.nodes:
            unique = list({id(o): o for o in loaded}.values())
            yield from load_nodes(state, unique, plan.nodes, columns)


def load_nodes(
    state: SessionState,
    objs: list[Any],
    nodes: dict[str, Node],
    columns: ColumnPlan | None = None,
) -> Op[None]:
    """Load the eager relationships ``nodes`` of already loaded ``objs`` with select-in
    queries (a joined node reached here, on objects already loaded, too)."""
    for node in nodes.values():
        if node.strategy in ("selectin", "joined"):
            yield from load_relationship(state, node.rel, objs, node.children, columns)


def load(state: SessionState, objs: list[Any], attrs: tuple[Any, ...]) -> Op[None]:
    """``session.load(objs, Album.tracks, ...)``: load each relationship path for every
    object of ``objs`` that lacks it, in one batch per relationship (select-in), whatever
    their query. A path (``load(artists, Artist.albums, Album.tracks)``) loads each step
    for the objects of the step before. A field (``load(articles, Article.body)``, a
    deferred one) loads for the objects of its step that lack it, in one statement (per
    chunk of keys), and the path goes on from the same objects.

    Raises InvalidRequestError for an attribute that is not a relationship or field of
    the objects' model, or objects not persistent in this session."""
    current = [o for o in objs if o is not None]
    for attr in attrs:
        if isinstance(attr, ColumnRef):
            mapper = next((type(o).__mapper__ for o in current), None)
            if mapper is not None:
                if mapper.fields.get(attr.key) is None or attr.source is not mapper.table:
                    raise InvalidRequestError(f"{attr!r} is not a field of {mapper.name}")
                _check_persistent(state, current, mapper.cls, attr)
                yield from load_columns(state, mapper, current, (attr.key,))
            continue
        if not isinstance(attr, RelationshipAttribute):
            raise InvalidRequestError(
                f"load() takes relationship attributes such as Album.tracks or fields such as "
                f"Article.body, got {attr!r}"
            )
        rel = attr.property
        _check_persistent(state, current, rel.parent.cls, attr)
        yield from load_relationship(state, rel, current)
        nxt: dict[int, Any] = {}
        for o in current:
            v = o.__dict__.get(rel.key)
            for item in (v if rel.uselist else (v,)) if v is not None else ():
                nxt[id(item)] = item
        current = list(nxt.values())


def _check_persistent(state: SessionState, objs: list[Any], cls: type, attr: Any) -> None:
    for o in objs:
        st = o.__dict__.get(STATE_KEY)
        if not isinstance(o, cls):
            raise InvalidRequestError(f"{attr!r} is not an attribute of {o!r}")
        if st is None or st.session is not state or st.status != PERSISTENT:
            raise InvalidRequestError(f"{o!r} is not persistent in this session")
