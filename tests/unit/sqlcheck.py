"""``assert_sql``: compare a statement's compiled SQL text and parameters, no database."""

from __future__ import annotations

from typing import Any

from ormolu.dialects.base import Dialect
from ormolu.dialects.sqlite import SQLiteDialect
from ormolu.sql.compiler import compile_statement

SQLITE = SQLiteDialect()


def assert_sql(stmt: Any, sql: str, params: list[Any] | None = None, dialect: Dialect = SQLITE):
    """Assert that ``stmt`` (a statement or a Query) compiles to ``sql`` with ``params``."""
    stmt = getattr(stmt, "statement", stmt)
    compiled, got = compile_statement(dialect, stmt)
    assert compiled.sql == sql, f"\n got: {compiled.sql}\nwant: {sql}"
    assert got == (params or []), f"\n got params: {got!r}\nwant params: {params!r}"
    return compiled
