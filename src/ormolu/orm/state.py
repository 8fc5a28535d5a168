"""Per-object ORM state and the hooks that attribute access calls into.

Each object loaded or added through a session carries an :class:`InstanceState` in its
``__dict__`` under ``STATE_KEY``: the owning session, the identity key, the lifecycle
status and the original values of attributes changed since the last flush.

Lifecycle (the terms of SQLAlchemy's session): *transient* (never added) → *pending*
(added, not yet inserted) → *persistent* (has a row) → *deleted* (row deleted, transaction
not committed) → *detached* (no longer in a session).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from ..exceptions import DetachedInstanceError
from .fields import MISSING as MISSING_VALUE

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

    __slots__ = ("group", "key", "modified", "original", "session", "status", "to_delete")

    # the ResultGroup of the query that loaded the object (batched lazy loading), or None
    group: Any
    key: Any
    # attribute -> value in the database, for attributes changed since the last flush
    modified: dict[str, Any] | None
    # while the state is its object's lazy journal entry (see record_lazily): attribute ->
    # value when the transaction began, for attributes set since; otherwise None
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


def without_gc(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` with Python's cyclic garbage collector paused, and resumed after
    (left alone if the program had paused it).

    For work that allocates several objects per row and frees none — loading a result,
    a flush — during which the collector would make pass after pass over everything in
    memory and find nothing (measured: about a quarter of the time of bench test D). The
    pause is process-wide: another thread's collections wait until ``call`` returns.
    ``call`` must not create reference cycles in bulk; exceptions propagate unchanged.
    Example: ``objs = without_gc(load_all, rows)``.
    """
    if not gc.isenabled():
        return call(*args)
    gc.disable()
    try:
        return call(*args)
    finally:
        gc.enable()


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


def values_before_insert(obj: Any, generated: tuple[str, ...]) -> dict[str, Any]:
    """``obj.__dict__`` as it was before a flush inserted it and filled in the
    ``generated`` fields from the database: the generated key ``None`` again, the others
    without a value (the undo record of a new object in a flush without relationships,
    which changes nothing else of it)."""
    values: dict[str, Any] = obj.__dict__.copy()
    auto = type(obj).__mapper__.auto_key
    for k in generated:
        if k == auto:
            values[k] = None
        else:
            values.pop(k, None)
    return values


# -- lazy journal entries -----------------------------------------------------------------
# A transaction's journal (ormolu.session.transaction) keeps, per object touched, what the
# object was when the transaction began. Copying the instance dictionary for that costs an
# allocation per object that a rollback almost never reads, so a persistent object with
# no unflushed change, first touched by an attribute set or a delete in the root level,
# is journaled "lazily": its entry is its own state, and the state's ``original`` collects
# the value of each attribute before its first set in the transaction. The object as it
# was is then the current dictionary with ``original`` applied, turned into a real record
# (materialize) before anything a lazy entry cannot follow: a relationship change,
# expire, refresh, a savepoint, a bulk write. Only models without relationships are
# journaled lazily (``Mapper.journal_lazily``). A lazy entry holds its object weakly: once
# the object is gone the entry is stale, and the id may be reused by another object.


def materialize(st: InstanceState, session: Any) -> tuple[Any, ...] | None:
    """The record (see :func:`record`) of the lazy entry ``st`` of ``session``'s journal,
    or ``None`` when its object is gone; resets ``st.original``."""
    obj = st()
    original = st.original
    st.original = None
    if obj is None:
        return None
    values = obj.__dict__.copy()
    if original:
        for k, v in original.items():
            if v is MISSING_VALUE:
                values.pop(k, None)  # it had no value (expired, or left to the database)
            else:
                values[k] = v
    return (obj, values, st, PERSISTENT, st.key, None, False, session)


def journal_touch(journal: dict[int, Any], obj: Any, session: Any) -> None:
    """Make sure ``journal`` holds a full record of ``obj`` (materializing a lazy entry)."""
    rec = journal.get(id(obj))
    if type(rec) is tuple:
        return
    if rec is not None and rec() is obj:
        journal[id(obj)] = materialize(rec, session)
    else:  # none yet, or the stale lazy entry of a dead object that had the same id
        journal[id(obj)] = record(obj)


def record_lazily(journal: dict[int, Any], obj: Any, st: InstanceState, session: Any) -> bool:
    """Journal ``obj`` lazily if it qualifies (see above); return whether it did."""
    if (
        st.status == PERSISTENT
        and st.modified is None
        and not st.to_delete
        and len(session._levels) == 1
        and type(obj).__mapper__.journal_lazily
    ):
        journal[id(obj)] = st
        session._commit_walk = True  # commit resets st.original
        return True
    return False


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
