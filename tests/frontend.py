"""One suite, two front ends: the integration tests, written against the sync API, run
against the async front end through this adapter.

``AsyncFacade(AsyncDatabase)`` looks like a :class:`~ormolu.Database`: its sessions,
queries and transactions are the async ones, and every coroutine their methods return is
run to its end on the test's own event loop (``loop.run_until_complete``) before the
result is handed back. No thread, no greenlet: the async session runs exactly as in an
application, one await after another. What differs by design — an async session does no
implicit I/O, so a lazy load raises LazyLoadError — is what tests marked
``@pytest.mark.sync_only(reason)`` are about; they run on the sync front end only.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

from ormolu.async_engine import AsyncDatabase
from ormolu.session.async_query import AsyncQuery
from ormolu.session.async_session import AsyncSession, AsyncTransaction


class _Proxy:
    """Forwards attribute access to ``inner``; calls whose result is a coroutine run."""

    __slots__ = ("_inner", "_loop")

    def __init__(self, inner: Any, loop: asyncio.AbstractEventLoop) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_loop", loop)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if callable(value) and not isinstance(value, type):
            loop = self._loop

            def call(*args: Any, **kwargs: Any) -> Any:
                return wrap(value(*args, **kwargs), loop)

            return call
        return wrap(value, self._loop)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)

    def __repr__(self) -> str:
        return f"sync view of {self._inner!r}"


def wrap(value: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """``value`` as the sync API would give it."""
    if inspect.iscoroutine(value):
        value = loop.run_until_complete(value)
    if isinstance(value, AsyncQuery):
        return QueryView(value, loop)
    if isinstance(value, AsyncTransaction):
        return TransactionView(value, loop)
    if isinstance(value, AsyncSession):
        return SessionView(value, loop)
    return value


class AsyncFacade(_Proxy):
    """An AsyncDatabase seen through the sync Database's API (for the tests)."""

    def __init__(self, db: AsyncDatabase, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(db, loop)

    def capture(self) -> Any:
        return self._inner.capture()

    @property
    def url(self) -> Any:
        """The URL a sync Database opens the same database with: the AsyncDatabase's,
        without an asyncio-only driver (``postgresql+asyncpg://`` -> ``postgresql://``),
        for the tests that open a second, sync Database on ``str(db.url)``. The async
        one's own is ``db._inner.url``."""
        from ormolu.drivers.registry import ASYNC_ONLY
        from ormolu.url import parse_url

        url = self._inner.url
        name, _, driver = url.scheme.partition("+")
        if driver in ASYNC_ONLY.get(name, {}):
            return parse_url(str(url).replace(f"{url.scheme}://", f"{name}://", 1))
        return url

    def dispose(self) -> None:
        """``Database.dispose()``: close the AsyncDatabase (its pool), keeping the loop."""
        self._loop.run_until_complete(self._inner.close())

    def close_loop(self) -> None:
        """Close the database and the loop (the fixture's teardown)."""
        loop = self._loop
        try:
            loop.run_until_complete(self._inner.close())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


class SessionView(_Proxy):
    """An AsyncSession seen as a Session: ``with``, plain calls for awaited methods."""

    def __enter__(self) -> SessionView:
        return self

    def __exit__(self, et: Any, e: Any, tb: Any) -> None:
        self._loop.run_until_complete(self._inner.__aexit__(et, e, tb))

    def __contains__(self, obj: object) -> bool:
        return obj in self._inner

    def begin_nested(self) -> TransactionView:
        tx = TransactionView(self._inner.begin_nested(), self._loop)
        tx.enter()  # the sync API begins the savepoint at once
        return tx


class TransactionView(_Proxy):
    """An AsyncTransaction seen as a Transaction."""

    def enter(self) -> None:
        self._loop.run_until_complete(self._inner.__aenter__())

    def __enter__(self) -> TransactionView:
        return self

    def __exit__(self, et: Any, e: Any, tb: Any) -> None:
        self._loop.run_until_complete(self._inner.__aexit__(et, e, tb))


class QueryView(_Proxy):
    """An AsyncQuery seen as a Query: terminals run; iteration streams."""

    def __iter__(self) -> Iterator[Any]:
        return self.yield_per(1000)

    def yield_per(self, size: int) -> Iterator[Any]:
        stream = self._inner.stream(size)
        loop = self._loop
        try:
            while True:
                try:
                    yield loop.run_until_complete(stream.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            if not loop.is_closed():
                loop.run_until_complete(stream.aclose())

    def __str__(self) -> str:
        return str(self._inner)


def is_async(db: Any) -> bool:
    """Whether a test's ``db`` is the async front end seen through the sync API."""
    return isinstance(db, AsyncFacade)


def async_driver_of(db: Any) -> str | None:
    """The asyncio driver behind a test's async ``db`` (``"asyncpg"``, ...); None for the
    sync front end."""
    return str(db._inner._backend.async_driver) if is_async(db) else None


def reopen(db: Any, url: str, **options: Any) -> Any:
    """A second database on ``url`` (a sync-style URL such as ``str(db.url)``, possibly
    changed: a proxy's port, query options) through the same front end as the test's
    ``db``: a sync :class:`~ormolu.Database` for the sync front end; for the async one an
    AsyncDatabase with ``db``'s asyncio driver, seen through the sync API on ``db``'s loop.
    The caller disposes it (``.dispose()``)."""
    from ormolu import Database

    if not is_async(db):
        return Database(url, **options)
    scheme = db._inner.url.scheme
    rest = url.partition("://")[2]
    return AsyncFacade(AsyncDatabase(f"{scheme}://{rest}", **options), db._loop)
