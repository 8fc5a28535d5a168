"""The ORM's delete cascade: what ``session.delete(obj)`` does to related objects.

Children of a relationship with ``cascade="all"`` (or ON DELETE CASCADE) are deleted
too; the nullable foreign keys of other children are set to NULL. The children are
loaded first where they are not (one select-in statement per relationship, run through
:meth:`~ormolu.core.state.SessionState.run_implicit`), so the cascade works whether or
not the database enforces foreign keys. Nothing is written until the next flush. An async
session, which does no I/O outside awaited calls, leaves the loading to the next flush
(:func:`ormolu.core.deferred.run_deferred`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..orm.relationships import MANY_TO_ONE, ONE_TO_MANY
from ..orm.state import STATE_KEY
from ..orm.strategies import batch_for
from ..orm.sync import set_many_to_one, unlink_child

if TYPE_CHECKING:
    from .state import SessionState


def cascade_delete(state: SessionState, obj: Any) -> None:
    """Apply the delete cascade of ``obj``'s one-to-many relationships (see the module
    docstring); autoflush is off meanwhile, so nothing is written mid-cascade."""
    state.configure()
    autoflush, state.autoflush = state.autoflush, False
    try:
        _cascade(state, obj)
    finally:
        state.autoflush = autoflush


def _cascade(state: SessionState, obj: Any) -> None:
    mapper = type(obj).__mapper__
    for rel in mapper.all_relationships:
        if rel.direction != ONE_TO_MANY or not (rel.cascade_delete or rel.nullable):
            continue
        if rel.key not in obj.__dict__:
            if state.defer_loads:  # an async session: the next flush loads and cascades
                state.defer_cascade(obj)
                continue
            # for the other objects of its load too: deleting them in a loop costs one
            # statement, not one each
            state.load_relationship(rel, batch_for(obj, rel.key, state))
        value = obj.__dict__.get(rel.key)
        children = list(value) if rel.uselist else ([value] if value is not None else [])
        for child in children:
            cst = child.__dict__.get(STATE_KEY)
            if cst is not None and cst.to_delete:
                continue
            if rel.cascade_delete:
                if cst is not None and cst.session is state:
                    state.delete(child)
            elif rel.back is not None:
                set_many_to_one(child, rel.back, None, from_back=True)


def unlink_deleted(state: SessionState, deleted: list[Any]) -> None:
    """After a flush deleted ``deleted``: take each object out of the loaded collection
    (or one-to-one side) of the object its many-to-one points at, so that
    ``parent.children`` no longer shows a row the database does not hold. (The session
    does not expire on commit, so the list would otherwise show it for good; found by
    tests/integration/test_session_stateful.py.) The parent is journaled first
    (``unlink_child``): a rollback gives the collection back, and reloads it."""
    for obj in deleted:
        rels = type(obj).__mapper__.all_relationships
        if not rels:
            continue
        d = obj.__dict__
        for rel in rels:
            if rel.direction != MANY_TO_ONE or rel.back is None:
                continue
            parent = d.get(rel.key)
            if parent is None and rel.target_pk_lookup():
                # the relationship is not loaded: its target, if in the identity map
                vals = tuple(d.get(k) for k in rel.local_keys)
                if None not in vals:
                    key = vals[0] if len(vals) == 1 else vals
                    parent = state.identity_map.get((rel.target, key))
            if parent is not None:
                unlink_child(parent, rel.back, obj)
