"""The rollback journal: what each object was when a transaction level first touched it.

The session keeps a stack of levels (:class:`Level`): the root (the database transaction),
one per savepoint (``begin_nested``) and a short-lived one per flush or bulk write. The
first time a level touches an object — an attribute set, ``add``, ``delete``, a flush
writing it — it records an :class:`Entry`: the object's attribute values and ORM state as
they were. Rolling the level back puts every recorded object back (see
:meth:`ormolu.core.state.SessionState.restore`); releasing it hands its entries to the
enclosing level, whose older entries win.

One record type serves every case, told apart by its ``values`` field:

* a ``dict``: the object's ``__dict__`` as it was;
* ``None``: the values are those the object has now (the flush's own records of
  persistent objects, whose values a flush does not change);
* a ``tuple`` of field names: the values it has now without these fields, which a flush
  filled in from the database (a new object's generated key and server defaults);
* :data:`LAZY`: the values it has now with ``state.original`` applied — the *lazy entry*
  of a clean persistent object first changed in the root level. Copying its dictionary
  costs an allocation a rollback almost never reads, so instead its state collects the
  value of each attribute before its first set (``original``) while the entry holds the
  object only weakly (``obj`` is ``None``; the state is the weak reference). A lazy entry
  is turned into a full one (:func:`materialize`) before anything it cannot follow: a
  relationship change, expire, refresh, a savepoint, a bulk write. Only models without
  relationships are journaled lazily (``Mapper.journal_lazily``).

A level also lists the objects loaded while it had written data (``loaded``): their
values may be ones a rollback undoes, so rolling the level back expires them.

A JSON document changed in place (:mod:`ormolu.orm.mutable`) is the one value an entry
cannot hold by reference: :func:`record_mutation` swaps a plain copy in before the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..orm.fields import MISSING
from ..orm.mutable import plain
from ..orm.state import PERSISTENT, STATE_KEY, InstanceState

if TYPE_CHECKING:
    from .state import SessionState


class _Lazy:
    """The ``values`` of a lazy entry (see the module docstring)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "LAZY"


LAZY: Any = _Lazy()
_new = tuple.__new__


class Entry(NamedTuple):
    """An object as a level first saw it: its values (see the module docstring for the
    four forms of ``values``) and its state's fields then. ``obj`` is ``None`` only in a
    lazy entry, whose ``state`` gives the object while it lives."""

    obj: Any
    values: Any
    state: InstanceState | None
    status: int
    key: Any
    modified: dict[str, Any] | None
    to_delete: bool
    session: Any

    def target(self) -> Any:
        """The object, or ``None`` when a lazy entry's object is gone."""
        if self.obj is not None:
            return self.obj
        assert self.state is not None
        return self.state()

    def full_values(self) -> dict[str, Any]:
        """The object's ``__dict__`` as it was (the entry's own dict, or a new one: the
        caller must not change it)."""
        values = self.values
        if type(values) is dict:
            return values
        obj = self.target()
        current: dict[str, Any] = obj.__dict__.copy()
        if values is None:
            return current
        if values is LAZY:
            assert self.state is not None
            for k, v in (self.state.original or {}).items():
                if v is MISSING:
                    current.pop(k, None)  # it had no value (expired, or left to the database)
                else:
                    current[k] = v
            return current
        return values_before_insert(obj, values)


def record(obj: Any) -> Entry:
    """A full entry of ``obj`` as it is now."""
    d = obj.__dict__
    st = d.get(STATE_KEY)
    if st is None:
        return _new(Entry, (obj, d.copy(), None, 0, None, None, False, None))
    m = st.modified
    return _new(
        Entry,
        (obj, d.copy(), st, st.status, st.key, dict(m) if m else None, st.to_delete, st.session),
    )


def values_before_insert(obj: Any, generated: tuple[str, ...]) -> dict[str, Any]:
    """``obj.__dict__`` as it was before a flush inserted it and filled in the
    ``generated`` fields from the database: the generated key ``None`` again, the others
    without a value."""
    values: dict[str, Any] = obj.__dict__.copy()
    auto = type(obj).__mapper__.auto_key
    for k in generated:
        if k == auto:
            values[k] = None
        else:
            values.pop(k, None)
    return values


def materialize(entry: Entry) -> Entry | None:
    """The full entry standing for lazy ``entry`` (``None`` once its object is gone);
    resets the state's ``original``."""
    st = entry.state
    assert st is not None
    obj = st()
    values = entry.full_values() if obj is not None else None
    st.original = None
    if obj is None:
        return None
    return _new(Entry, (obj, values, st, PERSISTENT, st.key, None, False, entry.session))


