"""INSERT, UPDATE and DELETE statements.

Two forms exist:

* Expression statements (:class:`Update`, :class:`Delete`) built by bulk query operations,
  whose values and conditions are expressions compiled like a SELECT.
* Row statements (:class:`RowInsert`, :class:`RowUpdate`, :class:`RowDelete`) used by the
  unit of work: their shape is a table and lists of column names, and their parameters are
  supplied positionally by the caller, so compiling one is a single cache lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .elements import BindParam, ClauseElement, ColumnRef, Expr, Key


class Update(ClauseElement):
    """``UPDATE table SET col = value, ... [WHERE ...]``."""

    __slots__ = ("table", "values", "where")
    __visit_name__ = "update"

    def __init__(
        self,
        table: Any,
        values: Sequence[tuple[ColumnRef[Any], Expr[Any]]],
        where: Expr[Any] | None,
    ) -> None:
        self.table = table
        self.values = tuple(values)
        self.where = where

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        sets = tuple((c.name, v._key(binds)) for c, v in self.values)
        return (
            "update",
            self.table.name,
            sets,
            None if self.where is None else self.where._key(binds),
        )


class Delete(ClauseElement):
    """``DELETE FROM table [WHERE ...]``."""

    __slots__ = ("table", "where")
    __visit_name__ = "delete"

    def __init__(self, table: Any, where: Expr[Any] | None) -> None:
        self.table = table
        self.where = where

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("delete", self.table.name, None if self.where is None else self.where._key(binds))


class RowInsert(ClauseElement):
    """``INSERT INTO table (cols) VALUES (?, ...)[, (...) x rows] [RETURNING ...]``."""

    __slots__ = ("columns", "returning", "rows", "table")
    __visit_name__ = "row_insert"

    def __init__(
        self, table: Any, columns: tuple[str, ...], rows: int = 1, returning: tuple[str, ...] = ()
    ) -> None:
        self.table, self.columns, self.rows, self.returning = table, columns, rows, returning

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_insert", self.table.name, self.columns, self.rows, self.returning)


class RowUpdate(ClauseElement):
    """``UPDATE table SET a = ?, ... WHERE k1 = ? AND ...``."""

    __slots__ = ("columns", "keys", "table")
    __visit_name__ = "row_update"

    def __init__(self, table: Any, columns: tuple[str, ...], keys: tuple[str, ...]) -> None:
        self.table, self.columns, self.keys = table, columns, keys

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_update", self.table.name, self.columns, self.keys)


class RowDelete(ClauseElement):
    """``DELETE FROM table WHERE k1 = ? AND ...``."""

    __slots__ = ("keys", "table")
    __visit_name__ = "row_delete"

    def __init__(self, table: Any, keys: tuple[str, ...]) -> None:
        self.table, self.keys = table, keys

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_delete", self.table.name, self.keys)


class RowDeleteIn(ClauseElement):
    """``DELETE FROM table WHERE key IN (?, ?, ...)`` for ``rows`` keys of one column."""

    __slots__ = ("key", "rows", "table")
    __visit_name__ = "row_delete_in"

    def __init__(self, table: Any, key: str, rows: int) -> None:
        self.table, self.key, self.rows = table, key, rows

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_delete_in", self.table.name, self.key, self.rows)


class Upsert(ClauseElement):
    """``INSERT ... VALUES (...)[, ...]`` that updates (or skips) rows that conflict.

    ``conflict`` names the unique columns that define a conflict (used by ``ON CONFLICT``;
    MySQL reacts to any unique key), ``update`` the columns overwritten from the new row
    (empty with ``do_nothing``), ``returning`` the columns sent back.
    """

    __slots__ = ("columns", "conflict", "returning", "rows", "table", "update")
    __visit_name__ = "upsert"

    def __init__(
        self,
        table: Any,
        columns: tuple[str, ...],
        rows: int,
        conflict: tuple[str, ...],
        update: tuple[str, ...],
        returning: tuple[str, ...] = (),
    ) -> None:
        self.table, self.columns, self.rows = table, columns, rows
        self.conflict, self.update, self.returning = conflict, update, returning

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return (
            "upsert", self.table.name, self.columns, self.rows, self.conflict, self.update,
            self.returning,
        )  # fmt: skip
