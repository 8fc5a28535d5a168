"""What every driver connection offers the session, and SQL logging.

Statements are logged on the standard ``logging`` logger ``ormolu.sql`` at DEBUG level
(off unless configured): the SQL text, the parameters and the time taken in milliseconds.
"""

from __future__ import annotations

import logging
import select
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..protocol import Reply

logger = logging.getLogger("ormolu.sql")


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
