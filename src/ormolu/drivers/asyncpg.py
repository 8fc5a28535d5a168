"""PostgreSQL on asyncio through asyncpg (https://magicstack.github.io/asyncpg/), chosen
with ``postgresql+asyncpg://`` URLs (``AsyncDatabase`` only; asyncpg has no sync API).

Why a second PostgreSQL driver: asyncpg speaks the protocol itself (in Cython, binary
formats, statements prepared once per connection and cached), and measured faster than
psycopg's ``AsyncConnection`` on small statements (see docs/async.md). It answers every
step of the operation protocol as ``psycopg_async.py`` does, sharing its error table
and state bookkeeping (:class:`~ormolu.drivers.postgresql.PostgreSQLState`):

* Placeholders and parameter types: see :mod:`~ormolu.drivers.asyncpg_params`. Each
  value but a ``str`` is cast to the type psycopg would send it as, so the server infers
  what it infers under psycopg (the statement text is cached per SQL and value types).
  A ``str`` asyncpg refuses for the type the server inferred (``'5'`` for an integer) is
  sent again as text the server converts, cached likewise; a NUL in text is refused
  before sending, as psycopg refuses it (the server would fail the transaction).
  Placeholder errors are psycopg's, raised as the psycopg driver raises them
  (ProgrammingError, before sending: the transaction goes on).
* Rows are asyncpg ``Record`` objects, not converted: they index, unpack, compare and
  hash as tuples do, which is all the loaders use, and loading 30,000 rows as objects
  measured no faster from tuples (``RESULT`` rows, which reach the user as they are, are
  made tuples). Rowcounts are read from the command tag (``UPDATE 3``);
  an ``executemany`` UPDATE/DELETE counts its rows with ``RETURNING 1`` (asyncpg reports
  no tag for it).
* JSON: ``json``/``jsonb`` are decoded with ``json.loads`` as psycopg does (asyncpg would
  give the text); text from ormolu's JSON type is sent as it is. ``uuid`` values are
  ``uuid.UUID`` (asyncpg's are a subclass). A statement takes at most 32,767 values
  (asyncpg's limit; psycopg's is 65,535), which the dialect is told at connect time.
* Prepared statements: asyncpg's per-connection cache stays on (it is most of the
  speed); after DDL on this connection (CREATE/ALTER/DROP, or a ROLLBACK undoing some)
  asyncpg is told to forget its cached statements and types, so a changed table never
  gives "cached statement plan is invalid" (asyncpg retries that itself only outside a
  transaction). With ``?statement_cache_size=0`` (PgBouncer in transaction mode) a small
  query measured twice as slow.

Cancellation. When the task awaiting a statement is cancelled, asyncpg sends the server
a cancel request and the connection waits for the statement to end before its next
one. Here the cancellation then waits (up to 5 s) for that, learns whether it left a
failed transaction (the next statement but ROLLBACK raises PendingRollbackError, as
after any error) and re-raises; if the wait fails or is cancelled again the connection
is closed and reports ``is_broken()``. Install with ``pip install 'ormolu[asyncpg]'``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from .. import exceptions as exc
from ..protocol import (
    EMPTY,
    RESULT,
    ROWCOUNT,
    ROWS,
    CloseStream,
    Execute,
    FetchStream,
    OpenStream,
    Reply,
    SetTimeout,
)
from ..url import URL
from .asyncpg_params import (
    CACHE_SIZE,
    PlaceholderError,
    cast_for,
    connect_args,
    psycopg_casts,
    signature,
    to_dollar,
    type_name,
    typed,
)
from .base import concurrent_use, log_statement, logger, lost_before_send, secrets_of
from .postgresql import _SQLSTATE, AsyncPostgreSQLState, connect_error, statement_refused

_new = tuple.__new__
MAX_ARGUMENTS = 32767  # values in one statement (asyncpg sends the count as an int16)
_DDL = re.compile(r"\s*(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE)\b", re.IGNORECASE)
_BAD_ARG = re.compile(r"query argument \$(\d+)(?: in element #(\d+))?")
_ROWCOUNTED = re.compile(r"\s*(UPDATE|DELETE|INSERT)\b", re.IGNORECASE)
# (sql, the values' signature) -> the statement for asyncpg, with psycopg's casts
_typed: dict[tuple[str, tuple[Any, ...]], str] = {}
_STREAM = "stream"  # (for _send: open a cursor)


def _import() -> Any:
    try:
        import asyncpg  # type: ignore[import-untyped]
    except ImportError:
        raise exc.ConfigurationError(
            "postgresql+asyncpg:// needs the asyncpg driver: pip install 'ormolu[asyncpg]'"
        ) from None
    return asyncpg


def _json_out(value: Any) -> str:
    # ormolu's JSON type sends text already (the dialect has no native JSON binding)
    return value if isinstance(value, str) else json.dumps(value)


def _rowcount(status: str | bytes | None) -> int:
    """The row count of a command tag (``UPDATE 3``, ``INSERT 0 2``); -1 without one."""
    if not status:
        return -1
    text = status.decode() if isinstance(status, bytes) else status
    last = text.rpartition(" ")[2]
    return int(last) if last.isdigit() else -1


class AsyncpgConnection(AsyncPostgreSQLState):
    """An asyncpg connection with error mapping and logging; open one with
    ``await AsyncpgConnection.open(url)``."""

    def __init__(self, raw: Any, asyncpg: Any, url: URL) -> None:
        self._init_state(None, url)
        self.raw = raw
        self._asyncpg = asyncpg
        self._errors = asyncpg.exceptions
        self._secrets = secrets_of(url)
        self._schema_changed = False  # DDL in the open transaction (see _schema_change)
        self._busy = False  # a step is in flight (a second one is refused: concurrent_use)

    @classmethod
    async def open(cls, url: URL, connect_timeout: float = 10.0) -> AsyncpgConnection:
        """Connect to the server ``url`` names. Raises OperationalError (password hidden)
        when it cannot, ConfigurationError for a refused URL option."""
        asyncpg = _import()
        kwargs = connect_args(url, connect_timeout)
        raw = None
        try:
            raw = await asyncpg.connect(**kwargs)
            for name in ("json", "jsonb"):
                await raw.set_type_codec(
                    name, schema="pg_catalog", encoder=_json_out, decoder=json.loads
                )
            # uuid.UUID itself, as psycopg gives (asyncpg's own class is a subclass)
            await raw.set_type_codec(
                "uuid", schema="pg_catalog", encoder=str, decoder=uuid.UUID, format="text"
            )
        except (TimeoutError, OSError, asyncpg.PostgresError) as e:
            if raw is not None:
                raw.terminate()
            raise connect_error(e, url) from None
        except asyncpg.InterfaceError as e:
            if raw is not None:
                raw.terminate()
            raise connect_error(e, url) from None
        except BaseException:
            if raw is not None:
                raw.terminate()  # cancelled while connecting: leave no link open
            raise
        return cls(raw, asyncpg, url)

    # -- state (asyncpg's, where PostgreSQLState reads psycopg's) ------------------------
    def in_transaction(self) -> bool:
        """Whether a transaction is open (or failed and awaiting rollback)."""
        return bool(self.raw.is_in_transaction())

    def is_broken(self) -> bool:
        """Whether the connection is closed or lost."""
        return bool(self.raw.is_closed())

    def seems_alive(self) -> bool:
        """Whether the idle connection is open: asyncio reads the socket as data arrives,
        so a backend the server ended is seen closed at once (no round trip)."""
        return not self.raw.is_closed()

    def _in_failed_transaction(self) -> bool:
        # asyncpg does not expose the failed state; a server error inside a transaction
        # block always fails it (PostgreSQL manual, 3.4), so the error seen says it
        return self.in_transaction()

    def _refuse(self, sql: str) -> None:
        failed = self._failed
        if failed is not None and not sql.startswith("ROLLBACK"):
            raise exc.PendingRollbackError(
                f"the transaction failed at an earlier statement ({failed}) and PostgreSQL "
                f"refuses every statement but ROLLBACK until it ends; call session.rollback()"
            ) from failed
        if sql == "COMMIT" and self.raw.is_closed():
            raise lost_before_send(sql)

    def _map(self, error: Any, sql: str) -> exc.DatabaseError:
        """Translate an asyncpg error into ormolu's hierarchy (the caller chains it)."""
        errors = self._errors
        state = getattr(error, "sqlstate", None) or ""
        message = str(error).strip() or type(error).__name__
        message = self._clean(message)  # (asyncpg's, like psycopg's, has the DETAIL line)
        if _client_side(error):  # (asyncpg's own DataError: no SQLSTATE from the server)
            return exc.DataError(message, sql=sql)
        if isinstance(error, errors.InvalidCachedStatementError):
            message += " (the table changed under a prepared statement: retry the transaction)"
        cls = _SQLSTATE.get(state)
        if cls is None:
            if self.raw.is_closed() or isinstance(
                error, errors.ConnectionDoesNotExistError | ConnectionError | OSError
            ):
                cls = exc.ConnectionLost
            elif state.startswith("23"):
                cls = exc.IntegrityError
            elif state.startswith("22"):
                cls = exc.DataError
            elif state.startswith("42"):  # syntax error or access rule violation
                cls = exc.ProgrammingError
            elif isinstance(error, errors.InterfaceError) and "argument" in message:
                cls = exc.ProgrammingError  # the wrong number of values for the statement
            else:
                cls = exc.OperationalError
        return cls(message, sql=sql, code=state or None)

    def _failure(self, error: Exception, sql: str) -> exc.DatabaseError:
        mapped = self._map(error, sql)
        if self.raw.is_closed():
            return mapped  # (no transaction left to fail: the link is gone)
        if isinstance(error, self._errors.PostgresError) and not _client_side(error):
            return self._failed_by(mapped)
        return mapped  # refused before sending: the transaction is as it was

    # -- running steps -----------------------------------------------------------------
    async def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`)
        and read back what it wants. Raises the mapped ormolu error."""
        if self._busy:  # (asyncpg would say "another operation is in progress")
            raise concurrent_use(step)
        if type(step) is not Execute:
            return await self._run_other(step)
        self._refuse(step.sql)
        started = time.perf_counter()
        self._busy = True
        try:
            if self._timeout_applied != self.statement_timeout:
                await self._apply_timeout()
            return await self._execute(step)
        except asyncio.CancelledError:
            await self._after_cancel()
            raise
        finally:
            self._busy = False
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(step.sql, step.params, started, step.many)

    async def _execute(self, step: Execute) -> Reply:
        sql, params, many, want, limit = step
        query, key = _checked_statement(sql, params, many)
        try:
            try:
                reply = await self._send(query, params, many, want, limit)
            except self._errors.DataError as e:
                reply = await self._send_retyped(e, sql, key, params, many, want, limit)
        except (self._errors.PostgresError, self._errors.InterfaceError, OSError) as e:
            raise self._failure(e, sql) from e
        if sql[:1] in "CADGRcadgr" and _DDL.match(sql):
            await self._schema_change()
        elif sql.startswith("ROLLBACK"):
            self._succeeded(sql)
            if self._schema_changed:
                await self._schema_change()
        return reply

    async def _send_retyped(
        self, error: Any, sql: str, key: Any, params: Any, many: bool, want: str, limit: int
    ) -> Reply:
        """Send the statement again with a cast around each value asyncpg refused (see
        :mod:`~ormolu.drivers.asyncpg_params`); the result is cached under ``key``.
        Raises the last refusal when no cast helps (the value is wrong for its column)."""
        pieces = to_dollar(sql)
        casts = psycopg_casts(params[0] if many else params)
        query = typed(pieces, casts)
        for _ in casts:
            found = _BAD_ARG.search(str(error)) if _client_side(error) else None
            if found is None or key is None:
                raise error
            index = int(found.group(1))
            value = (params[int(found.group(2))] if many else params)[index - 1]
            kinds = (await self.raw.prepare(query)).get_parameters()
            cast = cast_for(value, type_name(kinds[index - 1]))
            if cast is None or cast == casts[index - 1]:  # (no cast, or it did not help)
                raise error
            casts[index - 1] = cast
            query = typed(pieces, casts)
            try:
                reply = await self._send(query, params, many, want, limit)
            except self._errors.DataError as e:
                error = e
                continue
            _typed[key] = query
            return reply
        raise error

    async def _send(
        self, query: str, params: Sequence[Any], many: bool, want: str, limit: int
    ) -> Reply:
        raw = self.raw
        if want is _STREAM:
            return Reply([], handle=await raw.cursor(query, *params))
        if many:
            if want == ROWCOUNT:
                return _new(Reply, ((), await self._count_many(query, params), None, (), None))
            await raw.executemany(query, params)
            return EMPTY
        if want == ROWS:
            if limit:
                rows = await raw._execute(query, params, limit, None)
            else:
                rows = await raw.fetch(query, *params)
            return _new(Reply, (rows, -1, None, (), None))
        if want == ROWCOUNT:
            return _new(Reply, ((), _rowcount(await raw.execute(query, *params)), None, (), None))
        if want == RESULT:
            rows, status, _ = await raw._execute(query, params, 0, None, return_status=True)
            if rows:
                names = tuple(rows[0].keys())
            else:
                names = tuple(a.name for a in (await raw.prepare(query)).get_attributes())
            if not names:
                return Reply([], _rowcount(status))
            return Reply([tuple(r) for r in rows], _rowcount(status), None, names)
        await raw.execute(query, *params)
        return EMPTY

    async def _count_many(self, query: str, params: Sequence[Any]) -> int:
        """The rows an executemany matched: its rows of ``RETURNING 1`` (pipelined, one
        round trip) for a plain UPDATE/DELETE/INSERT, else one statement at a time."""
        if _ROWCOUNTED.match(query) and "RETURNING" not in query.upper():
            return len(await self.raw.fetchmany(query + " RETURNING 1", params))
        total = 0
        for row in params:
            total += max(0, _rowcount(await self.raw.execute(query, *row)))
        return total

    async def _schema_change(self) -> None:
        """After DDL, or a ROLLBACK that may undo some: make asyncpg forget its prepared
        statements and types, which may name what changed (no round trip)."""
        self._schema_changed = self.in_transaction()  # (a ROLLBACK may still undo it)
        await self.raw.reload_schema_state()

    async def _after_cancel(self) -> None:
        """After a cancellation inside a wait: let the statement end (asyncpg has asked
        the server to cancel it), note a failed transaction; close the link if that
        fails or takes over 5 s (see the module docstring)."""
        try:
            async with asyncio.timeout(5):
                if self.in_transaction():
                    # the answer to this one tells whether the cancel failed the block
                    await self.raw.execute("SELECT 1")
                else:
                    await self.raw.execute("")
        except self._errors.InFailedSQLTransactionError:
            self._failed = exc.OperationalError(
                "the statement was cancelled (its task was cancelled)"
            )
        except BaseException:
            self.terminate()

    async def _run_other(self, step: Any) -> Reply:
        if type(step) is SetTimeout:
            self.set_statement_timeout(step.seconds)
            return EMPTY
        self._busy = True
        try:
            if type(step) is OpenStream:
                return Reply([], handle=await self._open_stream(step.sql, step.params))
            if type(step) is FetchStream:
                try:
                    return Reply(await step.handle.fetch(step.size))
                except (self._errors.PostgresError, self._errors.InterfaceError) as e:
                    raise self._failure(e, "(fetching a streamed result)") from e
            if type(step) is CloseStream:
                close = getattr(step.handle, "_close_portal", None)  # (no public close)
                if close is not None and step.handle._portal_name and self.in_transaction():
                    try:
                        await close(None)
                    except (self._errors.PostgresError, self._errors.InterfaceError):
                        pass  # the transaction (and the cursor with it) already ended
                return EMPTY
        except asyncio.CancelledError:
            await self._after_cancel()
            raise
        finally:
            self._busy = False
        raise TypeError(f"not a step of the operation protocol: {step!r}")

    async def _open_stream(self, sql: str, params: Sequence[Any]) -> Any:
        """A cursor (a portal of the open transaction), so rows arrive as fetched."""
        self._refuse(sql)
        if self._timeout_applied != self.statement_timeout:
            await self._apply_timeout()
        started = time.perf_counter()
        query, key = _checked_statement(sql, params, False)
        try:
            try:
                return (await self._send(query, params, False, _STREAM, 0)).handle
            except self._errors.DataError as e:
                retried = await self._send_retyped(e, sql, key, params, False, _STREAM, 0)
                return retried.handle
        except (self._errors.PostgresError, self._errors.InterfaceError) as e:
            raise self._failure(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, params, started)

    async def _apply_timeout(self) -> None:
        sql = self._timeout_sql()
        try:
            await self.raw.execute(sql)
        except (self._errors.PostgresError, self._errors.InterfaceError) as e:
            raise self._failure(e, sql) from e
        self._timeout_applied = self.statement_timeout

    async def ping(self) -> bool:
        """Check the connection with ``SELECT 1``."""
        try:
            await self.raw.execute("SELECT 1")
            return True
        except (self._errors.PostgresError, self._errors.InterfaceError, OSError):
            return False
        except asyncio.CancelledError:
            self.terminate()
            raise

    async def close(self) -> None:
        """Close the connection (a Terminate message, then the socket)."""
        try:
            await self.raw.close(timeout=5)
        except asyncio.CancelledError:
            self.terminate()
            raise
        except Exception:
            self.terminate()

    def terminate(self) -> None:
        """Close the connection now, without waiting for anything."""
        try:
            self.raw.terminate()
        except Exception:
            pass


def _client_side(error: Any) -> bool:
    """Whether asyncpg refused the statement's values before sending it."""
    return str(error).startswith("invalid input for query argument")


class _NulError(ValueError):
    """A text value holding NUL, refused before sending as psycopg refuses it (the server
    would fail the transaction with 22021)."""


def _has_nul(params: Any, many: bool) -> bool:
    rows = params if many else (params,)
    return any(type(v) is str and "\x00" in v for row in rows for v in row)


def _checked_statement(sql: str, params: Any, many: bool) -> tuple[str, Any]:
    """:func:`_statement`, its refusals raised as the ormolu errors the psycopg driver
    raises for them: ProgrammingError for placeholders, DataError for NUL in text."""
    try:
        return _statement(sql, params, many)
    except PlaceholderError as e:
        raise statement_refused(str(e), sql) from e
    except _NulError as e:
        raise exc.DataError(str(e), sql=sql) from e


def _statement(sql: str, params: Any, many: bool) -> tuple[str, Any]:
    """``sql`` for asyncpg (``$n`` placeholders, psycopg's casts for ``params``, or for a
    batch its first row), and its key in the cache of typed statements (None: it has no
    placeholders). Raises PlaceholderError as psycopg would."""
    pieces = to_dollar(sql)
    values = params[0] if many and params else params
    if len(pieces) - 1 != len(values) and not (many and not params):
        raise PlaceholderError(
            f"the query has {len(pieces) - 1} placeholders but {len(values)} parameters were passed"
        )
    if len(pieces) == 1:
        return pieces[0], None
    sig = signature(values)
    if str in sig and _has_nul(params, many):
        raise _NulError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    key = (sql, sig)
    query = _typed.get(key)
    if query is None:
        if len(_typed) >= CACHE_SIZE:
            _typed.clear()
        query = _typed[key] = typed(pieces, psycopg_casts(values))
    return query, key
