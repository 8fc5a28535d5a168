"""``AsyncSession``: the asyncio front end — the same state and operations as
:class:`~ormolu.Session`, driven by :func:`~ormolu.protocol.run_async`.

Methods that need no database (``add``, ``delete``, ``expunge``, ``expire``, ``query``)
are plain calls; the others are awaited. There is no implicit I/O: reading an unloaded
relationship or an expired column raises LazyLoadError naming the explicit call
(``await s.load(...)``, ``selectinload(...)``, ``await s.refresh(...)``); answers that
need no SQL (an identity-map hit, a NULL foreign key) are still given. What ``delete()``
must load for its cascade, and what replacing a collection must know of its old items,
is loaded by the next flush.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from ..core import reads, writes
from ..core import transaction as tx
from ..core.flush import flush_op, lone_insert_commit, lone_insert_failed
from ..core.getorcreate import get_or_create
from ..core.hooks import fire
from ..core.loads import load
from ..core.state import SessionState
from ..drivers.base import concurrent_use, lost_before_send
from ..exceptions import LazyLoadError, NoResultFound
from ..orm.hooks import EventName, Listeners
from ..protocol import Execute, Op, SetTimeout, run_async
from ..sql.elements import ClauseElement, Expr
from ..sql.selectable import Select
from .async_query import AsyncQuery
from .result import Result

if TYPE_CHECKING:
    from ..async_engine import AsyncDatabase
    from ..core.journal import Level
    from ..orm.model import Model

M = TypeVar("M", bound="Model")
T = TypeVar("T")
E1 = TypeVar("E1")
E2 = TypeVar("E2")
E3 = TypeVar("E3")
E4 = TypeVar("E4")
E5 = TypeVar("E5")


class AsyncSession:
    """A unit of work against one :class:`~ormolu.AsyncDatabase`; the async twin of
    :class:`~ormolu.Session` (see it for each method's meaning).

    A session belongs to one task at a time: an awaited call made while another task's
    call on the same session is still running raises InvalidRequestError before it
    sends or gives back anything (docs/async.md, "Mistakes that get a clear error").

    Example::

        async with db.session() as s:            # commits on exit, rolls back on an error
            s.add(Artist(name="AC/DC"))           # no I/O
            await s.flush()
            albums = await s.query(Album).options(selectinload(Album.artist)).all()
            await s.load(albums, Album.tracks)    # explicit, batched over the list
    """

    def __init__(
        self, db: AsyncDatabase, *, autoflush: bool = True, statement_timeout: float | None = None
    ) -> None:
        self.db = db
        self.dialect = db.dialect
        # (not "strict": a lazy load reaches implicit() below, which names the async fix)
        self.state = SessionState(
            db.dialect, self, autoflush=autoflush, statement_timeout=statement_timeout
        )
        self.state.defer_loads = True  # (delete cascades and replacements load at flush)
        self._conn: Any = None
        self._running = False  # an operation is being driven (see _run)
        self.state.db_listeners = db._listeners

    @property
    def autoflush(self) -> bool:
        """Whether queries flush pending changes first."""
        return self.state.autoflush

    @autoflush.setter
    def autoflush(self, value: bool) -> None:
        self.state.autoflush = value

    # -- the runner ------------------------------------------------------------------------
    async def _run(self, op: Op[T]) -> T:
        """Drive ``op`` with this session's connection. Raises InvalidRequestError when
        another task's operation on this session has not finished (a session's state and
        transaction belong to one task at a time)."""
        if self._running:
            op.close()
            raise concurrent_use(None)
        self._running = True
        try:
            conn = self._conn
            if conn is not None and not self.db._captures:
                return await run_async(conn.run, op)
            return await run_async(self._send, op)
        finally:
            self._running = False

    async def _send(self, step: Any) -> Any:
        conn = self._conn
        if conn is None:
            if self.state.in_tx:
                # The transaction's connection broke and went back to the pool (see
                # _release_connection): the server has ended the transaction, so no
                # statement of it may run on a new connection — ROLLBACK ends it quietly,
                # anything else (COMMIT included) is refused as never sent, as on the
                # broken connection itself in the sync session.
                raise lost_before_send(getattr(step, "sql", type(step).__name__))
            conn = await self._connect()
        captures = self.db._captures
        if captures and type(step) is Execute:
            for c in captures:
                c.append((step.sql, step.params))
        return await conn.run(step)

    async def _connect(self) -> Any:
        self.state.check_open()
        conn = self._conn = await self.db._acquire(self)
        timeout = self.state.effective_timeout
        if timeout is not None:
            await conn.run(SetTimeout(timeout))
        return conn

    async def _release_connection(self) -> None:
        # A broken connection goes back (to be discarded) even inside a transaction, so
        # that a task cancelled mid-query frees its pool slot at once; the transaction
        # stays open in the session's state until rollback (see _send).
        conn = self._conn
        if conn is not None and (not self.state.in_tx or conn.is_broken()):
            self._conn = None
            await self.db._release(conn, self)

    def implicit(self, op: Op[Any], what: str, fix: str | None = None) -> Any:
        """Refuse the I/O an attribute access would need: LazyLoadError naming the fix."""
        op.close()
        if fix is not None:
            raise LazyLoadError(
                f"{what}, and an async session does no I/O behind attribute access; "
                + fix.replace("session.", "await session.")
            )
        raise LazyLoadError(
            f"{what}, and an async session does no I/O behind attribute access: load it "
            f"explicitly — a relationship with 'await session.load(objects, "
            f"Model.relationship)' or query(...).options(selectinload(Model.relationship)), "
            f"a column with 'await session.refresh(obj)'"
        )

    async def run(self, operation: Op[T]) -> T:
        """Run ``operation`` (see :meth:`Session.run`) inside the transaction."""
        return await self._run(tx.in_transaction(self.state, operation))

    # -- context manager -----------------------------------------------------------------
    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if et is None:
                await self.commit()
            else:
                await self.rollback()
        finally:
            await self.close()

    if not TYPE_CHECKING:  # (hidden from type checkers, so that they reject a plain with)

        def __enter__(self) -> None:
            raise TypeError("an AsyncSession is used with 'async with', not 'with'")

        def __exit__(self, *exc: object) -> None:  # pragma: no cover - __enter__ raises
            return None

    # -- transactions --------------------------------------------------------------------
    async def begin(
        self,
        mode: str | None = None,
        *,
        isolation_level: str | None = None,
        statement_timeout: float | None = None,
    ) -> AsyncTransaction:
        """Begin the transaction now (see :meth:`Session.begin`); ``async with`` the
        result commits on exit."""
        await self._run(tx.begin(self.state, mode, isolation_level, statement_timeout))
        return AsyncTransaction(self, None)

    def begin_nested(self) -> AsyncTransaction:
        """A savepoint, for ``async with s.begin_nested():`` (pending changes are flushed
        first); see :meth:`Session.begin_nested`."""
        return AsyncTransaction(self, None, nested=True)

    async def flush(self) -> None:
        """Write pending changes (see :meth:`Session.flush`)."""
        state = self.state
        if state.new or state.dirty or state.deleted or state.links or state.deferred:
            await self._run(flush_op(state))

    async def commit(self) -> None:
        """Flush, then COMMIT (see :meth:`Session.commit`)."""
        state = self.state
        if self._running:  # (before the finally below gives back the other task's link)
            raise concurrent_use(None)
        if self._conn is None and state.new:
            lone = lone_insert_commit(state)
            if lone is not None:
                await self._commit_lone(*lone)
                return
        ended = False
        try:
            if state.closed or not tx.nothing_to_end(state):
                await self._run(tx.commit(state))
                ended = True
        finally:
            await self._release_connection()
        if ended and (state.listeners or state.db_listeners):
            fire(state, "after_commit")  # (the connection given back: see docs/hooks.md)

    async def _commit_lone(self, step: Execute, obj: Any) -> None:
        """:meth:`commit` of one new object's INSERT, no connection held: see
        ``Session._commit_lone`` (the statement sent straight to a connection taken for
        it, which goes back without the reset unless a statement timeout was set)."""
        state = self.state
        if self._running:
            raise concurrent_use(step)
        self._running = True
        try:
            conn = await self._connect()
            captures = self.db._captures
            if captures:
                for c in captures:
                    c.append((step.sql, step.params))
            reply = await conn.run(step)
        except BaseException as error:
            lone_insert_failed(state, obj, error)
            await self._release_connection()
            raise
        finally:
            self._running = False
        tx.finish_lone_commit(state, obj, step, reply)
        self._conn = None
        await self.db._release(conn, self, state.statement_timeout is None)
        if state.listeners or state.db_listeners:
            fire(state, "after_commit")  # (the connection given back: see docs/hooks.md)

    async def rollback(self) -> None:
        """ROLLBACK; objects as after :meth:`Session.rollback`."""
        state = self.state
        if self._running:
            raise concurrent_use(None)
        ended = False
        try:
            if not tx.nothing_to_end(state):
                await self._run(tx.rollback(state))
                ended = True
        finally:
            state.in_tx = False
            await self._release_connection()
        if ended and (state.listeners or state.db_listeners):
            fire(state, "after_rollback")

    async def close(self) -> None:
        """Roll back anything uncommitted, give back the connection, detach all objects."""
        state = self.state
        if state.closed:
            return
        if self._running:
            raise concurrent_use(None)
        try:
            await self.rollback()
        finally:
            state.close()

    # -- object lifecycle (no I/O) -------------------------------------------------------
    def listen(self, event: EventName, fn: Callable[[AsyncSession], object]) -> None:
        """Call ``fn(session)`` on ``event`` in this session, after the database's
        listeners (see :meth:`AsyncDatabase.listen` for the events); ``fn`` is a
        plain (sync) call. Raises ArgumentError for an unknown event or a non-callable."""
        if self.state.listeners is None:
            self.state.listeners = Listeners()
        self.state.listeners.add(event, fn)

    def unlisten(self, event: EventName, fn: Callable[[AsyncSession], object]) -> None:
        """Remove a listener added by :meth:`listen` (ArgumentError if it is not there)."""
        listeners = self.state.listeners
        if listeners is None:
            listeners = self.state.listeners = Listeners()
        listeners.remove(event, fn)

    def add(self, obj: Model) -> None:
        """Add a new object or re-attach a detached one (see :meth:`Session.add`)."""
        self.state.add(obj)

    def add_all(self, objs: Iterable[Model]) -> None:
        """:meth:`add` each object."""
        for o in objs:
            self.state.add(o)

    def delete(self, obj: Model) -> None:
        """Mark ``obj`` for deletion; children its cascade must load are loaded by the next
        flush (see :meth:`Session.delete`)."""
        self.state.delete(obj)

    def expunge(self, obj: Model) -> None:
        """Detach ``obj`` (see :meth:`Session.expunge`)."""
        self.state.expunge(obj)

    def expunge_all(self) -> None:
        """Detach every object."""
        self.state.expunge_all()

    def expire(self, obj: Model, *keys: str) -> None:
        """Forget loaded values (see :meth:`Session.expire`); reading them afterwards
        needs ``await s.refresh(obj)``."""
        self.state.expire(obj, keys)

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
    def query(self, e1: type[E1] | Expr[E1], /) -> AsyncQuery[E1]: ...
    @overload
    def query(
        self, e1: type[E1] | Expr[E1], e2: type[E2] | Expr[E2], /
    ) -> AsyncQuery[tuple[E1, E2]]: ...
    @overload
    def query(
        self, e1: type[E1] | Expr[E1], e2: type[E2] | Expr[E2], e3: type[E3] | Expr[E3], /
    ) -> AsyncQuery[tuple[E1, E2, E3]]: ...
    @overload
    def query(
        self,
        e1: type[E1] | Expr[E1],
        e2: type[E2] | Expr[E2],
        e3: type[E3] | Expr[E3],
        e4: type[E4] | Expr[E4],
        /,
    ) -> AsyncQuery[tuple[E1, E2, E3, E4]]: ...
    @overload
    def query(
        self,
        e1: type[E1] | Expr[E1],
        e2: type[E2] | Expr[E2],
        e3: type[E3] | Expr[E3],
        e4: type[E4] | Expr[E4],
        e5: type[E5] | Expr[E5],
        /,
    ) -> AsyncQuery[tuple[E1, E2, E3, E4, E5]]: ...
    @overload
    def query(self, *entities: Any) -> AsyncQuery[tuple[Any, ...]]: ...
    def query(self, *entities: Any) -> AsyncQuery[Any]:
        """A query (built without I/O; its terminals are awaited)."""
        return AsyncQuery(self, Select(entities))

    async def get(self, model: type[M], pk: Any) -> M | None:
        """The object with primary key ``pk``, or ``None`` (see :meth:`Session.get`)."""
        return cast("M | None", await self._run(reads.get(self.state, model, pk)))

    async def get_one(self, model: type[M], pk: Any) -> M:
        """Like :meth:`get` but raises NoResultFound when there is no such row."""
        obj = await self.get(model, pk)
        if obj is None:
            raise NoResultFound(f"no {model.__name__} with primary key {pk!r}")
        return obj

    async def refresh(self, obj: Model, fields: Sequence[str] | None = None) -> None:
        """Reload the columns of ``obj``, or exactly ``fields`` (see
        :meth:`Session.refresh`): ``await s.refresh(user, ["password_hash"])`` loads a
        deferred field."""
        await self._run(reads.refresh(self.state, obj, keys=fields))

    async def load(self, objs: Iterable[Any], *attrs: Any) -> None:
        """Load a relationship path (or a deferred field: ``await s.load(articles,
        Article.body)``) for every object of ``objs`` that lacks it, one batch per
        relationship or field (see :meth:`Session.load`)."""
        await self._run(load(self.state, list(objs), attrs))

    async def merge(self, obj: M, *, load: bool = True) -> M:
        """Copy a detached object's values onto this session's (see :meth:`Session.merge`)."""
        return cast(M, await self._run(writes.merge(self.state, obj, load)))

    # -- statements ----------------------------------------------------------------------
    async def execute(
        self, statement: str | ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Result:
        """Raw SQL or a built statement (see :meth:`Session.execute`)."""
        reply = await self._run(reads.execute(self.state, statement, params))
        return Result(list(reply.rows), list(reply.columns), reply.rowcount)

    async def execute_sql(self, sql: str, params: Sequence[Any] = (), many: bool = False) -> Result:
        """SQL in the dialect's paramstyle, as it is (see :meth:`Session.execute_sql`)."""
        reply = await self._run(reads.execute_raw(self.state, sql, params, many))
        return Result(list(reply.rows), list(reply.columns), reply.rowcount)

    async def raw(
        self, model: type[M], sql: str, params: Mapping[str, Any] | None = None
    ) -> list[M]:
        """A raw SELECT mapped to ``model`` objects (see :meth:`Session.raw`)."""
        reply = await self._run(reads.execute(self.state, sql, params))
        return reads.load_raw(self.state, model, reply)

    async def scalar(self, statement: ClauseElement) -> Any:
        """The first column of the first row of ``statement`` (or ``None``)."""
        return (await self.execute(statement)).scalar()

    # -- bulk writes ---------------------------------------------------------------------
    async def insert_many(self, model: type[M], rows: Iterable[Mapping[str, Any] | M]) -> int:
        """Insert many rows at once (see :meth:`Session.insert_many`)."""
        return await self._run(writes.insert_many(self.state, model, rows))

    async def upsert(
        self,
        model: type[M],
        rows: Iterable[Mapping[str, Any] | M],
        *,
        conflict: Sequence[str] | None = None,
        update: Sequence[str] | None = None,
        do_nothing: bool = False,
        return_existing: bool = False,
    ) -> list[M]:
        """Insert or update on conflict (see :meth:`Session.upsert`)."""
        return await self._run(
            writes.upsert(self.state, model, rows, conflict, update, do_nothing, return_existing)
        )

    async def get_or_create(
        self, model: type[M], /, defaults: Mapping[str, Any] | None = None, **lookup: Any
    ) -> tuple[M, bool]:
        """The object ``lookup`` names, or a new one: ``(obj, created)``, race-safe as
        :meth:`Session.get_or_create` is (the same operation, awaited). Raises
        InvalidRequestError for a lookup field the model lacks and ValidationError for a bad
        value, before any SQL.

        Example: ``tag, created = await s.get_or_create(Tag, name="sql")``."""
        op = get_or_create(self.state, model, lookup, defaults)
        return cast("tuple[M, bool]", await self._run(op))

    async def update_or_create(
        self, model: type[M], /, defaults: Mapping[str, Any] | None = None, **lookup: Any
    ) -> tuple[M, bool]:
        """:meth:`get_or_create` that also assigns ``defaults`` to an object found (see
        :meth:`Session.update_or_create`); raises as :meth:`get_or_create` does.

        Example: ``user, created = await s.update_or_create(User, {"name": n}, email=e)``."""
        op = get_or_create(self.state, model, lookup, defaults, update=True)
        return cast("tuple[M, bool]", await self._run(op))


