"""Transaction levels and the journal that makes rollback restore objects.

The session keeps a stack of levels: the root (the database transaction), one per
savepoint (``begin_nested``) and a short-lived one per flush. The first time an object is
touched inside a level — attribute set, added, deleted, written by a flush — the level
records a snapshot of it (its attribute values and ORM state). Rolling a level back puts
every recorded object back as it was when the level began, so that after a rollback each
object again matches the database:

* objects added in the rolled-back transaction become transient again (generated primary
  keys are cleared);
* changed objects get back their values from before the transaction (or savepoint);
* objects deleted in it are persistent again.

Releasing a level merges its snapshots into the enclosing level (the older snapshot wins).

A clean persistent object first set or deleted in the root level is journaled lazily:
its entry is its state, which collects the values before the first set of each attribute
(see :mod:`ormolu.orm.state`); a rollback rebuilds the snapshot from it.
"""

from __future__ import annotations

from typing import Any

from ..orm.state import STATE_KEY, record, values_before_insert


class Snapshot:
    """An object's values and state as they were when a level first touched it."""

    __slots__ = ("key", "modified", "obj", "session", "state", "status", "to_delete", "values")

    def __init__(self, obj: Any) -> None:
        d = obj.__dict__
        st = d.get(STATE_KEY)
        self.obj = obj
        # A plain copy (C speed) that includes the state entry: restoring sets or removes
        # that entry itself, so it does no harm here.
        self.values = d.copy()
        self.state = st
        if st is not None:
            self.status = st.status
            self.key = st.key
            self.modified = dict(st.modified) if st.modified else None
            self.to_delete = st.to_delete
            self.session = st.session
        else:
            self.status = 0
            self.key = None
            self.modified = None
            self.to_delete = False
            self.session = None

    @classmethod
    def of(cls, rec: tuple[Any, ...]) -> Snapshot:
        """The snapshot from a :func:`record` tuple; ``values`` ``None`` means the
        object's values have not changed since the record was made, and a tuple of field
        names that only those were filled in since (the flush's own records)."""
        snap = cls.__new__(cls)
        snap.obj, snap.values, snap.state, snap.status, snap.key = rec[:5]
        if snap.values is None:
            snap.values = snap.obj.__dict__.copy()
        elif type(snap.values) is tuple:  # the fields a flush filled in (see flush_plan)
            snap.values = values_before_insert(snap.obj, snap.values)
        modified = rec[5]
        snap.modified = dict(modified) if modified else None
        snap.to_delete, snap.session = rec[6], rec[7]
        return snap


class Level:
    """One transaction level: the journal of touched objects and its savepoint name."""

    __slots__ = ("has_writes", "journal", "savepoint")

    def __init__(self, savepoint: str | None = None) -> None:
        # id(obj) -> record(obj), or, in the root level only, the object's state itself: a
        # lazy entry (see ormolu.orm.state)
        self.journal: dict[int, Any] = {}
        self.savepoint = savepoint
        self.has_writes = False

    def touch(self, obj: Any) -> None:
        """Snapshot ``obj`` unless this level already has."""
        if id(obj) not in self.journal:
            self.journal[id(obj)] = record(obj)

    def merge_into(self, parent: Level) -> None:
        """Hand this level's snapshots to ``parent`` (keeping the parent's older ones)."""
        for k, snap in self.journal.items():
            parent.journal.setdefault(k, snap)
        parent.has_writes = parent.has_writes or self.has_writes
