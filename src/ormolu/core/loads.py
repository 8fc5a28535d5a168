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
from .reads import fetch

if TYPE_CHECKING:
    from ..orm.relationships import Relationship
    from .state import SessionState


def load_relationship(
    state: SessionState, rel: Relationship, objs: list[Any], nodes: dict[str, Node] | None = None
) -> Op[None]:
    """Select-in load ``rel`` for ``objs`` and the ``nodes`` (load plan nodes) below it:
    as options of the select-in queries (so a joined node joins into them), or — for a
    many-to-many, whose queries also select association keys — afterwards, once for all
    the related objects."""
    options = tuple(nodes.values()) if nodes else ()
    limit = state.dialect.max_bind_parameters
    # The related objects of every chunk form one group: their own next lazy load is
    # one batch for all of them (see ResultGroup).
    group = ResultGroup()
    if rel.direction != MANY_TO_MANY:
        yield from selectin_load(
            rel, objs, limit, lambda stmt: fetch(state, stmt, "objects", options, group=group)
        )
        return
    loaded = yield from selectin_load(
        rel, objs, limit, lambda stmt: fetch(state, stmt, group=group, eager=False)
    )
    target = rel.target
    if loaded and (options or target.eager_relationships):
        plan = build_plan(target, options)
        if plan.nodes:
            unique = list({id(o): o for o in loaded}.values())
            yield from load_nodes(state, unique, plan.nodes)


def load_nodes(state: SessionState, objs: list[Any], nodes: dict[str, Node]) -> Op[None]:
    """Load the eager relationships ``nodes`` of already loaded ``objs`` with select-in
    queries (a joined node reached here, on objects already loaded, too)."""
    for node in nodes.values():
        if node.strategy in ("selectin", "joined"):
            yield from load_relationship(state, node.rel, objs, node.children)


def load(state: SessionState, objs: list[Any], attrs: tuple[Any, ...]) -> Op[None]:
    """``session.load(objs, Album.tracks, ...)``: load each relationship path for every
    object of ``objs`` that lacks it, in one batch per relationship (select-in), whatever
    their query. A path (``load(artists, Artist.albums, Album.tracks)``) loads each step
    for the objects of the step before.

    Raises InvalidRequestError for an attribute that is not a relationship of the objects'
    model, or objects not persistent in this session."""
    current = [o for o in objs if o is not None]
    for attr in attrs:
        if not isinstance(attr, RelationshipAttribute):
            raise InvalidRequestError(
                f"load() takes relationship attributes such as Album.tracks, got {attr!r}"
            )
        rel = attr.property
        for o in current:
            st = o.__dict__.get(STATE_KEY)
            if not isinstance(o, rel.parent.cls):
                raise InvalidRequestError(f"{attr!r} is not a relationship of {o!r}")
            if st is None or st.session is not state or st.status != PERSISTENT:
                raise InvalidRequestError(f"{o!r} is not persistent in this session")
        yield from load_relationship(state, rel, current)
        nxt: dict[int, Any] = {}
        for o in current:
            v = o.__dict__.get(rel.key)
            for item in (v if rel.uselist else (v,)) if v is not None else ():
                nxt[id(item)] = item
        current = list(nxt.values())
