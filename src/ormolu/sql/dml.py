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
    """``UPDATE table SET col = value, ... [WHERE ...]``.

    ``source``, when given, is the query the UPDATE comes from (``query.update()``): its
    joins and other FROM items make a multi-table UPDATE, rendered per dialect
    (``update_from_style``: ``UPDATE ... FROM`` on PostgreSQL and SQLite 3.33+, a
    multi-table ``UPDATE t JOIN ... SET`` on MySQL, ``WHERE key IN (SELECT ...)``
    elsewhere).
    """

    __slots__ = ("source", "table", "values", "where")
    __visit_name__ = "update"

    def __init__(
        self,
        table: Any,
        values: Sequence[tuple[ColumnRef[Any], Expr[Any]]],
        where: Expr[Any] | None,
        source: Any = None,
    ) -> None:
        self.table = table
        self.values = tuple(values)
        self.where = where
        self.source = source

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        sets = tuple((c.name, v._key(binds)) for c, v in self.values)
        return (
            "update",
            _table_key(self.table),
            sets,
            None if self.where is None else self.where._key(binds),
            _source_key(self.source, binds),
        )


class Delete(ClauseElement):
    """``DELETE FROM table [WHERE ...]``; ``source`` as for :class:`Update`
    (``delete_style``: ``DELETE ... USING`` on PostgreSQL, ``DELETE t FROM t JOIN ...``
    on MySQL, ``WHERE key IN (SELECT ...)`` elsewhere)."""

    __slots__ = ("source", "table", "where")
    __visit_name__ = "delete"

    def __init__(self, table: Any, where: Expr[Any] | None, source: Any = None) -> None:
        self.table = table
        self.where = where
        self.source = source

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return (
            "delete",
            _table_key(self.table),
            None if self.where is None else self.where._key(binds),
            _source_key(self.source, binds),
        )


def _source_key(source: Any, binds: list[BindParam[Any]]) -> Key:
    if source is None:
        return None
    return (
        tuple(j._key(binds) for j in source._joins),
        tuple(f._from_key(binds) for f in source.froms()),
    )


class InsertFrom(ClauseElement):
    """``INSERT INTO table (columns) SELECT ...``; build with :func:`insert`."""

    __slots__ = ("columns", "select", "table")
    __visit_name__ = "insert_from"

    def __init__(self, table: Any, columns: tuple[Any, ...], select: Any) -> None:
        self.table, self.columns, self.select = table, columns, select

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("insert_from", _table_key(self.table), tuple(c.name for c in self.columns),
                self.select._key(binds))  # fmt: skip


class Insert:
    """``insert(Model)``: the start of an ``INSERT ... SELECT``; see :func:`insert`."""

    def __init__(self, model: Any) -> None:
        table = getattr(model, "__table__", None)
        if table is None:
            from ..exceptions import ArgumentError

            raise ArgumentError(f"insert() takes a model class, got {model!r}")
        self.model = model
        self.table = table

    def from_select(self, columns: Sequence[Any], select: Any) -> InsertFrom:
        """``INSERT INTO <model's table> (columns) <select>``: ``columns`` are fields
        (``Model.name``) or their names, one per column of ``select`` (a ``select(...)``,
        a compound, or a query's ``.statement``). Run it with ``session.execute()``, whose
        result's ``rowcount`` is the number of rows inserted.

        Raises ArgumentError for a field of another model or a column count mismatch.
        The values are not validated like an assignment: they come from the database.
        """
        from ..exceptions import ArgumentError

        stmt = getattr(select, "statement", select)
        if not hasattr(stmt, "column_names"):
            raise ArgumentError(f"from_select() takes a select(...) or a query, got {select!r}")
        cols = []
        for c in columns:
            key = c if isinstance(c, str) else getattr(c, "key", None)
            col = self.table.columns_by_key.get(key) if isinstance(key, str) else None
            if col is None or (not isinstance(c, str) and c.source is not self.table):
                raise ArgumentError(
                    f"insert({self.model.__name__}).from_select(): {c!r} is not a field of "
                    f"{self.model.__name__}"
                )
            cols.append(col)
        if len(cols) != len(stmt.column_names()):
            raise ArgumentError(
                f"insert({self.model.__name__}).from_select(): {len(cols)} column(s) for a "
                f"SELECT of {len(stmt.column_names())}"
            )
        return InsertFrom(self.table, tuple(cols), stmt)


def insert(model: Any) -> Insert:
    """``insert(Track).from_select([Track.name, Track.milliseconds], select(...))`` builds
    ``INSERT INTO track (name, milliseconds) SELECT ...``, run with ``session.execute``.

    Example::

        s.execute(insert(Archive).from_select(
            [Archive.name], select(Track.name).where(Track.milliseconds > 600_000)))
    """
    return Insert(model)


class RowInsert(ClauseElement):
    """``INSERT INTO table (cols) VALUES (?, ...)[, (...) x rows] [RETURNING ...]``."""

    __slots__ = ("columns", "returning", "rows", "table")
    __visit_name__ = "row_insert"

    def __init__(
        self, table: Any, columns: tuple[str, ...], rows: int = 1, returning: tuple[str, ...] = ()
    ) -> None:
        self.table, self.columns, self.rows, self.returning = table, columns, rows, returning

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_insert", _table_key(self.table), self.columns, self.rows, self.returning)


class RowUpdate(ClauseElement):
    """``UPDATE table SET a = ?, ... WHERE k1 = ? AND ...``."""

    __slots__ = ("columns", "keys", "table")
    __visit_name__ = "row_update"

    def __init__(self, table: Any, columns: tuple[str, ...], keys: tuple[str, ...]) -> None:
        self.table, self.columns, self.keys = table, columns, keys

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_update", _table_key(self.table), self.columns, self.keys)


class RowDelete(ClauseElement):
    """``DELETE FROM table WHERE k1 = ? AND ...``."""

    __slots__ = ("keys", "table")
    __visit_name__ = "row_delete"

    def __init__(self, table: Any, keys: tuple[str, ...]) -> None:
        self.table, self.keys = table, keys

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_delete", _table_key(self.table), self.keys)


class RowDeleteIn(ClauseElement):
    """``DELETE FROM table WHERE key IN (?, ?, ...)`` for ``rows`` keys of one column."""

    __slots__ = ("key", "rows", "table")
    __visit_name__ = "row_delete_in"

    def __init__(self, table: Any, key: str, rows: int) -> None:
        self.table, self.key, self.rows = table, key, rows

    def _key(self, binds: list[BindParam[Any]]) -> Key:
        return ("row_delete_in", _table_key(self.table), self.key, self.rows)


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
            "upsert", _table_key(self.table), self.columns, self.rows, self.conflict, self.update,
            self.returning,
        )  # fmt: skip


def _table_key(table: Any) -> Key:
    """A table's identity in a statement's cache key: its schema and name (two schemas may
    hold tables of one name)."""
    return (getattr(table, "schema", None), table.name)
