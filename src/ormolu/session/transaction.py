"""``Transaction``: the context manager ``session.begin()`` and ``begin_nested()`` return."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from ..core import transaction as tx
from ..exceptions import InvalidRequestError

if TYPE_CHECKING:
    from ..core.journal import Level
    from .session import Session


class Transaction:
    """The transaction begun by ``session.begin()`` (``level`` ``None``) or the savepoint
    of ``session.begin_nested()``: leaving the ``with`` block normally commits it (or
    releases the savepoint), an exception rolls it back and propagates.

    Example::

        with s.begin_nested():
            s.add(Track(...))   # undone alone if this block raises
    """

    __slots__ = ("done", "level", "session")

    def __init__(self, session: Session, level: Level | None) -> None:
        self.session = session
        self.level = level  # None for the root transaction
        self.done = False

    def commit(self) -> None:
        """Commit the transaction / release the savepoint. Raises InvalidRequestError when
        it is already finished."""
        if self.done:
            raise InvalidRequestError("this transaction is already finished")
        self.done = True
        if self.level is None:
            self.session.commit()
        else:
            self.session._run(tx.release_savepoint(self.session.state, self.level))

    def rollback(self) -> None:
        """Roll back the transaction / roll back to the savepoint. Raises
        InvalidRequestError when it is already finished."""
        if self.done:
            raise InvalidRequestError("this transaction is already finished")
        self.done = True
        if self.level is None:
            self.session.rollback()
        else:
            self.session._run(tx.rollback_savepoint(self.session.state, self.level))

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
