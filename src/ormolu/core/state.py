"""The session's state: what it knows, and nothing it sends.

:class:`SessionState` holds the identity map, the pending changes (new, dirty and
deleted objects, many-to-many links), the stack of transaction levels with their
rollback journals, and the transaction's own state (open or not, its mode, isolation
level and statement timeout). Every method here is plain bookkeeping in memory; the
operations of :mod:`ormolu.core` read and change it while they talk to the database, and
the front ends (:class:`~ormolu.Session`) drive those operations.

Objects point at their session's state (``InstanceState.session``), and the model layer
(attribute sets, relationship writes, lazy loads) calls the public methods and attributes
below — never anything private, which ``tests/unit/test_layers.py`` checks. Where an
attribute read needs the database (an unloaded relationship, an expired column), the
model layer asks :meth:`SessionState.run_implicit`, which hands the operation to the
front end: the sync one runs it, an async one refuses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from typing import TYPE_CHECKING, Any

from ..exceptions import InvalidRequestError, LazyLoadError
from ..orm.identity import IdentityMap
from ..orm.loading import loader_for
from ..orm.registry import configure_pending
from ..orm.state import (
    DELETED,
    DETACHED,
    PENDING,
    PERSISTENT,
    STATE_KEY,
    TRANSIENT,
    InstanceState,
    new_state,
)
from ..orm.sync import cascade_related
from ..orm.unitofwork import drain
from .journal import (
    LAZY,
    Entry,
    Level,
    journal_touch,
    materialize,
    record_lazily,
    record_mutation,
)

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..orm.hooks import Listeners
    from ..protocol import Op

# A long-lived session meets many statement shapes: keep at most this many bound loaders.
_MAX_LOADERS = 500
# Types of a single-column primary key value given as it is (not a tuple or a mapping).
_PLAIN_KEYS = frozenset({int, str, bytes, uuid.UUID})


class SessionState:
    """The state of one session; see the module docstring.

    Attributes read by the model layer's hot paths (kept plain for speed): ``identity_map``,
    ``new``/``dirty``/``deleted`` (``id(obj) -> obj``), ``levels`` (the transaction levels,
    innermost last), ``load_group`` (the result group new objects join while a query loads,
    for batched lazy loads), ``strict``, ``closed``, ``commit_walk``.
    """

    __slots__ = (
        "autoflush", "begin_mode", "closed", "commit_walk", "db_listeners", "defer_loads",
        "deferred", "deleted", "dialect", "dirty", "flushing", "frontend", "identity_map",
        "in_tx", "isolation_level", "levels", "links", "listeners",
        "load_group", "loaders", "new", "savepoint_seq", "statement_timeout", "strict",
        "tx_timeout",
    )  # fmt: skip

    def __init__(
        self,
        dialect: Dialect,
        frontend: Any,
        *,
        autoflush: bool = True,
        strict: bool = False,
        statement_timeout: float | None = None,
    ) -> None:
        self.dialect = dialect
        # runs the operations attribute access needs (run_implicit); the front end
        self.frontend = frontend
        self.autoflush = autoflush
        self.strict = strict
        self.identity_map = IdentityMap()
        self.loaders: dict[Any, Any] = {}  # loader factory -> its loader bound to this state
        self.new: dict[int, Any] = {}
        self.dirty: dict[int, Any] = {}
        self.deleted: dict[int, Any] = {}
        # many-to-many changes since the last flush: (relationship, owner, item, +1/-1)
        self.links: list[tuple[Any, Any, Any, int]] = []
        self.levels: list[Level] = [Level()]
        self.load_group: Any = None
        # whether loads a plain call would need (delete cascades, replaced relationships)
        # wait for the next flush (an async front end), and that work (core/deferred.py)
        self.defer_loads = False
        self.deferred: list[tuple[str, Any, Any, Any]] = []
        self.closed = False
        self.flushing = False
        # whether commit must walk the journal: objects were deleted, or journaled lazily
        self.commit_walk = False
        self.savepoint_seq = 0
        # the database transaction: BEGIN sent (reads before the first write run in
        # autocommit mode, see ormolu.core.transaction)
        self.in_tx = False
        self.begin_mode: str | None = None
        self.isolation_level: str | None = None
        self.statement_timeout = statement_timeout  # seconds, the session's own
        self.tx_timeout: float | None = None  # seconds, of the transaction begun with one
        # listeners (ormolu.orm.hooks.Listeners): the database's, and this session's own
        # (made by its first listen())
        self.db_listeners: Listeners | None = None
        self.listeners: Listeners | None = None

    # -- checks --------------------------------------------------------------------------
    def check_open(self) -> None:
        """Raise InvalidRequestError when the session is closed."""
        if self.closed:
            raise InvalidRequestError("this session is closed; open a new one with db.session()")

    def has_changes(self) -> bool:
        """Whether a flush has anything to write (or to load first)."""
        return bool(self.new or self.dirty or self.deleted or self.links or self.deferred)

    def defer_cascade(self, obj: Any) -> None:
        """Leave ``obj``'s delete cascade to the next flush (see core/deferred.py)."""
        from .deferred import CASCADE

        if not any(kind == CASCADE and o is obj for kind, o, _, _ in self.deferred):
            self.deferred.append((CASCADE, obj, None, None))

    def defer_replacement(self, obj: Any, rel: Any, items: list[Any]) -> None:
        """Leave the unlinking of what ``obj.<rel>`` held before it was replaced by
        ``items`` to the next flush (see core/deferred.py)."""
        from .deferred import REPLACE

        self.touch(obj)
        self.deferred = [w for w in self.deferred if not (w[1] is obj and w[2] is rel)]
        self.deferred.append((REPLACE, obj, rel, list(items)))

    @property
    def effective_timeout(self) -> float | None:
        """The statement timeout in force: the transaction's, else the session's."""
        return self.tx_timeout if self.tx_timeout is not None else self.statement_timeout

    # -- the front end's part ------------------------------------------------------------
    def run_implicit(self, op: Op[Any], what: str, fix: str | None = None) -> Any:
        """Run ``op``, which an attribute access needs (``what`` says which, and ``fix``
        how to load it explicitly, for the error an async front end raises instead),
        through the front end; return its result."""
        if fix is None:
            return self.frontend.implicit(op, what)
        return self.frontend.implicit(op, what, fix)

    def load_relationship(self, rel: Any, objs: list[Any]) -> None:
        """Select-in load ``rel`` for ``objs`` (a lazy load, batched over their result)."""
        from .loads import load_relationship

        self.run_implicit(load_relationship(self, rel, objs), f"{rel.name} is not loaded")

    def load_attribute(self, obj: Any, key: str) -> Any:
        """Load ``obj``'s missing attribute ``key`` and return its value: a field its load
        left out (deferred) for its whole result at once, else (expired) its row again.

        Raises LazyLoadError for a deferred field in a strict session."""
        st = obj.__dict__[STATE_KEY]
        mapper = type(obj).__mapper__
        if key in mapper.deferred_keys or (st.left_out is not None and key in st.left_out):
            from .columns import load_deferred

            name = f"{mapper.name}.{key}"
            fix = (
                f"load it with the query: query({mapper.name}).options(undefer({name})), or "
                f"explicitly for many objects at once: session.load(objects, {name}), or "
                f"session.refresh(obj, [{key!r}])"
            )
            if self.strict:
                raise LazyLoadError(
                    f"{name} is deferred and not loaded, and the session is strict (it "
                    f"forbids implicit loads); {fix}"
                )
            return self.run_implicit(
                load_deferred(self, obj, key), f"{name} is deferred and not loaded", fix
            )
        from .reads import load_attribute

        return self.run_implicit(
            load_attribute(self, obj, key), f"{type(obj).__name__}.{key} is not loaded"
        )

    # -- journal -------------------------------------------------------------------------
    def touch(self, obj: Any) -> None:
        """Record ``obj`` in the current level's journal before changing it."""
        journal_touch(self.levels[-1].journal, obj)

    def materialize_lazy(self) -> None:
        """Turn the root level's lazy entries into full ones: before a savepoint or a bulk
        write, which they cannot follow."""
        journal = self.levels[0].journal
        for oid, entry in list(journal.items()):
            if entry.values is LAZY:
                done = materialize(entry)
                if done is None:
                    del journal[oid]
                else:
                    journal[oid] = done

    def record_change(self, obj: Any, state: InstanceState, key: str, old: Any) -> None:
        """Note that ``obj.<key>`` changed from ``old`` (journal, and the UPDATE to send)."""
        if state.session is not self:
            return
        journal_touch(self.levels[-1].journal, obj)
        if state.status == PERSISTENT:
            m = state.modified
            if m is None:
                state.modified = {key: old}
                self.dirty[id(obj)] = obj
            elif key not in m:
                m[key] = old

    def record_set(self, obj: Any, st: InstanceState, name: str, old: Any) -> None:
        """Journal and track ``obj.<name> = ...`` (``old``: the value before, or MISSING);
        ``Model.__setattr__`` calls this unless the object's change is already being
        tracked in the lazy entry's one dict (its fast path)."""
        orig = st.original
        if orig is not None:  # a lazy entry (see ormolu.core.journal): it follows the set
            if name in type(obj).__mapper__.pk_keys:
                self.touch(obj)  # a full entry before the identity changes
            elif name not in orig:
                orig[name] = old
        else:
            journal = self.levels[-1].journal
            entry = journal.get(id(obj))
            if entry is None or entry.values is LAZY:  # none yet (or a dead object's)
                if name not in type(obj).__mapper__.pk_keys and record_lazily(self, obj, st):
                    # the first set since the transaction began: one dict serves as both
                    # the unflushed changes and the values to restore
                    st.original = st.modified = {name: old}
                    self.dirty[id(obj)] = obj
                    return
                journal_touch(journal, obj)
        if st.status == PERSISTENT:
            m = st.modified
            if m is None:
                st.modified = {name: old}
                self.dirty[id(obj)] = obj
            elif name not in m:
                m[name] = old

    def record_mutation(self, obj: Any, st: InstanceState, key: str, current: Any) -> None:
        """``obj.<key>``, the JSON document ``current``, is about to change in place:
        see :func:`ormolu.core.journal.record_mutation`."""
        record_mutation(self, obj, st, key, current)

    def record_link(self, rel: Any, owner: Any, item: Any, sign: int) -> None:
        """Record a many-to-many change for the next flush."""
        self.touch(owner)
        self.links.append((rel, owner, item, sign))

    def written_level(self) -> Level | None:
        """The innermost level that has written data (objects loaded now may hold values
        its rollback undoes), or ``None``."""
        for level in reversed(self.levels):
            if level.has_writes:
                return level
        return None

    def record_loaded(self, objs: Iterable[Any]) -> None:
        """Note objects just loaded or refreshed, if a level has written: a rollback of
        that level expires them (their values may be gone with it)."""
        level = self.written_level()
        if level is None:
            return
        loaded = level.loaded
        for o in objs:
            st = getattr(o, "__dict__", {}).get(STATE_KEY) if o is not None else None
            if st is not None:
                loaded.append(st)

    # -- object lifecycle ----------------------------------------------------------------
    def add(self, obj: Any) -> None:
        """Add a new object (pending until flushed) or re-attach a detached one, with the
        changes made to it while detached (they are written at the next flush).

        Raises InvalidRequestError when the object belongs to another open session or its
        identity is already taken by another object in this one; TypeError for non-models.
        """
        if self.closed:
            self.check_open()
        mapper = getattr(type(obj), "__mapper__", None)
        if mapper is None:
            raise TypeError(f"session.add() takes a model instance, got {obj!r}")
        d = obj.__dict__
        st: InstanceState | None = d.get(STATE_KEY)
        if st is None:
            oid = id(obj)
            journal = self.levels[-1].journal
            if oid in journal:
                journal_touch(journal, obj)  # (a stale lazy entry under the same id)
            else:
                journal[oid] = tuple.__new__(
                    Entry, (obj, d.copy(), None, TRANSIENT, None, None, False, None)
                )
            d[STATE_KEY] = new_state(obj, self, None, PENDING)
            self.new[oid] = obj
            if mapper.all_relationships:
                cascade_related(self, obj)
            return
        if st.session is self:
            if st.status == DELETED:
                raise InvalidRequestError(f"{obj!r} was deleted in this transaction")
            return
        if st.session is not None and not st.session.closed:
            raise InvalidRequestError(
                f"{obj!r} belongs to another session; call other.expunge(obj) first"
            )
        journal_touch(self.levels[-1].journal, obj)
        if st.key is None or st.status == TRANSIENT:
            d[STATE_KEY] = new_state(obj, self, None, PENDING)
            self.new[id(obj)] = obj
            if mapper.all_relationships:
                cascade_related(self, obj)
            return
        existing = self.identity_map.get(st.key)
        if existing is not None and existing is not obj:
            raise InvalidRequestError(
                f"another object with the identity {st.key[1]!r} is already in this "
                f"session; use session.merge(obj) to copy its values onto that one"
            )
        st.session, st.status, st.to_delete, st.group = self, PERSISTENT, False, None
        self.identity_map[st.key] = obj
        if st.modified:
            self.dirty[id(obj)] = obj
        if mapper.all_relationships:
            cascade_related(self, obj)

    def delete(self, obj: Any) -> None:
        """Mark a persistent object for deletion at the next flush (a pending one is simply
        removed), with the ORM cascades of its relationships (children loaded first,
        through :meth:`run_implicit`). Raises InvalidRequestError for objects not in
        this session."""
        if self.closed:
            self.check_open()
        st: InstanceState | None = obj.__dict__.get(STATE_KEY)
        if st is None or st.session is not self:
            raise InvalidRequestError(f"{obj!r} is not in this session")
        self.commit_walk = True
        journal = self.levels[-1].journal
        entry = journal.get(id(obj))
        if entry is None or (entry.values is LAZY and entry.state is not st):
            if record_lazily(self, obj, st):
                st.original = {}  # nothing set yet: the entry is the object as it is
            else:
                journal_touch(journal, obj)
        if st.status == PENDING:
            self.new.pop(id(obj), None)
            st.session, st.status = None, TRANSIENT
            del obj.__dict__[STATE_KEY]
        elif st.status == PERSISTENT:
            if st.to_delete:
                return
            st.to_delete = True
            self.deleted[id(obj)] = obj
            mapper = type(obj).__mapper__
            if mapper.relationship_decls or mapper.all_relationships:
                from .cascade import cascade_delete

                cascade_delete(self, obj)

    def expunge(self, obj: Any) -> None:
        """Detach ``obj`` from this session without touching the database; a rollback
        later leaves it detached (restoring the values it had)."""
        st: InstanceState | None = obj.__dict__.get(STATE_KEY)
        if st is None or st.session is not self:
            raise InvalidRequestError(f"{obj!r} is not in this session")
        if st.original is not None:
            self.touch(obj)  # its lazy entry becomes a full one: it cannot follow it out
        oid = id(obj)
        self.new.pop(oid, None)
        self.dirty.pop(oid, None)
        self.deleted.pop(oid, None)
        if st.key is not None and self.identity_map.get(st.key) is obj:
            del self.identity_map[st.key]
        st.session = None
        st.group = None
        if st.status == PENDING:
            st.status = TRANSIENT
            del obj.__dict__[STATE_KEY]
        else:
            st.status = DETACHED
            st.to_delete = False

    def expunge_all(self) -> None:
        """Detach every object (the identity map is emptied)."""
        for obj in [*self.identity_map.values(), *self.new.values()]:
            self.expunge(obj)

    def contains(self, obj: object) -> bool:
        """Whether ``obj`` is pending or persistent in this session."""
        st = getattr(obj, "__dict__", {}).get(STATE_KEY)
        return st is not None and st.session is self and st.status in (PENDING, PERSISTENT)

    def expire(self, obj: Any, keys: Iterable[str] = ()) -> None:
        """Forget loaded values (all, or ``keys``: fields or relationships) and unflushed
        changes to them; the next read reloads them. Primary key fields are kept."""
        st: InstanceState | None = obj.__dict__.get(STATE_KEY)
        if st is None or st.session is not self:
            raise InvalidRequestError(f"{obj!r} is not in this session")
        self.touch(obj)
        _expire(obj, st, tuple(keys))
        if st.modified is None:
            self.dirty.pop(id(obj), None)

    def detach_all(self) -> None:
        """Detach every object of the identity map (closing the session)."""
        states = list(self.identity_map.data.values())
        if states:
            # (C-level loops: a session closing after a load of many rows detaches them
            # all, and a Python loop here cost as much as building one of the objects)
            drain(map(setattr, states, repeat("session"), repeat(None)))
            drain(map(setattr, states, repeat("status"), repeat(DETACHED)))
            drain(map(setattr, states, repeat("group"), repeat(None)))
        self.identity_map = IdentityMap()
        self.loaders = {}  # they are bound to the old map
        self.new.clear()
        self.dirty.clear()
        self.deleted.clear()

    def close(self) -> None:
        """End the session for good (the front ends' ``close``, after their rollback):
        every object detached, further use refused, and the link back to the front end
        dropped, so that the session and its state are freed as soon as the program lets
        go of them (they would otherwise form a cycle, left to the cyclic collector)."""
        self.detach_all()
        self.closed = True
        self.frontend = None

    # -- rollback ------------------------------------------------------------------------
    def restore(self, level: Level) -> None:
        """Put every object ``level`` touched back as it was when the level began, and
        expire those it loaded after writing (see docs/sessions.md, "What rollback does
        to your objects")."""
        for entry in reversed(list(level.journal.values())):
            if entry.values is LAZY:
                full = materialize(entry)
                if full is None:
                    continue  # its object is gone
                entry = full
            self._restore_one(entry)
        for st in level.loaded:
            obj = st()
            if obj is not None and st.session is self and st.status == PERSISTENT:
                _expire(obj, st, ())
                self.dirty.pop(id(obj), None)
        level.loaded.clear()

    def _restore_one(self, entry: Entry) -> None:
        obj = entry.obj
        d = obj.__dict__
        st: InstanceState | None = d.get(STATE_KEY) or entry.state
        values = entry.full_values()
        oid = id(obj)
        if st is not None and st.session is not self and entry.session is self:
            # expunged after the level touched it (or moved to another session): it
            # stays out of this one
            if st.session is None:
                _restore_detached(obj, st, entry, values)
            return
        self.new.pop(oid, None)
        self.dirty.pop(oid, None)
        self.deleted.pop(oid, None)
        if st is not None and st.key is not None and self.identity_map.get(st.key) is obj:
            del self.identity_map[st.key]
        d.clear()
        d.update(values)
        if entry.status == TRANSIENT or st is None:
            d.pop(STATE_KEY, None)  # the copy of __dict__ may hold one
            if st is not None:
                st.session = None
            return
        st.status, st.key, st.to_delete, st.session = (
            entry.status, entry.key, entry.to_delete, entry.session
        )  # fmt: skip
        st.modified = dict(entry.modified) if entry.modified else None
        d[STATE_KEY] = st
        if st.session is not self:
            return
        if st.status == PENDING:
            self.new[oid] = obj
        elif st.status == PERSISTENT:
            # Loaded relationships may no longer match the database: reload on access.
            for rel in type(obj).__mapper__.all_relationships:
                d.pop(rel.key, None)
            other = self.identity_map.get(st.key)
            if other is not None and other is not obj:
                self.expunge(other)  # one row, one object: the one the level knew wins
            self.identity_map[st.key] = obj
            if st.modified:
                self.dirty[oid] = obj
            if st.to_delete:
                self.deleted[oid] = obj
                self.commit_walk = True

    def reset_levels(self) -> None:
        """Forget the transaction's levels (after COMMIT or ROLLBACK)."""
        self.levels = [Level()]
        self.commit_walk = False
        self.begin_mode = None
        self.isolation_level = None
        self.tx_timeout = None

    # -- loading -------------------------------------------------------------------------
    def loader(self, compiled: Any, entities: tuple[Any, ...], mode: str) -> Any:
        """The row loader of ``compiled`` bound to this state (built once per session)."""
        factory = loader_for(compiled, entities, self.dialect, mode)
        load = self.loaders.get(factory)
        if load is None:
            if len(self.loaders) >= _MAX_LOADERS:
                self.loaders.clear()
            load = self.loaders[factory] = factory(self)
        return load

    def normalise_pk(self, mapper: Any, pk: Any) -> Any:
        """``pk`` (a value, tuple or mapping) validated as ``mapper``'s primary key: the
        identity's key part. Raises InvalidRequestError for a wrong shape."""
        keys = mapper.pk_keys
        if type(pk) in _PLAIN_KEYS and len(keys) == 1:  # the usual case: no ABC check
            return mapper.fields[keys[0]].validate(pk)
        if isinstance(pk, Mapping):
            missing = [k for k in keys if k not in pk]
            if missing:
                raise InvalidRequestError(f"{mapper.name}: primary key needs {', '.join(missing)}")
            vals = tuple(pk[k] for k in keys)
        elif isinstance(pk, tuple):
            vals = pk
        else:
            vals = (pk,)
        if len(vals) != len(keys):
            raise InvalidRequestError(
                f"{mapper.name} has a primary key of {len(keys)} column(s) ({', '.join(keys)}), "
                f"got {pk!r}"
            )
        vals = tuple(mapper.fields[k].validate(v) for k, v in zip(keys, vals))
        return vals[0] if len(vals) == 1 else vals

    def pending_with_key(self, ident: Any) -> Any:
        """The pending object that will take identity ``ident`` (an explicit primary key),
        or ``None``."""
        mapper = ident[0]
        for obj in self.new.values():
            if type(obj).__mapper__ is mapper and mapper.identity_key(obj) == ident:
                return obj
        return None

    def configure(self) -> None:
        """Resolve relationships declared since the last flush (forward references)."""
        configure_pending()