def journal_touch(journal: dict[int, Entry], obj: Any) -> None:
    """Make sure ``journal`` holds a full entry of ``obj`` (materializing a lazy one)."""
    entry = journal.get(id(obj))
    if entry is not None:
        if entry.values is not LAZY:
            return
        if entry.state is not None and entry.state() is obj:
            done = materialize(entry)
            assert done is not None
            journal[id(obj)] = done
            return
    # none yet, or the stale lazy entry of a dead object that had the same id
    journal[id(obj)] = record(obj)


def record_lazily(session: SessionState, obj: Any, st: InstanceState) -> bool:
    """Journal ``obj`` lazily in the root level if it qualifies (a clean persistent object
    of a model without relationships, no savepoint open); return whether it did. The
    caller then starts ``st.original``."""
    if (
        st.status == PERSISTENT
        and st.modified is None
        and not st.to_delete
        and len(session.levels) == 1
        and type(obj).__mapper__.journal_lazily
    ):
        session.levels[0].journal[id(obj)] = _new(
            Entry, (None, LAZY, st, PERSISTENT, st.key, None, False, session)
        )
        session.commit_walk = True  # commit resets st.original
        return True
    return False


def record_mutation(
    session: SessionState, obj: Any, st: InstanceState, key: str, current: Any
) -> None:
    """``obj.<key>``, the JSON document ``current`` (see ormolu.orm.mutable), is about
    to change in place: every record that holds the document itself — the journal
    entries, the value the UPDATE replaces — gets a plain copy of it as it is now,
    and the field counts as changed. Once done, further changes find no record
    holding ``current`` and cost a few lookups."""
    snap: Any = _NO_COPY
    orig = st.original
    if orig is None:
        journal_touch(session.levels[-1].journal, obj)
    elif key not in orig or orig[key] is current:  # a lazy entry (module docstring)
        snap = orig[key] = plain(current)
    oid = id(obj)
    for level in session.levels:
        entry = level.journal.get(oid)
        values = entry.values if entry is not None else None
        if type(values) is dict and values.get(key) is current:
            if snap is _NO_COPY:
                snap = plain(current)
            values[key] = snap
    if st.status == PERSISTENT:
        m = st.modified
        if m is None or key not in m or m[key] is current:
            if snap is _NO_COPY:
                snap = plain(current)
            if m is None:
                st.modified = {key: snap}
                session.dirty[oid] = obj
            else:
                m[key] = snap
                session.dirty[oid] = obj


_NO_COPY: Any = object()  # (record_mutation: no copy of the document made yet)


class Batch(NamedTuple):
    """The flush's record of one statement's objects, standing for an :class:`Entry` of
    each (made only where one is needed): new objects about to be inserted (``states``
    ``None``; ``extra`` the fields the INSERT fills in) or persistent ones about to be
    updated or deleted (``extra`` their modified values before, ``to_delete`` their
    delete mark)."""

    objs: list[Any]
    states: list[Any] | None
    extra: Any
    to_delete: bool

    def entries(self, session: Any) -> list[tuple[int, Entry]]:
        """``(id(obj), entry)`` for each object of the batch."""
        if self.states is None:
            return [
                (id(o), _new(Entry, (o, self.extra, o.__dict__[STATE_KEY], 1, None, None, False,
                                     session)))
                for o in self.objs
            ]  # fmt: skip
        return [
            (id(o), _new(Entry, (o, None, st, PERSISTENT, st.key, m, self.to_delete, session)))
            for o, st, m in zip(self.objs, self.states, self.extra)
        ]


class Level:
    """One transaction level: its journal, its savepoint name, whether it wrote, and the
    states of objects loaded after it wrote."""

    __slots__ = ("has_writes", "journal", "loaded", "savepoint")

    def __init__(self, savepoint: str | None = None) -> None:
        self.journal: dict[int, Entry] = {}
        self.savepoint = savepoint
        self.has_writes = False
        # states (weak references) of objects loaded or refreshed while this level had
        # written: a rollback of it expires them
        self.loaded: list[InstanceState] = []

    def touch(self, obj: Any) -> None:
        """Record ``obj`` unless this level already has."""
        journal_touch(self.journal, obj)

    def merge_into(self, parent: Level) -> None:
        """Hand this level's entries to ``parent`` (keeping the parent's older ones)."""
        pj = parent.journal
        if pj:
            for k, entry in self.journal.items():
                if k not in pj:
                    pj[k] = entry
        else:
            pj.update(self.journal)
        parent.has_writes = parent.has_writes or self.has_writes
        if self.loaded:
            parent.loaded.extend(self.loaded)
