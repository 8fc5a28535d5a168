"""``AsyncDatabase``: the asyncio entry point — the same URLs, dialects and DDL as
:class:`~ormolu.Database`, with async connections, an async pool and async sessions.

Everything that decides what to send is shared with the sync front end (the operations of
:mod:`ormolu.core`); only the connections, the pool and the runner are async.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .drivers.registry import DEFAULT_URL, backend_for
from .engine import create_op, tables_of, warn_existing
from .exceptions import InvalidRequestError
from .orm.hooks import EventName, Listeners
from .schema.cycles import drop_op
from .schema.state import existing_differences_op
from .url import URL, parse_url

if TYPE_CHECKING:
    from .dialects.base import Dialect
    from .orm.model import Model
    from .session.async_session import AsyncSession
    from .session.retry import AsyncRetryingTransaction


class AsyncDatabase:
    """A database for asyncio code: parses the URL, picks the dialect and the async
    driver, hands out :class:`~ormolu.AsyncSession` objects.

    The URLs and parameters are those of :class:`~ormolu.Database` (``sqlite://`` and
    ``sqlite:///file.db`` through aiosqlite, ``postgresql://...`` through psycopg 3's
    ``AsyncConnection`` or ``postgresql+asyncpg://...`` through asyncpg (``pip install
    'ormolu[asyncpg]'``; see docs/async.md), ``mysql://...`` through the async MySQL
    driver; ``pip install 'ormolu[asyncio]'``). Pool waits raise PoolTimeout after
    ``pool_timeout`` seconds; a task cancelled while it waits for, or holds, a connection
    leaks none.

    Example::

        db = AsyncDatabase("sqlite://")
        await db.create_all([Artist])
        async with db.session() as s:
            s.add(Artist(name="Ornette Coleman"))
        await db.close()

    Raises ConfigurationError for an unknown scheme, a malformed URL or a missing driver.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float = 30.0,
        pool_recycle: float | None = 3600.0,
        pre_ping: bool | None = None,
        timeout: float = 5.0,
        statement_timeout: float | None = None,
    ) -> None:
        self.url: URL = parse_url(url or DEFAULT_URL)
        self.statement_timeout = statement_timeout
        self._listeners = Listeners()  # (db.listen: every session's)
        self._backend = backend_for(self.url, asyncio=True)
        self.dialect: Dialect = self._backend.dialect(self.url)
        self.timeout = self._backend.timeout(self.url, timeout)
        self._captures: list[list[tuple[str, Any]]] = []
        # an in-memory SQLite database lives in one connection, lent to one session at a
        # time (the others wait for it, up to pool_timeout)
        self._memory = self._backend.single_connection(self.url)
        self._shared: Any = None
        self._shared_lock: asyncio.Lock | None = None
        from .pool import AsyncPool

        self.pool = AsyncPool(
            self._connect,
            size=pool_size,
            max_overflow=max_overflow,
            timeout=pool_timeout,
            recycle=pool_recycle,
            pre_ping=self._backend.pre_ping if pre_ping is None else pre_ping,
        )

    def __repr__(self) -> str:
        return f"AsyncDatabase({str(self.url)!r})"

    # -- connections ---------------------------------------------------------------------
    async def _connect(self) -> Any:
        return await self._backend.connect_async(self.url, self.dialect, self.timeout)

    async def _acquire(self, owner: Any) -> Any:
        if self._memory:
            if self._shared_lock is None:
                self._shared_lock = asyncio.Lock()
            try:
                await asyncio.wait_for(self._shared_lock.acquire(), self.pool.timeout)
            except TimeoutError:
                raise InvalidRequestError(
                    "an in-memory database has one connection, held by another session; "
                    "commit or close that session first (or use a file database)"
                ) from None
            if self._shared is None:
                try:
                    self._shared = await self._connect()
                except BaseException:
                    self._shared_lock.release()
                    raise
            return self._shared
        return await self.pool.acquire()

    async def _release(self, conn: Any, owner: Any, clean: bool = False) -> None:
        if self._memory:
            try:
                await conn.reset()
            finally:
                if self._shared_lock is not None and self._shared_lock.locked():
                    self._shared_lock.release()
            return
        await self.pool.release(conn, clean)  # (clean: see Pool.release)

    async def close(self) -> None:
        """Close every idle connection (and an unused in-memory database's connection,
        which discards its data). Sessions still open keep theirs until they close."""
        await self.pool.dispose()
        if self._shared is not None and not (self._shared_lock and self._shared_lock.locked()):
            await self._shared.close()
            self._shared = None

    dispose = close

    # -- sessions ------------------------------------------------------------------------
    def session(
        self, *, autoflush: bool = True, statement_timeout: float | None = None
    ) -> AsyncSession:
        """A new :class:`~ormolu.AsyncSession` (use it with ``async with``). An async
        session never loads implicitly: reading an unloaded relationship or an expired
        column raises LazyLoadError naming the explicit call; ``statement_timeout``
        (seconds) overrides the database's."""
        from .session.async_session import AsyncSession

        timeout = self.statement_timeout if statement_timeout is None else statement_timeout
        return AsyncSession(self, autoflush=autoflush, statement_timeout=timeout)

    def listen(self, event: EventName, fn: Callable[[AsyncSession], object]) -> None:
        """Call ``fn(session)`` on ``event`` in every session of this database (those
        open already too), before the session's own listeners: ``"before_flush"``,
        ``"after_flush"``, ``"after_commit"`` or ``"after_rollback"``. Listeners are plain
        (sync) calls that do no I/O; see docs/hooks.md for the order and what a listener
        may do. Raises ArgumentError for an unknown event or a non-callable.

        Example: ``db.listen("before_flush", stamp_audit_rows)``.
        """
        self._listeners.add(event, fn)

    def unlisten(self, event: EventName, fn: Callable[[AsyncSession], object]) -> None:
        """Remove a listener added by :meth:`listen` (ArgumentError if it is not there)."""
        self._listeners.remove(event, fn)

    def transaction(
        self,
        retries: int = 0,
        *,
        isolation_level: str | None = None,
        mode: str | None = None,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
        retry_on: tuple[type[BaseException], ...] | None = None,
        autoflush: bool = True,
        statement_timeout: float | None = None,
    ) -> AsyncRetryingTransaction:
        """A retried unit of work (see :meth:`Database.transaction`): a decorator of
        ``async def`` functions taking the session first, or a loop of attempts::

            async for attempt in db.transaction(retries=3):
                async with attempt as s:
                    ...

        The waits between attempts are ``asyncio.sleep``; the rules are the sync ones.
        """
        from .session.retry import AsyncRetryingTransaction, _policy

        return AsyncRetryingTransaction(
            self, _policy(retries, backoff, max_backoff, retry_on), isolation_level, mode,
            {"autoflush": autoflush, "statement_timeout": statement_timeout},
        )  # fmt: skip

    @contextmanager
    def capture(self) -> Iterator[list[tuple[str, Any]]]:
        """Capture every statement sent in the block as ``(sql, params)`` pairs (as
        :meth:`Database.capture`)."""
        captured: list[tuple[str, Any]] = []
        self._captures.append(captured)
        try:
            yield captured
        finally:
            self._captures.remove(captured)

    # -- DDL -----------------------------------------------------------------------------
    async def create_all(
        self, models: Iterable[type[Model]] | None = None, *, if_not_exists: bool = False
    ) -> None:
        """CREATE TABLE (and indexes) for ``models``, as :meth:`Database.create_all`."""
        tables = tables_of(models)
        async with self.session() as s:
            if if_not_exists:
                warn_existing(await s.run(existing_differences_op(self.dialect, tables)))
            await s.run(create_op(self.dialect, tables, if_not_exists))

    async def drop_all(self, models: Iterable[type[Model]] | None = None) -> None:
        """DROP TABLE IF EXISTS for ``models``, referencing tables first, cycles and all
        (as :meth:`Database.drop_all`; raises ReferencedTableError the same way)."""
        async with self.session() as s:
            await s.run(drop_op(self.dialect, tables_of(models)))
