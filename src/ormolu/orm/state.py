"""Per-object ORM state and the hooks that attribute access calls into.

Each object loaded or added through a session carries an :class:`InstanceState` in its
``__dict__`` under ``STATE_KEY``: the owning session, the identity key, the lifecycle
status and the original values of attributes changed since the last flush.

Lifecycle (the terms of SQLAlchemy's session): *transient* (never added) → *pending*
(added, not yet inserted) → *persistent* (has a row) → *deleted* (row deleted, transaction
not committed) → *detached* (no longer in a session).
"""

from __future__ import annotations

import weakref
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from ..exceptions import DetachedInstanceError

STATE_KEY = "_ormolu_state"
T = TypeVar("T")

TRANSIENT = 0
PENDING = 1
PERSISTENT = 2
DELETED = 3
DETACHED = 4
STATUS_NAMES = ("transient", "pending", "persistent", "deleted", "detached")


class InstanceState(weakref.ref[Any]):
    """Mutable ORM bookkeeping for one object, which is also the session's weak reference
    to it: calling the state returns the object, or ``None`` once it has been collected.

    The identity map holds states, so a loaded row costs one allocation for both the
    bookkeeping and the weak reference; when the object dies, the reference's callback
    removes the state from its session's identity map. Create states with
    :func:`new_state`.
    """

    __slots__ = (
        "group", "key", "left_out", "modified", "original", "session", "status", "to_delete",
    )  # fmt: skip

    # the ResultGroup of the query that loaded the object (batched lazy loading), or None
    group: Any
    key: Any
    # the fields its load left out (deferred ones, load_only/defer options; a frozenset
    # shared by the objects of one load), loaded on first access; or None
    left_out: frozenset[str] | None
    # attribute -> value in the database, for attributes changed since the last flush
    modified: dict[str, Any] | None
    # while the root journal holds a lazy entry of the object (see ormolu.core.journal):
    # attribute -> value when the transaction began, for attributes set since; else None
    original: dict[str, Any] | None
    session: Any
    status: int
    to_delete: bool


# Getters for C-level loops over many objects (``map(state_in_dict, map(dict_of, objs))``):
# the unit of work and the session's flush bookkeeping use them.
dict_of = attrgetter("__dict__")
state_in_dict = itemgetter(STATE_KEY)
status_of_state = attrgetter("status")
key_of = attrgetter("key")
modified_of = attrgetter("modified")
to_delete_of = attrgetter("to_delete")


def new_state(obj: Any, session: Any, key: Any, status: int) -> InstanceState:
    """A new state for ``obj`` (the caller stores it in ``obj.__dict__[STATE_KEY]``)."""
    # weakref.ref's own (C) constructor, then plain attribute stores: a Python-level
    # __new__/__init__ would cost more than the rest of loading a row.
    st = InstanceState(obj, forget)
    st.session = session
    st.key = key
    st.status = status
    st.modified = None
    st.to_delete = False
    st.group = None
    st.original = None
    st.left_out = None
    return st


def forget(st: InstanceState) -> None:
    """The states' weak reference callback."""
    # The object is gone: drop its entry from the identity map of its session, if that
    # entry is still this state (close() replaces the map; expunge() removes the entry).
    session = st.session
    if session is not None:
        data = session.identity_map.data
        if data.get(st.key) is st:
            del data[st.key]


def state_of(obj: Any) -> InstanceState | None:
    """The object's state, or ``None`` for a transient object."""
    return obj.__dict__.get(STATE_KEY)  # type: ignore[no-any-return]


def status_of(obj: Any) -> str:
    """``"transient"``, ``"pending"``, ``"persistent"``, ``"deleted"`` or ``"detached"``."""
    state = state_of(obj)
    return STATUS_NAMES[TRANSIENT if state is None else state.status]


def load_missing_attribute(obj: Any, key: str) -> Any:
    """Load an attribute that is not in the object's ``__dict__`` (expired, or filled in by
    the database) through its session (see ``SessionState.load_attribute``).

    Raises AttributeError for a transient object's server default, DetachedInstanceError
    when no session can load it, ObjectDeletedError when the row is gone, LazyLoadError
    where loading is forbidden (an async session).
    """
    state = state_of(obj)
    cls = type(obj).__name__
    if state is None or state.session is None:
        if state is None:
            raise AttributeError(
                f"{cls}.{key} has no value yet: it is filled in by the database "
                f"(server_default) when the object is flushed"
            )
        raise DetachedInstanceError(
            f"{cls}.{key} is not loaded and the object belongs to no session; "
            f"load it inside a session or re-attach it with session.add()"
        )
    if state.status == PENDING and key in type(obj).__mapper__.relationship_keys:
        return None  # a foreign key a relationship fills in when the object is flushed
    return state.session.load_attribute(obj, key)
