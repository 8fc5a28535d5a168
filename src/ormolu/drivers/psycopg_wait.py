"""A cheaper wait for psycopg 3's ``AsyncConnection``: the socket stays registered with
the event loop between statements, as an asyncio transport's does.

psycopg drives every libpq operation as a generator that yields what it waits for
(readable, writable) and is sent what became ready; ``AsyncConnection.wait`` runs one
(https://www.psycopg.org/psycopg3/docs/advanced/async.html). For each wait psycopg's own
``wait_async`` registers the socket with ``loop.add_reader``, arms a 0.1 s timer, awaits a
future, then cancels the timer and unregisters the socket: about 84,000 client
instructions per statement, as much as the rest of a primary-key lookup. Here the socket
is registered on the first wait and left registered; each wait only creates a future for
the loop's reader callback to resolve. (The timer exists for a sync-style Ctrl-C check;
under asyncio a KeyboardInterrupt or a cancellation reaches the awaiting task anyway.)

What could go wrong with a registration that outlives a wait, and why it does not:

* **The socket is closed while registered** (a later socket could get its number): every
  path that closes it unregisters first — :meth:`WatchedAsyncConnection.close`,
  :meth:`~WatchedAsyncConnection.finish` (the driver's ``terminate``), a wait that ends with
  the link broken (libpq closes its socket when it finds the server gone), and a
  connection dropped unclosed (a ``weakref.finalize``, which runs before libpq frees it).
* **The socket turns readable while nobody waits** (a server notice, the server closing an
  idle link): the callback finds no waiter twice in a row and unregisters; the next wait
  registers again. Once in a row is the normal case, not a reason to unregister: the loop
  polls before it runs the task its last callback woke, so the reply that task is about
  to read reports the socket readable one more time, and the callback runs after the
  task has read it (unregistering then cost an ``epoll_ctl`` pair per statement).
* **A cancellation arrives mid-wait**: the socket is unregistered and the generator handed,
  where it stopped, to psycopg's own ``AsyncConnection.wait`` recovery (it asks the server
  to cancel the statement and waits for it, or closes the link; psycopg issues #543,
  #1371, #1435), so ormolu keeps psycopg's cancellation semantics exactly.

Calls with a ``timeout`` (psycopg's own timed waits) go to psycopg's ``wait`` unchanged.
"""

from __future__ import annotations

import asyncio
import select
import weakref
from typing import Any

from .postgresql import _import

__all__ = ["watched_connection_class"]


