"""Relationship writes in memory: assignment, collection changes, the other side of a
bidirectional relationship, and adding related objects to the session (cascade).

Foreign keys follow at once when the related object has its key; when it is new (no key
yet) the flush fills the key in after inserting it (see :mod:`ormolu.orm.dependency`).
Nothing here sends SQL, except that replacing a collection or a one-to-one of a
persistent object first loads the old value (to know what was removed) — through the
session, which in an async session defers it to the next flush instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError, ValidationError
from .collections import RelatedList
from .fields import MISSING
from .relationships import MANY_TO_ONE, ONE_TO_MANY
from .state import PENDING, PERSISTENT, STATE_KEY, TRANSIENT

if TYPE_CHECKING:
    from .relationships import Relationship


def _session(obj: Any) -> Any:
    st = obj.__dict__.get(STATE_KEY)
    if st is not None and st.session is not None and st.status in (PENDING, PERSISTENT):
        return st.session
    return None


def check_item(rel: Relationship, item: Any, owner: Any = None) -> None:
    """Raise ValidationError unless ``item`` is an instance of the related model, and
    InvalidRequestError if it belongs to another open session than ``owner``."""
    if not isinstance(item, rel.target.cls):
        raise ValidationError(
            rel.parent.name, rel.key, item, f"must be a {rel.target.name} instance"
        )
    if owner is not None:
        session = _session(owner)
        st = item.__dict__.get(STATE_KEY)
        if (
            session is not None
            and st is not None
            and st.session is not None
            and st.session is not session
            and not st.session.closed
        ):
            raise InvalidRequestError(
                f"{item!r} belongs to another session; load it in this one (session.get) "
                f"or expunge it from the other first"
            )


def check_removal(owner: Any, rel: Relationship, item: Any) -> None:
    """Raise ValidationError if removing ``item`` would set a NOT NULL foreign key to NULL."""
    if rel.direction == ONE_TO_MANY and not rel.delete_orphan and not rel.nullable:
        fk = ", ".join(f"{rel.target.name}.{k}" for k in rel.remote_keys)
        raise ValidationError(
            rel.parent.name, rel.key, item,
            f"cannot remove it: {fk} is not nullable; delete it with session.delete(), or "
            f"declare the relationship with cascade='all, delete-orphan'",
        )  # fmt: skip


def set_relationship(obj: Any, key: str, value: Any) -> None:
    """``obj.key = value`` for a relationship (called by ``Model.__setattr__``)."""
    rel = type(obj).__mapper__.relationship(key)
    if rel.uselist:
        set_collection(obj, rel, value)
    elif rel.direction == MANY_TO_ONE:
        set_many_to_one(obj, rel, value)
    else:
        set_one_to_one(obj, rel, value)


def set_many_to_one(obj: Any, rel: Relationship, value: Any, *, from_back: bool = False) -> None:
    """Point ``obj`` at ``value`` (or None): foreign key, other side, cascade."""
    if value is not None:
        check_item(rel, value, obj)
    elif not rel.nullable:
        raise ValidationError(
            rel.parent.name, rel.key, None,
            f"must not be None ({', '.join(rel.local_keys)} is not nullable)",
        )  # fmt: skip
    d = obj.__dict__
    old = d.get(rel.key, MISSING)
    session = _session(obj)
    if old is value and value is not None:
        return
    if session is not None:
        session.touch(obj)
    d[rel.key] = value
    _sync_foreign_key(obj, rel, value, session)
    back = rel.back
    if back is not None and not from_back:
        if old is not MISSING and old is not None:
            unlink_child(old, back, obj)
        if value is not None:
            _link(value, back, obj)
    if session is not None and value is not None:
        cascade_add(session, value)


def _sync_foreign_key(obj: Any, rel: Relationship, value: Any, session: Any) -> None:
    d = obj.__dict__
    if value is None:
        values: list[Any] = [None] * len(rel.local_keys)
    else:
        vd = value.__dict__
        values = [vd.get(k) for k in rel.remote_keys]
        if any(v is None for v in values):
            # The target has no key yet: the flush sets ours after inserting it. A
            # persistent object must be in the flush for that.
            st = d.get(STATE_KEY)
            if session is not None and st is not None and st.status == PERSISTENT:
                for k in rel.local_keys:
                    session.record_change(obj, st, k, d.get(k, MISSING))
            return
    for k, v in zip(rel.local_keys, values):
        if d.get(k, MISSING) is not v and d.get(k, MISSING) != v:
            setattr(obj, k, v)  # validated and change-tracked like any assignment


def _touch(obj: Any) -> None:
    """Journal ``obj`` before its loaded relationships change (rollback undoes it)."""
    session = _session(obj)
    if session is not None:
        session.touch(obj)


def unlink_child(parent: Any, back: Relationship, child: Any) -> None:
    """Take ``child`` out of ``parent``'s loaded side of ``back`` (no events)."""
    loaded = parent.__dict__.get(back.key, MISSING)
    if loaded is MISSING:
        return
    _touch(parent)
    if back.uselist:
        for i, c in enumerate(loaded):
            if c is child:
                list.__delitem__(loaded, i)
                break
    elif loaded is child:
        parent.__dict__[back.key] = None


def _link(parent: Any, back: Relationship, child: Any) -> None:
    """Put ``child`` into ``parent``'s loaded side of ``back`` (no events)."""
    pd = parent.__dict__
    loaded = pd.get(back.key, MISSING)
    _touch(parent)
    if back.uselist:
        if loaded is MISSING:
            st = pd.get(STATE_KEY)
            if st is None or st.status in (TRANSIENT, PENDING):
                # a new object has no rows to load: its collection is what we know

                pd[back.key] = RelatedList(parent, back, [child])
        elif not any(c is child for c in loaded):
            list.append(loaded, child)
    elif not back.hidden:
        pd[back.key] = child


