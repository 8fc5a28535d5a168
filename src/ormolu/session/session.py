"""``Session``: the sync front end — the session's state, a connection, and a runner.

Every method is a shell: it builds an operation of the core (:mod:`ormolu.core`) over
the session's :class:`~ormolu.core.state.SessionState` and runs it with
:func:`~ormolu.protocol.run_sync`, which takes each statement to the connection. The
session holds at most one connection, taken from its :class:`~ormolu.Database` when the
first statement runs and given back at ``commit``/``rollback``/``close``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast, overload

from ..core import reads, writes
from ..core import transaction as tx
from ..core.flush import flush_op, lone_insert_commit, lone_insert_failed
from ..core.getorcreate import get_or_create
from ..core.hooks import fire
from ..core.loads import load
from ..core.state import SessionState
from ..exceptions import NoResultFound
from ..orm.hooks import EventName, Listeners
from ..protocol import Execute, Op, SetTimeout, run_sync
from ..sql.elements import ClauseElement, Expr
from ..sql.selectable import Select
from .query import Query
from .result import Result
from .transaction import Transaction

if TYPE_CHECKING:
    from ..engine import Database
    from ..orm.model import Model

M = TypeVar("M", bound="Model")
T = TypeVar("T")
E1 = TypeVar("E1")
E2 = TypeVar("E2")
E3 = TypeVar("E3")
E4 = TypeVar("E4")
E5 = TypeVar("E5")


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
    ``joinedload``, or ``s.load(objs, Album.tracks)``); ``statement_timeout`` (seconds)
    limits every statement (StatementTimeout when one runs longer).

    Until its first write (or :meth:`begin`), the session's SELECTs run in autocommit
    mode, each seeing the latest committed data; see docs/sessions.md. Objects loaded by
    one session are held weakly by its identity map: the same row is the same object for
    as long as user code keeps it; changed, new and deleted objects are held strongly
    until flushed.
    """

    def __init__(
        self,
        db: Database,
        *,
        autoflush: bool = True,
        strict: bool = False,
        statement_timeout: float | None = None,
    ) -> None:
        self.db = db
        self.dialect = db.dialect
        self.state = SessionState(
            db.dialect, self, autoflush=autoflush, strict=strict,
            statement_timeout=statement_timeout,
        )  # fmt: skip
        self._conn: Any = None
        self.state.db_listeners = db._listeners

    @property
    def autoflush(self) -> bool:
        """Whether queries flush pending changes first."""
        return self.state.autoflush

    @autoflush.setter
    def autoflush(self, value: bool) -> None:
        self.state.autoflush = value

    @property
    def strict(self) -> bool:
        """Whether lazy loads are forbidden."""
        return self.state.strict

    # -- the runner ------------------------------------------------------------------------
    def _run(self, op: Op[T]) -> T:
        """Drive ``op`` with this session's connection."""
        conn = self._conn
        if conn is not None and not self.db._captures:
            return run_sync(conn.run, op)  # (the usual case: straight to the driver)
        return run_sync(self._send, op)

    def _send(self, step: Any) -> Any:
        conn = self._conn
        if conn is None:
            conn = self._connect()
        captures = self.db._captures
        if captures and type(step) is Execute:
            for c in captures:
                c.append((step.sql, step.params))
        return conn.run(step)

    def _connect(self) -> Any:
        self.state.check_open()
        conn = self._conn = self.db._acquire(self)
        timeout = self.state.effective_timeout
        if timeout is not None:
            conn.run(SetTimeout(timeout))
        return conn

    def _release_connection(self) -> None:
        if self._conn is not None and not self.state.in_tx:
            conn, self._conn = self._conn, None
            self.db._release(conn, self)

    def implicit(self, op: Op[T], what: str, fix: str | None = None) -> T:
        """Run an operation that attribute access needs (a lazy load, an expired or a
        deferred column): the sync session runs it."""
        return self._run(op)

    def run(self, operation: Op[T]) -> T:
        """Run ``operation`` (a generator of the operation protocol, see
        :mod:`ormolu.protocol`) inside this session's transaction (begun first) and return
        its result: the low-level way to send statements one builds by hand, e.g.
        reflection queries. The statements are counted by :meth:`Database.capture` like
        any other.

        Example::

            def table_count() -> Op[int]:
                reply = yield Execute("SELECT count(*) FROM artist", want=ROWS)
                return int(reply.rows[0][0])

            n = s.run(table_count())
        """
        return self._run(tx.in_transaction(self.state, operation))

    # -- context manager -----------------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    async def __aenter__(self) -> NoReturn:
        raise TypeError(
            "a sync Session is used with 'with', not 'async with': for asyncio, open the "
            "database with AsyncDatabase(url) and use 'async with db.session() as s'"
        )

    async def __aexit__(self, *exc: object) -> None:  # pragma: no cover - __aenter__ raises
        return None

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

    # -- transactions --------------------------------------------------------------------
    def begin(
        self,
        mode: str | None = None,
        *,
        isolation_level: str | None = None,
        statement_timeout: float | None = None,
    ) -> Transaction:
        """Begin the transaction now (instead of at the first write).

        ``isolation_level``: ``"READ COMMITTED"``, ``"REPEATABLE READ"``,
        ``"SERIALIZABLE"``... as the backend supports (SQLite: only ``"SERIALIZABLE"``,
        which it always is). ``mode`` is SQLite's BEGIN variant: ``"DEFERRED"``,
        ``"IMMEDIATE"`` (take the write lock now, so the transaction cannot fail later with
        "database is locked") or ``"EXCLUSIVE"`` (https://sqlite.org/lang_transaction.html).
        ``statement_timeout`` (seconds) limits each statement of this transaction.
        Returns a context manager that commits on exit. Raises InvalidRequestError if a
        transaction is already in progress, ConfigurationError for an unknown mode/level.
        """
        self._run(tx.begin(self.state, mode, isolation_level, statement_timeout))
        return Transaction(self, None)

    def begin_nested(self) -> Transaction:
        """Start a SAVEPOINT; pending changes are flushed first.

        Returns a context manager: leaving it normally releases the savepoint, an
        exception rolls back to it (objects changed inside get back their values) and the
        exception propagates. Example::

            with s.begin_nested():
                s.add(Track(...))   # undone alone if this block raises
        """
        return Transaction(self, self._run(tx.begin_nested(self.state)))

    def flush(self) -> None:
        """Write pending changes (INSERT, UPDATE, DELETE in dependency order).

        On failure the database is rolled back to before the flush, every object is put
        back as it was before the flush (so it can be fixed and flushed again), and the
        typed error (e.g. UniqueViolation) propagates.
        """
        state = self.state
        if state.new or state.dirty or state.deleted or state.links:
            self._run(flush_op(state))

    def commit(self) -> None:
        """Flush, then COMMIT. Objects keep their values (they match what was written);
        objects deleted in the transaction become detached. On a failed flush nothing is
        committed and the error propagates (call :meth:`rollback` or fix and retry). A
        connection lost after COMMIT was sent raises
        :class:`~ormolu.exceptions.CommitOutcomeUnknown` (see docs/sessions.md)."""
        state = self.state
        if self._conn is None and state.new:
            lone = lone_insert_commit(state)
            if lone is not None:
                self._commit_lone(*lone)
                return
        ended = False
        try:
            if state.closed or not tx.nothing_to_end(state):
                self._run(tx.commit(state))
                ended = True
        finally:
            self._release_connection()
        if ended and (state.listeners or state.db_listeners):
            fire(state, "after_commit")  # (the connection given back: see docs/hooks.md)

    def _commit_lone(self, step: Execute, obj: Any) -> None:
        """:meth:`commit` of one new object's INSERT, no connection held: the statement
        (see :func:`ormolu.core.flush.lone_insert_commit`) sent straight to a
        connection taken for it, which goes back to the pool as it came — without the
        reset, unless a statement timeout was set on it. Does what ``tx.commit`` does,
        without its operation and runner; a failure leaves the object pending."""
        state = self.state
        try:
            conn = self._connect()
            captures = self.db._captures
            if captures:
                for c in captures:
                    c.append((step.sql, step.params))
            reply = conn.run(step)
        except BaseException as error:
            lone_insert_failed(state, obj, error)
            self._release_connection()
            raise
        tx.finish_lone_commit(state, obj, step, reply)
        self._conn = None
        self.db._release(conn, self, state.statement_timeout is None)
        if state.listeners or state.db_listeners:
            fire(state, "after_commit")  # (the connection given back: see docs/hooks.md)

    def rollback(self) -> None:
        """ROLLBACK, and put every object touched in the transaction back as it was
        before it; objects loaded after the transaction's first write are expired (see
        docs/sessions.md, "What rollback does to your objects")."""
        state = self.state
        ended = False
        try:
            if not tx.nothing_to_end(state):
                self._run(tx.rollback(state))
                ended = True
        finally:
            state.in_tx = False
            self._release_connection()
        if ended and (state.listeners or state.db_listeners):
            fire(state, "after_rollback")

    def close(self) -> None:
        """Roll back anything uncommitted, give back the connection, and detach all
        objects. A closed session refuses further use."""
        state = self.state
        if state.closed:
            return
        try:
            self.rollback()
        finally:
            state.close()

    def listen(self, event: EventName, fn: Callable[[Session], object]) -> None:
        """Call ``fn(session)`` on ``event`` in this session, after the database's
        listeners (see :meth:`Database.listen` for the events); ``fn`` is a
        plain (sync) call. Raises ArgumentError for an unknown event or a non-callable."""
        if self.state.listeners is None:
            self.state.listeners = Listeners()
        self.state.listeners.add(event, fn)

    def unlisten(self, event: EventName, fn: Callable[[Session], object]) -> None:
        """Remove a listener added by :meth:`listen` (ArgumentError if it is not there)."""
        listeners = self.state.listeners
        if listeners is None:
            listeners = self.state.listeners = Listeners()
        listeners.remove(event, fn)

    # -- object lifecycle ----------------------------------------------------------------
    def add(self, obj: Model) -> None:
        """Add a new object (pending until flushed) or re-attach a detached one with the
        changes made to it meanwhile (written at the next flush).

        Raises InvalidRequestError when the object belongs to another open session or its
        identity is already taken by another object in this one (:meth:`merge` copies it
        onto that one instead); TypeError for non-models.
        """
        self.state.add(obj)

    def add_all(self, objs: Iterable[Model]) -> None:
        """:meth:`add` each object."""
        add = self.state.add
        for o in objs:
            add(o)

    def delete(self, obj: Model) -> None:
        """Mark a persistent object for deletion at the next flush (a pending one is simply
        removed), with the ORM cascades of its relationships (children it has not loaded
        are loaded first). Raises InvalidRequestError for objects not in this session."""
        self.state.delete(obj)

    def expunge(self, obj: Model) -> None:
        """Detach ``obj`` from this session without touching the database; it stays
        detached whatever a later rollback does."""
        self.state.expunge(obj)

    def expunge_all(self) -> None:
        """Detach every object (the identity map is emptied)."""
        self.state.expunge_all()

    def merge(self, obj: M, *, load: bool = True) -> M:
        """Copy the loaded column values of ``obj`` (typically detached, from another
        session) onto this session's object with the same primary key — loaded first
        with :meth:`get` unless ``load=False`` — as changes the next flush writes, and
        return that object. Without a row, a new pending copy is added. ``obj`` itself
        stays as it is.

        Example: ``saved = s.merge(detached_track)``.
        """
        return cast(M, self._run(writes.merge(self.state, obj, load)))

    def __contains__(self, obj: object) -> bool:
        return self.state.contains(obj)

    @property
    def new(self) -> list[Any]:
        """Pending objects."""
        return list(self.state.new.values())

    @property
    def dirty(self) -> list[Any]:
        """Persistent objects with unflushed changes."""
        from ..orm.state import STATE_KEY

        return [o for o in self.state.dirty.values() if o.__dict__[STATE_KEY].modified]

    @property
    def deleted(self) -> list[Any]:
        """Objects marked for deletion."""
        return list(self.state.deleted.values())

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
        return Query(self, Select(entities))

    def get(self, model: type[M], pk: Any) -> M | None:
        """The object with primary key ``pk`` (a tuple or dict for composite keys), from
        the identity map when present, else by one SELECT; ``None`` if there is no row.
        A pending object that takes that key (after the old row's deletion) is returned."""
        return cast("M | None", self._run(reads.get(self.state, model, pk)))

    def get_one(self, model: type[M], pk: Any) -> M:
        """Like :meth:`get` but raises NoResultFound when there is no such row."""
        obj = self.get(model, pk)
        if obj is None:
            raise NoResultFound(f"no {model.__name__} with primary key {pk!r}")
        return obj

    def refresh(self, obj: Model, fields: Sequence[str] | None = None) -> None:
        """Reload the columns of ``obj`` from the database, discarding unflushed changes
        to them: every field (a deferred one only if loaded: the others stay deferred),
        and loaded relationships are forgotten and reload on next access; or with
        ``fields``, exactly the fields named (deferred or not), nothing else.

        Raises ObjectDeletedError when its row no longer exists, InvalidRequestError for
        a name that is not a field.

        Example: ``s.refresh(user, ["password_hash"])`` (one SELECT of that column)."""
        self._run(reads.refresh(self.state, obj, keys=fields))

    def expire(self, obj: Model, *keys: str) -> None:
        """Forget loaded values (all, or ``keys``: fields or relationships) and unflushed
        changes to them; the next read reloads them."""
        self.state.expire(obj, keys)

    def load(self, objs: Iterable[Any], *attrs: Any) -> None:
        """Load the relationship path ``attrs`` (``Artist.albums``, then ``Album.tracks``
        ...) for every object of ``objs`` that lacks it, in one select-in batch per
        relationship. The explicit form of a lazy load, and the only one where lazy loads
        are forbidden (a strict or async session). A field (a deferred one) loads for
        the objects of its step that lack it, in one statement: ``s.load(articles,
        Article.author, User.password_hash)``.

        Raises InvalidRequestError for an attribute that is neither a relationship nor
        a field of the objects' model.

        Example: ``s.load(albums, Album.tracks)``.
        """
        self._run(load(self.state, list(objs), attrs))

    # -- statements ----------------------------------------------------------------------
    def execute(
        self, statement: str | ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Result:
        """Execute raw SQL (with ``:name`` placeholders bound from ``params``) or a
        statement built with :func:`~ormolu.select`/:func:`~ormolu.text`; return a
        :class:`Result`. Values are always bound as parameters, never formatted in. A
        statement other than a SELECT runs inside the transaction.

        Example: ``s.execute("SELECT Name FROM Artist WHERE ArtistId = :id", {"id": 1})``.
        """
        reply = self._run(reads.execute(self.state, statement, params))
        return Result(list(reply.rows), list(reply.columns), reply.rowcount)

    def execute_sql(self, sql: str, params: Sequence[Any] = (), many: bool = False) -> Result:
        """Execute SQL text in the dialect's paramstyle, as it is, inside the session's
        transaction (low level; prefer :meth:`execute`)."""
        reply = self._run(reads.execute_raw(self.state, sql, params, many))
        return Result(list(reply.rows), list(reply.columns), reply.rowcount)

    def raw(self, model: type[M], sql: str, params: Mapping[str, Any] | None = None) -> list[M]:
        """Run a raw SELECT and map its rows to ``model`` objects by column name (database
        or attribute names); objects join the identity map like any query result."""
        reply = self._run(reads.execute(self.state, sql, params))
        return reads.load_raw(self.state, model, reply)

    def scalar(self, statement: ClauseElement) -> Any:
        """Execute a statement and return the first column of the first row (or ``None``)."""
        return self.execute(statement).scalar()

    # -- bulk writes ---------------------------------------------------------------------
    def insert_many(self, model: type[M], rows: Iterable[Mapping[str, Any] | M]) -> int:
        """Insert many rows at once, bypassing the unit of work; return the number inserted.

        ``rows`` are mappings of field values (validated and defaulted like the
        constructor, so a bad value raises ValidationError before any SQL) or new
        ``model`` instances, which become persistent in this session with their generated
        primary keys. Rows go in multi-row ``INSERT ... VALUES`` statements of up to 512
        rows within the dialect's bound-parameter limit (with ``RETURNING`` where keys are
        fetched); rows of generated values only go in as ``DEFAULT VALUES``. Pending
        changes are flushed first. All rows or none are written.
        Raises InvalidRequestError for instances that already belong to a session.
        """
        return self._run(writes.insert_many(self.state, model, rows))

    def upsert(
        self,
        model: type[M],
        rows: Iterable[Mapping[str, Any] | M],
        *,
        conflict: Sequence[str] | None = None,
        update: Sequence[str] | None = None,
        do_nothing: bool = False,
        return_existing: bool = False,
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
        With ``return_existing=True``: one object per row (per distinct ``conflict``
        key), in the order of ``rows``, whether inserted, updated or left as it was —
        the rows RETURNING did not give back (all, without RETURNING) are read by their
        ``conflict`` fields, one SELECT per batch of 500.
        SQL: ``INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING`` (PostgreSQL, SQLite) or
        ``INSERT ... ON DUPLICATE KEY UPDATE`` (MySQL/MariaDB).

        Example: ``tags = s.upsert(Tag, [{"name": "jazz"}], conflict=["name"],
        do_nothing=True, return_existing=True)``.

        Raises ValidationError for bad values, InvalidRequestError for unknown fields.
        """
        return self._run(
            writes.upsert(self.state, model, rows, conflict, update, do_nothing, return_existing)
        )

    def get_or_create(
        self, model: type[M], /, defaults: Mapping[str, Any] | None = None, **lookup: Any
    ) -> tuple[M, bool]:
        """The ``model`` object whose fields equal ``lookup``, or a new one inserted with
        ``lookup`` and ``defaults`` (``defaults`` win): ``(obj, created)``.

        Race-safe where a unique constraint covers the lookup's fields: the INSERT runs
        in a savepoint, and when a concurrent session inserted the row first
        (UniqueViolation) the savepoint is rolled back and that row is read (with a
        shared lock, which sees it even at REPEATABLE READ) and returned. The rest of
        the transaction is untouched. Lookup values may be relationships
        (``author=ann``) as in :meth:`Query.filter_by`. Under REPEATABLE READ or
        SERIALIZABLE on PostgreSQL the loser may get SerializationFailure instead: run it
        in ``db.transaction(retries=...)``. See docs/sessions.md, "Get or create".

        Example: ``tag, created = s.get_or_create(Tag, name="jazz")``.

        Raises, before any SQL: InvalidRequestError naming the model and field for a
        name the model does not have (or an empty lookup), ValidationError for a value
        a field refuses. MultipleResultsFound when the lookup matches several rows.
        """
        return cast("tuple[M, bool]", self._run(get_or_create(self.state, model, lookup, defaults)))

    def update_or_create(
        self, model: type[M], /, defaults: Mapping[str, Any] | None = None, **lookup: Any
    ) -> tuple[M, bool]:
        """Like :meth:`get_or_create`, but an object found gets ``defaults`` assigned
        (and flushed): ``(obj, created)``. Concurrent updaters of one row write one after
        the other (the last one's values stay); where row locks deadlock (InnoDB) run it
        in ``db.transaction(retries=...)``.

        Example: ``profile, _ = s.update_or_create(Profile, defaults={"bio": "..."},
        user_id=7)``.
        """
        op = get_or_create(self.state, model, lookup, defaults, update=True)
        return cast("tuple[M, bool]", self._run(op))