class _Watcher:
    """The loop's reader callback for one connection's socket. It holds no reference to
    the connection, so a connection dropped unclosed can still be collected."""

    __slots__ = ("__weakref__", "fd", "fut", "idle_wakes", "loop")

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.fd = -1
        self.fut: asyncio.Future[None] | None = None
        self.idle_wakes = 0  # callbacks in a row that found nobody waiting

    def watch(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        if self.loop is not None:
            self.unwatch()
        loop.add_reader(fd, self.wake)
        self.loop = loop
        self.fd = fd

    def unwatch(self) -> None:
        loop = self.loop
        if loop is not None:
            self.loop = None
            try:
                loop.remove_reader(self.fd)
            except Exception:
                pass  # (the loop is closed: its selector and registrations are gone)

    def wake(self) -> None:
        fut = self.fut
        if fut is None:
            # Readable while nobody waits: not ours to read (libpq reads on the next
            # statement). The first time is the stale report of a reply just read (see
            # the module docstring); a second means it stays readable: stop watching
            # rather than be called at every loop turn.
            self.idle_wakes += 1
            if self.idle_wakes > 1:
                self.unwatch()
        elif not fut.done():
            fut.set_result(None)


class _Resumed:
    """A stopped libpq generator, made to raise ``error`` once and then go on where it
    stopped (``state``): handed to psycopg's ``wait``, whose recovery then runs."""

    __slots__ = ("error", "gen", "state")

    def __init__(self, gen: Any, state: Any, error: BaseException) -> None:
        self.gen = gen
        self.state = state
        self.error: BaseException | None = error

    def __iter__(self) -> _Resumed:
        return self

    def __next__(self) -> Any:
        error = self.error
        if error is not None:
            self.error = None
            raise error
        return self.state

    def send(self, value: Any) -> Any:
        return self.gen.send(value)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


_classes: dict[int, Any] = {}


def watched_connection_class() -> Any:
    """psycopg's ``AsyncConnection`` with the socket-keeping :meth:`wait` (the class is
    made once per psycopg module, on first use, so that psycopg stays a lazy import).
    Raises ConfigurationError naming the extra when psycopg is not installed.

    Example: ``raw = await watched_connection_class().connect(host=..., autocommit=True)``
    (what ``AsyncPsycopgConnection.open`` does)."""
    psycopg = _import()
    made = _classes.get(id(psycopg))
    if made is not None:
        return made
    waiting = psycopg.waiting
    wait_r, wait_w = waiting.Wait.R, waiting.Wait.W
    ready_r, ready_w = waiting.Ready.R, waiting.Ready.W
    connection_ok = psycopg.pq.ConnStatus.OK

    class WatchedAsyncConnection(psycopg.AsyncConnection):  # type: ignore[misc, name-defined]
        """``AsyncConnection`` whose waits keep the socket registered (module docstring)."""

        _watcher: _Watcher | None = None

        async def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if timeout is not None:
                self._unwatch()
                return await super().wait(gen, interval, timeout)
            try:
                state = next(gen)
            except StopIteration as stop:
                return stop.value
            watcher = self._watcher
            if watcher is None:
                watcher = self._watcher = _Watcher()
                weakref.finalize(self, watcher.unwatch)
            pgconn = self.pgconn
            loop = asyncio.get_running_loop()
            try:
                while True:
                    if state & wait_w:
                        # A socket asked for writing nearly always is writable: poll it.
                        readable, writable, _ = select.select(
                            [pgconn.socket] if state & wait_r else [], [pgconn.socket], [], 0
                        )
                        ready = (ready_r if readable else 0) | (ready_w if writable else 0)
                        if not ready:
                            ready = await self._wait_writable(loop, pgconn.socket)
                        state = gen.send(ready)
                        continue
                    if watcher.loop is not loop:
                        watcher.watch(loop, pgconn.socket)
                    fut = watcher.fut = loop.create_future()
                    watcher.idle_wakes = 0
                    try:
                        await fut
                    except BaseException as error:  # a cancellation, an interrupt
                        watcher.fut = None
                        watcher.unwatch()
                        return await super().wait(_Resumed(gen, state, error), interval)
                    watcher.fut = None
                    state = gen.send(ready_r)
            except StopIteration as stop:
                if pgconn.status != connection_ok:
                    watcher.unwatch()  # (libpq closed the socket when the link broke)
                return stop.value
            except OSError as error:
                watcher.unwatch()
                raise psycopg.OperationalError("connection socket closed") from error
            except BaseException:
                if pgconn.status != connection_ok:
                    watcher.unwatch()
                raise

        async def _wait_writable(self, loop: asyncio.AbstractEventLoop, fd: int) -> Any:
            """The rare wait for a full send buffer to drain, as psycopg waits."""
            self._unwatch()
            fut: asyncio.Future[None] = loop.create_future()
            loop.add_writer(fd, _resolve, fut)
            try:
                await fut
            finally:
                loop.remove_writer(fd)
            return ready_w

        def _unwatch(self) -> None:
            watcher = self._watcher
            if watcher is not None:
                watcher.unwatch()

        async def close(self) -> None:
            self._unwatch()
            await super().close()

        def finish(self) -> None:
            """Close the link now (libpq ``PQfinish``), unregistering its socket first."""
            self._unwatch()
            self.pgconn.finish()

    _classes[id(psycopg)] = WatchedAsyncConnection
    return WatchedAsyncConnection
