"""What every driver connection offers the session, and SQL logging.

Statements are logged on the standard ``logging`` logger ``ormolu.sql`` at DEBUG level
(off unless configured): the SQL text, the parameters and the time taken in milliseconds.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Sequence
from typing import Any, Protocol

logger = logging.getLogger("ormolu.sql")


class Cursor(Protocol):
    """The DB-API 2.0 cursor subset ormolu uses (PEP 249)."""

    rowcount: int
    lastrowid: Any

    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ...) -> list[Any]: ...
    def fetchone(self) -> Any: ...
    def close(self) -> None: ...


class DriverConnection(Protocol):
    """One open database connection, used by one session at a time."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Cursor: ...
    def in_transaction(self) -> bool: ...
    def close(self) -> None: ...


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


class _Cursor:
    """A reply read like a DB-API cursor (the session's interface before the operation
    protocol; to be removed)."""

    def __init__(self, reply: Any) -> None:
        self.rows = list(reply.rows)
        self.rowcount = reply.rowcount
        self.lastrowid = reply.lastrowid
        self.description = [(c,) for c in reply.columns] if reply.columns else None

    def fetchall(self) -> list[Any]:
        rows, self.rows = self.rows, []
        return rows

    def fetchmany(self, size: int = 1) -> list[Any]:
        rows, self.rows = self.rows[:size], self.rows[size:]
        return rows

    def fetchone(self) -> Any:
        rows = self.fetchmany(1)
        return rows[0] if rows else None


class _StreamCursor:
    """A streamed result read like a cursor (to be removed)."""

    def __init__(self, conn: Any, handle: Any) -> None:
        self.conn = conn
        self.handle = handle

    def fetchmany(self, size: int) -> list[Any]:
        from ..core.protocol import FetchStream

        return list(self.conn.run(FetchStream(self.handle, size)).rows)