def _expire(obj: Any, st: InstanceState, keys: tuple[str, ...]) -> None:
    """Drop ``keys`` (default: every column but the primary key, and every relationship)
    from ``obj``'s ``__dict__`` with their unflushed changes."""
    mapper = type(obj).__mapper__
    d = obj.__dict__
    rel_keys = {r.key for r in mapper.all_relationships} | set(mapper.relationship_decls)
    for k in keys or (*mapper.column_keys, *rel_keys):
        if k in rel_keys:
            d.pop(k, None)  # a relationship: reloaded on next access
            continue
        if k not in mapper.fields:
            raise InvalidRequestError(f"{mapper.name} has no field {k!r}")
        if k not in mapper.pk_keys:
            d.pop(k, None)
            if st.modified:
                st.modified.pop(k, None)  # nothing left to write for it
    if not keys or (st.modified is not None and not st.modified):
        st.modified = None


def _restore_detached(obj: Any, st: InstanceState, entry: Entry, values: dict[str, Any]) -> None:
    """An expunged object touched by a rolled-back level: its values back, still out of
    any session (detached with its identity, or transient if it had none)."""
    d = obj.__dict__
    d.clear()
    d.update(values)
    if entry.status in (PERSISTENT, DELETED, DETACHED) and entry.key is not None:
        st.status, st.key, st.to_delete = DETACHED, entry.key, False
        st.modified = dict(entry.modified) if entry.modified else None
        d[STATE_KEY] = st
    else:
        d.pop(STATE_KEY, None)
        st.status = TRANSIENT


_unused: tuple[Callable[..., Any], ...] = ()
