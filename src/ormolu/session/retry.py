"""Retrying transactions: ``db.transaction(retries=3)`` reruns a unit of work, in a fresh
session each attempt, when the database refused it for a reason that another attempt can
overcome — a serialization failure or a deadlock.

Three shapes, one policy (:class:`RetryPolicy`):

* a decorator, ``@db.transaction(retries=3)`` on ``def work(s, ...)``: each call runs
  ``work`` with a new session, commits, and returns what ``work`` returned;
* a loop, ``for attempt in db.transaction(retries=3): with attempt as s: ...``: Python
  cannot rerun a ``with`` block, so the loop reruns it (as tenacity's ``for attempt in
  Retrying()`` does for any code); the ``with`` block commits when it ends normally;
* a plain ``with db.transaction() as s:`` (no retries): one attempt, for symmetry. With
  ``retries`` above 0 that shape raises TypeError rather than silently not retrying.

The async front end has the same shapes (``async for``, ``async with``, a decorator of
coroutine functions): :class:`AsyncRetryingTransaction`.

Backoff: before attempt ``n + 1`` the helper sleeps a random time between 0 and
``min(max_backoff, backoff * 2 ** (n - 1))`` seconds ("full jitter", AWS Architecture
Blog, "Exponential Backoff And Jitter", 2015): concurrent losers of one conflict spread
out instead of colliding again in step.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import random
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from ..exceptions import (
    CommitOutcomeUnknown,
    ConfigurationError,
    DeadlockDetected,
    InvalidRequestError,
    PendingRollbackError,
    SerializationFailure,
)

if TYPE_CHECKING:
    from ..async_engine import AsyncDatabase
    from ..engine import Database
    from .async_session import AsyncSession
    from .session import Session

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger("ormolu.retry")

RETRYABLE: tuple[type[BaseException], ...] = (SerializationFailure, DeadlockDetected)


@dataclass(frozen=True)
class RetryPolicy:
    """When to rerun a transaction, and how long to wait first.

    ``retries``: how many times to rerun after the first attempt (``retries=3``: at most
    4 attempts). ``backoff``: the cap of the first wait, seconds; ``max_backoff``: the
    largest cap, seconds. ``retry_on``: the errors that rerun the unit of work (default
    SerializationFailure and DeadlockDetected). A PendingRollbackError counts as the
    error that failed the transaction (its ``__cause__``). CommitOutcomeUnknown is never
    retried, whatever ``retry_on`` says: the first attempt may have been committed.
    """

    retries: int = 0
    backoff: float = 0.05
    max_backoff: float = 2.0
    retry_on: tuple[type[BaseException], ...] = RETRYABLE

    def __post_init__(self) -> None:
        if type(self.retries) is not int or self.retries < 0:
            raise ConfigurationError(f"retries must be an int >= 0, got {self.retries!r}")
        for name in ("backoff", "max_backoff"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ConfigurationError(f"{name} must be seconds >= 0, got {value!r}")
        if not all(isinstance(c, type) and issubclass(c, BaseException) for c in self.retry_on):
            raise ConfigurationError(f"retry_on must be exception classes, got {self.retry_on!r}")

    def retryable(self, error: BaseException) -> bool:
        """Whether ``error`` ends an attempt that another attempt may get past."""
        if isinstance(error, PendingRollbackError) and error.__cause__ is not None:
            error = error.__cause__
        if isinstance(error, CommitOutcomeUnknown):
            return False
        return isinstance(error, self.retry_on)

    def delay(self, failed: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after attempt number ``failed`` (1-based) failed: uniform in
        ``[0, min(max_backoff, backoff * 2 ** (failed - 1))]``."""
        cap = min(float(self.max_backoff), self.backoff * 2.0 ** min(failed - 1, 60))
        return cap * rng()


def _policy(
    retries: int,
    backoff: float,
    max_backoff: float,
    retry_on: tuple[type[BaseException], ...] | None,
) -> RetryPolicy:
    return RetryPolicy(retries, backoff, max_backoff, RETRYABLE if retry_on is None else retry_on)


