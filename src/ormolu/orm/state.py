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
from typing import Any

from ..exceptions import DetachedInstanceError

STATE_KEY = "_ormolu_state"

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

    __slots__ = ("group", "key", "modified", "session", "status", "to_delete")

    # the ResultGroup of the query that loaded the object (batched lazy loading), or None
    group: Any
    key: Any
    # attribute -> value in the database, for attributes changed since the last flush
    modified: dict[str, Any] | None
    session: Any
    status: int
    to_delete: bool


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
    return st


def forget(st: InstanceState) -> None:
    """The states' weak reference callback."""
    # The object is gone: drop its entry from the identity map of its session, if that
    # entry is still this state (close() replaces the map; expunge() removes the entry).
    session = st.session
    if session is not None:
        data = session._identity_map.data
        if data.get(st.key) is st:
            del data[st.key]


def state_of(obj: Any) -> InstanceState | None:
    """The object's state, or ``None`` for a transient object."""
    return obj.__dict__.get(STATE_KEY)  # type: ignore[no-any-return]


def status_of(obj: Any) -> str:
    """``"transient"``, ``"pending"``, ``"persistent"``, ``"deleted"`` or ``"detached"``."""
    state = state_of(obj)
    return STATUS_NAMES[TRANSIENT if state is None else state.status]


def record(obj: Any) -> tuple[Any, ...]:
    """Snapshot ``obj`` as a tuple ``(obj, values, state, status, key, modified, to_delete,
    session)``: the journal keeps these (a tuple costs less to build than a
    :class:`Snapshot`, and most are never restored); :meth:`Snapshot.of` reads one."""
    d = obj.__dict__
    st = d.get(STATE_KEY)
    if st is None:
        return (obj, d.copy(), None, 0, None, None, False, None)
    m = st.modified
    return (obj, d.copy(), st, st.status, st.key, dict(m) if m else None, st.to_delete, st.session)


def load_missing_attribute(obj: Any, key: str) -> Any:
    """Load an attribute that is not in the object's ``__dict__`` (expired or server default).

    Raises DetachedInstanceError when no session can load it, ObjectDeletedError when the
    row is gone.
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
    session = state.session
    if state.status == PENDING:
        if key in type(obj).__mapper__.relationship_keys:
            return None  # a foreign key a relationship fills in when the object is flushed
        session.flush()
    # refresh() reloads every column: keep the values user code set but did not flush.
    d = obj.__dict__
    unflushed = {k: d[k] for k in state.modified or () if k in d}
    modified = state.modified
    session.refresh(obj)
    if unflushed:
        d.update(unflushed)
        state.modified = modified
        session._dirty[id(obj)] = obj
    return d[key]
