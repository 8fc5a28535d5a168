"""Loads an async session leaves to the next flush.

In a sync session, ``delete(obj)`` loads the children its cascade must reach, and
replacing a collection or a one-to-one of a persistent object loads the old value to
know what was removed — implicit I/O inside a plain call. An async session does no I/O
outside awaited calls, so it records the work instead (``SessionState.deferred``), and
the next flush does it first: one select-in statement per relationship for the cascades,
one SELECT per replaced relationship, then the same in-memory cascade or removal as the
sync session would have done at once. A ValidationError a removal raises (a NOT NULL
foreign key) therefore comes from that flush, which then writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..orm.relationships import MANY_TO_MANY, ONE_TO_MANY
from ..orm.state import STATE_KEY
from ..orm.strategies import current_items
from ..orm.sync import check_removal, collection_remove, set_many_to_one
from ..protocol import Op
from .loads import load_relationship
from .reads import fetch

if TYPE_CHECKING:
    from ..orm.relationships import Relationship
    from .state import SessionState

CASCADE = "cascade"
REPLACE = "replace"


def run_deferred(state: SessionState) -> Op[None]:
    """Do the deferred loads and what waited for them (see the module docstring), until
    none is left (a cascade may reach children whose own children must be loaded)."""
    autoflush, state.autoflush = state.autoflush, False  # nothing is written meanwhile
    try:
        while state.deferred:
            work, state.deferred = state.deferred, []
            cascades = [obj for kind, obj, _, _ in work if kind == CASCADE]
            if cascades:
                yield from _cascade_all(state, cascades)
            for kind, obj, rel, items in work:
                if kind == REPLACE:
                    yield from _finish_replacement(state, obj, rel, items)
    finally:
        state.autoflush = autoflush


def _cascade_all(state: SessionState, objs: list[Any]) -> Op[None]:
    from .cascade import cascade_delete

    live = [o for o in objs if o.__dict__.get(STATE_KEY) is not None]
    rels: dict[Relationship, list[Any]] = {}
    for o in live:
        for rel in type(o).__mapper__.all_relationships:
            wanted = rel.direction == ONE_TO_MANY and (rel.cascade_delete or rel.nullable)
            if wanted and rel.key not in o.__dict__:
                rels.setdefault(rel, []).append(o)
    for rel, owners in rels.items():  # one select-in statement per relationship
        yield from load_relationship(state, rel, owners)
    for o in live:
        cascade_delete(state, o)  # everything it needs is loaded now


def _finish_replacement(
    state: SessionState, obj: Any, rel: Relationship, items: list[Any]
) -> Op[None]:
    st = obj.__dict__.get(STATE_KEY)
    if st is None or st.session is not state:
        return
    old = yield from current_items(rel, obj, lambda stmt: fetch(state, stmt))
    keep = {id(i) for i in items}
    removed = [o for o in old if id(o) not in keep]
    for o in removed:
        check_removal(obj, rel, o)
    for o in removed:
        back = rel.back
        if back is not None and back.key not in o.__dict__ and rel.direction != MANY_TO_MANY:
            o.__dict__[back.key] = obj  # (what its foreign key says: the removal unlinks it)
        if rel.uselist:
            collection_remove(obj, rel, o)
        elif rel.delete_orphan:
            ost = o.__dict__.get(STATE_KEY)
            if ost is not None and ost.session is state:
                state.delete(o)
        elif rel.back is not None:
            set_many_to_one(o, rel.back, None, from_back=True)
