"""The transaction's operations: BEGIN, COMMIT, ROLLBACK and savepoints.

When the transaction begins. The database transaction begins (:func:`begin_tx`) before
the session's first statement — except for reads on a backend where each statement of a
transaction reads the data committed when it starts (``Dialect.statement_snapshots``:
PostgreSQL at its default READ COMMITTED). There, a SELECT outside a transaction sees
exactly what it would see inside one, so until its first write the session runs its
SELECTs in autocommit mode: a read-only unit of work sends only its SELECTs, and its
``commit()`` sends nothing. The transaction then begins before the first statement that
writes (a flush, a bulk write, raw SQL other than a SELECT), a query that locks rows
(``for_update``) or streams (a server-side cursor lives in a transaction), and at once on
``session.begin()`` (for a snapshot across several reads, or an isolation level) and
``begin_nested()``. Elsewhere (SQLite, whose transactions are serializable; MySQL and
MariaDB at their default REPEATABLE READ) a transaction's reads share one snapshot, which
autocommit reads would not: there the first read begins the transaction, as it always
did — and on SQLite one read transaction is also faster than a lock per statement.

What commit and rollback do to objects is documented in docs/sessions.md; the code is
:meth:`ormolu.core.state.SessionState.restore` and :func:`finish_commit`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..exceptions import CommitOutcomeUnknown, ConnectionLost, InvalidRequestError
from ..orm.state import DELETED, DETACHED, STATE_KEY
from ..protocol import Execute, Op, SetTimeout
from .begin import begin_tx
from .flush import (
    flush_op,
    insert_one_autocommitted,
    lone_insert_done,
    one_statement_flush,
)
from .journal import LAZY, Level

if TYPE_CHECKING:
    from .state import SessionState

T = TypeVar("T")


def begin(
    state: SessionState,
    mode: str | None,
    isolation_level: str | None,
    statement_timeout: float | None,
) -> Op[None]:
    """``session.begin()``: begin the transaction now. Raises InvalidRequestError if one
    is in progress and ConfigurationError for an unknown mode or level (before any SQL)."""
    state.check_open()
    if state.in_tx or len(state.levels) > 1:
        raise InvalidRequestError(
            "a transaction is already in progress; use begin_nested() for a savepoint"
        )
    state.dialect.begin_statements(mode, isolation_level)  # validates
    state.begin_mode, state.isolation_level = mode, isolation_level
    try:
        if statement_timeout is not None:
            state.tx_timeout = statement_timeout
            yield SetTimeout(statement_timeout)
        yield from begin_tx(state)
    except BaseException:
        state.begin_mode = state.isolation_level = state.tx_timeout = None
        raise


def commit(state: SessionState) -> Op[None]:
    """Flush, then COMMIT. Raises the flush's error (nothing committed; the session
    as before the flush) or CommitOutcomeUnknown when the connection is lost after
    COMMIT was sent."""
    state.check_open()
    # One row to write and no transaction open: the statement commits by itself in
    # autocommit mode, one round trip instead of three.
    autocommit = not state.in_tx and one_statement_flush(state)
    done = False
    if autocommit and state.new:
        done = yield from insert_one_autocommitted(state)
    if not done:
        yield from flush_op(state, autocommit)
    if state.in_tx:
        try:
            yield Execute("COMMIT")
        except ConnectionLost as error:
            state.in_tx = False
            if getattr(error, "unsent", False):
                raise  # the connection was gone before COMMIT: nothing was committed
            outcome_unknown(state)
            raise CommitOutcomeUnknown(
                "the connection was lost after COMMIT was sent: the transaction may or may "
                "not have been committed; the session's objects are detached (see "
                f"docs/sessions.md, 'When the answer to COMMIT is lost'): {error}",
                sql="COMMIT",
            ) from error
        state.in_tx = False
    finish_commit(state)
    if state.tx_timeout is not None:
        state.tx_timeout = None
        yield SetTimeout(state.statement_timeout)


def finish_lone_commit(state: SessionState, obj: Any, step: Execute, reply: Any) -> None:
    """After :func:`~ormolu.core.flush.lone_insert_commit`'s statement succeeded: what
    :func:`commit` does
    after it (the object persistent, the levels reset)."""
    lone_insert_done(state, obj, step, reply)
    finish_commit(state)


def finish_commit(state: SessionState) -> None:
    """After COMMIT: objects deleted in the transaction are detached, lazy journal entries
    closed, the levels reset. Objects keep their values (they match what was written)."""
    if state.commit_walk:
        for level in state.levels:
            for entry in level.journal.values():
                if entry.values is LAZY:
                    st = entry.state
                    assert st is not None
                    st.original = None
                else:
                    st = entry.obj.__dict__.get(STATE_KEY)
                if st is not None and st.status == DELETED:
                    st.status = DETACHED
                    st.session = None
    tx_timeout = state.tx_timeout
    state.reset_levels()
    state.tx_timeout = tx_timeout  # (commit resets it with a SetTimeout step)


def outcome_unknown(state: SessionState) -> None:
    """After a lost COMMIT answer: every object is detached as it is (new ones keep the
    keys their INSERTs gave them), since the session cannot know what the database
    holds."""
    finish_commit(state)
    for obj in list(state.new.values()):
        state.expunge(obj)
    state.detach_all()
    state.links.clear()


def nothing_to_end(state: SessionState) -> bool:
    """Whether commit or rollback would send nothing and change no object: no database
    transaction, no pending change or deferred load, no journal (the front ends then skip
    the operation; a unit of work of reads only ends for free)."""
    if state.in_tx or state.new or state.dirty or state.deleted or state.links:
        return False
    if state.deferred or state.tx_timeout is not None or state.commit_walk:
        return False
    levels = state.levels
    return len(levels) == 1 and not levels[0].journal and not levels[0].loaded


def rollback(state: SessionState) -> Op[None]:
    """ROLLBACK (if the transaction began), and put every object touched in the
    transaction back as it was before it; objects loaded after its first write are
    expired. A lost connection is no error here: the server ended the transaction."""
    if state.closed:
        return
    try:
        if state.in_tx:
            try:
                yield Execute("ROLLBACK")
            except ConnectionLost:
                pass  # the server already ended the transaction with the connection
    finally:
        state.in_tx = False
        state.links.clear()
        state.deferred.clear()
        for level in reversed(state.levels):
            state.restore(level)
        tx_timeout = state.tx_timeout
        state.reset_levels()
    if tx_timeout is not None:
        yield SetTimeout(state.statement_timeout)


# -- savepoints --------------------------------------------------------------------------
def begin_nested(state: SessionState) -> Op[Level]:
    """Flush, then SAVEPOINT: the new level (innermost from now on)."""
    state.check_open()
    yield from flush_op(state)
    state.materialize_lazy()
    yield from begin_tx(state)
    state.savepoint_seq += 1
    name = f"ormolu_sp_{state.savepoint_seq}"
    yield Execute("SAVEPOINT " + state.dialect.quote(name))
    level = Level(name)
    state.levels.append(level)
    return level


def release_savepoint(state: SessionState, level: Level) -> Op[None]:
    """Flush, then RELEASE SAVEPOINT: the level's changes join the enclosing level."""
    if state.levels[-1] is not level:
        raise InvalidRequestError("savepoints must be released innermost first")
    yield from flush_op(state)
    assert level.savepoint is not None
    yield Execute("RELEASE SAVEPOINT " + state.dialect.quote(level.savepoint))
    state.levels.pop()
    level.merge_into(state.levels[-1])


