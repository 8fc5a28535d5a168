"""The Session: identity map, change tracking, flush, transactions and savepoints.

A session owns at most one connection at a time, taken from its :class:`~ormolu.Database`
when the first statement runs and given back at ``commit``/``rollback``/``close``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress, repeat
from operator import attrgetter, itemgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from ..core.protocol import Execute, Op, run_sync
from ..exceptions import (
    ConnectionLost,
    InvalidRequestError,
    MultipleResultsFound,
    NoResultFound,
    ObjectDeletedError,
)
from ..orm.dependency import involves_relationships, relationship_flush_plan
from ..orm.fields import MISSING
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
    forget,
    journal_touch,
    load_missing_attribute,
    materialize,
    new_state,
    record_lazily,
    values_before_insert,
    without_gc,
)
from ..orm.sync import cascade_related
from ..orm.unitofwork import Step, bulk_insert_plan, drain, flush_plan, writer
from ..sql.compiler import compile_statement
from ..sql.elements import BindParam, ClauseElement, Expr, TextClause
from ..sql.selectable import CompoundSelect, Select
from ..sql.textparse import to_positional
from .errors import describe_flush_failure
from .transaction import Level, Snapshot

if TYPE_CHECKING:
    from ..engine import Database
    from ..orm.model import Model
    from ..orm.query import Query

M = TypeVar("M", bound="Model")
T = TypeVar("T")
E1 = TypeVar("E1")
E2 = TypeVar("E2")
E3 = TypeVar("E3")
E4 = TypeVar("E4")
E5 = TypeVar("E5")


class Result:
    """Rows of a raw statement: ``all()`` tuples, ``scalars()``, ``dicts()``, ``rowcount``."""

    def __init__(self, rows: list[tuple[Any, ...]], keys: list[str], rowcount: int) -> None:
        self.rows = rows
        self.keys = keys
        self.rowcount = rowcount

    def all(self) -> list[tuple[Any, ...]]:
        """Every row as a tuple."""
        return self.rows

    def scalars(self) -> list[Any]:
        """The first column of every row."""
        return [r[0] for r in self.rows]

    def scalar(self) -> Any:
        """The first column of the first row, or ``None`` without rows."""
        return self.rows[0][0] if self.rows else None

    def dicts(self) -> list[dict[str, Any]]:
        """Every row as a dict keyed by column name."""
        return [dict(zip(self.keys, r)) for r in self.rows]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


class Transaction:
    """A context manager for ``session.begin()`` / ``session.begin_nested()``: commits
    (or releases the savepoint) on normal exit, rolls back on an exception."""

    def __init__(self, session: Session, level: Level | None) -> None:
        self.session = session
        self.level = level  # None for the root transaction
        self.done = False

    def commit(self) -> None:
        """Commit the transaction / release the savepoint."""
        if self.done:
            raise InvalidRequestError("this transaction is already finished")
        self.done = True
        if self.level is None:
            self.session.commit()
        else:
            self.session._release_savepoint(self.level)

    def rollback(self) -> None:
        """Roll back the transaction / roll back to the savepoint."""
        if self.done:
            raise InvalidRequestError("this transaction is already finished")
        self.done = True
        if self.level is None:
            self.session.rollback()
        else:
            self.session._rollback_savepoint(self.level)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.done:
            return
        if et is None:
            self.commit()
        else:
            self.rollback()


class Session:
    """A unit of work against one :class:`~ormolu.Database`.

    Use it as a context manager: leaving the block commits, an exception rolls back, and
    the session is closed either way::

        with db.session() as s:
            s.add(Artist(name="Ormolu"))

    Parameters: ``autoflush`` (default ``True``) flushes pending changes before every
    query so queries see them; ``strict`` (default ``False``) forbids lazy loading of
    relationships: reading an unloaded one raises
    :class:`~ormolu.exceptions.LazyLoadError` (load them with ``selectinload`` /
    ``joinedload``).

    Objects loaded by one session are held weakly by its identity map: the same row is
    the same object for as long as user code keeps it; changed, new and deleted objects
    are held strongly until flushed.
    """

    def __init__(self, db: Database, *, autoflush: bool = True, strict: bool = False) -> None:
        self.db = db
        self.dialect = db.dialect
        self.autoflush = autoflush
        self.strict = strict
        # many-to-many changes since the last flush: (relationship, owner, item, +1/-1)
        self._links: list[tuple[Any, Any, Any, int]] = []
        # the ResultGroup new objects join while a query loads rows (batched lazy loads)
        self._load_group: Any = None
        self._identity_map = IdentityMap()
        self._loaders: dict[Any, Any] = {}  # loader factory -> its loader for this session
        self._new: dict[int, Any] = {}
        self._dirty: dict[int, Any] = {}
        self._deleted: dict[int, Any] = {}
        self._levels: list[Level] = [Level()]
        self._conn: Any = None
        self._in_db_tx = False
        self._begin_mode: str | None = None
        self._isolation_level: str | None = None
        self._flushing = False
        self._closed = False
        # whether commit must walk the journal: objects were deleted, or journaled lazily
        self._commit_walk = False
        self._savepoint_seq = 0

    # -- context manager ---------------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if et is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()

    # -- connection and transaction ------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise InvalidRequestError("this session is closed; open a new one with db.session()")

    def _connection(self, begin: bool = True) -> Any:
        self._check_open()
        if self._conn is None:
            self._conn = self.db._acquire(self)
        if begin and not self._in_db_tx:
            for sql in self.dialect.begin_statements(self._begin_mode, self._isolation_level):
                self._raw_execute(sql, ())
            self._in_db_tx = True
        return self._conn

    def _raw_execute(self, sql: str, params: Any, many: bool = False) -> Any:
        captures = self.db._captures
        if captures:
            for c in captures:
                c.append((sql, params))
        if many:
            return self._conn.executemany(sql, params)
        return self._conn.execute(sql, params)

    def run(self, operation: Op[T]) -> T:
        """Run ``operation`` (a generator of the operation protocol, see
        :mod:`ormolu.core.protocol`) inside this session's transaction and return its
        result: the low-level way to send statements one builds by hand, e.g. reflection
        queries. The statements are counted by :meth:`Database.capture` like any other.

        Example::

            def table_count() -> Op[int]:
                reply = yield Execute("SELECT count(*) FROM artist", want=ROWS)
                return int(reply.rows[0][0])

            n = s.run(table_count())
        """
        self._connection()
        self._levels[-1].has_writes = True  # it may write (see flush)
        conn = self._conn

        def step(st: Any) -> Any:
            if type(st) is Execute:
                for c in self.db._captures:
                    c.append((st.sql, st.params))
            return conn.run(st)

        return run_sync(step, operation)

    def execute_sql(self, sql: str, params: Sequence[Any] = (), many: bool = False) -> Any:
        """Execute SQL text in the dialect's paramstyle inside the session's transaction;
        return the driver cursor (low level; prefer :meth:`execute`)."""
        self._connection()
        self._levels[-1].has_writes = True  # it may write (see flush)
        return self._raw_execute(sql, params, many)

    def begin(self, mode: str | None = None, *, isolation_level: str | None = None) -> Transaction:
        """Begin the transaction now (instead of at the first statement).

        ``isolation_level``: ``"READ COMMITTED"``, ``"REPEATABLE READ"``,
        ``"SERIALIZABLE"``... as the backend supports (SQLite: only ``"SERIALIZABLE"``,
        which it always is). ``mode`` is SQLite's BEGIN variant: ``"DEFERRED"``,
        ``"IMMEDIATE"`` (take the write lock now, so the transaction cannot fail later with
        "database is locked") or ``"EXCLUSIVE"`` (https://sqlite.org/lang_transaction.html).
        Returns a context manager that commits on exit. Raises InvalidRequestError if a
        transaction is already in progress, ConfigurationError for an unknown mode/level.
        """
        self._check_open()
        if self._in_db_tx or len(self._levels) > 1:
            raise InvalidRequestError(
                "a transaction is already in progress; use begin_nested() for a savepoint"
            )
        self.dialect.begin_statements(mode, isolation_level)  # validate before connecting
        self._begin_mode = mode
        self._isolation_level = isolation_level
        try:
            self._connection()
        except BaseException:
            self._begin_mode = self._isolation_level = None
            raise
        return Transaction(self, None)

    def begin_nested(self) -> Transaction:
        """Start a SAVEPOINT; pending changes are flushed first.

        Returns a context manager: leaving it normally releases the savepoint, an
        exception rolls back to it (objects changed inside get back their values) and the
        exception propagates. Example::

            with s.begin_nested():
                s.add(Track(...))   # undone alone if this block raises
        """
        self.flush()
        self._materialize_lazy()
        self._connection()
        self._savepoint_seq += 1
        name = f"ormolu_sp_{self._savepoint_seq}"
        self._raw_execute("SAVEPOINT " + self.dialect.quote(name), ())
        level = Level(name)
        self._levels.append(level)
        return Transaction(self, level)

    def _release_savepoint(self, level: Level) -> None:
        if self._levels[-1] is not level:
            raise InvalidRequestError("savepoints must be released innermost first")
        self.flush()
        assert level.savepoint is not None
        self._raw_execute("RELEASE SAVEPOINT " + self.dialect.quote(level.savepoint), ())
        self._levels.pop()
        level.merge_into(self._levels[-1])

    def _rollback_savepoint(self, level: Level) -> None:
        if self._levels[-1] is not level:
            raise InvalidRequestError("savepoints must be rolled back innermost first")
        assert level.savepoint is not None
        q = self.dialect.quote(level.savepoint)
        self._raw_execute("ROLLBACK TO SAVEPOINT " + q, ())
        self._raw_execute("RELEASE SAVEPOINT " + q, ())
        self._levels.pop()
        self._restore(level)

    def commit(self) -> None:
        """Flush, then COMMIT. Objects keep their values (they match what was written);
        objects deleted in the transaction become detached. On a failed flush nothing is
        committed and the error propagates (call :meth:`rollback` or fix and retry)."""
        self._check_open()
        # One row to write and no transaction open yet: the statement commits by itself
        # (the connection is in autocommit mode), one round trip instead of three.
        autocommit = not self._in_db_tx and self._one_statement_flush()
        if not (autocommit and self._new and self._insert_one_autocommitted()):
            self.flush(_autocommit=autocommit)
        if self._in_db_tx:
            self._raw_execute("COMMIT", ())
            self._in_db_tx = False
        for level in self._levels if self._commit_walk else ():
            for rec in level.journal.values():
                if type(rec) is tuple:
                    st = rec[0].__dict__.get(STATE_KEY)
                else:  # a lazy entry: the state itself (see ormolu.orm.state)
                    st = rec
                    st.original = None
                if st is not None and st.status == DELETED:
                    st.status = DETACHED
                    st.session = None
        self._levels = [Level()]
        self._commit_walk = False
        self._begin_mode = None
        self._isolation_level = None
        self._release_connection()

    def rollback(self) -> None:
        """ROLLBACK, and put every object touched in the transaction back as it was
        before it (see :mod:`ormolu.session.transaction`)."""
        if self._closed:
            return
        try:
            if self._in_db_tx and self._conn is not None and not self._conn.is_broken():
                try:
                    self._raw_execute("ROLLBACK", ())
                except ConnectionLost:
                    pass  # the server already ended the transaction with the connection
        finally:
            self._in_db_tx = False
            self._links.clear()
            for level in reversed(self._levels):
                self._restore(level)
            self._levels = [Level()]
            self._commit_walk = False
            self._begin_mode = None
            self._isolation_level = None
            self._release_connection()

    def _release_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self.db._release(conn, self)

    def close(self) -> None:
        """Roll back anything uncommitted, give back the connection, and detach all objects.
        A closed session refuses further use."""
        if self._closed:
            return
        self.rollback()
        # The map's entries are the objects' states (see IdentityMap): detach them directly.
        for st in list(self._identity_map.data.values()):
            st.session = None
            st.status = DETACHED
        self._identity_map = IdentityMap()
        self._loaders = {}  # they are bound to the old map
        self._new.clear()
        self._dirty.clear()
        self._deleted.clear()
        self._closed = True

    # -- journal -------------------------------------------------------------------------
    def _touch(self, obj: Any) -> None:
        """Record ``obj`` in the current level's journal before changing it."""
        journal_touch(self._levels[-1].journal, obj, self)

    def _materialize_lazy(self) -> None:
        """Turn the root level's lazy journal entries into records (see
        ormolu.orm.state): before a savepoint or a bulk write, which they cannot follow."""
        journal = self._levels[0].journal
        for oid, rec in list(journal.items()):
            if type(rec) is not tuple:
                done = materialize(rec, self)
                if done is None:
                    del journal[oid]
                else:
                    journal[oid] = done

    def _restore(self, level: Level) -> None:
        for rec in reversed(list(level.journal.values())):
            if type(rec) is not tuple:  # a lazy entry (see ormolu.orm.state)
                rec = materialize(rec, self)
                if rec is None:
                    continue  # its object is gone
            self._restore_one(Snapshot.of(rec))

    def _restore_one(self, snap: Snapshot) -> None:
        obj = snap.obj
        d = obj.__dict__
        st: InstanceState | None = d.get(STATE_KEY) or snap.state
        oid = id(obj)
        self._new.pop(oid, None)
        self._dirty.pop(oid, None)
        self._deleted.pop(oid, None)
        if st is not None and st.key is not None and self._identity_map.get(st.key) is obj:
            del self._identity_map[st.key]
        d.clear()
        d.update(snap.values)
        if snap.status == TRANSIENT or st is None:
            d.pop(STATE_KEY, None)  # the snapshot's copy of __dict__ may hold one
            if st is not None:
                st.session = None
            return
        st.status, st.key, st.modified = snap.status, snap.key, snap.modified
        st.to_delete, st.session = snap.to_delete, snap.session
        d[STATE_KEY] = st
        if st.session is not self:
            return
        if st.status == PENDING:
            self._new[oid] = obj
        elif st.status == PERSISTENT:
            # Loaded relationships may no longer match the database: reload on access.
            for rel in type(obj).__mapper__.all_relationships:
                d.pop(rel.key, None)
            self._identity_map[st.key] = obj
            if st.modified:
                self._dirty[oid] = obj
            if st.to_delete:
                self._deleted[oid] = obj
                self._commit_walk = True

    def _record_change(self, obj: Any, state: InstanceState, key: str, old: Any) -> None:
        if state.session is not self:
            return
        journal_touch(self._levels[-1].journal, obj, self)
        if state.status == PERSISTENT:
            m = state.modified
            if m is None:
                state.modified = {key: old}
                self._dirty[id(obj)] = obj
            elif key not in m:
                m[key] = old

    # -- object lifecycle ----------------------------------------------------------------
    def add(self, obj: Model) -> None:
        """Add a new object (pending until flushed) or re-attach a detached one.

        Raises InvalidRequestError when the object belongs to another open session or its
        identity is already taken by another object in this one; TypeError for non-models.
        """
        if self._closed:
            self._check_open()
        mapper = getattr(type(obj), "__mapper__", None)
        if mapper is None:
            raise TypeError(f"session.add() takes a model instance, got {obj!r}")
        d = obj.__dict__
        st: InstanceState | None = d.get(STATE_KEY)
        if st is None:
            # A new object, the usual case: record(obj) and new_state() inlined.
            oid = id(obj)
            journal = self._levels[-1].journal
            if oid in journal:
                journal_touch(journal, obj, self)  # (a stale lazy entry under the same id)
            else:
                journal[oid] = (obj, d.copy(), None, TRANSIENT, None, None, False, None)
            st = InstanceState(obj, forget)
            st.session = self
            st.key = None
            st.status = PENDING
            st.modified = None
            st.to_delete = False
            st.group = None
            st.original = None
            d[STATE_KEY] = st
            self._new[oid] = obj
            if mapper.all_relationships:
                cascade_related(self, obj)
            return
        if st.session is self:
            if st.status == DELETED:
                raise InvalidRequestError(f"{obj!r} was deleted in this transaction")
            return
        if st.session is not None and not st.session._closed:
            raise InvalidRequestError(
                f"{obj!r} belongs to another session; call other.expunge(obj) first"
            )
        journal_touch(self._levels[-1].journal, obj, self)
        if st.key is None or st.status == TRANSIENT:
            d[STATE_KEY] = new_state(obj, self, None, PENDING)
            self._new[id(obj)] = obj
            if mapper.all_relationships:
                cascade_related(self, obj)
            return
        existing = self._identity_map.get(st.key)
        if existing is not None and existing is not obj:
            raise InvalidRequestError(
                f"another object with the identity {st.key[1]!r} is already in this session"
            )
        st.session, st.status, st.to_delete = self, PERSISTENT, False
        self._identity_map[st.key] = obj
        if st.modified:
            self._dirty[id(obj)] = obj
        if mapper.all_relationships:
            cascade_related(self, obj)

    def add_all(self, objs: Iterable[Model]) -> None:
        """:meth:`add` each object."""
        for o in objs:
            self.add(o)

    def delete(self, obj: Model) -> None:
        """Mark a persistent object for deletion at the next flush (a pending one is simply
        removed). Raises InvalidRequestError for objects not in this session."""
        if self._closed:
            self._check_open()
        st: InstanceState | None = obj.__dict__.get(STATE_KEY)
        if st is None or st.session is not self:
            raise InvalidRequestError(f"{obj!r} is not in this session")
        self._commit_walk = True
        journal = self._levels[-1].journal
        rec = journal.get(id(obj))
        # none yet: a lazy entry if it qualifies (see ormolu.orm.state), else a record
        if type(rec) is not tuple and rec is not st and not record_lazily(journal, obj, st, self):
            journal_touch(journal, obj, self)
        if st.status == PENDING:
            self._new.pop(id(obj), None)
            st.session, st.status = None, TRANSIENT
            del obj.__dict__[STATE_KEY]
        elif st.status == PERSISTENT:
            if st.to_delete:
                return
            st.to_delete = True
            self._deleted[id(obj)] = obj
            mapper = type(obj).__mapper__
            if mapper.relationship_decls or mapper.all_relationships:
                cascade_delete(self, obj)

    def _record_link(self, rel: Any, owner: Any, item: Any, sign: int) -> None:
        """Record a many-to-many change for the next flush."""
        self._touch(owner)
        self._links.append((rel, owner, item, sign))

    def _run_load_plan(self, plan: Any, options: tuple[Any, ...] = ()) -> list[Any]:
        """Drive a relationship loading plan (see :mod:`ormolu.orm.strategies`): run each
        SELECT it yields (with loader ``options``) and send back the loaded rows; return
        what the plan returns."""
        from ..orm.query import Query

        result: Any = None
        while True:
            try:
                stmt = plan.send(result)
            except StopIteration as stop:
                return stop.value or []
            result = Query(self, stmt, "objects", options).all()

    def _load_relationship(self, rel: Any, objs: list[Any], nodes: Any = None) -> None:
        """Select-in load ``rel`` for ``objs`` and the ``nodes`` (LoadPlan nodes) below it:
        as options of the select-in queries (so a joined node joins into them), or — for
        a many-to-many, whose queries also select association keys — afterwards, once for
        all the related objects."""
        from ..orm.relationships import MANY_TO_MANY
        from ..orm.strategies import build_plan, selectin_plan

        options = tuple(nodes.values()) if nodes else ()
        plan = selectin_plan(rel, objs, self.dialect.max_bind_parameters)
        if rel.direction != MANY_TO_MANY:
            self._run_load_plan(plan, options)
            return
        loaded = self._run_load_plan(plan)
        target = rel.target
        if loaded and (options or target.eager_relationships):
            load_plan = build_plan(target, options)
            if load_plan.nodes:
                from ..orm.query import Query

                unique = list({id(o): o for o in loaded}.values())
                Query(self, Select((target.cls,)))._load_nodes(unique, load_plan.nodes)

    def expunge(self, obj: Model) -> None:
        """Detach ``obj`` from this session without touching the database."""
        st: InstanceState | None = obj.__dict__.get(STATE_KEY)
        if st is None or st.session is not self:
            raise InvalidRequestError(f"{obj!r} is not in this session")
        oid = id(obj)
        self._new.pop(oid, None)
        self._dirty.pop(oid, None)
        self._deleted.pop(oid, None)
        if st.key is not None and self._identity_map.get(st.key) is obj:
            del self._identity_map[st.key]
        st.session = None
        if st.status == PENDING:
            st.status = TRANSIENT
            del obj.__dict__[STATE_KEY]
        else:
            st.status = DETACHED

    def expunge_all(self) -> None:
        """Detach every object (the identity map is emptied)."""
        for obj in [*self._identity_map.values(), *self._new.values()]:
            self.expunge(obj)

    def __contains__(self, obj: object) -> bool:
        st = getattr(obj, "__dict__", {}).get(STATE_KEY)
        return st is not None and st.session is self and st.status in (PENDING, PERSISTENT)

    @property
    def new(self) -> list[Any]:
        """Pending objects."""
        return list(self._new.values())

    @property
    def dirty(self) -> list[Any]:
        """Persistent objects with unflushed changes."""
        return [o for o in self._dirty.values() if o.__dict__[STATE_KEY].modified]

    @property
    def deleted(self) -> list[Any]:
        """Objects marked for deletion."""
        return list(self._deleted.values())

    def insert_many(self, model: type[M], rows: Iterable[Mapping[str, Any] | M]) -> int:
        """Insert many rows at once, bypassing the unit of work; return the number inserted.

        ``rows`` are mappings of field values (validated and defaulted like the
        constructor, so a bad value raises ValidationError before any SQL) or new
        ``model`` instances, which become persistent in this session with their generated
        primary keys. Rows go in multi-row ``INSERT ... VALUES`` statements of up to 512
        rows within the dialect's bound-parameter limit (with ``RETURNING`` where keys are
        fetched). Pending changes are flushed first.
        Raises InvalidRequestError for instances that already belong to a session.
        """
        self._check_open()
        mapper = model.__mapper__
        dicts: list[dict[str, Any]] = []
        objs: list[Any] = []
        validated = mapper.row_values  # validated_values(row), generated for the model
        for row in rows:
            if type(row) is dict or isinstance(row, Mapping):  # (the ABC check costs more)
                dicts.append(validated(row))
                continue
            if type(row) is not model:
                raise TypeError(f"insert_many({model.__name__}): got {row!r}")
            if row.__dict__.get(STATE_KEY) is not None:
                raise InvalidRequestError(f"{row!r} already belongs to a session")
            objs.append(row)
        if not dicts and not objs:
            return 0
        self._autoflush()
        conn = self._connection()
        max_params = min(
            self.dialect.max_bind_parameters, getattr(conn, "max_variables", None) or 1 << 30
        )
        all_rows = [o.__dict__ for o in objs] + dicts
        auto = mapper.auto_key
        if auto is None:
            explicit = False
        else:  # does any row bring its own key? (a comprehension and a C count: no call per row)
            keys = [d.get(auto) for d in all_rows]
            explicit = keys.count(None) != len(keys)

        def run() -> None:
            self._run_plan(bulk_insert_plan(self.dialect, mapper, all_rows, bool(objs), max_params))
            if explicit:
                self._reset_identity([mapper])

        self._write_atomically(run, objs)
        for o in objs:
            key = mapper.identity_key(o)
            o.__dict__[STATE_KEY] = new_state(o, self, key, PERSISTENT)
            self._identity_map[key] = o
        return len(all_rows)

    def upsert(
        self,
        model: type[M],
        rows: Iterable[Mapping[str, Any] | M],
        *,
        conflict: Sequence[str] | None = None,
        update: Sequence[str] | None = None,
        do_nothing: bool = False,
    ) -> list[M]:
        """Insert rows, updating the existing row instead when one conflicts.

        ``conflict``: the fields of the primary key or unique constraint that define a
        conflict (default: the primary key; MySQL/MariaDB react to any unique key).
        ``update``: the fields overwritten from the new row (default: every given field
        outside ``conflict``); ``do_nothing=True`` keeps existing rows unchanged.
        Rows are validated like constructor arguments before any SQL is sent.

        Returns the resulting objects (inserted or updated; with ``do_nothing`` only the
        inserted ones on PostgreSQL/SQLite), merged into the identity map — where the
        backend has RETURNING (PostgreSQL, SQLite 3.35+, MariaDB 10.5+); elsewhere ``[]``.
        SQL: ``INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING`` (PostgreSQL, SQLite) or
        ``INSERT ... ON DUPLICATE KEY UPDATE`` (MySQL/MariaDB).

        Raises ValidationError for bad values, InvalidRequestError for unknown fields.
        """
        self._check_open()
        mapper = model.__mapper__
        dicts = [
            mapper.validated_values(
                r
                if isinstance(r, Mapping)
                else {k: v for k, v in r.__dict__.items() if k in mapper.fields}
            )
            for r in rows
        ]
        if not dicts:
            return []
        conflict_keys = tuple(conflict or mapper.pk_keys)
        for k in (*conflict_keys, *(update or ())):
            if k not in mapper.fields:
                raise InvalidRequestError(f"{mapper.name} has no field {k!r}")
        self._autoflush()
        conn = self._connection()
        from ..orm.unitofwork import upsert_plan

        returned = upsert_plan(
            self.dialect,
            mapper,
            dicts,
            conflict_keys,
            None if update is None else tuple(update),
            do_nothing,
            min(self.dialect.max_bind_parameters, getattr(conn, "max_variables", None) or 1 << 30),
        )
        rows_back: list[Any] = []

        def run() -> None:
            result: Any = None
            while True:
                try:
                    step = returned.send(result)
                except StopIteration:
                    break
                cur = self._raw_execute(step.sql, step.params, step.many)
                result = cur.fetchall() if step.fetch == "rows" else None
                if result:
                    rows_back.extend(result)
            auto = mapper.auto_key
            if auto is not None and any(d.get(auto) is not None for d in dicts):
                self._reset_identity([mapper])  # explicit keys: move the generator past them

        self._write_atomically(run, [])
        from ..orm.loading import build_loader_factory

        load = build_loader_factory((mapper.entity,), self.dialect, "objects")(self)
        out = []
        for row in rows_back:
            obj = load(row)
            existing_values = obj.__dict__
            st = existing_values[STATE_KEY]
            if not st.modified:  # the row changed in the database: refresh the object
                self._touch(obj)
                for k, v, col in zip(mapper.column_keys, row, mapper.columns):
                    proc = self.dialect.result_processor(col.type)
                    existing_values[k] = v if proc is None else proc(v)
            out.append(obj)
        return out

    def _write_atomically(self, run: Any, touched: Sequence[Any]) -> None:
        """Call ``run()`` (which sends statements) so that all of it or nothing is written.

        Inside a savepoint when the transaction already holds writes; otherwise a failure
        rolls the (read-only) transaction back. ``touched`` objects get back their values
        if it fails.
        """
        self._materialize_lazy()
        prior_writes = any(lv.has_writes for lv in self._levels) or len(self._levels) > 1
        savepoint = None
        if prior_writes:
            self._savepoint_seq += 1
            savepoint = self.dialect.quote(f"ormolu_write_{self._savepoint_seq}")
            self._raw_execute("SAVEPOINT " + savepoint, ())
        root = self._levels[-1]
        level = Level()
        for o in touched:
            level.touch(o)
        self._levels.append(level)
        try:
            run()
        except BaseException:
            self._levels.pop()
            try:
                if savepoint is not None:
                    self._raw_execute("ROLLBACK TO SAVEPOINT " + savepoint, ())
                    self._raw_execute("RELEASE SAVEPOINT " + savepoint, ())
                elif self._in_db_tx:
                    self._raw_execute("ROLLBACK", ())
                    self._in_db_tx = False
            finally:
                self._restore(level)
            raise
        self._levels.pop()
        if savepoint is not None:
            self._raw_execute("RELEASE SAVEPOINT " + savepoint, ())
        level.has_writes = True
        level.merge_into(root)

    # -- flush ---------------------------------------------------------------------------
    def _one_statement_flush(self) -> bool:
        """Whether the pending changes are one row's INSERT, UPDATE or DELETE alone (no
        relationship, cascade, association row, identity reset or savepoint around it)."""
        if self._links or len(self._levels) > 1:
            return False
        if len(self._new) + len(self._dirty) + len(self._deleted) != 1:
            return False
        obj = next(iter((self._new or self._dirty or self._deleted).values()))
        mapper = type(obj).__mapper__
        if mapper.relationship_decls or mapper.all_relationships or mapper.secondary_refs:
            return False
        auto = mapper.auto_key
        return not (self._new and auto is not None and obj.__dict__.get(auto) is not None)

    def _insert_one_autocommitted(self) -> bool:
        """Commit's shortcut for one new object alone (see _one_statement_flush) whose
        only database-generated value is its key: one INSERT in autocommit mode, without
        the flush's undo records and plan, which a lone statement that either commits or
        changes nothing does not need. Returns False (nothing done) for other shapes."""
        obj = next(iter(self._new.values()))
        mapper = type(obj).__mapper__
        auto = mapper.auto_key
        w = writer(self.dialect, mapper)
        d = obj.__dict__
        keys = w.present_keys(d)
        missing, procs = w.missing(keys)
        if auto is None or missing != (auto,) or procs[0] is not None:
            return False
        dialect = self.dialect
        by_lastrowid = dialect.lastrowid_is_key
        if not by_lastrowid and not dialect.supports_returning:
            return False
        sql = w.insert_sql(keys) if by_lastrowid else w.insert_sql(keys, 1, missing)
        params = w.params(d, keys)
        self._connection(begin=False)
        try:
            cur = self._raw_execute(sql, params)
            pk = cur.lastrowid if by_lastrowid else cur.fetchall()[0][0]
        except BaseException as error:
            describe_flush_failure(error, dialect, ([obj], [], []))
            raise  # nothing was written, and the object is as it was: still pending
        d[auto] = pk
        st = d[STATE_KEY]
        st.status = PERSISTENT
        st.key = (mapper, pk)
        st.modified = None
        self._new.clear()
        self._identity_map.data[st.key] = st
        return True

    def flush(self, _autocommit: bool = False) -> None:
        """Write pending changes (INSERT, UPDATE, DELETE in dependency order).

        On failure the database is rolled back to before the flush, every object is put
        back as it was before the flush (so it can be fixed and flushed again), and the
        typed error (e.g. UniqueViolation) propagates.
        """
        self._check_open()
        if self._flushing or not (self._new or self._dirty or self._deleted or self._links):
            return
        # A flush allocates a few objects per row written and frees none until it ends:
        # the cyclic garbage collector is paused meanwhile (see without_gc). It runs no
        # user code.
        without_gc(self._flush, _autocommit)

    def _flush(self, _autocommit: bool) -> None:
        configure_pending()
        new = list(self._new.values())
        changes = self._dirty.values()  # those with modified values (compress: in C)
        dirty = list(compress(changes, map(_modified_of, map(_state_of, map(_dict_of, changes)))))
        deleted = list(self._deleted.values())
        links = list(self._links)
        if not (new or dirty or deleted or links):
            self._dirty.clear()
            return
        root = self._levels[-1]
        # (levels above the root are savepoints, which count as prior writes)
        prior_writes = len(self._levels) > 1 or root.has_writes
        n = len(new) + len(dirty) + len(deleted) + len(links)
        conn_was_in_tx = self._in_db_tx
        conn = self._connection(begin=not _autocommit)
        max_params = min(
            self.dialect.max_bind_parameters, getattr(conn, "max_variables", None) or 1 << 30
        )
        savepoint = None
        wants_savepoint = prior_writes and (n > 1 or self.dialect_aborts_on_error)

        def open_savepoint() -> None:
            # Only once a statement is due: a flush whose changes all turn out to be
            # no-ops (a value set back to what it was) sends nothing at all.
            nonlocal savepoint
            if wants_savepoint:
                self._savepoint_seq += 1
                savepoint = self.dialect.quote(f"ormolu_flush_{self._savepoint_seq}")
                self._raw_execute("SAVEPOINT " + savepoint, ())

        level = Level()
        self._levels.append(level)
        self._flushing = True
        # The plan calls touch(obj) before changing an object: keep a cheap record of it
        # (a tuple, not a Snapshot), turned into a snapshot only where one is needed: to
        # undo a failed flush, or for the enclosing level when it has none of the object.
        undo: dict[int, tuple[Any, ...]] = {}

        def touch(obj: Any, generated: tuple[str, ...] | None = None) -> None:
            if id(obj) not in undo:
                # The record Snapshot.of() reads. A flush runs no user code, so the dict of
                # modified values it sees is not changed in place and needs no copy; and
                # it writes into __dict__ only for new objects, so only theirs is copied
                # (fewer allocations, fewer garbage-collector passes) — unless the plan
                # says it fills in only the ``generated`` fields, which are then recorded
                # instead (see values_before_insert).
                d = obj.__dict__
                st = d[STATE_KEY]
                if st.status != PENDING:
                    values: Any = None
                elif generated is None:
                    values = d.copy()
                else:
                    values = generated
                undo[id(obj)] = (
                    obj, values, st, st.status, st.key, st.modified, st.to_delete, st.session,
                )  # fmt: skip

        # Batches recorded per statement (see flush_plan's touch_inserted and
        # touch_persistent), in order: new objects about to be inserted (pending, no key,
        # no change, no delete recorded) and persistent ones about to be updated or
        # deleted (with the modified values and delete mark they had). Their undo records
        # follow from that, so they are made only if needed: for a failed flush, or for
        # objects the transaction had not journaled.
        batches: list[tuple[list[Any], Any, Any, bool]] = []

        def touch_inserted(objs: list[Any], generated: tuple[str, ...]) -> None:
            batches.append((objs, None, generated, False))

        def touch_persistent(
            objs: list[Any], states: list[Any], modified: list[Any], to_delete: bool
        ) -> None:
            batches.append((objs, states, modified, to_delete))

        def batch_records(only: set[int] | None = None) -> None:
            for objs, states, extra, to_delete in batches:
                if states is None:
                    for o in objs:
                        if id(o) not in undo and (only is None or id(o) in only):
                            st = o.__dict__[STATE_KEY]
                            undo[id(o)] = (o, extra, st, PENDING, None, None, False, self)
                    continue
                for o, st, m in zip(objs, states, extra):
                    if id(o) not in undo and (only is None or id(o) in only):
                        undo[id(o)] = (o, None, st, PERSISTENT, st.key, m, to_delete, self)

        explicit_keys = _explicit_keys(new)
        try:
            if links or involves_relationships(new, dirty, deleted):
                plan = relationship_flush_plan(
                    self.dialect, new, dirty, deleted, touch, max_params,
                    _mapper_order(new, dirty, deleted), links,
                )  # fmt: skip
            else:
                plan = flush_plan(
                    self.dialect, new, dirty, deleted, touch, max_params, touch_inserted,
                    touch_persistent,
                )  # fmt: skip
            sent = self._run_plan(plan, open_savepoint)
            if explicit_keys:
                self._reset_identity(explicit_keys)
        except BaseException as error:
            describe_flush_failure(error, self.dialect, (new, dirty, deleted))
            self._flushing = False
            self._levels.pop()
            try:
                if savepoint is not None:
                    self._raw_execute("ROLLBACK TO SAVEPOINT " + savepoint, ())
                    self._raw_execute("RELEASE SAVEPOINT " + savepoint, ())
                elif not prior_writes and self._in_db_tx:
                    self._raw_execute("ROLLBACK", ())
                    self._in_db_tx = False
            finally:
                batch_records()
                for oid, rec in undo.items():
                    level.journal.setdefault(oid, rec)  # restored right away: values hold
                self._restore(level)
                # Restoring re-adds pending objects last-first: keep the order of adding.
                pending = dict(self._new)
                self._new = {id(o): pending.pop(id(o)) for o in new if id(o) in pending}
                self._new.update(pending)
            raise
        self._flushing = False
        self._levels.pop()
        del self._links[: len(links)]
        if savepoint is not None:
            self._raw_execute("RELEASE SAVEPOINT " + savepoint, ())
        level.has_writes = sent > 0
        known = root.journal
        if batches:
            # (set operations, which loop in C; set.difference looks the set's items up
            # in a dict, where difference_update would walk the whole dict)
            ids: set[int] = set()
            for objs, _, _, _ in batches:
                ids.update(map(id, objs))
            ids = ids.difference(known)
            if ids and level.journal:
                ids = ids.difference(level.journal)
            if ids:
                batch_records(ids)
        # objects the transaction had not journaled yet (set operations, in C)
        unknown = undo.keys() - known.keys() - level.journal.keys() if undo else ()
        for oid in [oid for oid in undo if oid in unknown] if unknown else ():
            done = undo[oid]
            if done[1] is None:  # values unchanged by the flush: copy them now
                done = (done[0], done[0].__dict__.copy(), *done[2:])
            elif type(done[1]) is tuple:  # only the generated fields were filled in
                done = (done[0], values_before_insert(done[0], done[1]), *done[2:])
            level.journal[oid] = done
        level.merge_into(root)
        # The identity map's entries are the objects' states (see IdentityMap): work on
        # them directly, this runs for every object flushed.
        entries = self._identity_map.data
        pending = self._new
        if len(pending) == len(new):  # every pending object was flushed (the usual case)
            pending.clear()
        else:
            for obj in new:
                pending.pop(id(obj), None)
        # (map, attrgetter and itemgetter loop in C: this runs for every object inserted)
        states = list(map(_state_of, map(_dict_of, new)))
        if set(map(_status_of, states)) <= {PERSISTENT}:
            entries.update(zip(map(_key_of, states), states))
        else:
            entries.update([(st.key, st) for st in states if st.status == PERSISTENT])
        changed = self._dirty
        drain(map(changed.pop, map(id, dirty), repeat(None)))
        # A changed primary key moves the object to its new identity. Such an object has
        # its own undo record (batches are recorded only where no key changes).
        for oid in undo.keys() & set(map(id, dirty)) if dirty and undo else ():
            before = undo[oid]
            st = before[2]
            if before[4] != st.key and st.status == PERSISTENT:
                old_key = before[4]
                if old_key is not None and entries.get(old_key) is st:
                    del entries[old_key]
                entries[st.key] = st
        to_delete = self._deleted
        drain(map(to_delete.pop, map(id, deleted), repeat(None)))
        for obj in deleted:
            st = obj.__dict__[STATE_KEY]
            key = st.key
            if key is not None and entries.get(key) is st:
                del entries[key]
        _ = conn_was_in_tx

    def _reset_identity(self, mappers: Iterable[Any]) -> None:
        for mapper in mappers:
            col = mapper.fields[mapper.auto_key].column
            stmt = self.dialect.reset_identity_sql(mapper.table.name, col.name)
            if stmt is not None:
                self._raw_execute(stmt[0], stmt[1])

    @property
    def dialect_aborts_on_error(self) -> bool:
        """Whether a failed statement aborts the whole transaction on this backend."""
        return bool(getattr(self.dialect, "failed_statement_aborts_transaction", False))

    def _run_plan(self, plan: Any, before_first: Any = None) -> int:
        """Drive ``plan``; call ``before_first()`` before its first statement; return the
        number of statements sent."""
        result: Any = None
        sent = 0
        while True:
            try:
                step: Step = plan.send(result)
            except StopIteration:
                return sent
            if sent == 0 and before_first is not None:
                before_first()
            sent += 1
            cur = self._raw_execute(step.sql, step.params, step.many)
            if step.fetch == "rows":
                result = cur.fetchall()
            elif step.fetch == "lastrowid":
                result = cur.lastrowid
            elif step.fetch == "rowcount":
                result = cur.rowcount
            else:
                result = None

    # -- reading -------------------------------------------------------------------------
    @overload
    def query(self, e1: type[E1] | Expr[E1], /) -> Query[E1]: ...
    @overload
    def query(
        self, e1: type[E1] | Expr[E1], e2: type[E2] | Expr[E2], /
    ) -> Query[tuple[E1, E2]]: ...
    @overload
    def query(
        self, e1: type[E1] | Expr[E1], e2: type[E2] | Expr[E2], e3: type[E3] | Expr[E3], /
    ) -> Query[tuple[E1, E2, E3]]: ...
    @overload
    def query(
        self,
        e1: type[E1] | Expr[E1],
        e2: type[E2] | Expr[E2],
        e3: type[E3] | Expr[E3],
        e4: type[E4] | Expr[E4],
        /,
    ) -> Query[tuple[E1, E2, E3, E4]]: ...
    @overload
    def query(
        self,
        e1: type[E1] | Expr[E1],
        e2: type[E2] | Expr[E2],
        e3: type[E3] | Expr[E3],
        e4: type[E4] | Expr[E4],
        e5: type[E5] | Expr[E5],
        /,
    ) -> Query[tuple[E1, E2, E3, E4, E5]]: ...
    @overload
    def query(self, *entities: Any) -> Query[tuple[Any, ...]]: ...
    def query(self, *entities: Any) -> Query[Any]:
        """A query for models, columns or expressions.

        One entity yields that entity per row (``query(Track)`` → ``Track``,
        ``query(Track.name)`` → ``str``); several yield tuples
        (``query(Track.name, Track.milliseconds)`` → ``tuple[str, int]``).
        """
        from ..orm.query import Query

        return Query(self, Select(entities))

    def get(self, model: type[M], pk: Any) -> M | None:
        """The object with primary key ``pk`` (a tuple or dict for composite keys), from
        the identity map when present, else by one SELECT; ``None`` if there is no row."""
        self._check_open()
        mapper = model.__mapper__
        ident = (mapper, self._normalise_pk(mapper, pk))
        obj = self._identity_map.get(ident)
        if obj is not None:
            st = obj.__dict__[STATE_KEY]
            if st.to_delete:
                return None
            missing = next((k for k in mapper.column_keys if k not in obj.__dict__), None)
            if missing is not None:  # expired (e.g. by a bulk delete): is the row still there?
                try:
                    load_missing_attribute(obj, missing)
                except ObjectDeletedError:
                    return None
            return cast(M, obj)
        self._autoflush()
        key = ident[1] if isinstance(ident[1], tuple) else (ident[1],)
        # The SELECT by primary key is compiled once per model: building and keying the
        # statement tree each time would cost more than running it.
        cache = self.dialect.compile_cache
        compiled = cache.data.get(("orm_get", mapper))
        if compiled is None:
            cols = [mapper.fields[k].column.ref for k in mapper.pk_keys]
            stmt: Select[Any] = Select((model,)).where(*[c == v for c, v in zip(cols, key)])
            compiled, _ = compile_statement(self.dialect, stmt)
            cache.put(("orm_get", mapper), compiled)
        # The statement's parameters are the key values in WHERE order.
        params = [
            key[i] if proc is None else proc(key[i])
            for i, proc in zip(compiled.bind_order, compiled.bind_procs)
        ]
        rows = self._execute_compiled(compiled, params).fetchmany(2)
        if not rows:
            return None
        if len(rows) > 1:
            raise MultipleResultsFound(f"expected at most one row, got several: {compiled.sql}")
        return cast(M, self._loader(compiled, (mapper.entity,), "objects")(rows[0]))

    def _loader(self, compiled: Any, entities: tuple[Any, ...], mode: str) -> Any:
        """The row loader of ``compiled`` bound to this session (built once per session)."""
        factory = loader_for(compiled, entities, self.dialect, mode)
        load = self._loaders.get(factory)
        if load is None:
            if len(self._loaders) >= 500:  # a long session of many statement shapes
                self._loaders.clear()
            load = self._loaders[factory] = factory(self)
        return load

    def get_one(self, model: type[M], pk: Any) -> M:
        """Like :meth:`get` but raises NoResultFound when there is no such row."""
        obj = self.get(model, pk)
        if obj is None:
            raise NoResultFound(f"no {model.__name__} with primary key {pk!r}")
        return obj

    def _normalise_pk(self, mapper: Any, pk: Any) -> Any:
        keys = mapper.pk_keys
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

    def refresh(self, obj: Model) -> None:
        """Reload every column of ``obj`` from the database, discarding unflushed changes;
        loaded relationships are forgotten and reload on next access. Raises
        ObjectDeletedError when its row no longer exists."""
        st: InstanceState | None = obj.__dict__.get(STATE_KEY)
        if st is None or st.session is not self or st.status != PERSISTENT:
            raise InvalidRequestError(f"{obj!r} is not persistent in this session")
        mapper = type(obj).__mapper__
        key = st.key[1] if isinstance(st.key[1], tuple) else (st.key[1],)
        stmt: Select[Any] = Select((type(obj),)).where(
            *[mapper.fields[k].column.ref == v for k, v in zip(mapper.pk_keys, key)]
        )
        compiled, params = compile_statement(self.dialect, stmt)
        row = self._execute_compiled(compiled, params).fetchone()
        if row is None:
            raise ObjectDeletedError(
                f"{mapper.name} with primary key {st.key[1]!r} no longer exists"
            )
        self._touch(obj)
        d = obj.__dict__
        for k, v, col in zip(mapper.column_keys, row, mapper.columns):
            proc = self.dialect.result_processor(col.type)
            d[k] = v if proc is None else proc(v)
        for rel in mapper.all_relationships:  # related objects reload on next access
            d.pop(rel.key, None)
        st.modified = None
        self._dirty.pop(id(obj), None)

    def expire(self, obj: Model, *keys: str) -> None:
        """Forget loaded values (all, or ``keys``: fields or relationships) and unflushed
        changes to them; the next read reloads them."""
        st: InstanceState | None = obj.__dict__.get(STATE_KEY)
        if st is None or st.session is not self:
            raise InvalidRequestError(f"{obj!r} is not in this session")
        self._touch(obj)
        mapper = type(obj).__mapper__
        for k in keys or (*mapper.column_keys, *(r.key for r in mapper.all_relationships)):
            if k in mapper.relationship_decls or any(r.key == k for r in mapper.all_relationships):
                obj.__dict__.pop(k, None)  # a relationship: reloaded on next access
                continue
            if k not in mapper.fields:
                raise InvalidRequestError(f"{mapper.name} has no field {k!r}")
            if k not in mapper.pk_keys:
                obj.__dict__.pop(k, None)
                if st.modified:
                    st.modified.pop(k, None)  # nothing left to write for it
        if st.modified is not None and not st.modified:
            st.modified = None

    def _execute_compiled(self, compiled: Any, params: Sequence[Any]) -> Any:
        self._connection()
        return self._raw_execute(compiled.sql, params)

    def _stream(self, compiled: Any, params: Sequence[Any], size: int) -> Any:
        self._connection()
        for c in self.db._captures:
            c.append((compiled.sql, params))
        return self._conn.stream(compiled.sql, params, size)

    def _autoflush(self) -> None:
        if self.autoflush and not self._flushing and (self._new or self._dirty or self._deleted):
            self.flush()

    # -- statements ----------------------------------------------------------------------
    def execute(
        self, statement: str | ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Result:
        """Execute raw SQL (with ``:name`` placeholders bound from ``params``) or a
        statement built with :func:`~ormolu.select`/:func:`~ormolu.text`; return a
        :class:`Result`. Values are always bound as parameters, never formatted in.

        Example: ``s.execute("SELECT Name FROM Artist WHERE ArtistId = :id", {"id": 1})``.
        """
        self._check_open()
        self._autoflush()
        if not isinstance(statement, Select | CompoundSelect):
            # It may write: a later failed flush must not roll back the whole transaction.
            self._levels[-1].has_writes = True
        if isinstance(statement, str):
            if self.dialect.paramstyle == "format":
                # A literal '%' (LIKE 'a%', '100%') must not be read as a placeholder.
                statement = statement.replace("%", "%%")
            sql, names = to_positional(statement, self.dialect.placeholder)
            params = params or {}
            missing = [n for n in names if n not in params]
            if missing:
                raise InvalidRequestError(f"no value given for parameter(s) {', '.join(missing)}")
            values = []
            for n in names:
                v = params[n]
                from ..schema.types import type_for_value

                proc = self.dialect.bind_processor(type_for_value(v))
                values.append(v if proc is None else proc(v))
            cur = self._execute_compiled(_Raw(sql), values)
        else:
            if params:
                raise InvalidRequestError("pass parameters inside text()/select(), not separately")
            compiled, values = compile_statement(self.dialect, statement)
            cur = self._execute_compiled(compiled, values)
        desc = getattr(cur, "description", None)
        if desc:
            rows = [tuple(r) for r in cur.fetchall()]
            if isinstance(statement, Select | CompoundSelect):
                procs = [self.dialect.result_processor(t) for t in statement.types()]
                if any(procs):
                    rows = [tuple(v if p is None else p(v) for v, p in zip(r, procs)) for r in rows]
            return Result(rows, [d[0] for d in desc], cur.rowcount)
        return Result([], [], cur.rowcount)

    def raw(self, model: type[M], sql: str, params: Mapping[str, Any] | None = None) -> list[M]:
        """Run a raw SELECT and map its rows to ``model`` objects by column name (database
        or attribute names); objects join the identity map like any query result."""
        res = self.execute(sql, params)
        mapper = model.__mapper__
        index: dict[str, int] = {}
        for i, name in enumerate(res.keys):
            col = mapper.table.columns_by_name.get(name) or mapper.table.columns_by_key.get(name)
            if col is not None:
                index[col.key] = i
        missing = [k for k in mapper.column_keys if k not in index]
        if missing:
            raise InvalidRequestError(
                f"raw(): the result has no column for {mapper.name}.{', '.join(missing)}"
            )
        from ..orm.loading import build_loader_factory

        load = build_loader_factory((mapper.entity,), self.dialect, "objects")(self)
        order = [index[k] for k in mapper.column_keys]
        return [load(tuple(r[i] for i in order)) for r in res.rows]

    def scalar(self, statement: ClauseElement) -> Any:
        """Execute a statement and return the first column of the first row (or ``None``)."""
        return self.execute(statement).scalar()


def _mapper_order(*groups: list[Any]) -> list[Any]:
    """The mappers of the objects in ``groups``, referenced tables first."""
    from ..schema.table import sort_tables

    mappers = {type(o).__mapper__: None for g in groups for o in g}
    by_table = {m.table: m for m in mappers}
    return [by_table[t] for t in sort_tables(list(by_table))]


def cascade_delete(session: Session, obj: Any) -> None:
    """ORM cascades of ``session.delete(obj)``: delete the children of relationships
    with ``cascade="all"`` (or ON DELETE CASCADE), and set the nullable foreign keys of
    the other children to NULL, loading them first — so it works whether or not the
    database enforces foreign keys."""

    configure_pending()
    autoflush, session.autoflush = session.autoflush, False  # nothing is written mid-cascade
    try:
        _cascade_delete(session, obj)
    finally:
        session.autoflush = autoflush


def _cascade_delete(session: Session, obj: Any) -> None:
    from ..orm.relationships import ONE_TO_MANY
    from ..orm.sync import set_many_to_one

    mapper = type(obj).__mapper__
    for rel in mapper.all_relationships:
        if rel.direction != ONE_TO_MANY or not (rel.cascade_delete or rel.nullable):
            continue
        if rel.key not in obj.__dict__:
            session._load_relationship(rel, [obj])
        value = obj.__dict__.get(rel.key)
        children = list(value) if rel.uselist else ([value] if value is not None else [])
        for child in children:
            cst = child.__dict__.get(STATE_KEY)
            if cst is not None and cst.to_delete:
                continue
            if rel.cascade_delete:
                st = child.__dict__.get(STATE_KEY)
                if st is not None and st.session is session:
                    session.delete(child)
            elif rel.back is not None:
                set_many_to_one(child, rel.back, None, from_back=True)


class _Raw:
    """A pre-rendered SQL string standing in for a Compiled."""

    __slots__ = ("sql",)

    def __init__(self, sql: str) -> None:
        self.sql = sql


_unused = (BindParam, TextClause, MISSING)


# (the getters of ormolu.orm.state, defined here again: importing them into this module
# measured 5 % slower on bench test B, for no reason found)
_dict_of = attrgetter("__dict__")
_state_of = itemgetter(STATE_KEY)
_status_of = attrgetter("status")
_key_of = attrgetter("key")
_modified_of = attrgetter("modified")


def _explicit_keys(new: list[Any]) -> set[Any]:
    """The mappers of the new objects that bring their own value for a database-generated
    key (the flush then moves the key generator past them)."""
    classes = set(map(type, new))
    if len(classes) == 1:  # the usual case, checked in C
        mapper = next(iter(classes)).__mapper__  # type: ignore[attr-defined]
        auto = mapper.auto_key
        if auto is None:
            return set()
        values = list(map(dict.get, map(_dict_of, new), repeat(auto)))
        return {mapper} if values.count(None) != len(values) else set()
    return {
        m
        for o in new
        if (m := type(o).__mapper__).auto_key is not None and o.__dict__.get(m.auto_key) is not None
    }
