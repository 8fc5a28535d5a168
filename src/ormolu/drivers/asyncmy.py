"""MySQL and MariaDB on asyncio through asyncmy (https://github.com/long2ice/asyncmy).

Why asyncmy over aiomysql (see also pyproject.toml): both are ports of PyMySQL to
asyncio, but asyncmy parses the protocol in Cython and measured here 1.5 times as fast
on small queries and 8 to 9 times as fast on a 50,000-row result (buffered or streamed);
it is released often (0.2.12 to 0.2.18 rewrote its I/O layer and fixed cancellation and
closing), while aiomysql 0.3.2 cannot bind a ``bytes`` value with PyMySQL 1.2 (it imports
a helper PyMySQL removed) and depends on PyMySQL's internals.

The connection is set up as the sync one (``mysql.py``: utf8mb4, UTC, strict mode,
``CLIENT.FOUND_ROWS``, the same URL options, the same error table). Unlike PyMySQL,
asyncmy reads the warnings of a statement that has some (one more round trip) and logs
them on the ``asyncmy`` logger at WARNING; notes are not counted here (``sql_notes = 0``),
so DDL's "Unknown table" notes cost nothing. Cancellation: a
cancelled read leaves the MySQL protocol out of step (the rest of the answer is still
coming), which asyncmy answers by closing the link (``_close_on_cancel``); here any
cancellation inside a statement closes the connection, so it reports ``is_broken()``
and a pool discards it. The server would go on running the statement until it ends
(it notices a closed link only when it next writes to it), holding its locks, so before
re-raising ``CancelledError`` a second, short-lived connection sends ``KILL`` for the
first one's thread (bounded to 2 s; skipped if cancelled again): the statement stops
and the server rolls the transaction back. Install with ``pip install 'ormolu[asyncio]'``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from collections.abc import Sequence
from typing import Any

from .. import exceptions as exc
from ..exceptions import ConfigurationError
from ..protocol import (
    EMPTY,
    LASTROWID,
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
from .base import log_statement, logger, lost_before_send
from .mysql import (
    SETUP,
    MySQLState,
    bind_args,
    bind_error,
    connect_error,
    connect_options,
    is_bind_error,
    map_error,
)

_new = tuple.__new__
# Notes, such as DROP TABLE IF EXISTS's "Unknown table", are not counted as warnings
# (MariaDB/MySQL manual, "sql_notes"), so asyncmy sends no SHOW WARNINGS after DDL.
_NO_NOTES = "SET SESSION sql_notes = 0"
# PyMySQL's URL options that asyncmy's connect() takes under the same name.
_SAME = frozenset(
    {"connect_timeout", "read_timeout", "max_allowed_packet", "local_infile", "binary_prefix",
     "unix_socket", "charset", "init_command", "read_default_file", "read_default_group",
     "program_name", "server_public_key"}
)  # fmt: skip
_SSL = frozenset(
    {"ssl_ca", "ssl_cert", "ssl_key", "ssl_key_password", "ssl_verify_cert",
     "ssl_verify_identity", "ssl_disabled"}
)  # fmt: skip


def _import() -> Any:
    try:
        import asyncmy
        import asyncmy.constants.CLIENT
        import asyncmy.cursors
        import asyncmy.errors
    except ImportError:
        raise exc.ConfigurationError(
            "MySQL/MariaDB on asyncio needs the asyncmy driver: pip install 'ormolu[asyncio]'"
        ) from None
    return asyncmy


def async_connect_options(url: URL) -> tuple[dict[str, Any], list[str]]:
    """The URL's options (PyMySQL's names, checked as the sync driver checks them) as
    asyncmy connect() arguments, and the set-up statements some of them need.

    ``?collation=`` becomes ``SET NAMES ... COLLATE ...``; the ``ssl_*`` options become
    an ``ssl.SSLContext`` built as PyMySQL builds it. Raises ConfigurationError for an
    option asyncmy has no counterpart of (``write_timeout``, ``compress``,
    ``bind_address``)."""
    options = connect_options(url)
    kwargs: dict[str, Any] = {}
    setup: list[str] = []
    for name, value in options.items():
        if name in _SAME:
            kwargs[name] = value
        elif name == "collation":
            if not re.fullmatch(r"[A-Za-z0-9_]+", value):
                raise ConfigurationError(f"MySQL URL option 'collation' is not a name: {value!r}")
            charset = options.get("charset", "utf8mb4")
            if not re.fullmatch(r"[A-Za-z0-9_]+", charset):
                raise ConfigurationError(f"MySQL URL option 'charset' is not a name: {charset!r}")
            setup.append(f"SET NAMES {charset} COLLATE {value}")
        elif name not in _SSL:
            raise ConfigurationError(
                f"the MySQL URL option {name!r} is not supported by the asyncio driver "
                f"(asyncmy); drop it for AsyncDatabase"
            )
    context = _ssl_context(options)
    if context is not None:
        kwargs["ssl"] = context
    return kwargs, setup


def _ssl_context(options: dict[str, Any]) -> ssl.SSLContext | None:
    """The TLS context PyMySQL would build from the same ``ssl_*`` options (PyMySQL's
    ``Connection.__init__`` and ``_create_ssl_ctx``), or None for none."""
    if options.get("ssl_disabled"):
        return None
    ca, cert, key = options.get("ssl_ca"), options.get("ssl_cert"), options.get("ssl_key")
    verify_cert = options.get("ssl_verify_cert")
    verify_identity = bool(options.get("ssl_verify_identity"))
    if not (ca or cert or key or verify_cert or verify_identity):
        return None
    verify = True if verify_identity else bool(verify_cert)
    context = ssl.create_default_context(cafile=ca)
    context.check_hostname = ca is not None and verify_identity
    context.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(cert, keyfile=key, password=options.get("ssl_key_password"))
    return context


class AsyncmyConnection(MySQLState):
    """An asyncmy connection with error mapping and logging; open one with
    ``await AsyncmyConnection.open(url)``."""

    def __init__(self, raw: Any, asyncmy: Any, url: URL, kwargs: dict[str, Any]) -> None:
        self._init_state(url)
        self.raw = raw
        self._asyncmy = asyncmy
        self._errors = asyncmy.errors
        self._stream: _AsyncBufferedStream | None = None  # an open unbuffered result
        self.server_version = raw.get_server_info()
        self._thread_id = int(raw.thread_id())
        self._kwargs = kwargs  # how to reach the server again (see _kill)

    @classmethod
    async def open(cls, url: URL, connect_timeout: float = 10.0) -> AsyncmyConnection:
        """Connect and set the session up. Raises OperationalError (password hidden) when
        it cannot, ConfigurationError for a URL option refused before connecting."""
        asyncmy = _import()
        options, setup = async_connect_options(url)
        kwargs: dict[str, Any] = {
            "host": url.host or "localhost",
            "port": url.port or 3306,
            "user": url.user or "root",
            "password": url.password or "",
            "charset": "utf8mb4",
            "autocommit": True,
            "connect_timeout": connect_timeout,
            "client_flag": asyncmy.constants.CLIENT.FOUND_ROWS,
        }
        if url.database:
            kwargs["database"] = url.database
        kwargs.update(options)
        raw = None
        try:
            raw = await asyncmy.connect(**kwargs)
            cur = raw.cursor()
            for sql in (*SETUP, _NO_NOTES, *setup):
                await cur.execute(sql)
        except asyncmy.errors.Error as e:
            if raw is not None:
                raw.close()
            raise connect_error(e, url) from None
        except BaseException:
            if raw is not None:
                raw.close()  # cancelled while connecting: leave no link open
            raise
        return cls(raw, asyncmy, url, kwargs)

    def _map(self, error: Any, sql: str) -> exc.DatabaseError:
        mapped: exc.DatabaseError = map_error(
            error, sql, self._secrets, self._errors, not self.raw.connected
        )
        if type(mapped) is exc.ConnectionLost:
            self._broken = True
        return mapped

    async def run(self, step: Any) -> Reply:
        """Execute one step of the operation protocol (see :mod:`ormolu.protocol`)
        and read back what it wants. Raises the mapped ormolu error."""
        if type(step) is not Execute:
            return await self._run_other(step)
        if step.sql == "COMMIT" and self.is_broken():
            raise lost_before_send(step.sql)
        started = time.perf_counter()
        try:
            if self._stream is not None:
                await self._drain_stream()
            if self._timeout_applied != self.statement_timeout:
                await self._apply_timeout()
            return await self._execute(step)
        except asyncio.CancelledError:
            await self._kill()
            raise
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(step.sql, step.params, started, step.many)

    async def _execute(self, step: Execute) -> Reply:
        sql, params, many, want, limit = step
        cur = self.raw.cursor()
        try:
            if many:
                await cur.executemany(sql, [tuple(r) for r in params])
            else:
                query, args = bind_args(sql, params)
                await cur.execute(query, args)
                self._track(sql)
        except self._errors.Error as e:
            if params and isinstance(e, self._errors.ProgrammingError) and is_bind_error(e):
                raise bind_error(e, sql, params[0] if many else params) from e
            raise self._map(e, sql) from e
        except (TypeError, ValueError) as e:
            if not params:
                raise
            raise bind_error(e, sql, params[0] if many else params) from e
        if want == ROWS:
            rows = await cur.fetchmany(limit) if limit else await cur.fetchall()
            return _new(Reply, (list(rows), -1, None, (), None))
        if want == ROWCOUNT:
            return _new(Reply, ((), cur.rowcount, None, (), None))
        if want == LASTROWID:
            return _new(Reply, ((), cur.rowcount, cur.lastrowid, (), None))
        if want == RESULT:
            desc = cur.description
            if desc is None:
                return Reply([], cur.rowcount, cur.lastrowid)
            names = tuple(d[0] for d in desc)
            # (a result set has no generated key: None, as PyMySQL says, where asyncmy says 0)
            return Reply(list(await cur.fetchall()), cur.rowcount, None, names)
        return EMPTY

    async def _run_other(self, step: Any) -> Reply:
        if type(step) is SetTimeout:
            self.set_statement_timeout(step.seconds)
            return EMPTY
        try:
            if type(step) is OpenStream:
                return Reply([], handle=await self._open_stream(step.sql, step.params))
            if type(step) is FetchStream:
                try:
                    return Reply(await step.handle.fetchmany(step.size))
                except self._errors.Error as e:
                    raise self._map(e, "(fetching a streamed result)") from e
            if type(step) is CloseStream:
                if self._stream is step.handle:
                    self._stream = None
                try:
                    await step.handle.close()
                except self._errors.Error:
                    pass
                return EMPTY
        except asyncio.CancelledError:
            await self._kill()
            raise
        raise TypeError(f"not a step of the operation protocol: {step!r}")

    async def _kill(self) -> None:
        """After a cancellation inside a statement: close the link, and stop the statement
        on the server from a second connection (see the module docstring)."""
        self.terminate()
        kwargs = {**self._kwargs, "connect_timeout": 2}
        killer = None
        try:
            async with asyncio.timeout(2):
                killer = await self._asyncmy.connect(**kwargs)
                await killer.cursor().execute(f"KILL {self._thread_id:d}")
        except BaseException:
            pass  # gone already (1094), unreachable, or cancelled again: nothing more to do
        finally:
            if killer is not None:
                killer.close()

    async def _open_stream(self, sql: str, params: Sequence[Any]) -> _AsyncBufferedStream:
        """An unbuffered cursor: rows are read from the server as they are fetched.

        MySQL cannot run another statement on the connection while such a result is
        open; if one is run (a load inside the loop), the rest of the result is read into
        memory first, so no row is lost."""
        await self._drain_stream()
        if self._timeout_applied != self.statement_timeout:
            await self._apply_timeout()
        started = time.perf_counter()
        cur = self.raw.cursor(self._asyncmy.cursors.SSCursor)
        query, args = bind_args(sql, params)
        try:
            await cur.execute(query, args)
        except self._errors.Error as e:
            raise self._map(e, sql) from e
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                log_statement(sql, params, started)
        self._stream = _AsyncBufferedStream(cur)
        return self._stream

    async def _apply_timeout(self) -> None:
        sql = self._timeout_sql()
        try:
            await self.raw.cursor().execute(sql)
        except self._errors.Error as e:
            raise self._map(e, sql) from e
        self._timeout_applied = self.statement_timeout

    async def _drain_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.buffer_rest()

    async def setup(self, sql: str) -> None:
        """Run a set-up statement at connect time."""
        await self.run(Execute(sql))

    async def rollback(self) -> None:
        """Roll back the open transaction."""
        await self.run(Execute("ROLLBACK"))

    async def reset(self) -> None:
        """Make the connection as new for its next user: no open result, no transaction,
        the server's default statement timeout."""
        try:
            await self._drain_stream()
        except asyncio.CancelledError:
            self.terminate()
            raise
        if self._in_tx:
            await self.rollback()
        self.statement_timeout = None

    def is_broken(self) -> bool:
        """Whether the connection was lost (or closed after a cancellation); a link the
        server ended is seen without a round trip (end of stream received)."""
        raw = self.raw
        return self._broken or not raw.connected or bool(getattr(raw, "_stream_broken", False))

    def seems_alive(self) -> bool:
        """Whether the idle connection has received no end of stream or error (asyncio
        reads the socket as data arrives, so a killed connection is seen at once)."""
        return not self.is_broken()

    async def ping(self) -> bool:
        """Check the connection (without reconnecting)."""
        try:
            await self.raw.ping(reconnect=False)
            return True
        except asyncio.CancelledError:
            self.terminate()
            raise
        except Exception:
            self._broken = True
            return False

    async def close(self) -> None:
        """Close the connection (sending QUIT when the link is still up)."""
        try:
            await self.raw.ensure_closed()
        except asyncio.CancelledError:
            self.terminate()
            raise
        except Exception:
            self.terminate()

    def terminate(self) -> None:
        """Close the link now, without waiting for anything; the connection is broken."""
        self._broken = True
        try:
            self.raw.close()
        except Exception:
            pass


class _AsyncBufferedStream:
    """An unbuffered cursor that can be switched to reading from memory."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.rest: list[Any] | None = None

    async def buffer_rest(self) -> None:
        """Read every remaining row now (another statement is about to run)."""
        if self.rest is None:
            self.rest = list(await self.cursor.fetchall())
            await self.cursor.close()

    async def fetchmany(self, size: int) -> list[Any]:
        """The next ``size`` rows (fewer at the end)."""
        if self.rest is None:
            return list(await self.cursor.fetchmany(size))
        rows, self.rest = self.rest[:size], self.rest[size:]
        return rows

    async def close(self) -> None:
        """Close the cursor."""
        await self.cursor.close()