class AsyncTransaction:
    """What ``await s.begin()`` returns and ``s.begin_nested()`` gives ``async with``: the
    transaction, or a savepoint begun on entering the block. Leaving the block normally
    commits it (or releases the savepoint), an exception rolls it back and propagates."""

    __slots__ = ("done", "level", "nested", "session")

    def __init__(self, session: AsyncSession, level: Level | None, nested: bool = False) -> None:
        self.session = session
        self.level = level
        self.nested = nested
        self.done = False

    async def commit(self) -> None:
        """Commit the transaction / release the savepoint."""
        self._finish()
        if self.level is None:
            await self.session.commit()
        else:
            await self.session._run(tx.release_savepoint(self.session.state, self.level))

    async def rollback(self) -> None:
        """Roll back the transaction / roll back to the savepoint."""
        self._finish()
        if self.level is None:
            await self.session.rollback()
        else:
            await self.session._run(tx.rollback_savepoint(self.session.state, self.level))

    def _finish(self) -> None:
        from ..exceptions import InvalidRequestError

        if self.done:
            raise InvalidRequestError("this transaction is already finished")
        if self.nested and self.level is None:
            raise InvalidRequestError("use the savepoint with 'async with s.begin_nested():'")
        self.done = True

    async def __aenter__(self) -> AsyncTransaction:
        if self.nested and self.level is None:
            self.level = await self.session._run(tx.begin_nested(self.session.state))
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.done:
            return
        if et is None:
            await self.commit()
        else:
            await self.rollback()
