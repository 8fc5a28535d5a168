"""What every driver connection offers the session, and SQL logging.

Statements are logged on the standard ``logging`` logger ``ormolu.sql`` at DEBUG level
(off unless configured): the SQL text, the parameters and the time taken in milliseconds.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .. import exceptions as exc
from ..collector import without_gc

if TYPE_CHECKING:
    from ..protocol import Reply

logger = logging.getLogger("ormolu.sql")
T = TypeVar("T")


class DriverConnection(Protocol):
    """One open database connection, used by one session at a time. ``run`` executes one
    step of the operation protocol (:mod:`ormolu.protocol`) and returns its reply; no
    cursor leaves the driver. Errors are raised as ormolu's exceptions."""

    statement_timeout: float | None

    def run(self, step: Any) -> Reply: ...
    def setup(self, sql: str) -> None: ...
    def in_transaction(self) -> bool: ...
    def reset(self) -> None: ...
    def is_broken(self) -> bool: ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...


class AsyncDriverConnection(Protocol):
    """The asyncio counterpart of :class:`DriverConnection`: the same surface, awaitable
    where it does I/O, and ``terminate()``, which closes the link at once without
    waiting (for the pool's clean-up when a task is cancelled).

    A cancellation (``asyncio.CancelledError``) in the middle of ``run`` leaves the
    connection either usable, the statement finished or cancelled on the server, or
    marked broken (``is_broken()``); each driver module says which it does when."""

    statement_timeout: float | None

    async def run(self, step: Any) -> Reply: ...
    async def setup(self, sql: str) -> None: ...
    def in_transaction(self) -> bool: ...
    async def reset(self) -> None: ...
    def is_broken(self) -> bool: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...
    def terminate(self) -> None: ...


def concurrent_use(step: Any) -> exc.InvalidRequestError:
    """The error for a step sent while another is in flight on the same connection: two
    tasks awaiting one session (or two threads in one sync session) at once. A session
    serves one task or thread at a time, like a DB-API connection (PEP 249,
    threadsafety).

    Example: ``if self._busy: raise concurrent_use(step)`` at the top of a driver's
    ``run``."""
    sql = getattr(step, "sql", None)
    what = f" ({sql[:60]!r})" if sql else ""
    return exc.InvalidRequestError(
        f"a statement{what} was sent while another is still running on the same "
        "connection: one session is being used by two tasks (or threads) at once; give "
        "each its own session (with db.session() as s: ..., async with for asyncio)"
    )


def placeholder_mismatch(
    sql: str, placeholders: int | None, given: int | None, detail: str = ""
) -> exc.ProgrammingError:
    """The ProgrammingError for a statement whose placeholders do not match the values
    given (a wrong count, or another paramstyle's placeholders: ``$1`` or ``?`` where the
    driver reads ``%s``), raised alike by every driver. The driver refused it before
    sending anything, so the transaction goes on as it was.

    The message names the statement's start and both counts when they are known, else
    the driver's ``detail``. Example: ``placeholder_mismatch("SELECT %s, %s", 2, 1)``
    says ``the statement 'SELECT %s, %s' has 2 placeholders but 1 parameters were
    given``."""
    start = sql if len(sql) <= 60 else sql[:57] + "..."
    if placeholders is not None and given is not None:
        message = (
            f"the statement {start!r} has {placeholders} placeholders but {given} "
            f"parameters were given"
        )
    else:
        message = f"the statement {start!r} has placeholders that do not fit its parameters"
    if detail:
        message += f" ({detail})"
    return exc.ProgrammingError(message, sql=sql)


def lost_before_send(sql: str) -> Any:
    """The ConnectionLost for a statement not sent because the connection was already
    gone (``unsent``: so COMMIT's caller knows nothing was committed)."""
    from ..exceptions import ConnectionLost

    error = ConnectionLost("the connection was lost before this statement", sql=sql)
    error.unsent = True  # type: ignore[attr-defined]
    return error


def socket_quiet(fd: int) -> bool:
    """Whether nothing can be read from socket ``fd`` right now (no waiting: one
    ``select`` call, no network round trip). An idle database connection receives nothing
    unless the server ended it, in which case its error message or end of stream is
    readable; ``False`` also when the descriptor is unusable."""
    try:
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def secrets_of(url: Any) -> list[str]:
    """The secret strings of a URL: its password and any ``*password*`` option's value."""
    found = [url.password] if url.password else []
    found += [v for k, v in url.options.items() if "password" in k.lower() and v]
    return found


def hide_secrets(message: str, secrets: list[str]) -> str:
    """``message`` with every secret replaced by ``***``."""
    for secret in secrets:
        message = message.replace(secret, "***")
    return message


def log_statement(sql: str, params: Any, started: float, many: bool = False) -> None:
    """Log one executed statement with its duration (milliseconds)."""
    ms = (time.perf_counter() - started) * 1000
    if many:
        logger.debug("%s  [%d rows of parameters]  (%.3f ms)", sql, len(params), ms)
    else:
        logger.debug("%s  %r  (%.3f ms)", sql, tuple(params), ms)


def _step(coro: Any) -> tuple[bool, Any]:
    try:
        coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, None


async def fetched_without_gc(fetch: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``await fetch()`` with the collector paused (see :mod:`ormolu.collector`), for a
    driver's reading of a result that has already arrived but is offered as a coroutine
    (psycopg's ``AsyncCursor.fetchall``): the coroutine is run to its end without
    yielding to the event loop. One that would wait is abandoned before it has read
    anything and awaited again as usual, so the pause never spans a wait."""
    coro = fetch()
    done, value = without_gc(_step, coro)
    if done:
        return value  # type: ignore[no-any-return]
    coro.close()
    return await fetch()