def rollback_savepoint(state: SessionState, level: Level) -> Op[None]:
    """ROLLBACK TO SAVEPOINT (and release it); the objects the level touched are put
    back as they were when it began, those it loaded after writing are expired."""
    if state.levels[-1] is not level:
        raise InvalidRequestError("savepoints must be rolled back innermost first")
    assert level.savepoint is not None
    name = state.dialect.quote(level.savepoint)
    try:
        yield Execute("ROLLBACK TO SAVEPOINT " + name)
        yield Execute("RELEASE SAVEPOINT " + name)
    finally:
        state.levels.pop()
        state.links.clear()  # (begin_nested flushed: every pending link is the level's)
        state.restore(level)


def atomic_write(
    state: SessionState, body: Op[Any], touched: Any = (), one_statement: bool = False
) -> Op[Any]:
    """Run ``body`` (statements that write) so that all of it or nothing is written.

    Inside a savepoint when the transaction already holds writes (for ``one_statement``,
    which is atomic by itself, only where a failed statement aborts the transaction);
    otherwise a failure rolls the (read-only so far) transaction back. ``touched`` objects
    get back their values if it fails. Returns what ``body`` returns."""
    state.materialize_lazy()
    prior_writes = len(state.levels) > 1 or any(lv.has_writes for lv in state.levels)
    yield from begin_tx(state)
    savepoint = None
    if prior_writes and (not one_statement or state.dialect.failed_statement_aborts_transaction):
        state.savepoint_seq += 1
        savepoint = state.dialect.quote(f"ormolu_write_{state.savepoint_seq}")
        yield Execute("SAVEPOINT " + savepoint)
    root = state.levels[-1]
    level = Level()
    for o in touched:
        level.touch(o)
    state.levels.append(level)
    try:
        result = yield from body
    except BaseException:
        state.levels.pop()
        try:
            if savepoint is not None:
                yield Execute("ROLLBACK TO SAVEPOINT " + savepoint)
                yield Execute("RELEASE SAVEPOINT " + savepoint)
            elif state.in_tx and not prior_writes:
                yield Execute("ROLLBACK")
                state.in_tx = False
        finally:
            state.restore(level)
        raise
    state.levels.pop()
    if savepoint is not None:
        yield Execute("RELEASE SAVEPOINT " + savepoint)
    level.has_writes = True
    level.merge_into(root)
    return result


def in_transaction(state: SessionState, op: Op[T]) -> Op[T]:
    """``op`` (a user's operation, ``session.run``) inside the session's transaction,
    begun first; it may write, so a later failed flush keeps to its own savepoint."""
    state.check_open()
    yield from begin_tx(state)
    state.levels[-1].has_writes = True
    return (yield from op)