def set_one_to_one(obj: Any, rel: Relationship, value: Any) -> None:
    """``user.profile = profile``: the reverse (non-key) side of a one-to-one."""
    from .strategies import lazy_load

    if value is not None:
        check_item(rel, value, obj)
    d = obj.__dict__
    old = d.get(rel.key, MISSING)
    st = d.get(STATE_KEY)
    deferred = False
    if old is MISSING:
        persistent = st is not None and st.status == PERSISTENT and st.session is not None
        if persistent and st.session.defer_loads:
            # (an async session: the next flush loads what it held, and unlinks that)
            st.session.defer_replacement(obj, rel, [] if value is None else [value])
            old, deferred = None, True
        else:
            old = lazy_load(obj, rel) if persistent else None
    if old is value and not deferred:
        return
    if old is not None:
        check_removal(obj, rel, old)
    session = _session(obj)
    if session is not None:
        session.touch(obj)
    d[rel.key] = value
    assert rel.back is not None
    if old is not None:
        if rel.delete_orphan:
            _orphan(old)
        else:
            set_many_to_one(old, rel.back, None, from_back=True)
    if value is not None:
        prev = value.__dict__.get(rel.back.key, MISSING)
        if prev is not MISSING and prev is not None and prev is not obj:
            unlink_child(prev, rel, value)  # taken from another owner
        set_many_to_one(value, rel.back, obj, from_back=True)
        if session is not None:
            cascade_add(session, value)


def set_collection(obj: Any, rel: Relationship, value: Any) -> None:
    """``artist.albums = [...]``: replace a collection (removed items are handled as by
    ``remove()``, added ones as by ``append()``)."""
    from .strategies import lazy_load

    if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
        raise ValidationError(rel.parent.name, rel.key, value, "must be a list of objects")
    items = list(value)
    for item in items:
        check_item(rel, item, obj)
    d = obj.__dict__
    old = d.get(rel.key, MISSING)
    if old is MISSING:
        st = d.get(STATE_KEY)
        persistent = st is not None and st.status == PERSISTENT and st.session is not None
        if persistent and st.session.defer_loads:
            # (an async session: the next flush loads the old items, and removes those
            # not in the new list)
            st.session.defer_replacement(obj, rel, items)
            old = []
        else:
            old = lazy_load(obj, rel) if persistent else []
    new_ids = {id(i) for i in items}
    old_ids = {id(i) for i in old}
    removed = [o for o in old if id(o) not in new_ids]
    for o in removed:
        check_removal(obj, rel, o)
    session = _session(obj)
    if session is not None:
        session.touch(obj)
    d[rel.key] = RelatedList(obj, rel, items)
    for o in removed:
        collection_remove(obj, rel, o)
    for i in items:
        if id(i) not in old_ids:
            collection_add(obj, rel, i)


def collection_add(owner: Any, rel: Relationship, item: Any) -> None:
    """``item`` was put into ``owner``'s collection ``rel``."""
    session = _session(owner)
    if session is not None:
        session.touch(owner)
    back = rel.back
    if rel.direction == ONE_TO_MANY:
        assert back is not None
        prev = item.__dict__.get(back.key, MISSING)
        if prev is not MISSING and prev is not None and prev is not owner:
            unlink_child(prev, rel, item)  # moved from another parent's collection
        set_many_to_one(item, back, owner, from_back=True)
    else:
        if back is not None:
            _link(item, back, owner)
        if session is not None and owner.__dict__[STATE_KEY].status == PERSISTENT:
            session.record_link(rel, owner, item, 1)
    if session is not None:
        cascade_add(session, item)


def collection_remove(owner: Any, rel: Relationship, item: Any) -> None:
    """``item`` was taken out of ``owner``'s collection ``rel``."""
    _touch(owner)
    back = rel.back
    if rel.direction == ONE_TO_MANY:
        assert back is not None
        if rel.delete_orphan:
            _orphan(item)
        elif item.__dict__.get(back.key, MISSING) is owner or back.hidden:
            set_many_to_one(item, back, None, from_back=True)
    else:
        if back is not None:
            unlink_child(item, back, owner)
        session = _session(owner)
        if session is not None and owner.__dict__[STATE_KEY].status == PERSISTENT:
            session.record_link(rel, owner, item, -1)


def _orphan(item: Any) -> None:
    """Delete (or, if never flushed, forget) a child removed from its parent."""
    st = item.__dict__.get(STATE_KEY)
    if st is None or st.session is None:
        return
    if st.status == PENDING:
        st.session.expunge(item)
    elif st.status == PERSISTENT:
        st.session.delete(item)


def cascade_add(session: Any, obj: Any) -> None:
    """Add ``obj`` to ``session`` if it is new (``session.add`` cascades further).

    Raises InvalidRequestError when it belongs to another open session: one object graph
    is written by one session."""
    st = obj.__dict__.get(STATE_KEY)
    if st is None or st.status == TRANSIENT:
        session.add(obj)
    elif st.session is not None and st.session is not session and not st.session.closed:
        raise InvalidRequestError(
            f"{obj!r} belongs to another session; load it in this one (session.get) or "
            f"expunge it from the other first"
        )


def cascade_related(session: Any, obj: Any) -> None:
    """Add the new objects that ``obj``'s loaded relationships point at."""
    d = obj.__dict__
    for rel in type(obj).__mapper__.all_relationships:
        v = d.get(rel.key)
        if v is None:
            continue
        for item in v if rel.uselist else (v,):
            cascade_add(session, item)