class _Shared:
    """What the sync and async helpers share: the policy, the session options and the
    bookkeeping of attempts."""

    def __init__(
        self,
        db: Any,
        policy: RetryPolicy,
        isolation_level: str | None,
        mode: str | None,
        session_options: dict[str, Any],
    ) -> None:
        if isolation_level is not None:
            db.dialect.check_isolation_level(isolation_level)  # a bad level fails now
        self.db = db
        self.policy = policy
        self.isolation_level = isolation_level
        self.mode = mode
        self.session_options = session_options
        self._single: Any = None  # the session of a plain ``with``

    def _refuse_block(self) -> None:
        if self.policy.retries:
            raise TypeError(
                "a 'with' block cannot be rerun: retry it as 'for attempt in "
                "db.transaction(retries=...): with attempt as s: ...', or decorate a "
                "function taking the session with @db.transaction(retries=...)"
            )

    def _note(self, number: int, error: BaseException) -> float:
        wait = self.policy.delay(number)
        log.info(
            "transaction attempt %d of %d failed (%s: %s); retrying in %.3f s",
            number, self.policy.retries + 1, type(error).__name__, error, wait,
        )  # fmt: skip
        return wait

    def _can_retry(self, number: int, error: BaseException) -> bool:
        return number <= self.policy.retries and self.policy.retryable(error)


