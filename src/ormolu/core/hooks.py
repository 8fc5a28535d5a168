"""Running the model hooks and the listeners inside the flush, commit and rollback.

The order (docs/hooks.md shows it with an example):

1. ``before_flush`` listeners (the database's, then the session's, each in the order
   registered), once per flush that has something to write;
2. ``before_insert`` of each pending object (in the order added), ``before_update`` of
   each changed persistent one, ``before_delete`` of each one marked for deletion —
   again for whatever these hooks add, change or delete, until none is left: everything
   they do is written by this flush;
3. the statements (INSERT, UPDATE, DELETE in dependency order);
4. ``after_insert``, ``after_update``, ``after_delete`` of the same objects, in the same
   order, then ``after_flush`` listeners: the objects are persistent (or deleted) with
   their keys; changes made here are written by a further round of the same flush;
5. after COMMIT, ``after_commit``; after ROLLBACK, ``after_rollback`` (called by the
   front ends, once the session has given its connection back).

Steps 1 to 4 run inside the flush's savepoint and its rollback journal: a hook that raises
fails the flush as a database error would — nothing of it is written, every object
(also those the hooks changed or added) is as it was before the flush, and the error
propagates. Hooks are plain calls and do no I/O of their own: they change objects and
add or delete them; they do not query (an async session refuses the lazy loads they
would need).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError
from ..orm.hooks import state as flags
from ..orm.state import DELETED, PERSISTENT, STATE_KEY
from ..protocol import Op

if TYPE_CHECKING:
    from .state import SessionState

# Rounds of hooks adding work for hooks before a flush gives up (a hook that adds an
# object whose own hook adds another, without end).
MAX_ROUNDS = 100


def _flush_listeners(state: SessionState) -> bool:
    for listeners in (state.db_listeners, state.listeners):
        if listeners and (listeners.get("before_flush") or listeners.get("after_flush")):
            return True
    return False


def hooks_wanted(state: SessionState) -> bool:
    """Whether the next flush runs hooks or listeners (else it takes the plain path)."""
    if _flush_listeners(state):
        return True
    if not flags.models:
        return False
    classes = {*map(type, state.new.values()), *map(type, state.dirty.values())}
    classes.update(map(type, state.deleted.values()))
    return any(c.__mapper__.hooks for c in classes)  # type: ignore[attr-defined]


def fire(state: SessionState, event: str) -> None:
    """Call the listeners of ``event`` with the session (its front end)."""
    fns: list[Callable[[Any], object]] = []
    for listeners in (state.db_listeners, state.listeners):
        if listeners:
            fns.extend(listeners.get(event, ()))
    for fn in fns:
        fn(state.frontend)


def _call(obj: Any, hook: str) -> None:
    if hook in type(obj).__mapper__.hooks:
        getattr(obj, hook)()


def before_hooks(state: SessionState) -> Op[tuple[list[Any], list[Any], list[Any], list[Any]]]:
    """Steps 1 and 2 of the module docstring; return the flush's lists (pending objects,
    changed ones, deleted ones, many-to-many changes) as the hooks left them."""
    fire(state, "before_flush")
    called: set[tuple[int, str]] = set()
    for _ in range(MAX_ROUNDS):
        if state.deferred:  # (an async session's delete cascades, loaded before planning)
            from .deferred import run_deferred

            yield from run_deferred(state)
        todo = [(o, "before_insert") for o in state.new.values()]
        for o in state.dirty.values():
            st = o.__dict__[STATE_KEY]
            if st.modified and not st.to_delete:
                todo.append((o, "before_update"))
        todo.extend((o, "before_delete") for o in state.deleted.values())
        todo = [(o, h) for o, h in todo if (id(o), h) not in called]
        if not todo:
            break
        for o, hook in todo:
            called.add((id(o), hook))
            _call(o, hook)
    else:
        raise InvalidRequestError(
            f"the before_insert/before_update/before_delete hooks kept adding work for "
            f"{MAX_ROUNDS} rounds; a hook adds an object whose own hook adds another"
        )
    new = list(state.new.values())
    dirty = [o for o in state.dirty.values() if o.__dict__[STATE_KEY].modified]
    return new, dirty, list(state.deleted.values()), list(state.links)


def after_hooks_wanted(
    state: SessionState, new: list[Any], dirty: list[Any], deleted: list[Any]
) -> bool:
    """Whether :func:`after_hooks` would call anything for these objects."""
    for listeners in (state.db_listeners, state.listeners):
        if listeners and listeners.get("after_flush"):
            return True
    classes: set[Any] = {*map(type, new), *map(type, dirty), *map(type, deleted)}
    return any(not c.__mapper__.hooks.isdisjoint(_AFTER) for c in classes)


_AFTER = frozenset({"after_insert", "after_update", "after_delete"})


def after_hooks(state: SessionState, new: list[Any], dirty: list[Any], deleted: list[Any]) -> None:
    """Step 4 of the module docstring."""
    for o in new:
        st = o.__dict__.get(STATE_KEY)
        if st is not None and st.status == PERSISTENT:
            _call(o, "after_insert")
    for o in dirty:
        st = o.__dict__.get(STATE_KEY)
        if st is not None and st.status != DELETED:
            _call(o, "after_update")
    for o in deleted:
        _call(o, "after_delete")
    fire(state, "after_flush")
