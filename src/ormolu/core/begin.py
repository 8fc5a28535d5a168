"""BEGIN: the one step every operation that needs the database transaction starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import Execute, Op

if TYPE_CHECKING:
    from .state import SessionState


def begin_tx(state: SessionState) -> Op[None]:
    """Send BEGIN (in the session's mode and isolation level) unless the database
    transaction is open already."""
    if state.in_tx:
        return
    for sql in state.dialect.begin_statements(state.begin_mode, state.isolation_level):
        yield Execute(sql)
    state.in_tx = True