def _warn_lost(attempt: Any) -> None:
    """The loop was left (``break``, ``return``, an error after the ``with`` block) after
    an attempt that failed with a retryable error held back for the next attempt: say so
    loudly, since nothing of that attempt was committed."""
    if attempt is not None and attempt.failed is not None and attempt.exited:
        message = (
            f"attempt {attempt.number} of a retried transaction failed ({attempt.failed!r}) "
            f"and the loop was left before the next attempt: nothing of it was committed. "
            f"End the 'with attempt' block normally (no break or return inside the loop)"
        )
        log.error(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


# -- the sync front end --------------------------------------------------------------------
class Attempt:
    """One attempt of a retried transaction: ``with attempt as s:`` opens a new session
    (in the transaction's isolation level), commits it when the block ends normally and
    rolls it back on an exception. A retryable error — raised in the block or by its
    COMMIT — is held back (the ``with`` statement does not raise it) while attempts
    remain, and the loop runs the next attempt; the last one's error propagates.

    Attributes: ``number`` (1-based), ``session`` (while in the block), ``failed`` (the
    retryable error that ended it, else ``None``).
    """

    __slots__ = ("entered", "exited", "failed", "helper", "number", "session")

    def __init__(self, helper: RetryingTransaction, number: int) -> None:
        self.helper = helper
        self.number = number
        self.session: Session | None = None
        self.failed: BaseException | None = None
        self.entered = self.exited = False

    def __enter__(self) -> Session:
        if self.entered:
            raise InvalidRequestError("an attempt is entered once; the loop makes the next")
        self.entered = True
        self.session = self.helper._open()
        return self.session

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.exited = True
        s, self.session = self.session, None
        assert s is not None
        error = e
        try:
            if e is None:
                try:
                    s.commit()
                except BaseException as commit_error:
                    error = commit_error
                    if not self.helper._can_retry(self.number, commit_error):
                        raise
            else:
                s.rollback()
        finally:
            s.close()
        if error is not None and self.helper._can_retry(self.number, error):
            self.failed = error
            return True  # the loop runs the next attempt
        return False


class RetryingTransaction(_Shared):
    """What :meth:`Database.transaction` returns: a decorator, an iterable of
    :class:`Attempt` objects, and (without retries) a context manager. See the module
    docstring and docs/sessions.md, "Retrying transactions".

    Example::

        @db.transaction(retries=5, isolation_level="SERIALIZABLE")
        def bump(s: Session, name: str) -> int:
            counter = s.query(Counter).filter_by(name=name).one()
            counter.value += 1
            return counter.value

        for attempt in db.transaction(retries=5, isolation_level="SERIALIZABLE"):
            with attempt as s:
                s.query(Counter).filter_by(name="hits").one().value += 1
    """

    db: Database

    def _open(self) -> Session:
        s = self.db.session(**self.session_options)
        if self.isolation_level is not None or self.mode is not None:
            try:
                s.begin(self.mode, isolation_level=self.isolation_level)
            except BaseException:
                s.close()
                raise
        return s

    def __iter__(self) -> Iterator[Attempt]:
        attempt: Attempt | None = None
        try:
            for number in range(1, self.policy.retries + 2):
                attempt = Attempt(self, number)
                yield attempt
                if not attempt.entered:
                    raise InvalidRequestError(
                        "each attempt must be used as 'with attempt as s:' (the loop ran "
                        "its body without entering the attempt)"
                    )
                if attempt.failed is None:
                    return
                time.sleep(self._note(number, attempt.failed))
        except GeneratorExit:
            _warn_lost(attempt)
            raise

    def __call__(self, fn: Callable[Concatenate[Session, P], T]) -> Callable[P, T]:
        if inspect.iscoroutinefunction(fn):
            raise TypeError(
                f"{fn.__name__} is a coroutine function: decorate it with an "
                f"AsyncDatabase's transaction()"
            )

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            number = 1
            while True:
                s = self._open()
                try:
                    try:
                        result = fn(s, *args, **kwargs)
                    except BaseException:
                        s.rollback()
                        raise
                    s.commit()
                    return result
                except BaseException as error:
                    if not self._can_retry(number, error):
                        raise
                    wait = self._note(number, error)
                finally:
                    s.close()
                time.sleep(wait)
                number += 1

        return run

    def __enter__(self) -> Session:
        self._refuse_block()
        if self._single is not None:
            raise InvalidRequestError("this transaction() is already in use; call it again")
        self._single = self._open()
        return self._single  # type: ignore[no-any-return]

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        s, self._single = self._single, None
        s.__exit__(et, e, tb)


# -- the async front end -------------------------------------------------------------------
class AsyncAttempt:
    """One attempt of a retried async transaction: ``async with attempt as s:`` (see
    :class:`Attempt`)."""

    __slots__ = ("entered", "exited", "failed", "helper", "number", "session")

    def __init__(self, helper: AsyncRetryingTransaction, number: int) -> None:
        self.helper = helper
        self.number = number
        self.session: AsyncSession | None = None
        self.failed: BaseException | None = None
        self.entered = self.exited = False

    async def __aenter__(self) -> AsyncSession:
        if self.entered:
            raise InvalidRequestError("an attempt is entered once; the loop makes the next")
        self.entered = True
        self.session = await self.helper._open()
        return self.session

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.exited = True
        s, self.session = self.session, None
        assert s is not None
        error = e
        try:
            if e is None:
                try:
                    await s.commit()
                except BaseException as commit_error:
                    error = commit_error
                    if not self.helper._can_retry(self.number, commit_error):
                        raise
            else:
                await s.rollback()
        finally:
            await s.close()
        if error is not None and self.helper._can_retry(self.number, error):
            self.failed = error
            return True
        return False


class AsyncRetryingTransaction(_Shared):
    """What :meth:`AsyncDatabase.transaction` returns: a decorator of coroutine
    functions taking the session first, an async iterable of :class:`AsyncAttempt`
    objects, and (without retries) an async context manager.

    Example::

        @adb.transaction(retries=5, isolation_level="SERIALIZABLE")
        async def bump(s: AsyncSession) -> None:
            counter = await s.query(Counter).filter_by(name="hits").one()
            counter.value += 1

        async for attempt in adb.transaction(retries=5):
            async with attempt as s:
                ...
    """

    db: AsyncDatabase

    async def _open(self) -> AsyncSession:
        s = self.db.session(**self.session_options)
        if self.isolation_level is not None or self.mode is not None:
            try:
                await s.begin(self.mode, isolation_level=self.isolation_level)
            except BaseException:
                await s.close()
                raise
        return s

    def __aiter__(self) -> AsyncIterator[AsyncAttempt]:
        return self._attempts()

    async def _attempts(self) -> AsyncIterator[AsyncAttempt]:
        attempt: AsyncAttempt | None = None
        try:
            for number in range(1, self.policy.retries + 2):
                attempt = AsyncAttempt(self, number)
                yield attempt
                if not attempt.entered:
                    raise InvalidRequestError(
                        "each attempt must be used as 'async with attempt as s:'"
                    )
                if attempt.failed is None:
                    return
                await asyncio.sleep(self._note(number, attempt.failed))
        except GeneratorExit:
            _warn_lost(attempt)
            raise

    def __call__(
        self, fn: Callable[Concatenate[AsyncSession, P], Awaitable[T]]
    ) -> Callable[P, Awaitable[T]]:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(
                f"{getattr(fn, '__name__', fn)!s} is not a coroutine function: an "
                f"AsyncDatabase's transaction() decorates 'async def' functions"
            )

        @functools.wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            number = 1
            while True:
                s = await self._open()
                try:
                    try:
                        result = await fn(s, *args, **kwargs)
                    except BaseException:
                        await s.rollback()
                        raise
                    await s.commit()
                    return result
                except BaseException as error:
                    if not self._can_retry(number, error):
                        raise
                    wait = self._note(number, error)
                finally:
                    await s.close()
                await asyncio.sleep(wait)
                number += 1

        return run

    async def __aenter__(self) -> AsyncSession:
        self._refuse_block()
        if self._single is not None:
            raise InvalidRequestError("this transaction() is already in use; call it again")
        self._single = await self._open()
        return self._single  # type: ignore[no-any-return]

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        s, self._single = self._single, None
        await s.__aexit__(et, e, tb)
